// Threat intelligence over HTTP: GET /api/intel/match (what the loaded feeds know about a value,
// with provenance, as `vantage intel match`), GET /api/intel/feeds (the loaded feeds, as
// `vantage intel list`) and POST /api/intel/feeds (load a feed's text, as `vantage intel load`;
// admin, audited).

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { loadIntelIndex } from '../../enrich/create-enricher.js';
import { describeMatches } from '../../intel/describe-match.js';
import { detectFeed } from '../../intel/detect-feed.js';
import type { FeedParseResult } from '../../intel/feed-parser.js';
import { classifyValue, FEED_KINDS, type FeedKind, type StoredIndicator } from '../../intel/indicator.js';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import { feedParseFailure, parseFeed } from '../../intel/load-feeds.js';
import type { IntelIndex } from '../../intel/intel-index.js';
import { ApiError, errorResponse } from '../api-error.js';
import { audit, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import { AUTH_ERRORS, ERRORS } from '../api-schemas.js';
import type { AuditAction } from '../audit/audit-log.js';
import { exactJson } from './respond.js';

const INTEL_LOAD: AuditAction = 'intel.load';

/** Rejected entries listed in a response (the counts always cover all of them). */
const MAX_PROBLEMS = 200;

const ProblemSchema = z
  .object({
    line: z.number().int().openapi({ description: '1-based line of the feed text' }),
    code: z.string().openapi({ example: 'INTEL_BAD_VALUE', description: 'INTEL_BAD_VALUE, INTEL_BAD_LINE or INTEL_UNSUPPORTED' }),
    message: z.string(),
  })
  .openapi('IntelProblem');

const MatchRecordSchema = z
  .object({
    indicator: z.string().openapi({ example: '138.197.147.101:443', description: 'the feed entry that matched' }),
    type: z.string().openapi({ example: 'ip-port' }),
    kind: z.string().openapi({ description: 'threat or allow' }),
    how: z.string().openapi({ description: 'how the value matched it (exact, within a network, address of an address:port, parent domain...)' }),
    source: z.string().openapi({ example: 'maltrail:emotet' }),
    feed: z.string().openapi({ example: 'maltrail' }),
    family: z.string().nullable(),
    flow_tag: z.string().openapi({ description: 'the tag it puts on matching flows' }),
    tags: z.array(z.string()),
    confidence: z.number().nullable(),
    reference: z.string().nullable(),
    detect: z.boolean(),
    file: z.string(),
    line: z.number().int(),
    raw: z.string().openapi({ description: 'the feed line or entry as read' }),
    first_seen: z.string().nullable(),
    last_seen: z.string().nullable(),
    valid_until: z.string().nullable(),
    loaded_first: z.string().nullable(),
    loaded_last: z.string().nullable(),
    expired_at: z.string().nullable(),
    attrs: z.record(z.string(), z.string()),
  })
  .openapi('IntelMatchRecord');

const MatchAnswerSchema = z
  .object({
    query: z.string(),
    type: z.string().nullable().openapi({ description: 'what the value was read as (ip, cidr, ip-port, domain, url, hash, asn); null when none' }),
    allowed: z.boolean().openapi({ description: 'an allow-list entry covers the value: it must not be blocked' }),
    allow: z.array(MatchRecordSchema),
    matches: z.array(MatchRecordSchema),
    expired: z.array(MatchRecordSchema).openapi({ description: 'entries with exactly this value that feeds used to list' }),
    note: z.string().optional(),
  })
  .openapi('IntelMatch');

const FeedSchema = z
  .object({
    source: z.string().openapi({ example: 'maltrail:emotet' }),
    feed: z.string().openapi({ example: 'maltrail' }),
    file: z.string(),
    title: z.string(),
    generated_at: z.string().nullable().openapi({ description: 'when the feed says it was generated (ISO 8601)' }),
    loaded_at: z.string().openapi({ description: 'when it was last loaded (ISO 8601)' }),
    entries: z.number().int().openapi({ description: 'entries read at the last load (comments and blanks excluded)' }),
    active: z.number().int().openapi({ description: 'indicators from this source now active' }),
    rejected: z.number().int(),
    added: z.number().int(),
    updated: z.number().int(),
    expired: z.number().int(),
  })
  .openapi('IntelFeed');

const LoadRequestSchema = z
  .object({
    text: z.string().min(1).openapi({ description: "the feed file's text (the body limit applies)" }),
    kind: z.enum(FEED_KINDS).optional().openapi({ description: 'feed format; told from the text (and `file`) when absent, as `vantage intel load` does' }),
    file: z
      .string()
      .max(200)
      .optional()
      .openapi({ example: 'emotet.txt', description: "the feed file's name, as `intel load` takes it: maltrail and ipsum name their source and family after it (default `upload`)" }),
    source: z.string().min(1).max(100).optional().openapi({ example: 'maltrail:emotet', description: "source name (default: the feed's own, e.g. maltrail:emotet)" }),
    allow: z.boolean().optional().openapi({ description: 'load as an allow-list: values that must never be blocked' }),
    family: z.string().max(100).optional().openapi({ description: 'malware family or owner for a plain list' }),
    confidence: z.number().int().min(0).max(100).optional().openapi({ description: 'confidence for a plain list' }),
    strict: z.boolean().optional().openapi({ description: 'refuse the feed when any entry is rejected' }),
    allowEmpty: z.boolean().optional().openapi({ description: 'accept a feed with no indicators (expires every entry of its source)' }),
  })
  .strict()
  .openapi('IntelLoadRequest');

const LoadSummarySchema = z
  .object({
    source: z.string(),
    feed: z.string(),
    file: z.string(),
    entries: z.number().int(),
    active: z.number().int(),
    rejected: z.number().int(),
    added: z.number().int(),
    updated: z.number().int(),
    expired: z.number().int(),
    problems: z.array(ProblemSchema).openapi({ description: `rejected entries with their lines (the first ${MAX_PROBLEMS})` }),
    incomplete: z.string().optional().openapi({
      example: "cut short: no '# END <n> entries' line after the last entry (line 310): loaded its 300 readable entries, expired nothing from feodo",
      description: 'present when the feed was not read in full (cut short): what it held was loaded and nothing was expired',
    }),
  })
  .openapi('IntelLoadSummary');

const match = createRoute({
  method: 'get',
  path: '/api/intel/match',
  tags: ['intel'],
  summary: 'What the loaded feeds know about a value, with provenance (as `vantage intel match`)',
  request: {
    query: z.object({
      value: z.string().min(1).max(2048).openapi({ example: '138.197.147.101', description: 'an address, network, address:port, domain, URL, hash or AS number' }),
    }),
  },
  responses: { 200: { description: 'The matches', content: { 'application/json': { schema: MatchAnswerSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS },
});

const listFeeds = createRoute({
  method: 'get',
  path: '/api/intel/feeds',
  tags: ['intel'],
  summary: 'The loaded feeds with their counts, newest load first (as `vantage intel list`)',
  responses: { 200: { description: 'The feeds', content: { 'application/json': { schema: z.object({ feeds: z.array(FeedSchema) }).openapi('IntelFeedList') } } }, ...AUTH_ERRORS },
});

const loadFeed = createRoute({
  method: 'post',
  path: '/api/intel/feeds',
  tags: ['intel'],
  summary: "Load a feed's text (admin; as `vantage intel load`): a reload updates its entries and expires the ones it dropped",
  request: { body: { required: true, content: { 'application/json': { schema: LoadRequestSchema } } } },
  responses: {
    200: { description: 'The load summary', content: { 'application/json': { schema: LoadSummarySchema } } },
    400: ERRORS[400],
    ...AUTH_ERRORS,
    413: ERRORS[413],
    503: ERRORS[503],
  },
});

type LoadRequest = z.infer<typeof LoadRequestSchema>;

function problemList(result: FeedParseResult): { line: number; code: string; message: string }[] {
  return result.problems.slice(0, MAX_PROBLEMS).map((p) => ({ line: p.line, code: p.code, message: p.message }));
}

/**
 * Parses feed text as `parseFeedFile` parses a file, with the same refusals: unreadable JSON, no
 * entry readable as the format, or (strict) any rejected entry. The refusals are IMPORT_FORMAT /
 * IMPORT_RECORD 400s carrying the rejected entries with their lines.
 */
export function parseFeedText(body: LoadRequest): FeedParseResult {
  const file = body.file?.trim() || 'upload';
  const text = body.text.replace(/^\uFEFF/, '');
  if (text.slice(0, 4096).includes('\u0000')) throw new ApiError('IMPORT_FORMAT', 'binary data, not a feed', { field: 'text' });
  const feed: FeedKind = body.kind ?? detectFeed(file, text);
  const result = parseFeed(feed, { file, text, kind: body.allow ? 'allow' : 'threat', source: body.source, family: body.family, confidence: body.confidence });
  const failure = feedParseFailure(result, feed, { strict: body.strict, otherFormat: '`kind`', strictName: '`strict`' });
  if (failure) throw new ApiError(failure.code, failure.message, { ...(failure.line ? { line: failure.line } : {}), feed, problems: problemList(result) });
  return result;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Registers the intel routes. */
export function registerIntelRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const repository = new IndicatorRepository(deps.store);
  let tablesReady: Promise<void> | undefined;
  const repo = async (): Promise<IndicatorRepository> => {
    tablesReady ??= repository.ensureTables().catch((err: unknown) => {
      tablesReady = undefined;
      throw err;
    });
    await tablesReady;
    return repository;
  };

  // The index is built from every active indicator, which takes a while for big feeds: it is kept
  // until the feeds table changes (a load here or by `vantage intel load` against the same store).
  let cached: { key: string; index: Promise<IntelIndex<StoredIndicator>> } | undefined;
  const intelIndex = async (): Promise<IntelIndex<StoredIndicator>> => {
    const feeds = await (await repo()).feeds();
    const key = feeds.map((f) => `${f.source}@${f.loaded_at}`).join('|');
    if (cached?.key !== key) {
      const index = loadIntelIndex(deps.store);
      cached = { key, index };
      index.catch(() => {
        if (cached?.index === index) cached = undefined;
      });
    }
    return cached.index;
  };

  app.openapi(match, async (c) => {
    requirePermission(c, 'read');
    const { value } = c.req.valid('query');
    const index = await intelIndex();
    const parsed = classifyValue(value);
    const expired = parsed ? await (await repo()).history(parsed.type, parsed.value) : [];
    return exactJson(c, describeMatches(index.matchValue(value), expired));
  });

  app.openapi(listFeeds, async (c) => {
    requirePermission(c, 'read');
    const feeds = await (await repo()).feeds();
    return exactJson(c, { feeds: feeds.map((f) => ({ ...f, generated_at: iso(f.generated_at), loaded_at: iso(f.loaded_at)! })) });
  });

  // One load at a time: a save reads the source's entries and then writes them, and two
  // interleaved loads of one source would miscount what was added and expired.
  let loading = false;
  app.openapi(loadFeed, async (c) => {
    requirePermission(c, 'admin');
    const body = c.req.valid('json');
    if (loading) throw new ApiError('QUERY_BUSY', 'a feed load is in progress: try again when it finishes');
    loading = true;
    const started = performance.now();
    const file = body.file?.trim() || 'upload';
    try {
      const result = parseFeedText(body);
      const repository = await repo();
      if (result.indicators.length === 0 && !body.allowEmpty) {
        // Loading nothing would expire the whole source: a truncated download looks like this.
        const active = await repository.activeCount(result.source);
        const why = active > 0 ? `loading it would expire all ${active} entries of ${result.source}` : `${result.source} would be recorded with nothing in it`;
        throw new ApiError('IMPORT_FORMAT', `no indicators found (read as ${result.feed}); ${why}: send allowEmpty to do that`, { feed: result.feed, problems: problemList(result) });
      }
      const saved = await repository.save(result);
      const counts = { entries: saved.entries, active: saved.active, added: saved.added, updated: saved.updated, expired: saved.expired, rejected: saved.rejected };
      // A feed cut short is loaded as far as it goes and expires nothing; the answer says so.
      const incomplete = result.incomplete ? { incomplete: `${result.incomplete}: loaded its ${saved.active} readable entries, expired nothing from ${saved.source}` } : {};
      await audit(c, deps, {
        action: INTEL_LOAD,
        target: saved.source,
        detail: { feed: saved.feed, file, ...counts, ...(body.allow ? { allow: true } : {}), ...incomplete },
        rows: saved.active,
        status: 'ok',
        elapsedMs: performance.now() - started,
      });
      return exactJson(c, { ...saved, problems: problemList(result), ...incomplete });
    } catch (err) {
      const { body: e } = errorResponse(err);
      await audit(c, deps, {
        action: INTEL_LOAD,
        target: body.source ?? file,
        detail: { file, ...(body.kind ? { feed: body.kind } : {}) },
        status: 'error',
        errorCode: e.error.code,
        elapsedMs: performance.now() - started,
      });
      throw err;
    } finally {
      loading = false;
    }
  });
}
