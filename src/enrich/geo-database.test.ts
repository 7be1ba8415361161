import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Reader } from 'mmdb-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../core/ip.js';
import { prng } from '../test-support/flow-captures.js';
import { DEFAULT_COUNTRY_PACKAGE, GEO_CACHE_FILES_KEPT, openGeoDatabase } from './geo-database.js';
import { readMmdbRanges } from './mmdb-ranges.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-geo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function packageFile(pkg: string, file: string): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), file);
  } catch {
    return undefined;
  }
}

const countryMmdb = packageFile(DEFAULT_COUNTRY_PACKAGE, 'dbip-country.mmdb');

describe('ASN/geo database', () => {
  it('reads ip-location-db CSV (text addresses, quoted organisations) and tells unknown space apart', () => {
    const asn = join(work, 'asn-ipv4.csv');
    writeFileSync(asn, '1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."\n8.8.8.0,8.8.8.255,15169,Google LLC\nbad,row\n');
    const asn6 = join(work, 'asn-ipv6.csv');
    writeFileSync(asn6, '2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n');
    const cc = join(work, 'country-ipv4.csv');
    writeFileSync(cc, '8.8.8.0,8.8.8.255,US\n');
    const db = openGeoDatabase({ asnDb: asn, countryDb: cc, noDefaults: true, cacheDir: false });
    expect(db.lookup(parseIp('1.0.0.1')!)).toEqual({ asn: 13335, asOrg: 'Cloudflare, Inc.', country: null });
    expect(db.lookup(parseIp('8.8.8.8')!)).toEqual({ asn: 15169, asOrg: 'Google LLC', country: 'US' });
    expect(db.lookup(parseIp('9.9.9.9')!)).toEqual({ asn: null, asOrg: null, country: null });
    const v6 = openGeoDatabase({ asnDb: asn6, noDefaults: true, cacheDir: false });
    expect(v6.lookup(parseIp('2001:4860:4860::8888')!).asn).toBe(15169);
    expect(() => openGeoDatabase({ asnDb: join(work, 'missing.mmdb'), noDefaults: true, cacheDir: false })).toThrow(/cannot read ASN\/geo database/);
    // Not a database at all (binary garbage, or some other CSV): named as such, with the first line.
    const garbage = join(work, 'garbage.bin');
    writeFileSync(garbage, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    expect(() => openGeoDatabase({ asnDb: garbage, noDefaults: true, cacheDir: false })).toThrow(
      expect.objectContaining({ code: 'IMPORT_FILE', message: expect.stringMatching(/^cannot read ASN\/geo database: not an ip-location-db CSV \(first address,last address,value\) nor a \.mmdb file: line 1: /) }),
    );
    const other = join(work, 'other.csv');
    writeFileSync(other, 'name,count\nalpha,1\n');
    expect(() => openGeoDatabase({ countryDb: other, noDefaults: true, cacheDir: false })).toThrow(/not an ip-location-db CSV .* line 1: 'name,count'$/);
  });

  it.skipIf(!countryMmdb)('walks an .mmdb tree into ranges that agree with the reference reader', () => {
    const bytes = readFileSync(countryMmdb!);
    const reader = new Reader<{ country_code?: string }>(bytes);
    const { ranges, info } = readMmdbRanges(bytes);
    expect(info.ipVersion).toBe(6);
    expect(ranges.length).toBeGreaterThan(100_000);
    const random = prng(3);
    for (let k = 0; k < 300; k++) {
      const r = ranges[Math.floor(random() * ranges.length)]!;
      const probe = typeof r.first === 'number' ? r.first + Math.floor(random() * ((r.last as number) - r.first + 1)) : r.first;
      expect(reader.get(formatIp(probe))).toEqual(r.record);
    }
  });

  it('keeps the most recently used cache files only, and a cache hit counts as a use', () => {
    const asn = join(work, 'asn-prune.csv');
    writeFileSync(asn, '8.8.8.0,8.8.8.255,15169,Google LLC\n');
    const cacheDir = join(work, 'prune-cache');
    mkdirSync(cacheDir);
    const day = 86_400;
    const now = Date.now() / 1000;
    // Six caches of earlier installs, used 1 to 6 days ago, and a file that is not a cache.
    const old = Array.from({ length: 6 }, (_, i) => `geo-${String(i).repeat(16)}.bin`);
    old.forEach((name, i) => {
      writeFileSync(join(cacheDir, name), 'stale');
      utimesSync(join(cacheDir, name), now - (i + 1) * day, now - (i + 1) * day);
    });
    writeFileSync(join(cacheDir, 'notes.txt'), 'mine');
    openGeoDatabase({ asnDb: asn, noDefaults: true, cacheDir });
    const left = readdirSync(cacheDir).sort();
    const built = left.filter((n) => n.startsWith('geo-') && !old.includes(n));
    expect(built.length).toBe(1);
    expect(GEO_CACHE_FILES_KEPT).toBe(4);
    expect(left).toEqual([...old.slice(0, 3), built[0]!, 'notes.txt'].sort());
    // Made to look unused for 10 days, the cache is used again: it is now the newest.
    const path = join(cacheDir, built[0]!);
    utimesSync(path, now - 10 * day, now - 10 * day);
    expect(openGeoDatabase({ asnDb: asn, noDefaults: true, cacheDir }).lookup(parseIp('8.8.8.8')!).asn).toBe(15169);
    expect(statSync(path).mtimeMs / 1000).toBeGreaterThan(now - 60);
  });

  it.skipIf(!countryMmdb)('the bundled database knows well-known networks (and is cached between opens)', () => {
    const cacheDir = join(work, 'cache');
    const first = openGeoDatabase({ cacheDir });
    const again = openGeoDatabase({ cacheDir });
    for (const db of [first, again]) {
      expect(db.lookup(parseIp('8.8.8.8')!)).toEqual({ asn: 15169, asOrg: 'Google LLC', country: 'US' });
      expect(db.lookup(parseIp('1.1.1.1')!).asn).toBe(13335);
      expect(db.lookup(parseIp('138.197.147.101')!)).toMatchObject({ asn: 14061, asOrg: 'DigitalOcean, LLC' });
      expect(db.lookup(parseIp('193.252.22.84')!)).toMatchObject({ asn: 3215, country: 'FR' });
      expect(db.lookup(parseIp('2001:4860:4860::8888')!).asn).toBe(15169);
      expect(db.lookup(parseIp('10.1.2.3')!)).toEqual({ asn: null, asOrg: null, country: null });
    }
    expect(again.sources.map((s) => s.part)).toEqual(['asn', 'country']);
    expect(again.sources[1]!.description).toContain('DB-IP');
  }, 120_000);
});
