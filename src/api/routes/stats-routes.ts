// GET /api/stats: how many flows the caller can see and over which period. Scoped callers get the
// figures of their scope, computed through the scoped query path; others get the store's own.
// Not audited: it reveals counts, not flows, and the UI asks for it on every page.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Query } from '../../query/language/ast.js';
import { requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS } from '../api-schemas.js';
import type { Principal } from '../auth/principal.js';
import { exactJson } from './respond.js';

const StatsSchema = z
  .object({
    flows: z.number(),
    firstFlow: z.string().nullable().openapi({ description: 'start of the earliest flow, ISO 8601' }),
    lastFlow: z.string().nullable().openapi({ description: 'start of the latest flow, ISO 8601' }),
    bytesOnDisk: z.number().nullable(),
    store: z.string().openapi({ description: "backend kind: 'duckdb' or 'clickhouse'" }),
    scoped: z.boolean(),
  })
  .openapi('Stats');

const route = createRoute({
  method: 'get',
  path: '/api/stats',
  tags: ['store'],
  summary: 'Flow count and time span visible to the caller',
  responses: { 200: { description: 'Figures', content: { 'application/json': { schema: StatsSchema } } }, ...AUTH_ERRORS, 503: ERRORS[503], 504: ERRORS[504] },
});

const iso = (ms: number | undefined | null): string | null => (ms === undefined || ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

/** Registers the stats route. */
export function registerStatsRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  let cached: { at: number; value: z.infer<typeof StatsSchema> } | undefined;

  const scopedStats = async (p: Principal): Promise<z.infer<typeof StatsSchema>> => {
    const any = (source: string, stages: Query['stages']): Query => ({ filter: { type: 'any', column: 1 }, stages, source });
    const count = await deps.queries.run(p, { text: '| count', ast: any('| count', [{ type: 'count', by: [], column: 3 }]), limit: 1 });
    const edge = async (descending: boolean) => {
      const text = `| sort start ${descending ? 'desc' : 'asc'} | limit 1 | fields start`;
      const answer = await deps.queries.run(p, {
        text,
        ast: any(text, [
          { type: 'sort', field: { name: 'start', column: 8 }, descending, column: 3 },
          { type: 'limit', n: 1, column: 1 },
          { type: 'fields', fields: [{ name: 'start', column: 1 }], column: 1 },
        ]),
        limit: 1,
      });
      return (answer.rows[0]?.start as string | undefined) ?? null;
    };
    return { flows: Number(count.rows[0]?.flows ?? 0), firstFlow: await edge(false), lastFlow: await edge(true), bytesOnDisk: null, store: deps.store.dialect.name, scoped: true };
  };

  app.openapi(route, async (c) => {
    const p = requirePermission(c, 'read');
    let value: z.infer<typeof StatsSchema>;
    if (p.ranges.length > 0) value = await scopedStats(p);
    else {
      // Store stats may checkpoint (DuckDB): computed at most every 10 s.
      if (!cached || Date.now() - cached.at > 10_000) {
        const s = await deps.store.stats();
        cached = { at: Date.now(), value: { flows: s.flows, firstFlow: iso(s.firstFlow), lastFlow: iso(s.lastFlow), bytesOnDisk: s.bytesOnDisk ?? null, store: deps.store.dialect.name, scoped: false } };
      }
      value = cached.value;
    }
    return exactJson(c, value);
  });
}
