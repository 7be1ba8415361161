// The peers table on every backend (add, replace, list, pick, remove), and the checks on names,
// URLs and tokens.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../store/store.js';
import { testBackends } from '../../test-support/test-backends.js';
import { checkPeerName, maskToken, parsePeerUrl, PeerRepository } from './peer-repository.js';

const TOKEN = 'vtk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

describe('peer names, URLs and tokens', () => {
  it('keeps a base URL without its trailing slash, with any path prefix', () => {
    expect(parsePeerUrl('https://vantage.peer.example:8443/')).toBe('https://vantage.peer.example:8443');
    expect(parsePeerUrl(' http://127.0.0.1:8080 ')).toBe('http://127.0.0.1:8080');
    expect(parsePeerUrl('https://proxy.example/vantage//')).toBe('https://proxy.example/vantage');
  });

  it('refuses what is not an http(s) base URL', () => {
    expect(() => parsePeerUrl('vantage.peer.example')).toThrow("'vantage.peer.example' is not a URL");
    expect(() => parsePeerUrl('ftp://peer.example')).toThrow('must be an http or https URL');
    expect(() => parsePeerUrl('https://peer.example/?x=1')).toThrow('must not carry a query or a fragment');
    expect(() => parsePeerUrl('https://u:p@peer.example')).toThrow('must not carry credentials');
  });

  it('checks names and masks tokens to their public id', () => {
    expect(checkPeerName('csirt-b.example_1')).toBe('csirt-b.example_1');
    for (const bad of ['', '-x', 'a b', 'x'.repeat(65), 'é']) expect(() => checkPeerName(bad), bad).toThrow(/must be 1 to 64 letters/);
    expect(maskToken(TOKEN)).toBe('vtk_0123456789ab_…');
    expect(maskToken('secret-of-another-kind')).toBe('secr…');
  });
});

describe.each(testBackends())('PeerRepository on %s', (_name, make) => {
  let dir: string;
  let store: Store;
  let repo: PeerRepository;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-peers-'));
    store = make(dir);
    await store.open();
    repo = new PeerRepository(store);
    await repo.ensureTables();
    await repo.ensureTables();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds, replaces, lists by name, picks and removes', async () => {
    expect(await repo.list()).toEqual([]);
    const at = Date.UTC(2026, 10, 28, 12);
    expect(await repo.add({ name: 'zeta', url: 'https://z.example/', token: TOKEN }, at)).toEqual({
      peer: { name: 'zeta', url: 'https://z.example', token: TOKEN, addedAt: '2026-11-28T12:00:00.000Z' },
      replaced: false,
    });
    await repo.add({ name: 'alpha', url: 'http://127.0.0.1:1', token: 'one' }, at);
    expect((await repo.add({ name: 'alpha', url: 'http://127.0.0.1:2', token: 'two' }, at + 1)).replaced).toBe(true);
    expect((await repo.list()).map((p) => [p.name, p.url, p.token])).toEqual([
      ['alpha', 'http://127.0.0.1:2', 'two'],
      ['zeta', 'https://z.example', TOKEN],
    ]);
    expect((await repo.pick([])).map((p) => p.name)).toEqual(['alpha', 'zeta']);
    expect((await repo.pick(['zeta', 'zeta'])).map((p) => p.name)).toEqual(['zeta']);
    await expect(repo.pick(['zeta', 'nobody'])).rejects.toThrow("no peer 'nobody' (vantage peer list)");
    await expect(repo.add({ name: 'bad', url: 'https://x.example', token: 'two words' })).rejects.toThrow(/one word/);
    expect(await repo.remove('alpha', at + 2)).toBe(true);
    expect(await repo.remove('alpha', at + 3)).toBe(false);
    expect((await repo.list()).map((p) => p.name)).toEqual(['zeta']);
  });
});
