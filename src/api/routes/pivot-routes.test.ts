// The profile and pivot routes over a real server: the test server's hand-built fixture flows
// (src/api/test-server.ts) plus two passive-DNS observations. Expected edges, counts and bytes
// are worked out by hand from the fixture's generating rules, written next to each assertion.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendPassiveDns } from '../../store/passive-dns-table.js';
import { call, CANARY, startTestServer, T0, fixtureFlows, type TestServer } from '../test-server.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}
interface Edge {
  from: string;
  to: string;
  relation: string;
  count: number;
  first: string | null;
  last: string | null;
  ports?: number[];
  bytes?: number;
}
interface Graph {
  root: string;
  depth: number;
  nodes: { id: string; type: string; value: string; tags: string[]; depth: number }[];
  edges: Edge[];
  truncated: { node: string; relation: string; shown: number; total: number }[];
  timedOut: boolean;
  scoped: boolean;
}
interface Profile {
  entity: { type: string; value: string };
  flows: { query: string | null; flows: number; bytes: number; packets: number; first: string | null; last: string | null };
  dns: { names: { value: string; type: string; count: number }[] };
  peers: { asSource: { peer: string; ports: number[]; flows: number; bytes: number }[]; asDestination: { peer: string; ports: number[]; flows: number; bytes: number }[] };
  members: { address: string; flows: number }[];
  scoped: boolean;
}
interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  rows: number;
  status: string;
  errorCode: string | null;
}

const at = (i: number) => new Date(T0 + i * 60_000).toISOString();
const endAt = (i: number) => new Date(T0 + i * 60_000 + 500).toISOString();
/** An edge as `from relation to`, talked-to with its ends in order (it has no direction). */
const key = (e: Edge) => (e.relation === 'talked-to' ? `${[e.from, e.to].sort().join(' ~ ')}` : `${e.from} ${e.relation} ${e.to}`);
const talk = (a: string, b: string) => [`ip:${a}`, `ip:${b}`].sort().join(' ~ ');

describe('profile and pivot routes', () => {
  let t: TestServer;
  const json = async <T>(res: Response, status = 200): Promise<T> => {
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as T;
  };
  const get = (path: string, token: string) => call(t.base, 'GET', path, { token });

  beforeAll(async () => {
    t = await startTestServer({}, async (store) => {
      await store.appendFlows(fixtureFlows());
      await appendPassiveDns(store, [
        { rrname: 'partner.example', rrtype: 'A', rdata: '10.1.0.1', firstSeen: T0, lastSeen: T0 + 3_600_000, count: 3, sensor: 's1' },
        { rrname: 'outside.example', rrtype: 'A', rdata: CANARY, firstSeen: T0, lastSeen: T0 + 60_000, count: 2, sensor: 's1' },
      ]);
    });
  }, 60_000);
  afterAll(async () => t?.close());

  it('needs credentials and checks its input', async () => {
    expect((await call(t.base, 'GET', '/api/pivot?entity=10.1.0.1')).status).toBe(401);
    expect((await call(t.base, 'GET', '/api/profile/10.1.0.1')).status).toBe(401);
    const bad: [string, string, string?][] = [
      ['/api/pivot?entity=10.1.0.300', 'REQUEST_INVALID', 'entity'],
      ['/api/pivot?entity=', 'REQUEST_INVALID', 'entity'],
      ['/api/pivot?entity=10.1.0.1&depth=5', 'REQUEST_INVALID', 'depth'],
      ['/api/pivot?entity=10.1.0.1&limit=0', 'REQUEST_INVALID', 'limit'],
      ['/api/pivot?entity=10.1.0.1&from=sometime', 'TIME_FORMAT'],
      ['/api/pivot?entity=10.1.0.1&from=2030-01-01T00:00Z&to=2020-01-01T00:00Z', 'REQUEST_INVALID', 'from'],
      ['/api/profile/not%20an%20entity!', 'REQUEST_INVALID', 'entity'],
      [`/api/profile/${'ab'.repeat(32)}`, 'REQUEST_INVALID', 'entity'],
    ];
    for (const [path, code, field] of bad) {
      const e = await json<ErrorBody>(await get(path, t.tokens.viewer), 400);
      expect(e.error.code, path).toBe(code);
      if (field) expect(e.error.field, path).toBe(field);
    }
  });

  it('GET /api/pivot: the graph of 10.1.0.1 at depth 1, edges as the fixture makes them', async () => {
    const g = await json<Graph>(await get('/api/pivot?entity=10.1.0.1&depth=1', t.tokens.viewer));
    expect(g).toMatchObject({ root: 'ip:10.1.0.1', depth: 1, timedOut: false, scoped: false, truncated: [] });
    // Fixture: flow i of 0..99 goes 10.1.0.(i%50) -> 198.51.100.(i%20):443 with bytes 1000+i; flow
    // 100+i goes 203.0.113.(i%30) -> 10.1.0.(i%10):22 with bytes 1100+i. For 10.1.0.1: i=1 and 51
    // (to .1 and .11), and i=1,11,...,91 inbound from 203.0.113.{1,11,21,1,11,21,1,11,21,1}.
    const byKey = new Map(g.edges.map((e) => [key(e), e]));
    expect([...byKey.keys()].sort()).toEqual(
      [talk('10.1.0.1', '203.0.113.1'), talk('10.1.0.1', '203.0.113.11'), talk('10.1.0.1', '203.0.113.21'), talk('10.1.0.1', '198.51.100.1'), talk('10.1.0.1', '198.51.100.11'), 'domain:partner.example resolved-to ip:10.1.0.1'].sort(),
    );
    // 203.0.113.1: flows 101, 131, 161, 191 -> 1101 + 1131 + 1161 + 1191 bytes.
    expect(byKey.get(talk('10.1.0.1', '203.0.113.1'))).toMatchObject({ count: 4, bytes: 4584, ports: [22], first: at(101), last: endAt(191) });
    expect(byKey.get(talk('10.1.0.1', '203.0.113.11'))).toMatchObject({ count: 3, bytes: 1111 + 1141 + 1171, ports: [22] });
    expect(byKey.get(talk('10.1.0.1', '203.0.113.21'))).toMatchObject({ count: 3, bytes: 1121 + 1151 + 1181, ports: [22] });
    expect(byKey.get(talk('10.1.0.1', '198.51.100.1'))).toMatchObject({ count: 1, bytes: 1001, ports: [443], first: at(1), last: endAt(1) });
    expect(byKey.get(talk('10.1.0.1', '198.51.100.11'))).toMatchObject({ count: 1, bytes: 1051, ports: [443] });
    expect(byKey.get('domain:partner.example resolved-to ip:10.1.0.1')).toMatchObject({ count: 3, first: new Date(T0).toISOString(), last: new Date(T0 + 3_600_000).toISOString() });
    expect(g.nodes.find((n) => n.id === 'domain:partner.example')).toMatchObject({ type: 'domain', value: 'partner.example', depth: 1 });

    // --limit keeps the strongest edges of each relation and counts the rest.
    const two = await json<Graph>(await get('/api/pivot?entity=10.1.0.1&depth=1&limit=2', t.tokens.viewer));
    expect(two.edges.filter((e) => e.relation === 'talked-to').map((e) => e.to).sort()).toEqual(['ip:203.0.113.1', 'ip:203.0.113.21']);
    expect(two.truncated).toEqual([{ node: 'ip:10.1.0.1', relation: 'talked-to', shown: 2, total: 5 }]);
    // A window: flows 100..199 start at T0+100 min; from then on only the inbound peers remain.
    const late = await json<Graph>(await get(`/api/pivot?entity=10.1.0.1&depth=1&from=${encodeURIComponent(at(100))}`, t.tokens.viewer));
    expect(late.edges.filter((e) => e.relation === 'talked-to').map((e) => e.to).sort()).toEqual(['ip:203.0.113.1', 'ip:203.0.113.11', 'ip:203.0.113.21']);
  });

  it('nothing known is a 404 naming the entity', async () => {
    const e = await json<ErrorBody>(await get('/api/pivot?entity=192.0.2.77', t.tokens.viewer), 404);
    expect(e.error).toMatchObject({ code: 'NOT_FOUND', message: 'nothing known about 192.0.2.77' });
    const p = await json<ErrorBody>(await get('/api/profile/nobody.example', t.tokens.viewer), 404);
    expect(p.error).toMatchObject({ code: 'NOT_FOUND', message: 'nothing known about nobody.example' });
    // An AS is a starting point too; the fixture's flows carry no AS numbers.
    const a = await json<ErrorBody>(await get('/api/pivot?entity=AS64500', t.tokens.viewer), 404);
    expect(a.error).toMatchObject({ code: 'NOT_FOUND', message: 'nothing known about AS64500' });
  });

  it('GET /api/profile: an address, a network (encoded slash) and a domain', async () => {
    const p = await json<Profile>(await get('/api/profile/10.1.0.1', t.tokens.viewer));
    // 2 outbound flows (1001 + 1051 bytes) and 10 inbound (1101..1191, step 10: 10 * 1146 bytes).
    expect(p.flows).toMatchObject({ query: 'host 10.1.0.1', flows: 12, bytes: 1001 + 1051 + 11460, first: at(1), last: endAt(191) });
    expect(p.dns.names).toEqual([expect.objectContaining({ value: 'partner.example', type: 'A', count: 3 })]);
    expect(p.peers.asSource).toEqual([
      { peer: '198.51.100.11', ports: [443], flows: 1, bytes: 1051, packets: 10 + (51 % 7) },
      { peer: '198.51.100.1', ports: [443], flows: 1, bytes: 1001, packets: 11 },
    ]);
    expect(p.peers.asDestination.map((x) => [x.peer, x.flows, x.bytes])).toEqual([
      ['203.0.113.1', 4, 4584],
      ['203.0.113.21', 3, 3453],
      ['203.0.113.11', 3, 3423],
    ]);
    expect(p.scoped).toBe(false);

    // 10.1.0.0/25 holds every 10.1.0.x of the fixture (0..49): all 200 flows touching the partner.
    const net = await json<Profile>(await get('/api/profile/10.1.0.0%2F25', t.tokens.viewer));
    expect(net.entity).toEqual({ type: 'cidr', value: '10.1.0.0/25' });
    expect(net.flows.flows).toBe(200);
    expect(net.members).toHaveLength(10);

    const d = await json<Profile>(await get('/api/profile/Partner.Example.', t.tokens.viewer));
    expect(d.entity).toEqual({ type: 'domain', value: 'partner.example' });
    expect(d.flows.flows).toBe(12);
  });

  it('a scoped caller cannot see outside its networks through either route', async () => {
    const partner = t.tokens.partner;
    // From 10.1.0.0 at depth 2 the graph reaches 198.51.100.0 and 198.51.100.10, whose other peers
    // are the canary (flows 200, 220, ..., 280: i%4 == 0) and 10.2.0.10 / 10.2.0.30 (i = 210..290).
    const full = await json<Graph>(await get('/api/pivot?entity=10.1.0.0&depth=2', t.tokens.viewer));
    const scoped = await json<Graph>(await get('/api/pivot?entity=10.1.0.0&depth=2', partner));
    expect(full.nodes.map((n) => n.id)).toEqual(expect.arrayContaining([`ip:${CANARY}`, 'ip:10.2.0.10', 'ip:10.2.0.30']));
    // Root: 198.51.100.{0,10} and 203.0.113.{0,10,20} (5 edges); 198.51.100.0 and .10 each also
    // talked with 10.1.0.{10,20,30,40} (8 edges); the three outside edges make 16 in all.
    expect(full.edges).toHaveLength(16);
    expect(scoped.scoped).toBe(true);
    expect(scoped.edges).toHaveLength(13);
    for (const n of scoped.nodes) expect(n.id.startsWith('ip:10.2.'), n.id).toBe(false);
    for (const e of scoped.edges) expect([e.from, e.to].some((id) => id.startsWith('ip:10.1.0.')), key(e)).toBe(true);

    // Roots that nothing in its networks connects to are unknown to it; a domain that resolved
    // to one of its addresses is not.
    for (const entity of [CANARY, 'outside.example']) {
      const e = await json<ErrorBody>(await get(`/api/pivot?entity=${entity}&depth=2`, partner), 404);
      expect(e.error.message, entity).toBe(`nothing known about ${entity} within your networks (10.1.0.0/24)`);
    }
    expect((await json<Graph>(await get(`/api/pivot?entity=${CANARY}&depth=1`, t.tokens.viewer))).edges.length).toBeGreaterThan(0);
    const domain = await json<Graph>(await get('/api/pivot?entity=partner.example&depth=1', partner));
    expect(domain.edges.map(key)).toEqual(['domain:partner.example resolved-to ip:10.1.0.1']);
    // An outside peer of its addresses shows only its flows with them, as a query would:
    // 198.51.100.0 talked with 10.1.0.{0,10,20,30,40} (flows 0, 60, 20, 80, 40) and the canary.
    const peer = await json<Graph>(await get('/api/pivot?entity=198.51.100.0&depth=1', partner));
    expect(peer.edges.map((e) => [e.to, e.count])).toEqual([['ip:10.1.0.30', 1], ['ip:10.1.0.10', 1], ['ip:10.1.0.40', 1], ['ip:10.1.0.20', 1], ['ip:10.1.0.0', 1]]);
    const peerFull = await json<Graph>(await get('/api/pivot?entity=198.51.100.0&depth=1', t.tokens.viewer));
    expect(peerFull.edges.find((e) => e.to === `ip:${CANARY}`)).toMatchObject({ count: 5 });

    // Profiles: addresses and networks inside its networks only.
    expect((await json<Profile>(await get('/api/profile/10.1.0.1', partner))).flows.flows).toBe(12);
    expect((await json<Profile>(await get('/api/profile/10.1.0.0%2F25', partner))).flows.flows).toBe(200);
    for (const entity of [CANARY, '198.51.100.0', '10.0.0.0%2F8', 'partner.example']) {
      const e = await json<ErrorBody>(await get(`/api/profile/${entity}`, partner), 404);
      expect(e.error.code, entity).toBe('NOT_FOUND');
    }
  });

  it('every profile and pivot is in the audit trail, errors with their code', async () => {
    const entries = async (action: string) => (await json<{ entries: AuditEntry[] }>(await get(`/api/audit?action=${action}&limit=500`, t.tokens.admin))).entries;
    const pivots = await entries('pivot');
    const first = pivots.find((e) => e.target === '10.1.0.1' && e.detail.depth === 1 && e.detail.limit === 10 && e.detail.from === undefined)!;
    expect(first).toMatchObject({ actor: 'viewer', status: 'ok', rows: 6 });
    expect(pivots.find((e) => e.target === CANARY && e.actor === 'partner')).toMatchObject({ status: 'error', errorCode: 'NOT_FOUND', detail: { scope: ['10.1.0.0/24'] } });
    expect(pivots.find((e) => e.target === '10.1.0.300')).toMatchObject({ status: 'error', errorCode: 'REQUEST_INVALID' });
    const profiles = await entries('profile');
    expect(profiles.find((e) => e.target === '10.1.0.0/25' && e.actor === 'partner')).toMatchObject({ status: 'ok' });
    expect(profiles.find((e) => e.target === 'nobody.example')).toMatchObject({ status: 'error', errorCode: 'NOT_FOUND' });
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await json<{ paths: Record<string, unknown> }>(await get('/api/openapi.json', t.tokens.viewer));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/profile/{entity}', '/api/pivot']));
  });
});
