// An alert rule: which findings raise an alert (kinds, minimum severity and score, watchlists,
// tags) and which sinks receive it, with its rate limit. Pure: the schema and the match.

import { z } from 'zod';
import { VantageError } from '../../core/errors.js';
import { SEVERITIES, type Finding, type Severity } from '../../detect/finding.js';

/** Rule and sink names: short, lower-case, safe in a URL path and a syslog SD value. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The default rate limit: at most 20 alerts of one rule per hour. */
export const DEFAULT_RATE_LIMIT = { max: 20, windowMinutes: 60 } as const;

/** A rule as given (CLI, API, config); every field but name and sinks is optional. */
export const AlertRuleSchema = z
  .object({
    name: z.string().regex(NAME_PATTERN, 'a rule name is 1-64 characters: a-z, 0-9, ".", "_", "-", starting with a letter or digit'),
    /** Finding kinds (scan, beacon, c2...); empty: any kind. */
    kinds: z.array(z.string().min(1).max(64)).max(64).default([]),
    /** At least this severity. */
    minSeverity: z.enum(SEVERITIES).default('info'),
    /** At least this score (0..1). */
    minScore: z.number().min(0).max(1).default(0),
    /** The finding must involve an entity on one of these watchlists ("*": any watchlist); empty: no condition. */
    watchlists: z.array(z.string().min(1).max(128)).max(64).default([]),
    /** The finding must carry one of these tags (its own tags or its intelligence tags); empty: no condition. */
    tags: z.array(z.string().min(1).max(128)).max(64).default([]),
    /** Sinks (by name) that receive the rule's alerts. */
    sinks: z.array(z.string().regex(NAME_PATTERN, 'a sink name is 1-64 characters: a-z, 0-9, ".", "_", "-"')).min(1).max(16),
    /** At most `max` alerts per fixed window of `windowMinutes`; the rest go into one summary alert per window. */
    rateLimit: z
      .object({ max: z.number().int().min(1).max(100_000), windowMinutes: z.number().int().min(1).max(7 * 24 * 60) })
      .default({ ...DEFAULT_RATE_LIMIT }),
    enabled: z.boolean().default(true),
  })
  .strict();

/** A rule with its defaults applied. */
export type AlertRule = z.infer<typeof AlertRuleSchema>;

/** A rule as given, before defaults. */
export type AlertRuleInput = z.input<typeof AlertRuleSchema>;

/** Validates a rule; a bad one is a USAGE error naming the field. */
export function parseAlertRule(input: unknown, where = 'alert rule'): AlertRule {
  const parsed = AlertRuleSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new VantageError('USAGE', `${where}: ${issue.path.length ? `'${issue.path.join('.')}': ` : ''}${issue.message}`);
  }
  return { ...parsed.data, kinds: unique(parsed.data.kinds), watchlists: unique(parsed.data.watchlists), tags: unique(parsed.data.tags), sinks: unique(parsed.data.sinks) };
}

function unique(list: readonly string[]): string[] {
  return [...new Set(list)];
}

/**
 * What alerting reads of a finding: a stored or fresh finding, plus the watchlists it touches and
 * its tags when the caller knows them (watchlists mark findings; see `watchlistsOf` in
 * create-alerting.ts for the other way to supply them).
 */
export type AlertableFinding = Pick<Finding, 'id' | 'kind' | 'subkind' | 'severity' | 'score' | 'summary' | 'src' | 'dst' | 'dport' | 'first' | 'last' | 'evidence'> &
  Partial<Pick<Finding, 'status' | 'intel' | 'entities' | 'runs'>> & {
    /** Names of the watchlists whose entities the finding involves. */
    readonly watchlists?: readonly string[];
    /** Watchlist hits as the watchlists module marks findings (only `watchlist` is read). */
    readonly watched?: readonly { readonly watchlist: string }[];
    /** Labels such as `partner-compromised`. */
    readonly tags?: readonly string[];
  };

/** A severity's rank, info = 0 ... critical = 4. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/**
 * The finding's tags: its own, those of the intelligence that names its entities, and its kind
 * (so a rule on the tag `partner-compromised` catches the finding of that kind).
 */
export function tagsOf(f: AlertableFinding): string[] {
  return [...new Set([...(f.tags ?? []), ...(f.intel ?? []).map((i) => i.tag), f.kind])];
}

/** The watchlists a finding says it involves (`watchlists` and `watched`). */
export function watchlistsOf(f: AlertableFinding): string[] {
  return [...new Set([...(f.watchlists ?? []), ...(f.watched ?? []).map((w) => w.watchlist)])];
}

/**
 * True when the rule fires on the finding: every condition the rule sets holds (within a list,
 * any entry will do). Disabled rules and findings marked false positive never match.
 */
export function ruleMatches(rule: AlertRule, f: AlertableFinding, watchlists: readonly string[] = watchlistsOf(f)): boolean {
  if (!rule.enabled || f.status === 'false-positive') return false;
  if (rule.kinds.length > 0 && !rule.kinds.includes(f.kind)) return false;
  if (severityRank(f.severity) < severityRank(rule.minSeverity)) return false;
  if (f.score < rule.minScore) return false;
  if (rule.watchlists.length > 0) {
    const any = rule.watchlists.includes('*') && watchlists.length > 0;
    if (!any && !rule.watchlists.some((w) => watchlists.includes(w))) return false;
  }
  if (rule.tags.length > 0) {
    const tags = tagsOf(f);
    if (!rule.tags.some((t) => tags.includes(t))) return false;
  }
  return true;
}
