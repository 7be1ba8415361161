// Peer sightings over HTTP: GET /api/sightings?value=X answers what we have seen of an address,
// a network or a domain as aggregates only (counts, first/last seen, distinct peers, top ports,
// passive-DNS counts), never our hosts' addresses or raw flows. Any role may ask, including
// `peer`, the role given to other organisations' tokens; a network-scoped token counts only
// flows touching its networks. Every question is audited, and each caller has a request budget.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { VantageError } from '../../core/errors.js';
import { RateLimiter } from '../../share/peers/rate-limiter.js';
import { parseSightingTarget, sightingOf, type Sighting, type SightingTarget } from '../../share/peers/sighting.js';
import { ApiError, errorResponse } from '../api-error.js';
import { audit, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS, TimeSchema } from '../api-schemas.js';
import { exactJson, timeBounds } from './respond.js';

/** Questions a caller may ask per minute unless told otherwise. */
export const DEFAULT_SIGHTINGS_PER_MINUTE = 60;

const Iso = z.string().nullable().openapi({ description: 'ISO 8601 UTC' });

/** A sighting (src/share/peers/sighting.ts). */
export const SightingSchema = z
  .object({
    value: z.string().openapi({ example: '203.0.113.66', description: 'the indicator in canonical form' }),
    type: z.enum(['ip', 'cidr', 'domain']),
    from: Iso.openapi({ description: 'the window asked for (flow start), if any' }),
    to: Iso,
    flows: z.number().int(),
    packets: z.number().int(),
    bytes: z.number().int(),
    first: Iso.openapi({ description: 'start of its earliest flow' }),
    last: Iso.openapi({ description: 'end of its latest flow' }),
    distinctPeers: z.number().int().openapi({ description: 'distinct addresses at the other end of its flows (counted, never listed)' }),
    ports: z.array(z.object({ proto: z.string(), port: z.number().int(), flows: z.number().int() })).openapi({ description: 'destination ports of its flows, most flows first (at most 5)' }),
    passiveDns: z
      .object({ records: z.number().int(), names: z.number().int(), answers: z.number().int(), first: Iso, last: Iso })
      .nullable()
      .openapi({ description: 'passive-DNS observations: of the names resolving to the address, or of the domain; null for a network' }),
    scoped: z.boolean().openapi({ description: "counted only over flows and answers inside the caller's networks" }),
  })
  .openapi('Sighting');

type SchemaIsSighting = z.infer<typeof SightingSchema> extends Sighting ? true : never;
const schemaIsSighting: SchemaIsSighting = true;
void schemaIsSighting;

const sightings = createRoute({
  method: 'get',
  path: '/api/sightings',
  tags: ['sharing'],
  summary: 'Have we seen this indicator? Aggregate counts for peers (any role, including peer tokens)',
  request: {
    query: z.object({
      value: z.string().min(1).max(300).openapi({ example: '203.0.113.66', description: 'an address, a network (/8 or longer for IPv4, /32 for IPv6) or a domain' }),
      from: TimeSchema.optional().openapi({ description: 'flows starting at or after' }),
      to: TimeSchema.optional().openapi({ description: 'flows starting before' }),
    }),
  },
  responses: {
    200: { description: 'What we saw (zeros when nothing)', content: { 'application/json': { schema: SightingSchema } } },
    400: ERRORS[400],
    ...AUTH_ERRORS,
    429: { ...ERRORS[429], description: 'Too many questions from this caller: wait Retry-After seconds' },
  },
});

/** Settings of the sightings routes. */
export interface SightingsRouteOptions {
  /** Questions per caller per minute (default 60). */
  readonly perMinute?: number;
  readonly now?: () => number;
}

/** Registers GET /api/sightings. */
export function registerSightingsRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps, options: SightingsRouteOptions = {}): void {
  const limiter = new RateLimiter({ max: options.perMinute ?? DEFAULT_SIGHTINGS_PER_MINUTE, windowMs: 60_000, now: options.now });

  app.openapi(sightings, async (c) => {
    const p = requirePermission(c, 'sightings');
    const q = c.req.valid('query');
    const started = performance.now();
    const detail = { ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}), ...(p.scopes.length ? { scope: p.scopes } : {}) };
    const wait = limiter.take(`${p.kind}:${p.id}`);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      c.header('Retry-After', String(seconds));
      await audit(c, deps, { action: 'sighting', target: q.value, detail, status: 'denied', errorCode: 'AUTH_RATE_LIMITED', elapsedMs: performance.now() - started });
      throw new ApiError('AUTH_RATE_LIMITED', `too many sightings questions: try again in ${seconds} s`, { retryAfterSeconds: seconds });
    }
    try {
      let target: SightingTarget;
      try {
        target = parseSightingTarget(q.value);
      } catch (err) {
        if (err instanceof VantageError) throw new ApiError('REQUEST_INVALID', err.message, { field: 'value' });
        throw err;
      }
      const bounds = timeBounds(q.from, q.to);
      if (bounds.from !== undefined && bounds.to !== undefined && bounds.from >= bounds.to) throw new ApiError('REQUEST_INVALID', "'from' must be before 'to'", { field: 'from' });
      const sighting = await sightingOf(deps.store, target, { ...bounds, ranges: p.ranges });
      await audit(c, deps, { action: 'sighting', target: sighting.value, detail, rows: sighting.flows, status: 'ok', elapsedMs: performance.now() - started });
      return exactJson(c, sighting);
    } catch (err) {
      const { body } = errorResponse(err);
      await audit(c, deps, { action: 'sighting', target: q.value, detail, status: 'error', errorCode: body.error.code, elapsedMs: performance.now() - started });
      throw err;
    }
  });
}
