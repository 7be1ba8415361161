// Conformance-style tests of the TAXII 2.1 server with a real HTTP client against a server on
// 127.0.0.1: every endpoint, the media types both ways, errors as TAXII error messages, grants,
// filters and the paging rules; and the TAXII client pulling from it into the STIX reader.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stixFeed } from '../../intel/feeds/stix-feed.js';
import { exportStix } from '../../share/stix/stix-export.js';
import { TaxiiClient } from '../../share/taxii/taxii-client.js';
import { TaxiiRepository } from '../../share/taxii/taxii-repository.js';
import { fixtureFindings, fixtureIndicators } from '../../share/testing/share-fixtures.js';
import { parseToken } from '../auth/api-token.js';
import { startTestServer, type TestServer } from '../test-server.js';

const MEDIA = 'application/taxii+json;version=2.1';
const ROOT = '/taxii2/api1/';
const SHARED = '4f6b1c3e-9d2a-4e7b-8c1d-2a3b4c5d6e7f';
const SECRET = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

let t: TestServer;
let reader: string; // may read SHARED
let writer: string; // may read and write SHARED, read SECRET
let stranger: string; // a valid token with no grant at all

const idOf = (token: string) => parseToken(token)!.id;

function ind(n: number, modified: string, extra: Record<string, unknown> = {}) {
  const id = `indicator--00000000-0000-4000-8000-00000000000${n}`;
  return {
    type: 'indicator',
    spec_version: '2.1',
    id,
    created: '2026-01-01T00:00:00.000Z',
    modified,
    pattern: `[ipv4-addr:value = '192.0.2.${n}']`,
    pattern_type: 'stix',
    valid_from: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

async function taxii(method: string, path: string, options: { token?: string; body?: unknown; accept?: string | null; contentType?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.accept !== null) headers.accept = options.accept ?? MEDIA;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] = options.contentType ?? MEDIA;
  }
  const res = await fetch(`${t.base}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
}

beforeAll(async () => {
  t = await startTestServer();
  const make = async (name: string) => (await t.server.accounts.createToken({ name, role: 'viewer' }, 'test')).token;
  reader = await make('peer-reader');
  writer = await make('peer-writer');
  stranger = await make('peer-stranger');
  const repo = new TaxiiRepository(t.store);
  await repo.ensureTables();
  await repo.addCollection({ id: SHARED, title: 'Shared indicators', description: 'what we share', alias: 'shared' });
  await repo.addCollection({ id: SECRET, title: 'Partners only' });
  await repo.grant(idOf(reader), SHARED, { read: true, write: false });
  await repo.grant(idOf(writer), SHARED, { read: true, write: true });
  await repo.grant(idOf(writer), SECRET, { read: true, write: false });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe('TAXII 2.1 server: discovery, API root, media types, authentication', () => {
  it('answers discovery with the API root, in the TAXII media type', async () => {
    const r = await taxii('GET', '/taxii2/', { token: reader });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(MEDIA);
    expect(r.body).toMatchObject({ title: 'Vantage TAXII server', default: ROOT, api_roots: [ROOT] });
  });

  it('answers the API root with the versions it speaks and its largest body', async () => {
    const r = await taxii('GET', ROOT, { token: reader });
    expect(r.status).toBe(200);
    expect(r.body!.versions).toEqual([MEDIA]);
    expect(r.body!.max_content_length).toBeGreaterThan(0);
  });

  it('asks for credentials with a TAXII error (401), for a missing and for a wrong token', async () => {
    for (const token of [undefined, 'vtk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const r = await taxii('GET', '/taxii2/', { token });
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toBe(MEDIA);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(r.body).toMatchObject({ title: 'Authentication required', http_status: '401' });
    }
  });

  it('negotiates Accept: 406 for what it cannot give, 200 for TAXII 2.1, unversioned TAXII, */* or none', async () => {
    for (const accept of ['application/json', 'application/taxii+json;version=2.0', 'text/html', 'application/taxii+json;version=2.1;q=0']) {
      const r = await taxii('GET', ROOT, { token: reader, accept });
      expect(r.status, accept).toBe(406);
      expect(r.body!.http_status).toBe('406');
    }
    for (const accept of [MEDIA, 'application/taxii+json', 'application/taxii+json; version=2.1', 'text/html, application/taxii+json;version=2.1', '*/*', null]) {
      expect((await taxii('GET', ROOT, { token: reader, accept })).status, String(accept)).toBe(200);
    }
  });

  it('answers the same resource with or without the trailing slash', async () => {
    expect((await taxii('GET', '/taxii2', { token: reader })).status).toBe(200);
    expect((await taxii('GET', '/taxii2/api1', { token: reader })).status).toBe(200);
  });
});

describe('TAXII 2.1 server: collections and grants', () => {
  it('lists only the collections a token holds a grant for, with its own rights', async () => {
    const r = await taxii('GET', `${ROOT}collections/`, { token: writer });
    expect(r.body!.collections).toEqual([
      { id: SECRET, title: 'Partners only', can_read: true, can_write: false, media_types: ['application/stix+json;version=2.1'] },
      { id: SHARED, title: 'Shared indicators', description: 'what we share', alias: 'shared', can_read: true, can_write: true, media_types: ['application/stix+json;version=2.1'] },
    ]);
    const mine = await taxii('GET', `${ROOT}collections/`, { token: reader });
    expect(mine.body!.collections.map((c: { id: string; can_write: boolean }) => [c.id, c.can_write])).toEqual([[SHARED, false]]);
  });

  it('hides every collection from a token without grants, whatever its role', async () => {
    for (const token of [stranger, t.tokens.admin]) {
      expect((await taxii('GET', `${ROOT}collections/`, { token })).body).toEqual({});
      const r = await taxii('GET', `${ROOT}collections/${SHARED}/`, { token });
      expect(r.status).toBe(404);
      expect((await taxii('GET', `${ROOT}collections/${SHARED}/objects/`, { token })).status).toBe(404);
    }
  });

  it('answers one collection, and 404 for one that does not exist', async () => {
    const r = await taxii('GET', `${ROOT}collections/${SHARED}/`, { token: reader });
    expect(r.body).toMatchObject({ id: SHARED, can_read: true, can_write: false });
    expect((await taxii('GET', `${ROOT}collections/00000000-0000-4000-8000-000000000000/`, { token: writer })).status).toBe(404);
  });
});

describe('TAXII 2.1 server: adding objects', () => {
  let statusId: string;

  it('refuses a POST without write rights (403) or of another content type (415)', async () => {
    const envelope = { objects: [ind(1, '2026-01-01T00:00:00.000Z')] };
    expect((await taxii('POST', `${ROOT}collections/${SHARED}/objects/`, { token: reader, body: envelope })).status).toBe(403);
    expect((await taxii('POST', `${ROOT}collections/${SECRET}/objects/`, { token: writer, body: envelope })).status).toBe(403);
    const wrong = await taxii('POST', `${ROOT}collections/${SHARED}/objects/`, { token: writer, body: envelope, contentType: 'application/json' });
    expect(wrong.status).toBe(415);
    expect(wrong.body!.http_status).toBe('415');
    expect((await taxii('POST', `${ROOT}collections/${SHARED}/objects/`, { token: writer, body: '{"objects": 1}' })).status).toBe(400);
  });

  it('takes an envelope and answers 202 with a status resource; bad objects are failures', async () => {
    const objects = [
      ind(1, '2026-01-01T00:00:00.000Z'),
      ind(2, '2026-01-02T00:00:00.000Z'),
      ind(3, '2026-01-03T00:00:00.000Z'),
      ind(1, '2026-02-01T00:00:00.000Z', { pattern: "[ipv4-addr:value = '192.0.2.100']" }), // a newer version of 1
      { type: 'indicator', spec_version: '2.1', id: 'indicator--bad' },
    ];
    const r = await taxii('POST', `${ROOT}collections/${SHARED}/objects/`, { token: writer, body: { objects } });
    expect(r.status).toBe(202);
    expect(r.headers.get('content-type')).toBe(MEDIA);
    expect(r.body).toMatchObject({ status: 'complete', total_count: 5, success_count: 4, failure_count: 1, pending_count: 0 });
    expect(r.body!.successes.map((s: { id: string; version: string }) => `${s.id.slice(-1)}@${s.version.slice(0, 10)}`)).toEqual(['1@2026-01-01', '2@2026-01-02', '3@2026-01-03', '1@2026-02-01']);
    expect(r.body!.failures[0].id).toBe('indicator--bad');
    expect(r.body!.failures[0].message).toContain('pattern is required');
    statusId = r.body!.id;
  });

  it('keeps the status for the token that posted it', async () => {
    const r = await taxii('GET', `${ROOT}status/${statusId}/`, { token: writer });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: statusId, status: 'complete', success_count: 4 });
    expect((await taxii('GET', `${ROOT}status/${statusId}/`, { token: reader })).status).toBe(404);
  });

  it('adds nothing when the same versions are posted again', async () => {
    const r = await taxii('POST', `${ROOT}collections/${SHARED}/objects/`, { token: writer, body: { objects: [ind(2, '2026-01-02T00:00:00.000Z')] } });
    expect(r.body!.successes).toEqual([{ id: ind(2, '').id, version: '2026-01-02T00:00:00.000Z', message: 'already in the collection' }]);
  });
});

describe('TAXII 2.1 server: getting objects, filters and paging', () => {
  const get = (query: string, token = reader) => taxii('GET', `${ROOT}collections/${SHARED}/objects/${query}`, { token });
  const ids = (body: Record<string, any> | undefined) => (body?.objects ?? []).map((o: { id: string; modified: string }) => `${o.id.slice(-1)}@${o.modified.slice(0, 10)}`);

  it('gives the latest version of each object by default, oldest added first, with the date-added headers', async () => {
    const r = await get('');
    expect(r.status).toBe(200);
    expect(r.body!.more).toBe(false);
    expect(ids(r.body)).toEqual(['2@2026-01-02', '3@2026-01-03', '1@2026-02-01']);
    const first = r.headers.get('x-taxii-date-added-first')!;
    const last = r.headers.get('x-taxii-date-added-last')!;
    expect(first).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(last > first).toBe(true);
  });

  it('filters by match[version], match[id], match[type] and match[spec_version]', async () => {
    expect(ids((await get('?match[version]=all')).body)).toEqual(['1@2026-01-01', '2@2026-01-02', '3@2026-01-03', '1@2026-02-01']);
    expect(ids((await get('?match[version]=first')).body)).toEqual(['1@2026-01-01', '2@2026-01-02', '3@2026-01-03']);
    expect(ids((await get('?match[version]=2026-01-01T00:00:00.000Z')).body)).toEqual(['1@2026-01-01']);
    expect(ids((await get('?match[version]=first,last&match[id]=' + ind(1, '').id)).body)).toEqual(['1@2026-01-01', '1@2026-02-01']);
    expect(ids((await get(`?match[id]=${ind(2, '').id},${ind(3, '').id}`)).body)).toEqual(['2@2026-01-02', '3@2026-01-03']);
    expect((await get('?match[type]=malware')).body).toEqual({});
    expect(ids((await get('?match[type]=malware,indicator')).body)).toHaveLength(3);
    expect((await get('?match[spec_version]=2.0')).body).toEqual({});
    expect(ids((await get('?match[spec_version]=2.1')).body)).toHaveLength(3);
  });

  it('pages with limit and next, and says when there is more', async () => {
    const p1 = await get('?match[version]=all&limit=3');
    expect(ids(p1.body)).toEqual(['1@2026-01-01', '2@2026-01-02', '3@2026-01-03']);
    expect(p1.body!.more).toBe(true);
    expect(typeof p1.body!.next).toBe('string');
    const p2 = await get(`?match[version]=all&limit=3&next=${encodeURIComponent(p1.body!.next)}`);
    expect(ids(p2.body)).toEqual(['1@2026-02-01']);
    expect(p2.body!.more).toBe(false);
    expect(p2.body!.next).toBeUndefined();
  });

  it('pages with added_after from X-TAXII-Date-Added-Last (strictly after)', async () => {
    const p1 = await get('?match[version]=all&limit=2');
    const last = p1.headers.get('x-taxii-date-added-last')!;
    const p2 = await get(`?match[version]=all&limit=2&added_after=${encodeURIComponent(last)}`);
    expect(ids(p2.body)).toEqual(['3@2026-01-03', '1@2026-02-01']);
    expect(p2.headers.get('x-taxii-date-added-first')! > last).toBe(true);
    const none = await get(`?added_after=${encodeURIComponent(p2.headers.get('x-taxii-date-added-last')!)}`);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({});
    expect(none.headers.get('x-taxii-date-added-first')).toBeNull();
  });

  it('rejects malformed filters with 400', async () => {
    for (const q of ['?limit=0', '?limit=ten', '?added_after=yesterday', '?next=bm9wZQ', '?match[version]=newest']) {
      const r = await get(q);
      expect(r.status, q).toBe(400);
      expect(r.body!.http_status).toBe('400');
    }
  });

  it('caps limit at the server page size without failing', async () => {
    expect(ids((await get('?limit=999999999')).body)).toHaveLength(3);
  });

  it('answers the manifest with versions, dates added and media types', async () => {
    const r = await taxii('GET', `${ROOT}collections/${SHARED}/manifest/?match[version]=all&limit=2`, { token: reader });
    expect(r.status).toBe(200);
    expect(r.body!.more).toBe(true);
    expect(r.body!.objects.map((m: { id: string; version: string; media_type: string }) => [m.id.slice(-1), m.version, m.media_type])).toEqual([
      ['1', '2026-01-01T00:00:00.000Z', 'application/stix+json;version=2.1'],
      ['2', '2026-01-02T00:00:00.000Z', 'application/stix+json;version=2.1'],
    ]);
    expect(r.body!.objects[0].date_added).toBe(r.headers.get('x-taxii-date-added-first'));
  });

  it('answers one object (latest version by default) and its versions', async () => {
    const one = await taxii('GET', `${ROOT}collections/${SHARED}/objects/${ind(1, '').id}/`, { token: reader });
    expect(ids(one.body)).toEqual(['1@2026-02-01']);
    expect(one.body!.objects[0].pattern).toBe("[ipv4-addr:value = '192.0.2.100']");
    const all = await taxii('GET', `${ROOT}collections/${SHARED}/objects/${ind(1, '').id}/?match[version]=all`, { token: reader });
    expect(ids(all.body)).toEqual(['1@2026-01-01', '1@2026-02-01']);
    const versions = await taxii('GET', `${ROOT}collections/${SHARED}/objects/${ind(1, '').id}/versions/`, { token: reader });
    expect(versions.body).toEqual({ more: false, versions: ['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'] });
    expect((await taxii('GET', `${ROOT}collections/${SHARED}/objects/indicator--00000000-0000-4000-8000-000000000009/`, { token: reader })).status).toBe(404);
  });

  it('deletes an object (write rights needed), one version or all of them', async () => {
    const path = `${ROOT}collections/${SHARED}/objects/${ind(1, '').id}/`;
    expect((await taxii('DELETE', path, { token: reader })).status).toBe(403);
    expect((await taxii('DELETE', `${path}?match[version]=first`, { token: writer })).status).toBe(200);
    expect((await taxii('GET', `${path}versions/`, { token: reader })).body!.versions).toEqual(['2026-02-01T00:00:00.000Z']);
    expect((await taxii('DELETE', path, { token: writer })).status).toBe(200);
    expect((await taxii('GET', path, { token: reader })).status).toBe(404);
    expect(ids((await get('')).body)).toEqual(['2@2026-01-02', '3@2026-01-03']);
  });
});

describe('the TAXII client against this server', () => {
  it('finds the API root from discovery, pages through a published export, and the STIX reader loads it', async () => {
    const repo = new TaxiiRepository(t.store);
    const c = await repo.addCollection({ title: 'Export', alias: 'export' });
    await repo.grant(idOf(reader), c.id, { read: true, write: false });
    const report = exportStix({ findings: fixtureFindings(), indicators: fixtureIndicators() }, { organisation: 'Example Org', tlp: 'green' });
    await repo.addObjects(c.id, report.bundle.objects, (us) => new Date(Math.floor(us / 1000)).toISOString());

    const client = new TaxiiClient(`${t.base}/taxii2/`, { token: reader, pageSize: 7 });
    expect(await client.apiRoot()).toBe(`${t.base}${ROOT}`);
    expect((await client.collections()).map((x) => x.alias)).toContain('export');
    const pulled = await client.pull(c.id);
    expect(pulled.objects.map((o) => o.id).sort()).toEqual(report.bundle.objects.map((o) => o.id).sort());
    expect(pulled.pages).toBe(Math.ceil(report.bundle.objects.length / 7));

    const bundle = { type: 'bundle', id: report.bundle.id, objects: pulled.objects };
    const parsed = stixFeed.parse({ file: 'taxii', text: JSON.stringify(bundle), kind: 'threat' });
    expect(parsed.problems).toEqual([]);
    expect(parsed.indicators.map((i) => `${i.type} ${i.value}`)).toContain('ip-port 198.51.100.7:8443');
    expect(parsed.indicators).toHaveLength(report.indicators);

    // Nothing new since the last page: an incremental pull gets nothing.
    expect((await client.pull(c.id, pulled.lastAdded!)).objects).toEqual([]);
  });

  it('reports a collection it may not read', async () => {
    const client = new TaxiiClient(`${t.base}${ROOT}`, { token: stranger });
    await expect(client.pull(SHARED)).rejects.toThrow(/404/);
  });
});

describe('TAXII writes in the audit trail', () => {
  interface Entry {
    actor: string;
    action: string;
    target: string;
    detail: Record<string, unknown>;
    rows: number;
    status: string;
    errorCode: string | null;
  }
  const entries = async (action: string): Promise<Entry[]> => {
    const res = await fetch(`${t.base}/api/audit?action=${action}`, { headers: { authorization: `Bearer ${t.tokens.admin}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { entries: Entry[] }).entries;
  };
  // Entries written in one millisecond have no defined order: compare as sorted lists.
  const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();

  it('every POST of objects made above, accepted, refused or failed', async () => {
    const posts = await entries('taxii.add');
    // As the "adding objects" tests sent them: two refusals (no write right), a wrong content
    // type, a body that is no envelope, the envelope of 5 (4 new versions, 1 bad), then a repeat.
    expect(sorted(posts.map((e) => [e.actor, e.target, e.status, e.errorCode, e.rows]))).toEqual(sorted([
      ['peer-reader', SHARED, 'denied', 'AUTH_FORBIDDEN', 0],
      ['peer-writer', SECRET, 'denied', 'AUTH_FORBIDDEN', 0],
      ['peer-writer', SHARED, 'error', 'REQUEST_INVALID', 0],
      ['peer-writer', SHARED, 'error', 'REQUEST_INVALID', 0],
      ['peer-writer', SHARED, 'ok', null, 4],
      ['peer-writer', SHARED, 'ok', null, 0],
    ]));
    const ok = posts.filter((e) => e.status === 'ok').map((e) => e.detail);
    expect(ok).toContainEqual(expect.objectContaining({ total: 5, added: 4, unchanged: 0, failed: 1 }));
    expect(ok).toContainEqual(expect.objectContaining({ total: 1, added: 0, unchanged: 1, failed: 0 }));
  });

  it('every DELETE made above, with the versions it removed', async () => {
    const deletes = await entries('taxii.delete');
    const id = ind(1, '').id;
    expect(sorted(deletes.map((e) => [e.actor, e.target, e.status, e.rows, e.detail.versions ?? null]))).toEqual(sorted([
      ['peer-reader', id, 'denied', 0, null],
      ['peer-writer', id, 'ok', 1, ['2026-01-01T00:00:00.000Z']],
      ['peer-writer', id, 'ok', 1, ['2026-02-01T00:00:00.000Z']],
    ]));
    expect(deletes.every((e) => e.detail.collection === SHARED)).toBe(true);
  });

  it('reads are not audited as writes', async () => {
    await taxii('GET', `${ROOT}collections/${SHARED}/objects/`, { token: reader });
    expect((await entries('taxii.add')).length).toBe(6);
  });
});
