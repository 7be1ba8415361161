// Every API route: 401 without credentials, 403 for a role that may not, success for one that may;
// malformed input gives a 4xx JSON error with a code (never a 500); the OpenAPI document lists
// exactly the routes tested here.

import { createAlerting } from '../monitor/alerts/create-alerting.js';
import { createMonitoring } from '../monitor/create-monitoring.js';
import { WatchlistRepository } from '../monitor/watchlists/watchlist-repository.js';
import { CaseNotebook } from './cases/case-notebook.js';
import { BlocklistRepository } from '../share/blocklist/blocklist-repository.js';
import { PeerRepository } from '../share/peers/peer-repository.js';
import { TaxiiRepository } from '../share/taxii/taxii-repository.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingId } from '../detect/finding.js';
import { FindingsRepository } from '../detect/findings-repository.js';
import { call, CANARY, PARTNER_FLOWS, startTestServer, type TestServer } from './test-server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ maxBodyBytes: 64 * 1024, maxRows: 1000 });
});
afterAll(async () => t?.close());

type Who = 'viewer' | 'analyst' | 'admin';
interface RouteCase {
  method: string;
  path: string;
  /** The OpenAPI path template it covers. */
  doc: string;
  body?: unknown;
  /** Least role allowed. */
  least: Who;
  ok: number;
}

const ROUTES: RouteCase[] = [
  { method: 'GET', path: '/api/auth/me', doc: '/api/auth/me', least: 'viewer', ok: 200 },
  { method: 'POST', path: '/api/auth/logout', doc: '/api/auth/logout', least: 'viewer', ok: 204 },
  { method: 'GET', path: '/api/features', doc: '/api/features', least: 'viewer', ok: 200 },
  { method: 'GET', path: '/metrics', doc: '/metrics', least: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/openapi.json', doc: '/api/openapi.json', least: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/stats', doc: '/api/stats', least: 'viewer', ok: 200 },
  { method: 'POST', path: '/api/query', doc: '/api/query', body: { query: 'any | count' }, least: 'viewer', ok: 200 },
  { method: 'POST', path: '/api/query/stream', doc: '/api/query/stream', body: { query: 'any | limit 3' }, least: 'viewer', ok: 200 },
  { method: 'POST', path: '/api/query/check', doc: '/api/query/check', body: { query: 'port 22' }, least: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/query/values?field=dport', doc: '/api/query/values', least: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/query/language', doc: '/api/query/language', least: 'viewer', ok: 200 },
  { method: 'POST', path: '/api/export', doc: '/api/export', body: { query: 'port 22 | limit 5', format: 'csv' }, least: 'analyst', ok: 200 },
  { method: 'GET', path: '/api/users', doc: '/api/users', least: 'admin', ok: 200 },
  { method: 'POST', path: '/api/users', doc: '/api/users', body: { name: 'u-{n}', role: 'viewer', password: 'a long enough password' }, least: 'admin', ok: 201 },
  { method: 'PATCH', path: '/api/users/victor', doc: '/api/users/{name}', body: { role: 'viewer' }, least: 'admin', ok: 200 },
  { method: 'GET', path: '/api/tokens', doc: '/api/tokens', least: 'admin', ok: 200 },
  { method: 'POST', path: '/api/tokens', doc: '/api/tokens', body: { name: 't-{n}', role: 'viewer' }, least: 'admin', ok: 201 },
  { method: 'POST', path: '/api/tokens/{id}/revoke', doc: '/api/tokens/{id}/revoke', least: 'admin', ok: 200 },
  { method: 'GET', path: '/api/audit', doc: '/api/audit', least: 'admin', ok: 200 },
  { method: 'GET', path: '/api/audit/export?format=json', doc: '/api/audit/export', least: 'admin', ok: 200 },
  { method: 'GET', path: '/api/findings', doc: '/api/findings', least: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/findings/{finding}', doc: '/api/findings/{id}', least: 'viewer', ok: 200 },
  { method: 'POST', path: '/api/findings/{finding}/verdict', doc: '/api/findings/{id}/verdict', body: { status: 'acknowledged' }, least: 'analyst', ok: 200 },
  { method: 'POST', path: '/api/detect', doc: '/api/detect', body: { kinds: ['scan'] }, least: 'analyst', ok: 200 },
  { method: 'GET', path: '/api/intel/match?value=198.51.100.7', doc: '/api/intel/match', least: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/intel/feeds', doc: '/api/intel/feeds', least: 'viewer', ok: 200 },
  { method: 'POST', path: '/api/intel/feeds', doc: '/api/intel/feeds', body: { kind: 'list', source: 'route-test-{n}', text: '198.51.100.7\n' }, least: 'admin', ok: 200 },
  { method: 'GET', path: '/api/profile/10.1.0.1', doc: '/api/profile/{entity}', least: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/pivot?entity=10.1.0.1&depth=1', doc: '/api/pivot', least: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/sightings?value=10.1.0.1', doc: '/api/sightings', least: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/alerts', doc: '/api/alerts', least: 'analyst', ok: 200 },
  { method: 'GET', path: '/api/alerts/rules', doc: '/api/alerts/rules', least: 'analyst', ok: 200 },
  { method: 'POST', path: '/api/alerts/rules', doc: '/api/alerts/rules', body: { name: 'r-{n}', sinks: ['soc'] }, least: 'admin', ok: 200 },
  { method: 'DELETE', path: '/api/alerts/rules/{rule}', doc: '/api/alerts/rules/{name}', least: 'admin', ok: 200 },
  { method: 'GET', path: '/api/watchlists', doc: '/api/watchlists', least: 'analyst', ok: 200 },
  { method: 'GET', path: '/api/watchlists/{watchlist}', doc: '/api/watchlists/{name}', least: 'analyst', ok: 200 },
  { method: 'POST', path: '/api/watchlists', doc: '/api/watchlists', body: { name: 'w-{n}', members: ['192.0.2.0/24'] }, least: 'analyst', ok: 200 },
  { method: 'DELETE', path: '/api/watchlists/{watchlist}', doc: '/api/watchlists/{name}', least: 'analyst', ok: 200 },
  { method: 'GET', path: '/api/monitors', doc: '/api/monitors', least: 'analyst', ok: 200 },
  { method: 'GET', path: '/api/share/stix?tlp=green', doc: '/api/share/stix', least: 'analyst', ok: 200 },
  { method: 'GET', path: '/api/share/misp', doc: '/api/share/misp', least: 'analyst', ok: 200 },
  { method: 'POST', path: '/api/monitors', doc: '/api/monitors', body: { name: 'm-{n}', kind: 'query', schedule: '0 * * * *', query: 'any | count' }, least: 'analyst', ok: 200 },
  { method: 'DELETE', path: '/api/monitors/{monitor}', doc: '/api/monitors/{name}', least: 'analyst', ok: 200 },
  { method: 'GET', path: '/api/monitors/{monitor}/runs', doc: '/api/monitors/{name}/runs', least: 'analyst', ok: 200 },
  { method: 'POST', path: '/api/monitors/{monitor}/run', doc: '/api/monitors/{name}/run', least: 'analyst', ok: 200 },
  { method: 'GET', path: '/api/cases', doc: '/api/cases', least: 'viewer', ok: 200 },
  { method: 'POST', path: '/api/cases', doc: '/api/cases', body: { name: 'c-{n}' }, least: 'analyst', ok: 201 },
  { method: 'GET', path: '/api/cases/{case}', doc: '/api/cases/{name}', least: 'viewer', ok: 200 },
  { method: 'DELETE', path: '/api/cases/{case}', doc: '/api/cases/{name}', least: 'analyst', ok: 200 },
  { method: 'POST', path: '/api/cases/{case}/items', doc: '/api/cases/{name}/items', body: { type: 'note', value: 'route test' }, least: 'analyst', ok: 201 },
  { method: 'DELETE', path: '/api/cases/{case}/items/1', doc: '/api/cases/{name}/items/{item}', least: 'analyst', ok: 200 },
  { method: 'GET', path: '/api/cases/{case}/export?format=md', doc: '/api/cases/{name}/export', least: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/blocklists', doc: '/api/blocklists', least: 'viewer', ok: 200 },
  { method: 'POST', path: '/api/blocklists', doc: '/api/blocklists', body: { name: 'block-{n}', criteria: { kinds: ['scan'] } }, least: 'analyst', ok: 200 },
  { method: 'GET', path: '/api/blocklists/{blocklist}?format=csv', doc: '/api/blocklists/{name}', least: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/blocklists/{blocklist}/edl', doc: '/api/blocklists/{name}/edl', least: 'viewer', ok: 200 },
  { method: 'DELETE', path: '/api/blocklists/{blocklist}', doc: '/api/blocklists/{name}', least: 'analyst', ok: 200 },
  { method: 'GET', path: '/api/taxii/collections', doc: '/api/taxii/collections', least: 'analyst', ok: 200 },
  { method: 'POST', path: '/api/taxii/collections', doc: '/api/taxii/collections', body: { title: 'c-{n}' }, least: 'admin', ok: 201 },
  { method: 'GET', path: '/api/taxii/grants', doc: '/api/taxii/grants', least: 'admin', ok: 200 },
  { method: 'POST', path: '/api/taxii/grants', doc: '/api/taxii/grants', body: { token: 'viewer', collection: '{collection}', read: true }, least: 'admin', ok: 200 },
  { method: 'POST', path: '/api/taxii/publish', doc: '/api/taxii/publish', body: { collection: '{collection}', tlp: 'green' }, least: 'analyst', ok: 200 },
  { method: 'POST', path: '/api/taxii/pull', doc: '/api/taxii/pull', body: { url: '{base}/taxii2/', collection: '{collection}', token: '{taxiiToken}' }, least: 'admin', ok: 200 },
  { method: 'GET', path: '/api/peers', doc: '/api/peers', least: 'admin', ok: 200 },
  { method: 'POST', path: '/api/peers', doc: '/api/peers', body: { name: 'peer-{n}', url: 'http://127.0.0.1:9', token: 'vtk_000000000000_x' }, least: 'admin', ok: 200 },
  { method: 'DELETE', path: '/api/peers/{peer}', doc: '/api/peers/{name}', least: 'admin', ok: 200 },
  { method: 'POST', path: '/api/peers/ask', doc: '/api/peers/ask', body: { value: '10.1.0.1', peers: ['{peer}'], timeoutSeconds: 10 }, least: 'analyst', ok: 200 },
];

const RANK: Record<Who, number> = { viewer: 0, analyst: 1, admin: 2 };
let n = 0;

async function prepare(r: RouteCase): Promise<{ path: string; body?: unknown }> {
  n++;
  let path = r.path;
  if (path.includes('{id}')) {
    const { record } = await t.server.accounts.createToken({ name: `victim-${n}`, role: 'viewer' }, 'test');
    path = path.replace('{id}', record.id);
  }
  if (path.includes('{finding}')) {
    // A stored finding to read and judge (the findings routes' own tests use real detections).
    const repo = new FindingsRepository(t.store);
    await repo.ensureTables();
    const id = findingId('scan', 'route-test', n);
    const at = new Date(Date.UTC(2026, 9, 31)).toISOString();
    await repo.save([{ id, kind: 'scan', subkind: 'vertical', score: 0.5, subscores: {}, severity: 'low', src: '10.1.0.1', dst: null, dport: null, proto: 6, entities: [], first: at, last: at, summary: 'route test', evidence: { counts: {}, query: 'any', from: at, to: at, sample: [] }, intel: [] }]);
    path = path.replace('{finding}', id);
  }
  // Named things to read, run or remove, created through their repositories.
  if (path.includes('{rule}')) {
    const alerting = createAlerting({ store: t.store });
    await alerting.ensureTables();
    path = path.replace('{rule}', (await alerting.rules.put({ name: `rule-${n}`, sinks: ['soc'] })).name);
  }
  if (path.includes('{watchlist}')) {
    const repo = new WatchlistRepository(t.store);
    await repo.ensureTables();
    path = path.replace('{watchlist}', (await repo.put({ name: `watch-${n}`, members: ['192.0.2.0/24'] })).name);
  }
  if (path.includes('{monitor}')) {
    const { monitors } = await createMonitoring(t.store);
    path = path.replace('{monitor}', (await monitors.add({ name: `monitor-${n}`, kind: 'query', schedule: '0 * * * *', query: 'any | count' })).name);
  }
  if (path.includes('{blocklist}')) {
    const repo = new BlocklistRepository(t.store);
    await repo.ensureTables();
    path = path.replace('{blocklist}', (await repo.save({ name: `block-${n}`, criteria: { kinds: ['scan'] }, savedBy: 'test' })).name);
  }
  if (path.includes('{case}')) {
    // A case with one pinned item (item 1), opened by an unscoped caller.
    const notebook = new CaseNotebook(t.store);
    const actor = { name: 'route-test', kind: 'user' as const, scoped: false };
    const { case: opened } = await notebook.put({ name: `case-${n}` }, actor);
    await notebook.pin(opened.name, { type: 'note', value: 'route test' }, actor);
    path = path.replace('{case}', opened.name);
  }
  // Body placeholders: a TAXII collection (with a token granted to read it) and a peer (this server, asked with the viewer token).
  const fill: Record<string, string> = { '{n}': String(n), '{base}': t.base };
  const wanted = `${path} ${JSON.stringify(r.body ?? null)}`;
  if (wanted.includes('{collection}')) {
    const repo = new TaxiiRepository(t.store);
    await repo.ensureTables();
    fill['{collection}'] = (await repo.addCollection({ title: `collection ${n}` })).id;
    const minted = await t.server.accounts.createToken({ name: `taxii-${n}`, role: 'peer' }, 'test');
    await repo.grant(minted.record.id, fill['{collection}'], { read: true, write: false });
    fill['{taxiiToken}'] = minted.token;
  }
  if (wanted.includes('{peer}')) {
    const repo = new PeerRepository(t.store);
    await repo.ensureTables();
    fill['{peer}'] = (await repo.add({ name: `peer-${n}`, url: t.base, token: t.tokens.viewer })).peer.name;
    path = path.replace('{peer}', fill['{peer}']);
  }
  const body = r.body === undefined ? undefined : JSON.parse(Object.entries(fill).reduce((text, [k, v]) => text.split(k).join(v), JSON.stringify(r.body)));
  return { path, body };
}

describe('every route', () => {
  it('the OpenAPI document lists exactly the tested routes (plus the open ones)', async () => {
    const res = await call(t.base, 'GET', '/api/openapi.json', { token: t.tokens.viewer });
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const tested = [...ROUTES.map((r) => `${r.method} ${r.doc}`), 'GET /api/health', 'POST /api/auth/login', 'POST /api/auth/password'].filter((v) => v !== 'GET /api/openapi.json');
    expect(documented).toEqual([...new Set(tested)].sort());
  });

  it.each(ROUTES)('$method $path: 401 without credentials, with a JSON code', async (r) => {
    const { path, body } = await prepare(r);
    const res = await call(t.base, r.method, path, { body });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AUTH_REQUIRED');
  });

  it.each(ROUTES)('$method $path: 401 with a bad token', async (r) => {
    const { path, body } = await prepare(r);
    const res = await call(t.base, r.method, path, { body, token: 'vtk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AUTH_FAILED');
  });

  it.each(ROUTES)('$method $path: a network-scoped analyst gets no server error', async (r) => {
    const { path, body } = await prepare(r);
    const res = await call(t.base, r.method, path, { body, token: t.tokens.partnerAnalyst });
    expect(res.status, (await res.text()).slice(0, 200)).toBeLessThan(500);
  });

  it('no route shows a network-scoped caller the canary, which every one of them shows an unscoped admin', async () => {
    // The canary address talks only outside the partner's network. Each probe asks for it
    // directly; an admin sees it in every answer, so the check can fail.
    const canaryFinding = findingId('scan', 'canary-probe');
    const repo = new FindingsRepository(t.store);
    await repo.ensureTables();
    const at = new Date(Date.UTC(2026, 9, 31)).toISOString();
    await repo.save([{ id: canaryFinding, kind: 'scan', subkind: 'vertical', score: 0.5, subscores: {}, severity: 'low', src: CANARY, dst: null, dport: null, proto: 6, entities: [{ role: 'scanner', type: 'ip', value: CANARY }], first: at, last: at, summary: `${CANARY} probe`, evidence: { counts: {}, query: `ip ${CANARY}`, from: at, to: at, sample: [] }, intel: [] }]);
    // What counts as seeing it: the address in the answer, except where the answer only echoes
    // the question (a profile or pivot of it must then be a 404, its sightings must count nothing).
    const mentions = (_status: number, text: string) => text.includes(CANARY);
    const known = (status: number) => status !== 404;
    const counted = (status: number, text: string) => status === 200 && (JSON.parse(text) as { flows: number }).flows > 0;
    const probes: [string, string, unknown, (status: number, text: string) => boolean][] = [
      ['POST', '/api/query', { query: `ip ${CANARY} | limit 5` }, mentions],
      ['POST', '/api/query/stream', { query: `ip ${CANARY} | limit 5` }, mentions],
      ['POST', '/api/export', { query: `ip ${CANARY} | limit 5`, format: 'csv' }, mentions],
      ['GET', `/api/query/values?field=src&prefix=10.2.0`, undefined, mentions],
      ['GET', `/api/profile/${CANARY}`, undefined, known],
      ['GET', `/api/pivot?entity=${CANARY}&depth=1`, undefined, known],
      ['GET', `/api/sightings?value=${CANARY}`, undefined, counted],
      ['GET', '/api/findings?limit=1000', undefined, mentions],
      ['GET', `/api/findings/${canaryFinding}`, undefined, mentions],
    ];
    const leaks: string[] = [];
    for (const [method, path, body, sees] of probes) {
      const a = await call(t.base, method, path, { body, token: t.tokens.admin });
      const admin = await a.text();
      expect(sees(a.status, admin), `admin: ${method} ${path}: ${admin.slice(0, 200)}`).toBe(true);
      const p = await call(t.base, method, path, { body, token: t.tokens.partnerAnalyst });
      const scoped = await p.text();
      if (sees(p.status, scoped)) leaks.push(`${method} ${path}: ${p.status} ${scoped.slice(0, 200)}`);
    }
    expect(leaks).toEqual([]);
  });

  it.each(ROUTES)('$method $path: 403 below its role, success at it', async (r) => {
    for (const who of ['viewer', 'analyst', 'admin'] as const) {
      const { path, body } = await prepare(r);
      const res = await call(t.base, r.method, path, { body, token: t.tokens[who] });
      if (RANK[who] < RANK[r.least]) {
        expect(res.status, `${who}`).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AUTH_FORBIDDEN');
      } else {
        expect(res.status, `${who}: ${await res.clone().text()}`).toBe(r.ok);
        await res.arrayBuffer();
      }
    }
  });

  it('GET /api/health is open and says the store is up', async () => {
    const res = await call(t.base, 'GET', '/api/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', store: 'up' });
  });

  it('unknown API paths are JSON 404s, and the audit trail has no route that changes it', async () => {
    for (const [method, path] of [['GET', '/api/nope'], ['DELETE', '/api/audit'], ['PUT', '/api/audit'], ['PATCH', '/api/audit'], ['POST', '/api/audit'], ['DELETE', '/api/tokens/x']]) {
      const res = await call(t.base, method!, path!, { token: t.tokens.admin });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });
});

interface ErrorBody {
  error: { code: string; message: string; column?: number; field?: string };
}

async function error(res: Response): Promise<ErrorBody['error']> {
  expect(res.headers.get('content-type')).toContain('application/json');
  return ((await res.json()) as ErrorBody).error;
}

describe('malformed input is a 4xx JSON error with a code, never a 500', () => {
  const q = (body: unknown, path = '/api/query') => call(t.base, 'POST', path, { token: t.tokens.admin, body });

  it('a bad query names its column', async () => {
    const res = await q({ query: 'dst port 443 | top 5 src by bites' });
    expect(res.status).toBe(400);
    expect(await error(res)).toMatchObject({ code: 'QUERY_FIELD', column: 29 });
    const syntax = await q({ query: 'port 22 and (proto tcp' });
    expect(syntax.status).toBe(400);
    expect(await error(syntax)).toMatchObject({ code: 'QUERY_SYNTAX', column: 23 });
  });

  it('a bad CIDR: in a query (with its column), in a token or user scope (with its field)', async () => {
    const res = await q({ query: 'src net 10.0.0.0/33' });
    expect(res.status).toBe(400);
    expect(await error(res)).toMatchObject({ code: 'QUERY_VALUE', column: 9 });
    const token = await call(t.base, 'POST', '/api/tokens', { token: t.tokens.admin, body: { name: 'x', role: 'viewer', scopes: ['10.0.0.0/8', '300.1.2.0/24'] } });
    expect(token.status).toBe(400);
    expect(await error(token)).toMatchObject({ code: 'REQUEST_INVALID', field: 'scopes.1' });
    const user = await call(t.base, 'POST', '/api/users', { token: t.tokens.admin, body: { name: 'y', role: 'viewer', password: 'a long enough password', scopes: ['2001:db8::/129'] } });
    expect(user.status).toBe(400);
    expect(await error(user)).toMatchObject({ code: 'REQUEST_INVALID', field: 'scopes.0' });
  });

  it('an oversize body is a 413 REQUEST_TOO_LARGE', async () => {
    const res = await q({ query: `any # ${'x'.repeat(70_000)}` });
    expect(res.status).toBe(413);
    expect((await error(res)).code).toBe('REQUEST_TOO_LARGE');
  });

  it('malformed JSON, wrong types, unknown fields, bad times, bad fields', async () => {
    const cases: [unknown, string, string?][] = [
      ['{"query": ', 'REQUEST_INVALID'],
      [{ query: 42 }, 'REQUEST_INVALID', 'query'],
      [{ query: 'any', limit: -1 }, 'REQUEST_INVALID', 'limit'],
      [{ query: 'any', extra: true }, 'REQUEST_INVALID'],
      [{}, 'REQUEST_INVALID', 'query'],
      [{ query: 'any', from: 'yesterday-ish' }, 'TIME_FORMAT'],
      [{ query: 'any', from: '2026-11-01', to: '2026-10-01' }, 'REQUEST_INVALID', 'from'],
    ];
    for (const [body, code, field] of cases) {
      const res = await q(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const e = await error(res);
      expect(e.code, JSON.stringify(body)).toBe(code);
      if (field) expect(e.field).toBe(field);
    }
    const values = await call(t.base, 'GET', '/api/query/values?field=nonsense', { token: t.tokens.viewer });
    expect(values.status).toBe(400);
    expect((await error(values)).field).toBe('field');
    const text = await call(t.base, 'POST', '/api/query', { token: t.tokens.viewer, body: 'query=any', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(400);
  });

  it('garbage queries never produce a 500', async () => {
    const garbage = ['(', ')', '|', '||', 'ip', 'net', 'port >', 'port 99999', 'proto nosuch', 'flags Q', "'", '"unterminated', '| top 0 src', '| timeline 0m',
      '| count | top 5 src', 'any | sort nothing', 'ip ::ffff:1.2.3.4', 'ip 1.2.3.4/24', 'net 1.2.3.4 255.0.0.0', 'ip in []', '\u0000', '&', '!=', 'tag', 'bytes > 99999999999999999999', '# only a comment', '  '];
    for (const query of garbage) {
      const res = await q({ query });
      expect(res.status, query).toBeLessThan(500);
      await res.arrayBuffer();
      const check = await q({ query }, '/api/query/check');
      expect(check.status, query).toBe(200);
      await check.arrayBuffer();
    }
  });
});

describe('queries, limits and streaming', () => {
  it('answers with columns, rows and the row cap', async () => {
    const res = await call(t.base, 'POST', '/api/query', { token: t.tokens.viewer, body: { query: 'dst port 22 | count by dst', limit: 3 } });
    const body = (await res.json()) as { rows: Record<string, unknown>[]; rowCount: number; truncated: boolean; columns: { name: string }[] };
    expect(body.columns.map((c) => c.name)).toEqual(['dst', 'flows', 'packets', 'bytes']);
    expect(body.rowCount).toBe(3);
    expect(body.truncated).toBe(true);
    const all = (await (await call(t.base, 'POST', '/api/query', { token: t.tokens.viewer, body: { query: 'any | count' } })).json()) as { rows: { flows: number }[] };
    expect(all.rows[0]!.flows).toBe(301);
  });

  it('caps a listing at the server row limit and says so', async () => {
    const res = await call(t.base, 'POST', '/api/query', { token: t.tokens.viewer, body: { query: 'any', limit: 5000 } });
    const body = (await res.json()) as { rowCount: number; truncated: boolean; limit: number };
    expect(body).toMatchObject({ rowCount: 301, truncated: false, limit: 1000 });
  });

  it('streams NDJSON with column and truncation headers', async () => {
    const res = await call(t.base, 'POST', '/api/query/stream', { token: t.tokens.viewer, body: { query: 'dst port 443 | fields src, dst', limit: 50 } });
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    expect(res.headers.get('x-vantage-columns')).toBe('src,dst');
    expect(res.headers.get('x-vantage-truncated')).toBe('true');
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { src: string });
    expect(lines).toHaveLength(50);
    expect(lines[0]!.src).toMatch(/^10\.1\.0\./);
  });

  it('exports CSV with a header and an attachment name', async () => {
    const res = await call(t.base, 'POST', '/api/export', { token: t.tokens.analyst, body: { query: 'dst port 22 | top 3 dst by flows', format: 'csv' } });
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="vantage-.*\.csv"/);
    const text = await res.text();
    expect(text.split('\n')[0]).toBe('dst,flows,packets,bytes');
    expect(text.trim().split('\n')).toHaveLength(4);
    const json = await call(t.base, 'POST', '/api/export', { token: t.tokens.analyst, body: { query: 'dst port 22 | top 3 dst by flows', format: 'json' } });
    expect(((await json.json()) as unknown[]).length).toBe(3);
  });

  it('completes values from the data', async () => {
    const res = await call(t.base, 'GET', '/api/query/values?field=dport&prefix=4', { token: t.tokens.viewer });
    expect(await res.json()).toMatchObject({ field: 'dport', values: [{ value: '443', flows: 101 }] });
  });

  it('serves Prometheus metrics', async () => {
    const text = await (await call(t.base, 'GET', '/metrics', { token: t.tokens.viewer })).text();
    expect(text).toContain('vantage_http_requests_total');
    expect(text).toContain('vantage_queries_total');
  });

  it('the canary is visible to unscoped callers (so the scope tests below are meaningful)', async () => {
    const res = await call(t.base, 'POST', '/api/query', { token: t.tokens.viewer, body: { query: `ip ${CANARY} | count` } });
    expect(((await res.json()) as { rows: { flows: number }[] }).rows[0]!.flows).toBe(25);
    expect(PARTNER_FLOWS).toBe(200);
  });
});
