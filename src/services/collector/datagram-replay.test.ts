import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatagramPosition } from '../../collect/datagram-spool.js';
import { DiskSpool } from '../../collect/disk-spool.js';
import { flowNumbers, ipv6Among, numberedChunk } from '../../test-support/numbered-flow-chunks.js';
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
/** A stand-in for a flow spool record's payload (the journal only checks where records are). */
const chunk = (id: number) => Uint8Array.of(id, 0, 0, 0);
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('DatagramJournal', () => {
  it('settles an intent by looking for its record in the flow spool', async () => {
    const spool = flowSpool();
    let journal = new DatagramJournal(join(spool.dir, DATAGRAM_JOURNAL));
    // What the next start finds (the journal is read afresh, as after a crash).
    const restart = () => (journal = new DatagramJournal(journal.path)).resolve(spool);
    expect(journal.resolve(spool)).toEqual({});
    journal.complete({ done: at(1, 4) });
    // The crash came after the intent and before the record was written: not done.
    journal.intend({ done: at(2, 0) }, spool.nextRecordAt(), 7);
    expect(restart()).toEqual({ done: at(1, 4) });
    // The record was written, the crash came before the journal said so: done.
    journal.intend({ done: at(2, 3) }, spool.nextRecordAt(), 7);
    expect(spool.append([chunk(1)], 7)).toBe('ok');
    expect(restart()).toEqual({ done: at(2, 3) });
    expect(JSON.parse(readFileSync(journal.path, 'utf8'))).toEqual({ done: at(2, 3) });
    // A batch that ends inside a datagram batch: how far into it is part of the mark.
    journal.intend({ done: at(2, 3), partial: 6 }, spool.nextRecordAt(), 9);
    expect(spool.append([chunk(4)], 9)).toBe('ok');
    expect(restart()).toEqual({ done: at(2, 3), partial: 6 });
    journal.intend({ done: at(2, 5) }, spool.nextRecordAt(), 2);
    expect(restart()).toEqual({ done: at(2, 3), partial: 6 });
    // A record cut short by the crash fails its checksum: not done.
    const next = spool.nextRecordAt();
    journal.intend({ done: at(3, 0) }, next, 5);
    expect(spool.append([chunk(2), chunk(3)], 5)).toBe('ok');
    await spool.close();
    truncateSync(join(spool.dir, `segment-${String(next.segment).padStart(12, '0')}.spool`), next.offset + 20);
    expect(restart()).toEqual({ done: at(2, 3), partial: 6 });
    // Another record with another flow count at that place is not the one intended.
    journal.intend({ done: at(4, 0) }, { segment: next.segment, offset: 8 }, 6);
    expect(restart()).toEqual({ done: at(2, 3), partial: 6 });
    // An unreadable journal: nothing completed.
    writeFileSync(journal.path, '{"done": 3');
    expect(restart()).toEqual({});
  });

  it("settles the intent of an earlier build's journal (the batch it completes named `through`)", () => {
    const spool = flowSpool();
    const journal = new DatagramJournal(join(spool.dir, DATAGRAM_JOURNAL));
    const next = spool.nextRecordAt();
    writeFileSync(journal.path, JSON.stringify({ done: at(1, 2), intent: { through: at(1, 5), segment: next.segment, offset: next.offset, flows: 3 } }));
    expect(spool.append([chunk(1)], 3)).toBe('ok');
    expect(journal.resolve(spool)).toEqual({ done: at(1, 5) });
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
      written.push({ ids: flowNumbers(chunks), flows, journal: JSON.parse(readFileSync(journal.path, 'utf8')) });
      spool.append(chunks, flows);
    },
    completed: (p) => completed.push(p),
    dropped: (n) => dropped.push(n),
    log: (m) => logs.push(m),
  });
  return { replay, written, completed, journal, spool, dropped, logs };
}

describe('DatagramReplay', () => {
  it('takes batches in replay order whatever order the lanes finish them, and cuts at batchFlows IPv4 flows, inside a datagram batch', () => {
    const { replay, written, completed, journal } = replayWith(10);
    replay.start();
    // Flows 4 and 9 have an IPv6 address. Batch 1 (lane B) finishes before batch 0 (lane A).
    const ipv6 = new Set([4, 9]);
    const add = (n: number, first: number, count: number) => replay.add(n, numberedChunk(first, count, ipv6), count, ipv6Among(first, count, ipv6));
    add(1, 5, 4);
    add(1, 9, 6);
    replay.replayed({ n: 1, position: at(5, 1) });
    expect(written).toEqual([]);
    add(0, 0, 5);
    expect(written).toEqual([]);
    replay.replayed({ n: 0, position: at(5, 0) });
    // Flows 0-14, 13 of them IPv4: the batch ends after the 10th (flow 11), inside batch 1, six
    // of whose IPv4 flows it takes (5-8, 10, 11; 9 rides along).
    expect(written).toEqual([{ ids: range(0, 12), flows: 12, journal: { intent: { mark: { done: at(5, 0), partial: 6 }, segment: 1, offset: 8, flows: 12 } } }]);
    // Batch 0 is all in the flow spool: its datagrams may go.
    expect(completed).toEqual([at(5, 0)]);
    expect(JSON.parse(readFileSync(journal.path, 'utf8'))).toEqual({ done: at(5, 0), partial: 6 });
    // Batch 1's last three and batch 2's seven IPv4 flows: cut where batch 2 ends, complete.
    add(2, 15, 7);
    replay.replayed({ n: 2, position: at(6, 0) });
    expect(written[1]).toEqual({ ids: range(12, 22), flows: 10, journal: { done: at(5, 0), partial: 6, intent: { mark: { done: at(6, 0) }, segment: 1, offset: expect.any(Number), flows: 10 } } });
    expect(completed).toEqual([at(5, 0), at(6, 0)]);
    expect(replay.waiting).toBe(0);
  });

  it('a crash after a batch cut inside a datagram batch: the next run passes over what was written, however the flows are chunked', () => {
    // Four datagram batches of 8 flows each (32 flows, every fifth IPv6), batches of 6 IPv4 flows.
    const ipv6 = new Set([0, 5, 10, 15, 20, 25, 30]);
    const feed = (replay: DatagramReplay, n: number, batch: number, chunkFlows: number) => {
      for (let first = batch * 8; first < batch * 8 + 8; first += chunkFlows) {
        const count = Math.min(chunkFlows, batch * 8 + 8 - first);
        replay.add(n, numberedChunk(first, count, ipv6), count, ipv6Among(first, count, ipv6));
      }
      replay.replayed({ n, position: at(1, batch) });
    };
    const first = replayWith(6);
    first.replay.start();
    for (let b = 0; b < 3; b++) feed(first.replay, b, b, 3);
    // The crash: what was gathered and not written is gone with the process.
    const keptBefore = first.written.flatMap((w) => w.ids);
    const mark = new DatagramJournal(first.journal.path).resolve(first.spool);
    expect(mark.partial).toBeGreaterThan(0);
    expect(first.written.every((w) => w.flows - w.ids.filter((id) => ipv6.has(id)).length === 6)).toBe(true);
    // The next run reads back from the batch after `done`, its worker chunking its flows otherwise.
    const second = replayWith(6);
    second.replay.start(mark);
    const from = mark.done ? mark.done.record + 1 : 0;
    for (let b = from; b < 4; b++) feed(second.replay, b - from, b, 5);
    second.replay.stop();
    expect([...keptBefore, ...second.written.flatMap((w) => w.ids)]).toEqual(range(0, 32));
  });

  it('a journal that cannot be written: the batch is dropped and counted, not written without its intent', () => {
    const { replay, written, completed, journal, dropped, logs } = replayWith(100);
    rmSync(dirname(journal.path), { recursive: true, force: true });
    replay.add(0, numberedChunk(0, 3), 3, 0);
    replay.replayed({ n: 0, position: at(1, 0) });
    replay.cut();
    expect(written).toEqual([]);
    expect(dropped).toEqual([3]);
    expect(completed).toEqual([at(1, 0)]);
    expect(logs[0]).toMatch(/cannot write .*datagram-journal\.json.*: 3 flows of the datagram spool dropped/);
  });

  it('gathers small batches until the cut; a batch without flows still completes; a lost one is passed over', () => {
    const { replay, written, completed } = replayWith(100);
    replay.add(0, numberedChunk(0, 3), 3, 0);
    replay.replayed({ n: 0, position: at(1, 0) });
    replay.replayed({ n: 1, position: at(1, 1) }); // no flows
    replay.add(2, numberedChunk(3, 4), 4, 0); // its worker crashed after this chunk
    replay.add(3, numberedChunk(7, 2), 2, 0);
    replay.replayed({ n: 3, position: at(2, 0) });
    expect(replay.waiting).toBe(2);
    replay.lost([2]);
    // Late word from the crashed worker changes nothing.
    replay.replayed({ n: 2, position: at(1, 2) });
    expect(written).toEqual([]);
    replay.cut();
    // Batches 0 and 3 (flows 0-2 and 7-8); batch 2's flows went with its worker.
    expect(written.map((w) => [w.ids, w.flows])).toEqual([[[0, 1, 2, 7, 8], 5]]);
    expect(completed).toEqual([at(2, 0)]);
    expect(replay.waiting).toBe(0);
    // Only batches without flows: completed, nothing written.
    replay.replayed({ n: 4, position: at(2, 1) });
    replay.stop();
    expect(written).toHaveLength(1);
    expect(completed).toEqual([at(2, 0), at(2, 1)]);
  });
});
