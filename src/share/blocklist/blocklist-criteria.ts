// What a block list is built from and how it is checked: the sources (findings by kind, role and
// score; indicators by feed, tag and confidence), the expiry, and the safety thresholds, as one
// zod schema with documented defaults. Saved lists store these criteria, never their entries.

import { z } from 'zod';
import { VantageError } from '../../core/errors.js';
import { parseCidr } from '../../core/ip.js';
import { parseDuration } from '../../core/time.js';

/**
 * Finding roles whose address is blocked: the attacker side of what happened. Scanners,
 * brute-forcers and repeat attackers (`attacker`), DDoS sources and reflectors, C2 servers, the
 * server a host beacons to, and the Log4Shell callback and payload hosts. Never the victim,
 * target, client, infected or compromised host, nor our own hosts: blocking those cuts off the
 * side that needs help.
 */
export const BLOCK_ROLES = ['attacker', 'scanner', 'c2', 'reflector', 'server', 'callback', 'payload'] as const;

/** The output formats. */
export const BLOCKLIST_FORMATS = ['plain', 'csv', 'json', 'nft', 'ipset'] as const;
export type BlocklistFormat = (typeof BLOCKLIST_FORMATS)[number];

const duration = (hint = '') => z.string().refine((t) => parseDuration(t) !== undefined, { message: `a duration such as 12h, 7d or 2w${hint}` });

/**
 * The safety check's settings. An address carries substantial established two-way traffic when,
 * over `lookback` before the newest stored flow, it exchanged TCP traffic carrying ACK in both
 * directions (bytes each way) with at least `minPeers` distinct internal peers, or with fewer
 * peers but in at least `minFlows` flows from its side and `minBytes` bytes each way.
 */
export const safetyConfig = z
  .object({
    /** How far back from the newest stored flow two-way traffic is counted. */
    lookback: duration().default('30d'),
    /** Distinct internal peers with established two-way TCP that make an address a service we use (a CDN, a SaaS API). */
    minPeers: z.number().int().min(1).default(10),
    /** Or: established flows from the address to our peers (each way counted once per flow)... */
    minFlows: z.number().int().min(1).default(20),
    /** ...and at least this many bytes each way (IP bytes): a sustained relationship such as a customer or an update server. */
    minBytes: z.number().int().min(1).default(10_000),
    /**
     * Our networks, whose hosts count as internal peers. Empty: the perimeter watchlists'
     * networks and hosts; when there are none either, every peer counts.
     */
    internalNetworks: z.array(z.string().refine((t) => parseCidr(t) !== undefined, { message: 'a network such as 192.0.2.0/24' })).default([]),
    /** Shortest IPv4 prefix blocked (a /8 blocks a continent's worth of customers). */
    minPrefixV4: z.number().int().min(0).max(32).default(16),
    /** Shortest IPv6 prefix blocked. */
    minPrefixV6: z.number().int().min(0).max(128).default(32),
    /** Let private, loopback, multicast, documentation and other special-purpose space through. */
    allowReserved: z.boolean().default(false),
    /** Let networks broader than minPrefixV4 / minPrefixV6 through. */
    allowBroad: z.boolean().default(false),
  })
  .strict();
export type SafetyConfig = z.infer<typeof safetyConfig>;

/** The criteria of a block list (what `vantage blocklist save` stores). */
export const blocklistCriteria = z
  .object({
    /** Take the attacker-side addresses of stored findings. */
    fromFindings: z.boolean().default(true),
    /** Finding kinds (scan, c2, beacon...); empty: every kind. */
    kinds: z.array(z.string().min(1).max(40)).max(40).default([]),
    /** Roles blocked (see BLOCK_ROLES). */
    roles: z.array(z.enum(BLOCK_ROLES)).min(1).default([...BLOCK_ROLES]),
    /** Findings scoring below this (0..1) are left out. */
    minScore: z.number().min(0).max(1).default(0),
    /** Take address, network and address:port indicators of threat feeds. */
    fromIntel: z.boolean().default(false),
    /** Feed sources (`ipsum`, `maltrail:emotet`) or their prefixes (`maltrail`); empty: every threat feed. */
    feeds: z.array(z.string().min(1).max(120)).max(100).default([]),
    /** Indicators carrying at least one of these tags; empty: any. */
    tags: z.array(z.string().min(1).max(120)).max(100).default([]),
    /**
     * Indicators below this confidence (0..100) are left out; when set, indicators that state
     * no confidence are left out too (nothing says they reach it).
     */
    minConfidence: z.number().min(0).max(100).optional(),
    /** Only indicators whose address or network appears in stored flows over the safety lookback. */
    seenOnly: z.boolean().default(false),
    /** How long an entry stays after its last activity (`7d`), or `never`. */
    expire: z.union([z.literal('never'), duration(", or 'never'")]).default('7d'),
    safety: safetyConfig.prefault({}),
  })
  .strict();
export type BlocklistCriteria = z.infer<typeof blocklistCriteria>;
export type BlocklistCriteriaInput = z.input<typeof blocklistCriteria>;

/** Checks criteria; the error names the field at fault. */
export function parseCriteria(input: unknown): BlocklistCriteria {
  const parsed = blocklistCriteria.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new VantageError('USAGE', `block list criteria: ${issue.path.join('.') || '(criteria)'}: ${issue.message}`);
  }
  if (!parsed.data.fromFindings && !parsed.data.fromIntel) throw new VantageError('USAGE', 'block list criteria: take entries from findings, intelligence or both');
  return parsed.data;
}

/** The expiry as milliseconds after last activity, or null for never. */
export function expireMs(criteria: Pick<BlocklistCriteria, 'expire'>): number | null {
  return criteria.expire === 'never' ? null : parseDuration(criteria.expire)!;
}
