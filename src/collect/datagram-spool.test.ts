import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DatagramSpool, SEAL_EVERY_MS, type DatagramPosition, type SpooledBatch } from './datagram-spool.js';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './spool-segment.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-datagram-spool-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;

/** A batch whose bytes say which one it is (its first byte) and how long it is. */
const batch = (i: number, size = 100) => Uint8Array.from({ length: size }, (_, k) => (k === 0 ? i : k & 0xff));

function spoolAt(dir: string, resumeAfter?: DatagramPosition, discarded: (code: string, n: number) => void = () => {}) {
  const spool = new DatagramSpool({ dir, maxBytes: 1 << 20, segmentBytes: 1000 }, resumeAfter, discarded);
  spool.open();
  return spool;
}

/** Reads everything readable now (waiting out the sealing interval once when asked to). */
async function readAll(spool: DatagramSpool): Promise<SpooledBatch[]> {
  const out: SpooledBatch[] = [];
  for (;;) {
    const b = await spool.next();
    if (b === undefined) return out;
    if (b === 'wait') {
      await new Promise((r) => setTimeout(r, SEAL_EVERY_MS + 5));
      continue;
    }
    // A payload is valid until the next read only.
    out.push({ ...b, payload: Uint8Array.from(b.payload) });
  }
}

const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.spool')).sort();

describe('DatagramSpool', () => {
  it('reads batches back in the order written, across segments, then the one being written; each once', async () => {
    const dir = join(work, `s${++dirs}`);
    const spool = spoolAt(dir);
    // 100-byte payloads in 1000-byte segments: 8 records a segment (116 bytes each, after the 8-byte header).
    for (let i = 0; i < 20; i++) expect(spool.append(batch(i), i + 1)).toBe('ok');
    expect(spool.unread).toBe(true);
    const read = await readAll(spool);
    expect(read.map((b) => b.payload[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(read.map((b) => b.datagrams)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(Uint8Array.from(read[0]!.payload)).toEqual(batch(0));
    const perSegment = Math.ceil((1000 - SEGMENT_HEADER_BYTES) / (RECORD_HEADER_BYTES + 100));
    expect(read[perSegment]!.position).toEqual({ segment: read[0]!.position.segment + 1, record: 0 });
    expect(spool.unread).toBe(false);
    expect(spool.spooledDatagrams).toBe(210);
    expect(spool.replayedDatagrams).toBe(210);
    // Written after everything was read: read next.
    spool.append(batch(20), 1);
    expect(spool.unread).toBe(true);
    expect((await readAll(spool)).map((b) => b.payload[0])).toEqual([20]);
    await spool.close();
  });

  it('deletes a segment once every record in it is completed, and not before', async () => {
    const dir = join(work, `s${++dirs}`);
    const spool = spoolAt(dir);
    for (let i = 0; i < 20; i++) spool.append(batch(i), 1);
    const read = await readAll(spool);
    const files = segments(dir).length;
    expect(files).toBe(3);
    const lastOfFirst = read.filter((b) => b.position.segment === read[0]!.position.segment).at(-1)!.position;
    spool.completed({ segment: lastOfFirst.segment, record: lastOfFirst.record - 1 });
    expect(segments(dir)).toHaveLength(3);
    spool.completed(lastOfFirst);
    expect(segments(dir)).toHaveLength(2);
    spool.completed(read.at(-1)!.position);
    expect(segments(dir)).toHaveLength(0);
    expect(spool.bytes).toBe(0);
    await spool.close();
  });

  it('after a restart, reads from the record after the last one completed (earlier segments deleted)', async () => {
    const dir = join(work, `s${++dirs}`);
    const first = spoolAt(dir);
    for (let i = 0; i < 20; i++) first.append(batch(i), 1);
    const read = await readAll(first);
    // The process dies with batches 0..10 completed downstream: the journal says so.
    const done = read[10]!.position;
    await first.close();
    const second = spoolAt(dir, done);
    expect(second.unread).toBe(true);
    expect(segments(dir)[0]).toBe(`segment-${String(done.segment).padStart(12, '0')}.spool`);
    const again = await readAll(second);
    expect(again.map((b) => b.payload[0])).toEqual(Array.from({ length: 9 }, (_, i) => 11 + i));
    expect(again.map((b) => b.position)).toEqual(read.slice(11).map((b) => b.position));
    await second.close();
  });

  it('reads the segment being written at most every SEAL_EVERY_MS (one file per closing)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const dir = join(work, `s${++dirs}`);
      const spool = spoolAt(dir);
      spool.append(batch(1), 1);
      expect(await spool.next()).toMatchObject({ datagrams: 1 });
      expect(await spool.next()).toBeUndefined();
      spool.append(batch(2), 1);
      expect(await spool.next()).toBe('wait');
      vi.setSystemTime(Date.now() + SEAL_EVERY_MS);
      const next = await spool.next();
      expect(next !== 'wait' && next?.payload[0]).toBe(2);
      await spool.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('skips and counts a damaged record, and refuses batches beyond its size', async () => {
    const dir = join(work, `s${++dirs}`);
    const first = spoolAt(dir);
    for (let i = 0; i < 3; i++) first.append(batch(i), 1);
    await first.close();
    const [name] = segments(dir);
    const bytes = readFileSync(join(dir, name!));
    bytes[SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES + 116 + 50] ^= 0xff; // inside the second record's payload
    writeFileSync(join(dir, name!), bytes);
    const discarded: [string, number][] = [];
    const second = spoolAt(dir, undefined, (code, n) => discarded.push([code, n]));
    expect((await readAll(second)).map((b) => b.payload[0])).toEqual([0, 2]);
    expect(discarded).toEqual([['COLLECT_SPOOL_CORRUPT', 1]]);
    expect(second.append(new Uint8Array(1 << 20), 1)).toBe('full');
    await second.close();
    expect(existsSync(join(dir, 'spool.lock'))).toBe(false);
  });
});
