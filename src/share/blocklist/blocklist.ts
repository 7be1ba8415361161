// The block list model: entries (an address or network with its reason, evidence, confidence,
// activity span and expiry) and the entries held back by the safety check with their reasons.

import type { BlocklistCriteria } from './blocklist-criteria.js';

/** Why an entry is listed: a finding that accused the address, or an indicator that names it. */
export type BlockEvidence =
  | {
      readonly type: 'finding';
      readonly id: string;
      readonly kind: string;
      readonly subkind: string;
      /** The role the address had in the finding (scanner, c2...). */
      readonly role: string;
      readonly score: number;
      readonly summary: string;
      /** The Vantage query that shows the flows behind the finding, over from..to. */
      readonly query: string;
      readonly from: string;
      readonly to: string;
    }
  | {
      readonly type: 'indicator';
      readonly source: string;
      /** The indicator as the feed gave it (an address, a network, address:port). */
      readonly indicator: string;
      readonly confidence: number | null;
      readonly tags: readonly string[];
      readonly file: string;
      readonly line: number;
      /** The feed's own line. */
      readonly raw: string;
    };

/** One value to block. */
export interface BlockEntry {
  /** An address (`192.0.2.7`) or a network (`198.51.100.0/24`). */
  readonly value: string;
  readonly family: 4 | 6;
  /** One line saying why (the findings and feeds behind it). */
  readonly reason: string;
  /** 0..100: the highest of the finding scores (x100) and indicator confidences; null when none says. */
  readonly confidence: number | null;
  /** Activity span, ISO 8601 UTC: the findings' first/last and the feeds' first/last seen (or load times). */
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** When the entry should leave the list (last activity plus the expiry), or null for never. */
  readonly expires: string | null;
  readonly evidence: readonly BlockEvidence[];
}

/** The safety rules. */
export const HOLD_RULES = ['allow-listed', 'watched', 'legitimate-traffic', 'reserved', 'too-broad', 'expired'] as const;
export type HoldRule = (typeof HOLD_RULES)[number];

/** One reason an entry was held back. */
export interface HoldReason {
  readonly rule: HoldRule;
  /** What matched: the allow entry and its source, the watchlist, the traffic counts... */
  readonly detail: string;
}

/** An entry the safety check held back, with every rule that caught it. */
export interface HeldEntry extends BlockEntry {
  readonly held: readonly HoldReason[];
}

/** A built block list. */
export interface BlockList {
  /** The saved list's name, when built from one. */
  readonly name?: string;
  /** When it was built (ISO 8601 UTC); expiry timeouts count from here. */
  readonly builtAt: string;
  readonly criteria: BlocklistCriteria;
  /** The window two-way traffic was measured over (ISO 8601), when the store has flows. */
  readonly window: { readonly from: string; readonly to: string } | null;
  readonly entries: readonly BlockEntry[];
  readonly held: readonly HeldEntry[];
}
