import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectFeed, FEED_PARSERS } from '../intel/detect-feed.js';
import { IntelIndex } from '../intel/intel-index.js';
import { sharedDataPath } from '../test-support/shared-data.js';
import { openGeoDatabase } from './geo-database.js';
import { RangeTableBuilder } from './range-table.js';
import { MergedV4Table, rangeSteps } from './v4-step-table.js';

function table(ranges: [number, number, number][]) {
  const b = new RangeTableBuilder();
  for (const [first, last, value] of ranges) b.add(first, last, value);
  return b.build();
}

const steps = (t: ReturnType<typeof table>) => rangeSteps(t.arrays.v4Starts, t.arrays.v4Ends, t.arrays.v4Values);

describe('MergedV4Table', () => {
  it('answers every source at every boundary and between: adjacent, nested-in-gap, edge-of-space ranges', () => {
    const a = table([
      [0, 9, 1],
      [10, 19, 2], // adjacent: no gap row between
      [30, 39, 3],
      [2 ** 32 - 5, 2 ** 32 - 1, 4], // ends at the last address
    ]);
    const b = table([
      [5, 34, 7],
      [100, 100, 8],
    ]);
    const merged = new MergedV4Table([steps(a), steps(b)]);
    const probes = [0, 4, 5, 9, 10, 19, 20, 29, 30, 34, 35, 39, 40, 99, 100, 101, 2 ** 32 - 6, 2 ** 32 - 5, 2 ** 32 - 1];
    for (const ip of probes) {
      const at = merged.lookup(ip);
      // Two sources: the row's third value word is padding, -1 (the enricher reads it as "no indicator set").
      expect([ip, merged.values[at], merged.values[at + 1], merged.values[at + 2]]).toEqual([ip, a.lookupV4(ip), b.lookupV4(ip), -1]);
    }
    // Rows only where some source changes: 0,5,10,20,30,35,40,100,101,2^32-5.
    expect(merged.size).toBe(10);
  });

  it('finds every address of a dense /20 (thousands of rows, binary-searched) and around it', () => {
    // 3,000 single addresses listed in 10.1.0.0/20, every other one, then a range to its end.
    const base = 0x0a010000;
    const dense = table([...Array.from({ length: 3000 }, (_, i): [number, number, number] => [base + 2 * i, base + 2 * i, i % 7]), [base + 6001, base + 4095, 9]]);
    const sparse = table([[base - 5, base + 3, 1]]);
    const merged = new MergedV4Table([steps(dense), steps(sparse)]);
    let mismatches = 0;
    for (let ip = base - 16; ip < base + 4096 + 16; ip++) {
      const at = merged.lookup(ip);
      if (merged.values[at] !== dense.lookupV4(ip) || merged.values[at + 1] !== sparse.lookupV4(ip)) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(merged.size).toBeGreaterThan(6000);
  });

  it('an empty source is -1 everywhere', () => {
    const merged = new MergedV4Table([steps(table([])), steps(table([[7, 8, 1]]))]);
    expect([6, 7, 9].map((ip) => [...merged.values.subarray(merged.lookup(ip), merged.lookup(ip) + 2)])).toEqual([
      [-1, -1],
      [-1, 1],
      [-1, -1],
    ]);
  });

  const feeds = sharedDataPath('threat-intel');
  describe.skipIf(!feeds)('the bundled ASN/country database with the shared feeds', () => {
    it('gives what the ASN table, the country table and the indicator index each give, for 200,000 addresses', () => {
      const geo = openGeoDatabase();
      const files = ['maltrail/emotet.txt', 'spamhaus/drop.txt', 'ipsum/ipsum.txt'].map((f) => sharedDataPath(`threat-intel/${f}`)).filter((f): f is string => f !== undefined);
      const index = new IntelIndex(
        files.flatMap((file) => {
          const text = readFileSync(file, 'utf8');
          return FEED_PARSERS[detectFeed(file, text)].parse({ file, text, kind: 'threat' }).indicators;
        }),
      );
      const merged = new MergedV4Table([steps(geo.asn), steps(geo.country), index.v4Steps()]);
      // Random addresses, and listed ones with their neighbours (the boundaries).
      let s = 12345;
      const probes: number[] = [];
      for (let i = 0; i < 150_000; i++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        probes.push(s >>> 0);
      }
      const { points } = index.v4Steps();
      for (let i = 0; i < points.length && probes.length < 200_000; i += 7) probes.push(points[i]!, Math.max(0, points[i]! - 1));
      let mismatches = 0;
      for (const ip of probes) {
        const at = merged.lookup(ip);
        if (merged.values[at] !== geo.asn.lookupV4(ip) || merged.values[at + 1] !== geo.country.lookupV4(ip) || merged.values[at + 2] !== index.lookupV4(ip)) mismatches++;
      }
      expect(mismatches).toBe(0);
      expect(index.v4Steps().points.length).toBeGreaterThan(1000);
    });
  });
});
