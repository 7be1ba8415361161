// Sign-in for the UI and who-am-I: POST /api/auth/login, POST /api/auth/logout, GET /api/auth/me,
// POST /api/auth/password. Logins are rate limited per account and per client, and audited.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ApiError } from '../api-error.js';
import { audit, principalOf, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS, MeSchema } from '../api-schemas.js';
import { clearSessionCookie, crossSite, setSessionCookie } from '../auth/authenticate.js';
import { can, type Principal } from '../auth/principal.js';

const LoginSchema = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }).strict().openapi('Login');
const PasswordChangeSchema = z.object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().min(1).max(1024) }).strict().openapi('PasswordChange');

const login = createRoute({
  method: 'post',
  path: '/api/auth/login',
  tags: ['auth'],
  summary: 'Sign in with a local user; sets the HttpOnly session cookie and returns the CSRF token',
  security: [],
  request: { body: { required: true, content: { 'application/json': { schema: LoginSchema } } } },
  responses: {
    200: { description: 'Signed in', content: { 'application/json': { schema: MeSchema } } },
    400: ERRORS[400],
    401: ERRORS[401],
    403: ERRORS[403],
    429: ERRORS[429],
  },
});

const logout = createRoute({
  method: 'post',
  path: '/api/auth/logout',
  tags: ['auth'],
  summary: 'End the session',
  responses: { 204: { description: 'Signed out' }, ...AUTH_ERRORS },
});

const me = createRoute({
  method: 'get',
  path: '/api/auth/me',
  tags: ['auth'],
  summary: 'The caller: name, role, network scope, permissions (and the CSRF token of a session)',
  responses: { 200: { description: 'The caller', content: { 'application/json': { schema: MeSchema } } }, ...AUTH_ERRORS },
});

const password = createRoute({
  method: 'post',
  path: '/api/auth/password',
  tags: ['auth'],
  summary: "Change the signed-in user's own password (ends their other sessions)",
  request: { body: { required: true, content: { 'application/json': { schema: PasswordChangeSchema } } } },
  responses: { 204: { description: 'Changed' }, 400: ERRORS[400], ...AUTH_ERRORS },
});

/** The caller as the API shows it. */
export function describePrincipal(p: Principal, csrfToken?: string): z.infer<typeof MeSchema> {
  const permissions = (['read', 'export', 'admin', 'sightings'] as const).filter((perm) => can(p.role, perm));
  return { name: p.name, kind: p.kind, role: p.role, scopes: [...p.scopes], permissions, ...(csrfToken ? { csrfToken } : {}) };
}

/** Registers the auth routes. */
export function registerAuthRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(login, async (c) => {
    if (crossSite(c, deps.config.trustProxy)) throw new ApiError('AUTH_CSRF', 'sign-in must come from this site');
    const { username, password: pw } = c.req.valid('json');
    const client = c.get('client');
    const wait = deps.loginLimiter.check(username, client);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      c.header('Retry-After', String(seconds));
      await audit(c, deps, { action: 'login.failed', target: username, status: 'denied', errorCode: 'AUTH_RATE_LIMITED' }, { name: username, kind: 'anonymous' });
      throw new ApiError('AUTH_RATE_LIMITED', `too many failed sign-ins: try again in ${seconds} s`, { retryAfterSeconds: seconds });
    }
    const principal = await deps.accounts.authenticatePassword(username, pw);
    if (!principal) {
      deps.loginLimiter.fail(username, client);
      await audit(c, deps, { action: 'login.failed', target: username, status: 'denied', errorCode: 'AUTH_FAILED' }, { name: username, kind: 'anonymous' });
      throw new ApiError('AUTH_FAILED', 'wrong user name or password');
    }
    deps.loginLimiter.succeed(username);
    const { id, session } = deps.sessions.create(principal.name);
    setSessionCookie(c, id, deps.sessions.maxAgeMs);
    await audit(c, deps, { action: 'login', target: principal.name, status: 'ok' }, principal);
    return c.json(describePrincipal(principal, session.csrfToken), 200);
  });

  app.openapi(logout, async (c) => {
    const p = principalOf(c);
    const id = c.get('sessionId');
    if (id) deps.sessions.delete(id);
    clearSessionCookie(c);
    await audit(c, deps, { action: 'logout', target: p.name, status: 'ok' });
    return c.body(null, 204);
  });

  app.openapi(me, (c) => c.json(describePrincipal(principalOf(c), c.get('session')?.csrfToken), 200));

  app.openapi(password, async (c) => {
    const p = principalOf(c);
    if (p.kind !== 'user') throw new ApiError('AUTH_FORBIDDEN', 'tokens have no password');
    const body = c.req.valid('json');
    if (!(await deps.accounts.authenticatePassword(p.name, body.currentPassword))) throw new ApiError('AUTH_FAILED', 'the current password is wrong');
    await deps.accounts.updateUser(p.name, { password: body.newPassword }, p.name);
    const keep = c.get('sessionId');
    deps.sessions.deleteUser(p.name);
    if (keep) {
      const { id } = deps.sessions.create(p.name);
      setSessionCookie(c, id, deps.sessions.maxAgeMs);
    }
    await audit(c, deps, { action: 'user.update', target: p.name, detail: { password: 'changed by the user' }, status: 'ok' });
    return c.body(null, 204);
  });
}
