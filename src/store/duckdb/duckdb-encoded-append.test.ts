// The collector's path into DuckDB: encoded flow chunks read straight into data chunks, enriched
// on the way, must store exactly what the record path stores (decode, FlowEnricher.enrich,
// appendFlows), which the store contract and the enricher's tests check against their sources.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeFlowChunks, encodeFlowChunk, FlowChunkError } from '../../collect/flow-codec.js';
import { countryCode, type FlowRecord } from '../../core/columns.js';
import { parseIp } from '../../core/ip.js';
import { FlowEnricher } from '../../enrich/enricher.js';
import { openGeoDatabase } from '../../enrich/geo-database.js';
import { FEED_PARSERS } from '../../intel/detect-feed.js';
import { IntelIndex } from '../../intel/intel-index.js';
import { prng } from '../../test-support/flow-captures.js';
import { DuckDbStore } from './duckdb-store.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-encoded-append-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

writeFileSync(
  join(work, 'asn.csv'),
  // A private 32-bit AS number too: beyond what packed_enrichment holds.
  '138.197.0.0,138.197.255.255,14061,"DigitalOcean, LLC"\n82.118.225.0,82.118.225.255,200628,BGO Cloud OOD\n198.51.100.0,198.51.100.255,4200000001,Private\n2001:678:6c4::,2001:678:6c4:ffff:ffff:ffff:ffff:ffff,64500,Test\n',
);
// One name that is not a two-letter code: stored as no country on both paths; one code that is not two capital letters.
writeFileSync(join(work, 'country.csv'), '138.197.0.0,138.197.255.255,CA\n82.118.225.0,82.118.225.199,BG\n82.118.225.200,82.118.225.255,Bulgaria\n198.51.100.0,198.51.100.255,A1\n');
const geo = openGeoDatabase({ asnDb: join(work, 'asn.csv'), countryDb: join(work, 'country.csv'), noDefaults: true, cacheDir: false });
const index = new IntelIndex([
  ...FEED_PARSERS.maltrail.parse({ file: '/t/emotet.txt', text: '138.197.147.101:443\n82.118.225.196:7080\n', kind: 'threat' }).indicators,
  ...FEED_PARSERS.spamhaus.parse({ file: '/t/drop.txt', text: '; Spamhaus DROP\n192.0.2.0/24 ; SBL1\n', kind: 'threat' }).indicators,
  ...FEED_PARSERS.spamhaus.parse({ file: '/t/dropv6.txt', text: '; Spamhaus IPv6 DROP\n2001:678:6c4::/48 ; SBL626637\n', kind: 'threat' }).indicators,
]);

const ADDRESSES = ['138.197.147.101', '138.197.2.3', '82.118.225.196', '82.118.225.200', '10.0.0.1', '10.0.7.9', '192.0.2.1', '198.51.100.7', '2001:678:6c4::99', '2001:db8::1'];

/** Flows with every kind of value the two paths could treat differently: own AS numbers (0 too), countries ('' and not a code too), tags, IPv6 rows. */
function flows(n: number, seed: number): FlowRecord[] {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const maybe = <T>(p: number, v: () => T): T | null => (random() < p ? v() : null);
  return Array.from({ length: n }, (_, i) => {
    const v6 = random() < 0.04;
    const ip = () => parseIp(v6 && random() < 0.7 ? pick(ADDRESSES.slice(8)) : pick(ADDRESSES.slice(0, 8)))!;
    return {
      start: 1_700_000_000_000 + i,
      end: 1_700_000_000_000 + i + Math.floor(random() * 5000),
      src: ip(),
      dst: ip(),
      sport: pick([443, 7080, 53, 40000 + (i % 1000)]),
      dport: pick([443, 7080, 80, 50000 + (i % 1000)]),
      proto: pick([6, 17, 1]),
      tcp_flags: Math.floor(random() * 256),
      packets: Math.floor(random() * 1e6),
      bytes: pick([60, 1500, 2 ** 33 + 7]),
      exporter: maybe(0.9, () => parseIp(random() < 0.02 ? '2001:db8::fe' : '192.0.2.254')!),
      in_if: maybe(0.8, () => Math.floor(random() * 40)),
      out_if: maybe(0.8, () => Math.floor(random() * 40)),
      sampling: maybe(0.3, () => pick([1, 100, 1000])),
      src_as: maybe(0.2, () => pick([0, 65001, 4_194_302, 4_194_303, 4_200_000_000])),
      dst_as: maybe(0.2, () => pick([0, 65002])),
      next_hop: maybe(0.1, () => parseIp('10.255.0.1')!),
      src_vlan: maybe(0.2, () => Math.floor(random() * 4096)),
      dst_vlan: maybe(0.1, () => Math.floor(random() * 4096)),
      icmp_type: maybe(0.1, () => 3),
      icmp_code: maybe(0.1, () => 1),
      tos: maybe(0.5, () => Math.floor(random() * 256)),
      direction: maybe(0.3, () => pick([0, 1])),
      end_reason: maybe(0.2, () => pick([1, 2, 3])),
      src_country: maybe(0.15, () => pick(['', 'DE', 'XX', 'ABC', 'A1'])),
      dst_country: maybe(0.15, () => pick(['', 'FR', 'é'])),
      tags: maybe(0.1, () => pick([[], ['seen'], ['seen', 'maltrail:emotet']])),
    } satisfies FlowRecord;
  });
}

/** Encoded as the decode workers send them: chunks of uneven sizes, so data chunks span several. */
function encode(records: readonly FlowRecord[], seed: number): Uint8Array[] {
  const random = prng(seed);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < records.length; ) {
    const n = 1 + Math.floor(random() * 3000);
    chunks.push(encodeFlowChunk(records.slice(at, at + n)));
    at += n;
  }
  return chunks;
}

async function stored(append: (store: DuckDbStore) => Promise<void>): Promise<Record<string, unknown>[]> {
  const store = new DuckDbStore({ path: ':memory:' });
  await store.open();
  try {
    await append(store);
    return await store.execute('SELECT * FROM flows ORDER BY start');
  } finally {
    await store.close();
  }
}

function byRecords(chunks: readonly Uint8Array[], enricher?: FlowEnricher): (store: DuckDbStore) => Promise<void> {
  return async (store) => {
    const records: FlowRecord[] = [];
    for (const c of chunks) decodeFlowChunks(c, records);
    enricher?.enrich(records);
    await store.appendFlows(records);
  };
}

describe('DuckDbStore.appendEncodedFlows', () => {
  const records = flows(9000, 5);
  const chunks = encode(records, 6);

  it('stores what the record path stores, enriched the same way', async () => {
    const viaRecords = new FlowEnricher(geo, index);
    const viaEncoded = new FlowEnricher(geo, index);
    const expected = await stored(byRecords(chunks, viaRecords));
    const got = await stored(async (store) => {
      // Two batches, as the collector appends them.
      await store.appendEncodedFlows(chunks.slice(0, 2), viaEncoded);
      await store.appendEncodedFlows(chunks.slice(2), viaEncoded);
    });
    expect(got.length).toBe(records.length);
    expect(got).toEqual(expected);
    expect([viaEncoded.flows, viaEncoded.tagged]).toEqual([viaRecords.flows, viaRecords.tagged]);
    // The cases the comparison is about did occur.
    expect(viaRecords.tagged).toBeGreaterThan(500);
    expect(got.filter((r) => r.src_as === 14061).length).toBeGreaterThan(100);
    // The table's own columns: countries as codes, addresses in a v4 and a v6 half.
    expect(got.filter((r) => r.dst_country === countryCode('BG')).length).toBeGreaterThan(100);
    // Enrichment filled the wide slots too (an AS number and a country packed_enrichment cannot hold).
    expect(got.filter((r) => r.dst_as === 4200000001 && r.dst_country === countryCode('A1')).length).toBeGreaterThan(100);
    expect(got.filter((r) => r.src6 !== null).length).toBeGreaterThan(50);
  });

  it('stores what the record path stores without an enricher', async () => {
    expect(await stored(async (store) => store.appendEncodedFlows(chunks))).toEqual(await stored(byRecords(chunks)));
  });

  it('rejects a chunk cut short with FlowChunkError, keeps nothing of its batch, and appends the next batch whole', async () => {
    const good = encodeFlowChunk(records.slice(0, 3000));
    const cut = good.subarray(0, good.length - 40);
    const got = await stored(async (store) => {
      await expect(store.appendEncodedFlows([good, cut], new FlowEnricher(geo, index))).rejects.toBeInstanceOf(FlowChunkError);
      await store.appendEncodedFlows([good], new FlowEnricher(geo, index));
    });
    expect(got).toEqual(await stored(byRecords([good], new FlowEnricher(geo, index))));
  });

  it('stores a batch flushed in slices whole, and keeps nothing of it when a chunk after the first slices is cut short', async () => {
    const big = flows(40_000, 7); // more than two slices (16,384 rows each)
    const bigChunks = encode(big, 8);
    const cut = bigChunks[bigChunks.length - 1]!.subarray(0, bigChunks[bigChunks.length - 1]!.length - 30);
    const got = await stored(async (store) => {
      await expect(store.appendEncodedFlows([...bigChunks.slice(0, -1), cut])).rejects.toBeInstanceOf(FlowChunkError);
      await store.appendEncodedFlows(bigChunks);
    });
    expect(got.length).toBe(big.length);
    expect(got).toEqual(await stored(byRecords(bigChunks)));
  });

  it('takes two appends at once (one commits while the other fills): each batch stored once, a failed one not at all', async () => {
    const cut = chunks[1]!.subarray(0, chunks[1]!.length - 25);
    const got = await stored(async (store) => {
      const results = await Promise.allSettled([store.appendEncodedFlows([chunks[0]!]), store.appendEncodedFlows([cut]), store.appendEncodedFlows(chunks.slice(2))]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    });
    expect(got).toEqual(await stored(byRecords([chunks[0]!, ...chunks.slice(2)])));
  });

  it('lets a retention delete run while appends are in flight (as `vantage serve` does): old flows go, every new one stays', async () => {
    const DAY = 86_400_000;
    const now = 1_700_000_000_000 + DAY;
    const store = new DuckDbStore({ path: ':memory:', retentionDays: 30 });
    await store.open();
    try {
      for (let round = 0; round < 3; round++) {
        // Flows 90 days old, then a delete racing two appends of new ones.
        const stale = flows(2000, 20 + round).map((r) => ({ ...r, start: r.start - 90 * DAY, end: r.end - 90 * DAY }));
        await store.appendFlows(stale);
        const [, deleted] = await Promise.all([store.appendEncodedFlows(chunks.slice(0, 3)), store.enforceRetention(now), store.appendEncodedFlows(chunks.slice(3))]);
        expect(deleted).toBe(stale.length);
      }
      const [left] = await store.execute('SELECT COUNT(*) AS n FROM flows WHERE start < $1', [{ kind: 'time', value: now - 30 * DAY }]);
      expect(Number(left!.n)).toBe(0);
      const got = await store.execute('SELECT * FROM flows ORDER BY start');
      const once = await stored(byRecords(chunks));
      // Three rounds of the same new flows: each stored three times, no old flow left.
      expect(got).toEqual(once.flatMap((r) => [r, r, r]));
    } finally {
      await store.close();
    }
  });
});

describe('DuckDbStore memory limit', () => {
  it('doubles a limit too small for appends each time DuckDB runs out of memory, until the batch goes in (once)', async () => {
    const store = new DuckDbStore({ path: join(work, 'small-limit.duckdb'), memoryLimit: '64MB', threads: 1 });
    await store.open();
    try {
      const big = flows(300_000, 9);
      const bigChunks = encode(big, 10);
      const limit = async () => String((await store.execute("SELECT current_setting('memory_limit') AS m"))[0]!.m);
      // Opened with room for the migrations; then a limit no append fits in.
      await store.execute("SET memory_limit = '1MiB'");
      const failures: string[] = [];
      for (let attempt = 0; attempt < 8; attempt++) {
        try {
          await store.appendEncodedFlows(bigChunks);
          break;
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
      expect(failures.length).toBeGreaterThan(0);
      expect(failures.every((m) => /^Failed to append: could not allocate block of size [^\n]* used\) \(DuckDB's memory limit is now \d+ MiB, for the next attempt\)$/.test(m))).toBe(true);
      // Each failure doubled the limit, and said so.
      expect(failures.map((m) => /DuckDB's memory limit is now (\d+) MiB/.exec(m)?.[1])).toEqual(failures.map((_, i) => String(2 ** (i + 1))));
      expect(await limit()).toBe(`${2 ** failures.length}.0 MiB`);
      expect((await store.stats()).flows).toBe(big.length);
    } finally {
      await store.close();
    }
  });
});
