// Alerting over HTTP: GET /api/alerts (the outbox with delivery state) and GET /api/alerts/rules
// for analysts; POST /api/alerts/rules (add or replace) and DELETE /api/alerts/rules/{name} for
// admins, audited. A network-scoped caller sees only alerts on findings that touch its networks
// (no summaries: they span every network).

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { SEVERITIES } from '../../detect/finding.js';
import { ALERT_STATES, createAlerting, parseAlertRule, type Alerting } from '../../monitor/alerts/index.js';
import { NAME_PATTERN } from '../../monitor/alerts/alert-rule.js';
import { ApiError, errorResponse } from '../api-error.js';
import { audit, principalOf, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS } from '../api-schemas.js';
import { ROLES, type Principal } from '../auth/principal.js';
import { findingInScope } from './findings-routes.js';
import { exactJson } from './respond.js';

const RuleSchema = z
  .object({
    name: z.string().regex(NAME_PATTERN).openapi({ example: 'partners-c2' }),
    kinds: z.array(z.string()).optional().openapi({ example: ['c2', 'beacon'], description: 'finding kinds; empty or omitted: any' }),
    minSeverity: z.enum(SEVERITIES).optional().openapi({ description: 'at least this severity (default info)' }),
    minScore: z.number().min(0).max(1).optional().openapi({ description: 'at least this score (default 0)' }),
    watchlists: z.array(z.string()).optional().openapi({ example: ['partners'], description: 'the finding involves one of these watchlists ("*": any)' }),
    tags: z.array(z.string()).optional().openapi({ example: ['partner-compromised'], description: "one of these among the finding's tags, intelligence tags or kind" }),
    sinks: z.array(z.string()).openapi({ example: ['soc-webhook'], description: 'sink names, as configured' }),
    rateLimit: z.object({ max: z.number().int(), windowMinutes: z.number().int() }).optional().openapi({ description: 'default 20 per 60 minutes; the excess goes into one summary per window' }),
    enabled: z.boolean().optional(),
  })
  .openapi('AlertRule');

const AlertSchema = z
  .object({
    alert: z.string().openapi({ description: "the alert's id, the same for every sink" }),
    type: z.enum(['finding', 'summary']),
    rule: z.string(),
    sink: z.string(),
    finding: z.string().nullable(),
    severity: z.string(),
    state: z.enum(ALERT_STATES),
    attempts: z.number().int(),
    created: z.string(),
    nextAttempt: z.string().nullable().openapi({ description: 'when pending: the next delivery attempt' }),
    delivered: z.string().nullable(),
    lastError: z.string().nullable(),
    message: z.record(z.string(), z.unknown()).openapi({ description: 'what the sinks receive (docs/alerting.md), with the evidence links' }),
  })
  .openapi('Alert');

const NameParams = z.object({ name: z.string().max(64).openapi({ example: 'partners-c2' }) });

const listAlerts = createRoute({
  method: 'get',
  path: '/api/alerts',
  tags: ['alerts'],
  summary: 'Alerts in the outbox with their delivery state, newest first (analyst)',
  request: {
    query: z.object({
      state: z.enum(ALERT_STATES).optional(),
      rule: z.string().max(64).optional(),
      finding: z.string().max(64).optional(),
      limit: z.coerce.number().int().min(1).max(10_000).optional().openapi({ description: 'default 200' }),
    }),
  },
  responses: {
    200: { description: 'Alerts', content: { 'application/json': { schema: z.object({ alerts: z.array(AlertSchema), scoped: z.boolean() }) } } },
    400: ERRORS[400],
    ...AUTH_ERRORS,
  },
});

const listRules = createRoute({
  method: 'get',
  path: '/api/alerts/rules',
  tags: ['alerts'],
  summary: 'Alert rules (analyst)',
  responses: { 200: { description: 'Rules', content: { 'application/json': { schema: z.object({ rules: z.array(RuleSchema) }) } } }, ...AUTH_ERRORS },
});

const putRule = createRoute({
  method: 'post',
  path: '/api/alerts/rules',
  tags: ['alerts'],
  summary: 'Add an alert rule, or replace the rule of that name (admin)',
  request: { body: { required: true, content: { 'application/json': { schema: RuleSchema } } } },
  responses: { 200: { description: 'The rule as stored, defaults applied', content: { 'application/json': { schema: RuleSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS },
});

const deleteRule = createRoute({
  method: 'delete',
  path: '/api/alerts/rules/{name}',
  tags: ['alerts'],
  summary: 'Remove an alert rule (admin); its queued alerts are still delivered',
  request: { params: NameParams },
  responses: { 200: { description: 'The removed rule', content: { 'application/json': { schema: RuleSchema } } }, ...AUTH_ERRORS, 404: ERRORS[404] },
});

/** The caller if its role is analyst or above (alerts show findings of every detector). */
function requireAnalyst(c: Context<ApiEnv>): Principal {
  const p = principalOf(c);
  if (ROLES.indexOf(p.role) < ROLES.indexOf('analyst')) throw new ApiError('AUTH_FORBIDDEN', `the ${p.role} role may not do this (needs analyst)`);
  return p;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Registers the alert routes. */
export function registerAlertRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const alerting = createAlerting({ store: deps.store });
  const ready = async (): Promise<Alerting> => {
    await alerting.ensureTables();
    return alerting;
  };

  app.openapi(listAlerts, async (c) => {
    const p = requireAnalyst(c);
    const q = c.req.valid('query');
    const limit = q.limit ?? 200;
    const scoped = p.ranges.length > 0;
    const entries = await (await ready()).outbox.list({ state: q.state, rule: q.rule, findingId: q.finding, limit: scoped ? 100_000 : limit });
    const alerts = entries
      .filter((e) => !scoped || (e.message.finding !== undefined && findingInScope(e.message.finding, p.ranges)))
      .slice(0, limit)
      .map((e) => ({
        alert: e.alert_id,
        type: e.type,
        rule: e.rule,
        sink: e.sink,
        finding: e.finding_id || null,
        severity: e.severity,
        state: e.state,
        attempts: e.attempts,
        created: iso(e.created_at),
        nextAttempt: e.state === 'pending' ? iso(e.next_attempt_at) : null,
        delivered: iso(e.delivered_at),
        lastError: e.last_error,
        message: e.message,
      }));
    return exactJson(c, { alerts, scoped });
  });

  app.openapi(listRules, async (c) => {
    requireAnalyst(c);
    return exactJson(c, { rules: await (await ready()).rules.list() });
  });

  app.openapi(putRule, async (c) => {
    requirePermission(c, 'admin');
    const body = c.req.valid('json');
    const started = performance.now();
    try {
      let rule;
      try {
        rule = parseAlertRule(body);
      } catch (err) {
        throw new ApiError('REQUEST_INVALID', (err as Error).message);
      }
      const stored = await (await ready()).rules.put(rule);
      await audit(c, deps, { action: 'alert.rule.add', target: stored.name, detail: { ...stored }, rows: 1, status: 'ok', elapsedMs: performance.now() - started });
      return exactJson(c, stored);
    } catch (err) {
      const { body: e } = errorResponse(err);
      await audit(c, deps, { action: 'alert.rule.add', target: String(body.name), detail: {}, status: 'error', errorCode: e.error.code, elapsedMs: performance.now() - started });
      throw err;
    }
  });

  app.openapi(deleteRule, async (c) => {
    requirePermission(c, 'admin');
    const { name } = c.req.valid('param');
    const started = performance.now();
    try {
      const removed = await (await ready()).rules.remove(name);
      await audit(c, deps, { action: 'alert.rule.remove', target: name, detail: { sinks: removed.sinks }, rows: 1, status: 'ok', elapsedMs: performance.now() - started });
      return exactJson(c, removed);
    } catch (err) {
      const { body: e } = errorResponse(err);
      await audit(c, deps, { action: 'alert.rule.remove', target: name, detail: {}, status: 'error', errorCode: e.error.code, elapsedMs: performance.now() - started });
      throw err;
    }
  });
}
