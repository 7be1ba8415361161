// The audit trail (admin only, read-only): GET /api/audit and GET /api/audit/export. There is
// deliberately no route that changes or deletes an entry.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { audit, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AuditRecordSchema, AUTH_ERRORS, ERRORS, TimeSchema } from '../api-schemas.js';
import type { AuditRecord } from '../audit/audit-log.js';
import { csvHeader, csvLine, toJson } from '../query/row-format.js';
import { timeBounds } from './respond.js';

const FilterSchema = z.object({
  from: TimeSchema.optional(),
  to: TimeSchema.optional(),
  actor: z.string().max(100).optional(),
  action: z.string().max(40).optional().openapi({ example: 'query' }),
  limit: z.coerce.number().int().min(1).max(100_000).optional().openapi({ description: 'entries at most (default 500 listed, 100,000 exported)' }),
});

const list = createRoute({
  method: 'get',
  path: '/api/audit',
  tags: ['admin'],
  summary: 'Audit entries, newest first (admin)',
  request: { query: FilterSchema },
  responses: { 200: { description: 'Entries', content: { 'application/json': { schema: z.object({ entries: z.array(AuditRecordSchema) }) } } }, 400: ERRORS[400], ...AUTH_ERRORS },
});

const exportRoute = createRoute({
  method: 'get',
  path: '/api/audit/export',
  tags: ['admin'],
  summary: 'Audit entries as a CSV or JSON download (admin)',
  request: { query: FilterSchema.extend({ format: z.enum(['csv', 'json']).default('csv') }) },
  responses: {
    200: { description: 'The file', content: { 'text/csv': { schema: z.string() }, 'application/json': { schema: z.array(AuditRecordSchema) } } },
    400: ERRORS[400],
    ...AUTH_ERRORS,
  },
});

const CSV_COLUMNS = ['id', 'at', 'time', 'actor', 'actorKind', 'actorId', 'role', 'action', 'target', 'detail', 'rows', 'status', 'errorCode', 'client', 'elapsedMs'];

function csvRow(e: AuditRecord): string {
  return csvLine({ ...e, time: new Date(e.at).toISOString(), detail: JSON.stringify(e.detail) } as never, CSV_COLUMNS);
}

/** Registers the audit routes. */
export function registerAuditRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(list, async (c) => {
    requirePermission(c, 'admin');
    const q = c.req.valid('query');
    const entries = await deps.audit.list({ ...timeBounds(q.from, q.to), actor: q.actor, action: q.action, limit: q.limit ?? 500 });
    return c.json({ entries }, 200);
  });

  app.openapi(exportRoute, async (c) => {
    requirePermission(c, 'admin');
    const q = c.req.valid('query');
    const entries = await deps.audit.list({ ...timeBounds(q.from, q.to), actor: q.actor, action: q.action, limit: q.limit ?? 100_000 });
    await audit(c, deps, { action: 'audit.export', target: '', detail: { ...q }, rows: entries.length, status: 'ok' });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const text = q.format === 'csv' ? csvHeader(CSV_COLUMNS) + entries.map(csvRow).join('') : `${toJson(entries)}\n`;
    return c.body(text, 200, {
      'content-type': q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="vantage-audit-${stamp}.${q.format}"`,
    }) as never;
  });
}
