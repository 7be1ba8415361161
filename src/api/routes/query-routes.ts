// The query language over flows: POST /api/query (JSON), POST /api/query/stream (NDJSON),
// POST /api/query/check (parse only), GET /api/query/values (autocomplete), GET /api/query/language.
// All of them run through QueryService, which applies the caller's network scope.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { VantageError } from '../../core/errors.js';
import type { Query } from '../../query/language/ast.js';
import { parseQuery, resolveField } from '../../query/language/parser.js';
import type { ResultRow } from '../../store/store.js';
import { ApiError, errorResponse } from '../api-error.js';
import { audit, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ColumnSchema, ERRORS, QueryRequestSchema, QueryResultSchema, TimeSchema } from '../api-schemas.js';
import type { Principal } from '../auth/principal.js';
import type { AuditAction } from '../audit/audit-log.js';
import { queryVocabulary } from '../query/query-vocabulary.js';
import type { QueryAnswer } from '../query/query-service.js';
import { toJson } from '../query/row-format.js';
import { exactJson, timeBounds } from './respond.js';

const QUERY_ERRORS = { 400: ERRORS[400], ...AUTH_ERRORS, 413: ERRORS[413], 503: ERRORS[503], 504: ERRORS[504] } as const;

const query = createRoute({
  method: 'post',
  path: '/api/query',
  tags: ['query'],
  summary: 'Run a query; rows as JSON (capped at the server row limit, `truncated` says when more matched)',
  request: { body: { required: true, content: { 'application/json': { schema: QueryRequestSchema } } } },
  responses: { 200: { description: 'The answer', content: { 'application/json': { schema: QueryResultSchema } } }, ...QUERY_ERRORS },
});

const stream = createRoute({
  method: 'post',
  path: '/api/query/stream',
  tags: ['query'],
  summary: 'Run a query; rows as NDJSON, one object per line (up to the export row limit)',
  description:
    'Headers: X-Vantage-Columns (column names, comma-separated), X-Vantage-Row-Limit, X-Vantage-Truncated (true when more rows matched). Errors found before the first row are JSON error responses.',
  request: { body: { required: true, content: { 'application/json': { schema: QueryRequestSchema } } } },
  responses: { 200: { description: 'One JSON row per line', content: { 'application/x-ndjson': { schema: z.string() } } }, ...QUERY_ERRORS },
});

const CheckSchema = z
  .object({
    ok: z.boolean(),
    columns: z.array(ColumnSchema).optional(),
    error: z.object({ code: z.string(), message: z.string(), column: z.number().optional() }).optional(),
  })
  .openapi('QueryCheck');

const check = createRoute({
  method: 'post',
  path: '/api/query/check',
  tags: ['query'],
  summary: 'Parse and compile without running: the columns, or the error with its column (always 200 for query errors)',
  request: { body: { required: true, content: { 'application/json': { schema: z.object({ query: z.string().max(10_000) }).strict() } } } },
  responses: { 200: { description: 'Verdict', content: { 'application/json': { schema: CheckSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS },
});

const ValuesSchema = z
  .object({ field: z.string(), values: z.array(z.object({ value: z.string(), flows: z.number() })), elapsedMs: z.number() })
  .openapi('FieldValues');

const values = createRoute({
  method: 'get',
  path: '/api/query/values',
  tags: ['query'],
  summary: "The most frequent values of a field (for autocomplete), optionally under a filter and starting with a prefix; within the caller's scope",
  request: {
    query: z.object({
      field: z.string().max(32).openapi({ example: 'dport' }),
      prefix: z.string().max(64).optional().openapi({ example: '10.20.' }),
      filter: z.string().max(2000).optional().openapi({ example: 'proto tcp' }),
      from: TimeSchema.optional(),
      to: TimeSchema.optional(),
    }),
  },
  responses: { 200: { description: 'Values, most flows first', content: { 'application/json': { schema: ValuesSchema } } }, ...QUERY_ERRORS },
});

const language = createRoute({
  method: 'get',
  path: '/api/query/language',
  tags: ['query'],
  summary: 'Fields, aliases, keywords, stages and common values of the query language',
  responses: { 200: { description: 'Vocabulary', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } }, ...AUTH_ERRORS },
});

/** Runs a query for a caller and records it in the audit trail, success or failure. */
export async function auditedQuery(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  p: Principal,
  action: AuditAction,
  request: { text: string; ast?: Query; from?: string; to?: string; limit: number; timeoutMs?: number },
  extraDetail: Record<string, unknown> = {},
): Promise<QueryAnswer> {
  const started = performance.now();
  const detail = {
    ...(request.from ? { from: request.from } : {}),
    ...(request.to ? { to: request.to } : {}),
    limit: request.limit,
    ...(p.scopes.length ? { scope: p.scopes } : {}),
    ...extraDetail,
  };
  try {
    const bounds = timeBounds(request.from, request.to);
    const answer = await deps.queries.run(p, { text: request.text, ast: request.ast, ...bounds, limit: request.limit, timeoutMs: request.timeoutMs });
    await audit(c, deps, { action, target: request.text, detail: { ...detail, truncated: answer.truncated }, rows: answer.rows.length, status: 'ok', elapsedMs: answer.elapsedMs });
    return answer;
  } catch (err) {
    const { body } = errorResponse(err);
    await audit(c, deps, { action, target: request.text, detail, status: 'error', errorCode: body.error.code, elapsedMs: performance.now() - started });
    throw err;
  }
}

/** A stream of encoded rows, produced in slices so a large answer is written with backpressure. */
export function rowStream(rows: readonly ResultRow[], encode: (row: ResultRow) => string, head = '', tail = ''): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  let started = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!started) {
        started = true;
        if (head) {
          controller.enqueue(encoder.encode(head));
          return;
        }
      }
      if (i >= rows.length) {
        if (tail) controller.enqueue(encoder.encode(tail));
        controller.close();
        return;
      }
      let chunk = '';
      const end = Math.min(rows.length, i + 500);
      for (; i < end; i++) chunk += encode(rows[i]!);
      controller.enqueue(encoder.encode(chunk));
    },
  });
}

/** Registers the query routes. */
export function registerQueryRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const { limits } = deps.queries;

  app.openapi(query, async (c) => {
    const p = requirePermission(c, 'read');
    const body = c.req.valid('json');
    const limit = Math.min(body.limit ?? limits.maxRows, limits.maxRows);
    const answer = await auditedQuery(c, deps, p, 'query', { text: body.query, from: body.from, to: body.to, limit, timeoutMs: body.timeoutMs });
    return exactJson(c, { columns: answer.columns, rows: answer.rows, rowCount: answer.rows.length, truncated: answer.truncated, limit, elapsedMs: answer.elapsedMs, scoped: p.ranges.length > 0 });
  });

  app.openapi(stream, async (c) => {
    const p = requirePermission(c, 'read');
    const body = c.req.valid('json');
    const limit = Math.min(body.limit ?? limits.maxExportRows, limits.maxExportRows);
    const answer = await auditedQuery(c, deps, p, 'query.stream', { text: body.query, from: body.from, to: body.to, limit, timeoutMs: body.timeoutMs });
    return new Response(
      rowStream(answer.rows, (r) => `${toJson(r)}\n`),
      {
        headers: {
          'content-type': 'application/x-ndjson; charset=utf-8',
          'x-vantage-columns': answer.columns.map((col) => col.name).join(','),
          'x-vantage-row-limit': String(limit),
          'x-vantage-truncated': String(answer.truncated),
        },
      },
    ) as never;
  });

  app.openapi(check, (c) => {
    const p = requirePermission(c, 'read');
    const { query: text } = c.req.valid('json');
    try {
      return c.json({ ok: true, columns: deps.queries.check(p, text).map((col) => ({ name: col.name, kind: col.kind })) }, 200);
    } catch (err) {
      if (!(err instanceof VantageError)) throw err;
      const { column } = err.location;
      return c.json({ ok: false, error: { code: err.code, message: err.message, ...(column !== undefined ? { column } : {}) } }, 200);
    }
  });

  // Autocomplete lookups repeat as the user types: answers are cached briefly per scope and bounds.
  const cache = new Map<string, { at: number; values: { value: string; flows: number }[] }>();
  app.openapi(values, async (c) => {
    const p = requirePermission(c, 'read');
    const q = c.req.valid('query');
    const field = resolveField(q.field);
    if (!field) throw new ApiError('REQUEST_INVALID', `unknown field '${q.field}'`, { field: 'field' });
    const base = parseQuery(q.filter ?? '');
    if (base.stages.length > 0) throw new ApiError('REQUEST_INVALID', 'the filter may not have pipeline stages', { field: 'filter' });
    const started = performance.now();
    const key = JSON.stringify([p.scopes, field, q.filter ?? '', q.from ?? '', q.to ?? '']);
    let cached = cache.get(key);
    if (!cached || Date.now() - cached.at > 60_000) {
      // The lookup is built as an AST (the caller's filter, then `top 200 FIELD`), never as text.
      const ast: Query = { ...base, stages: [{ type: 'top', n: 200, field: { name: field, column: 1 }, metric: 'flows', column: 1 }] };
      const text = `${q.filter ?? ''} | top 200 ${field}`.trim();
      const answer = await auditedQuery(c, deps, p, 'query.values', { text, ast, from: q.from, to: q.to, limit: 200 });
      cached = { at: Date.now(), values: answer.rows.filter((r) => r[field] !== null).map((r) => ({ value: String(r[field]), flows: Number(r.flows) })) };
      if (cache.size > 1000) cache.clear();
      cache.set(key, cached);
    }
    const prefix = (q.prefix ?? '').toLowerCase();
    const matching = cached.values.filter((v) => v.value.toLowerCase().startsWith(prefix)).slice(0, 50);
    return c.json({ field, values: matching, elapsedMs: Math.round(performance.now() - started) }, 200);
  });

  const vocabulary = queryVocabulary();
  app.openapi(language, (c) => {
    requirePermission(c, 'read');
    return c.json(vocabulary as Record<string, unknown>, 200);
  });
}
