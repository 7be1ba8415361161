// `vantage peer` in-process against a DuckDB file: add, list (tokens masked), remove, and `ask`
// against two live servers on 127.0.0.1 holding known fixture flows, plus a peer on a closed
// port. The expected counts are worked out by hand from the fixture's definition.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CANARY, fixtureFlows, startTestServer, T0, type TestServer } from '../../api/test-server.js';
import type { PeerAnswer } from '../../share/peers/ask-peers.js';
import { registerPeer } from './peer.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-peer-cli-'));
const db = join(work, 'ours.duckdb');

let out = '';
beforeEach(() => {
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

async function vantage(...args: string[]): Promise<string> {
  const program = new Command('vantage').option('--db <path>').exitOverride();
  registerPeer(program);
  out = '';
  await program.parseAsync(['node', 'vantage', '--db', db, ...args]);
  return out;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('vantage peer', () => {
  let a: TestServer;
  let b: TestServer;
  let tokenA: string;
  let tokenB: string;
  beforeAll(async () => {
    // Peer A: the whole fixture. Peer B: every eighth flow of it.
    a = await startTestServer();
    b = await startTestServer({}, async (store) => store.appendFlows(fixtureFlows().filter((_, i) => i % 8 === 0)));
    tokenA = (await a.server.accounts.createToken({ name: 'us', role: 'peer' }, 'test')).token;
    tokenB = (await b.server.accounts.createToken({ name: 'us', role: 'peer' }, 'test')).token;
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('adds, lists with masked tokens, replaces and removes peers', async () => {
    expect(await vantage('peer', 'list')).toBe('No peers (vantage peer add NAME URL --token T).\n');
    expect(await vantage('peer', 'add', 'acme', `${a.base}/`, '--token', tokenA)).toBe(`Added peer 'acme' at ${a.base} (token ${tokenA.slice(0, 16)}_…).\n`);
    expect(await vantage('peer', 'add', 'globex', b.base, '--token', tokenA)).toMatch(/^Added peer 'globex'/);
    expect(await vantage('peer', 'add', 'globex', b.base, '--token', tokenB)).toMatch(/^Replaced peer 'globex'/);
    const listed = await vantage('peer', 'list');
    expect(listed.split('\n').map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['acme', a.base, `${tokenA.slice(0, 16)}_…`],
      ['globex', b.base, `${tokenB.slice(0, 16)}_…`],
      [''],
    ]);
    expect(listed).not.toContain(tokenA.slice(17));
    await expect(vantage('peer', 'add', 'bad name', a.base, '--token', tokenA)).rejects.toThrow(/must be 1 to 64 letters/);
    await expect(vantage('peer', 'remove', 'nobody')).rejects.toThrow("no peer 'nobody' (vantage peer list)");
  });

  it('asks every peer and prints one line each, errors in their own column', async () => {
    await vantage('peer', 'add', 'down', `http://127.0.0.1:${await closedPort()}`, '--token', tokenA);
    const text = await vantage('peer', 'ask', CANARY, '--timeout', '5');
    const [head, ...lines] = text.trimEnd().split('\n');
    expect(head!.split(/\s+/)).toEqual(['PEER', 'FLOWS', 'PACKETS', 'BYTES', 'PEERS', 'FIRST', 'LAST', 'ERROR']);
    // The fixture's canary flows are i = 200 + k for k = 0, 4, ..., 96 (25 flows), each starting at
    // T0 + i min and lasting 500 ms, to 198.51.100.(k % 20): 5 distinct destinations (k % 20 in 0, 4, 8, 12, 16).
    // Packets 10 + i % 7 and bytes 1000 + i.
    const ks = Array.from({ length: 25 }, (_, j) => j * 4);
    const packets = (list: number[]) => list.reduce((n, k) => n + 10 + ((200 + k) % 7), 0);
    const bytes = (list: number[]) => list.reduce((n, k) => n + 1000 + 200 + k, 0);
    const iso = (k: number, plus = 0) => new Date(T0 + (200 + k) * 60_000 + plus).toISOString();
    // Peer B keeps flows whose index is a multiple of 8: k = 0, 8, ..., 96 (13 flows).
    const ksB = ks.filter((k) => k % 8 === 0);
    expect(lines.map((l) => l.split(/\s+/))).toEqual([
      ['acme', '25', String(packets(ks)), String(bytes(ks)), '5', iso(0), iso(96, 500)],
      ['down', '-', '-', '-', '-', '-', '-', 'cannot', 'reach', expect.any(String), 'ECONNREFUSED'],
      ['globex', '13', String(packets(ksB)), String(bytes(ksB)), '5', iso(0), iso(96, 500)],
    ]);
  });

  it('asks only the peers named, and prints JSON on request', async () => {
    const answers = JSON.parse(await vantage('peer', 'ask', '198.51.100.0/24', '--peer', 'globex', '--json')) as PeerAnswer[];
    expect(answers.map((x) => x.peer)).toEqual(['globex']);
    // Every eighth fixture flow that touches 198.51.100.0/24: i < 100 or 200 <= i < 300, i % 8 == 0: 13 + 13.
    expect(answers[0]!.sighting).toMatchObject({ value: '198.51.100.0/24', type: 'cidr', flows: 26 });
    await expect(vantage('peer', 'ask', CANARY, '--peer', 'nobody')).rejects.toThrow("no peer 'nobody'");
  });

  it('refuses a bad value or timeout before asking anyone', async () => {
    await expect(vantage('peer', 'ask', 'AS64500')).rejects.toThrow(/sightings are asked about an address, a network or a domain/);
    await expect(vantage('peer', 'ask', CANARY, '--timeout', '0')).rejects.toThrow(/--timeout must be seconds/);
  });

  it('says so when there is nobody to ask', async () => {
    for (const name of ['acme', 'globex', 'down']) expect(await vantage('peer', 'remove', name)).toBe(`Removed peer '${name}'.\n`);
    await expect(vantage('peer', 'ask', CANARY)).rejects.toThrow(/no peers to ask/);
  });
});
