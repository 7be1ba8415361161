// What every sink delivers: the alert as one JSON-ready message that links back to its evidence
// (the finding id, the finding's Vantage query with its time range, and URLs to the finding and
// to that query in the UI), or a summary of the alerts a rate limit held back.

import type { Severity } from '../../detect/finding.js';
import { tagsOf, type AlertableFinding } from './alert-rule.js';

/** Where a finding's evidence is. */
export interface AlertEvidence {
  readonly findingId: string;
  /** The Vantage query that shows the flows behind the finding over `from`..`to`. */
  readonly query: string;
  readonly from: string;
  readonly to: string;
  /** The finding in the UI. */
  readonly findingUrl: string;
  /** The query in the UI's explore page. */
  readonly queryUrl: string;
}

/** The finding as an alert carries it. */
export interface AlertFinding {
  readonly id: string;
  readonly kind: string;
  readonly subkind: string;
  readonly severity: Severity;
  readonly score: number;
  readonly summary: string;
  readonly src: string | null;
  readonly dst: string | null;
  readonly dport: number | null;
  readonly first: string;
  readonly last: string;
  readonly watchlists: readonly string[];
  readonly tags: readonly string[];
}

/** One held-back alert inside a summary. */
export interface SummarizedAlert {
  readonly alertId: string;
  readonly findingId: string;
  readonly kind: string;
  readonly severity: Severity;
  readonly score: number;
  readonly summary: string;
  readonly findingUrl: string;
}

/** The message of an alert, as the webhook posts it and the other sinks render it. */
export interface AlertMessage {
  /** Stable: the same alert keeps its id across retries and sinks (receivers may drop repeats by it). */
  readonly id: string;
  readonly type: 'finding' | 'summary';
  readonly rule: string;
  readonly severity: Severity;
  /** ISO 8601 UTC, when the alert was raised. */
  readonly createdAt: string;
  /** One line for subjects and syslog MSG. */
  readonly title: string;
  readonly finding?: AlertFinding;
  readonly evidence?: AlertEvidence;
  /** For a summary: the rate-limit window and the alerts it held back. */
  readonly window?: { readonly from: string; readonly to: string; readonly limit: number };
  readonly suppressed?: readonly SummarizedAlert[];
}

/** The UI's URL of a finding and of a query, under a configurable base URL. */
export function findingUrl(baseUrl: string, findingId: string): string {
  return `${trim(baseUrl)}/findings/${encodeURIComponent(findingId)}`;
}

/** The UI's explore page with a query and its range filled in (web/src/router.tsx explorePath). */
export function queryUrl(baseUrl: string, query: string, from: string, to: string): string {
  return `${trim(baseUrl)}/?${new URLSearchParams({ q: query, from, to }).toString()}`;
}

function trim(base: string): string {
  return base.replace(/\/+$/, '');
}

/** The message of an alert on one finding. */
export function findingAlertMessage(input: { id: string; rule: string; createdAt: number; finding: AlertableFinding; watchlists: readonly string[]; uiBaseUrl: string }): AlertMessage {
  const f = input.finding;
  return {
    id: input.id,
    type: 'finding',
    rule: input.rule,
    severity: f.severity,
    createdAt: new Date(input.createdAt).toISOString(),
    title: `${f.severity} ${f.kind}${f.subkind ? `/${f.subkind}` : ''}: ${f.summary}`,
    finding: {
      id: f.id,
      kind: f.kind,
      subkind: f.subkind,
      severity: f.severity,
      score: f.score,
      summary: f.summary,
      src: f.src,
      dst: f.dst,
      dport: f.dport,
      first: f.first,
      last: f.last,
      watchlists: [...input.watchlists],
      tags: tagsOf(f),
    },
    evidence: {
      findingId: f.id,
      query: f.evidence.query,
      from: f.evidence.from,
      to: f.evidence.to,
      findingUrl: findingUrl(input.uiBaseUrl, f.id),
      queryUrl: queryUrl(input.uiBaseUrl, f.evidence.query, f.evidence.from, f.evidence.to),
    },
  };
}

/** The message of a summary: the alerts of one rule held back in one window, most severe first. */
export function summaryAlertMessage(input: { id: string; rule: string; createdAt: number; windowStart: number; windowMs: number; limit: number; suppressed: readonly SummarizedAlert[] }): AlertMessage {
  const order: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
  const suppressed = [...input.suppressed].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity) || b.score - a.score || a.findingId.localeCompare(b.findingId));
  const severity = suppressed[0]?.severity ?? 'info';
  const from = new Date(input.windowStart).toISOString();
  const to = new Date(input.windowStart + input.windowMs).toISOString();
  return {
    id: input.id,
    type: 'summary',
    rule: input.rule,
    severity,
    createdAt: new Date(input.createdAt).toISOString(),
    title: `${suppressed.length} more alert${suppressed.length === 1 ? '' : 's'} of rule ${input.rule} between ${from} and ${to} (rate limit ${input.limit})`,
    window: { from, to, limit: input.limit },
    suppressed,
  };
}

/** Plain text of a message (e-mail body): the title, the finding and where its evidence is. */
export function alertText(m: AlertMessage): string {
  const lines = [m.title, '', `Alert ${m.id} (rule ${m.rule}), raised ${m.createdAt}.`];
  if (m.finding && m.evidence) {
    const f = m.finding;
    lines.push(
      '',
      `Finding:   ${f.id}`,
      `Kind:      ${f.kind}${f.subkind ? ` / ${f.subkind}` : ''}`,
      `Severity:  ${f.severity} (score ${f.score})`,
      `Source:    ${f.src ?? '-'}`,
      `Target:    ${f.dst ?? '-'}${f.dport !== null ? ` port ${f.dport}` : ''}`,
      `Active:    ${f.first} .. ${f.last}`,
    );
    if (f.watchlists.length) lines.push(`Watchlists: ${f.watchlists.join(', ')}`);
    if (f.tags.length) lines.push(`Tags:      ${f.tags.join(', ')}`);
    lines.push('', 'Evidence:', `  query: ${m.evidence.query}`, `  range: ${m.evidence.from} .. ${m.evidence.to}`, `  finding: ${m.evidence.findingUrl}`, `  flows:   ${m.evidence.queryUrl}`);
  }
  if (m.suppressed) {
    lines.push('', 'Held back by the rate limit:');
    for (const s of m.suppressed) lines.push(`  ${s.severity} ${s.kind} ${s.findingId} (score ${s.score}): ${s.summary}`, `    ${s.findingUrl}`);
  }
  return `${lines.join('\n')}\n`;
}
