import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatagramPosition } from '../../collect/datagram-spool.js';
import { DiskSpool } from '../../collect/disk-spool.js';
import { DATAGRAM_JOURNAL, DatagramJournal, DatagramReplay } from './datagram-replay.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-datagram-replay-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;

function flowSpool(): DiskSpool {
  const spool = new DiskSpool({ dir: join(work, `s${++dirs}`), maxBytes: 1 << 20, segmentBytes: 1 << 16 });
  spool.open();
  return spool;
}

const at = (segment: number, record: number): DatagramPosition => ({ segment, record });
/** A chunk standing for `flows` flows (its first byte names it). */
const chunk = (id: number) => Uint8Array.of(id, 0, 0, 0);

describe('DatagramJournal', () => {
  it('settles an intent by looking for its record in the flow spool', async () => {
    const spool = flowSpool();
    let journal = new DatagramJournal(join(spool.dir, DATAGRAM_JOURNAL));
    // What the next start finds (the journal is read afresh, as after a crash).
    const restart = () => (journal = new DatagramJournal(journal.path)).resolve(spool);
    expect(journal.resolve(spool)).toBeUndefined();
    journal.complete(at(1, 4));
    // The crash came after the intent and before the record was written: not done.
    journal.intend(at(2, 0), spool.nextRecordAt(), 7);
    expect(restart()).toEqual(at(1, 4));
    // The record was written, the crash came before the journal said so: done.
    journal.intend(at(2, 3), spool.nextRecordAt(), 7);
    expect(spool.append([chunk(1)], 7)).toBe('ok');
    expect(restart()).toEqual(at(2, 3));
    expect(JSON.parse(readFileSync(journal.path, 'utf8'))).toEqual({ done: at(2, 3) });
    // A record cut short by the crash fails its checksum: not done.
    const next = spool.nextRecordAt();
    journal.intend(at(3, 0), next, 5);
    expect(spool.append([chunk(2), chunk(3)], 5)).toBe('ok');
    await spool.close();
    truncateSync(join(spool.dir, `segment-${String(next.segment).padStart(12, '0')}.spool`), next.offset + 20);
    expect(restart()).toEqual(at(2, 3));
    // Another record with another flow count at that place is not the one intended.
    journal.intend(at(4, 0), { segment: next.segment, offset: 8 }, 6);
    expect(restart()).toEqual(at(2, 3));
    // An unreadable journal: nothing completed.
    writeFileSync(journal.path, '{"done": 3');
    expect(restart()).toBeUndefined();
  });
});

function replayWith(batchFlows: number) {
  const spool = flowSpool();
  const journal = new DatagramJournal(join(spool.dir, DATAGRAM_JOURNAL));
  journal.resolve(spool);
  const written: { ids: number[]; flows: number; journal: unknown }[] = [];
  const completed: DatagramPosition[] = [];
  const dropped: number[] = [];
  const logs: string[] = [];
  const replay = new DatagramReplay({
    batchFlows,
    flushMs: 60_000,
    journal,
    nextRecordAt: () => spool.nextRecordAt(),
    spool: (chunks, flows) => {
      written.push({ ids: chunks.map((c) => c[0]!), flows, journal: JSON.parse(readFileSync(journal.path, 'utf8')) });
      spool.append(chunks, flows);
    },
    completed: (p) => completed.push(p),
    dropped: (n) => dropped.push(n),
    log: (m) => logs.push(m),
  });
  return { replay, written, completed, journal, spool, dropped, logs };
}

describe('DatagramReplay', () => {
  it('takes batches in replay order whatever order the lanes finish them, and cuts where a batch ends', () => {
    const { replay, written, completed, journal } = replayWith(10);
    // Batch 1 (lane B) finishes before batch 0 (lane A).
    replay.add(1, chunk(10), 4, 0);
    replay.add(1, chunk(11), 3, 1);
    replay.replayed({ n: 1, position: at(5, 1) });
    expect(written).toEqual([]);
    replay.add(0, chunk(0), 5, 0);
    expect(written).toEqual([]);
    replay.replayed({ n: 0, position: at(5, 0) });
    // 5 + 7 flows, 11 without IPv6 >= 10: one batch, both datagram batches whole, in their order.
    expect(written).toEqual([{ ids: [0, 10, 11], flows: 12, journal: { intent: { through: at(5, 1), segment: 1, offset: 8, flows: 12 } } }]);
    expect(completed).toEqual([at(5, 1)]);
    expect(JSON.parse(readFileSync(journal.path, 'utf8'))).toEqual({ done: at(5, 1) });
    expect(replay.waiting).toBe(0);
  });

  it('a journal that cannot be written: the batch is dropped and counted, not written without its intent', () => {
    const { replay, written, completed, journal, dropped, logs } = replayWith(100);
    rmSync(dirname(journal.path), { recursive: true, force: true });
    replay.add(0, chunk(0), 3, 0);
    replay.replayed({ n: 0, position: at(1, 0) });
    replay.cut();
    expect(written).toEqual([]);
    expect(dropped).toEqual([3]);
    expect(completed).toEqual([at(1, 0)]);
    expect(logs[0]).toMatch(/cannot write .*datagram-journal\.json.*: 3 flows of the datagram spool dropped/);
  });

  it('gathers small batches until the cut; a batch without flows still completes; a lost one is passed over', () => {
    const { replay, written, completed } = replayWith(100);
    replay.add(0, chunk(0), 3, 0);
    replay.replayed({ n: 0, position: at(1, 0) });
    replay.replayed({ n: 1, position: at(1, 1) }); // no flows
    replay.add(2, chunk(2), 4, 0); // its worker crashed after this chunk
    replay.add(3, chunk(3), 2, 0);
    replay.replayed({ n: 3, position: at(2, 0) });
    expect(replay.waiting).toBe(2);
    replay.lost([2]);
    // Late word from the crashed worker changes nothing.
    replay.replayed({ n: 2, position: at(1, 2) });
    expect(written).toEqual([]);
    replay.cut();
    expect(written.map((w) => [w.ids, w.flows])).toEqual([[[0, 3], 5]]);
    expect(completed).toEqual([at(2, 0)]);
    expect(replay.waiting).toBe(0);
    // Only batches without flows: completed, nothing written.
    replay.replayed({ n: 4, position: at(2, 1) });
    replay.stop();
    expect(written).toHaveLength(1);
    expect(completed).toEqual([at(2, 0), at(2, 1)]);
  });
});
