// POST /api/export: a query's rows as a CSV, JSON or NDJSON download, up to the export row limit.
// Needs the export permission (analyst, admin) and is audited as an export.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS, QueryRequestSchema } from '../api-schemas.js';
import { csvHeader, csvLine, toJson } from '../query/row-format.js';
import { auditedQuery, rowStream } from './query-routes.js';

const ExportRequestSchema = QueryRequestSchema.extend({
  format: z.enum(['csv', 'json', 'ndjson']).default('csv').openapi({ description: 'file format' }),
}).openapi('ExportRequest');

const route = createRoute({
  method: 'post',
  path: '/api/export',
  tags: ['query'],
  summary: 'Download the rows of a query as CSV, JSON or NDJSON (analyst or admin)',
  description: 'X-Vantage-Truncated says whether more rows matched than the export row limit.',
  request: { body: { required: true, content: { 'application/json': { schema: ExportRequestSchema } } } },
  responses: {
    200: {
      description: 'The file (Content-Disposition: attachment)',
      content: { 'text/csv': { schema: z.string() }, 'application/json': { schema: z.array(z.record(z.string(), z.unknown())) }, 'application/x-ndjson': { schema: z.string() } },
    },
    400: ERRORS[400],
    ...AUTH_ERRORS,
    413: ERRORS[413],
    503: ERRORS[503],
    504: ERRORS[504],
  },
});

const TYPES = { csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8', ndjson: 'application/x-ndjson; charset=utf-8' } as const;

/** Registers the export route. */
export function registerExportRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(route, async (c) => {
    const p = requirePermission(c, 'export');
    const body = c.req.valid('json');
    const max = deps.queries.limits.maxExportRows;
    const limit = Math.min(body.limit ?? max, max);
    const answer = await auditedQuery(c, deps, p, 'export', { text: body.query, from: body.from, to: body.to, limit, timeoutMs: body.timeoutMs }, { format: body.format });
    const columns = answer.columns.map((col) => col.name);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    let stream: ReadableStream<Uint8Array>;
    if (body.format === 'csv') stream = rowStream(answer.rows, (r) => csvLine(r, columns), csvHeader(columns));
    else if (body.format === 'ndjson') stream = rowStream(answer.rows, (r) => `${toJson(r)}\n`);
    else {
      let first = true;
      stream = rowStream(
        answer.rows,
        (r) => {
          const text = `${first ? '' : ',\n'}${toJson(r)}`;
          first = false;
          return text;
        },
        '[\n',
        '\n]\n',
      );
    }
    return new Response(stream, {
      headers: {
        'content-type': TYPES[body.format],
        'content-disposition': `attachment; filename="vantage-${stamp}.${body.format}"`,
        'x-vantage-columns': columns.join(','),
        'x-vantage-row-limit': String(limit),
        'x-vantage-truncated': String(answer.truncated),
      },
    }) as never;
  });
}
