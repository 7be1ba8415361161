// Kill test: `vantage collect` (the built CLI, a child process) receives known NetFlow v5 flows, is
// killed with SIGKILL, restarted, and replays its spool. Every flow the first run acknowledged as
// written (to the store or the spool, per its --stats lines) must be in the store exactly once.
//
// How the test knows what was acknowledged: a flow is acknowledged once it is in the store or in
// a spool record, so right after the kill the store and the spool files (read as they are, before
// the restart touches them) hold exactly the acknowledged flows; a record the kill cut short fails
// its checksum and was never acknowledged. After the restart has replayed the spool, the store
// must hold exactly that set, each flow once. --stats (every 50 ms) gives a lower bound to check
// the set against: `acknowledged` = flows appended to the store + flows written to the spool. One
// exporter means one decode worker, so where batches are acknowledged in the order they were cut,
// the acknowledged flows are also the first `acknowledged` ones sent (each run checks that nothing
// was dropped, kernel drops included).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeFlowChunks } from '../src/collect/flow-codec.js';
import { forEachDatagram } from '../src/collect/datagram-batch.js';
import { readSegment, type SpoolRecord } from '../src/collect/spool-segment.js';
import { decodeExportDatagram } from '../src/decode/decode-export-datagram.js';
import { DecoderState } from '../src/decode/decoder-state.js';
import type { FlowRecord } from '../src/core/columns.js';
import { parseIp } from '../src/core/ip.js';
import { runQuery } from '../src/query/run-query.js';
import type { CollectorStatsSnapshot } from '../src/services/collector/collector-stats.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { freeUdpPort, stopChild, waitFor, type Child } from '../src/test-support/flow-tools.js';
import { DatagramSender, encodeV5, flowNumber, numberedFlow } from '../src/test-support/netflow-v5-datagrams.js';
import { repoRoot, requireAll } from '../src/test-support/shared-data.js';

const cli = join(repoRoot(), 'dist/src/cli/main.js');
const vantage = join(repoRoot(), 'bin/vantage');
const built = existsSync(cli);
if (!built) {
  if (requireAll()) throw new Error(`${cli} is missing and VANTAGE_REQUIRE_ALL=1 (run npm run build)`);
  console.warn(`[skip] ${cli} is missing (npm run build): the collector kill test is skipped`);
}
const work = mkdtempSync(join(tmpdir(), 'vantage-kill-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Collect extends Child {
  readonly stats: CollectorStatsSnapshot[];
  last(): CollectorStatsSnapshot | undefined;
}

function collect(db: string, spool: string, port: number, extra: string[]): Collect {
  const args = ['--db', db, 'collect', '--listen', `udp://127.0.0.1:${port}`, '--spool', spool, '--stats', '--stats-interval', '50', '--workers', '1', ...extra];
  // As installed: bin/vantage execs node in its own place, so the kill reaches the collector itself.
  const child = spawn(vantage, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stats: CollectorStatsSnapshot[] = [];
  let text = '';
  let partial = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    const chunk = partial + d.toString();
    const lines = chunk.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      text += `${line}\n`;
      if (line.startsWith('{')) stats.push(JSON.parse(line) as CollectorStatsSnapshot);
    }
  });
  return { process: child, output: () => text, stats, last: () => stats.at(-1) };
}

/** The intact records of a spool directory's segment files, read without opening the spool. */
function spoolRecords(dir: string): SpoolRecord[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^segment-\d+\.spool$/.test(f))
    .flatMap((name) => readSegment(readFileSync(join(dir, name))).records);
}

/**
 * Every flow in the spools' segment files by number: the flow spool's flows, and those of the
 * datagrams in the datagram spool (NetFlow v5: no templates needed to decode them).
 */
function spooledFlows(spool: string): Set<number> {
  const seen = new Set<number>();
  for (const record of spoolRecords(spool)) {
    const flows: FlowRecord[] = [];
    decodeFlowChunks(record.payload, flows);
    for (const f of flows) seen.add(flowNumber(f.src as number, f.sport));
  }
  const state = new DecoderState();
  for (const record of spoolRecords(join(spool, 'datagrams'))) {
    const batch = new Uint8Array(record.payload); // a copy: its own buffer, from offset 0
    forEachDatagram(batch.buffer, batch.byteLength, (payload, exporter, receivedAt) => {
      for (const f of decodeExportDatagram(payload, exporter, receivedAt, state).records) seen.add(flowNumber(f.src as number, f.sport));
    });
  }
  return seen;
}

/** Every flow in the store by number, failing on any flow present twice. */
async function storedFlows(db: string): Promise<Set<number>> {
  const store = new DuckDbStore({ path: db });
  await store.open();
  try {
    const { rows } = await runQuery(store, 'any | count by src, sport');
    const seen = new Set<number>();
    for (const row of rows) {
      const n = flowNumber(parseIp(String(row.src)) as number, Number(row.sport));
      expect(Number(row.flows), `flow ${n} is in the store ${row.flows} times`).toBe(1);
      expect(seen.has(n)).toBe(false);
      seen.add(n);
    }
    return seen;
  } finally {
    await store.close();
  }
}

async function restartAndDrain(db: string, spool: string, extra: string[]): Promise<CollectorStatsSnapshot> {
  const port = await freeUdpPort();
  const second = collect(db, spool, port, extra);
  try {
    await waitFor(() => second.output().includes('listening on'), 'the restarted collector', 30_000);
    await waitFor(() => (second.last()?.spool.bytes ?? 1) === 0 && (second.last()!.datagram_spool?.bytes ?? 0) === 0 && second.last()!.store.up, 'the spools replayed', 60_000);
  } finally {
    expect(await stopChild(second)).toBe(0);
  }
  const final = second.stats.find((s) => (s as { final?: boolean }).final);
  expect(final, second.output()).toBeDefined();
  return final!;
}

describe.skipIf(!built)('collector killed with SIGKILL', () => {
  it('after everything sent was acknowledged (spooled first, killed while replaying): all flows present once', async () => {
    const db = join(work, 'a.duckdb');
    const spool = join(work, 'spool-a');
    const N = 30_000;
    // --store-queue 0: every batch goes to the spool and is replayed from it, so the kill lands
    // during replays (the journal's in-doubt window) with many batches still spooled.
    const extra = ['--store-queue', '0', '--batch', '1000', '--flush-ms', '20'];
    const port = await freeUdpPort();
    const first = collect(db, spool, port, extra);
    const sender = new DatagramSender(port);
    try {
      await waitFor(() => first.output().includes('listening on'), 'the collector', 30_000);
      await sender.sendAll(encodeV5(Array.from({ length: N }, (_, i) => numberedFlow(i))), 32, 2);
      await waitFor(() => first.last()?.acknowledged === N, `${N} flows acknowledged`, 30_000, 5);
    } finally {
      sender.close();
      await stopChild(first, 'SIGKILL');
    }
    const before = first.last()!;
    expect(before.drops).toEqual({});
    expect(before.spooled).toBe(N);
    // Killed while replaying: part is in the store, the rest still spooled.
    const final = await restartAndDrain(db, spool, extra);
    console.log(`kill A: before kill ${before.replayed} of ${N} replayed; after restart ${final.replayed} replayed`);
    expect(final.drops).toEqual({});
    const present = await storedFlows(db);
    expect(present.size).toBe(N);
  });

  it.each([
    ['straight to the store', ['--store-queue', '4', '--batch', '500', '--flush-ms', '10']],
    // Every batch through the spool: the kill may tear a spool record or cut a replay short.
    ['through the spool', ['--store-queue', '0', '--batch', '500', '--flush-ms', '10']],
    // One batch may wait for the store: small batches come faster than appends take them, so some
    // are spooled and replayed between later ones that go straight in.
    ['both ways', ['--store-queue', '1', '--batch', '100', '--flush-ms', '5']],
    // Every datagram through the datagram spool first: the kill may tear a datagram record, or
    // land between a replayed batch's flows reaching the flow spool and the journal saying so.
    ['through the datagram spool', ['--decode-queue', '0', '--store-queue', '4', '--batch', '500', '--flush-ms', '10']],
  ])('mid-stream, while datagrams still arrive, batches going %s', async (name, extra) => {
    const key = name.replace(/\W+/g, '-');
    const db = join(work, `b-${key}.duckdb`);
    const spool = join(work, `spool-b-${key}`);
    const N = 60_000;
    const port = await freeUdpPort();
    const first = collect(db, spool, port, extra);
    const sender = new DatagramSender(port);
    let sending: Promise<void> | undefined;
    try {
      await waitFor(() => first.output().includes('listening on'), 'the collector', 30_000);
      // About 1,000 datagrams a second: the stream lasts two seconds, the kill lands inside it.
      sending = sender.sendAll(encodeV5(Array.from({ length: N }, (_, i) => numberedFlow(i))), 2, 2).catch(() => {});
      await waitFor(() => (first.last()?.acknowledged ?? 0) >= N / 3, 'a third acknowledged', 30_000, 5);
    } finally {
      await stopChild(first, 'SIGKILL');
      sender.close();
      await sending;
    }
    // The last line printed before the kill: a lower bound of what was acknowledged.
    const acked = first.last()!;
    expect(acked.acknowledged).toBeGreaterThanOrEqual(N / 3);
    expect(acked.acknowledged).toBeLessThan(N);
    expect(acked.drops).toEqual({});
    // What was acknowledged: the store and the spool files as the kill left them.
    const inStore = await storedFlows(db);
    const acknowledged = new Set([...inStore, ...(existsSync(spool) ? spooledFlows(spool) : [])]);
    expect(acknowledged.size).toBeGreaterThanOrEqual(acked.acknowledged);
    const final = await restartAndDrain(db, spool, extra);
    console.log(
      `kill B (${name}): acknowledged ${acknowledged.size} (${inStore.size} in the store at the kill; last stats: stored ${acked.stored}, spooled ${acked.spooled}, replayed ${acked.replayed}); after restart ${final.replayed} replayed`,
    );
    const present = await storedFlows(db);
    const missing = [...acknowledged].filter((n) => !present.has(n));
    const unexpected = [...present].filter((n) => !acknowledged.has(n));
    expect({ missing: missing.slice(0, 5), extra: unexpected.slice(0, 5) }).toEqual({ missing: [], extra: [] });
    // Where batches are acknowledged in the order they were cut (all through the spool, or all
    // straight in), the acknowledged flows are also the first ones sent: a check that does not
    // rely on what the collector wrote.
    if (name !== 'both ways') for (let i = 0; i < acked.acknowledged; i++) if (!present.has(i)) expect.fail(`acknowledged flow ${i} is missing`);
  });
});
