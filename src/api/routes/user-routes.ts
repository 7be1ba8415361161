// Local users (admin only): GET /api/users, POST /api/users, PATCH /api/users/{name}. Every
// change is audited; passwords are never returned or logged.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { audit, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS, RoleSchema, ScopesSchema, UserSchema } from '../api-schemas.js';
import { checkAdminUnscoped } from './token-routes.js';

const NewUserSchema = z
  .object({ name: z.string().min(1).max(64), role: RoleSchema, password: z.string().max(1024), scopes: ScopesSchema.optional() })
  .strict()
  .openapi('NewUser');

const UserChangeSchema = z
  .object({ role: RoleSchema.optional(), password: z.string().max(1024).optional(), scopes: ScopesSchema.optional(), disabled: z.boolean().optional() })
  .strict()
  .openapi('UserChange');

const list = createRoute({
  method: 'get',
  path: '/api/users',
  tags: ['admin'],
  summary: 'List users (admin)',
  responses: { 200: { description: 'Users', content: { 'application/json': { schema: z.object({ users: z.array(UserSchema) }) } } }, ...AUTH_ERRORS },
});

const create = createRoute({
  method: 'post',
  path: '/api/users',
  tags: ['admin'],
  summary: 'Create a user (admin); passwords have at least 12 characters',
  request: { body: { required: true, content: { 'application/json': { schema: NewUserSchema } } } },
  responses: { 201: { description: 'Created', content: { 'application/json': { schema: UserSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS, 409: ERRORS[409] },
});

const update = createRoute({
  method: 'patch',
  path: '/api/users/{name}',
  tags: ['admin'],
  summary: "Change a user's role, password, network scope or disabled flag (admin); ends their sessions",
  request: { params: z.object({ name: z.string().max(64) }), body: { required: true, content: { 'application/json': { schema: UserChangeSchema } } } },
  responses: { 200: { description: 'Changed', content: { 'application/json': { schema: UserSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS, 404: ERRORS[404] },
});

/** Registers the user routes. */
export function registerUserRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(list, async (c) => {
    requirePermission(c, 'admin');
    return c.json({ users: await deps.accounts.listUsers() }, 200);
  });

  app.openapi(create, async (c) => {
    const p = requirePermission(c, 'admin');
    const body = c.req.valid('json');
    checkAdminUnscoped(body.role, body.scopes);
    try {
      const user = await deps.accounts.addUser(body, p.name);
      await audit(c, deps, { action: 'user.create', target: user.name, detail: { role: user.role, scopes: user.scopes }, status: 'ok' });
      return c.json(user, 201);
    } catch (err) {
      await audit(c, deps, { action: 'user.create', target: body.name, detail: { role: body.role }, status: 'error', errorCode: (err as { code?: string }).code ?? 'INTERNAL' });
      throw err;
    }
  });

  app.openapi(update, async (c) => {
    const p = requirePermission(c, 'admin');
    const { name } = c.req.valid('param');
    const body = c.req.valid('json');
    const current = await deps.accounts.getUser(name);
    checkAdminUnscoped(body.role ?? current?.role ?? 'viewer', body.scopes ?? current?.scopes);
    const detail = { ...(body.role ? { role: body.role } : {}), ...(body.scopes ? { scopes: body.scopes } : {}), ...(body.disabled !== undefined ? { disabled: body.disabled } : {}), ...(body.password ? { password: 'changed' } : {}) };
    try {
      const user = await deps.accounts.updateUser(name, body, p.name);
      deps.sessions.deleteUser(name);
      await audit(c, deps, { action: 'user.update', target: name, detail, status: 'ok' });
      return c.json(user, 200);
    } catch (err) {
      await audit(c, deps, { action: 'user.update', target: name, detail, status: 'error', errorCode: (err as { code?: string }).code ?? 'INTERNAL' });
      throw err;
    }
  });
}
