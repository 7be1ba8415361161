import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskSpool } from '../../collect/disk-spool.js';
import { encodeFlowChunk } from '../../collect/flow-codec.js';
import type { FlowRecord } from '../../core/columns.js';
import { runQuery } from '../../query/run-query.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { SpoolReplayer, type ReplayTarget } from './spool-replayer.js';
import { storeReplayTarget } from './store-target.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function openSpool(dir: string): DiskSpool {
  const spool = new DiskSpool({ dir, maxBytes: 1 << 24, segmentBytes: 1 << 20 });
  spool.open();
  return spool;
}

/** Flows numbered first..first+n-1 (the number is the source port). */
function flows(first: number, n: number): FlowRecord[] {
  return Array.from({ length: n }, (_, i) => ({ start: 0, end: 0, src: 1, dst: 2, sport: first + i, dport: 0, proto: 17, tcp_flags: 0, packets: 1, bytes: 1 }));
}

/** A store double keeping appended flows; `failNext` makes appends fail before or after "committing". */
function memoryTarget() {
  const rows: FlowRecord[] = [];
  const target = {
    rows,
    failNext: undefined as undefined | 'before-commit' | 'after-commit',
    async appendFlows(records: readonly FlowRecord[]) {
      const mode = target.failNext;
      target.failNext = undefined;
      if (mode === 'before-commit') throw new Error('store down');
      rows.push(...records);
      // The append reached the store but the process "died" before the journal said so.
      if (mode === 'after-commit') throw new Error('killed after commit');
    },
    async countFlows() {
      return rows.length;
    },
  };
  return target satisfies ReplayTarget & { rows: FlowRecord[] };
}

const events = (log: string[] = []) => ({
  replayedFlows: 0,
  discards: [] as string[],
  replayed(n: number) {
    this.replayedFlows += n;
  },
  discarded(code: string) {
    this.discards.push(code);
  },
  log: (m: string) => log.push(m),
});

async function replayAll(replayer: SpoolReplayer): Promise<void> {
  for (let i = 0; i < 100; i++) if ((await replayer.step()) === 'empty') return;
  throw new Error('replay did not end');
}

async function spoolWithBatches(batches: FlowRecord[][]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-replay-'));
  dirs.push(dir);
  const spool = openSpool(dir);
  for (const b of batches) spool.append([encodeFlowChunk(b)], b.length);
  spool.sealActive();
  await spool.close();
  return dir;
}

describe('spool replayer', () => {
  it('replays batches oldest first, then deletes the segments and the journal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vantage-replay-'));
    dirs.push(dir);
    const spool = new DiskSpool({ dir, maxBytes: 1 << 24, segmentBytes: 200 }); // a few batches per segment
    spool.open();
    for (let b = 0; b < 5; b++) spool.append([encodeFlowChunk(flows(b * 3, 3))], 3);
    const target = memoryTarget();
    const ev = events();
    await replayAll(new SpoolReplayer(spool, target, ev));
    expect(target.rows.map((r) => r.sport)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(ev.replayedFlows).toBe(15);
    expect(spool.hasBacklog).toBe(false);
    await spool.close();
    expect(readdirSync(dir).filter((f) => f !== 'spool.lock')).toEqual([]);
  });

  it('replays encoded batches straight into a store that reads them, skipping one that does not decode and keeping nothing of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vantage-replay-'));
    dirs.push(dir);
    const spool = openSpool(dir);
    const cut = encodeFlowChunk(flows(100, 50));
    spool.append([encodeFlowChunk(flows(0, 3))], 3);
    spool.append([cut.subarray(0, cut.length - 30)], 50);
    spool.append([encodeFlowChunk(flows(3, 2))], 2);
    const store = new DuckDbStore({ path: ':memory:' });
    const target = storeReplayTarget(store);
    const ev = events();
    try {
      await replayAll(new SpoolReplayer(spool, target, ev));
      const { rows } = await runQuery(store, 'any | sort sport asc | fields sport');
      expect(rows.map((r) => r.sport)).toEqual([0, 1, 2, 3, 4]);
      expect([ev.replayedFlows, ev.discards]).toEqual([5, ['COLLECT_SPOOL_CORRUPT']]);
    } finally {
      await spool.close();
      await target.close();
    }
  });

  it('a store failure keeps the batch: the next step retries it, and nothing is lost or doubled', async () => {
    const dir = await spoolWithBatches([flows(0, 2), flows(2, 2)]);
    const spool = openSpool(dir);
    const target = memoryTarget();
    const replayer = new SpoolReplayer(spool, target, events());
    target.failNext = 'before-commit';
    await expect(replayer.step()).rejects.toThrow('store down');
    await replayAll(replayer);
    expect(target.rows.map((r) => r.sport)).toEqual([0, 1, 2, 3]);
    await spool.close();
  });

  it('after a crash between an append and its journal entry, the flow count shows it happened: not replayed again', async () => {
    const dir = await spoolWithBatches([flows(0, 2), flows(2, 3), flows(5, 1)]);
    const target = memoryTarget();
    // First run: batch 0 goes in, batch 1 is appended and then the process "dies".
    let spool = openSpool(dir);
    const first = new SpoolReplayer(spool, target, events());
    expect(await first.step()).toBe('replayed');
    target.failNext = 'after-commit';
    await expect(first.step()).rejects.toThrow('killed after commit');
    expect(await spool.readJournal()).toEqual({ segment: 1, done: 1, intent: { record: 1, flowsBefore: 2, flows: 3 } });
    await spool.close();
    // Restart: the journal's intent is settled by counting (2 + 3 = 5 flows: it happened).
    spool = openSpool(dir);
    const ev = events();
    await replayAll(new SpoolReplayer(spool, target, ev));
    expect(target.rows.map((r) => r.sport)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ev.replayedFlows).toBe(3 + 1); // the settled batch counts as replayed, then the last one
    await spool.close();
  });

  it('after a crash before the append reached the store, the count shows it did not: replayed once', async () => {
    const dir = await spoolWithBatches([flows(0, 2), flows(2, 3)]);
    const target = memoryTarget();
    let spool = openSpool(dir);
    const first = new SpoolReplayer(spool, target, events());
    await first.step();
    target.failNext = 'before-commit';
    await expect(first.step()).rejects.toThrow();
    await spool.close();
    spool = openSpool(dir);
    await replayAll(new SpoolReplayer(spool, target, events()));
    expect(target.rows.map((r) => r.sport)).toEqual([0, 1, 2, 3, 4]);
    await spool.close();
  });

  it('the sole writer of a store counts its flows once: the counts in its journal stay exact across direct appends, and a failure counts again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vantage-replay-'));
    dirs.push(dir);
    const spool = openSpool(dir);
    for (let b = 0; b < 4; b++) spool.append([encodeFlowChunk(flows(b * 10, 10))], 10);
    spool.sealActive();
    const inner = memoryTarget();
    inner.rows.push(...flows(1000, 7)); // already in the store
    let counts = 0;
    const target: ReplayTarget = { soleWriter: true, appendFlows: (r) => inner.appendFlows(r), countFlows: () => (counts++, inner.countFlows()) };
    const intents: number[] = [];
    const journal = spool.writeJournal.bind(spool);
    spool.writeJournal = async (j) => {
      if (j?.intent) intents.push(j.intent.flowsBefore);
      return journal(j);
    };
    const replayer = new SpoolReplayer(spool, target, events());
    expect(await replayer.step()).toBe('replayed');
    expect(await replayer.step()).toBe('replayed');
    // A direct append between steps (the writer reports it), then a failed step.
    await inner.appendFlows(flows(2000, 5));
    replayer.counted(5);
    inner.failNext = 'before-commit';
    await expect(replayer.step()).rejects.toThrow('store down');
    await replayAll(replayer);
    // Before each append, the store's true count; counted once at first and once after the failure.
    expect(intents).toEqual([7, 17, 32, 32, 42]);
    expect(counts).toBe(2);
    expect(inner.rows).toHaveLength(52);
    await spool.close();
  });

  it('a torn last record (crash while spooling) is discarded and counted; the records before it replay', async () => {
    const dir = await spoolWithBatches([flows(0, 2), flows(2, 2), flows(4, 2)]);
    const path = join(dir, readdirSync(dir).find((f) => f.endsWith('.spool'))!);
    truncateSync(path, readFileSync(path).length - 5);
    const spool = openSpool(dir);
    const target = memoryTarget();
    const ev = events();
    await replayAll(new SpoolReplayer(spool, target, ev));
    expect(target.rows.map((r) => r.sport)).toEqual([0, 1, 2, 3]);
    expect(ev.discards).toEqual(['COLLECT_SPOOL_TORN']);
    await spool.close();
  });
});
