// Request authentication and CSRF protection: a bearer token (automation) or the session cookie
// (the UI). Cookie-authenticated state changes need the session's CSRF token and a same-origin
// request; bearer requests carry no ambient credentials and need neither.

import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { ApiError } from '../api-error.js';
import type { ApiDeps, ApiEnv } from '../api-context.js';

/** Cookie names: the __Host- prefix (no Domain, Path=/, Secure) when cookies are secure. */
export const SESSION_COOKIE = 'vantage_session';
const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Sets the session cookie: HttpOnly, SameSite=Strict, Secure when the connection is. */
export function setSessionCookie(c: Context<ApiEnv>, id: string, maxAgeMs: number): void {
  const secure = c.get('secure');
  setCookie(c, secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: 'Strict',
    secure,
    path: '/',
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

/** Clears the session cookie. */
export function clearSessionCookie(c: Context<ApiEnv>): void {
  const secure = c.get('secure');
  deleteCookie(c, secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE, { path: '/', secure, httpOnly: true, sameSite: 'Strict' });
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** True when the browser says the request came from another site (Sec-Fetch-Site or Origin). */
export function crossSite(c: Context<ApiEnv>, trustProxy: boolean): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return true;
  const origin = c.req.header('origin');
  if (origin) {
    if (origin === 'null') return true;
    try {
      const forwarded = trustProxy ? c.req.header('x-forwarded-host')?.split(',')[0]?.trim() : undefined;
      const host = forwarded || c.req.header('host');
      if (new URL(origin).host !== host) return true;
    } catch {
      return true;
    }
  }
  return false;
}

/** Resolves the caller from the Authorization header or the session cookie; never rejects by itself. */
export function authenticate(deps: ApiDeps): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) throw new ApiError('AUTH_FAILED', 'the Authorization header must be: Bearer <token>');
      const principal = await deps.accounts.authenticateToken(m[1]!);
      if (!principal) throw new ApiError('AUTH_FAILED', 'unknown, revoked or expired token');
      c.set('principal', principal);
      return next();
    }
    const id = getCookie(c, SECURE_SESSION_COOKIE) ?? getCookie(c, SESSION_COOKIE);
    if (id) {
      const session = deps.sessions.get(id);
      const principal = session ? await deps.accounts.sessionPrincipal(session.userName) : undefined;
      if (session && principal) {
        c.set('principal', principal);
        c.set('session', session);
        c.set('sessionId', id);
        if (!SAFE_METHODS.has(c.req.method)) {
          const token = c.req.header('x-csrf-token') ?? '';
          if (crossSite(c, deps.config.trustProxy) || !sameText(token, session.csrfToken)) {
            throw new ApiError('AUTH_CSRF', 'missing or wrong X-CSRF-Token header for a cookie-authenticated change');
          }
        }
      } else if (session && !principal) {
        deps.sessions.delete(id); // the user was disabled or removed
      }
    }
    return next();
  };
}
