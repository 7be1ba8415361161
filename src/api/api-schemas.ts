// Request and response schemas shared by the routes (zod, with OpenAPI metadata), and the
// standard error responses every route documents.

import { z } from '@hono/zod-openapi';
import { ROLES } from './auth/principal.js';

/** The body of every error response. */
export const ErrorSchema = z
  .object({
    error: z
      .object({
        code: z.string().openapi({ example: 'QUERY_SYNTAX', description: 'stable error code (see docs/api.md)' }),
        message: z.string(),
        column: z.number().int().optional().openapi({ description: '1-based column in the query text' }),
        source: z.string().optional().openapi({ description: 'the query text the column refers to' }),
        field: z.string().optional().openapi({ description: 'the request field at fault' }),
        retryAfterSeconds: z.number().optional(),
      })
      .passthrough(),
  })
  .openapi('Error');

const errorContent = { 'application/json': { schema: ErrorSchema } };

/** Error responses by status, for route definitions. */
export const ERRORS = {
  400: { description: 'Malformed input: bad query (with its column), bad value, failed validation', content: errorContent },
  401: { description: 'No or bad credentials (AUTH_REQUIRED, AUTH_FAILED)', content: errorContent },
  403: { description: 'The role may not do this (AUTH_FORBIDDEN), or a missing CSRF token (AUTH_CSRF)', content: errorContent },
  404: { description: 'No such object', content: errorContent },
  409: { description: 'The object exists', content: errorContent },
  413: { description: 'Body larger than the server accepts', content: errorContent },
  429: { description: 'Too many attempts', content: errorContent },
  503: { description: 'Too many queries waiting', content: errorContent },
  504: { description: 'The query ran past its timeout', content: errorContent },
} as const;

/** The errors any authenticated route may answer with. */
export const AUTH_ERRORS = { 401: ERRORS[401], 403: ERRORS[403] } as const;

/** A role name. */
export const RoleSchema = z.enum(ROLES).openapi({ description: 'peer: sightings only (another Vantage asking); viewer: read; analyst: read and export; admin: also users, tokens, audit' });

/** Network scope: CIDR prefixes (or single addresses) the account is confined to; empty = all. */
export const ScopesSchema = z
  .array(z.string().max(64))
  .max(256)
  .openapi({ example: ['192.0.2.0/24', '2001:db8::/32'], description: 'flows visible only when src or dst lies in one of these; empty = unrestricted' });

/** A time bound: ISO 8601, epoch seconds or ms, `now`, or relative (-24h). */
export const TimeSchema = z.string().max(64).openapi({ example: '2026-10-31T00:00Z', description: "ISO 8601, epoch s/ms, 'now' or relative like -24h" });

/** A query request. */
export const QueryRequestSchema = z
  .object({
    query: z.string().max(10_000).openapi({ example: 'dst port 443 | top 10 src by bytes', description: 'query language text (docs/query.md)' }),
    from: TimeSchema.optional(),
    to: TimeSchema.optional(),
    limit: z.number().int().min(1).optional().openapi({ description: 'row cap for this request (at most the server limit)' }),
    timeoutMs: z.number().int().min(1).optional().openapi({ description: 'timeout for this query (at most the server limit)' }),
  })
  .strict()
  .openapi('QueryRequest');

/** A result column. */
export const ColumnSchema = z.object({ name: z.string(), kind: z.string().openapi({ example: 'ip' }) }).openapi('Column');

/** A result row: field name to value (addresses as text, times as ISO 8601, counts as numbers). */
export const RowSchema = z.record(z.string(), z.unknown()).openapi('Row');

/** A query answer. */
export const QueryResultSchema = z
  .object({
    columns: z.array(ColumnSchema),
    rows: z.array(RowSchema),
    rowCount: z.number().int(),
    truncated: z.boolean().openapi({ description: 'more rows matched than the row cap' }),
    limit: z.number().int(),
    elapsedMs: z.number(),
    scoped: z.boolean().openapi({ description: "the caller's network scope was applied" }),
  })
  .openapi('QueryResult');

/** The caller. */
export const MeSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['user', 'token']),
    role: RoleSchema,
    scopes: z.array(z.string()),
    permissions: z.array(z.string()),
    csrfToken: z.string().optional().openapi({ description: 'send as X-CSRF-Token on state-changing requests made with the session cookie' }),
  })
  .openapi('Me');

/** A user as listed. */
export const UserSchema = z
  .object({ name: z.string(), role: RoleSchema, scopes: z.array(z.string()), disabled: z.boolean(), updatedAt: z.number(), changedBy: z.string() })
  .openapi('User');

/** A token as listed (never its secret). */
export const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    scopes: z.array(z.string()),
    createdAt: z.number(),
    createdBy: z.string(),
    expiresAt: z.number().nullable(),
    revoked: z.boolean(),
  })
  .openapi('Token');

/** An audit entry. */
export const AuditRecordSchema = z
  .object({
    id: z.string(),
    at: z.number(),
    actor: z.string(),
    actorKind: z.string(),
    actorId: z.string(),
    role: z.string(),
    action: z.string(),
    target: z.string(),
    detail: z.record(z.string(), z.unknown()),
    rows: z.number(),
    status: z.string(),
    errorCode: z.string().nullable(),
    client: z.string(),
    elapsedMs: z.number(),
  })
  .openapi('AuditRecord');
