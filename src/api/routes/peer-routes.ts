// The peer Vantage instances we ask for sightings, over the API: GET/POST /api/peers and
// DELETE /api/peers/{name} (admin; the tokens peers issued us are never returned, only masked),
// and POST /api/peers/ask (analyst), which asks every peer (or those named) at once whether it
// has seen a value, each bounded by a timeout, and answers one entry per peer (its sighting or
// its error). Organisation-wide: a network-scoped caller is refused. Changes and questions are
// audited.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { VantageError } from '../../core/errors.js';
import { askPeers, DEFAULT_ASK_TIMEOUT_MS } from '../../share/peers/ask-peers.js';
import { maskToken, PeerRepository, type Peer } from '../../share/peers/peer-repository.js';
import { parseSightingTarget } from '../../share/peers/sighting.js';
import { ApiError, errorResponse } from '../api-error.js';
import { audit, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS, TimeSchema } from '../api-schemas.js';
import type { AuditAction } from '../audit/audit-log.js';
import type { Permission, Principal } from '../auth/principal.js';
import { exactJson, timeBounds } from './respond.js';
import { SightingSchema } from './sightings-routes.js';

/** Longest wait per peer a caller may ask for, seconds (the request is held open meanwhile). */
export const MAX_ASK_TIMEOUT_SECONDS = 60;

const PeerSchema = z
  .object({
    name: z.string().openapi({ example: 'acme' }),
    url: z.string().openapi({ example: 'https://vantage.acme.example:8080' }),
    token: z.string().openapi({ example: 'vtk_3f2a9c1b7d4e_…', description: 'the token the peer issued us, masked (its public id only)' }),
    addedAt: z.string().openapi({ description: 'ISO 8601 UTC' }),
  })
  .openapi('Peer');

const PeerInput = z
  .object({
    name: z.string().min(1).max(64).openapi({ example: 'acme' }),
    url: z.string().min(1).max(2000).openapi({ example: 'https://vantage.acme.example:8080', description: 'base URL of its Vantage server' }),
    token: z.string().min(1).max(500).openapi({ description: "the bearer token the peer issued us (ideally with its 'peer' role)" }),
  })
  .strict()
  .openapi('PeerInput');

const AskInput = z
  .object({
    value: z.string().min(1).max(300).openapi({ example: '203.0.113.66', description: 'an address, a network or a domain' }),
    peers: z.array(z.string().max(64)).max(100).optional().openapi({ description: 'only these peers (default: all)' }),
    from: TimeSchema.optional().openapi({ description: 'flows starting at or after (sent to each peer as ISO 8601)' }),
    to: TimeSchema.optional().openapi({ description: 'flows starting before' }),
    timeoutSeconds: z.number().positive().max(MAX_ASK_TIMEOUT_SECONDS).optional().openapi({ description: `wait per peer (default ${DEFAULT_ASK_TIMEOUT_MS / 1000})` }),
  })
  .strict()
  .openapi('PeerAskInput');

const AnswerSchema = z
  .object({
    peer: z.string(),
    sighting: SightingSchema.optional().openapi({ description: "the peer's answer" }),
    error: z.string().optional().openapi({ description: 'why there is none: no answer in time, unreachable, refused (with its code)' }),
  })
  .openapi('PeerAnswer');

const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { 'application/json': { schema } } });
const NameParams = z.object({ name: z.string().max(64).openapi({ example: 'acme' }) });

const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/peers',
    tags: ['sharing'],
    summary: 'The peers we ask for sightings, tokens masked (admin)',
    responses: { 200: { description: 'Peers by name', ...json(z.object({ peers: z.array(PeerSchema) })) }, ...AUTH_ERRORS },
  }),
  add: createRoute({
    method: 'post',
    path: '/api/peers',
    tags: ['sharing'],
    summary: 'Add a peer, or replace the one of that name (admin)',
    request: { body: { required: true, ...json(PeerInput) } },
    responses: { 200: { description: 'The peer as stored (token masked)', ...json(z.object({ peer: PeerSchema, replaced: z.boolean() })) }, 400: ERRORS[400], ...AUTH_ERRORS },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/api/peers/{name}',
    tags: ['sharing'],
    summary: 'Forget a peer (admin)',
    request: { params: NameParams },
    responses: { 200: { description: 'Removed', ...json(z.object({ removed: z.string() })) }, ...AUTH_ERRORS, 404: ERRORS[404] },
  }),
  ask: createRoute({
    method: 'post',
    path: '/api/peers/ask',
    tags: ['sharing'],
    summary: 'Ask peers at once whether they have seen a value: one answer per peer, a sighting or an error (analyst)',
    request: { body: { required: true, ...json(AskInput) } },
    responses: {
      200: { description: "Each peer's answer, in the peers' order (none when no peer is configured)", ...json(z.object({ value: z.string(), answers: z.array(AnswerSchema) })) },
      400: ERRORS[400],
      ...AUTH_ERRORS,
      404: { ...ERRORS[404], description: 'A named peer does not exist' },
    },
  }),
};

/** The caller if it holds the permission and sees every network. */
function requireOrg(c: Context<ApiEnv>, permission: Permission): Principal {
  const p = requirePermission(c, permission);
  if (p.ranges.length > 0) throw new ApiError('AUTH_FORBIDDEN', 'peers are organisation-wide: a caller limited to some networks may not use them');
  return p;
}

/** A peer as the API shows it: never the token itself. */
function shown(p: Peer): z.infer<typeof PeerSchema> {
  return { name: p.name, url: p.url, token: maskToken(p.token), addedAt: p.addedAt };
}

/** Registers the peer routes. */
export function registerPeerRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const repository = new PeerRepository(deps.store);
  let ready: Promise<void> | undefined;
  const repo = async (): Promise<PeerRepository> => {
    ready ??= repository.ensureTables().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    await ready;
    return repository;
  };

  const audited = async <T>(c: Context<ApiEnv>, action: AuditAction, target: string, detail: Record<string, unknown>, work: () => Promise<{ result: T; rows: number; detail?: Record<string, unknown> }>): Promise<T> => {
    const started = performance.now();
    try {
      const done = await work();
      await audit(c, deps, { action, target, detail: { ...detail, ...done.detail }, rows: done.rows, status: 'ok', elapsedMs: performance.now() - started });
      return done.result;
    } catch (err) {
      const mapped = err instanceof VantageError && err.code === 'USAGE' ? new ApiError('REQUEST_INVALID', err.message) : err;
      const { body } = errorResponse(mapped);
      await audit(c, deps, { action, target, detail, status: 'error', errorCode: body.error.code, elapsedMs: performance.now() - started });
      throw mapped;
    }
  };

  app.openapi(routes.list, async (c) => {
    requireOrg(c, 'admin');
    return exactJson(c, { peers: (await (await repo()).list()).map(shown) });
  });

  app.openapi(routes.add, async (c) => {
    requireOrg(c, 'admin');
    const body = c.req.valid('json');
    const r = await repo();
    // The audit entry names the peer and its URL, never the token.
    const added = await audited(c, 'peer.add', body.name, { url: body.url }, async () => {
      const { peer, replaced } = await r.add(body);
      return { result: { peer: shown(peer), replaced }, rows: 1, detail: { url: peer.url, token: maskToken(peer.token), replaced } };
    });
    return exactJson(c, added);
  });

  app.openapi(routes.remove, async (c) => {
    requireOrg(c, 'admin');
    const { name } = c.req.valid('param');
    const r = await repo();
    await audited(c, 'peer.remove', name, {}, async () => {
      if (!(await r.remove(name))) throw new ApiError('NOT_FOUND', `no peer '${name}'`);
      return { result: undefined, rows: 1 };
    });
    return exactJson(c, { removed: name });
  });

  app.openapi(routes.ask, async (c) => {
    requireOrg(c, 'export');
    const body = c.req.valid('json');
    const r = await repo();
    const detail = { ...(body.peers ? { peers: body.peers } : {}), ...(body.from ? { from: body.from } : {}), ...(body.to ? { to: body.to } : {}) };
    const answered = await audited(c, 'peer.ask', body.value, detail, async () => {
      // Checked here first, so a typo is one clear error rather than one per peer.
      let value: string;
      try {
        value = parseSightingTarget(body.value).value;
      } catch (err) {
        if (err instanceof VantageError) throw new ApiError('REQUEST_INVALID', err.message, { field: 'value' });
        throw err;
      }
      const bounds = timeBounds(body.from, body.to);
      if (bounds.from !== undefined && bounds.to !== undefined && bounds.from >= bounds.to) throw new ApiError('REQUEST_INVALID', "'from' must be before 'to'", { field: 'from' });
      const peers = await r.pick(body.peers ?? []);
      const answers = await askPeers(peers, value, {
        from: bounds.from === undefined ? undefined : new Date(bounds.from).toISOString(),
        to: bounds.to === undefined ? undefined : new Date(bounds.to).toISOString(),
        timeoutMs: Math.round((body.timeoutSeconds ?? DEFAULT_ASK_TIMEOUT_MS / 1000) * 1000),
      });
      const seen = answers.filter((a) => (a.sighting?.flows ?? 0) > 0).length;
      return { result: { value, answers }, rows: answers.length, detail: { asked: peers.map((p) => p.name), answered: answers.filter((a) => a.sighting).length, seen } };
    });
    return exactJson(c, answered);
  });
}
