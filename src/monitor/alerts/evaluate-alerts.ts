// Findings -> alerts in the outbox. An alert is keyed by (rule, finding id, episode), the
// episode being the finding's severity: the same finding seen again by later detector runs
// raises nothing new, and one that gets worse (its severity rises above every level it was
// alerted at) raises one new alert. Each rule keeps to its rate limit per fixed window; the
// excess is written as `suppressed` rows (so it stays de-duplicated) and gathered into one
// summary alert per rule and window, delivered when the window closes.

import { createHash } from 'node:crypto';
import type { Severity } from '../../detect/finding.js';
import { findingAlertMessage, findingUrl, summaryAlertMessage, type AlertMessage, type SummarizedAlert } from './alert-message.js';
import type { AlertOutbox } from './alert-outbox.js';
import { ruleMatches, severityRank, watchlistsOf, type AlertableFinding, type AlertRule } from './alert-rule.js';
import type { AlertOutboxRow } from './alert-tables.js';

/** Watchlists a finding involves, when the finding does not say itself. */
export type WatchlistsOf = (finding: AlertableFinding) => readonly string[] | Promise<readonly string[]>;

/** What evaluation needs. */
export interface EvaluateDeps {
  readonly outbox: AlertOutbox;
  readonly rules: readonly AlertRule[];
  /** Epoch ms of this evaluation. */
  readonly now: number;
  /** Base URL of the UI for evidence links. */
  readonly uiBaseUrl: string;
  readonly watchlistsOf?: WatchlistsOf;
}

/** What an evaluation did. */
export interface EvaluateReport {
  /** New alerts queued for delivery (each to every sink of its rule). */
  readonly raised: number;
  /** Of those, alerts on a finding already alerted at a lower severity. */
  readonly escalated: number;
  /** Matches already alerted at this severity or higher (or not worse than before). */
  readonly duplicates: number;
  /** Matches held back by a rate limit, carried by a summary alert instead. */
  readonly suppressed: number;
  /** Summary alerts created or extended. */
  readonly summaries: number;
  /** Ids of the alerts raised. */
  readonly alertIds: readonly string[];
}

function hash(...parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24);
}

/** The id of the alert of a rule on a finding in an episode. */
export function alertId(rule: string, findingId: string, episode: string): string {
  return hash('alert', rule, findingId, episode);
}

/** The id of a rule's summary alert for the window starting at `windowStart`. */
export function summaryId(rule: string, windowStart: number): string {
  return hash('summary', rule, String(windowStart));
}

/** The outbox row id of an alert's delivery to one sink. */
export function deliveryId(alert: string, sink: string): string {
  return hash('delivery', alert, sink);
}

/** The episode of a finding: its severity. */
export function episodeOf(severity: Severity): string {
  return `severity:${severity}`;
}

/** Writes the alerts the findings raise under the rules; see the file comment for the rules of the game. */
export async function evaluateAlerts(findings: readonly AlertableFinding[], deps: EvaluateDeps): Promise<EvaluateReport> {
  const { outbox, now } = deps;
  // One entry per finding id: the most severe version if a batch repeats one.
  const byId = new Map<string, AlertableFinding>();
  for (const f of findings) {
    const had = byId.get(f.id);
    if (!had || severityRank(f.severity) > severityRank(had.severity)) byId.set(f.id, f);
  }
  const watch = new Map<string, readonly string[]>();
  for (const f of byId.values()) {
    const extra = deps.watchlistsOf ? await deps.watchlistsOf(f) : [];
    watch.set(f.id, [...new Set([...watchlistsOf(f), ...extra])]);
  }

  let raised = 0;
  let escalated = 0;
  let duplicates = 0;
  let suppressed = 0;
  let summaries = 0;
  const alertIds: string[] = [];
  for (const rule of deps.rules) {
    const matched = [...byId.values()].filter((f) => ruleMatches(rule, f, watch.get(f.id)));
    if (matched.length === 0) continue;
    const highest = new Map<string, number>();
    for (const row of await outbox.ofFindings(rule.name, matched.map((f) => f.id))) {
      const rank = severityRank(row.severity as Severity);
      if (rank > (highest.get(row.finding_id) ?? -1)) highest.set(row.finding_id, rank);
    }
    const fresh = matched
      .filter((f) => {
        const worse = severityRank(f.severity) > (highest.get(f.id) ?? -1);
        if (!worse) duplicates++;
        return worse;
      })
      // The most severe go out one by one when the limit bites; the rest into the summary.
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.score - a.score || a.id.localeCompare(b.id));
    if (fresh.length === 0) continue;

    const windowMs = rule.rateLimit.windowMinutes * 60_000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    let used = await outbox.countSince(rule.name, windowStart);
    const summary = summaryId(rule.name, windowStart);
    const rows: AlertOutboxRow[] = [];
    const held: SummarizedAlert[] = [];
    for (const f of fresh) {
      const episode = episodeOf(f.severity);
      const id = alertId(rule.name, f.id, episode);
      const message = findingAlertMessage({ id, rule: rule.name, createdAt: now, finding: f, watchlists: watch.get(f.id) ?? [], uiBaseUrl: deps.uiBaseUrl });
      const limited = used >= rule.rateLimit.max;
      if (limited) {
        suppressed++;
        held.push({ alertId: id, findingId: f.id, kind: f.kind, severity: f.severity, score: f.score, summary: f.summary, findingUrl: findingUrl(deps.uiBaseUrl, f.id) });
      } else {
        used++;
        raised++;
        if (highest.has(f.id)) escalated++;
        alertIds.push(id);
      }
      for (const sink of rule.sinks) {
        rows.push(newRow({ id: deliveryId(id, sink), alertId: id, rule: rule.name, sink, findingId: f.id, episode, type: 'finding', severity: f.severity, now, nextAttemptAt: now, message, state: limited ? 'suppressed' : 'pending', summaryId: limited ? summary : null }));
      }
    }
    if (held.length > 0) {
      summaries++;
      const existing = new Map((await outbox.byIds(rule.sinks.map((s) => deliveryId(summary, s)))).map((r) => [r.sink, r]));
      for (const sink of rule.sinks) {
        const old = existing.get(sink);
        const before = old ? ((JSON.parse(old.body) as AlertMessage).suppressed ?? []) : [];
        const known = new Set(before.map((s) => s.alertId));
        const all = [...before, ...held.filter((h) => !known.has(h.alertId))];
        const message = summaryAlertMessage({ id: summary, rule: rule.name, createdAt: old?.created_at ?? now, windowStart, windowMs, limit: rule.rateLimit.max, suppressed: all });
        const row = newRow({ id: deliveryId(summary, sink), alertId: summary, rule: rule.name, sink, findingId: '', episode: `window:${windowStart}`, type: 'summary', severity: message.severity, now, nextAttemptAt: windowStart + windowMs, message, state: 'pending', summaryId: null });
        rows.push(old ? { ...row, created_at: old.created_at, attempts: old.attempts, last_error: old.last_error, version: old.version + 1 } : row);
      }
    }
    // Persisted before any delivery is tried: the dispatcher only ever reads what is written here.
    await outbox.write(rows);
  }
  return { raised, escalated, duplicates, suppressed, summaries, alertIds };
}

function newRow(a: {
  id: string; alertId: string; rule: string; sink: string; findingId: string; episode: string; type: 'finding' | 'summary'; severity: string;
  now: number; nextAttemptAt: number; message: AlertMessage; state: AlertOutboxRow['state']; summaryId: string | null;
}): AlertOutboxRow {
  return {
    id: a.id, alert_id: a.alertId, rule: a.rule, sink: a.sink, finding_id: a.findingId, episode: a.episode, type: a.type, state: a.state, severity: a.severity,
    attempts: 0, next_attempt_at: a.nextAttemptAt, last_error: null, created_at: a.now, delivered_at: null, summary_id: a.summaryId, version: 1, body: JSON.stringify(a.message),
  };
}
