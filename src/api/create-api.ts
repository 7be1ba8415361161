// Builds the HTTP API (Hono + zod-openapi): security headers, body limit, authentication, CSRF,
// request metrics, one module of routes per resource, the OpenAPI 3.1 document, the web UI, and
// the JSON error contract (stable codes, never a stack trace).

import { OpenAPIHono } from '@hono/zod-openapi';
import { getConnInfo } from '@hono/node-server/conninfo';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { Counter, Histogram } from 'prom-client';
import { ApiError, errorResponse } from './api-error.js';
import type { ApiDeps, ApiEnv } from './api-context.js';
import { authenticate } from './auth/authenticate.js';
import { registerAlertRoutes } from './routes/alert-routes.js';
import { registerAuditRoutes } from './routes/audit-routes.js';
import { registerBlocklistRoutes } from './routes/blocklist-routes.js';
import { registerAuthRoutes } from './routes/auth-routes.js';
import { registerCaseRoutes } from './routes/case-routes.js';
import { registerExportRoutes } from './routes/export-routes.js';
import { registerFindingsRoutes } from './routes/findings-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerIntelRoutes } from './routes/intel-routes.js';
import { registerMetaRoutes } from './routes/meta-routes.js';
import { registerPivotRoutes } from './routes/pivot-routes.js';
import { registerQueryRoutes } from './routes/query-routes.js';
import { registerSightingsRoutes } from './routes/sightings-routes.js';
import { registerStatsRoutes } from './routes/stats-routes.js';
import { registerTokenRoutes } from './routes/token-routes.js';
import { registerTaxiiRoutes } from './routes/taxii-routes.js';
import { registerUiRoutes } from './routes/ui-routes.js';
import { registerUserRoutes } from './routes/user-routes.js';
import { registerWatchlistRoutes } from './routes/watchlist-routes.js';
import { registerShareRoutes } from './routes/share-routes.js';
import { registerTaxiiAdminRoutes } from './routes/taxii-admin-routes.js';
import { registerPeerRoutes } from './routes/peer-routes.js';

/** Paths answered without credentials: health, sign-in, and the UI shell (which holds no data). */
function isOpen(method: string, path: string): boolean {
  if (path === '/api/health') return true;
  if (path === '/api/auth/login' && method === 'POST') return true;
  return !(path === '/api' || path.startsWith('/api/') || path === '/metrics');
}

/** The API as a Hono app; `createApiServer` in services/ puts it on a port. */
export function createApi(deps: ApiDeps): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const field = issue?.path.join('.') ?? '';
      const message = issue ? `${field ? `${field}: ` : ''}${issue.message}` : 'invalid request';
      return c.json({ error: { code: 'REQUEST_INVALID', message, ...(field ? { field } : {}) } }, 400);
    },
  });

  const requests = new Counter({ name: 'vantage_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [deps.registry] });
  const latency = new Histogram({
    name: 'vantage_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [deps.registry],
  });

  app.onError((err, c) => {
    let mapped = err;
    if (err instanceof HTTPException) {
      // Hono's own 4xx (malformed JSON, wrong content type): keep the status, give it a code.
      mapped = new ApiError(err.status === 413 ? 'REQUEST_TOO_LARGE' : err.status >= 500 ? 'INTERNAL' : 'REQUEST_INVALID', err.message || 'invalid request');
    } else if (err instanceof SyntaxError || err instanceof URIError) {
      mapped = new ApiError('REQUEST_INVALID', 'the request is not well-formed');
    }
    const { status, body } = errorResponse(mapped);
    if (status >= 500 && body.error.code === 'INTERNAL') deps.onError?.(err);
    if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="vantage"');
    return c.json(body, status as 400);
  });

  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  app.use('*', async (c, next) => {
    const started = performance.now();
    const info = (() => {
      try {
        return getConnInfo(c).remote.address ?? '';
      } catch {
        return '';
      }
    })();
    const forwarded = deps.config.trustProxy ? c.req.header('x-forwarded-for')?.split(',')[0]?.trim() : undefined;
    c.set('client', forwarded || info);
    const proto = deps.config.trustProxy ? c.req.header('x-forwarded-proto') : undefined;
    const tls = (proto ?? new URL(c.req.url).protocol.replace(':', '')) === 'https';
    c.set('secure', deps.config.cookieSecure === 'always' || (deps.config.cookieSecure === 'auto' && tls));
    await next();
    const route = c.req.routePath && c.req.routePath !== '*' && c.req.routePath !== '/*' ? c.req.routePath : c.req.path.startsWith('/api') ? 'unmatched' : 'ui';
    requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    latency.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
  });

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // CodeMirror and uPlot set inline styles.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
      xFrameOptions: 'DENY',
      strictTransportSecurity: false,
    }),
  );

  app.use(
    '/api/*',
    bodyLimit({
      maxSize: deps.config.maxBodyBytes,
      onError: () => {
        throw new ApiError('REQUEST_TOO_LARGE', `request bodies are at most ${deps.config.maxBodyBytes} bytes`);
      },
    }),
  );

  // TAXII 2.1 (/taxii2/...) authenticates its own bearer tokens and answers TAXII errors: ahead of the API's auth.
  registerTaxiiRoutes(app, deps);
  app.use('*', authenticate(deps));
  app.use('*', async (c, next) => {
    if (!c.get('principal') && !isOpen(c.req.method, c.req.path)) throw new ApiError('AUTH_REQUIRED', 'sign in or send Authorization: Bearer <token>');
    c.header('Cache-Control', c.req.path.startsWith('/api/') ? 'no-store' : undefined);
    await next();
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'an API token from `vantage token create` or POST /api/tokens',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'sessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'vantage_session',
    description: 'the UI session from POST /api/auth/login (state changes also need the X-CSRF-Token header)',
  });

  registerHealthRoutes(app, deps);
  registerAuthRoutes(app, deps);
  registerQueryRoutes(app, deps);
  registerExportRoutes(app, deps);
  registerStatsRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerTokenRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerMetaRoutes(app, deps);
  registerFindingsRoutes(app, deps);
  registerIntelRoutes(app, deps);
  registerAlertRoutes(app, deps);
  registerPivotRoutes(app, deps);
  registerBlocklistRoutes(app, deps);
  registerSightingsRoutes(app, deps);
  registerWatchlistRoutes(app, deps);
  registerShareRoutes(app, deps);
  registerCaseRoutes(app, deps);
  registerTaxiiAdminRoutes(app, deps);
  registerPeerRoutes(app, deps);
  // Extension point: the pivot graph, watchlists, notebook and intel routes register here
  // (one `registerXRoutes(app, deps)` per resource) and turn their flag on in ApiFeatures.

  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Vantage API',
      version: deps.version,
      description: 'Threat investigation over network telemetry. Every route but /api/health needs a bearer token or a session. See docs/api.md.',
    },
    security: [{ bearerToken: [] }, { sessionCookie: [] }],
  });

  registerUiRoutes(app, deps.uiDir);
  return app;
}
