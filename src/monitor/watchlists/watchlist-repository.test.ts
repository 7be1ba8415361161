import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../store/store.js';
import { testBackends } from '../../test-support/test-backends.js';
import { WatchlistRepository } from './watchlist-repository.js';

describe.each(testBackends())('watchlists in the store (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;
  let repo: WatchlistRepository;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-watch-'));
    store = makeStore(dir);
    await store.open();
    repo = new WatchlistRepository(store);
    await repo.ensureTables();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, edits, lists and removes watchlists (several writes in one millisecond still order)', async () => {
    const t = 1_700_000_000_000;
    await repo.put({ name: 'acme', owner: 'ACME', criticality: 'high', contacts: ['soc@acme.example'], members: ['192.0.2.0/24'] }, t);
    await repo.put({ name: 'bank', kind: 'perimeter', members: ['10.0.0.0/8'] }, t);
    await repo.addMembers('acme', ['AS64500', '192.0.2.0/24', 'acme.example'], t);
    await repo.removeMembers('acme', ['as64500'], t);
    const acme = await repo.require('acme');
    expect(acme.members.map((m) => m.value)).toEqual(['192.0.2.0/24', 'acme.example']);
    expect(acme).toMatchObject({ owner: 'ACME', criticality: 'high', contacts: ['soc@acme.example'], kind: 'partner' });
    expect((await repo.list()).map((w) => w.name)).toEqual(['acme', 'bank']);
    expect(await repo.remove('bank', t)).toBe(true);
    expect(await repo.remove('bank', t)).toBe(false);
    expect((await repo.list()).map((w) => w.name)).toEqual(['acme']);
    await expect(repo.require('bank')).rejects.toThrow("no watchlist 'bank'");
    // Re-created after removal: visible again.
    await repo.put({ name: 'bank', kind: 'perimeter', members: ['10.0.0.0/8'] }, t);
    expect((await repo.list()).map((w) => w.name)).toEqual(['acme', 'bank']);
  });
});
