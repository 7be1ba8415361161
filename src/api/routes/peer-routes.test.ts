// The peer routes against live servers on 127.0.0.1: peers added, listed and removed with their
// tokens masked (never returned, never in the audit log); POST /api/peers/ask asks a peer holding
// the fixture flows, a peer on a closed port and a peer that never answers, each answer on its own;
// roles and network-scoped callers refused. Expected counts are worked out by hand from the
// fixture's definition (src/api/test-server.ts), as in src/cli/commands/peer.test.ts.

import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, CANARY, startTestServer, T0, type TestServer } from '../test-server.js';

let t: TestServer; // us
let a: TestServer; // the peer holding the whole fixture
let tokenA: string; // the peer-role token A issued us
let silent: Server; // accepts connections and never answers
const held: Socket[] = [];
let closedUrl: string;

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

beforeAll(async () => {
  t = await startTestServer();
  a = await startTestServer();
  tokenA = (await a.server.accounts.createToken({ name: 'us', role: 'peer' }, 'test')).token;
  silent = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${await closedPort()}`;
}, 60_000);

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  await a?.close();
  await t?.close();
});

const admin = (method: string, path: string, body?: unknown) => call(t.base, method, path, { token: t.tokens.admin, body });

describe('GET/POST/DELETE /api/peers', () => {
  it('adds, lists and replaces peers, tokens masked everywhere', async () => {
    expect(await (await admin('GET', '/api/peers')).json()).toEqual({ peers: [] });
    const added = await admin('POST', '/api/peers', { name: 'acme', url: `${a.base}/`, token: tokenA });
    expect(added.status).toBe(200);
    const text = await added.text();
    // vtk_<12 hex id>_<secret>: only the public id part is shown.
    const masked = `${tokenA.slice(0, 16)}_…`;
    expect(JSON.parse(text)).toMatchObject({ peer: { name: 'acme', url: a.base, token: masked }, replaced: false });
    expect(text).not.toContain(tokenA.slice(17));
    expect((await (await admin('POST', '/api/peers', { name: 'acme', url: a.base, token: tokenA })).json()) as { replaced: boolean }).toMatchObject({ replaced: true });
    await admin('POST', '/api/peers', { name: 'down', url: closedUrl, token: 'vtk_000000000000_x' });
    const listed = await admin('GET', '/api/peers');
    const listText = await listed.text();
    expect(listText).not.toContain(tokenA.slice(17));
    expect((JSON.parse(listText) as { peers: { name: string; url: string; token: string }[] }).peers.map((p) => [p.name, p.url, p.token])).toEqual([
      ['acme', a.base, masked],
      ['down', closedUrl, 'vtk_000000000000_…'],
    ]);
    // The audit trail names the peer and its URL, never the token.
    const audit = await (await admin('GET', '/api/audit?action=peer.add')).text();
    expect(audit).toContain('"target":"acme"');
    expect(audit).not.toContain(tokenA.slice(17));
  });

  it('rejects a bad name or URL with a 400 naming it', async () => {
    const bad = await admin('POST', '/api/peers', { name: 'bad name', url: a.base, token: tokenA });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/peer name 'bad name' must be 1 to 64 letters/);
    const url = await admin('POST', '/api/peers', { name: 'x', url: 'ftp://peer.example', token: tokenA });
    expect(url.status).toBe(400);
    expect(((await url.json()) as { error: { message: string } }).error.message).toContain('must be an http or https URL');
  });

  it('is for admins who see every network', async () => {
    expect((await call(t.base, 'GET', '/api/peers', { token: t.tokens.analyst })).status).toBe(403);
    expect((await call(t.base, 'POST', '/api/peers', { token: t.tokens.analyst, body: { name: 'x', url: a.base, token: 't' } })).status).toBe(403);
    expect((await call(t.base, 'DELETE', '/api/peers/acme', { token: t.tokens.analyst })).status).toBe(403);
  });
});

describe('POST /api/peers/ask', () => {
  it('asks every peer at once: a sighting from the live one, the error of the unreachable one', async () => {
    const res = await call(t.base, 'POST', '/api/peers/ask', { token: t.tokens.analyst, body: { value: CANARY, timeoutSeconds: 5 } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { value: string; answers: { peer: string; sighting?: Record<string, unknown>; error?: string }[] };
    expect(body.value).toBe(CANARY);
    expect(body.answers.map((x) => x.peer)).toEqual(['acme', 'down']);
    // The fixture's canary flows are i = 200 + k for k = 0, 4, ..., 96 (25 flows), starting at
    // T0 + i min, lasting 500 ms, packets 10 + i % 7, bytes 1000 + i, to 198.51.100.(k % 20):
    // 5 distinct destinations, all on port 80/tcp.
    const ks = Array.from({ length: 25 }, (_, j) => j * 4);
    expect(body.answers[0]!.sighting).toMatchObject({
      value: CANARY,
      type: 'ip',
      flows: 25,
      packets: ks.reduce((n, k) => n + 10 + ((200 + k) % 7), 0),
      bytes: ks.reduce((n, k) => n + 1200 + k, 0),
      distinctPeers: 5,
      first: new Date(T0 + 200 * 60_000).toISOString(),
      last: new Date(T0 + 296 * 60_000 + 500).toISOString(),
      ports: [{ proto: 'tcp', port: 80, flows: 25 }],
    });
    expect(body.answers[1]!.sighting).toBeUndefined();
    expect(body.answers[1]!.error).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED$/);
  });

  it('passes the window on (the peer counts only flows inside it) and asks only the peers named', async () => {
    // Canary flows start at T0 + (200 + k) min: from T0+200 min to before T0+240 min holds k = 0..36 step 4: 10 flows.
    const from = new Date(T0 + 200 * 60_000).toISOString();
    const to = new Date(T0 + 240 * 60_000).toISOString();
    const res = await call(t.base, 'POST', '/api/peers/ask', { token: t.tokens.admin, body: { value: CANARY, peers: ['acme'], from, to } });
    const body = (await res.json()) as { answers: { peer: string; sighting?: { flows: number; from: string; to: string } }[] };
    expect(body.answers.map((x) => [x.peer, x.sighting?.flows, x.sighting?.from, x.sighting?.to])).toEqual([['acme', 10, from, to]]);
  });

  it('reports a peer that never answers as timed out, without holding up the others', async () => {
    const port = (silent.address() as { port: number }).port;
    await admin('POST', '/api/peers', { name: 'silent', url: `http://127.0.0.1:${port}`, token: 'vtk_000000000000_x' });
    // 2 s, not less: the live peer shares this process and must answer within it on a busy machine.
    const res = await call(t.base, 'POST', '/api/peers/ask', { token: t.tokens.analyst, body: { value: CANARY, peers: ['silent', 'acme'], timeoutSeconds: 2 } });
    const body = (await res.json()) as { answers: { peer: string; sighting?: { flows: number }; error?: string }[] };
    expect(body.answers.map((x) => [x.peer, x.sighting?.flows, x.error])).toEqual([
      ['silent', undefined, 'no answer within 2000 ms'],
      ['acme', 25, undefined],
    ]);
    expect((await admin('DELETE', '/api/peers/silent')).status).toBe(200);
  });

  it('refuses a bad value, an unknown peer, viewers and network-scoped callers; questions are audited', async () => {
    const bad = await call(t.base, 'POST', '/api/peers/ask', { token: t.tokens.analyst, body: { value: 'AS64500' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string; message: string } }).error).toMatchObject({ field: 'value', message: expect.stringContaining('sightings are asked about an address, a network or a domain') });
    const unknown = await call(t.base, 'POST', '/api/peers/ask', { token: t.tokens.analyst, body: { value: CANARY, peers: ['nobody'] } });
    expect(unknown.status).toBe(404);
    expect((await call(t.base, 'POST', '/api/peers/ask', { token: t.tokens.viewer, body: { value: CANARY } })).status).toBe(403);
    expect((await call(t.base, 'POST', '/api/peers/ask', { token: t.tokens.partnerAnalyst, body: { value: '10.1.0.5' } })).status).toBe(403);
    const entries = ((await (await admin('GET', '/api/audit?action=peer.ask')).json()) as { entries: { target: string; status: string; errorCode: string | null; detail: { seen?: number } }[] }).entries;
    expect(entries.filter((e) => e.status === 'ok').map((e) => [e.target, e.detail.seen])).toContainEqual([CANARY, 1]);
    expect(entries.filter((e) => e.status === 'error').map((e) => e.errorCode).sort()).toEqual(['NOT_FOUND', 'REQUEST_INVALID']);
  });

  it('removes peers; asking with none left answers no one', async () => {
    expect(await (await admin('DELETE', '/api/peers/acme')).json()).toEqual({ removed: 'acme' });
    expect((await admin('DELETE', '/api/peers/acme')).status).toBe(404);
    expect((await admin('DELETE', '/api/peers/down')).status).toBe(200);
    expect(await (await admin('POST', '/api/peers/ask', { value: CANARY })).json()).toEqual({ value: CANARY, answers: [] });
  });
});
