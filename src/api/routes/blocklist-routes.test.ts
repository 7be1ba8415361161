// The block list routes on a real server: saving criteria (analysts, audited), building a saved
// list as JSON and in firewall formats, the EDL a firewall polls with a viewer token, the
// refusals (scoped callers, viewers saving, bad criteria, unknown lists), and a re-save showing
// at once. Findings are written by hand with known roles and times, so the expected list is
// worked out here: one scanner listed, an expired attacker and a documentation-range C2 held.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingId, isoTime, type Finding } from '../../detect/finding.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import type { BlockList } from '../../share/blocklist/blocklist.js';
import { call, startTestServer, type TestServer } from '../test-server.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type NewFinding = Omit<Finding, 'status' | 'note' | 'runs'>;

function finding(kind: string, score: number, entities: Finding['entities'], first: number, last: number): NewFinding {
  return {
    id: findingId(kind, 'blocklist-route', ...entities.map((e) => e.value)),
    kind,
    subkind: 'test',
    score,
    subscores: {},
    severity: 'medium',
    src: entities[0]!.value,
    dst: entities[1]?.value ?? null,
    dport: null,
    proto: 6,
    entities,
    first: isoTime(first),
    last: isoTime(last),
    summary: `${kind} test`,
    evidence: { counts: {}, query: `host ${entities[0]!.value}`, from: isoTime(first), to: isoTime(last), sample: [] },
    intel: [],
  };
}

interface AuditEntry {
  action: string;
  target: string;
  status: string;
  errorCode: string | null;
  actor: string;
}

describe('block list routes', () => {
  let t: TestServer;
  let scanLast: number;

  const json = async <T>(res: Response, status = 200): Promise<T> => {
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as T;
  };
  const auditOf = async (action: string): Promise<AuditEntry[]> =>
    (await json<{ entries: AuditEntry[] }>(await call(t.base, 'GET', `/api/audit?action=${action}`, { token: t.tokens.admin }))).entries;

  beforeAll(async () => {
    t = await startTestServer();
    const now = Date.now();
    scanLast = now - HOUR;
    const repo = new FindingsRepository(t.store);
    await repo.ensureTables();
    await repo.save([
      finding('scan', 0.93, [{ role: 'scanner', type: 'ip', value: '185.220.101.4' }, { role: 'target', type: 'ip', value: '10.1.0.5' }], now - 2 * HOUR, scanLast),
      // Last active 10 days ago: past a 7-day expiry.
      finding('bruteforce', 0.8, [{ role: 'attacker', type: 'ip', value: '45.148.10.157' }, { role: 'victim', type: 'ip', value: '10.1.0.9' }], now - 11 * DAY, now - 10 * DAY),
      // The infected host is ours and never listed; its C2 sits in TEST-NET-3 (reserved).
      finding('c2', 0.7, [{ role: 'infected', type: 'ip', value: '10.1.0.3' }, { role: 'c2', type: 'ip', value: '203.0.113.77' }], now - 3 * HOUR, now - 2 * HOUR),
    ]);
  }, 120_000);
  afterAll(async () => t?.close());

  it('POST /api/blocklists saves criteria (analyst, audited); GET /api/blocklists lists them', async () => {
    const saved = await json<{ name: string; savedBy: string; criteria: unknown }>(
      await call(t.base, 'POST', '/api/blocklists', { token: t.tokens.analyst, body: { name: 'edge', description: 'perimeter drop list', criteria: { expire: '7d' } } }),
    );
    expect(saved).toMatchObject({ name: 'edge', savedBy: 'analyst', criteria: { expire: '7d' } });
    const listed = await json<{ blocklists: { name: string; description: string }[] }>(await call(t.base, 'GET', '/api/blocklists', { token: t.tokens.viewer }));
    expect(listed.blocklists.map((b) => [b.name, b.description])).toEqual([['edge', 'perimeter drop list']]);
    const [entry] = await auditOf('blocklist.save');
    expect(entry).toMatchObject({ action: 'blocklist.save', target: 'edge', status: 'ok', actor: 'analyst' });
  });

  it('GET /api/blocklists/{name}: the list built now, with held entries and their reasons', async () => {
    const list = await json<BlockList>(await call(t.base, 'GET', '/api/blocklists/edge', { token: t.tokens.viewer }));
    expect(list.name).toBe('edge');
    expect(list.entries.map((e) => [e.value, e.reason, e.confidence, e.expires])).toEqual([['185.220.101.4', 'scan scanner (score 0.93)', 93, isoTime(scanLast + 7 * DAY)]]);
    expect(list.entries[0]!.evidence).toMatchObject([{ type: 'finding', kind: 'scan', role: 'scanner', query: 'host 185.220.101.4' }]);
    expect(list.held.map((h) => [h.value, h.held.map((r) => r.rule)])).toEqual([
      ['45.148.10.157', ['expired']],
      ['203.0.113.77', ['reserved']],
    ]);
    expect(list.held[1]!.held[0]!.detail).toBe('203.0.113.77 lies in 203.0.113.0/24, documentation TEST-NET-3 (RFC 5737)');
  });

  it('GET /api/blocklists/{name}/edl: plain text, one entry per line, for a viewer token', async () => {
    const res = await call(t.base, 'GET', '/api/blocklists/edge/edl', { token: t.tokens.viewer });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('185.220.101.4\n');
  });

  it('?format= gives the firewall and CSV forms with their content types', async () => {
    const nft = await call(t.base, 'GET', '/api/blocklists/edge?format=nft', { token: t.tokens.viewer });
    expect(nft.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const script = await nft.text();
    expect(script).toMatch(/^# Vantage block list edge built \S+: 1 entries, 2 held back\ntable inet vantage \{/);
    expect(script).toMatch(/\nadd element inet vantage vantage_block_v4 \{ 185\.220\.101\.4 timeout \d+s \}\n$/);
    const csv = await call(t.base, 'GET', '/api/blocklists/edge?format=csv', { token: t.tokens.viewer });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect((await csv.text()).split('\n')[0]).toBe('value,reason,confidence,expires,evidence');
    const bad = await json<{ error: { code: string } }>(await call(t.base, 'GET', '/api/blocklists/edge?format=xml', { token: t.tokens.viewer }), 400);
    expect(bad.error.code).toBe('REQUEST_INVALID');
  });

  it('a re-save shows at once (the one-minute cache is dropped): a 30-day brute-force list', async () => {
    await json(await call(t.base, 'POST', '/api/blocklists', { token: t.tokens.analyst, body: { name: 'edge', criteria: { kinds: ['bruteforce'], expire: '30d' } } }));
    const res = await call(t.base, 'GET', '/api/blocklists/edge/edl', { token: t.tokens.viewer });
    expect(await res.text()).toBe('45.148.10.157\n');
  });

  it('refusals: viewers may not save, scoped callers may not read, bad criteria are 400s (audited), unknown lists 404', async () => {
    const viewer = await json<{ error: { code: string } }>(await call(t.base, 'POST', '/api/blocklists', { token: t.tokens.viewer, body: { name: 'x' } }), 403);
    expect(viewer.error.code).toBe('AUTH_FORBIDDEN');
    for (const path of ['/api/blocklists', '/api/blocklists/edge', '/api/blocklists/edge/edl']) {
      const scoped = await json<{ error: { code: string; message: string } }>(await call(t.base, 'GET', path, { token: t.tokens.partner }), 403);
      expect(scoped.error.message).toBe('block lists cover every network: a caller limited to some networks may not read them');
    }
    const badExpire = await json<{ error: { code: string; message: string } }>(
      await call(t.base, 'POST', '/api/blocklists', { token: t.tokens.analyst, body: { name: 'bad', criteria: { expire: 'soon' } } }),
      400,
    );
    expect(badExpire.error).toEqual({ code: 'REQUEST_INVALID', message: "block list criteria: expire: a duration such as 12h, 7d or 2w, or 'never'" });
    const badName = await json<{ error: { message: string } }>(await call(t.base, 'POST', '/api/blocklists', { token: t.tokens.analyst, body: { name: '../etc' } }), 400);
    expect(badName.error.message).toContain("'../etc' is not a block list name");
    expect((await auditOf('blocklist.save')).filter((e) => e.status === 'error').map((e) => [e.target, e.errorCode])).toEqual([
      ['../etc', 'REQUEST_INVALID'],
      ['bad', 'REQUEST_INVALID'],
    ]);
    for (const path of ['/api/blocklists/nope', '/api/blocklists/nope/edl']) {
      const missing = await json<{ error: { code: string; message: string } }>(await call(t.base, 'GET', path, { token: t.tokens.viewer }), 404);
      expect(missing.error).toEqual({ code: 'NOT_FOUND', message: "no block list 'nope'" });
    }
  });

  it('DELETE /api/blocklists/{name} (analyst, audited), then it is gone', async () => {
    expect(await json(await call(t.base, 'DELETE', '/api/blocklists/edge', { token: t.tokens.analyst }))).toEqual({ removed: 'edge' });
    await json(await call(t.base, 'GET', '/api/blocklists/edge/edl', { token: t.tokens.viewer }), 404);
    await json(await call(t.base, 'DELETE', '/api/blocklists/edge', { token: t.tokens.analyst }), 404);
    expect((await auditOf('blocklist.remove')).map((e) => [e.target, e.status])).toEqual([
      ['edge', 'error'],
      ['edge', 'ok'],
    ]);
  });
});
