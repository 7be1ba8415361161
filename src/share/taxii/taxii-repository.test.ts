import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../store/store.js';
import { testBackends } from '../../test-support/test-backends.js';
import { decodeNext, encodeNext, page, selectVersions } from './taxii-query.js';
import { TaxiiRepository, type TaxiiObjectMeta } from './taxii-repository.js';
import { formatMicros, parseMicros } from './taxii-time.js';

describe('TAXII timestamps in microseconds', () => {
  it('formats and parses six fractional digits, and fewer or more', () => {
    // 2026-03-01T10:00:00Z is 1772359200 s after the epoch (date -u -d 2026-03-01T10:00:00Z +%s).
    expect(formatMicros(1772359200_000_000 + 123_456)).toBe('2026-03-01T10:00:00.123456Z');
    expect(parseMicros('2026-03-01T10:00:00.123456Z')).toBe(1772359200_123_456);
    expect(parseMicros('2026-03-01T10:00:00Z')).toBe(1772359200_000_000);
    expect(parseMicros('2026-03-01T10:00:00.5Z')).toBe(1772359200_500_000);
    expect(parseMicros('2026-03-01T10:00:00.1234569Z')).toBe(1772359200_123_456);
    expect(parseMicros('2026-03-01 10:00:00')).toBeUndefined();
  });
});

describe('TAXII version selection and paging', () => {
  const m = (id: string, version: string, dateAdded: number, specVersion = '2.1'): TaxiiObjectMeta => ({ id, version, type: 'indicator', specVersion, dateAdded });
  const metas = [m('a', '2026-01-01T00:00:00Z', 1), m('b', '2026-01-05T00:00:00Z', 2), m('a', '2026-01-03T00:00:00Z', 3), m('c', '2016-01-01T00:00:00Z', 4, '2.0'), m('c', '2016-01-02T00:00:00Z', 5, '2.0')];
  const keys = (list: TaxiiObjectMeta[]) => list.map((x) => `${x.id}${x.dateAdded}`);

  it('picks last by default, first, all, or an exact version, per object', () => {
    expect(keys(selectVersions(metas, {}))).toEqual(['b2', 'a3', 'c5']);
    expect(keys(selectVersions(metas, { versions: ['first'] }))).toEqual(['a1', 'b2', 'c4']);
    expect(keys(selectVersions(metas, { versions: ['all'] }))).toEqual(['a1', 'b2', 'a3', 'c4', 'c5']);
    expect(keys(selectVersions(metas, { versions: ['2026-01-01T00:00:00.000Z'] }))).toEqual(['a1']);
    expect(keys(selectVersions(metas, { specVersions: ['2.0'], versions: ['all'] }))).toEqual(['c4', 'c5']);
  });

  it('cuts pages strictly after added_after and after next', () => {
    const all = selectVersions(metas, { versions: ['all'] });
    const p1 = page(all, {}, 2);
    expect([keys(p1.items), p1.more, decodeNext(p1.next!)]).toEqual([['a1', 'b2'], true, 2]);
    const p2 = page(all, {}, 2, decodeNext(p1.next!));
    expect([keys(p2.items), p2.more]).toEqual([['a3', 'c4'], true]);
    expect(keys(page(all, { addedAfter: 4 }, 10).items)).toEqual(['c5']);
    expect(page(all, { addedAfter: 5 }, 10)).toEqual({ items: [], more: false });
    expect(decodeNext(encodeNext(123))).toBe(123);
    expect(decodeNext('garbage')).toBeUndefined();
  });
});

describe.each(testBackends())('TAXII storage on %s', (_name, make) => {
  let store: Store | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps collections, grants, object versions, deletes and status', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-taxii-'));
    store = make(dir);
    await store.open();
    const repo = new TaxiiRepository(store);
    await repo.ensureTables();
    const c = await repo.addCollection({ title: 'Shared', alias: 'shared' });
    await expect(repo.addCollection({ title: 'Again', alias: 'shared' })).rejects.toThrow(/alias 'shared' exists/);
    expect((await repo.collection('shared')).id).toBe(c.id);
    await expect(repo.collection('nope')).rejects.toThrow(/no TAXII collection/);

    await repo.grant('tok1', c.id, { read: true, write: false });
    await repo.grant('tok1', c.id, { read: true, write: true });
    await repo.grant('tok2', c.id, { read: false, write: false });
    expect(await repo.grants()).toEqual([{ tokenId: 'tok1', collectionId: c.id, read: true, write: true }]);

    const o = (id: string, modified: string) => ({ type: 'indicator', spec_version: '2.1', id, created: '2026-01-01T00:00:00.000Z', modified });
    const first = await repo.addObjects(c.id, [o('indicator--1', '2026-01-01T00:00:00.000Z'), o('indicator--2', '2026-01-02T00:00:00.000Z')], formatMicros);
    expect(first.map((r) => r.added)).toEqual([true, true]);
    const again = await repo.addObjects(c.id, [o('indicator--1', '2026-01-01T00:00:00.000Z'), o('indicator--1', '2026-01-05T00:00:00.000Z')], formatMicros);
    expect(again.map((r) => r.added)).toEqual([false, true]);
    const metas = await repo.objectMetas(c.id);
    expect(metas.map((x) => `${x.id} ${x.version}`)).toEqual(['indicator--1 2026-01-01T00:00:00.000Z', 'indicator--2 2026-01-02T00:00:00.000Z', 'indicator--1 2026-01-05T00:00:00.000Z']);
    expect(new Set(metas.map((x) => x.dateAdded)).size).toBe(3);
    const bodies = await repo.bodies(c.id, metas.slice(0, 1));
    expect([...bodies.values()]).toEqual([o('indicator--1', '2026-01-01T00:00:00.000Z')]);

    expect(await repo.deleteObjects(c.id, metas.filter((x) => x.id === 'indicator--1'))).toBe(2);
    expect((await repo.objectMetas(c.id)).map((x) => x.id)).toEqual(['indicator--2']);
    // A deleted version posted again comes back.
    expect((await repo.addObjects(c.id, [o('indicator--1', '2026-01-05T00:00:00.000Z')], formatMicros))[0]!.added).toBe(true);
    expect((await repo.objectMetas(c.id, { ids: ['indicator--1'] })).map((x) => x.version)).toEqual(['2026-01-05T00:00:00.000Z']);

    await repo.saveStatus('s1', 'tok1', { id: 's1', status: 'complete' });
    expect(await repo.status('s1')).toEqual({ owner: 'tok1', body: { id: 's1', status: 'complete' } });
    expect(await repo.status('s2')).toBeUndefined();
  }, 60_000);
});
