import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskSpool } from './disk-spool.js';
import { readSegment, RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './spool-segment.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function spoolDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'vantage-spool-'));
  dirs.push(d);
  return d;
}

/** A payload whose bytes tell which batch it was: n repeated, `size` bytes. */
function payload(n: number, size = 100): Uint8Array {
  return new Uint8Array(size).fill(n);
}

function open(dir: string, maxBytes = 1 << 20, segmentBytes = 1 << 20): DiskSpool {
  const spool = new DiskSpool({ dir, maxBytes, segmentBytes });
  spool.open();
  return spool;
}

describe('spool segment framing', () => {
  it('reads back records in write order with their flow counts and payloads', async () => {
    const spool = open(spoolDir());
    // A record may be given in several parts (the flow chunks of a batch): they are one payload.
    expect(spool.append([payload(1, 10), payload(1, 20)], 7)).toBe('ok');
    expect(spool.append([payload(2)], 3)).toBe('ok');
    expect(spool.hasBacklog).toBe(true);
    spool.sealActive();
    const contents = readSegment(readFileSync(spool.oldest()!.path));
    expect(contents.damage).toEqual([]);
    expect(contents.records.map((r) => [r.flows, r.payload.length, r.payload[0]])).toEqual([
      [7, 30, 1],
      [3, 100, 2],
    ]);
    // Bytes on disk: segment header + two records.
    expect(spool.bytes).toBe(SEGMENT_HEADER_BYTES + 2 * RECORD_HEADER_BYTES + 130);
    await spool.close();
  });

  it('detects a torn last record by its checksum and keeps the intact ones before it', async () => {
    const dir = spoolDir();
    const spool = open(dir);
    for (let i = 1; i <= 3; i++) spool.append([payload(i)], i);
    await spool.close();
    const [name] = readdirSync(dir).filter((f) => f.endsWith('.spool'));
    const path = join(dir, name!);
    const full = readFileSync(path).length;
    // A crash in the middle of the third record's payload...
    truncateSync(path, full - 40);
    let contents = readSegment(readFileSync(path));
    expect(contents.records.map((r) => r.flows)).toEqual([1, 2]);
    expect(contents.damage).toEqual([{ code: 'COLLECT_SPOOL_TORN', offset: full - (RECORD_HEADER_BYTES + 100), bytes: RECORD_HEADER_BYTES + 60 }]);
    // ...or in its header: same outcome.
    truncateSync(path, full - 100 - 9);
    contents = readSegment(readFileSync(path));
    expect(contents.records.map((r) => r.flows)).toEqual([1, 2]);
    expect(contents.damage[0]!.code).toBe('COLLECT_SPOOL_TORN');
  });

  it('skips a damaged record in the middle and resynchronises on the next intact one', async () => {
    const dir = spoolDir();
    const spool = open(dir);
    for (let i = 1; i <= 3; i++) spool.append([payload(i)], i);
    await spool.close();
    const path = join(dir, readdirSync(dir).find((f) => f.endsWith('.spool'))!);
    const bytes = readFileSync(path);
    // One flipped bit in the second record's payload.
    bytes[SEGMENT_HEADER_BYTES + (RECORD_HEADER_BYTES + 100) + RECORD_HEADER_BYTES + 50]! ^= 0x10;
    // A damaged length field in a copy is caught too (the CRC covers the header).
    writeFileSync(path, bytes);
    const contents = readSegment(bytes);
    expect(contents.records.map((r) => r.flows)).toEqual([1, 3]);
    expect(contents.damage).toEqual([{ code: 'COLLECT_SPOOL_CORRUPT', offset: SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES + 100, bytes: RECORD_HEADER_BYTES + 100 }]);
    bytes[SEGMENT_HEADER_BYTES + 5]! ^= 0x01; // first record's length
    expect(readSegment(bytes).records.map((r) => r.flows)).toEqual([3]);
  });

  it('ignores a file that is not a segment', () => {
    expect(readSegment(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9])).validHeader).toBe(false);
  });
});

describe('disk spool', () => {
  it('refuses a batch that would take it past --spool-max, and has room again once a segment is replayed', async () => {
    // Each record is 16 + 100 bytes; a segment header is 8: 8 + 3 * 116 = 356 fits in 400, a 4th does not.
    const spool = open(spoolDir(), 400, 1000);
    for (let i = 0; i < 3; i++) expect(spool.append([payload(i)], 1)).toBe('ok');
    expect(spool.append([payload(9)], 1)).toBe('full');
    expect(spool.bytes).toBe(356);
    spool.sealActive();
    spool.remove(spool.oldest()!);
    expect(spool.bytes).toBe(0);
    expect(spool.hasBacklog).toBe(false);
    expect(spool.append([payload(9)], 1)).toBe('ok');
    await spool.close();
  });

  it('rolls segments at --segment size and hands them back oldest first, across a restart', async () => {
    const dir = spoolDir();
    // Segments roll once they reach 200 bytes: 8 + 2 * 116 = 240, two records each.
    let spool = open(dir, 1 << 20, 200);
    for (let i = 1; i <= 5; i++) spool.append([payload(i)], i);
    expect(spool.segments().map((s) => s.seq)).toEqual([1, 2]);
    await spool.close(); // seals the third (one record)
    spool = open(dir, 1 << 20, 200);
    expect(spool.segments().map((s) => s.seq)).toEqual([1, 2, 3]);
    const flows: number[] = [];
    for (let s = spool.oldest(); s; s = spool.oldest()) {
      flows.push(...readSegment(readFileSync(s.path)).records.map((r) => r.flows));
      spool.remove(s);
    }
    expect(flows).toEqual([1, 2, 3, 4, 5]);
    // New segments continue the sequence: nothing is ever written over.
    spool.append([payload(6)], 6);
    spool.sealActive();
    expect(spool.oldest()!.seq).toBe(4);
    await spool.close();
  });

  it('is locked by one collector at a time; a lock left by a dead process is taken over', async () => {
    const dir = spoolDir();
    const first = open(dir);
    expect(() => open(dir)).not.toThrow(); // same process: allowed (a restart in-process)
    await first.close();
    writeFileSync(join(dir, 'spool.lock'), '1\n'); // pid 1 is alive (init): someone else's
    expect(() => open(dir)).toThrow(/in use by process 1/);
    writeFileSync(join(dir, 'spool.lock'), '999999999\n'); // no such process
    const again = open(dir);
    expect(readFileSync(join(dir, 'spool.lock'), 'utf8').trim()).toBe(String(process.pid));
    await again.close();
  });

  it('writes and reads the replay journal atomically', async () => {
    const spool = open(spoolDir());
    expect(await spool.readJournal()).toBeUndefined();
    await spool.writeJournal({ segment: 3, done: 2, intent: { record: 2, flowsBefore: 10, flows: 5 } });
    expect(await spool.readJournal()).toEqual({ segment: 3, done: 2, intent: { record: 2, flowsBefore: 10, flows: 5 } });
    await spool.writeJournal(undefined);
    expect(await spool.readJournal()).toBeUndefined();
    await spool.close();
  });
});
