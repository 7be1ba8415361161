import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskSpool } from '../../collect/disk-spool.js';
import { decodeFlowChunks } from '../../collect/flow-codec.js';
import type { FlowRecord } from '../../core/columns.js';
import { flowNumbers, ipv6Among, numberedChunk } from '../../test-support/numbered-flow-chunks.js';
import { FlowWriter } from './flow-writer.js';
import type { ReplayTarget } from './spool-replayer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A store double taking two encoded appends at once; each append waits until the test settles it. */
function slowTarget() {
  const rows: number[] = [];
  const pending: { chunks: readonly Uint8Array[]; done: boolean; settle: (fail: boolean) => void }[] = [];
  let running = 0;
  const target = {
    rows,
    pending,
    most: 0,
    appendConcurrency: 2,
    appendEncoded(chunks: readonly Uint8Array[]) {
      running++;
      target.most = Math.max(target.most, running);
      return new Promise<void>((resolve, reject) => {
        const entry = {
          chunks,
          done: false,
          settle: (fail: boolean) => {
            if (entry.done) return;
            entry.done = true;
            running--;
            if (fail) return reject(new Error('store down'));
            const flows: FlowRecord[] = [];
            for (const c of chunks) decodeFlowChunks(c, flows);
            rows.push(...flows.map((f) => f.sport));
            resolve();
          },
        };
        pending.push(entry);
      });
    },
    async appendFlows(records: readonly FlowRecord[]) {
      rows.push(...records.map((f) => f.sport));
    },
    async countFlows() {
      return rows.length;
    },
  };
  return target satisfies ReplayTarget;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

/** An open spool in a directory of its own, removed after the test. */
function openSpool(): DiskSpool {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-writer-'));
  dirs.push(dir);
  const spool = new DiskSpool({ dir, maxBytes: 1 << 24, segmentBytes: 1 << 20 });
  spool.open();
  return spool;
}

describe('FlowWriter', () => {
  it('keeps two appends in flight for a store that takes them; a failed one is spooled and replayed, and every flow lands once', async () => {
    const spool = openSpool();
    const target = slowTarget();
    const writer = new FlowWriter(target, spool, { batchFlows: 10, flushMs: 60_000, storeQueue: 4, retryMs: 10, maxRetryMs: 10 }, () => undefined);
    writer.start();
    for (let b = 0; b < 4; b++) writer.add(numberedChunk(b * 10, 10), 10);
    await tick();
    // Two appends started, the other two batches wait in the queue.
    expect([target.pending.length, target.most, writer.queuedBatches]).toEqual([2, 2, 2]);
    target.pending[1]!.settle(false); // the second finishes first
    await tick();
    expect(target.pending.length).toBe(3);
    target.pending[0]!.settle(true); // the first fails: it and the queued batch go to the spool
    await tick();
    target.pending[2]!.settle(false);
    await tick();
    expect(writer.counters.spooled).toBe(20);
    // After the retry delay the spool is replayed through the same encoded appends.
    for (let i = 0; i < 100 && writer.counters.replayed < 20; i++) {
      for (const p of target.pending) p.settle(false);
      await tick();
    }
    await writer.stop(1000);
    expect(target.rows.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect([writer.counters.stored, writer.counters.spooled, writer.counters.replayed, target.most]).toEqual([20, 20, 20, 2]);
  });

  it('gives the chunks of each batch back once the store took them or the spool wrote them, and not before', async () => {
    const spool = openSpool();
    const target = slowTarget();
    const released: Uint8Array[] = [];
    const options = { batchFlows: 10, flushMs: 60_000, storeQueue: 4, retryMs: 60_000, maxRetryMs: 60_000 };
    const writer = new FlowWriter(target, spool, options, () => undefined, (chunks) => released.push(...chunks));
    writer.start();
    const sent = [0, 10, 20].map((first) => numberedChunk(first, 10));
    for (const c of sent) writer.add(c, 10);
    await tick();
    expect([target.pending.length, released.length]).toEqual([2, 0]); // two appends running, one batch queued
    target.pending[0]!.settle(false);
    await tick();
    expect([released, target.pending.length]).toEqual([[sent[0]], 3]); // the queued batch started
    target.pending[1]!.settle(true); // the store fails: that batch goes to the spool
    await tick();
    expect(released).toEqual([sent[0], sent[1]]);
    expect(writer.counters.spooled).toBe(10);
    target.pending[2]!.settle(false);
    await tick();
    expect(released).toEqual([sent[0], sent[1], sent[2]]);
    const flows: FlowRecord[] = [];
    for (const c of released) decodeFlowChunks(c, flows); // still whole: the writer wrote none of them over
    expect(flows.map((f) => f.sport)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await writer.stop(0);
    expect(released.length).toBe(3); // stopping releases nothing twice (the spooled batch waits, the store being down, for the next start)
  });

  /** Lets the store's appends succeed as they come until `done` holds. */
  async function serve(target: ReturnType<typeof slowTarget>, done: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !done(); i++) {
      for (const p of target.pending) p.settle(false);
      await tick();
    }
  }

  it('once the store is back, new batches go straight to it while the spool is replayed between them', async () => {
    const spool = openSpool();
    const target = slowTarget();
    const writer = new FlowWriter(target, spool, { batchFlows: 10, flushMs: 60_000, storeQueue: 4, retryMs: 10, maxRetryMs: 10 }, () => undefined);
    writer.start();
    writer.add(numberedChunk(0, 10), 10);
    await tick();
    target.pending[0]!.settle(true); // the store fails: batch 0-9 is spooled
    await tick();
    expect(writer.counters.spooled).toBe(10);
    // After the retry delay the replay of 0-9 starts; a batch arriving meanwhile waits for the
    // store instead of joining the spool, and goes in once the replay step is done.
    for (let i = 0; i < 100 && target.pending.length < 2; i++) await tick();
    expect(target.pending.length).toBe(2);
    writer.add(numberedChunk(10, 10), 10);
    await tick();
    expect([writer.queuedBatches, target.pending.length]).toEqual([1, 2]); // not started during the replay step
    await serve(target, () => writer.counters.stored === 10);
    await writer.stop(1000);
    expect(target.rows.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect([writer.counters.spooled, writer.counters.replayed, writer.counters.stored]).toEqual([10, 10, 10]);
  });

  it('a store it writes alone: the journal entry of each replayed batch holds the true count, direct appends in between included, counted once', async () => {
    const spool = openSpool();
    const rows: number[] = [];
    let counts = 0;
    const target: ReplayTarget = {
      soleWriter: true,
      appendConcurrency: 2,
      async appendEncoded(chunks) {
        await new Promise((r) => setTimeout(r, 2));
        rows.push(...flowNumbers(chunks));
      },
      async appendFlows() {
        throw new Error('not used');
      },
      async countFlows() {
        counts++;
        return rows.length;
      },
    };
    const wrong: string[] = [];
    let intents = 0;
    const write = spool.writeJournal.bind(spool);
    spool.writeJournal = async (j) => {
      if (j?.intent) {
        intents++;
        if (j.intent.flowsBefore !== rows.length) wrong.push(`${j.intent.flowsBefore} != ${rows.length}`);
      }
      return write(j);
    };
    // One batch may wait: batches arriving faster than the appends take them are spooled and
    // replayed between the direct appends.
    const writer = new FlowWriter(target, spool, { batchFlows: 10, flushMs: 60_000, storeQueue: 1, retryMs: 10, maxRetryMs: 10 }, () => undefined);
    writer.start();
    for (let b = 0; b < 60; b++) {
      writer.add(numberedChunk(b * 10, 10), 10);
      if (b % 3 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    for (let i = 0; i < 500 && writer.counters.stored + writer.counters.replayed < 600; i++) await tick();
    await writer.stop(1000);
    expect(rows.sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(writer.counters.replayed).toBeGreaterThan(0);
    expect(writer.counters.stored).toBeGreaterThan(0);
    expect(intents).toBe(writer.counters.replayed / 10);
    expect(wrong).toEqual([]);
    expect(counts).toBe(1);
  });

  it('a replay step that fails sends what queued meanwhile to the spool, so the next step can tell whether its append happened', async () => {
    const spool = openSpool();
    const target = slowTarget();
    const logs: string[] = [];
    const writer = new FlowWriter(target, spool, { batchFlows: 10, flushMs: 60_000, storeQueue: 4, retryMs: 10, maxRetryMs: 10 }, (m) => logs.push(m));
    writer.start();
    writer.add(numberedChunk(0, 10), 10);
    await tick();
    target.pending[0]!.settle(true);
    for (let i = 0; i < 100 && target.pending.length < 2; i++) await tick();
    writer.add(numberedChunk(10, 10), 10); // queued behind the replay step
    await tick();
    target.pending[1]!.settle(true); // the replay of 0-9 fails, in doubt
    await tick();
    expect(writer.counters.spooled).toBe(20);
    await serve(target, () => writer.counters.replayed === 20);
    await writer.stop(1000);
    expect(target.rows.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(logs.filter((m) => m.includes('cannot tell'))).toEqual([]);
  });

  it('over a spool an earlier run left, new batches join the spool until the first replay step settled it', async () => {
    const earlier = openSpool();
    earlier.append([numberedChunk(0, 10)], 10);
    await earlier.close();
    const spool = new DiskSpool(earlier.options);
    spool.open();
    const target = slowTarget();
    const writer = new FlowWriter(target, spool, { batchFlows: 10, flushMs: 60_000, storeQueue: 4, retryMs: 10, maxRetryMs: 10 }, () => undefined);
    writer.start();
    writer.add(numberedChunk(10, 10), 10); // the replayer has not read its journal yet
    expect(writer.counters.spooled).toBe(10);
    await serve(target, () => writer.counters.replayed === 20);
    writer.add(numberedChunk(20, 10), 10); // settled: straight to the store
    await serve(target, () => writer.counters.stored === 10);
    await writer.stop(1000);
    expect(target.rows.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect([writer.counters.spooled, writer.counters.stored]).toEqual([10, 10]);
  });

  it('reopens the store after refreshFlows flows, between appends, with none running; a failed reopen is a failed append', async () => {
    const spool = openSpool();
    const target = slowTarget();
    const refreshes: number[] = []; // appends running at each reopen
    let failNext = true;
    const refreshing = Object.assign(target, {
      async refresh() {
        refreshes.push(target.pending.filter((p) => !p.done).length);
        if (failNext) {
          failNext = false;
          throw new Error('cannot reopen');
        }
      },
    });
    const writer = new FlowWriter(refreshing, spool, { batchFlows: 10, flushMs: 60_000, storeQueue: 4, retryMs: 10, maxRetryMs: 10, refreshFlows: 20 }, () => undefined);
    writer.start();
    for (let b = 0; b < 4; b++) writer.add(numberedChunk(b * 10, 10), 10);
    await tick();
    expect(target.pending.length).toBe(2);
    await serve(target, () => refreshes.length === 1); // two batches in: the reopen comes before the next two
    expect([refreshes, target.pending.length, writer.counters.stored]).toEqual([[0], 2, 20]);
    // The reopen failed: the two waiting batches went to the spool and are replayed after the retry.
    await serve(target, () => writer.counters.replayed === 20);
    expect(writer.counters.spooled).toBe(20);
    for (let b = 4; b < 6; b++) writer.add(numberedChunk(b * 10, 10), 10);
    await serve(target, () => writer.counters.stored === 40);
    await writer.stop(1000);
    expect(target.rows.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(refreshes.every((running) => running === 0)).toBe(true);
    expect(refreshes.length).toBeGreaterThanOrEqual(2); // 40 more flows since the failed one
  });

  it('ends each batch at exactly batchFlows IPv4 flows, cutting the chunk that crosses the mark; IPv6 flows ride along', async () => {
    const spool = openSpool();
    const batches: number[][] = [];
    const target = {
      async appendEncoded(chunks: readonly Uint8Array[]) {
        batches.push(flowNumbers(chunks));
      },
      async appendFlows() {
        throw new Error('encoded appends only');
      },
      async countFlows() {
        return batches.flat().length;
      },
    } satisfies ReplayTarget;
    const writer = new FlowWriter(target, spool, { batchFlows: 10, flushMs: 60_000, storeQueue: 4, retryMs: 10, maxRetryMs: 10 }, () => undefined);
    writer.start();
    // Chunks of 7, 3, 6, 9 and 4 flows (as a worker's timer leaves them); flows 8 and 12 are IPv6.
    const ipv6 = new Set([8, 12]);
    let first = 0;
    for (const n of [7, 3, 6, 9, 4]) {
      writer.add(numberedChunk(first, n, ipv6), n, ipv6Among(first, n, ipv6));
      first += n;
    }
    await writer.stop(1000);
    const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
    // 10 IPv4 flows a batch: 0-10 (with 8), 11-21 (with 12), 22-28 (the rest, at stop).
    expect(batches).toEqual([range(0, 11), range(11, 22), range(22, 29)]);
    expect([writer.counters.received, writer.counters.stored]).toEqual([29, 29]);
  });
});
