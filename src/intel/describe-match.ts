// Turns index matches into the JSON an analyst (and `intel match`) reads: every indicator with
// its full provenance, how it matched, the tag it puts on flows, and the allow-list verdict.

import type { StoredIndicator } from './indicator.js';
import { indicatorTag } from './indicator-tag.js';
import type { IndexMatch, ValueMatches } from './intel-index.js';

function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** One matched indicator with its provenance, as JSON. */
export interface MatchRecord {
  readonly indicator: string;
  readonly type: string;
  readonly kind: string;
  readonly how: string;
  readonly source: string;
  readonly feed: string;
  readonly family: string | null;
  readonly flow_tag: string;
  readonly tags: readonly string[];
  readonly confidence: number | null;
  readonly reference: string | null;
  readonly detect: boolean;
  readonly file: string;
  readonly line: number;
  readonly raw: string;
  readonly first_seen: string | null;
  readonly last_seen: string | null;
  readonly valid_until: string | null;
  readonly loaded_first: string | null;
  readonly loaded_last: string | null;
  readonly expired_at: string | null;
  readonly attrs: Readonly<Record<string, string>>;
}

/** The provenance record of a stored indicator. */
export function matchRecord(indicator: StoredIndicator, how: string): MatchRecord {
  return {
    indicator: indicator.value,
    type: indicator.type,
    kind: indicator.kind,
    how,
    source: indicator.source,
    feed: indicator.feed,
    family: indicator.family,
    flow_tag: indicatorTag(indicator),
    tags: indicator.tags,
    confidence: indicator.confidence,
    reference: indicator.reference,
    detect: indicator.detect,
    file: indicator.file,
    line: indicator.line,
    raw: indicator.raw,
    first_seen: iso(indicator.firstSeen),
    last_seen: iso(indicator.lastSeen),
    valid_until: iso(indicator.validUntil),
    loaded_first: iso(indicator.loadedFirst),
    loaded_last: iso(indicator.loadedLast),
    expired_at: iso(indicator.expiredAt),
    attrs: indicator.attrs,
  };
}

/** The answer for one queried value. */
export interface MatchAnswer {
  readonly query: string;
  readonly type: string | null;
  /** True when an allow-list entry covers the value: it must not be blocked. */
  readonly allowed: boolean;
  readonly allow: MatchRecord[];
  readonly matches: MatchRecord[];
  /** What feeds used to list (expired entries with exactly this value). */
  readonly expired: MatchRecord[];
  /** ASN and country of an address query, when a database is open. */
  readonly context?: { asn: number | null; as_org: string | null; country: string | null };
  readonly note?: string;
}

/** Builds the answer: threat matches and allow-list entries apart. */
export function describeMatches(found: ValueMatches<StoredIndicator>, expired: readonly StoredIndicator[] = []): MatchAnswer {
  const toRecord = (m: IndexMatch<StoredIndicator>) => matchRecord(m.indicator, m.how);
  const allow = found.matches.filter((m) => m.indicator.kind === 'allow').map(toRecord);
  const matches = found.matches.filter((m) => m.indicator.kind !== 'allow').map(toRecord);
  return {
    query: found.query,
    type: found.type ?? null,
    allowed: allow.length > 0,
    allow,
    matches,
    expired: expired.map((i) => matchRecord(i, 'expired')),
    ...(found.type === undefined ? { note: 'not an address, network, domain, URL, hash or AS number' } : {}),
  };
}
