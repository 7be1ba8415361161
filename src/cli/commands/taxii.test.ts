// `vantage taxii` and `vantage share` run in-process against a DuckDB file: collection add/list,
// grant by token name, publish of stored intelligence, the STIX and MISP exports, and a pull
// from a live server into intelligence.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import { openAccounts } from '../../services/server.js';
import { fixtureIndicators } from '../../share/testing/share-fixtures.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { startTestServer } from '../../api/test-server.js';
import { registerShare } from './share.js';
import { registerTaxii } from './taxii.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-taxii-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

async function vantage(db: string, ...args: string[]): Promise<string> {
  const program = new Command('vantage').option('--db <path>').exitOverride();
  registerTaxii(program);
  registerShare(program);
  out = '';
  await program.parseAsync(['node', 'vantage', '--db', db, ...args]);
  return out;
}

async function seed(db: string): Promise<string> {
  const store = new DuckDbStore({ path: db });
  await store.open();
  try {
    const intel = new IndicatorRepository(store);
    await intel.ensureTables();
    await intel.save({ feed: 'feodo', source: 'feodo', indicators: fixtureIndicators().filter((i) => i.source === 'feodo'), problems: [], meta: {}, entries: 3 });
    const accounts = await openAccounts(store, `duckdb:${db}`);
    return (await accounts.createToken({ name: 'peer-a', role: 'viewer' }, 'test')).token;
  } finally {
    await store.close();
  }
}

describe('vantage taxii and share', () => {
  it('adds a collection, grants a token by name, publishes, lists, and exports', async () => {
    const db = join(work, 'a.duckdb');
    await seed(db);
    const id = (await vantage(db, 'taxii', 'collection', 'add', '--title', 'Shared', '--alias', 'shared')).trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await vantage(db, 'taxii', 'grant', 'peer-a', 'shared', '--read')).toMatch(/'peer-a': read on /);
    await expect(vantage(db, 'taxii', 'grant', 'nobody', 'shared', '--read')).rejects.toThrow(/no active token named or with id 'nobody'/);
    // The fixture's feodo indicators: 192.0.2.66, 2001:db8:66::1 and 198.51.100.7:8443.
    const published = await vantage(db, 'taxii', 'publish', 'shared', '--org', 'Example Org', '--tlp', 'green');
    expect(published).toMatch(/^Published \d+ objects \(3 indicators, 0 sightings\) to [0-9a-f-]{36}: \d+ new versions, 0 unchanged\.\n$/);
    expect(await vantage(db, 'taxii', 'publish', 'shared', '--org', 'Example Org', '--tlp', 'green')).toMatch(/: 0 new versions, \d+ unchanged\.\n$/);
    const listed = await vantage(db, 'taxii', 'collection', 'list');
    expect(listed).toContain(`${id}  shared`);
    expect(listed).toMatch(/read\s+token [0-9a-f]{12} peer-a/);
    await expect(vantage(db, 'taxii', 'publish', 'shared', '--tlp', 'purple')).rejects.toThrow(/--tlp must be one of clear, green, amber, amber\+strict, red/);

    const file = join(work, 'a.stix.json');
    await vantage(db, 'share', 'stix', '--org', 'Example Org', '--out', file);
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as { objects: { type: string }[] };
    expect(bundle.objects.filter((o) => o.type === 'indicator')).toHaveLength(3);
    const misp = JSON.parse(await vantage(db, 'share', 'misp', '--tlp', 'clear')) as { Event: { Tag: unknown; Attribute: { value: string }[] } };
    expect(misp.Event.Tag).toEqual([{ name: 'tlp:clear' }]);
    expect(misp.Event.Attribute.map((a) => a.value).sort()).toEqual(['192.0.2.66', '198.51.100.7|8443', '2001:db8:66::1']);
  }, 60_000);

  it('pulls a collection from a live server into intelligence', async () => {
    const server = await startTestServer();
    try {
      const { TaxiiRepository } = await import('../../share/taxii/taxii-repository.js');
      const repo = new TaxiiRepository(server.store);
      await repo.ensureTables();
      const c = await repo.addCollection({ title: 'Peer feed' });
      const minted = await server.server.accounts.createToken({ name: 'us', role: 'viewer' }, 'test');
      await repo.grant(minted.record.id, c.id, { read: true, write: false });
      const indicator = (n: number) => ({
        type: 'indicator', spec_version: '2.1', id: `indicator--00000000-0000-4000-8000-00000000000${n}`, created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z',
        pattern: `[domain-name:value = 'c2-${n}.example']`, pattern_type: 'stix', valid_from: '2026-01-01T00:00:00.000Z',
      });
      await repo.addObjects(c.id, [indicator(1), indicator(2)], (us) => new Date(Math.floor(us / 1000)).toISOString());
      const db = join(work, 'b.duckdb');
      const said = await vantage(db, 'taxii', 'pull', `${server.base}/taxii2/`, '--collection', c.id, '--token', minted.token, '--source', 'peer');
      expect(said).toMatch(/^Pulled 2 objects in 1 page; peer: 2 active indicators \(2 new, 0 updated, 0 expired\), 0 not loadable\.\n$/);
      const store = new DuckDbStore({ path: db });
      await store.open();
      const active = await new IndicatorRepository(store).active();
      await store.close();
      expect(active.map((i) => `${i.source} ${i.type} ${i.value}`).sort()).toEqual(['peer domain c2-1.example', 'peer domain c2-2.example']);

      // A bad object exits 1 after the rest is loaded; a pattern Vantage cannot match is reported only.
      const sigma = { ...indicator(3), pattern: 'title: x', pattern_type: 'sigma' };
      const badConfidence = { ...indicator(4), confidence: 150 };
      await repo.addObjects(c.id, [sigma, badConfidence, indicator(5)], (us) => new Date(Math.floor(us / 1000)).toISOString());
      await expect(vantage(db, 'taxii', 'pull', `${server.base}/taxii2/`, '--collection', c.id, '--token', minted.token, '--source', 'peer')).rejects.toThrow(
        '1 STIX object rejected (listed above); the other 3 indicators were loaded',
      );
      expect(out).toMatch(/; peer: 3 active indicators \(1 new, 2 updated, 0 expired\), 2 not loadable\.\n$/);
      expect(err).toContain('indicator--00000000-0000-4000-8000-000000000003: sigma patterns cannot be matched [INTEL_UNSUPPORTED]');
      expect(err).toContain('indicator--00000000-0000-4000-8000-000000000004: confidence 150 is not a number from 0 to 100 [INTEL_BAD_VALUE]');
    } finally {
      await server.close();
    }
  }, 60_000);
});
