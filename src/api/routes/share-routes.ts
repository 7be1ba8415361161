// Exports for peers over HTTP: GET /api/share/stix (a STIX 2.1 bundle) and GET /api/share/misp (a
// MISP event) of the stored findings and active threat indicators, for analysts (export
// permission), audited. Organisation-wide data: a network-scoped caller may not export it.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { parseTime } from '../../core/time.js';
import { exportMisp } from '../../share/misp/misp-export.js';
import { shareInputs } from '../../share/share-inputs.js';
import { exportStix } from '../../share/stix/stix-export.js';
import { TLP_LEVELS } from '../../share/stix/tlp-marking.js';
import { ApiError } from '../api-error.js';
import { audit, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS } from '../api-schemas.js';
import { exactJson } from './respond.js';

const Query = z.object({
  tlp: z.enum(TLP_LEVELS).optional().openapi({ description: 'TLP 2.0 level of the export (default amber)' }),
  since: z.string().max(64).optional().openapi({ description: 'findings active (and indicators seen) since: ISO 8601, epoch or relative like -7d' }),
  indicators: z.enum(['true', 'false']).optional().openapi({ description: 'include active threat indicators (default true)' }),
  org: z.string().min(1).max(200).optional().openapi({ description: 'our organisation, the identity of the export (default Vantage)' }),
});

const stixRoute = createRoute({
  method: 'get',
  path: '/api/share/stix',
  tags: ['sharing'],
  summary: 'Findings and indicators as a STIX 2.1 bundle (analyst)',
  request: { query: Query },
  responses: { 200: { description: 'A STIX 2.1 bundle', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } }, 400: ERRORS[400], ...AUTH_ERRORS },
});

const mispRoute = createRoute({
  method: 'get',
  path: '/api/share/misp',
  tags: ['sharing'],
  summary: 'Findings and indicators as a MISP event (analyst)',
  request: { query: Query.extend({ info: z.string().min(1).max(500).optional().openapi({ description: 'the event title' }) }) },
  responses: { 200: { description: 'A MISP event', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } }, 400: ERRORS[400], ...AUTH_ERRORS },
});

function exporter(c: Context<ApiEnv>): void {
  const p = requirePermission(c, 'export');
  if (p.ranges.length > 0) throw new ApiError('AUTH_FORBIDDEN', 'exports hold every network: a caller limited to some networks may not make them');
}

/** Registers the export routes. */
export function registerShareRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const inputs = (q: z.infer<typeof Query>) => shareInputs(deps.store, { since: q.since ? parseTime(q.since) : undefined, indicators: q.indicators !== 'false' });

  app.openapi(stixRoute, async (c) => {
    exporter(c);
    const q = c.req.valid('query');
    const started = performance.now();
    const report = exportStix(await inputs(q), { organisation: q.org ?? 'Vantage', tlp: q.tlp ?? 'amber' });
    await audit(c, deps, { action: 'share.export', target: 'stix', detail: { tlp: q.tlp ?? 'amber', since: q.since ?? null, skipped: report.skipped.length }, rows: report.bundle.objects.length, status: 'ok', elapsedMs: performance.now() - started });
    return exactJson(c, report.bundle);
  });

  app.openapi(mispRoute, async (c) => {
    exporter(c);
    const q = c.req.valid('query');
    const started = performance.now();
    const report = exportMisp(await inputs(q), { organisation: q.org ?? 'Vantage', tlp: q.tlp ?? 'amber', info: q.info ?? 'Vantage findings and indicators' });
    await audit(c, deps, { action: 'share.export', target: 'misp', detail: { tlp: q.tlp ?? 'amber', since: q.since ?? null, skipped: report.skipped.length }, rows: report.event.Event.Attribute.length, status: 'ok', elapsedMs: performance.now() - started });
    return exactJson(c, report.event);
  });
}
