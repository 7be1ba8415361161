// API tokens (admin only): GET /api/tokens, POST /api/tokens (the token text is returned once),
// POST /api/tokens/{id}/revoke. Only a hash of each secret is stored.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ApiError } from '../api-error.js';
import { audit, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS, RoleSchema, ScopesSchema, TokenSchema } from '../api-schemas.js';
import type { Role } from '../auth/principal.js';

/** Admins see users, tokens and the audit trail of everyone: a network-scoped admin makes no sense. */
export function checkAdminUnscoped(role: Role, scopes: readonly string[] | undefined): void {
  if (role === 'admin' && scopes && scopes.length > 0) throw new ApiError('REQUEST_INVALID', 'an admin cannot be limited to networks: give the account the viewer or analyst role', { field: 'scopes' });
}

const NewTokenSchema = z
  .object({
    name: z.string().min(1).max(100),
    role: RoleSchema,
    scopes: ScopesSchema.optional(),
    expiresInDays: z.number().int().min(1).max(3650).optional().openapi({ description: 'the token stops working after this many days' }),
  })
  .strict()
  .openapi('NewToken');

const list = createRoute({
  method: 'get',
  path: '/api/tokens',
  tags: ['admin'],
  summary: 'List API tokens (admin); secrets are never shown',
  responses: { 200: { description: 'Tokens', content: { 'application/json': { schema: z.object({ tokens: z.array(TokenSchema) }) } } }, ...AUTH_ERRORS },
});

const create = createRoute({
  method: 'post',
  path: '/api/tokens',
  tags: ['admin'],
  summary: 'Create an API token (admin); the `token` text is returned this once only',
  request: { body: { required: true, content: { 'application/json': { schema: NewTokenSchema } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: z.object({ token: z.string(), record: TokenSchema }).openapi('NewTokenResult') } } },
    400: ERRORS[400],
    ...AUTH_ERRORS,
  },
});

const revoke = createRoute({
  method: 'post',
  path: '/api/tokens/{id}/revoke',
  tags: ['admin'],
  summary: 'Revoke a token for good (admin)',
  request: { params: z.object({ id: z.string().max(32) }) },
  responses: { 200: { description: 'Revoked', content: { 'application/json': { schema: TokenSchema } } }, ...AUTH_ERRORS, 404: ERRORS[404] },
});

/** Registers the token routes. */
export function registerTokenRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(list, async (c) => {
    requirePermission(c, 'admin');
    return c.json({ tokens: await deps.accounts.listTokens() }, 200);
  });

  app.openapi(create, async (c) => {
    const p = requirePermission(c, 'admin');
    const body = c.req.valid('json');
    checkAdminUnscoped(body.role, body.scopes);
    const expiresAt = body.expiresInDays ? Date.now() + body.expiresInDays * 86_400_000 : null;
    const { record, token } = await deps.accounts.createToken({ name: body.name, role: body.role, scopes: body.scopes, expiresAt }, p.name);
    await audit(c, deps, { action: 'token.create', target: record.id, detail: { name: record.name, role: record.role, scopes: record.scopes, expiresAt }, status: 'ok' });
    return c.json({ token, record }, 201);
  });

  app.openapi(revoke, async (c) => {
    const p = requirePermission(c, 'admin');
    const { id } = c.req.valid('param');
    const record = await deps.accounts.revokeToken(id, p.name);
    await audit(c, deps, { action: 'token.revoke', target: id, detail: { name: record.name }, status: 'ok' });
    return c.json(record, 200);
  });
}
