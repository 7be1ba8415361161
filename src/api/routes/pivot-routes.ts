// Entity profiles and the pivot graph over HTTP: GET /api/profile/{entity} (as `vantage profile`)
// and GET /api/pivot (as `vantage pivot`). Both are reads for any role and audited like queries.
// A network-scoped caller profiles only addresses and networks inside its networks, and its pivot
// graph keeps only the edges that touch one of its addresses (and the nodes they reach).

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { VantageError } from '../../core/errors.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import { parseIp, rangeContains, type IpRange } from '../../core/ip.js';
import { loadIntelIndex } from '../../enrich/create-enricher.js';
import { openGeoDatabase, type GeoDatabase } from '../../enrich/geo-database.js';
import type { StoredIndicator } from '../../intel/indicator.js';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import type { IntelIndex } from '../../intel/intel-index.js';
import { parseEntity, type Entity } from '../../pivot/entity.js';
import { assertPivotable, pivot, PIVOT_NODE_TYPES, PIVOT_RELATIONS, type PivotGraph } from '../../pivot/pivot-graph.js';
import { assertProfilable, buildProfile, type Profile } from '../../pivot/profile.js';
import { ApiError, errorResponse } from '../api-error.js';
import { audit, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS, TimeSchema } from '../api-schemas.js';
import type { AuditAction } from '../audit/audit-log.js';
import type { Principal } from '../auth/principal.js';
import { findingInScope } from './findings-routes.js';
import { exactJson, timeBounds } from './respond.js';

const EntityText = z.string().min(1).max(300);

const NodeSchema = z
  .object({
    id: z.string().openapi({ example: 'ip:138.197.147.101', description: '`type:value` (indicators: `indicator:SOURCE:VALUE`)' }),
    type: z.enum(PIVOT_NODE_TYPES),
    value: z.string(),
    tags: z.array(z.string()).openapi({ description: 'intelligence tags; for an AS its organisation; for a certificate its CN' }),
    depth: z.number().int().openapi({ description: 'steps from the root' }),
  })
  .openapi('PivotNode');

const EdgeSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    relation: z.enum(PIVOT_RELATIONS),
    count: z.number().openapi({ description: 'flows, DNS observations or TLS sightings; 1 for facts' }),
    first: z.string().nullable(),
    last: z.string().nullable(),
    ports: z.array(z.number().int()).optional().openapi({ description: 'talked-to: service ports (at most 5)' }),
    bytes: z.number().optional().openapi({ description: 'talked-to: bytes both ways' }),
  })
  .openapi('PivotEdge');

const GraphSchema = z
  .object({
    root: z.string(),
    depth: z.number().int(),
    nodes: z.array(NodeSchema),
    edges: z.array(EdgeSchema),
    truncated: z.array(z.object({ node: z.string(), relation: z.string(), shown: z.number().int(), total: z.number().int() })).openapi({ description: 'edges a step left out: the strongest `shown` of `total` kept' }),
    timedOut: z.boolean().openapi({ description: 'the deadline stopped the expansion; the graph is what was reached' }),
    ms: z.number(),
    scoped: z.boolean().openapi({ description: "only edges touching the caller's networks are kept" }),
  })
  .openapi('PivotGraph');

const Rows = z.array(z.record(z.string(), z.unknown()));

const ProfileSchema = z
  .object({
    entity: z.object({ type: z.string(), value: z.string() }),
    window: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
    context: z.object({ asn: z.object({ number: z.number(), org: z.string().nullable() }).nullable(), country: z.string().nullable() }),
    intel: Rows.openapi({ description: 'indicators naming the entity, with provenance (source, feed, how it matched...)' }),
    dns: z.object({ names: Rows, answers: Rows, subdomains: Rows }),
    flows: z.object({ query: z.string().nullable(), flows: z.number(), bytes: z.number(), packets: z.number(), first: z.string().nullable(), last: z.string().nullable() }),
    peers: z.object({ asSource: Rows, asDestination: Rows }),
    members: Rows,
    ports: z.object({ asSource: Rows, asDestination: Rows }),
    timeline: z.object({ interval: z.enum(['hour', 'day']), buckets: Rows }),
    http: Rows,
    services: Rows,
    certificates: Rows,
    tlsClients: Rows,
    findings: Rows,
    scoped: z.boolean(),
  })
  .openapi('Profile');

const WindowQuery = {
  from: TimeSchema.optional().openapi({ description: 'flows starting at or after' }),
  to: TimeSchema.optional().openapi({ description: 'flows starting before' }),
};

const profileRoute = createRoute({
  method: 'get',
  path: '/api/profile/{entity}',
  tags: ['pivot'],
  summary: 'Everything known about an address, network (URL-encode the /), domain or AS number (as `vantage profile`)',
  request: {
    params: z.object({ entity: EntityText.openapi({ example: '138.197.147.101', description: 'address, network (10.0.0.0%2F8), domain or AS64500' }) }),
    query: z.object({ ...WindowQuery, limit: z.coerce.number().int().min(1).max(100).optional().openapi({ description: 'rows per section (default 10)' }) }),
  },
  responses: {
    200: { description: 'The profile; empty sections are empty lists', content: { 'application/json': { schema: ProfileSchema } } },
    400: ERRORS[400],
    ...AUTH_ERRORS,
    404: { ...ERRORS[404], description: 'nothing known about the entity (or nothing inside the caller’s networks)' },
  },
});

const pivotRoute = createRoute({
  method: 'get',
  path: '/api/pivot',
  tags: ['pivot'],
  summary: 'The graph around an address, domain, network, AS or certificate, expanded breadth first (as `vantage pivot`)',
  request: {
    query: z.object({
      entity: EntityText.openapi({ example: '138.197.147.101', description: 'an address, a domain, a network (CIDR), an AS number (AS64500) or a certificate SHA-256' }),
      depth: z.coerce.number().int().min(1).max(4).optional().openapi({ description: 'steps from the entity (default 2)' }),
      limit: z.coerce.number().int().min(1).max(100).optional().openapi({ description: 'edges kept per node and relation, strongest first (default 10)' }),
      ...WindowQuery,
    }),
  },
  responses: {
    200: { description: 'The graph', content: { 'application/json': { schema: GraphSchema } } },
    400: ERRORS[400],
    ...AUTH_ERRORS,
    404: { ...ERRORS[404], description: 'nothing known about the entity (or nothing touching the caller’s networks)' },
  },
});

const inRanges = (ranges: readonly IpRange[], text: string): boolean => {
  const ip = parseIp(text);
  return ip !== undefined && ranges.some((r) => rangeContains(r, ip));
};

/** True when every flow the entity's profile reads touches the caller's networks. */
function profileInScope(entity: Entity, ranges: readonly IpRange[]): boolean {
  if (ranges.length === 0) return true;
  if (entity.type === 'ip') return ranges.some((r) => rangeContains(r, entity.ip));
  if (entity.type === 'cidr') return ranges.some((r) => r.family === entity.range.family && rangeContains(r, entity.range.first) && rangeContains(r, entity.range.last));
  // A domain's or an AS's flows are those of addresses anywhere.
  return false;
}

/**
 * The graph a scoped caller may see: edges with an address of its networks at one end (a
 * talked-to edge with one such end sums only flows touching them), the nodes reachable from the
 * root through those, and the truncations of its own addresses (whose every edge is visible).
 */
export function scopeGraph(graph: PivotGraph, ranges: readonly IpRange[]): PivotGraph {
  if (ranges.length === 0) return graph;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const mine = (id: string) => {
    const n = byId.get(id);
    return n?.type === 'ip' && inRanges(ranges, n.value);
  };
  const edges = graph.edges.filter((e) => mine(e.from) || mine(e.to));
  const reached = new Set([graph.root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of edges) {
      if (reached.has(e.from) !== reached.has(e.to)) {
        reached.add(e.from);
        reached.add(e.to);
        grew = true;
      }
    }
  }
  return {
    ...graph,
    nodes: graph.nodes.filter((n) => reached.has(n.id)),
    edges: edges.filter((e) => reached.has(e.from) && reached.has(e.to)),
    truncated: graph.truncated.filter((t) => mine(t.node) && reached.has(t.node)),
  };
}

function entityOf(text: string): Entity {
  try {
    return parseEntity(text);
  } catch (err) {
    if (err instanceof VantageError) throw new ApiError('REQUEST_INVALID', err.message, { field: 'entity' });
    throw err;
  }
}

const nothingKnown = (entity: Entity, p: Principal): ApiError =>
  new ApiError('NOT_FOUND', `nothing known about ${entity.value}${p.ranges.length > 0 ? ` within your networks (${p.scopes.join(', ')})` : ''}`);

/** True when the profile holds anything beyond the entity's own name and window. */
function knowsSomething(p: Profile): boolean {
  return (
    p.context.asn !== null ||
    p.context.country !== null ||
    p.flows.flows > 0 ||
    [p.intel, p.dns.names, p.dns.answers, p.dns.subdomains, p.members, p.http, p.services, p.certificates, p.tlsClients, p.findings].some((s) => s.length > 0)
  );
}

function profileRows(p: Profile): number {
  return [p.intel, p.dns.names, p.dns.answers, p.dns.subdomains, p.peers.asSource, p.peers.asDestination, p.members, p.http, p.services, p.certificates, p.tlsClients, p.findings].reduce((n, s) => n + s.length, 0);
}

/** Registers the profile and pivot routes. */
export function registerPivotRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps, options: { geo?: () => GeoDatabase | undefined } = {}): void {
  // The bundled ASN/country database, opened on first use (its table is cached on disk).
  let geo: GeoDatabase | undefined | null = null;
  const geoDb = (): GeoDatabase | undefined => {
    if (geo === null) geo = options.geo ? options.geo() : openGeoDatabase();
    return geo;
  };

  // The intelligence index is kept until the feeds table changes (as the intel routes keep theirs).
  const indicators = new IndicatorRepository(deps.store);
  let tablesReady: Promise<void> | undefined;
  let cached: { key: string; index: Promise<IntelIndex<StoredIndicator>> } | undefined;
  const intelIndex = async (): Promise<IntelIndex<StoredIndicator>> => {
    tablesReady ??= indicators.ensureTables().catch((err: unknown) => {
      tablesReady = undefined;
      throw err;
    });
    await tablesReady;
    const key = (await indicators.feeds()).map((f) => `${f.source}@${f.loaded_at}`).join('|');
    if (cached?.key !== key) {
      const index = loadIntelIndex(deps.store);
      cached = { key, index };
      index.catch(() => {
        if (cached?.index === index) cached = undefined;
      });
    }
    return cached.index;
  };

  /** Runs a read and records it in the audit trail, success or failure (as queries are). */
  const audited = async <T>(c: Context<ApiEnv>, p: Principal, action: AuditAction, target: string, detail: Record<string, unknown>, rows: (t: T) => number, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const full = { ...detail, ...(p.scopes.length ? { scope: p.scopes } : {}) };
    try {
      const answer = await work();
      await audit(c, deps, { action, target, detail: full, rows: rows(answer), status: 'ok', elapsedMs: performance.now() - started });
      return answer;
    } catch (err) {
      const { body } = errorResponse(err);
      await audit(c, deps, { action, target, detail: full, status: 'error', errorCode: body.error.code, elapsedMs: performance.now() - started });
      throw err;
    }
  };

  const window = (from: string | undefined, to: string | undefined) => {
    const bounds = timeBounds(from, to);
    if (bounds.from !== undefined && bounds.to !== undefined && bounds.from >= bounds.to) throw new ApiError('REQUEST_INVALID', "'from' must be before 'to'", { field: 'from' });
    return bounds;
  };

  app.openapi(profileRoute, async (c) => {
    const p = requirePermission(c, 'read');
    const text = c.req.valid('param').entity;
    const q = c.req.valid('query');
    const detail = { ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}), limit: q.limit ?? 10 };
    const profile = await audited(c, p, 'profile', text, detail, profileRows, async () => {
      const entity = entityOf(text);
      try {
        assertProfilable(entity);
      } catch (err) {
        if (err instanceof VantageError) throw new ApiError('REQUEST_INVALID', err.message, { field: 'entity' });
        throw err;
      }
      const bounds = window(q.from, q.to);
      if (!profileInScope(entity, p.ranges)) throw nothingKnown(entity, p);
      const built = await buildProfile(deps.store, entity, { ...bounds, limit: q.limit ?? 10, geo: geoDb(), intel: await intelIndex() });
      if (!knowsSomething(built)) throw nothingKnown(entity, p);
      if (p.ranges.length === 0) return built;
      // Findings of an in-scope address may still name it only among their entities: keep those
      // whose src or dst is in the caller's networks, as the findings routes do.
      const findings = new FindingsRepository(deps.store);
      const visible: Profile['findings'] = [];
      for (const f of built.findings) if (findingInScope(await findings.get(f.id), p.ranges)) visible.push(f);
      return { ...built, findings: visible };
    });
    return exactJson(c, { ...profile, scoped: p.ranges.length > 0 });
  });

  app.openapi(pivotRoute, async (c) => {
    const p = requirePermission(c, 'read');
    const q = c.req.valid('query');
    const detail = { depth: q.depth ?? 2, limit: q.limit ?? 10, ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}) };
    const graph = await audited(c, p, 'pivot', q.entity, detail, (g: PivotGraph) => g.edges.length, async () => {
      const entity = entityOf(q.entity);
      try {
        assertPivotable(entity);
      } catch (err) {
        if (err instanceof VantageError) throw new ApiError('REQUEST_INVALID', err.message, { field: 'entity' });
        throw err;
      }
      const bounds = window(q.from, q.to);
      let full: PivotGraph;
      try {
        full = await pivot(deps.store, entity, { ...bounds, depth: q.depth ?? 2, limit: q.limit ?? 10, deadlineMs: Math.min(10_000, deps.queries.limits.timeoutMs), geo: geoDb(), intel: await intelIndex() });
      } catch (err) {
        if (err instanceof VantageError && err.code === 'NOT_FOUND') throw nothingKnown(entity, p);
        throw err;
      }
      const seen = scopeGraph(full, p.ranges);
      if (seen.edges.length === 0) throw nothingKnown(entity, p);
      return seen;
    });
    return exactJson(c, { ...graph, scoped: p.ranges.length > 0 });
  });
}
