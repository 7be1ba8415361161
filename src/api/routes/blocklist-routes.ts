// Block lists over HTTP: GET /api/blocklists (saved lists), POST /api/blocklists (save criteria;
// analyst, audited), GET /api/blocklists/{name}?format=json|plain|csv|nft|ipset (built now),
// DELETE /api/blocklists/{name} (analyst, audited) and GET /api/blocklists/{name}/edl, the
// External Dynamic List a firewall polls with a viewer token (plain text, one entry per line).
// Block lists cover every network: a network-scoped caller may not read them.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { VantageError } from '../../core/errors.js';
import { BLOCK_ROLES, BLOCKLIST_FORMATS, parseCriteria } from '../../share/blocklist/blocklist-criteria.js';
import { BLOCKLIST_CONTENT_TYPES, formatBlocklist } from '../../share/blocklist/blocklist-format.js';
import { BlocklistRepository } from '../../share/blocklist/blocklist-repository.js';
import { HOLD_RULES, type BlockList } from '../../share/blocklist/blocklist.js';
import { buildBlocklist } from '../../share/blocklist/build-blocklist.js';
import { ApiError, errorResponse } from '../api-error.js';
import { audit, principalOf, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS } from '../api-schemas.js';
import { ROLES, type Principal } from '../auth/principal.js';
import { exactJson } from './respond.js';

/** How long a built list is served again before it is rebuilt (firewalls poll every few minutes). */
export const BLOCKLIST_CACHE_MS = 60_000;

const SafetySchema = z
  .object({
    lookback: z.string().optional().openapi({ example: '30d', description: 'two-way traffic is counted over this span before the newest flow' }),
    minPeers: z.number().int().optional().openapi({ description: 'distinct internal peers with established two-way TCP (default 10)' }),
    minFlows: z.number().int().optional().openapi({ description: 'or this many flows (default 20)...' }),
    minBytes: z.number().int().optional().openapi({ description: '...with this many bytes each way (default 10000)' }),
    internalNetworks: z.array(z.string()).optional().openapi({ description: 'our networks (default: the perimeter watchlists)' }),
    minPrefixV4: z.number().int().optional().openapi({ description: 'shortest IPv4 prefix listed (default 16)' }),
    minPrefixV6: z.number().int().optional().openapi({ description: 'shortest IPv6 prefix listed (default 32)' }),
    allowReserved: z.boolean().optional(),
    allowBroad: z.boolean().optional(),
  })
  .openapi('BlocklistSafety');

const CriteriaSchema = z
  .object({
    fromFindings: z.boolean().optional().openapi({ description: 'attacker-side addresses of stored findings (default true)' }),
    kinds: z.array(z.string()).optional().openapi({ example: ['scan', 'repeat'], description: 'finding kinds; empty: all' }),
    roles: z.array(z.enum(BLOCK_ROLES)).optional().openapi({ description: `roles blocked (default all of ${BLOCK_ROLES.join(', ')})` }),
    minScore: z.number().optional().openapi({ description: '0..1' }),
    fromIntel: z.boolean().optional().openapi({ description: 'address and network indicators of threat feeds (default false)' }),
    feeds: z.array(z.string()).optional().openapi({ example: ['feodo', 'spamhaus'], description: 'sources or source prefixes; empty: all' }),
    tags: z.array(z.string()).optional(),
    minConfidence: z.number().optional().openapi({ description: '0..100; indicators stating none are left out when set' }),
    seenOnly: z.boolean().optional().openapi({ description: 'only indicators seen in stored flows over the safety lookback' }),
    expire: z.string().optional().openapi({ example: '7d', description: "entries leave the list this long after their last activity, or 'never'" }),
    safety: SafetySchema.optional(),
  })
  .openapi('BlocklistCriteria');

const SavedSchema = z
  .object({
    name: z.string().openapi({ example: 'perimeter-drop' }),
    description: z.string(),
    criteria: CriteriaSchema,
    savedBy: z.string(),
    savedAt: z.string(),
  })
  .openapi('SavedBlocklist');

const SaveSchema = z
  .object({
    name: z.string().max(64).openapi({ example: 'perimeter-drop' }),
    description: z.string().max(2000).optional(),
    criteria: CriteriaSchema.optional(),
  })
  .strict()
  .openapi('BlocklistSave');

const EvidenceSchema = z.record(z.string(), z.unknown()).openapi({ description: "a finding (id, kind, role, score, query, from, to) or an indicator (source, indicator, file, line, raw)" });
const EntrySchema = z.object({
  value: z.string().openapi({ example: '198.51.100.7' }),
  family: z.number().int(),
  reason: z.string(),
  confidence: z.number().nullable(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  expires: z.string().nullable(),
  evidence: z.array(EvidenceSchema),
});
const BuiltSchema = z
  .object({
    name: z.string().optional(),
    builtAt: z.string(),
    criteria: z.record(z.string(), z.unknown()),
    window: z.object({ from: z.string(), to: z.string() }).nullable(),
    entries: z.array(EntrySchema),
    held: z.array(EntrySchema.extend({ held: z.array(z.object({ rule: z.enum(HOLD_RULES), detail: z.string() })) })),
  })
  .openapi('Blocklist');

const NameParams = z.object({ name: z.string().max(64).openapi({ example: 'perimeter-drop' }) });
const TEXT = { 'text/plain': { schema: z.string() } };

const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/blocklists',
    tags: ['blocklists'],
    summary: 'Saved block lists (their criteria)',
    responses: { 200: { description: 'Saved lists', content: { 'application/json': { schema: z.object({ blocklists: z.array(SavedSchema) }) } } }, ...AUTH_ERRORS },
  }),
  save: createRoute({
    method: 'post',
    path: '/api/blocklists',
    tags: ['blocklists'],
    summary: 'Save (or replace) a block list: its criteria, not its entries (analyst)',
    request: { body: { required: true, content: { 'application/json': { schema: SaveSchema } } } },
    responses: { 200: { description: 'The list as saved', content: { 'application/json': { schema: SavedSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS },
  }),
  get: createRoute({
    method: 'get',
    path: '/api/blocklists/{name}',
    tags: ['blocklists'],
    summary: 'A saved block list built now, with the entries held back by the safety check and why',
    request: { params: NameParams, query: z.object({ format: z.enum(BLOCKLIST_FORMATS).optional().openapi({ description: 'json (default), plain, csv, nft, ipset' }) }) },
    responses: {
      200: { description: 'The list', content: { 'application/json': { schema: BuiltSchema }, 'text/plain': { schema: z.string() }, 'text/csv': { schema: z.string() } } },
      400: ERRORS[400],
      ...AUTH_ERRORS,
      404: ERRORS[404],
    },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/api/blocklists/{name}',
    tags: ['blocklists'],
    summary: 'Remove a saved block list (analyst)',
    request: { params: NameParams },
    responses: { 200: { description: 'Removed', content: { 'application/json': { schema: z.object({ removed: z.string() }) } } }, ...AUTH_ERRORS, 404: ERRORS[404] },
  }),
  edl: createRoute({
    method: 'get',
    path: '/api/blocklists/{name}/edl',
    tags: ['blocklists'],
    summary: 'External Dynamic List: the entries, one address or network per line (PAN-OS, FortiGate); poll with a viewer token',
    request: { params: NameParams },
    responses: { 200: { description: 'One entry per line', content: TEXT }, ...AUTH_ERRORS, 404: ERRORS[404] },
  }),
};

/** The caller if it may read (viewer and up) and is not limited to some networks. */
function requireOrgReader(c: Context<ApiEnv>): Principal {
  const p = requirePermission(c, 'read');
  if (p.ranges.length > 0) throw new ApiError('AUTH_FORBIDDEN', 'block lists cover every network: a caller limited to some networks may not read them');
  return p;
}

/** The caller if analyst or above and not network-scoped. */
function requireOrgAnalyst(c: Context<ApiEnv>): Principal {
  const p = principalOf(c);
  if (ROLES.indexOf(p.role) < ROLES.indexOf('analyst')) throw new ApiError('AUTH_FORBIDDEN', `the ${p.role} role may not do this (needs analyst)`);
  return requireOrgReader(c);
}

/** Bad criteria are the request's fault. */
function asRequestError(err: unknown): unknown {
  return err instanceof VantageError && err.code === 'USAGE' ? new ApiError('REQUEST_INVALID', err.message) : err;
}

/** Registers the block list routes. */
export function registerBlocklistRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const repository = new BlocklistRepository(deps.store);
  let ready: Promise<void> | undefined;
  const repo = async (): Promise<BlocklistRepository> => {
    ready ??= repository.ensureTables().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    await ready;
    return repository;
  };
  const cache = new Map<string, { at: number; list: BlockList }>();

  /** The saved list built now, or again from the last minute's build. */
  const built = async (name: string): Promise<BlockList> => {
    const now = Date.now();
    const hit = cache.get(name);
    if (hit && now - hit.at < BLOCKLIST_CACHE_MS) return hit.list;
    const saved = await (await repo()).require(name);
    const list = await buildBlocklist(deps.store, parseCriteria(saved.criteria), { name, now });
    cache.set(name, { at: now, list });
    return list;
  };

  const audited = async <T>(c: Context<ApiEnv>, action: 'blocklist.save' | 'blocklist.remove', target: string, work: () => Promise<T>, detail: Record<string, unknown>): Promise<T> => {
    const started = performance.now();
    try {
      const result = await work();
      await audit(c, deps, { action, target, detail, rows: 1, status: 'ok', elapsedMs: performance.now() - started });
      return result;
    } catch (err) {
      const mapped = asRequestError(err);
      const { body } = errorResponse(mapped);
      await audit(c, deps, { action, target, detail, status: 'error', errorCode: body.error.code, elapsedMs: performance.now() - started });
      throw mapped;
    }
  };

  app.openapi(routes.list, async (c) => {
    requireOrgReader(c);
    return exactJson(c, { blocklists: await (await repo()).list() });
  });

  app.openapi(routes.save, async (c) => {
    const p = requireOrgAnalyst(c);
    const body = c.req.valid('json');
    const criteria = body.criteria ?? {};
    const saved = await audited(c, 'blocklist.save', body.name, async () => (await repo()).save({ name: body.name, description: body.description, criteria, savedBy: p.name }), { criteria });
    cache.delete(body.name);
    return exactJson(c, saved);
  });

  app.openapi(routes.get, async (c) => {
    requireOrgReader(c);
    const { name } = c.req.valid('param');
    const format = c.req.valid('query').format ?? 'json';
    const list = await built(name);
    if (format === 'json') return exactJson(c, list);
    return c.body(formatBlocklist(list, format), 200, { 'content-type': BLOCKLIST_CONTENT_TYPES[format] }) as never;
  });

  app.openapi(routes.remove, async (c) => {
    requireOrgAnalyst(c);
    const { name } = c.req.valid('param');
    await audited(
      c,
      'blocklist.remove',
      name,
      async () => {
        if (!(await (await repo()).remove(name))) throw new VantageError('NOT_FOUND', `no block list '${name}'`);
      },
      {},
    );
    cache.delete(name);
    return exactJson(c, { removed: name });
  });

  app.openapi(routes.edl, async (c) => {
    requireOrgReader(c);
    const list = await built(c.req.valid('param').name);
    return c.body(formatBlocklist(list, 'plain'), 200, { 'content-type': BLOCKLIST_CONTENT_TYPES.plain }) as never;
  });
}
