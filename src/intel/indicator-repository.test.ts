// Indicators in the store, on every backend: load, reload (update and expire, never duplicate),
// provenance kept, and malformed feeds loading what they can.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { VantageError } from '../core/errors.js';
import { sharedDataPath } from '../test-support/shared-data.js';
import { testBackends } from '../test-support/test-backends.js';
import { IndicatorRepository } from './indicator-repository.js';
import { FeedLoadError, loadFeeds } from './load-feeds.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-intel-repo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

function capture() {
  const lines: string[] = [];
  return { text: () => lines.join(''), io: { stderr: { write: (t: string) => lines.push(t) } } };
}

const T0 = Date.UTC(2026, 0, 1);

describe.each(testBackends())('indicator store on %s', (name, make) => {
  let n = 0;
  const open = async () => {
    const store = make(join(work, `${name}-${n++}`));
    await store.open();
    const repo = new IndicatorRepository(store);
    await repo.ensureTables();
    await repo.ensureTables(); // idempotent
    return { store, repo };
  };

  it('reloading a feed updates and expires, never duplicates; provenance survives the round trip', async () => {
    const { store, repo } = await open();
    try {
      const v1 = file(`${name}-list-v1.txt`, '# bad guys\n192.0.2.1\n198.51.100.0/24 # range\nevil.example\n2001:db8::/32\n');
      const err = capture();
      const [first] = await loadFeeds(repo, [v1], { source: 'list:bad', family: 'testfam', confidence: 70, now: T0 }, err.io);
      expect(first).toMatchObject({ source: 'list:bad', active: 4, added: 4, updated: 0, expired: 0, rejected: 0 });
      expect(err.text()).toContain('loaded 4 indicators from');

      const v2 = file(`${name}-list-v2.txt`, '192.0.2.1\nevil.example\nnew.example\n');
      const [second] = await loadFeeds(repo, [v2], { source: 'list:bad', now: T0 + 1000 }, capture().io);
      expect(second).toMatchObject({ active: 3, added: 1, updated: 2, expired: 2 });

      const active = await repo.active();
      expect(active.map((i) => `${i.type} ${i.value}`).sort()).toEqual(['domain evil.example', 'domain new.example', 'ip 192.0.2.1']);
      const ip = active.find((i) => i.value === '192.0.2.1')!;
      expect(ip).toMatchObject({ source: 'list:bad', feed: 'list', kind: 'threat', file: v2, line: 1, raw: '192.0.2.1', loadedFirst: T0, loadedLast: T0 + 1000, expiredAt: null });
      const counts = await repo.counts();
      expect(counts.find((c) => c.type === 'cidr')).toMatchObject({ active: 0, expired: 2 });
      expect(counts.reduce((n, c) => n + c.active + c.expired, 0)).toBe(5); // 5 distinct keys ever, no duplicates
      const history = await repo.history('cidr', '198.51.100.0/24');
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ expiredAt: T0 + 1000, attrs: { comment: 'range' }, family: 'testfam', confidence: 70 });

      // The same file again: everything refreshed, nothing added, no duplicate rows.
      const [third] = await loadFeeds(repo, [v2], { source: 'list:bad', now: T0 + 2000 }, capture().io);
      expect(third).toMatchObject({ added: 0, updated: 3, expired: 0 });
      // A value coming back is re-activated with its first load time kept.
      const [fourth] = await loadFeeds(repo, [v1], { source: 'list:bad', now: T0 + 3000 }, capture().io);
      expect(fourth).toMatchObject({ added: 0, updated: 4, expired: 1 });
      const back = (await repo.active()).find((i) => i.value === '198.51.100.0/24')!;
      expect(back).toMatchObject({ loadedFirst: T0, loadedLast: T0 + 3000, expiredAt: null });
      expect((await repo.counts()).reduce((n, c) => n + c.active + c.expired, 0)).toBe(5);
      const feeds = await repo.feeds();
      expect(feeds).toHaveLength(1);
      expect(feeds[0]).toMatchObject({ source: 'list:bad', feed: 'list', active: 4, loaded_at: T0 + 3000 });
    } finally {
      await store.close();
    }
  });

  it.skipIf(!sharedDataPath('threat-intel/spamhaus/drop.txt'))('loads real feeds side by side, each under its own source', async () => {
    const { store, repo } = await open();
    try {
      const drop = sharedDataPath('threat-intel/spamhaus/drop.txt')!;
      const feodo = sharedDataPath('threat-intel/abusech-feodo/ipblocklist.csv')!;
      const ipsum = sharedDataPath('threat-intel/ipsum/levels/3.txt')!;
      const out = await loadFeeds(repo, [drop, feodo, ipsum], { now: T0 }, capture().io);
      expect(out.map((o) => [o.source, o.active])).toEqual([
        ['spamhaus:drop', 1385],
        ['feodo', 28],
        ['ipsum:level3', 14217],
      ]);
      const active = await repo.active();
      expect(active).toHaveLength(1385 + 28 + 14217);
      const sbl = active.find((i) => i.value === '1.10.16.0/20')!;
      expect(sbl).toMatchObject({ reference: 'SBL256894', tags: ['drop'], raw: '1.10.16.0/20 ; SBL256894', line: 5, detect: true });
    } finally {
      await store.close();
    }
  });

  it('a malformed feed loads its good lines and reports the bad ones with file and line', async () => {
    const { store, repo } = await open();
    try {
      const bad = file(`${name}-ipsum.txt`, '# IPsum Threat Intelligence Feed\n203.0.113.5\t4\n203.0.113.999\t2\ngarbage line here\n203.0.113.6\t1\n');
      const err = capture();
      const [r] = await loadFeeds(repo, [bad], { now: T0 }, err.io);
      expect(r).toMatchObject({ source: 'ipsum', active: 2, rejected: 2 });
      expect(err.text()).toContain(`${bad}:3: '203.0.113.999' is not an IP address [INTEL_BAD_VALUE]`);
      expect(err.text()).toContain(`${bad}:4: expected 'IP<TAB>number of lists'`);
      // --strict stops at the first bad line instead.
      await expect(loadFeeds(repo, [bad], { strict: true }, capture().io)).rejects.toMatchObject({ code: 'IMPORT_RECORD', location: { file: bad, line: 3 } });
      // A file that is not the feed it claims is refused before anything is written.
      const json = file(`${name}-broken.json`, '{"type": "bundle", "objects": [\n{"type": "indicator",\n');
      const e = await loadFeeds(repo, [json], {}, capture().io).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(VantageError);
      expect(e).toMatchObject({ code: 'IMPORT_FORMAT', location: { file: json } });
      // An empty reload would expire everything: refused unless asked for.
      const empty = file(`${name}-empty.txt`, '# nothing\n');
      await expect(loadFeeds(repo, [empty], { source: 'ipsum', feed: 'ipsum' }, capture().io)).rejects.toMatchObject({ code: 'IMPORT_FORMAT' });
      const [emptied] = await loadFeeds(repo, [empty], { source: 'ipsum', feed: 'ipsum', allowEmpty: true, now: T0 + 1 }, capture().io);
      expect(emptied).toMatchObject({ active: 0, expired: 2 });
    } finally {
      await store.close();
    }
  });

  it('a feed cut short loads its whole lines and expires nothing; the load then fails naming it', async () => {
    const { store, repo } = await open();
    try {
      const banner = '# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)\n"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"\n';
      const row = (ip: string) => `"2024-01-01 00:00:00","${ip}","443","online","2024-04-01","Pikabot"\n`;
      const full = file(`${name}-feodo-full.csv`, `${banner}${row('192.0.2.1')}${row('192.0.2.2')}${row('192.0.2.3')}# END 3 entries\n`);
      const [first] = await loadFeeds(repo, [full], { now: T0 }, capture().io);
      expect(first).toMatchObject({ source: 'feodo', added: 3, expired: 0 });

      // Cut in its fourth line: line 3 loads, line 4 may be cut and is rejected, nothing expires.
      const cut = file(`${name}-feodo-cut.csv`, `${banner}${row('192.0.2.1')}"2024-01-01 00:00:00","192.0.2.2","443"`);
      const err = capture();
      const e = await loadFeeds(repo, [cut], { now: T0 + 1000 }, err.io).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(FeedLoadError);
      const reason = "cut short: no '# END <n> entries' line after the last entry (line 4)";
      expect(e).toMatchObject({ code: 'IMPORT_FORMAT', message: `${reason}: loaded its 1 readable entries, expired nothing from feodo`, location: { file: cut } });
      expect((e as FeedLoadError).loaded).toEqual([expect.objectContaining({ source: 'feodo', active: 1, added: 0, updated: 1, expired: 0, rejected: 1, incomplete: reason })]);
      expect(err.text()).toContain(`${cut}:4: last line '"2024-01-01 00:00:00","192.0.2.2","443"' has no line end and the feed's trailer is missing: it may be cut short [INTEL_BAD_LINE]`);
      expect(err.text()).toContain(`loaded 1 indicators from ${cut} as feodo (feodo): 0 new, 1 updated, 0 expired, 1 rejected`);
      expect(await repo.activeCount('feodo')).toBe(3);
      expect((await repo.feeds())[0]).toMatchObject({ source: 'feodo', active: 3, expired: 0 });
      // --strict refuses it before anything is written.
      await expect(loadFeeds(repo, [cut], { strict: true }, capture().io)).rejects.toMatchObject({ code: 'IMPORT_FORMAT', message: `${reason} (read as feodo): stopped (--strict)` });

      // Whole feeds reload as before: nothing expired by the cut one to bring back, and a shorter whole feed expires.
      const [again] = await loadFeeds(repo, [full], { now: T0 + 2000 }, capture().io);
      expect(again).toMatchObject({ added: 0, updated: 3, expired: 0 });
      const two = file(`${name}-feodo-two.csv`, `${banner}${row('192.0.2.1')}${row('192.0.2.3')}# END 2 entries\n`);
      const [shorter] = await loadFeeds(repo, [two], { now: T0 + 3000 }, capture().io);
      expect(shorter).toMatchObject({ updated: 2, expired: 1 });
      expect((await repo.counts()).reduce((n, c) => n + c.active + c.expired, 0)).toBe(3); // never duplicated
    } finally {
      await store.close();
    }
  });

  it('a damaged .gz among several files is named with its reason; the other files load, then the load fails', async () => {
    const { store, repo } = await open();
    try {
      const a = file(`${name}-a.txt`, '192.0.2.10\n');
      const b = file(`${name}-b.txt`, '192.0.2.11\n');
      const whole = gzipSync(Buffer.from(Array.from({ length: 3000 }, (_, k) => `10.${k >> 8}.${k & 255}.1\n`).join('')));
      const cut = join(work, `${name}-cut.txt.gz`);
      writeFileSync(cut, whole.subarray(0, whole.length >> 1));
      const flipped = join(work, `${name}-flipped.txt.gz`);
      const flippedBytes = Buffer.from(whole);
      flippedBytes[whole.length >> 1] ^= 0xff;
      writeFileSync(flipped, flippedBytes);
      const header = join(work, `${name}-header.txt.gz`);
      const headerBytes = Buffer.from(whole);
      headerBytes[2] = 0; // compression method: not deflate
      writeFileSync(header, headerBytes);
      const err = capture();
      const e = await loadFeeds(repo, [a, cut, flipped, header, b], { now: T0 }, err.io).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(FeedLoadError);
      expect(e).toMatchObject({ code: 'IMPORT_FILE', message: `3 of 5 feed files not loaded in full (${cut}, ${flipped}, ${header}: see above); the other files loaded` });
      const { loaded, failed } = e as FeedLoadError;
      expect(loaded.map((s) => [s.source, s.active])).toEqual([
        [`list:${name}-a`, 1],
        [`list:${name}-b`, 1],
      ]);
      expect(failed.map((f) => [f.file, f.code])).toEqual([
        [cut, 'IMPORT_FILE'],
        [flipped, 'IMPORT_FILE'],
        [header, 'IMPORT_FILE'],
      ]);
      expect(err.text()).toContain(`${cut}: cannot read: not a valid gzip file (unexpected end of file) [IMPORT_FILE]\n`);
      expect(err.text()).toContain(`${header}: cannot read: not a valid gzip file (unknown compression method) [IMPORT_FILE]\n`);
      expect(failed[1]!.message).toMatch(/^cannot read: not a valid gzip file \(.+\)$/);
      expect(await repo.activeCount(`list:${name}-a`)).toBe(1);
      // One file alone fails with its own error, as before.
      await expect(loadFeeds(repo, [cut], {}, capture().io)).rejects.toMatchObject({ code: 'IMPORT_FILE', message: 'cannot read: not a valid gzip file (unexpected end of file)', location: { file: cut } });
      // An empty --source would store indicators under no name.
      await expect(loadFeeds(repo, [a], { source: '' }, capture().io)).rejects.toMatchObject({ code: 'USAGE', message: '--source needs a name: got an empty one' });
      await expect(loadFeeds(repo, [a], { source: '  ' }, capture().io)).rejects.toMatchObject({ code: 'USAGE' });
    } finally {
      await store.close();
    }
  });
});
