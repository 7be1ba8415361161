// Indicators in the store, on every backend: load, reload (update and expire, never duplicate),
// provenance kept, and malformed feeds loading what they can.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VantageError } from '../core/errors.js';
import { sharedDataPath } from '../test-support/shared-data.js';
import { testBackends } from '../test-support/test-backends.js';
import { IndicatorRepository } from './indicator-repository.js';
import { loadFeeds } from './load-feeds.js';

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
});
