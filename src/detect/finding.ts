// What a detection produces: a finding that explains itself (scores, entities, evidence, the
// query that reproduces it, corroborating intelligence), with a stable id so that a detection
// that continues across runs updates one finding instead of raising a new one.

import { createHash } from 'node:crypto';

/** Severity bands, lowest first. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** An analyst's verdict on a finding. */
export const FINDING_STATUSES = ['open', 'acknowledged', 'false-positive'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

/** An entity a finding involves, with its role in what happened. */
export interface FindingEntity {
  /** attacker, victim, scanner, target, client, server, c2, infected, reflector... */
  readonly role: string;
  readonly type: 'ip' | 'domain' | 'port' | 'asn' | 'url';
  readonly value: string;
}

/** Intelligence that names an entity of the finding. */
export interface FindingIntel {
  readonly value: string;
  readonly indicator: string;
  readonly source: string;
  readonly tag: string;
  readonly family: string | null;
  readonly confidence: number | null;
}

/** A watchlist an entity of the finding belongs to (a partner, a supplier, our perimeter). */
export interface FindingWatch {
  readonly watchlist: string;
  /** partner, supplier, peer, perimeter, other. */
  readonly kind: string;
  /** low, medium, high, critical. */
  readonly criticality: string;
  /** The entity's value (an address, a domain, AS64500). */
  readonly value: string;
  /** The watchlist member that covers it (a network, host, AS or domain). */
  readonly member: string;
}

/** What supports a finding: counts, a few flows, and the query an analyst runs to see them all. */
export interface FindingEvidence {
  readonly counts: Record<string, number>;
  /** A Vantage query (filter and stages) over `from`..`to` that shows the flows behind the finding. */
  readonly query: string;
  readonly from: string;
  readonly to: string;
  /** A few of those flows, as `vantage query` prints them. */
  readonly sample: readonly Record<string, unknown>[];
  /** Detector-specific details (ports, days, intervals...). */
  readonly details?: Record<string, unknown>;
}

/** A finding as detectors return it and the findings table keeps it. */
export interface Finding {
  readonly id: string;
  readonly kind: string;
  /** The variant within the kind (horizontal, vertical, syn-flood, dns-amplification...). */
  readonly subkind: string;
  /** 0..1, the product or blend of `subscores` the detector documents. */
  readonly score: number;
  readonly subscores: Record<string, number>;
  readonly severity: Severity;
  readonly src: string | null;
  readonly dst: string | null;
  readonly dport: number | null;
  readonly proto: number | null;
  readonly entities: readonly FindingEntity[];
  /** ISO 8601 UTC. */
  readonly first: string;
  readonly last: string;
  readonly summary: string;
  readonly evidence: FindingEvidence;
  readonly intel: readonly FindingIntel[];
  /** Watchlists its entities belong to (set when watchlists exist). */
  readonly watched?: readonly FindingWatch[];
  readonly status: FindingStatus;
  readonly note: string | null;
  /** How many detection runs have raised or updated it. */
  readonly runs: number;
}

/** A stable id from the kind and the values that identify "the same thing happening again". */
export function findingId(kind: string, ...key: readonly (string | number | null)[]): string {
  return createHash('sha256').update([kind, ...key.map((k) => (k === null ? '' : String(k)))].join('\u0000')).digest('hex').slice(0, 20);
}

/**
 * Severity from a score: the bands a triage queue sorts on. A detector may raise it (a watched
 * partner talking to C2 is critical whatever the score).
 */
export function severityFor(score: number): Severity {
  if (score >= 0.9) return 'high';
  if (score >= 0.7) return 'medium';
  if (score >= 0.4) return 'low';
  return 'info';
}

/** The higher of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b;
}

/** Rounds a score for output (scores are shown, and compared in tests, to 3 decimals). */
export function roundScore(x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * 1000) / 1000;
}

/** Epoch ms as the ISO text findings carry. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
