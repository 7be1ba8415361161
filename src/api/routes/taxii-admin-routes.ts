// Administration of our TAXII 2.1 server over the API (the /taxii2/ routes themselves are in
// taxii-routes.ts): collections with their object counts (analyst), creating collections and
// setting per-token grants (admin), publishing our STIX export into a collection (analyst), and
// pulling a peer's TAXII collection into intelligence (admin). Organisation-wide: a
// network-scoped caller is refused. Every change is audited; reads are not.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { VantageError } from '../../core/errors.js';
import { shareInputs } from '../../share/share-inputs.js';
import { exportStix } from '../../share/stix/stix-export.js';
import { TLP_LEVELS } from '../../share/stix/tlp-marking.js';
import { pullIntoIntel, pullSource } from '../../share/taxii/taxii-pull.js';
import { TaxiiRepository, type TaxiiCollection } from '../../share/taxii/taxii-repository.js';
import { formatMicros } from '../../share/taxii/taxii-time.js';
import { ApiError, errorResponse } from '../api-error.js';
import { audit, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS, TimeSchema } from '../api-schemas.js';
import type { AuditAction } from '../audit/audit-log.js';
import type { Permission, Principal } from '../auth/principal.js';
import { exactJson, timeBounds } from './respond.js';

/** Per request to a peer's TAXII server while pulling. */
const PULL_TIMEOUT_MS = 30_000;

const CollectionSchema = z
  .object({
    id: z.string().openapi({ example: '4f6b1c3e-9d2a-4e7b-8c1d-2a3b4c5d6e7f' }),
    title: z.string(),
    description: z.string(),
    alias: z.string().openapi({ description: "a short name usable instead of the id ('' when none)" }),
    mediaTypes: z.array(z.string()),
    objects: z.number().int().openapi({ description: 'distinct objects held (not deleted)' }),
    versions: z.number().int().openapi({ description: 'object versions held' }),
    url: z.string().openapi({ example: '/taxii2/api1/collections/4f6b1c3e-9d2a-4e7b-8c1d-2a3b4c5d6e7f/', description: 'where peers read it (with a granted token)' }),
  })
  .openapi('TaxiiCollectionInfo');

const CollectionInput = z
  .object({
    title: z.string().min(1).max(200).openapi({ example: 'Shared indicators' }),
    alias: z.string().max(64).optional().openapi({ example: 'shared' }),
    description: z.string().max(2000).optional(),
    id: z.string().max(36).optional().openapi({ description: 'a lower-case UUID (default: a new random one)' }),
  })
  .strict()
  .openapi('TaxiiCollectionInput');

const GrantSchema = z
  .object({
    tokenId: z.string(),
    tokenName: z.string().openapi({ description: "the token's name ('' when the token no longer exists)" }),
    collectionId: z.string(),
    collectionTitle: z.string(),
    read: z.boolean(),
    write: z.boolean(),
  })
  .openapi('TaxiiGrant');

const GrantInput = z
  .object({
    token: z.string().min(1).max(200).openapi({ example: 'peer-acme', description: 'an active token, by id or name (GET /api/tokens)' }),
    collection: z.string().min(1).max(64).openapi({ description: 'collection id or alias' }),
    read: z.boolean().optional().openapi({ description: 'may read objects (default false)' }),
    write: z.boolean().optional().openapi({ description: 'may add and delete objects (default false); neither: access removed' }),
  })
  .strict()
  .openapi('TaxiiGrantInput');

const PublishInput = z
  .object({
    collection: z.string().min(1).max(64).openapi({ example: 'shared', description: 'collection id or alias' }),
    tlp: z.enum(TLP_LEVELS).optional().openapi({ description: 'TLP 2.0 marking of every object (default amber)' }),
    since: TimeSchema.optional().openapi({ description: 'only findings active (and indicators seen) since' }),
    org: z.string().min(1).max(200).optional().openapi({ description: 'our organisation, the identity of the objects (default Vantage)' }),
  })
  .strict()
  .openapi('TaxiiPublishInput');

const PublishSchema = z
  .object({
    collection: z.string(),
    objects: z.number().int().openapi({ description: 'objects in the export' }),
    added: z.number().int().openapi({ description: 'new object versions stored' }),
    unchanged: z.number().int().openapi({ description: 'versions the collection already held' }),
    indicators: z.number().int(),
    sightings: z.number().int(),
  })
  .openapi('TaxiiPublishResult');

const PullInput = z
  .object({
    url: z.string().min(1).max(2000).openapi({ example: 'https://peer.example/taxii2/', description: 'the TAXII discovery URL or an API root URL' }),
    collection: z.string().min(1).max(200).openapi({ description: 'collection id at the peer' }),
    token: z.string().max(500).optional().openapi({ description: 'the bearer token the peer gave us (never stored or logged)' }),
    addedAfter: TimeSchema.optional().openapi({ description: 'only objects the peer added after this (incremental: merged with what the source had)' }),
    source: z.string().min(1).max(200).optional().openapi({ description: 'intelligence source name (default taxii:HOST:COLLECTION)' }),
    allowEmpty: z.boolean().optional().openapi({ description: 'a full pull that finds no indicators expires the whole source: only with this' }),
  })
  .strict()
  .openapi('TaxiiPullInput');

const PullSchema = z
  .object({
    source: z.string(),
    objects: z.number().int().openapi({ description: 'STIX objects received' }),
    pages: z.number().int(),
    lastAdded: z.string().nullable().openapi({ description: 'addedAfter for the next incremental pull' }),
    active: z.number().int().openapi({ description: 'indicators of the source now active' }),
    added: z.number().int(),
    updated: z.number().int(),
    expired: z.number().int(),
    problems: z.number().int().openapi({ description: 'objects the STIX reader could not load' }),
    rejected: z.number().int().openapi({ description: 'of those, the bad ones (the others use patterns Vantage cannot match)' }),
    problemDetails: z
      .array(z.object({ code: z.string().openapi({ example: 'INTEL_BAD_VALUE' }), message: z.string() }))
      .openapi({ description: 'what was wrong with each, in object order (the first 100)' }),
  })
  .openapi('TaxiiPullResult');

const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { 'application/json': { schema } } });

const routes = {
  collections: createRoute({
    method: 'get',
    path: '/api/taxii/collections',
    tags: ['sharing'],
    summary: 'Collections of our TAXII server with their object counts (analyst)',
    responses: { 200: { description: 'Collections', ...json(z.object({ collections: z.array(CollectionSchema) })) }, ...AUTH_ERRORS },
  }),
  addCollection: createRoute({
    method: 'post',
    path: '/api/taxii/collections',
    tags: ['sharing'],
    summary: 'Create a TAXII collection (admin)',
    request: { body: { required: true, ...json(CollectionInput) } },
    responses: { 201: { description: 'Created', ...json(CollectionSchema) }, 400: ERRORS[400], ...AUTH_ERRORS, 409: ERRORS[409] },
  }),
  grants: createRoute({
    method: 'get',
    path: '/api/taxii/grants',
    tags: ['sharing'],
    summary: "Which token may read or write which collection (admin)",
    responses: { 200: { description: 'Grants with read or write', ...json(z.object({ grants: z.array(GrantSchema) })) }, ...AUTH_ERRORS },
  }),
  grant: createRoute({
    method: 'post',
    path: '/api/taxii/grants',
    tags: ['sharing'],
    summary: "Set a token's rights on a collection; neither read nor write removes its access (admin)",
    request: { body: { required: true, ...json(GrantInput) } },
    responses: { 200: { description: 'The grant as set', ...json(GrantSchema) }, 400: ERRORS[400], ...AUTH_ERRORS, 404: ERRORS[404] },
  }),
  publish: createRoute({
    method: 'post',
    path: '/api/taxii/publish',
    tags: ['sharing'],
    summary: 'Publish our STIX export (findings and active threat indicators) into a collection; unchanged versions are not added again (analyst)',
    request: { body: { required: true, ...json(PublishInput) } },
    responses: { 200: { description: 'What was added', ...json(PublishSchema) }, 400: ERRORS[400], ...AUTH_ERRORS, 404: ERRORS[404] },
  }),
  pull: createRoute({
    method: 'post',
    path: '/api/taxii/pull',
    tags: ['sharing'],
    summary: "Page through a peer's TAXII collection and load its indicators into intelligence (admin)",
    request: { body: { required: true, ...json(PullInput) } },
    responses: {
      200: { description: 'What was loaded', ...json(PullSchema) },
      400: { ...ERRORS[400], description: 'Bad input, or the peer refused or could not be reached (its answer in the message)' },
      ...AUTH_ERRORS,
      404: { ...ERRORS[404], description: 'The peer has no such collection for our token' },
      503: { ...ERRORS[503], description: 'Another pull is running' },
    },
  }),
};

/** The caller if it holds the permission and sees every network. */
function requireOrg(c: Context<ApiEnv>, permission: Permission): Principal {
  const p = requirePermission(c, permission);
  if (p.ranges.length > 0) throw new ApiError('AUTH_FORBIDDEN', 'TAXII sharing covers every network: a caller limited to some networks may not manage it');
  return p;
}

/** Bad input reported by the sharing code is the request's fault. */
function asRequestError(err: unknown): unknown {
  return err instanceof VantageError && err.code === 'USAGE' ? new ApiError('REQUEST_INVALID', err.message) : err;
}

/**
 * An added_after bound: a TAXII timestamp (microseconds, as a previous pull's lastAdded) as it is,
 * anything else parseTime reads (ISO 8601, epoch, -7d) as ISO 8601.
 */


/** Registers the TAXII administration routes. */
export function registerTaxiiAdminRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const repository = new TaxiiRepository(deps.store);
  let ready: Promise<void> | undefined;
  const repo = async (): Promise<TaxiiRepository> => {
    ready ??= repository.ensureTables().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    await ready;
    return repository;
  };

  const info = async (r: TaxiiRepository, col: TaxiiCollection): Promise<z.infer<typeof CollectionSchema>> => {
    const metas = await r.objectMetas(col.id);
    return { ...col, mediaTypes: [...col.mediaTypes], objects: new Set(metas.map((m) => m.id)).size, versions: metas.length, url: `/taxii2/api1/collections/${col.id}/` };
  };

  /** Runs a change, auditing it as done or failed (with the error's code). */
  const audited = async <T>(c: Context<ApiEnv>, action: AuditAction, target: string, detail: Record<string, unknown>, work: () => Promise<{ result: T; rows: number; detail?: Record<string, unknown> }>): Promise<T> => {
    const started = performance.now();
    try {
      const done = await work();
      await audit(c, deps, { action, target, detail: { ...detail, ...done.detail }, rows: done.rows, status: 'ok', elapsedMs: performance.now() - started });
      return done.result;
    } catch (err) {
      const mapped = asRequestError(err);
      const { body } = errorResponse(mapped);
      await audit(c, deps, { action, target, detail, status: 'error', errorCode: body.error.code, elapsedMs: performance.now() - started });
      throw mapped;
    }
  };

  app.openapi(routes.collections, async (c) => {
    requireOrg(c, 'export');
    const r = await repo();
    const list = await Promise.all((await r.collections()).map((col) => info(r, col)));
    return exactJson(c, { collections: list });
  });

  app.openapi(routes.addCollection, async (c) => {
    requireOrg(c, 'admin');
    const body = c.req.valid('json');
    const r = await repo();
    const created = await audited(c, 'taxii.collection.add', body.alias || body.title, { title: body.title, ...(body.alias ? { alias: body.alias } : {}) }, async () => {
      const existing = await r.collections();
      const alias = body.alias?.trim() ?? '';
      if (body.id !== undefined && existing.some((x) => x.id === body.id)) throw new ApiError('CONFLICT', `collection ${body.id} exists`);
      if (alias !== '' && existing.some((x) => x.alias === alias)) throw new ApiError('CONFLICT', `a collection with alias '${alias}' exists`);
      const col = await r.addCollection(body);
      return { result: col, rows: 1, detail: { id: col.id } };
    });
    return exactJson(c, await info(r, created), 201);
  });

  app.openapi(routes.grants, async (c) => {
    requireOrg(c, 'admin');
    const r = await repo();
    const names = new Map((await deps.accounts.listTokens()).map((t) => [t.id, t.name]));
    const titles = new Map((await r.collections()).map((col) => [col.id, col.title]));
    const grants = (await r.grants()).map((g) => ({ tokenId: g.tokenId, tokenName: names.get(g.tokenId) ?? '', collectionId: g.collectionId, collectionTitle: titles.get(g.collectionId) ?? '', read: g.read, write: g.write }));
    return exactJson(c, { grants });
  });

  app.openapi(routes.grant, async (c) => {
    requireOrg(c, 'admin');
    const body = c.req.valid('json');
    const rights = { read: body.read === true, write: body.write === true };
    const r = await repo();
    const grant = await audited(c, 'taxii.grant', body.token, { collection: body.collection, ...rights }, async () => {
      const col = await r.collection(body.collection);
      const tokens = (await deps.accounts.listTokens()).filter((t) => !t.revoked && (t.id === body.token || t.name === body.token));
      if (tokens.length === 0) throw new ApiError('NOT_FOUND', `no active token named or with id '${body.token}'`);
      if (tokens.length > 1) throw new ApiError('REQUEST_INVALID', `${tokens.length} active tokens are named '${body.token}': give the token id`, { field: 'token' });
      const token = tokens[0]!;
      const g = await r.grant(token.id, col.id, rights);
      return { result: { tokenId: g.tokenId, tokenName: token.name, collectionId: col.id, collectionTitle: col.title, read: g.read, write: g.write }, rows: 1, detail: { tokenId: token.id, collectionId: col.id } };
    });
    return exactJson(c, grant);
  });

  app.openapi(routes.publish, async (c) => {
    requireOrg(c, 'export');
    const body = c.req.valid('json');
    const tlp = body.tlp ?? 'amber';
    const r = await repo();
    const summary = await audited(c, 'taxii.publish', body.collection, { tlp, ...(body.since ? { since: body.since } : {}) }, async () => {
      const col = await r.collection(body.collection);
      const since = timeBounds(body.since, undefined).from;
      // The same reader of what an export shares as GET /api/share/stix, so both carry the same objects.
      const report = exportStix(await shareInputs(deps.store, { since, indicators: true }), { organisation: body.org ?? 'Vantage', tlp });
      const objects = report.bundle.objects as unknown as Record<string, unknown>[];
      const results = await r.addObjects(col.id, objects, formatMicros);
      const added = results.filter((x) => x.added).length;
      const result = { collection: col.id, objects: objects.length, added, unchanged: objects.length - added, indicators: report.indicators, sightings: report.sightings };
      return { result, rows: added, detail: { collectionId: col.id, objects: result.objects, unchanged: result.unchanged } };
    });
    return exactJson(c, summary);
  });

  // One pull at a time: a save reads the source's entries and then writes them, and two
  // interleaved pulls of one source would miscount what was added and expired.
  let pulling = false;
  app.openapi(routes.pull, async (c) => {
    requireOrg(c, 'admin');
    const body = c.req.valid('json');
    let source: string;
    try {
      source = body.source ?? pullSource(body.url, body.collection);
    } catch {
      throw new ApiError('REQUEST_INVALID', `'${body.url}' is not an http or https URL`, { field: 'url' });
    }
    // The token is never logged; the URL is (without any query string a user may have pasted credentials into).
    const detail = { url: body.url.split('?')[0], collection: body.collection, ...(body.addedAfter ? { addedAfter: body.addedAfter } : {}) };
    if (pulling) throw new ApiError('QUERY_BUSY', 'a TAXII pull is in progress: try again when it finishes');
    pulling = true;
    try {
      const summary = await audited(c, 'taxii.pull', source, detail, async () => {
        const result = await pullIntoIntel(deps.store, { url: body.url, collection: body.collection, token: body.token, addedAfter: body.addedAfter, source, allowEmpty: body.allowEmpty, timeoutMs: PULL_TIMEOUT_MS });
        const saved = result;
        return { result, rows: saved.active, detail: { objects: result.objects, added: saved.added, updated: saved.updated, expired: saved.expired } };
      });
      return exactJson(c, summary);
    } finally {
      pulling = false;
    }
  });
}
