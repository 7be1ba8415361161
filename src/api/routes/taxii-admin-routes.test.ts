// TAXII administration over the API against live servers on 127.0.0.1: collections created and
// listed with object counts, a token granted by name, our STIX export published into a collection
// and read back by the granted token through the TAXII server itself (the same ids as GET
// /api/share/stix), and a peer's collection pulled into intelligence from a second server (full,
// then incremental), looked up afterwards through the intel route. Roles, network-scoped callers
// and bad input refused; changes audited without the peer's token.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import { TaxiiRepository } from '../../share/taxii/taxii-repository.js';
import { parseToken } from '../auth/api-token.js';
import { seedSharedC2 } from '../../share/testing/share-fixtures.js';
import { call, startTestServer, type TestServer } from '../test-server.js';

const MEDIA = 'application/taxii+json;version=2.1';
let t: TestServer; // us
let peer: TestServer; // the peer we pull from
let peerToken: string; // what the peer issued us, with a read grant on its collection
let peerCollection: string;
let acmeToken: string; // a token of ours, granted on our collection
const at = new Date(Date.UTC(2026, 9, 31, 12)).toISOString();

function indicator(n: number) {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--00000000-0000-4000-8000-00000000000${n}`,
    created: '2026-01-01T00:00:00.000Z',
    modified: '2026-01-01T00:00:00.000Z',
    pattern: `[domain-name:value = 'c2-${n}.example']`,
    pattern_type: 'stix',
    valid_from: '2026-01-01T00:00:00.000Z',
  };
}

beforeAll(async () => {
  t = await startTestServer();
  // What we share: one C2 indicator from a feed and one finding accusing it.
  await seedSharedC2(t.store, t.dir, at);
  acmeToken = (await t.server.accounts.createToken({ name: 'peer-acme', role: 'peer' }, 'test')).token;

  peer = await startTestServer();
  const repo = new TaxiiRepository(peer.store);
  await repo.ensureTables();
  peerCollection = (await repo.addCollection({ title: 'Peer feed' })).id;
  const minted = await peer.server.accounts.createToken({ name: 'us', role: 'peer' }, 'test');
  peerToken = minted.token;
  await repo.grant(minted.record.id, peerCollection, { read: true, write: false });
  await repo.addObjects(peerCollection, [indicator(1), indicator(2)], (us) => new Date(Math.floor(us / 1000)).toISOString());
}, 60_000);

afterAll(async () => {
  await peer?.close();
  await t?.close();
});

const as = (who: keyof TestServer['tokens'], method: string, path: string, body?: unknown) => call(t.base, method, path, { token: t.tokens[who], body });

describe('TAXII collections and grants', () => {
  let id: string;

  it('creates a collection (admin) and refuses a second with the same alias', async () => {
    const res = await as('admin', 'POST', '/api/taxii/collections', { title: 'Shared indicators', alias: 'shared', description: 'for peers' });
    expect(res.status).toBe(201);
    const c = (await res.json()) as { id: string; alias: string; objects: number; url: string };
    expect(c.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(c).toMatchObject({ alias: 'shared', objects: 0, url: `/taxii2/api1/collections/${c.id}/` });
    id = c.id;
    const again = await as('admin', 'POST', '/api/taxii/collections', { title: 'Other', alias: 'shared' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('CONFLICT');
    const bad = await as('admin', 'POST', '/api/taxii/collections', { title: 'Other', alias: 'has space' });
    expect(bad.status).toBe(400);
    expect((await as('analyst', 'POST', '/api/taxii/collections', { title: 'Mine' })).status).toBe(403);
  });

  it('grants a token read access by name; the grant is what the TAXII server then enforces', async () => {
    const before = await fetch(`${t.base}/taxii2/api1/collections/${id}/`, { headers: { accept: MEDIA, authorization: `Bearer ${acmeToken}` } });
    expect(before.status).toBe(404);
    const res = await as('admin', 'POST', '/api/taxii/grants', { token: 'peer-acme', collection: 'shared', read: true });
    expect(res.status).toBe(200);
    const tokenId = parseToken(acmeToken)!.id;
    expect(await res.json()).toEqual({ tokenId, tokenName: 'peer-acme', collectionId: id, collectionTitle: 'Shared indicators', read: true, write: false });
    const after = await fetch(`${t.base}/taxii2/api1/collections/${id}/`, { headers: { accept: MEDIA, authorization: `Bearer ${acmeToken}` } });
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ id, can_read: true, can_write: false });
    const grants = (await (await as('admin', 'GET', '/api/taxii/grants')).json()) as { grants: unknown[] };
    expect(grants.grants).toEqual([{ tokenId, tokenName: 'peer-acme', collectionId: id, collectionTitle: 'Shared indicators', read: true, write: false }]);
    expect((await as('admin', 'POST', '/api/taxii/grants', { token: 'nobody', collection: 'shared', read: true })).status).toBe(404);
    expect((await as('admin', 'POST', '/api/taxii/grants', { token: 'peer-acme', collection: 'nope', read: true })).status).toBe(404);
    expect((await as('analyst', 'GET', '/api/taxii/grants')).status).toBe(403);
  });

  it('publishes our STIX export; the granted token reads exactly the bundle of GET /api/share/stix', async () => {
    const res = await as('analyst', 'POST', '/api/taxii/publish', { collection: 'shared', tlp: 'green', org: 'Bank CTI' });
    expect(res.status).toBe(200);
    const summary = (await res.json()) as { collection: string; objects: number; added: number; unchanged: number; indicators: number; sightings: number };
    const bundle = (await (await as('analyst', 'GET', '/api/share/stix?tlp=green&org=Bank%20CTI')).json()) as { objects: { id: string }[] };
    expect(summary).toEqual({ collection: id, objects: bundle.objects.length, added: bundle.objects.length, unchanged: 0, indicators: 1, sightings: 1 });
    const read = await fetch(`${t.base}/taxii2/api1/collections/${id}/objects/?limit=1000`, { headers: { accept: MEDIA, authorization: `Bearer ${acmeToken}` } });
    const envelope = (await read.json()) as { objects: { id: string }[]; more: boolean };
    expect(envelope.more).toBe(false);
    expect(envelope.objects.map((o) => o.id).sort()).toEqual(bundle.objects.map((o) => o.id).sort());
    // The same export again adds nothing (the SCOs, which carry no version, included).
    expect(await (await as('admin', 'POST', '/api/taxii/publish', { collection: id, tlp: 'green', org: 'Bank CTI' })).json()).toMatchObject({ added: 0, unchanged: bundle.objects.length });
    const listed = (await (await as('analyst', 'GET', '/api/taxii/collections')).json()) as { collections: { id: string; objects: number; versions: number }[] };
    expect(listed.collections.find((c) => c.id === id)).toMatchObject({ objects: bundle.objects.length, versions: bundle.objects.length });
  });

  it('publishes only what was active since a time', async () => {
    // The finding and the feed entry are from 2026 (the feed's load time is now): since the far future, nothing but the identity and marking.
    const res = await as('analyst', 'POST', '/api/taxii/publish', { collection: 'shared', since: '2100-01-01T00:00:00Z' });
    expect(await res.json()).toMatchObject({ indicators: 0, sightings: 0 });
    expect((await as('analyst', 'POST', '/api/taxii/publish', { collection: 'nope' })).status).toBe(404);
    expect((await as('analyst', 'POST', '/api/taxii/publish', { collection: 'shared', tlp: 'white' })).status).toBe(400);
  });

  it('is refused to viewers and to network-scoped callers', async () => {
    expect((await as('viewer', 'GET', '/api/taxii/collections')).status).toBe(403);
    expect((await as('viewer', 'POST', '/api/taxii/publish', { collection: 'shared' })).status).toBe(403);
    expect((await as('partnerAnalyst', 'GET', '/api/taxii/collections')).status).toBe(403);
    expect((await as('partnerAnalyst', 'POST', '/api/taxii/publish', { collection: 'shared' })).status).toBe(403);
  });
});

describe('POST /api/taxii/pull', () => {
  const source = () => `taxii:${new URL(peer.base).host}:${peerCollection}`;

  it("pulls a peer's collection into intelligence", async () => {
    const res = await as('admin', 'POST', '/api/taxii/pull', { url: `${peer.base}/taxii2/`, collection: peerCollection, token: peerToken });
    expect(res.status, await res.clone().text()).toBe(200);
    const pulled = (await res.json()) as { source: string; objects: number; pages: number; lastAdded: string; active: number; added: number; problems: number };
    expect(pulled).toMatchObject({ source: source(), objects: 2, pages: 1, active: 2, added: 2, updated: 0, expired: 0, problems: 0 });
    expect(pulled.lastAdded).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const match = (await (await as('viewer', 'GET', '/api/intel/match?value=c2-1.example')).json()) as { matches: { source: string; indicator: string }[] };
    expect(match.matches.map((m) => [m.source, m.indicator])).toEqual([[source(), 'c2-1.example']]);

    // The peer adds a third indicator; an incremental pull fetches only it and keeps the other two.
    const repo = new TaxiiRepository(peer.store);
    await repo.addObjects(peerCollection, [indicator(3)], (us) => new Date(Math.floor(us / 1000)).toISOString());
    const next = await as('admin', 'POST', '/api/taxii/pull', { url: `${peer.base}/taxii2/api1/`, collection: peerCollection, token: peerToken, addedAfter: pulled.lastAdded });
    expect(await next.json()).toMatchObject({ objects: 1, active: 3, added: 1, expired: 0 });
    const intel = new IndicatorRepository(t.store);
    expect((await intel.active()).filter((i) => i.source === source()).map((i) => i.value).sort()).toEqual(['c2-1.example', 'c2-2.example', 'c2-3.example']);

    // Audited with the URL and collection, never the token.
    const audit = await (await as('admin', 'GET', '/api/audit?action=taxii.pull')).text();
    expect(audit).toContain(peerCollection);
    expect(audit).not.toContain(peerToken.slice(17));
  });

  it("reports the peer's refusal, an unreachable peer and a bad URL as 400s", async () => {
    const refused = await as('admin', 'POST', '/api/taxii/pull', { url: `${peer.base}/taxii2/`, collection: peerCollection });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/answered 401/);
    const bad = await as('admin', 'POST', '/api/taxii/pull', { url: 'file:///etc/passwd', collection: peerCollection });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('url');
    const audit = (await (await as('admin', 'GET', '/api/audit?action=taxii.pull')).json()) as { entries: { status: string; errorCode: string | null }[] };
    expect(audit.entries.filter((e) => e.status === 'error').map((e) => e.errorCode)).toEqual(['REQUEST_INVALID']);
  });

  it('is for admins who see every network', async () => {
    const body = { url: `${peer.base}/taxii2/`, collection: peerCollection, token: peerToken };
    expect((await as('analyst', 'POST', '/api/taxii/pull', body)).status).toBe(403);
    expect((await as('partnerAnalyst', 'POST', '/api/taxii/pull', body)).status).toBe(403);
  });
});
