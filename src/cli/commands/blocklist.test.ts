// `vantage blocklist` run as main.ts runs it, on a DuckDB file holding hand-written findings, a
// plain-list feed and a partner watchlist: build in every format with --explain, save, list,
// show, remove, and the errors a user sees for bad input (message, exit 1, no stack trace).

import { runCli } from '../../test-support/run-cli.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findingId, type Finding } from '../../detect/finding.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import { loadFeeds } from '../../intel/load-feeds.js';
import { WatchlistRepository } from '../../monitor/watchlists/watchlist-repository.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { registerBlocklist } from './blocklist.js';

const cli = (args: string[]) => runCli(args, registerBlocklist);

function finding(kind: string, score: number, entities: Finding['entities'], last: string): Omit<Finding, 'status' | 'note' | 'runs'> {
  return {
    id: findingId(kind, 'blocklist-cli', ...entities.map((e) => e.value)),
    kind,
    subkind: 'test',
    score,
    subscores: {},
    severity: 'medium',
    src: entities[0]!.value,
    dst: null,
    dport: null,
    proto: 6,
    entities,
    first: last,
    last,
    summary: `${kind} test`,
    evidence: { counts: {}, query: `src ip ${entities[0]!.value}`, from: last, to: last, sample: [] },
    intel: [],
  };
}

describe('vantage blocklist', () => {
  let dir: string;
  let db: string;
  const NOW = '2026-03-02T00:00:00Z';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-blocklist-cli-'));
    db = join(dir, 'cli.duckdb');
    const store = new DuckDbStore({ path: db });
    await store.open();
    const repo = new FindingsRepository(store);
    await repo.ensureTables();
    await repo.save([
      finding('scan', 0.93, [{ role: 'scanner', type: 'ip', value: '185.220.101.4' }], '2026-03-01T00:00:00.000Z'),
      finding('bruteforce', 0.6, [{ role: 'attacker', type: 'ip', value: '45.148.10.157' }, { role: 'victim', type: 'ip', value: '10.1.0.9' }], '2026-03-01T00:00:00.000Z'),
      finding('c2', 0.7, [{ role: 'infected', type: 'ip', value: '10.1.0.3' }, { role: 'c2', type: 'ip', value: '203.0.113.77' }], '2026-02-01T00:00:00.000Z'),
    ]);
    const feed = join(dir, 'local.txt');
    writeFileSync(feed, '91.240.118.43\n198.51.100.0/24\n');
    const intel = new IndicatorRepository(store);
    await intel.ensureTables();
    await loadFeeds(intel, [feed], { feed: 'list', source: 'local:block', confidence: 80, now: Date.parse('2026-02-28T00:00:00Z') }, { stderr: { write: () => true } });
    const watch = new WatchlistRepository(store);
    await watch.ensureTables();
    await watch.put({ name: 'acme', kind: 'partner', members: ['45.148.10.0/24'] });
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('build from findings and a feed: plain values on stdout, held entries explained on stderr', async () => {
    const r = await cli(['blocklist', 'build', '--db', db, '--from-findings', '--from-intel', '--feeds', 'local', '--now', NOW, '--explain']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('91.240.118.43\n185.220.101.4\n');
    expect(r.stderr).toBe(
      'held 45.148.10.157: watched: watchlist acme (partner) covers it: member 45.148.10.0/24\n' +
        'held 198.51.100.0/24: reserved: 198.51.100.0/24 lies in 198.51.100.0/24, documentation TEST-NET-2 (RFC 5737)\n' +
        'held 203.0.113.77: reserved: 203.0.113.77 lies in 203.0.113.0/24, documentation TEST-NET-3 (RFC 5737); expired: expired at 2026-02-08T00:00:00.000Z (last activity plus the expiry)\n' +
        '2 entries, 3 held back\n',
    );
  });

  test('csv, and filters: --kinds, --min-score, --expire, --from-intel alone with --min-confidence', async () => {
    const csv = await cli(['blocklist', 'build', '--db', db, '--kinds', 'scan', '--now', NOW, '--format', 'csv', '--expire', '2d']);
    expect(csv.stdout).toBe(
      'value,reason,confidence,expires,evidence\n' +
        '185.220.101.4,scan scanner (score 0.93),93,2026-03-03T00:00:00.000Z,finding ' +
        `${findingId('scan', 'blocklist-cli', '185.220.101.4')} scan/test scanner: src ip 185.220.101.4\n`,
    );
    // 1 day after its last activity is exactly --now: expired (held, not listed).
    const expired = await cli(['blocklist', 'build', '--db', db, '--kinds', 'scan', '--now', NOW, '--expire', '1d', '--explain']);
    expect(expired.stderr).toBe('held 185.220.101.4: expired: expired at 2026-03-02T00:00:00.000Z (last activity plus the expiry)\n0 entries, 1 held back\n');
    expect(expired.stdout).toBe('');
    const scored = await cli(['blocklist', 'build', '--db', db, '--min-score', '0.9', '--now', NOW]);
    expect(scored.stdout).toBe('185.220.101.4\n');
    const intelOnly = await cli(['blocklist', 'build', '--db', db, '--from-intel', '--min-confidence', '80', '--now', NOW]);
    expect(intelOnly.stdout).toBe('91.240.118.43\n');
    const tooHigh = await cli(['blocklist', 'build', '--db', db, '--from-intel', '--min-confidence', '81', '--now', NOW]);
    expect(tooHigh.stdout).toBe('');
  });

  test('nft and ipset to a file, with the names given', async () => {
    const out = join(dir, 'block.nft');
    const r = await cli(['blocklist', 'build', '--db', db, '--now', NOW, '--format', 'nft', '--table', 'edge', '--set', 'drop', '--out', out]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`1 entries, 2 held back, written to ${out}\n`);
    // 2026-03-01 + 7 d - 2026-03-02 = 6 days = 518400 s.
    expect(readFileSync(out, 'utf8').split('\n').slice(-2)).toEqual(['add element inet edge drop_v4 { 185.220.101.4 timeout 518400s }', '']);
    const ipset = await cli(['blocklist', 'build', '--db', db, '--now', NOW, '--format', 'ipset', '--set', 'drop']);
    expect(ipset.stdout.split('\n').slice(1, 4)).toEqual(['create drop_v4 hash:net family inet timeout 0 maxelem 1048576 -exist', 'flush drop_v4', 'add drop_v4 185.220.101.4 timeout 518400 -exist']);
  });

  test('save, list, show, remove', async () => {
    const save = await cli(['blocklist', 'save', 'edge', '--db', db, '--kinds', 'scan', 'bruteforce', '--expire', '30d', '--description', 'perimeter drop']);
    expect(save.stdout).toBe('block list edge saved: {"fromFindings":true,"fromIntel":false,"kinds":["scan","bruteforce"],"expire":"30d"}\n');
    const list = await cli(['blocklist', 'list', '--db', db, '--format', 'csv']);
    expect(list.stdout.split('\n')[0]).toBe('name,description,criteria,saved_by,saved_at');
    expect(list.stdout.split('\n')[1]).toMatch(/^edge,perimeter drop,"\{""fromFindings"":true,""fromIntel"":false,""kinds"":\[""scan"",""bruteforce""\],""expire"":""30d""\}",cli,\d{4}-/);
    const show = await cli(['blocklist', 'show', 'edge', '--db', db, '--now', NOW, '--explain']);
    expect(show.stdout).toBe('185.220.101.4\n');
    expect(show.stderr).toBe('held 45.148.10.157: watched: watchlist acme (partner) covers it: member 45.148.10.0/24\n1 entries, 1 held back\n');
    const json = await cli(['blocklist', 'show', 'edge', '--db', db, '--now', NOW, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'edge', builtAt: '2026-03-02T00:00:00.000Z', entries: [{ value: '185.220.101.4', expires: '2026-03-31T00:00:00.000Z' }] });
    expect((await cli(['blocklist', 'remove', 'edge', '--db', db])).stdout).toBe('block list edge removed\n');
    const gone = await cli(['blocklist', 'show', 'edge', '--db', db]);
    expect(gone).toMatchObject({ code: 1, stdout: '', stderr: "vantage: no block list 'edge' [NOT_FOUND]\n" });
  });

  test('bad input: a clear message and exit 1', async () => {
    const cases: [string[], string][] = [
      [['build', '--min-score', 'high'], "vantage: --min-score takes a number, not 'high' [USAGE]\n"],
      [['build', '--min-score', '2'], 'vantage: block list criteria: minScore: Too big: expected number to be <=1 [USAGE]\n'],
      [['build', '--expire', 'soon'], "vantage: block list criteria: expire: a duration such as 12h, 7d or 2w, or 'never' [USAGE]\n"],
      [['build', '--from-intel', '--feeds', 'nosuch'], "vantage: no loaded feed 'nosuch': loaded are local:block (vantage intel list) [USAGE]\n"],
      [['build', '--internal', '10.0.0.0/33'], 'vantage: block list criteria: safety.internalNetworks.0: a network such as 192.0.2.0/24 [USAGE]\n'],
      [['save', 'bad/name'], "vantage: 'bad/name' is not a block list name: letters, digits, . _ - (at most 64, not starting with . _ -) [USAGE]\n"],
      [['remove', 'nope'], "vantage: no block list 'nope' [NOT_FOUND]\n"],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['blocklist', ...args, '--db', db]);
      expect(r.stderr, args.join(' ')).toBe(message);
      expect(r.code, args.join(' ')).toBe(1);
    }
  });
});
