// The TAXII 2.1 server: discovery (/taxii2/), one API root, its collections, objects (GET with
// filters and paging, POST of envelopes), single objects and their versions, manifests and the
// status of POSTs. Content is application/taxii+json;version=2.1 both ways (406 for an Accept
// it cannot meet, 415 for a POST body of another type) and errors are TAXII error messages.
//
// Callers are peers with API tokens; a token sees and touches only the collections it holds a
// grant for (`vantage taxii grant`), whatever its role. These routes are registered ahead of
// the API's cookie/session middleware and authenticate bearer tokens themselves, so that even
// an authentication failure is answered as TAXII.
//
// Writes (POST of objects, DELETE of an object) are in the audit trail as taxii.add and
// taxii.delete, with what they changed, and refused or failed writes with their reason.

import { randomUUID } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { VantageError } from '../../core/errors.js';
import { checkStixObject } from '../../share/stix/stix-conformance.js';
import { decodeNext, page, selectVersions, type TaxiiFilter } from '../../share/taxii/taxii-query.js';
import { STIX_MEDIA_TYPE, TaxiiRepository, type TaxiiCollection, type TaxiiObjectMeta } from '../../share/taxii/taxii-repository.js';
import { formatMicros, parseMicros } from '../../share/taxii/taxii-time.js';
import { audit, type ApiDeps, type ApiEnv } from '../api-context.js';
import type { AuditAction } from '../audit/audit-log.js';
import type { Principal } from '../auth/principal.js';

/** The TAXII media type of every request and response body. */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';

/** Settings of the TAXII server. */
export interface TaxiiServerOptions {
  /** The API root's path segment: /taxii2/<apiRoot>/ (default `api1`). */
  readonly apiRoot?: string;
  readonly title?: string;
  readonly description?: string;
  readonly contact?: string;
  /** Largest page a GET returns, whatever `limit` asks (default 1000). */
  readonly maxPageSize?: number;
}

/** A TAXII error answer. */
class TaxiiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly description?: string,
  ) {
    super(title);
  }
}

/** A path parameter (always present on the routes that read it). */
function param(c: Context<ApiEnv>, name: string): string {
  return c.req.param(name) ?? '';
}

function json(c: Context<ApiEnv>, body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return c.body(JSON.stringify(body), status as 200, { 'content-type': TAXII_MEDIA_TYPE, 'cache-control': 'no-store', ...headers });
}

/** True when an Accept header admits TAXII 2.1 JSON (absent means anything). */
export function acceptsTaxii(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    const version = params.find((p) => p.startsWith('version='))?.slice('version='.length);
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) return false;
    if (type === '*/*' || type === 'application/*') return true;
    return type === 'application/taxii+json' && (version === undefined || version === '2.1');
  });
}

/** True for a POST body type TAXII 2.1 takes. */
export function isTaxiiContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...params] = contentType.split(';').map((s) => s.trim().toLowerCase());
  const version = params.find((p) => p.startsWith('version='))?.slice('version='.length);
  return type === 'application/taxii+json' && (version === undefined || version === '2.1');
}

/** Registers the TAXII routes (call before the API's authentication middleware). */
export function registerTaxiiRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps, options: TaxiiServerOptions = {}): void {
  const root = options.apiRoot ?? 'api1';
  const maxPage = options.maxPageSize ?? 1000;
  const repo = new TaxiiRepository(deps.store);
  let ready: Promise<void> | undefined;
  const tables = () => (ready ??= repo.ensureTables().catch((err) => {
    ready = undefined;
    throw err;
  }));

  const authenticate = async (c: Context<ApiEnv>): Promise<Principal> => {
    const header = c.req.header('authorization');
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    const principal = m ? await deps.accounts.authenticateToken(m[1]!) : undefined;
    if (!principal) {
      c.header('WWW-Authenticate', 'Bearer realm="vantage-taxii"');
      throw new TaxiiError(401, 'Authentication required', header === undefined ? 'send Authorization: Bearer <token>' : 'unknown, revoked or expired token');
    }
    return principal;
  };

  /** The collection and the caller's rights in it; 404 when it does not exist or the caller has no grant at all. */
  const access = async (principal: Principal, id: string, need: 'read' | 'write' | 'any'): Promise<{ collection: TaxiiCollection; read: boolean; write: boolean }> => {
    const grant = (await repo.grants(principal.id)).find((g) => g.collectionId === id);
    const collection = grant ? (await repo.collections()).find((x) => x.id === id) : undefined;
    if (!grant || !collection) throw new TaxiiError(404, 'Collection not found', `no collection ${id} for this token`);
    if (need === 'read' && !grant.read) throw new TaxiiError(403, 'Forbidden', 'this token may not read the collection');
    if (need === 'write' && !grant.write) throw new TaxiiError(403, 'Forbidden', 'this token may not write to the collection');
    return { collection, read: grant.read, write: grant.write };
  };

  type Handler = (c: Context<ApiEnv>, principal: Principal) => Promise<Response>;
  /** What an audited handler reports of a change it made. */
  interface AuditNote {
    readonly target: string;
    readonly detail: Record<string, unknown>;
    readonly rows: number;
  }
  /**
   * A handler whose every authenticated call is written to the audit trail (writes change what
   * peers receive): what it changed when it succeeds, the refusal or failure otherwise.
   */
  const audited =
    (action: AuditAction, target: (c: Context<ApiEnv>) => AuditNote, handler: (c: Context<ApiEnv>, principal: Principal, note: (n: AuditNote) => void) => Promise<Response>): Handler =>
    async (c, principal) => {
      const started = performance.now();
      let noted = target(c);
      try {
        const response = await handler(c, principal, (n) => (noted = n));
        await audit(c, deps, { action, target: noted.target, detail: noted.detail, rows: noted.rows, status: 'ok', elapsedMs: performance.now() - started }, principal);
        return response;
      } catch (err) {
        const status = err instanceof TaxiiError ? err.status : 500;
        const code = err instanceof VantageError ? err.code : ({ 400: 'REQUEST_INVALID', 403: 'AUTH_FORBIDDEN', 404: 'NOT_FOUND', 413: 'REQUEST_TOO_LARGE', 415: 'REQUEST_INVALID' } as Record<number, string>)[status] ?? 'INTERNAL';
        await audit(c, deps, { action, target: noted.target, detail: noted.detail, status: status === 403 || status === 404 ? 'denied' : 'error', errorCode: code, elapsedMs: performance.now() - started }, principal);
        throw err;
      }
    };
  const route = (method: 'get' | 'post' | 'delete', path: string, handler: Handler) => {
    const run = async (c: Context<ApiEnv>) => {
      try {
        if (!acceptsTaxii(c.req.header('accept'))) throw new TaxiiError(406, 'Not Acceptable', `this server answers ${TAXII_MEDIA_TYPE}`);
        const principal = await authenticate(c);
        await tables();
        return await handler(c, principal);
      } catch (err) {
        let e: TaxiiError;
        if (err instanceof TaxiiError) e = err;
        else if (err instanceof VantageError && err.code === 'NOT_FOUND') e = new TaxiiError(404, 'Not found', err.message);
        else if (err instanceof VantageError && err.code === 'USAGE') e = new TaxiiError(400, 'Bad request', err.message);
        else {
          deps.onError?.(err);
          e = new TaxiiError(500, 'Internal error', 'the server could not answer; see its log');
        }
        return json(c, { title: e.title, ...(e.description ? { description: e.description } : {}), http_status: String(e.status) }, e.status);
      }
    };
    // TAXII URLs end with a slash; the same resource answers without it.
    const bare = path.endsWith('/') ? path.slice(0, -1) : path;
    app[method](path, run);
    if (bare !== '' && bare !== path) app[method](bare, run);
  };

  const base = `/taxii2/${root}`;
  const filterOf = (c: Context<ApiEnv>, withAddedAfter = true): TaxiiFilter => {
    const list = (name: string) => {
      const values = c.req.queries(name);
      return values === undefined ? undefined : values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
    };
    const addedAfterText = c.req.query('added_after');
    let addedAfter: number | undefined;
    if (withAddedAfter && addedAfterText !== undefined) {
      addedAfter = parseMicros(addedAfterText);
      if (addedAfter === undefined) throw new TaxiiError(400, 'Bad request', `added_after '${addedAfterText}' is not an RFC 3339 UTC timestamp`);
    }
    for (const v of list('match[version]') ?? []) {
      if (!['last', 'first', 'all'].includes(v) && parseMicros(v) === undefined) throw new TaxiiError(400, 'Bad request', `match[version] '${v}' is not last, first, all or a timestamp`);
    }
    return { ids: list('match[id]'), types: list('match[type]'), versions: list('match[version]'), specVersions: list('match[spec_version]'), addedAfter };
  };
  const limitOf = (c: Context<ApiEnv>): number => {
    const text = c.req.query('limit');
    if (text === undefined) return maxPage;
    if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new TaxiiError(400, 'Bad request', `limit '${text}' must be a positive whole number`);
    return Math.min(Number(text), maxPage);
  };
  const nextOf = (c: Context<ApiEnv>): number | undefined => {
    const text = c.req.query('next');
    if (text === undefined) return undefined;
    const at = decodeNext(text);
    if (at === undefined) throw new TaxiiError(400, 'Bad request', `next '${text}' is not a value this server gave`);
    return at;
  };
  const dateHeaders = (items: readonly TaxiiObjectMeta[]): Record<string, string> =>
    items.length === 0
      ? {}
      : { 'X-TAXII-Date-Added-First': formatMicros(Math.min(...items.map((m) => m.dateAdded))), 'X-TAXII-Date-Added-Last': formatMicros(Math.max(...items.map((m) => m.dateAdded))) };
  const collectionJson = (x: TaxiiCollection, rights: { read: boolean; write: boolean }) => ({
    id: x.id,
    title: x.title,
    ...(x.description ? { description: x.description } : {}),
    ...(x.alias ? { alias: x.alias } : {}),
    can_read: rights.read,
    can_write: rights.write,
    media_types: x.mediaTypes,
  });
  /** The page of object versions a GET with filters asks for. */
  const pageOf = async (c: Context<ApiEnv>, collectionId: string, filter: TaxiiFilter) => {
    const metas = await repo.objectMetas(collectionId, { ids: filter.ids, types: filter.types });
    return page(selectVersions(metas, filter), filter, limitOf(c), nextOf(c));
  };

  route('get', '/taxii2/', async (c) =>
    json(c, {
      title: options.title ?? 'Vantage TAXII server',
      ...(options.description ? { description: options.description } : {}),
      ...(options.contact ? { contact: options.contact } : {}),
      default: `${base}/`,
      api_roots: [`${base}/`],
    }),
  );

  route('get', `${base}/`, async (c) =>
    json(c, {
      title: options.title ?? 'Vantage TAXII server',
      description: 'threat intelligence shared from Vantage: indicators, observed data and sightings (STIX 2.1)',
      versions: [TAXII_MEDIA_TYPE],
      max_content_length: deps.config.maxBodyBytes,
    }),
  );

  route('get', `${base}/status/:statusId/`, async (c, principal) => {
    const s = await repo.status(param(c, 'statusId'));
    if (!s || s.owner !== principal.id) throw new TaxiiError(404, 'Status not found', `no status ${param(c, 'statusId')} for this token`);
    return json(c, s.body);
  });

  route('get', `${base}/collections/`, async (c, principal) => {
    const grants = new Map((await repo.grants(principal.id)).map((g) => [g.collectionId, g]));
    const visible = (await repo.collections()).filter((x) => grants.has(x.id)).map((x) => collectionJson(x, grants.get(x.id)!));
    return json(c, visible.length > 0 ? { collections: visible } : {});
  });

  route('get', `${base}/collections/:id/`, async (c, principal) => {
    const a = await access(principal, param(c, 'id'), 'any');
    return json(c, collectionJson(a.collection, a));
  });

  route('get', `${base}/collections/:id/manifest/`, async (c, principal) => {
    const { collection } = await access(principal, param(c, 'id'), 'read');
    const p = await pageOf(c, collection.id, filterOf(c));
    const objects = p.items.map((m) => ({ id: m.id, date_added: formatMicros(m.dateAdded), version: m.version, media_type: STIX_MEDIA_TYPE }));
    return json(c, objects.length > 0 ? { more: p.more, ...(p.next ? { next: p.next } : {}), objects } : {}, 200, dateHeaders(p.items));
  });

  route('get', `${base}/collections/:id/objects/`, async (c, principal) => {
    const { collection } = await access(principal, param(c, 'id'), 'read');
    const p = await pageOf(c, collection.id, filterOf(c));
    const bodies = await repo.bodies(collection.id, p.items);
    const objects = p.items.map((m) => bodies.get(`${m.id}@${m.version}`)).filter((o) => o !== undefined);
    return json(c, objects.length > 0 ? { more: p.more, ...(p.next ? { next: p.next } : {}), objects } : {}, 200, dateHeaders(p.items));
  });

  route('post', `${base}/collections/:id/objects/`, audited('taxii.add', (c) => ({ target: param(c, 'id'), detail: {}, rows: 0 }), async (c, principal, note) => {
    const { collection } = await access(principal, param(c, 'id'), 'write');
    if (!isTaxiiContentType(c.req.header('content-type'))) throw new TaxiiError(415, 'Unsupported Media Type', `send the envelope as ${TAXII_MEDIA_TYPE}`);
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > deps.config.maxBodyBytes) throw new TaxiiError(413, 'Payload Too Large', `envelopes are at most ${deps.config.maxBodyBytes} bytes`);
    const text = await c.req.text();
    if (Buffer.byteLength(text) > deps.config.maxBodyBytes) throw new TaxiiError(413, 'Payload Too Large', `envelopes are at most ${deps.config.maxBodyBytes} bytes`);
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      throw new TaxiiError(400, 'Bad request', 'the body is not JSON');
    }
    const objects = (envelope as { objects?: unknown } | null)?.objects;
    if (!envelope || typeof envelope !== 'object' || !Array.isArray(objects)) throw new TaxiiError(400, 'Bad request', 'the body must be an envelope: {"objects": [...]}');
    const requested = formatMicros(Date.now() * 1000);
    const good: Record<string, unknown>[] = [];
    const failures: { id: string; version?: string; message: string }[] = [];
    for (const o of objects as unknown[]) {
      const problems = checkStixObject(o);
      const obj = (o ?? {}) as Record<string, unknown>;
      if (problems.length > 0) failures.push({ id: String(obj.id ?? ''), ...(typeof obj.modified === 'string' ? { version: obj.modified } : {}), message: problems.map((p) => p.message).join('; ') });
      else good.push(obj);
    }
    const added = await repo.addObjects(collection.id, good, formatMicros);
    const status = {
      id: randomUUID(),
      status: 'complete',
      request_timestamp: requested,
      total_count: objects.length,
      success_count: added.length,
      successes: added.map((a) => ({ id: a.id, version: a.version, ...(a.added ? {} : { message: 'already in the collection' }) })),
      failure_count: failures.length,
      failures,
      pending_count: 0,
      pendings: [],
    };
    await repo.saveStatus(status.id, principal.id, status);
    const fresh = added.filter((a) => a.added).length;
    note({ target: collection.id, detail: { status: status.id, total: objects.length, added: fresh, unchanged: added.length - fresh, failed: failures.length }, rows: fresh });
    return json(c, status, 202);
  }));

  route('get', `${base}/collections/:id/objects/:objectId/`, async (c, principal) => {
    const { collection } = await access(principal, param(c, 'id'), 'read');
    const filter = { ...filterOf(c), ids: [param(c, 'objectId')] };
    const metas = await repo.objectMetas(collection.id, { ids: filter.ids });
    if (metas.length === 0) throw new TaxiiError(404, 'Object not found', `no object ${param(c, 'objectId')} in the collection`);
    const p = page(selectVersions(metas, filter), filter, limitOf(c), nextOf(c));
    const bodies = await repo.bodies(collection.id, p.items);
    const objects = p.items.map((m) => bodies.get(`${m.id}@${m.version}`)).filter((o) => o !== undefined);
    return json(c, objects.length > 0 ? { more: p.more, ...(p.next ? { next: p.next } : {}), objects } : {}, 200, dateHeaders(p.items));
  });

  route('delete', `${base}/collections/:id/objects/:objectId/`, audited('taxii.delete', (c) => ({ target: param(c, 'objectId'), detail: { collection: param(c, 'id') }, rows: 0 }), async (c, principal, note) => {
    const { collection } = await access(principal, param(c, 'id'), 'write');
    const filter = filterOf(c, false);
    const metas = await repo.objectMetas(collection.id, { ids: [param(c, 'objectId')] });
    if (metas.length === 0) throw new TaxiiError(404, 'Object not found', `no object ${param(c, 'objectId')} in the collection`);
    // Without match[version], a delete removes every version.
    const doomed = selectVersions(metas, { ...filter, versions: filter.versions ?? ['all'] });
    await repo.deleteObjects(collection.id, doomed);
    note({ target: param(c, 'objectId'), detail: { collection: collection.id, versions: doomed.map((m) => m.version) }, rows: doomed.length });
    return c.body(null, 200, { 'content-type': TAXII_MEDIA_TYPE });
  }));

  route('get', `${base}/collections/:id/objects/:objectId/versions/`, async (c, principal) => {
    const { collection } = await access(principal, param(c, 'id'), 'read');
    const filter = { ...filterOf(c), ids: [param(c, 'objectId')], versions: ['all'] };
    const metas = await repo.objectMetas(collection.id, { ids: filter.ids });
    if (metas.length === 0) throw new TaxiiError(404, 'Object not found', `no object ${param(c, 'objectId')} in the collection`);
    const p = page(selectVersions(metas, filter), filter, limitOf(c), nextOf(c));
    return json(c, p.items.length > 0 ? { more: p.more, ...(p.next ? { next: p.next } : {}), versions: p.items.map((m) => m.version) } : {}, 200, dateHeaders(p.items));
  });
}
