// GET /api/health: open to all, for load balancers and uptime checks; says whether the store answers.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../api-context.js';

const HealthSchema = z.object({ status: z.enum(['ok', 'degraded']), version: z.string(), uptimeSeconds: z.number(), store: z.enum(['up', 'down']) }).openapi('Health');

const route = createRoute({
  method: 'get',
  path: '/api/health',
  tags: ['meta'],
  summary: 'Liveness and store reachability (no authentication)',
  security: [],
  responses: {
    200: { description: 'Serving, store answering', content: { 'application/json': { schema: HealthSchema } } },
    503: { description: 'Serving, store not answering', content: { 'application/json': { schema: HealthSchema } } },
  },
});

/** Registers the health route. */
export function registerHealthRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const started = Date.now();
  app.openapi(route, async (c) => {
    let store: 'up' | 'down' = 'up';
    try {
      await deps.store.execute('SELECT 1 AS ok');
    } catch {
      store = 'down';
    }
    const body = { status: store === 'up' ? ('ok' as const) : ('degraded' as const), version: deps.version, uptimeSeconds: Math.round((Date.now() - started) / 1000), store };
    return store === 'up' ? c.json(body, 200) : c.json(body, 503);
  });
}
