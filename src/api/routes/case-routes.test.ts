// The case routes over a real server: open a case, pin each kind of item (entities made
// canonical, queries checked with their column, findings only when visible), export as Markdown
// and JSON, roles, the audit trail, and network-scoped callers confined to their own cases.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingId, type Finding } from '../../detect/finding.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import { call, CANARY, startTestServer, type TestServer } from '../test-server.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string; column?: number };
}
interface Item {
  id: number;
  type: string;
  value: string;
  note: string;
  from?: string;
  to?: string;
  finding?: { kind: string; subkind: string; severity: string; summary: string };
  addedBy: string;
  addedAt: string;
}
interface Case {
  name: string;
  title: string;
  description: string;
  owner: string;
  ownerKind: string;
  ownerScoped: boolean;
  createdAt: string;
  updatedAt: string;
  items: Item[];
}
interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  status: string;
  errorCode: string | null;
}

const AT = '2026-10-31T00:30:00.000Z';
/** Two stored findings: one on the partner's network, one on the canary (outside it). */
const partnerFinding = findingId('scan', 'case-test', 'partner');
const canaryFinding = findingId('scan', 'case-test', 'canary');
const finding = (id: string, src: string, summary: string): Omit<Finding, 'status' | 'note' | 'runs'> => ({
  id,
  kind: 'scan',
  subkind: 'horizontal',
  score: 0.7,
  subscores: {},
  severity: 'medium',
  src,
  dst: null,
  dport: 22,
  proto: 6,
  entities: [{ role: 'scanner', type: 'ip', value: src }],
  first: AT,
  last: AT,
  summary,
  evidence: { counts: {}, query: `src ${src}`, from: AT, to: AT, sample: [] },
  intel: [],
});

describe('case routes', () => {
  let t: TestServer;
  const json = async <T>(res: Response, status = 200): Promise<T> => {
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as T;
  };
  const pin = (name: string, body: unknown, token = t.tokens.analyst) => call(t.base, 'POST', `/api/cases/${name}/items`, { token, body });
  const auditOf = async (action: string): Promise<AuditEntry[]> =>
    (await json<{ entries: AuditEntry[] }>(await call(t.base, 'GET', `/api/audit?action=${action}`, { token: t.tokens.admin }))).entries;

  beforeAll(async () => {
    t = await startTestServer();
    const repo = new FindingsRepository(t.store);
    await repo.ensureTables();
    await repo.save([finding(partnerFinding, '10.1.0.7', '10.1.0.7 swept port 22'), finding(canaryFinding, CANARY, `${CANARY} swept port 22`)]);
  }, 60_000);
  afterAll(async () => t?.close());

  it('opens a case (201), retitles it (200), and refuses viewers (403) and bad names (400)', async () => {
    const opened = await json<Case>(await call(t.base, 'POST', '/api/cases', { token: t.tokens.analyst, body: { name: 'acme', title: 'ACME host 10.1.0.7' } }), 201);
    expect(opened).toMatchObject({ name: 'acme', title: 'ACME host 10.1.0.7', description: '', owner: 'analyst', ownerKind: 'token', ownerScoped: false, items: [] });
    const again = await json<Case>(await call(t.base, 'POST', '/api/cases', { token: t.tokens.admin, body: { name: 'acme', description: 'partner triage' } }), 200);
    expect(again).toMatchObject({ title: 'ACME host 10.1.0.7', description: 'partner triage', owner: 'analyst' });

    const denied = await json<ErrorBody>(await call(t.base, 'POST', '/api/cases', { token: t.tokens.viewer, body: { name: 'v' } }), 403);
    expect(denied.error.code).toBe('AUTH_FORBIDDEN');
    const bad = await json<ErrorBody>(await call(t.base, 'POST', '/api/cases', { token: t.tokens.analyst, body: { name: 'a b' } }), 400);
    expect(bad.error).toMatchObject({ code: 'REQUEST_INVALID' });
    expect(bad.error.message).toContain("case name 'a b'");
    const extra = await json<ErrorBody>(await call(t.base, 'POST', '/api/cases', { token: t.tokens.analyst, body: { name: 'x', owner: 'someone' } }), 400);
    expect(extra.error.code).toBe('REQUEST_INVALID');
  });

  it('pins entities (canonical), queries (checked, with their window), findings and notes', async () => {
    const e1 = await json<{ item: Item; case: Case }>(await pin('acme', { type: 'entity', value: ' 2001:DB8:1:0:0:0:0:5 ', note: 'v6 host' }), 201);
    expect(e1.item).toMatchObject({ id: 1, type: 'entity', value: '2001:db8:1::5', note: 'v6 host', addedBy: 'analyst' });
    expect((await json<{ item: Item }>(await pin('acme', { type: 'entity', value: 'AS064500' }), 201)).item.value).toBe('AS64500');
    expect((await json<{ item: Item }>(await pin('acme', { type: 'entity', value: '10.1.0.0/24' }), 201)).item.value).toBe('10.1.0.0/24');
    const q = await json<{ item: Item }>(await pin('acme', { type: 'query', value: 'src ip 10.1.0.7 | top 5 dst', from: '2026-10-31T00:00Z', to: '2026-10-31T06:00Z' }), 201);
    expect(q.item).toMatchObject({ id: 4, type: 'query', value: 'src ip 10.1.0.7 | top 5 dst', from: '2026-10-31T00:00:00.000Z', to: '2026-10-31T06:00:00.000Z' });
    // A finding by a unique prefix: the full id is kept, with what it said when pinned.
    const f = await json<{ item: Item }>(await pin('acme', { type: 'finding', value: partnerFinding.slice(0, 8), note: 'confirmed' }), 201);
    expect(f.item).toMatchObject({ id: 5, value: partnerFinding, finding: { kind: 'scan', subkind: 'horizontal', severity: 'medium', summary: '10.1.0.7 swept port 22' } });
    const n = await json<{ item: Item; case: Case }>(await pin('acme', { type: 'note', value: 'Called their SOC.' }, t.tokens.admin), 201);
    expect(n.item).toMatchObject({ id: 6, type: 'note', value: 'Called their SOC.', addedBy: 'admin' });
    expect(n.case.items.map((i) => i.id)).toEqual([1, 2, 3, 4, 5, 6]);

    const viewerCase = await json<Case>(await call(t.base, 'GET', '/api/cases/acme', { token: t.tokens.viewer }));
    expect(viewerCase.items).toEqual(n.case.items);
    const list = await json<{ cases: { name: string; items: number; owner: string }[] }>(await call(t.base, 'GET', '/api/cases', { token: t.tokens.viewer }));
    expect(list.cases).toEqual([expect.objectContaining({ name: 'acme', items: 6, owner: 'analyst' })]);
  });

  it('bad pins are 400s naming what is wrong; a missing case or finding is a 404', async () => {
    const cases: [unknown, string, Partial<ErrorBody['error']>][] = [
      [{ type: 'entity', value: '10.1.0.300' }, 'not an entity', { code: 'REQUEST_INVALID', field: 'value' }],
      [{ type: 'entity', value: '10.0.0.0/33' }, 'not an entity', { code: 'REQUEST_INVALID', field: 'value' }],
      [{ type: 'query', value: 'port 22 and (proto tcp' }, '', { code: 'QUERY_SYNTAX', column: 23 }],
      [{ type: 'query', value: 'port 22', from: '2026-11-01T00:00Z', to: '2026-10-31T00:00Z' }, "'from' must be before 'to'", { code: 'REQUEST_INVALID' }],
      [{ type: 'query', value: 'port 22', from: 'someday' }, '', { code: 'TIME_FORMAT' }],
      [{ type: 'note', value: 'x', from: '-1h' }, 'only a query pin has a time window', { code: 'REQUEST_INVALID' }],
      [{ type: 'finding', value: 'zz' }, 'not a finding id', { code: 'REQUEST_INVALID', field: 'value' }],
      [{ type: 'bookmark', value: 'x' }, '', { code: 'REQUEST_INVALID', field: 'type' }],
      [{ type: 'note', value: '' }, '', { code: 'REQUEST_INVALID', field: 'value' }],
    ];
    for (const [body, message, expected] of cases) {
      const e = await json<ErrorBody>(await pin('acme', body), 400);
      expect(e.error, JSON.stringify(body)).toMatchObject(expected);
      expect(e.error.message, JSON.stringify(body)).toContain(message);
    }
    expect((await json<ErrorBody>(await pin('acme', { type: 'finding', value: 'abcdef0123' }), 404)).error.code).toBe('NOT_FOUND');
    expect((await json<ErrorBody>(await pin('nosuch', { type: 'note', value: 'x' }), 404)).error.message).toBe("no case 'nosuch'");
    expect((await json<ErrorBody>(await pin('acme', { type: 'note', value: 'x' }, t.tokens.viewer), 403)).error.code).toBe('AUTH_FORBIDDEN');
    // Nothing was pinned by the failures.
    expect((await json<Case>(await call(t.base, 'GET', '/api/cases/acme', { token: t.tokens.viewer }))).items).toHaveLength(6);
  });

  it('exports as Markdown and JSON downloads (audited)', async () => {
    const md = await call(t.base, 'GET', '/api/cases/acme/export?format=md', { token: t.tokens.viewer });
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(md.headers.get('content-disposition')).toBe('attachment; filename="vantage-case-acme.md"');
    const text = await md.text();
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual(['# ACME host 10.1.0.7', '', '- Case: `acme`']);
    expect(lines).toContain('partner triage');
    expect(lines.filter((l) => l.startsWith('## '))).toEqual(['## Entities', '## Queries', '## Findings', '## Notes']);
    expect(lines.find((l) => l.startsWith('- `2001:db8:1::5`'))).toMatch(/^- `2001:db8:1::5` — v6 host · _analyst, 20\d\d-/);
    expect(lines).toContainEqual(expect.stringMatching(/^- `src ip 10\.1\.0\.7 \| top 5 dst` over 2026-10-31T00:00:00\.000Z to 2026-10-31T06:00:00\.000Z · _analyst, /));
    expect(lines).toContainEqual(expect.stringContaining(`- \`${partnerFinding}\` **scan/horizontal** (medium): 10.1.0.7 swept port 22 — confirmed`));
    expect(lines).toContainEqual(expect.stringMatching(/^- Called their SOC\. · _admin, /));

    const js = await call(t.base, 'GET', '/api/cases/acme/export?format=json', { token: t.tokens.viewer });
    expect(js.headers.get('content-disposition')).toBe('attachment; filename="vantage-case-acme.json"');
    const exported = (await js.json()) as Case;
    expect(exported).toEqual(await json<Case>(await call(t.base, 'GET', '/api/cases/acme', { token: t.tokens.viewer })));

    expect((await json<ErrorBody>(await call(t.base, 'GET', '/api/cases/acme/export?format=pdf', { token: t.tokens.viewer }), 400)).error.code).toBe('REQUEST_INVALID');
    const exports = await auditOf('case.export');
    expect(exports.map((e) => [e.actor, e.target, e.detail.format, e.status])).toEqual([
      ['viewer', 'acme', 'json', 'ok'],
      ['viewer', 'acme', 'md', 'ok'],
    ]);
  });

  it('unpins and removes (analyst), each change in the audit trail', async () => {
    const after = await json<Case>(await call(t.base, 'DELETE', '/api/cases/acme/items/2', { token: t.tokens.analyst }));
    expect(after.items.map((i) => i.id)).toEqual([1, 3, 4, 5, 6]);
    expect((await json<ErrorBody>(await call(t.base, 'DELETE', '/api/cases/acme/items/2', { token: t.tokens.analyst }), 404)).error.message).toBe("case 'acme' has no item 2");
    expect((await json<ErrorBody>(await call(t.base, 'DELETE', '/api/cases/acme/items/zero', { token: t.tokens.analyst }), 400)).error.field).toBe('item');

    const pins = await auditOf('case.pin');
    expect(pins.filter((e) => e.status === 'ok').map((e) => e.detail.value)).toEqual(['Called their SOC.', partnerFinding, 'src ip 10.1.0.7 | top 5 dst', '10.1.0.0/24', 'AS64500', '2001:db8:1::5']);
    expect(pins.filter((e) => e.status === 'error').map((e) => e.errorCode)).toContain('QUERY_SYNTAX');
    expect((await auditOf('case.unpin')).map((e) => [e.status, e.errorCode])).toEqual([
      ['error', 'NOT_FOUND'],
      ['ok', null],
    ]);

    await call(t.base, 'POST', '/api/cases', { token: t.tokens.analyst, body: { name: 'short-lived' } });
    expect((await json<ErrorBody>(await call(t.base, 'DELETE', '/api/cases/short-lived', { token: t.tokens.viewer }), 403)).error.code).toBe('AUTH_FORBIDDEN');
    expect(await json(await call(t.base, 'DELETE', '/api/cases/short-lived', { token: t.tokens.analyst }))).toEqual({ removed: 'short-lived' });
    expect((await json<ErrorBody>(await call(t.base, 'GET', '/api/cases/short-lived', { token: t.tokens.viewer }), 404)).error.code).toBe('NOT_FOUND');
    expect((await auditOf('case.remove')).map((e) => [e.target, e.detail.items])).toEqual([['short-lived', 0]]);
    expect((await auditOf('case.put')).filter((e) => e.status === 'ok').map((e) => [e.target, e.detail.created])).toEqual([
      ['short-lived', true],
      ['acme', false],
      ['acme', true],
    ]);
  });

  it('a network-scoped caller sees only its own cases and pins only findings on its networks', async () => {
    const own = await json<Case>(await call(t.base, 'POST', '/api/cases', { token: t.tokens.partnerAnalyst, body: { name: 'partner-case' } }), 201);
    expect(own).toMatchObject({ owner: 'partner-analyst', ownerKind: 'token', ownerScoped: true });
    const seen = await json<{ cases: { name: string }[] }>(await call(t.base, 'GET', '/api/cases', { token: t.tokens.partnerAnalyst }));
    expect(seen.cases.map((c) => c.name)).toEqual(['partner-case']);
    // Someone else's case is missing for it: read, export, pin, unpin, remove.
    for (const [method, path, body] of [
      ['GET', '/api/cases/acme', undefined],
      ['GET', '/api/cases/acme/export', undefined],
      ['POST', '/api/cases/acme/items', { type: 'note', value: 'x' }],
      ['DELETE', '/api/cases/acme/items/1', undefined],
      ['DELETE', '/api/cases/acme', undefined],
    ] as const) {
      const e = await json<ErrorBody>(await call(t.base, method, path, { token: t.tokens.partnerAnalyst, body }), 404);
      expect(e.error, `${method} ${path}`).toEqual({ code: 'NOT_FOUND', message: "no case 'acme'" });
    }
    // Taking the name of a case it cannot see is a conflict, and changes nothing.
    expect((await json<ErrorBody>(await call(t.base, 'POST', '/api/cases', { token: t.tokens.partnerAnalyst, body: { name: 'acme', title: 'mine' } }), 409)).error.code).toBe('CONFLICT');
    expect((await json<Case>(await call(t.base, 'GET', '/api/cases/acme', { token: t.tokens.viewer }))).title).toBe('ACME host 10.1.0.7');

    expect((await json<{ item: Item }>(await pin('partner-case', { type: 'finding', value: partnerFinding }, t.tokens.partnerAnalyst), 201)).item.value).toBe(partnerFinding);
    // The canary's finding is outside its networks: missing, as on GET /api/findings/{id}.
    expect((await json<ErrorBody>(await pin('partner-case', { type: 'finding', value: canaryFinding }, t.tokens.partnerAnalyst), 404)).error.code).toBe('NOT_FOUND');
    const body = await (await call(t.base, 'GET', '/api/cases/partner-case/export?format=md', { token: t.tokens.partnerAnalyst })).text();
    expect(body).not.toContain(CANARY);
    // Unscoped callers see every case, the partner's too.
    const all = await json<{ cases: { name: string }[] }>(await call(t.base, 'GET', '/api/cases', { token: t.tokens.viewer }));
    expect(all.cases.map((c) => c.name)).toEqual(['acme', 'partner-case']);
  });
});
