// Network scoping (a partner account sees only flows touching its prefixes, through every route,
// whatever the query says), sessions with cookies and CSRF, login rate limiting, tokens, and the
// audit trail.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJson } from './query/row-format.js';
import { call, CANARY, PARTNER_FLOWS, startTestServer, type TestServer } from './test-server.js';
import { parseToken } from './auth/api-token.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t?.close());

const inPartner = (ip: unknown) => typeof ip === 'string' && /^10\.1\.0\.\d+$/.test(ip);

async function rows(token: string, query: string, path = '/api/query'): Promise<Record<string, unknown>[]> {
  const res = await call(t.base, 'POST', path, { token, body: { query } });
  expect(res.status, await res.clone().text()).toBe(200);
  if (path === '/api/query') return ((await res.json()) as { rows: Record<string, unknown>[] }).rows;
  const text = await res.text();
  return text.trim() ? text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) : [];
}

describe('network scoping cannot be escaped', () => {
  // Queries that try to reach outside the scope: OR-ing, negating, matching everything, comments.
  const ESCAPES = [
    'any',
    `ip ${CANARY}`,
    `any or ip ${CANARY}`,
    `ip ${CANARY} or any`,
    'not net 10.1.0.0/24',
    'net 0.0.0.0/0',
    `(any) or (ip ${CANARY})`,
    `src ip ${CANARY} || dst port 80`,
    'any # ) or any',
    'ipv6',
    'dst port 80',
    `ip in [${CANARY}, 10.2.0.0/24]`,
  ];

  it.each(ESCAPES)('listing %s: every row touches the partner network', async (query) => {
    for (const token of [t.tokens.partner]) {
      const got = await rows(token, query);
      for (const r of got) expect(inPartner(r.src) || inPartner(r.dst), JSON.stringify(r)).toBe(true);
      expect(JSON.stringify(got)).not.toContain(CANARY);
    }
  });

  it.each(ESCAPES)('counting %s: never more than the partner flows', async (query) => {
    const [r] = await rows(t.tokens.partner, `${query.replace(/#.*/, '')} | count`);
    expect(Number(r?.flows ?? 0)).toBeLessThanOrEqual(PARTNER_FLOWS);
  });

  it('aggregations see only scoped flows', async () => {
    expect((await rows(t.tokens.partner, 'any | count'))[0]!.flows).toBe(PARTNER_FLOWS);
    const top = await rows(t.tokens.partner, 'any | top 100 src by flows');
    expect(top.reduce((n, r) => n + Number(r.flows), 0)).toBe(PARTNER_FLOWS);
    expect(top.map((r) => r.src)).not.toContain(CANARY);
    const timeline = await rows(t.tokens.partner, 'any | timeline 1d');
    expect(timeline.reduce((n, r) => n + Number(r.flows), 0)).toBe(PARTNER_FLOWS);
    expect(await rows(t.tokens.partner, 'not net 10.1.0.0/24')).toEqual([]);
  });

  it('streaming sees only scoped flows', async () => {
    const got = await rows(t.tokens.partner, `any or ip ${CANARY}`, '/api/query/stream');
    expect(got.length).toBe(PARTNER_FLOWS);
    for (const r of got) expect(inPartner(r.src) || inPartner(r.dst)).toBe(true);
  });

  it('exports see only scoped flows', async () => {
    const res = await call(t.base, 'POST', '/api/export', { token: t.tokens.partnerAnalyst, body: { query: `ip ${CANARY} or any`, format: 'csv' } });
    const text = await res.text();
    expect(text).not.toContain(CANARY);
    expect(text.trim().split('\n')).toHaveLength(PARTNER_FLOWS + 1);
  });

  it('autocomplete values come from scoped flows only', async () => {
    for (const filter of ['', `ip ${CANARY}`, 'any or dst port 80']) {
      const res = await call(t.base, 'GET', `/api/query/values?field=src&prefix=10.2&filter=${encodeURIComponent(filter)}`, { token: t.tokens.partner });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { values: unknown[] }).values).toEqual([]);
    }
    const own = await call(t.base, 'GET', '/api/query/values?field=src&prefix=10.1', { token: t.tokens.partner });
    expect(((await own.json()) as { values: unknown[] }).values.length).toBeGreaterThan(0);
  });

  it('stats count only scoped flows', async () => {
    const res = await call(t.base, 'GET', '/api/stats', { token: t.tokens.partner });
    expect(await res.json()).toMatchObject({ flows: PARTNER_FLOWS, scoped: true, bytesOnDisk: null, firstFlow: '2026-10-31T00:00:00.000Z' });
    const open = (await (await call(t.base, 'GET', '/api/stats', { token: t.tokens.viewer })).json()) as { flows: number };
    expect(open.flows).toBe(301);
  });

  it('a scoped user signed in through the UI is scoped too (v4 and v6 prefixes)', async () => {
    const { cookie } = await login('partner');
    const res = await fetch(`${t.base}/api/query`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ query: 'any | count' }) });
    expect(((await res.json()) as { rows: { flows: number }[]; scoped: boolean }).rows[0]!.flows).toBe(PARTNER_FLOWS + 1);
  });

  it('admins cannot be scoped', async () => {
    const res = await call(t.base, 'POST', '/api/tokens', { token: t.tokens.admin, body: { name: 'x', role: 'admin', scopes: ['10.0.0.0/8'] } });
    expect(res.status).toBe(400);
  });
});

let csrf = '';
async function login(username: string, password = t.password, headers: Record<string, string> = {}): Promise<{ res: Response; cookie: string }> {
  const res = await fetch(`${t.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username, password }) });
  const setCookie = res.headers.get('set-cookie') ?? '';
  if (res.ok) csrf = ((await res.clone().json()) as { csrfToken: string }).csrfToken;
  return { res, cookie: setCookie.split(';')[0]! };
}

describe('sessions', () => {
  it('sign-in sets an HttpOnly, SameSite=Strict cookie and returns a CSRF token', async () => {
    const { res } = await login('victor');
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^vantage_session=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toMatch(/Secure/); // plain HTTP on loopback
    expect(await res.json()).toMatchObject({ name: 'victor', role: 'viewer', csrfToken: expect.any(String) });
  });

  it('the cookie reads; changes need the CSRF token and a same-origin request', async () => {
    const { cookie } = await login('alice');
    const me = await fetch(`${t.base}/api/auth/me`, { headers: { cookie } });
    expect(await me.json()).toMatchObject({ name: 'alice', role: 'admin' });
    const body = JSON.stringify({ name: 'csrf-test', role: 'viewer' });
    const without = await fetch(`${t.base}/api/tokens`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body });
    expect(without.status).toBe(403);
    expect(((await without.json()) as { error: { code: string } }).error.code).toBe('AUTH_CSRF');
    const cross = await fetch(`${t.base}/api/tokens`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf, origin: 'https://evil.example' }, body });
    expect(cross.status).toBe(403);
    const ok = await fetch(`${t.base}/api/tokens`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf, origin: t.base }, body });
    expect(ok.status).toBe(201);
    const out = await fetch(`${t.base}/api/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.status).toBe(204);
    expect((await fetch(`${t.base}/api/auth/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('cross-site sign-in is refused', async () => {
    const { res } = await login('alice', t.password, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
  });

  it('rate limits failed sign-ins per account, with Retry-After', async () => {
    for (let i = 0; i < 5; i++) expect((await login('ratelimited', 'wrong password!!')).res.status).toBe(401);
    const { res } = await login('ratelimited', 'wrong password!!');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AUTH_RATE_LIMITED');
  });

  it('a disabled user loses the session at once', async () => {
    await call(t.base, 'POST', '/api/users', { token: t.tokens.admin, body: { name: 'leaver', role: 'viewer', password: 'a long enough password' } });
    const { cookie } = await login('leaver', 'a long enough password');
    expect((await fetch(`${t.base}/api/auth/me`, { headers: { cookie } })).status).toBe(200);
    await call(t.base, 'PATCH', '/api/users/leaver', { token: t.tokens.admin, body: { disabled: true } });
    expect((await fetch(`${t.base}/api/auth/me`, { headers: { cookie } })).status).toBe(401);
    expect((await login('leaver', 'a long enough password')).res.status).toBe(401);
  });

  it('users change their own password', async () => {
    await call(t.base, 'POST', '/api/users', { token: t.tokens.admin, body: { name: 'changer', role: 'viewer', password: 'a long enough password' } });
    const { cookie } = await login('changer', 'a long enough password');
    const res = await fetch(`${t.base}/api/auth/password`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ currentPassword: 'a long enough password', newPassword: 'another long password' }),
    });
    expect(res.status).toBe(204);
    expect((await login('changer', 'another long password')).res.status).toBe(200);
    expect((await call(t.base, 'POST', '/api/auth/password', { token: t.tokens.viewer, body: { currentPassword: 'x', newPassword: 'y' } })).status).toBe(403);
  });

  it('secure cookies behind TLS use the __Host- prefix', async () => {
    const tls = await startTestServer({ cookieSecure: 'always' });
    try {
      const res = await fetch(`${tls.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: tls.password }) });
      expect(res.headers.get('set-cookie')).toMatch(/^__Host-vantage_session=.*; Path=\/; .*HttpOnly; Secure; SameSite=Strict/);
    } finally {
      await tls.close();
    }
  });
});

describe('tokens', () => {
  it('stores only a hash, and stops working when revoked', async () => {
    const created = (await (await call(t.base, 'POST', '/api/tokens', { token: t.tokens.admin, body: { name: 'short-lived', role: 'viewer' } })).json()) as { token: string; record: { id: string } };
    const secret = parseToken(created.token)!.secret; // base64url may itself hold '_'
    const stored = toJson(await t.store.execute('SELECT * FROM vantage_tokens'));
    expect(stored).not.toContain(secret);
    expect((await call(t.base, 'GET', '/api/stats', { token: created.token })).status).toBe(200);
    await call(t.base, 'POST', `/api/tokens/${created.record.id}/revoke`, { token: t.tokens.admin });
    expect((await call(t.base, 'GET', '/api/stats', { token: created.token })).status).toBe(401);
  });

  it('password hashes are scrypt, never the password', async () => {
    const stored = toJson(await t.store.execute('SELECT * FROM vantage_users'));
    expect(stored).not.toContain(t.password);
    expect(stored).toContain('scrypt$');
  });
});

describe('audit trail', () => {
  it('records queries, exports and admin actions with who, what and how many rows', async () => {
    await call(t.base, 'POST', '/api/query', { token: t.tokens.analyst, body: { query: 'dst port 22 | top 4 dst by flows' } });
    await call(t.base, 'POST', '/api/query', { token: t.tokens.analyst, body: { query: 'port nonsense' } });
    await call(t.base, 'POST', '/api/export', { token: t.tokens.analyst, body: { query: 'dst port 22 | limit 7', format: 'ndjson' } });
    await call(t.base, 'POST', '/api/users', { token: t.tokens.admin, body: { name: 'audited', role: 'analyst', password: 'a long enough password' } });
    const res = await call(t.base, 'GET', '/api/audit?actor=analyst', { token: t.tokens.admin });
    const { entries } = (await res.json()) as { entries: { action: string; target: string; rows: number; status: string; errorCode: string | null; actorKind: string; role: string }[] };
    expect(entries.find((e) => e.target === 'dst port 22 | top 4 dst by flows')).toMatchObject({ action: 'query', rows: 4, status: 'ok', actorKind: 'token', role: 'analyst' });
    expect(entries.find((e) => e.target === 'port nonsense')).toMatchObject({ action: 'query', status: 'error', errorCode: 'QUERY_VALUE' });
    expect(entries.find((e) => e.action === 'export')).toMatchObject({ target: 'dst port 22 | limit 7', rows: 7 });
    const admin = (await (await call(t.base, 'GET', '/api/audit?action=user.create', { token: t.tokens.admin })).json()) as { entries: { target: string; actor: string }[] };
    expect(admin.entries.find((e) => e.target === 'audited')).toMatchObject({ actor: 'admin' });
    const failed = (await (await call(t.base, 'GET', '/api/audit?action=login.failed', { token: t.tokens.admin })).json()) as { entries: unknown[] };
    expect(failed.entries.length).toBeGreaterThan(0);
  });

  it('exports as CSV and JSON, and the export is itself recorded', async () => {
    const csv = await call(t.base, 'GET', '/api/audit/export?format=csv&action=query', { token: t.tokens.admin });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const text = await csv.text();
    expect(text.split('\n')[0]).toBe('id,at,time,actor,actorKind,actorId,role,action,target,detail,rows,status,errorCode,client,elapsedMs');
    expect(text).toContain('dst port 22 | top 4 dst by flows');
    const json = (await (await call(t.base, 'GET', '/api/audit/export?format=json', { token: t.tokens.admin })).json()) as unknown[];
    expect(json.length).toBeGreaterThan(5);
    const exports = (await (await call(t.base, 'GET', '/api/audit?action=audit.export', { token: t.tokens.admin })).json()) as { entries: unknown[] };
    expect(exports.entries.length).toBe(2);
  });
});
