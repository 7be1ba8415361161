// The findings inbox over HTTP: GET /api/findings (triage list), GET /api/findings/{id},
// POST /api/findings/{id}/verdict (acknowledge, false positive, reopen) and POST /api/detect (run
// detectors now). Verdicts and runs are audited. A scoped caller sees only findings whose source
// or destination lies in its networks, filtered after the stored findings are read.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { parseIp, rangeContains, type IpRange } from '../../core/ip.js';
import { detectorKinds } from '../../detect/detectors.js';
import { FINDING_STATUSES, SEVERITIES, type Finding } from '../../detect/finding.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import { runWatchedDetections } from '../../monitor/watched-detections.js';
import { ApiError, errorResponse } from '../api-error.js';
import { audit, principalOf, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS, TimeSchema } from '../api-schemas.js';
import { ROLES, type Principal } from '../auth/principal.js';
import { exactJson, timeBounds } from './respond.js';

const SeveritySchema = z.enum(SEVERITIES).openapi({ description: 'info < low < medium < high < critical' });
const StatusSchema = z.enum(FINDING_STATUSES).openapi({ description: "the analyst's verdict" });

/** A finding as stored (src/detect/finding.ts). */
export const FindingSchema = z
  .object({
    id: z.string().openapi({ example: 'ac370f892fda4fec3ed8', description: 'stable across runs: the same activity updates one finding' }),
    kind: z.string().openapi({ example: 'scan' }),
    subkind: z.string().openapi({ example: 'vertical' }),
    score: z.number().openapi({ description: '0..1, from the sub-scores as the detector documents (docs/detections.md)' }),
    subscores: z.record(z.string(), z.number()),
    severity: SeveritySchema,
    src: z.string().nullable(),
    dst: z.string().nullable(),
    dport: z.number().int().nullable(),
    proto: z.number().int().nullable(),
    entities: z.array(z.object({ role: z.string(), type: z.enum(['ip', 'domain', 'port', 'asn', 'url']), value: z.string() })),
    first: z.string().openapi({ description: 'ISO 8601 UTC' }),
    last: z.string().openapi({ description: 'ISO 8601 UTC' }),
    summary: z.string(),
    evidence: z.object({
      counts: z.record(z.string(), z.number()),
      query: z.string().openapi({ description: 'the Vantage query that shows the flows behind the finding over from..to' }),
      from: z.string(),
      to: z.string(),
      sample: z.array(z.record(z.string(), z.unknown())).openapi({ description: 'a few of those flows (for scoped callers, only those touching their networks)' }),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
    intel: z.array(
      z.object({ value: z.string(), indicator: z.string(), source: z.string(), tag: z.string(), family: z.string().nullable(), confidence: z.number().nullable() }),
    ),
    status: StatusSchema,
    note: z.string().nullable(),
    runs: z.number().int().openapi({ description: 'detection runs that raised or updated it' }),
  })
  .openapi('Finding');

// The schema must describe the stored type: this fails to compile when a field of Finding is
// missing from it or typed differently.
type SchemaIsFinding = z.infer<typeof FindingSchema> extends Finding ? true : never;
const schemaIsFinding: SchemaIsFinding = true;
void schemaIsFinding;

const FindingListSchema = z
  .object({
    findings: z.array(FindingSchema),
    kinds: z.array(z.string()).openapi({ description: 'the detector kinds this server runs (for filters)' }),
    scoped: z.boolean().openapi({ description: "only findings touching the caller's networks are listed" }),
  })
  .openapi('FindingList');

const VerdictSchema = z
  .object({
    status: StatusSchema,
    note: z.string().max(2000).optional().openapi({ description: 'why; required for false-positive; kept when omitted' }),
  })
  .strict()
  .openapi('Verdict');

const DetectRequestSchema = z
  .object({
    kinds: z.array(z.string().max(32)).max(32).optional().openapi({ example: ['scan', 'beacon'], description: 'detector kinds; omitted, empty or ["all"]: every one' }),
    from: TimeSchema.optional().openapi({ description: 'window start; default 24 h before `to`' }),
    to: TimeSchema.optional().openapi({ description: 'window end; default just after the newest stored flow' }),
    config: z.record(z.string(), z.unknown()).optional().openapi({ example: { scan: { minHosts: 10 } }, description: 'settings per detector kind (docs/detections.md)' }),
    sample: z.number().int().min(0).max(50).optional().openapi({ description: 'flows kept as evidence per finding (default 5)' }),
  })
  .strict()
  .openapi('DetectRequest');

const DetectReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    findings: z.array(FindingSchema),
    detectors: z.array(
      z.object({
        kind: z.string(),
        findings: z.number().int(),
        ms: z.number(),
        stats: z.record(z.string(), z.number()).openapi({ description: "the detector's own counts (empty for scoped callers: they cover every network)" }),
      }),
    ),
    saved: z.object({ added: z.number().int(), updated: z.number().int(), suppressed: z.number().int() }).optional(),
    scoped: z.boolean(),
  })
  .openapi('DetectReport');

const IdParams = z.object({ id: z.string().max(20).openapi({ example: 'ac370f89', description: 'a finding id or a unique prefix of it (4 to 20 hex digits)' }) });

const list = createRoute({
  method: 'get',
  path: '/api/findings',
  tags: ['findings'],
  summary: 'Stored findings, highest score first (as `vantage findings list`)',
  request: {
    query: z.object({
      kind: z.string().max(200).optional().openapi({ example: 'scan,beacon', description: 'detector kinds, comma-separated' }),
      status: StatusSchema.optional(),
      severity: SeveritySchema.optional().openapi({ description: 'at least this severity' }),
      since: TimeSchema.optional().openapi({ description: 'active (last seen) at or after' }),
      limit: z.coerce.number().int().min(1).max(10_000).optional().openapi({ description: 'at most this many (default 200)' }),
    }),
  },
  responses: { 200: { description: 'Findings', content: { 'application/json': { schema: FindingListSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS },
});

const get = createRoute({
  method: 'get',
  path: '/api/findings/{id}',
  tags: ['findings'],
  summary: 'One finding with its sub-scores, evidence, sample flows and intelligence',
  request: { params: IdParams },
  responses: { 200: { description: 'The finding', content: { 'application/json': { schema: FindingSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS, 404: ERRORS[404] },
});

const verdict = createRoute({
  method: 'post',
  path: '/api/findings/{id}/verdict',
  tags: ['findings'],
  summary: "Record a verdict (analyst): acknowledge, false positive (with a note; allow-lists the accused addresses) or reopen",
  request: { params: IdParams, body: { required: true, content: { 'application/json': { schema: VerdictSchema } } } },
  responses: { 200: { description: 'The finding as now stored', content: { 'application/json': { schema: FindingSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS, 404: ERRORS[404] },
});

const detect = createRoute({
  method: 'post',
  path: '/api/detect',
  tags: ['findings'],
  summary: 'Run detectors over stored flows now (analyst); findings are stored and returned with per-detector counts',
  request: { body: { required: true, content: { 'application/json': { schema: DetectRequestSchema } } } },
  responses: { 200: { description: 'The run', content: { 'application/json': { schema: DetectReportSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS, 503: ERRORS[503] },
});

/** The caller if its role is analyst or above (verdicts and detection runs change shared state). */
function requireAnalyst(c: Context<ApiEnv>): Principal {
  const p = principalOf(c);
  if (ROLES.indexOf(p.role) < ROLES.indexOf('analyst')) throw new ApiError('AUTH_FORBIDDEN', `the ${p.role} role may not do this (needs analyst)`);
  return p;
}

function inRanges(ranges: readonly IpRange[], address: unknown): boolean {
  if (typeof address !== 'string') return false;
  const ip = parseIp(address);
  return ip !== undefined && ranges.some((r) => rangeContains(r, ip));
}

/** True when the caller may see the finding: unscoped, or its src or dst lies in the caller's networks. */
export function findingInScope(f: Pick<Finding, 'src' | 'dst'>, ranges: readonly IpRange[]): boolean {
  return ranges.length === 0 || inRanges(ranges, f.src) || inRanges(ranges, f.dst);
}

/** The finding as a scoped caller sees it: only the sample flows that touch its networks. */
function scoped(f: Finding, ranges: readonly IpRange[]): Finding {
  if (ranges.length === 0) return f;
  return { ...f, evidence: { ...f.evidence, sample: f.evidence.sample.filter((row) => inRanges(ranges, row.src) || inRanges(ranges, row.dst)) } };
}

/** Registers the findings routes. */
export function registerFindingsRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const repository = new FindingsRepository(deps.store);
  let tablesReady: Promise<void> | undefined;
  const repo = async (): Promise<FindingsRepository> => {
    tablesReady ??= repository.ensureTables().catch((err: unknown) => {
      tablesReady = undefined;
      throw err;
    });
    await tablesReady;
    return repository;
  };

  /** A finding the caller may see; out of scope answers as missing, so its existence does not leak. */
  const visible = async (p: Principal, id: string): Promise<Finding> => {
    const f = await (await repo()).get(id);
    if (!findingInScope(f, p.ranges)) throw new ApiError('NOT_FOUND', `no finding with id ${id}`);
    return scoped(f, p.ranges);
  };

  app.openapi(list, async (c) => {
    const p = requirePermission(c, 'read');
    const q = c.req.valid('query');
    const known = detectorKinds();
    const kinds = q.kind ? [...new Set(q.kind.split(',').map((k) => k.trim()).filter(Boolean))] : [];
    const unknown = kinds.find((k) => !known.includes(k));
    if (unknown) throw new ApiError('REQUEST_INVALID', `unknown detector kind '${unknown}': expected ${known.join(', ')}`, { field: 'kind' });
    const limit = q.limit ?? 200;
    const filter = { kind: kinds, status: q.status, minSeverity: q.severity, since: timeBounds(q.since, undefined).from };
    // A scoped caller's findings are picked out after reading (src and dst are text in the table,
    // and a prefix test needs the parsed address), so read deeper before cutting to the limit.
    const rows = await (await repo()).list({ ...filter, limit: p.ranges.length > 0 ? 100_000 : limit });
    const findings = rows.filter((f) => findingInScope(f, p.ranges)).slice(0, limit).map((f) => scoped(f, p.ranges));
    return exactJson(c, { findings, kinds: known, scoped: p.ranges.length > 0 });
  });

  app.openapi(get, async (c) => {
    const p = requirePermission(c, 'read');
    return exactJson(c, await visible(p, c.req.valid('param').id));
  });

  app.openapi(verdict, async (c) => {
    const p = requireAnalyst(c);
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const note = body.note?.trim() ? body.note.trim() : undefined;
    if (body.status === 'false-positive' && note === undefined) throw new ApiError('REQUEST_INVALID', 'a false-positive verdict needs a note saying why', { field: 'note' });
    const started = performance.now();
    try {
      const current = await visible(p, id);
      const updated = await (await repo()).setVerdict(current.id, body.status, note ?? null);
      await audit(c, deps, {
        action: 'finding.verdict',
        target: updated.id,
        detail: { kind: updated.kind, subkind: updated.subkind, status: updated.status, previous: current.status, ...(note ? { note } : {}), src: updated.src, dst: updated.dst },
        rows: 1,
        status: 'ok',
        elapsedMs: performance.now() - started,
      });
      return exactJson(c, scoped(updated, p.ranges));
    } catch (err) {
      const { body: e } = errorResponse(err);
      await audit(c, deps, { action: 'finding.verdict', target: id, detail: { status: body.status }, status: 'error', errorCode: e.error.code, elapsedMs: performance.now() - started });
      throw err;
    }
  });

  // One run at a time: a run reads the window and then writes its findings, and two interleaved
  // runs would each count the other's findings as "updated".
  let running = false;
  app.openapi(detect, async (c) => {
    const p = requireAnalyst(c);
    const body = c.req.valid('json');
    if (running) throw new ApiError('QUERY_BUSY', 'a detection run is in progress: try again when it finishes');
    running = true;
    const started = performance.now();
    const kinds = body.kinds ?? [];
    const detail = { kinds: kinds.length ? kinds : ['all'], ...(body.from ? { from: body.from } : {}), ...(body.to ? { to: body.to } : {}), ...(p.scopes.length ? { scope: p.scopes } : {}) };
    try {
      await repo();
      const report = await runWatchedDetections(deps.store, { kinds, ...timeBounds(body.from, body.to), config: body.config, sampleSize: body.sample });
      const findings = report.findings.filter((f) => findingInScope(f, p.ranges)).map((f) => scoped(f, p.ranges));
      const isScoped = p.ranges.length > 0;
      const detectors = report.detectors.map((d) =>
        isScoped ? { kind: d.kind, findings: findings.filter((f) => f.kind === d.kind).length, ms: d.ms, stats: {} } : { kind: d.kind, findings: d.findings, ms: d.ms, stats: d.stats },
      );
      const window = { from: new Date(report.from).toISOString(), to: new Date(report.to).toISOString() };
      await audit(c, deps, {
        action: 'detect',
        target: detail.kinds.join(','),
        detail: { ...detail, window, ...(report.saved && !isScoped ? { saved: report.saved } : {}) },
        rows: findings.length,
        status: 'ok',
        elapsedMs: performance.now() - started,
      });
      return exactJson(c, { ...window, findings, detectors, ...(report.saved && !isScoped ? { saved: report.saved } : {}), scoped: isScoped });
    } catch (err) {
      const { body: e } = errorResponse(err);
      await audit(c, deps, { action: 'detect', target: detail.kinds.join(','), detail, status: 'error', errorCode: e.error.code, elapsedMs: performance.now() - started });
      throw err;
    } finally {
      running = false;
    }
  });
}
