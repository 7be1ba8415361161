// The notebook's storage on both backends (open, pin, unpin, remove, concurrent pins, scoped
// owners), and the Markdown export against a document written out by hand.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../store/store.js';
import { testBackends } from '../../test-support/test-backends.js';
import { caseMarkdown, codeSpan } from './case-markdown.js';
import { CaseNotebook, type CaseActor, type InvestigationCase } from './case-notebook.js';

const alice: CaseActor = { name: 'alice', kind: 'user', scoped: false };
const partner: CaseActor = { name: 'partner', kind: 'user', scoped: true };
const partnerToken: CaseActor = { name: 'partner', kind: 'token', scoped: true };
const T = Date.UTC(2026, 9, 31, 12, 0, 0);

describe.each(testBackends())('case notebook in the store (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;
  let notebook: CaseNotebook;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-cases-'));
    store = makeStore(dir);
    await store.open();
    notebook = new CaseNotebook(store);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens a case, pins and unpins items, retitles it keeping the items (writes in one millisecond still order)', async () => {
    const opened = await notebook.put({ name: 'acme', title: 'ACME beaconing' }, alice, T);
    expect(opened.created).toBe(true);
    expect(opened.case).toEqual({
      name: 'acme',
      title: 'ACME beaconing',
      description: '',
      owner: 'alice',
      ownerKind: 'user',
      ownerScoped: false,
      createdAt: '2026-10-31T12:00:00.000Z',
      updatedAt: '2026-10-31T12:00:00.000Z',
      items: [],
    });
    await notebook.pin('acme', { type: 'entity', value: '10.1.0.7', note: 'the partner host' }, alice, T);
    await notebook.pin('acme', { type: 'query', value: 'host 10.1.0.7', from: '2026-10-31T00:00:00.000Z' }, alice, T);
    await notebook.pin('acme', { type: 'note', value: 'call their SOC' }, alice, T);
    const removed = await notebook.unpin('acme', 2, alice, T);
    expect(removed.item).toMatchObject({ id: 2, type: 'query' });
    const again = await notebook.pin('acme', { type: 'entity', value: 'acme.example' }, alice, T + 1000);
    // Ids follow the highest present: 1 and 3 remain, so the next is 4.
    expect(again.item).toEqual({ id: 4, type: 'entity', value: 'acme.example', note: '', addedBy: 'alice', addedAt: '2026-10-31T12:00:01.000Z' });

    const retitled = await notebook.put({ name: 'acme', description: 'seen by the partner monitor' }, alice, T + 2000);
    expect(retitled.created).toBe(false);
    const stored = await notebook.get('acme', alice);
    expect(stored).toMatchObject({ title: 'ACME beaconing', description: 'seen by the partner monitor', createdAt: '2026-10-31T12:00:00.000Z', updatedAt: '2026-10-31T12:00:02.000Z' });
    expect(stored.items.map((i) => [i.id, i.type, i.value, i.note])).toEqual([
      [1, 'entity', '10.1.0.7', 'the partner host'],
      [3, 'note', 'call their SOC', ''],
      [4, 'entity', 'acme.example', ''],
    ]);
    await expect(notebook.unpin('acme', 2, alice)).rejects.toThrow("case 'acme' has no item 2");
  });

  it('serialises concurrent pins: none is lost', async () => {
    await notebook.put({ name: 'busy' }, alice, T);
    await Promise.all(Array.from({ length: 12 }, (_, i) => notebook.pin('busy', { type: 'entity', value: `192.0.2.${i}` }, alice, T)));
    const busy = await notebook.get('busy', alice);
    expect(busy.items.map((i) => i.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(new Set(busy.items.map((i) => i.value)).size).toBe(12);
  });

  it('a scoped caller sees and changes only the cases it opened; unscoped callers see every case', async () => {
    await notebook.put({ name: 'partner-own' }, partner, T);
    expect((await notebook.list(partner)).map((c) => c.name)).toEqual(['partner-own']);
    // The same name under another kind of principal is someone else.
    expect(await notebook.list(partnerToken)).toEqual([]);
    await expect(notebook.get('acme', partner)).rejects.toThrow("no case 'acme'");
    await expect(notebook.pin('acme', { type: 'note', value: 'x' }, partner)).rejects.toThrow("no case 'acme'");
    await expect(notebook.remove('acme', partner)).rejects.toThrow("no case 'acme'");
    await expect(notebook.put({ name: 'acme', title: 'mine now' }, partner)).rejects.toThrow("the case name 'acme' is taken");
    expect((await notebook.get('acme', alice)).title).toBe('ACME beaconing');
    expect((await notebook.list(alice)).map((c) => c.name)).toEqual(['acme', 'busy', 'partner-own']);
    expect((await notebook.get('partner-own', alice)).ownerScoped).toBe(true);
  });

  it('removes a case; the name can be opened again, empty', async () => {
    const gone = await notebook.remove('busy', alice, T + 5000);
    expect(gone.items).toHaveLength(12);
    await expect(notebook.get('busy', alice)).rejects.toThrow("no case 'busy'");
    await expect(notebook.remove('busy', alice)).rejects.toThrow("no case 'busy'");
    const fresh = await notebook.put({ name: 'busy' }, alice, T + 6000);
    expect(fresh.created).toBe(true);
    expect(fresh.case.items).toEqual([]);
  });

  it('refuses bad names', async () => {
    for (const name of ['', '-x', 'a b', 'a/b', 'x'.repeat(65)]) await expect(notebook.put({ name }, alice), name).rejects.toThrow('case name');
  });
});

describe('case as Markdown', () => {
  it('code spans hold any backticks (CommonMark: a longer fence, padded)', () => {
    expect(codeSpan('port 22')).toBe('`port 22`');
    expect(codeSpan('a`b')).toBe('`` a`b ``');
    expect(codeSpan('``x``')).toBe('``` ``x`` ```');
    expect(codeSpan('two\nlines')).toBe('`two lines`');
  });

  it('renders the facts, then each kind of item in pinning order', () => {
    const c: InvestigationCase = {
      name: 'acme',
      title: 'ACME beaconing',
      description: 'Their host beacons to a labelled C2.',
      owner: 'alice',
      ownerKind: 'user',
      ownerScoped: false,
      createdAt: '2026-10-31T12:00:00.000Z',
      updatedAt: '2026-10-31T13:00:00.000Z',
      items: [
        { id: 1, type: 'entity', value: '10.1.0.7', note: 'partner host', addedBy: 'alice', addedAt: '2026-10-31T12:01:00.000Z' },
        { id: 2, type: 'note', value: 'Called their SOC.\nTicket 42.', note: '', addedBy: 'bob', addedAt: '2026-10-31T12:02:00.000Z' },
        { id: 3, type: 'query', value: 'host 10.1.0.7 | top 5 dst', note: '', from: '2026-10-30T00:00:00.000Z', to: '2026-10-31T00:00:00.000Z', addedBy: 'alice', addedAt: '2026-10-31T12:03:00.000Z' },
        {
          id: 4,
          type: 'finding',
          value: 'ac370f892fda4fec3ed8',
          note: 'confirmed',
          finding: { kind: 'beacon', subkind: 'periodic', severity: 'high', summary: '10.1.0.7 beacons every 60 s' },
          addedBy: 'alice',
          addedAt: '2026-10-31T12:04:00.000Z',
        },
        { id: 5, type: 'entity', value: 'evil.example', note: '', addedBy: 'alice', addedAt: '2026-10-31T12:05:00.000Z' },
        { id: 6, type: 'query', value: 'port 4444', note: '', addedBy: 'alice', addedAt: '2026-10-31T12:06:00.000Z' },
      ],
    };
    expect(caseMarkdown(c)).toBe(
      [
        '# ACME beaconing',
        '',
        '- Case: `acme`',
        '- Owner: alice',
        '- Opened: 2026-10-31T12:00:00.000Z',
        '- Last changed: 2026-10-31T13:00:00.000Z',
        '- Items: 6',
        '',
        'Their host beacons to a labelled C2.',
        '',
        '## Entities',
        '',
        '- `10.1.0.7` — partner host · _alice, 2026-10-31T12:01:00.000Z_',
        '- `evil.example` · _alice, 2026-10-31T12:05:00.000Z_',
        '',
        '## Queries',
        '',
        '- `host 10.1.0.7 | top 5 dst` over 2026-10-30T00:00:00.000Z to 2026-10-31T00:00:00.000Z · _alice, 2026-10-31T12:03:00.000Z_',
        '- `port 4444` over all data · _alice, 2026-10-31T12:06:00.000Z_',
        '',
        '## Findings',
        '',
        '- `ac370f892fda4fec3ed8` **beacon/periodic** (high): 10.1.0.7 beacons every 60 s — confirmed · _alice, 2026-10-31T12:04:00.000Z_',
        '',
        '## Notes',
        '',
        '- Called their SOC.',
        '  Ticket 42. · _bob, 2026-10-31T12:02:00.000Z_',
        '',
      ].join('\n'),
    );
  });
});
