// What the server offers: GET /api/features (which UI sections exist), GET /metrics (Prometheus).
// The OpenAPI document is served by create-api.ts at /api/openapi.json.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { principalOf, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS } from '../api-schemas.js';

const FeaturesSchema = z
  .object({
    version: z.string(),
    store: z.string(),
    features: z.record(z.string(), z.boolean()).openapi({ description: 'sections this server offers; later issues turn on pivot, findings, watchlists, notebook, intel' }),
    limits: z.object({ maxRows: z.number(), maxExportRows: z.number(), timeoutMs: z.number() }),
  })
  .openapi('Features');

const features = createRoute({
  method: 'get',
  path: '/api/features',
  tags: ['meta'],
  summary: 'Server version, available sections and query limits',
  responses: { 200: { description: 'Features', content: { 'application/json': { schema: FeaturesSchema } } }, ...AUTH_ERRORS },
});

const metrics = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['meta'],
  summary: 'Prometheus metrics (viewer and above; scrape with a viewer token)',
  responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } }, ...AUTH_ERRORS },
});

/** Registers the meta routes. */
export function registerMetaRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(features, (c) => {
    principalOf(c);
    const { maxRows, maxExportRows, timeoutMs } = deps.queries.limits;
    return c.json({ version: deps.version, store: deps.store.dialect.name, features: { ...deps.features }, limits: { maxRows, maxExportRows, timeoutMs } }, 200);
  });

  app.openapi(metrics, async (c) => {
    // Peers (sightings only) have no business reading our counters.
    requirePermission(c, 'read');
    return c.body(await deps.registry.metrics(), 200, { 'content-type': deps.registry.contentType }) as never;
  });
}
