// Block list output against hand-written expected text, and the firewall formats through the
// real tools: `nft -c -f` (check mode) and `ipset restore` into throw-away sets read back with
// `ipset save`. Plus the reserved-space and breadth rules on worked examples.

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../core/ip.js';
import { IntelIndex } from '../../intel/intel-index.js';
import { WatchIndex } from '../../monitor/watchlists/watch-index.js';
import { parseWatchlist } from '../../monitor/watchlists/watchlist.js';
import { requireTool } from '../../test-support/shared-data.js';
import { parseCriteria } from './blocklist-criteria.js';
import { formatBlocklist, IPSET_MAX_TIMEOUT } from './blocklist-format.js';
import type { BlockEntry, BlockList } from './blocklist.js';
import { prefixLength, rangeText } from './reserved-ranges.js';
import { holdReasons, type SafetyContext } from './safety-check.js';

const BUILT = '2026-03-01T00:00:00.000Z';

function entry(value: string, expires: string | null, extra: Partial<BlockEntry> = {}): BlockEntry {
  return {
    value,
    family: value.includes(':') ? 6 : 4,
    reason: 'scan scanner (score 0.93)',
    confidence: 93,
    firstSeen: '2026-02-27T10:00:00.000Z',
    lastSeen: '2026-02-28T00:00:00.000Z',
    expires,
    evidence: [{ type: 'finding', id: 'ac370f892fda4fec3ed8', kind: 'scan', subkind: 'vertical', role: 'scanner', score: 0.93, summary: 's', query: `src ip ${value} and flags S and not flags A`, from: 'a', to: 'b' }],
    ...extra,
  };
}

/** Four entries: two v4 (an address inside a listed network, which nft must leave out), one v6, one without expiry. */
const LIST: BlockList = {
  name: 'edge',
  builtAt: BUILT,
  criteria: parseCriteria({}),
  window: null,
  entries: [
    entry('185.94.111.0/24', '2026-03-07T00:00:00.000Z'),
    entry('185.94.111.1', '2026-03-01T01:00:00.500Z', {
      reason: 'listed by ipsum (confidence 30)',
      confidence: 30,
      evidence: [{ type: 'indicator', source: 'ipsum', indicator: '185.94.111.1', confidence: 30, tags: [], file: '/d/ipsum.txt', line: 12, raw: '185.94.111.1\t3' }],
    }),
    entry('2a06:4880::/32', null, { reason: 'listed by spamhaus:dropv6, "quoted"' }),
    entry('80.82.77.33', '2027-12-31T00:00:00.000Z'),
  ],
  held: [],
};

describe('block list formats', () => {
  it('plain: one value per line, as an EDL', () => {
    expect(formatBlocklist(LIST, 'plain')).toBe('185.94.111.0/24\n185.94.111.1\n2a06:4880::/32\n80.82.77.33\n');
    expect(formatBlocklist({ ...LIST, entries: [] }, 'plain')).toBe('');
  });

  it('csv: value,reason,confidence,expires,evidence with RFC 4180 quoting', () => {
    expect(formatBlocklist(LIST, 'csv')).toBe(
      'value,reason,confidence,expires,evidence\n' +
        '185.94.111.0/24,scan scanner (score 0.93),93,2026-03-07T00:00:00.000Z,finding ac370f892fda4fec3ed8 scan/vertical scanner: src ip 185.94.111.0/24 and flags S and not flags A\n' +
        '185.94.111.1,listed by ipsum (confidence 30),30,2026-03-01T01:00:00.500Z,ipsum /d/ipsum.txt:12: 185.94.111.1\t3\n' +
        '2a06:4880::/32,"listed by spamhaus:dropv6, ""quoted""",93,,finding ac370f892fda4fec3ed8 scan/vertical scanner: src ip 2a06:4880::/32 and flags S and not flags A\n' +
        '80.82.77.33,scan scanner (score 0.93),93,2027-12-31T00:00:00.000Z,finding ac370f892fda4fec3ed8 scan/vertical scanner: src ip 80.82.77.33 and flags S and not flags A\n',
    );
  });

  it('nft: declared sets, flushed and refilled; timeouts in seconds from the build (rounded up); nested entries left out', () => {
    // 2026-03-07 - 2026-03-01 = 6 days = 518400 s; 1 h 0.5 s -> 3601 s; 2027-12-31 - 2026-03-01 = 670 days = 57888000 s.
    expect(formatBlocklist(LIST, 'nft')).toBe(
      [
        '# Vantage block list edge built 2026-03-01T00:00:00.000Z: 4 entries, 0 held back',
        'table inet vantage {',
        '\tset vantage_block_v4 {',
        '\t\ttype ipv4_addr',
        '\t\tflags interval, timeout',
        '\t}',
        '\tset vantage_block_v6 {',
        '\t\ttype ipv6_addr',
        '\t\tflags interval, timeout',
        '\t}',
        '}',
        'flush set inet vantage vantage_block_v4',
        'flush set inet vantage vantage_block_v6',
        'add element inet vantage vantage_block_v4 { 80.82.77.33 timeout 57888000s, 185.94.111.0/24 timeout 518400s }',
        'add element inet vantage vantage_block_v6 { 2a06:4880::/32 }',
        '',
      ].join('\n'),
    );
  });

  it('ipset: hash:net sets created if missing, flushed, entries with timeouts capped at the kernel limit', () => {
    expect(formatBlocklist(LIST, 'ipset', { set: 'edge' })).toBe(
      [
        '# Vantage block list edge built 2026-03-01T00:00:00.000Z: 4 entries, 0 held back',
        'create edge_v4 hash:net family inet timeout 0 maxelem 1048576 -exist',
        'flush edge_v4',
        'add edge_v4 185.94.111.0/24 timeout 518400 -exist',
        'add edge_v4 185.94.111.1 timeout 3601 -exist',
        `add edge_v4 80.82.77.33 timeout ${IPSET_MAX_TIMEOUT} -exist`,
        'create edge_v6 hash:net family inet6 timeout 0 maxelem 1048576 -exist',
        'flush edge_v6',
        'add edge_v6 2a06:4880::/32 -exist',
        '',
      ].join('\n'),
    );
  });

  it('json: the list with entries and held entries', () => {
    expect(JSON.parse(formatBlocklist(LIST, 'json'))).toEqual(JSON.parse(JSON.stringify(LIST)));
  });
});

describe.skipIf(!requireTool('nft'))('nft accepts the script (nft -c -f)', () => {
  it('the script checks clean, and a broken one does not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vantage-nft-'));
    try {
      const ok = join(dir, 'ok.nft');
      writeFileSync(ok, formatBlocklist(LIST, 'nft'));
      const good = spawnSync('nft', ['-c', '-f', ok], { encoding: 'utf8', timeout: 20_000 });
      expect(good.stderr).toBe('');
      expect(good.status).toBe(0);
      // The same with the nested address kept: nft refuses overlapping interval elements,
      // which is why the formatter leaves it out (and proves the check can fail).
      const bad = join(dir, 'bad.nft');
      writeFileSync(bad, formatBlocklist(LIST, 'nft').replace('80.82.77.33 timeout 57888000s,', '80.82.77.33 timeout 57888000s, 185.94.111.1,'));
      const refused = spawnSync('nft', ['-c', '-f', bad], { encoding: 'utf8', timeout: 20_000 });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('conflicting intervals');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!requireTool('ipset'))('ipset restores the file', () => {
  it('into throw-away sets whose members read back as listed', () => {
    const set = `vt${randomBytes(4).toString('hex')}`;
    try {
      execFileSync('ipset', ['restore'], { input: formatBlocklist(LIST, 'ipset', { set }), timeout: 20_000 });
      // Loading twice must work (create -exist with the same parameters, flush, refill).
      execFileSync('ipset', ['restore'], { input: formatBlocklist(LIST, 'ipset', { set }), timeout: 20_000 });
      const members = (name: string) =>
        execFileSync('ipset', ['save', name], { encoding: 'utf8', timeout: 20_000 })
          .split('\n')
          .filter((l) => l.startsWith('add '))
          .map((l) => l.split(' ')[2])
          .sort();
      expect(members(`${set}_v4`)).toEqual(['185.94.111.0/24', '185.94.111.1', '80.82.77.33']);
      expect(members(`${set}_v6`)).toEqual(['2a06:4880::/32']);
    } finally {
      spawnSync('ipset', ['destroy', `${set}_v4`]);
      spawnSync('ipset', ['destroy', `${set}_v6`]);
    }
  });
});

describe('safety rules on worked examples', () => {
  const safety = parseCriteria({}).safety;
  const context = (over: Partial<SafetyContext> = {}): SafetyContext => ({
    intel: new IntelIndex([]),
    watch: new WatchIndex([parseWatchlist({ name: 'acme', kind: 'supplier', members: ['198.18.10.0/24', '2001:db8:5::7'] })]),
    twoWay: new Map([['151.101.1.69', { peers: 14, flows: 900, bytesOut: 9_000_000, bytesIn: 120_000 }]]),
    safety,
    lookback: '30d',
    now: Date.parse(BUILT),
    ...over,
  });
  const check = (value: string, ctx = context(), expires: number | null = null) => holdReasons({ value, range: parseCidr(value.includes('/') ? value : `${value}/${value.includes(':') ? 128 : 32}`)!, expires }, ctx);

  it('prefix lengths and CIDR text', () => {
    expect(prefixLength(parseCidr('10.0.0.0/8')!)).toBe(8);
    expect(prefixLength(parseCidr('2001:db8::/32')!)).toBe(32);
    expect(rangeText(parseCidr('192.0.2.7/32')!)).toBe('192.0.2.7');
    expect(rangeText(parseCidr('2001:db8::1/128')!)).toBe('2001:db8::1');
  });

  it('reserved space, single addresses and networks overlapping it', () => {
    expect(check('192.168.1.9').map((r) => r.detail)).toEqual(['192.168.1.9 lies in 192.168.0.0/16, private (RFC 1918)']);
    expect(check('224.0.0.251').map((r) => r.rule)).toEqual(['reserved']);
    expect(check('fe80::1').map((r) => r.detail)).toEqual(['fe80::1 lies in fe80::/10, link-local (RFC 4291)']);
    // 172.0.0.0/11 covers 172.16.0.0/12 partly... and is broader than /16.
    expect(check('172.0.0.0/11').map((r) => r.rule)).toEqual(['reserved', 'too-broad']);
    expect(check('192.168.1.9', context({ safety: { ...safety, allowReserved: true } }))).toEqual([]);
    expect(check('8.8.8.8')).toEqual([]);
  });

  it('breadth: /15 v4 and /31 v6 are too broad by default, /16 and /32 pass; allowBroad lets them through', () => {
    expect(check('45.0.0.0/15')).toEqual([{ rule: 'too-broad', detail: '/15 is broader than /16 (minPrefixV4)' }]);
    expect(check('45.0.0.0/16')).toEqual([]);
    expect(check('2a06::/31').map((r) => r.rule)).toEqual(['too-broad']);
    expect(check('2a06:4880::/32')).toEqual([]);
    expect(check('45.0.0.0/15', context({ safety: { ...safety, allowBroad: true } }))).toEqual([]);
  });

  it('a network overlapping a watched network or host is held; one beside it is not', () => {
    expect(check('198.18.0.0/16').map((r) => r.rule)).toEqual(['watched', 'reserved']);
    expect(check('2001:db8:5::/48').map((r) => r.detail)).toEqual(['watchlist acme (supplier) covers it: member 2001:db8:5::7', '2001:db8:5::/48 lies in 2001:db8::/32, documentation (RFC 3849)']);
    expect(check('198.18.10.9').map((r) => r.detail)[0]).toBe('watchlist acme (supplier) covers it: member 198.18.10.0/24');
  });

  it('two-way traffic: the address itself, or a network holding it', () => {
    const detail =
      '151.101.1.69 exchanged TCP both ways with 14 internal peers in the last 30d of flows: 900 flows, 9000000 bytes out, 120000 bytes in (thresholds: 10 peers, or 20 flows with 10000 bytes each way)';
    expect(check('151.101.1.69')).toEqual([{ rule: 'legitimate-traffic', detail }]);
    expect(check('151.101.0.0/16')).toEqual([{ rule: 'legitimate-traffic', detail }]);
    expect(check('151.102.0.0/16')).toEqual([]);
  });

  it('allow entries covering an address or inside a network', () => {
    const intel = new IntelIndex([
      { source: 'warninglist:cdn', type: 'cidr', value: '151.101.0.0/16', kind: 'allow', feed: 'misp-warninglist', family: null, tags: [], confidence: null, reference: 'Fastly', attrs: {}, detect: true, file: 'f', line: 3, raw: '"151.101.0.0/16"', firstSeen: null, lastSeen: null, validUntil: null },
    ] as never);
    const ctx = context({ intel, twoWay: new Map() });
    expect(check('151.101.64.1', ctx)).toEqual([{ rule: 'allow-listed', detail: '151.101.0.0/16 is on the allow list warninglist:cdn (Fastly)' }]);
    expect(check('151.0.0.0/8', { ...ctx, safety: { ...safety, allowBroad: true } }).map((r) => r.rule)).toEqual(['allow-listed']);
  });

  it('expired entries', () => {
    expect(check('8.8.8.8', context(), Date.parse(BUILT) - 1)).toEqual([{ rule: 'expired', detail: 'expired at 2026-02-28T23:59:59.999Z (last activity plus the expiry)' }]);
    expect(check('8.8.8.8', context(), Date.parse(BUILT) + 1)).toEqual([]);
  });
});
