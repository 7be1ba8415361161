import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SegmentCursor } from './segment-cursor.js';
import { readSegment, recordHeader, segmentHeader, type SegmentDamage } from './spool-segment.js';

const dir = mkdtempSync(join(tmpdir(), 'vantage-cursor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small deterministic generator (mulberry32), so a failing case can be run again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A segment of `count` records of random sizes and contents, as the spool writes them. */
function segment(next: () => number, count: number): Uint8Array {
  const parts: Uint8Array[] = [segmentHeader()];
  for (let i = 0; i < count; i++) {
    const payload = Uint8Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256));
    parts.push(recordHeader([payload], i + 1), payload);
  }
  return Buffer.concat(parts);
}

/** What the cursor reads from a file holding `bytes`, in readSegment's terms. */
async function throughCursor(bytes: Uint8Array, name: string): Promise<{ records: [number, number, string][]; damage: SegmentDamage[]; validHeader: boolean }> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const cursor = await SegmentCursor.open(path);
  const records: [number, number, string][] = [];
  const damage: SegmentDamage[] = [];
  try {
    for (;;) {
      const step = await cursor.next();
      damage.push(...step.damage);
      if (!step.record) break;
      records.push([step.record.offset, step.record.flows, Buffer.from(step.record.payload).toString('hex')]);
    }
  } finally {
    await cursor.close();
  }
  return { records, damage, validHeader: cursor.validHeader };
}

function wholeFile(bytes: Uint8Array): { records: [number, number, string][]; damage: SegmentDamage[]; validHeader: boolean } {
  const c = readSegment(bytes);
  return { records: c.records.map((r) => [r.offset, r.flows, Buffer.from(r.payload).toString('hex')]), damage: c.damage, validHeader: c.validHeader };
}

describe('SegmentCursor', () => {
  it('reads an intact segment record by record', async () => {
    const bytes = segment(random(1), 5);
    const read = await throughCursor(bytes, 'intact');
    expect(read.records.map((r) => r[1])).toEqual([1, 2, 3, 4, 5]);
    expect(read.damage).toEqual([]);
  });

  it('finds the records and the damage readSegment finds in the whole file, whatever the damage', async () => {
    // readSegment, tested on its own (disk-spool.test.ts), is the reference: truncations, flipped
    // bytes, zeroed runs and inserted garbage, in headers and payloads alike.
    let damaged = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      let bytes = segment(next, 1 + Math.floor(next() * 6));
      const kind = seed % 4;
      const at = Math.floor(next() * bytes.length);
      if (kind === 0) bytes = bytes.subarray(0, at);
      else if (kind === 1) for (let i = 0; i < 1 + next() * 3; i++) bytes[Math.floor(next() * bytes.length)]! ^= 1 << Math.floor(next() * 8);
      else if (kind === 2) bytes.fill(0, at, Math.min(bytes.length, at + Math.floor(next() * 40)));
      else bytes = Buffer.concat([bytes.subarray(0, at), Uint8Array.from({ length: 1 + Math.floor(next() * 30) }, () => Math.floor(next() * 256)), bytes.subarray(at)]);
      const expected = wholeFile(bytes);
      if (expected.damage.length > 0) damaged++;
      expect(await throughCursor(bytes, `case-${seed}`), `seed ${seed}`).toEqual(expected);
    }
    // The cases did exercise the resynchronisation, not only intact files.
    expect(damaged).toBeGreaterThan(150);
  });

  it('resynchronises on the record right after garbage of any length, at every record boundary', async () => {
    const bytes = segment(random(7), 4);
    const boundaries = readSegment(bytes).records.map((r) => r.offset);
    for (const at of [...boundaries, bytes.length]) {
      for (const length of [1, 2, 3, 15, 16, 17]) {
        const damaged = Buffer.concat([bytes.subarray(0, at), new Uint8Array(length).fill(0x56), bytes.subarray(at)]);
        const expected = wholeFile(damaged);
        expect(expected.records).toHaveLength(4);
        expect(await throughCursor(damaged, `garbage-${at}-${length}`), `${length} bytes at ${at}`).toEqual(expected);
      }
    }
  });

  it('reads nothing from a file that is not a segment, or too short to be one', async () => {
    for (const bytes of [Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), Uint8Array.from([0x56, 0x53]), new Uint8Array(0)]) {
      const read = await throughCursor(bytes, `foreign-${bytes.length}`);
      expect(read).toEqual(wholeFile(bytes));
      expect(read.validHeader).toBe(false);
    }
  });
});
