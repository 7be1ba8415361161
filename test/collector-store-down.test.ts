// The collector with its store unreachable: one clear line naming host, port and cause, flows
// spooled to disk instead of lost, and every one of them in the store after a restart, enriched
// with ASN, country and the intelligence loaded meanwhile.

import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQuery } from '../src/query/run-query.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { freeUdpPort, waitFor, waitUdpDrained } from '../src/test-support/flow-tools.js';
import { encodeV5, numberedFlow } from '../src/test-support/netflow-v5-datagrams.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'vantage-store-down-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `vantage collect` until `untilOutput` shows, sends datagrams, then stops it with SIGTERM. */
async function collectOnce(storeArgs: string[], port: number, datagrams: Buffer[], untilOutput: string): Promise<string> {
  const child = spawn('node', [CLI, ...storeArgs, 'collect', '--listen', `udp://127.0.0.1:${port}`, '--spool', join(work, 'spool'), '--flush-ms', '100', '--workers', '1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitFor(() => output.includes('listening on'), 'the collector to listen', 30_000);
    const socket = createSocket('udp4');
    for (const d of datagrams) await new Promise<void>((resolve, reject) => socket.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    socket.close();
    await waitFor(() => output.includes(untilOutput), untilOutput, 30_000);
    // The collector has read every datagram off the socket before it is told to stop.
    await waitUdpDrained(port);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  return output;
}

describe('collector with an unreachable store', () => {
  it('reports it in one line, spools every flow, and stores them all once the store is back', async () => {
    const port = await freeUdpPort();
    // Two thirds to a private address, a third to Google's resolvers (AS15169, US): those get
    // enriched when they reach the store.
    const flows = Array.from({ length: 90 }, (_, i) => ({ ...numberedFlow(i), dst: i % 3 === 0 ? (i % 2 ? 0x08080808 : 0x08080404) : 0xc0a80001 }));
    const first = await collectOnce(['--store', 'clickhouse://127.0.0.1:1/vantage'], port, encodeV5(flows), 'spooling to');
    expect(first.split('\n')[0]).toBe(
      `vantage collect: cannot reach ClickHouse at http://127.0.0.1:1/vantage: connect ECONNREFUSED 127.0.0.1:1; spooling flows to ${join(work, 'spool')} until the store is back`,
    );
    expect(first).toMatch(/stopped: 3 datagrams, 90 flows decoded, 0 written to the store, [1-9]\d* bytes left in the spool/);

    const db = join(work, 'flows.duckdb');
    // Intelligence loaded while the flows waited in the spool still tags them on the way in.
    const list = join(work, 'watch.txt');
    writeFileSync(list, '# test indicator\n8.8.4.4\n');
    const load = spawnSync('node', [CLI, '--db', db, 'intel', 'load', '--feed', 'list', '--family', 'testc2', list], { encoding: 'utf8' });
    expect(load.status).toBe(0);
    const second = await collectOnce(['--db', db], port, [], 'listening on');
    expect(second).toMatch(/stopped: 0 datagrams, 0 flows decoded, 90 written to the store, 0 bytes left in the spool/);

    const store = new DuckDbStore({ path: db });
    await store.open();
    try {
      // numberedFlow i has 1 + i % 7 packets and 40 * (1 + i % 7) + i bytes.
      const packets = flows.reduce((sum, f) => sum + f.packets, 0);
      const bytes = flows.reduce((sum, f) => sum + f.bytes, 0);
      expect((await runQuery(store, 'any | count')).rows[0]).toEqual({ flows: 90, packets, bytes });
      // i % 3 === 0: 30 flows, 15 to 8.8.8.8 (odd i) and 15 to 8.8.4.4 (even i).
      expect((await runQuery(store, 'net 8.8.0.0/16 | count by dst_as, dst_country')).rows.map((r) => [r.dst_as, r.dst_country, r.flows])).toEqual([[15169, 'US', 30]]);
      expect((await runQuery(store, 'tag list:testc2 | count by dst')).rows.map((r) => [r.dst, r.flows])).toEqual([['8.8.4.4', 15]]);
    } finally {
      await store.close();
    }
  }, 120_000);
});
