// Watchlists and monitors over HTTP. Watchlists: GET /api/watchlists, GET /api/watchlists/{name}
// (analyst), POST /api/watchlists (create or replace) and DELETE /api/watchlists/{name}
// (analyst, audited). Monitors: GET /api/monitors, GET /api/monitors/{name}/runs, POST
// /api/monitors, POST /api/monitors/{name}/run, DELETE /api/monitors/{name} (analyst; changes
// audited). Both are organisation-wide settings: a network-scoped caller may not use them.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { VantageError } from '../../core/errors.js';
import { MONITOR_KINDS } from '../../monitor/jobs/monitor-job.js';
import { CRITICALITIES, WATCHLIST_KINDS } from '../../monitor/watchlists/watchlist.js';
import { WatchlistRepository } from '../../monitor/watchlists/watchlist-repository.js';
import { createMonitoring, type Monitoring } from '../../monitor/create-monitoring.js';
import { ApiError, errorResponse } from '../api-error.js';
import { audit, principalOf, type ApiDeps, type ApiEnv } from '../api-context.js';
import type { AuditAction } from '../audit/audit-log.js';
import { AUTH_ERRORS, ERRORS } from '../api-schemas.js';
import { ROLES, type Principal } from '../auth/principal.js';
import { exactJson } from './respond.js';

const MemberSchema = z.object({ type: z.enum(['network', 'host', 'asn', 'domain']), value: z.string(), note: z.string().optional() });

const WatchlistSchema = z
  .object({
    name: z.string().openapi({ example: 'acme' }),
    kind: z.enum(WATCHLIST_KINDS),
    owner: z.string(),
    criticality: z.enum(CRITICALITIES),
    contacts: z.array(z.string()),
    description: z.string(),
    members: z.array(MemberSchema),
  })
  .openapi('Watchlist');

const WatchlistInputSchema = z
  .object({
    name: z.string().openapi({ example: 'acme' }),
    kind: z.enum(WATCHLIST_KINDS).optional(),
    owner: z.string().optional(),
    criticality: z.enum(CRITICALITIES).optional(),
    contacts: z.array(z.string()).optional(),
    description: z.string().optional(),
    members: z
      .array(z.union([z.string(), z.object({ value: z.string(), note: z.string().optional() })]))
      .optional()
      .openapi({ example: ['192.0.2.0/24', 'AS64500', 'acme.example'], description: 'networks (CIDR), addresses, AS numbers (AS64500) or domains' }),
  })
  .openapi('WatchlistInput');

const MonitorSchema = z
  .object({
    name: z.string().openapi({ example: 'smb-outbound' }),
    kind: z.enum(MONITOR_KINDS),
    schedule: z.string().openapi({ example: '*/15 * * * *', description: 'cron, UTC' }),
    query: z.string().optional(),
    entity: z.string().optional(),
    depth: z.number().int().optional(),
    detectors: z.array(z.string()).optional(),
    windowMs: z.number().int().optional().openapi({ description: 'how far back each run looks (default: the interval between runs)' }),
    raise: z.boolean().optional(),
    threshold: z.number().optional(),
    minHistory: z.number().int().optional(),
    description: z.string().optional(),
    enabled: z.boolean().optional(),
  })
  .openapi('Monitor');

const RunSchema = z
  .object({
    monitor: z.string(),
    slot: z.number().int().openapi({ description: 'the scheduled time, epoch ms' }),
    startedAt: z.number().int(),
    finishedAt: z.number().int(),
    status: z.enum(['ok', 'error']),
    rows: z.number().int(),
    newValues: z.array(z.string()),
    anomalies: z.array(z.object({ key: z.string(), metric: z.string(), value: z.number(), median: z.number(), low: z.number(), high: z.number() })),
    result: z.unknown(),
    truncated: z.boolean(),
    error: z.string().optional(),
    findings: z.array(z.string()),
  })
  .openapi('MonitorRun');

const NameParams = z.object({ name: z.string().max(64).openapi({ example: 'acme' }) });

const routes = {
  listWatchlists: createRoute({ method: 'get', path: '/api/watchlists', tags: ['watchlists'], summary: 'Watchlists (analyst)', responses: { 200: { description: 'Watchlists', content: { 'application/json': { schema: z.object({ watchlists: z.array(WatchlistSchema) }) } } }, ...AUTH_ERRORS } }),
  getWatchlist: createRoute({ method: 'get', path: '/api/watchlists/{name}', tags: ['watchlists'], summary: 'One watchlist (analyst)', request: { params: NameParams }, responses: { 200: { description: 'The watchlist', content: { 'application/json': { schema: WatchlistSchema } } }, ...AUTH_ERRORS, 404: ERRORS[404] } }),
  putWatchlist: createRoute({
    method: 'post',
    path: '/api/watchlists',
    tags: ['watchlists'],
    summary: 'Create or replace a watchlist (analyst)',
    request: { body: { required: true, content: { 'application/json': { schema: WatchlistInputSchema } } } },
    responses: { 200: { description: 'The watchlist as stored', content: { 'application/json': { schema: WatchlistSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS },
  }),
  deleteWatchlist: createRoute({ method: 'delete', path: '/api/watchlists/{name}', tags: ['watchlists'], summary: 'Remove a watchlist (analyst)', request: { params: NameParams }, responses: { 200: { description: 'Removed', content: { 'application/json': { schema: z.object({ removed: z.string() }) } } }, ...AUTH_ERRORS, 404: ERRORS[404] } }),
  listMonitors: createRoute({ method: 'get', path: '/api/monitors', tags: ['monitors'], summary: 'Saved monitors (analyst)', responses: { 200: { description: 'Monitors', content: { 'application/json': { schema: z.object({ monitors: z.array(MonitorSchema) }) } } }, ...AUTH_ERRORS } }),
  putMonitor: createRoute({
    method: 'post',
    path: '/api/monitors',
    tags: ['monitors'],
    summary: 'Save a monitor (analyst); replacing one of the same name keeps its history',
    request: { body: { required: true, content: { 'application/json': { schema: MonitorSchema } } } },
    responses: { 200: { description: 'The monitor as stored', content: { 'application/json': { schema: MonitorSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS },
  }),
  deleteMonitor: createRoute({ method: 'delete', path: '/api/monitors/{name}', tags: ['monitors'], summary: 'Remove a monitor with its history (analyst)', request: { params: NameParams }, responses: { 200: { description: 'Removed', content: { 'application/json': { schema: z.object({ removed: z.string() }) } } }, ...AUTH_ERRORS, 404: ERRORS[404] } }),
  monitorRuns: createRoute({
    method: 'get',
    path: '/api/monitors/{name}/runs',
    tags: ['monitors'],
    summary: "A monitor's runs, newest first (analyst)",
    request: { params: NameParams, query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional().openapi({ description: 'default 50' }) }) },
    responses: { 200: { description: 'Runs', content: { 'application/json': { schema: z.object({ runs: z.array(RunSchema) }) } } }, 400: ERRORS[400], ...AUTH_ERRORS, 404: ERRORS[404] },
  }),
  runMonitor: createRoute({
    method: 'post',
    path: '/api/monitors/{name}/run',
    tags: ['monitors'],
    summary: 'Run a monitor now, outside its schedule (analyst)',
    request: { params: NameParams },
    responses: { 200: { description: 'The run', content: { 'application/json': { schema: RunSchema } } }, ...AUTH_ERRORS, 404: ERRORS[404] },
  }),
};

/** The caller if analyst or above and not limited to some networks (these are organisation-wide). */
function requireOrgAnalyst(c: Context<ApiEnv>): Principal {
  const p = principalOf(c);
  if (ROLES.indexOf(p.role) < ROLES.indexOf('analyst')) throw new ApiError('AUTH_FORBIDDEN', `the ${p.role} role may not do this (needs analyst)`);
  if (p.ranges.length > 0) throw new ApiError('AUTH_FORBIDDEN', 'watchlists and monitors are organisation-wide: a caller limited to some networks may not use them');
  return p;
}

/** A repository's USAGE errors (bad member, bad cron) are the request's fault. */
function asRequestError(err: unknown): unknown {
  return err instanceof VantageError && err.code === 'USAGE' ? new ApiError('REQUEST_INVALID', err.message) : err;
}

/** Registers the watchlist and monitor routes. */
export function registerWatchlistRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const watchlists = new WatchlistRepository(deps.store);
  let ready: Promise<void> | undefined;
  const repo = async () => {
    await (ready ??= watchlists.ensureTables());
    return watchlists;
  };
  let own: Promise<Monitoring> | undefined;
  const monitors = async () => (deps.monitoring ?? (await (own ??= createMonitoring(deps.store)))).monitors;

  /** Runs a change and audits it, success or failure. */
  const audited = async <T>(c: Context<ApiEnv>, action: AuditAction, target: string, work: () => Promise<T>, detail: (r: T) => Record<string, unknown> = () => ({})): Promise<T> => {
    const started = performance.now();
    try {
      const result = await work();
      await audit(c, deps, { action, target, detail: detail(result), rows: 1, status: 'ok', elapsedMs: performance.now() - started });
      return result;
    } catch (err) {
      const mapped = asRequestError(err);
      const { body } = errorResponse(mapped);
      await audit(c, deps, { action, target, detail: {}, status: 'error', errorCode: body.error.code, elapsedMs: performance.now() - started });
      throw mapped;
    }
  };

  app.openapi(routes.listWatchlists, async (c) => {
    requireOrgAnalyst(c);
    return exactJson(c, { watchlists: await (await repo()).list() });
  });
  app.openapi(routes.getWatchlist, async (c) => {
    requireOrgAnalyst(c);
    return exactJson(c, await (await repo()).require(c.req.valid('param').name));
  });
  app.openapi(routes.putWatchlist, async (c) => {
    requireOrgAnalyst(c);
    const body = c.req.valid('json');
    const stored = await audited(c, 'watchlist.put', body.name, async () => (await repo()).put(body), (w) => ({ kind: w.kind, criticality: w.criticality, members: w.members.length }));
    return exactJson(c, stored);
  });
  app.openapi(routes.deleteWatchlist, async (c) => {
    requireOrgAnalyst(c);
    const { name } = c.req.valid('param');
    await audited(c, 'watchlist.remove', name, async () => {
      if (!(await (await repo()).remove(name))) throw new VantageError('NOT_FOUND', `no watchlist '${name}'`);
    });
    return exactJson(c, { removed: name });
  });

  app.openapi(routes.listMonitors, async (c) => {
    requireOrgAnalyst(c);
    return exactJson(c, { monitors: await (await monitors()).list() });
  });
  app.openapi(routes.putMonitor, async (c) => {
    requireOrgAnalyst(c);
    const body = c.req.valid('json');
    const stored = await audited(c, 'monitor.add', body.name, async () => (await monitors()).add(body), (m) => ({ kind: m.kind, schedule: m.schedule }));
    return exactJson(c, stored);
  });
  app.openapi(routes.deleteMonitor, async (c) => {
    requireOrgAnalyst(c);
    const { name } = c.req.valid('param');
    await audited(c, 'monitor.remove', name, async () => {
      if (!(await (await monitors()).remove(name))) throw new VantageError('NOT_FOUND', `no monitor '${name}'`);
    });
    return exactJson(c, { removed: name });
  });
  app.openapi(routes.monitorRuns, async (c) => {
    requireOrgAnalyst(c);
    const { name } = c.req.valid('param');
    return exactJson(c, { runs: await (await monitors()).history(name, c.req.valid('query').limit ?? 50) });
  });
  app.openapi(routes.runMonitor, async (c) => {
    requireOrgAnalyst(c);
    const { name } = c.req.valid('param');
    const run = await audited(c, 'monitor.run', name, async () => (await monitors()).runNow(name), (r) => ({ slot: r.slot, rows: r.rows, status: r.status }));
    return exactJson(c, run);
  });
}
