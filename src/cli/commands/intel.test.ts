// `vantage intel` and `vantage hunt` through the built CLI, as an analyst runs them.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { pcapsToNfdumpCsv, PIPELINE_TOOLS } from '../../intel/testing/pcap-to-nfdump-csv.js';

const CLI = join(import.meta.dirname, '..', '..', '..', 'dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'vantage-intel-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function vantage(db: string, ...args: string[]) {
  const r = spawnSync('node', [CLI, '--db', db, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TI = (rel: string) => sharedDataPath(`threat-intel/${rel}`);
const feedsPresent = TI('spamhaus/drop.txt') && TI('maltrail/hacked_log4j.txt') && TI('maltrail/emotet.txt') && TI('maltrail/trickbot.txt');

describe.runIf(feedsPresent)('vantage intel', () => {
  const db = join(work, 'intel.duckdb');
  const allow = join(work, 'warninglist.json');
  beforeAll(() => {
    writeFileSync(
      allow,
      JSON.stringify({ name: 'List of known Google domains', type: 'hostname', matching_attributes: ['hostname', 'domain'], list: ['google.com', '.googleapis.com'] }, null, 2),
    );
    const r = vantage(db, 'intel', 'load', '--json', TI('spamhaus/drop.txt')!, TI('maltrail/hacked_log4j.txt')!, allow);
    expect(r.stderr).toContain('loaded 1385 indicators from');
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout) as { source: string; active: number }[];
    expect(summary.map((s) => [s.source, s.active])).toEqual([
      ['spamhaus:drop', 1385],
      ['maltrail:hacked_log4j', 10],
      ['warninglist:google-domains', 2],
    ]);
  });

  it('match: an address inside a DROP range returns that range with its source and SBL id', () => {
    const r = vantage(db, 'intel', 'match', '--no-geo', '1.10.16.77');
    expect(r.status).toBe(0);
    const [answer] = JSON.parse(r.stdout);
    expect(answer).toMatchObject({ query: '1.10.16.77', type: 'ip', allowed: false });
    expect(answer.matches).toHaveLength(1);
    expect(answer.matches[0]).toMatchObject({
      indicator: '1.10.16.0/20',
      type: 'cidr',
      how: 'covering-prefix',
      source: 'spamhaus:drop',
      reference: 'SBL256894',
      flow_tag: 'drop',
      file: TI('spamhaus/drop.txt'),
      line: 5,
      raw: '1.10.16.0/20 ; SBL256894',
    });
  });

  it('match: a subdomain of a listed domain returns the parent entry; allow-listed values say so', () => {
    const r = vantage(db, 'intel', 'match', '--no-geo', 'a.b.bingsearchlib.com', 'storage.googleapis.com', 'example.org');
    expect(r.status).toBe(0);
    const [sub, allowed, unknown] = JSON.parse(r.stdout);
    expect(sub.matches.map((m: { indicator: string; how: string; source: string }) => [m.indicator, m.how, m.source])).toEqual([['bingsearchlib.com', 'parent-domain', 'maltrail:hacked_log4j']]);
    expect(allowed).toMatchObject({ allowed: true, matches: [] });
    expect(allowed.allow[0]).toMatchObject({ indicator: 'googleapis.com', kind: 'allow', how: 'parent-domain', source: 'warninglist:google-domains', flow_tag: 'allow:google-domains' });
    expect(unknown).toMatchObject({ allowed: false, matches: [], allow: [] });
  });

  it('match: gives ASN and country context for addresses', () => {
    const r = vantage(db, 'intel', 'match', '8.8.8.8');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)[0].context).toEqual({ asn: 15169, as_org: 'Google LLC', country: 'US' });
  }, 120_000);

  it('list and stats show feeds, counts and freshness', () => {
    const list = vantage(db, 'intel', 'list', '--format', 'json');
    expect(list.status).toBe(0);
    const feeds = JSON.parse(list.stdout) as Record<string, unknown>[];
    expect(feeds.find((f) => f.source === 'spamhaus:drop')).toMatchObject({ feed: 'spamhaus', active: 1385, generated_at: '2025-01-17T17:03:47.000Z' });
    const stats = vantage(db, 'intel', 'stats', '--no-geo', '--format', 'json');
    expect(stats.status).toBe(0);
    const s = JSON.parse(stats.stdout);
    expect(s.counts).toContainEqual({ source: 'spamhaus:drop', type: 'cidr', kind: 'threat', active: 1385, expired: 0 });
    expect(s.index.indicators).toBe(1397);
  });

  it('load: a malformed feed is reported with file and line, the rest loads, and an unknown file fails cleanly', () => {
    const bad = join(work, 'drop-bad.txt');
    writeFileSync(bad, '; Spamhaus DROP List\n1.2.3.0/24 ; SBL1\nnot-a-cidr ; SBL2\n5.6.7.0/24 ; SBL3\n');
    const r = vantage(db, 'intel', 'load', '--source', 'spamhaus:test', bad);
    // Exit 1 for the bad line, after loading the others.
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}:3: 'not-a-cidr' is not a CIDR network [INTEL_BAD_VALUE]`);
    expect(r.stderr).toContain('loaded 2 indicators from');
    expect(r.stderr).toMatch(/1 rejected\nvantage: 1 feed entry rejected \(listed above\); the other 2 indicators were loaded \[IMPORT_RECORD\]\n$/);
    const missing = vantage(db, 'intel', 'load', join(work, 'nope.txt'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nope\.txt: cannot read: no such file \[IMPORT_FILE\]/);
  });
});

const feodoPresent = TI('abusech-feodo/ipblocklist.csv') && TI('spamhaus/drop.txt');
describe.runIf(feodoPresent)('vantage intel load: bad input', () => {
  const db = join(work, 'bad-input.duckdb');
  const noStack = (stderr: string) => expect(stderr).not.toMatch(/unexpected error|\n\s+at /);

  it('a damaged .gz among several files is named; the others load; exit 1 (and --json lists both)', () => {
    const drop = TI('spamhaus/drop.txt')!;
    const cut = join(work, 'drop-cut.txt.gz');
    writeFileSync(cut, gzipSync(readFileSync(drop)).subarray(0, 9000));
    const partners = join(work, 'partners.txt');
    writeFileSync(partners, '192.0.2.0/24\npartner.example\n');
    const r = vantage(db, 'intel', 'load', '--json', drop, cut, partners);
    expect(r.status).toBe(1);
    noStack(r.stderr);
    expect(r.stderr).toContain(`${cut}: cannot read: not a valid gzip file (unexpected end of file) [IMPORT_FILE]\n`);
    expect(r.stderr).toContain(`loaded 1385 indicators from ${drop} as spamhaus:drop`);
    expect(r.stderr).toContain(`loaded 2 indicators from ${partners} as list:partners`);
    expect(r.stderr).toContain(`vantage: 1 of 3 feed files not loaded in full (${cut}: see above); the other files loaded [IMPORT_FILE]\n`);
    const out = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(out.map((o) => [o.file, o.source ?? null, o.error ?? null])).toEqual([
      [drop, 'spamhaus:drop', null],
      [partners, 'list:partners', null],
      [cut, null, { code: 'IMPORT_FILE', message: 'cannot read: not a valid gzip file (unexpected end of file)' }],
    ]);
  });

  it('a Feodo list cut to 20 lines loads its 11 entries, expires none of the 28, and exits 1', () => {
    const full = TI('abusech-feodo/ipblocklist.csv')!;
    expect(vantage(db, 'intel', 'load', full).status).toBe(0);
    const cut = join(work, 'feodo-cut.csv');
    writeFileSync(cut, `${readFileSync(full, 'utf8').split('\n').slice(0, 20).join('\n')}\n`);
    const r = vantage(db, 'intel', 'load', cut);
    expect(r.status).toBe(1);
    noStack(r.stderr);
    expect(r.stderr).toBe(
      `loaded 11 indicators from ${cut} as feodo (feodo): 0 new, 11 updated, 0 expired, 0 rejected\n` +
        `vantage: ${cut}: cut short: no '# END <n> entries' line after the last entry (line 20): loaded its 11 readable entries, expired nothing from feodo [IMPORT_FORMAT]\n`,
    );
    const feeds = JSON.parse(vantage(db, 'intel', 'list', '--format', 'json').stdout) as Record<string, unknown>[];
    expect(feeds.find((f) => f.source === 'feodo')).toMatchObject({ active: 28, expired: 0 });
  });

  it.skipIf(!TI('stix2/apt1.json'))('entries that cannot be matched are reported but are not bad input: exit 0', () => {
    // apt1.json's two x509-certificate issuer/serial patterns (lines 368 and 383 of the bundle).
    const r = vantage(db, 'intel', 'load', TI('stix2/apt1.json')!);
    expect(r.status).toBe(0);
    expect(r.stderr.match(/\[INTEL_UNSUPPORTED\]/g)).toHaveLength(2);
    expect(r.stderr).not.toContain('vantage:');
  });

  it('a STIX null object is one rejected entry; an empty --source is a usage error', () => {
    const bundle = join(work, 'stix-null.json');
    const indicator = { type: 'indicator', id: 'indicator--y', pattern: "[ipv4-addr:value = '10.6.0.1']", pattern_type: 'stix', valid_from: '2024-01-01T00:00:00Z' };
    writeFileSync(bundle, JSON.stringify({ type: 'bundle', id: 'bundle--x', objects: [null, indicator] }));
    const r = vantage(db, 'intel', 'load', bundle);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bundle}:1: objects[0] is null, not a STIX object [INTEL_BAD_LINE]\n`);
    expect(r.stderr).toContain('1 new, 0 updated, 0 expired, 1 rejected');
    const empty = vantage(db, 'intel', 'load', '--source', '', bundle);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toBe('vantage: --source needs a name: got an empty one [USAGE]\n');
  });
});

const pcaps = [sharedDataPath('pcap-malicious/ndpi/emotet.pcap'), sharedDataPath('pcap-malicious/ndpi/trickbot.pcap')];
describe.runIf(feedsPresent && PIPELINE_TOOLS.every((t) => requireTool(t)) && pcaps.every(Boolean))('vantage hunt', () => {
  it('reports the Emotet and TrickBot C2 sightings as JSON after the trails are loaded', async () => {
    const csv = await pcapsToNfdumpCsv(pcaps as string[], join(work, 'pcap'));
    const db = join(work, 'hunt.duckdb');
    expect(vantage(db, 'import', '--format', 'nfdump-csv', '--no-enrich', csv).status).toBe(0);
    expect(vantage(db, 'intel', 'load', TI('maltrail/emotet.txt')!, TI('maltrail/trickbot.txt')!).status).toBe(0);
    const r = vantage(db, 'hunt', '--format', 'json');
    expect(r.status).toBe(0);
    const sightings = JSON.parse(r.stdout) as Record<string, unknown>[];
    const c2 = sightings.filter((s) => s.type === 'ip-port').map((s) => [s.indicator, s.source, s.family, s.src, s.dst, s.dport, s.flows]);
    expect(c2).toEqual([
      ['82.118.225.196:7080', 'maltrail:emotet', 'emotet', '10.12.29.101', '82.118.225.196', 7080, 2],
      ['138.197.147.101:443', 'maltrail:emotet', 'emotet', '10.4.25.101', '138.197.147.101', 443, 4],
    ]);
    for (const s of sightings) expect(Object.keys(s)).toEqual(expect.arrayContaining(['indicator', 'source', 'family', 'src', 'dst', 'dport', 'first', 'last', 'flows', 'bytes']));
    expect(r.stderr).toMatch(/hunt: \d+ distinct addresses, 2 matched/);
  }, 180_000);
});
