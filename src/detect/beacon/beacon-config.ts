// The beacon detector's settings: a zod schema with the defaults docs/detections.md explains,
// and the score options derived from them.

import { z } from 'zod';
import { parseCidr, type IpRange } from '../../core/ip.js';
import { BEACON_SCORE_DEFAULTS, type BeaconScoreOptions } from './score.js';

const D = BEACON_SCORE_DEFAULTS;

const weights = z
  .object({
    timestamp: z.number().min(0).max(1).default(D.weights.timestamp),
    dataSize: z.number().min(0).max(1).default(D.weights.dataSize),
    histogram: z.number().min(0).max(1).default(D.weights.histogram),
    duration: z.number().min(0).max(1).default(D.weights.duration),
  })
  .refine((w) => Math.abs(w.timestamp + w.dataSize + w.histogram + w.duration - 1) < 1e-9, { message: 'beacon weights must sum to 1' });

const prevalence = z.object({
  rareShare: z.number().min(0).max(1).default(D.prevalence.rareShare),
  rareIncrease: z.number().min(0).max(1).default(D.prevalence.rareIncrease),
  commonShare: z.number().min(0).max(1).default(D.prevalence.commonShare),
  commonDecrease: z.number().min(0).max(1).default(D.prevalence.commonDecrease),
  minClients: z.number().int().min(1).default(D.prevalence.minClients),
});

/** Settings; docs/detections.md gives the reasoning behind each default. */
export const beaconConfig = z.object({
  /** Connections a pair needs in the window (after merging the flows of one connection). RITA's floor is 4. */
  minConnections: z.number().int().min(4).default(10),
  /** The same for pairs whose flows are packet-sampled (sampling > 1): most short connections are never seen. */
  minConnectionsSampled: z.number().int().min(4).default(6),
  /** Findings below this score (after the prevalence modifier) are not reported. */
  minScore: z.number().min(0).max(1).default(0.8),
  /**
   * A pair is a beacon only if its timing scores at least this (RITA's timestamp score, or the
   * multiples check for sampled pairs): the histogram, duration and sizes rank beacons, they cannot
   * make irregular traffic one. The floor applies from 20 intervals; it rises towards 1 for fewer
   * (`timingFloor` in score.ts).
   */
  minTiming: z.number().min(0).max(1).default(0.85),
  /** Findings reported per run, best first (each runs its evidence query). */
  maxFindings: z.number().int().min(1).default(100),
  /** Candidate pairs scored per run, most flows first: bounds the run on large windows. */
  maxPairs: z.number().int().min(1).default(5000),
  /** Pairs with more flows than this in the window are skipped (more than one a second over a day is a service, not a beacon). */
  maxFlowsPerPair: z.number().int().min(4).default(100_000),
  /**
   * Internal networks (CIDRs). When set, only pairs whose client is inside are examined, and only
   * towards servers outside (RITA's scope: C2 servers are external); empty: every pair.
   */
  internalNetworks: z
    .array(z.string())
    .default([])
    .refine((list) => list.every((c) => parseCidr(c) !== undefined), { message: 'internalNetworks: every entry must be a CIDR such as 10.0.0.0/8' }),
  /**
   * Also examine internal servers (lateral beacons, internal resolvers and proxies included).
   * Without internal networks, "internal" means both ends in private address space.
   */
  includeInternalServers: z.boolean().default(false),
  /**
   * Service ports left out: NTP (123) keeps clocks in step by polling servers on a timer, so every
   * NTP client and server is a perfect beacon. Empty the list to look at them too.
   */
  ignorePorts: z.array(z.number().int().min(0).max(65535)).default([123]),
  /** Flows of one client port starting within this long after the previous one ends are one connection. */
  adjacentGapMs: z.number().int().min(0).default(1000),
  /** A TCP flow without SYN continues its client port's previous flow when it starts within this long of its end (active-timeout splits). */
  continuationGapMs: z.number().int().min(0).default(300_000),
  /**
   * Software vendors' own AS numbers, whose products call home on a timer (updates, telemetry,
   * push): Microsoft (8075, 8068), Apple (714, 6185), ESET (50881). A beacon to a server in one
   * of them scores `vendorDecrease` less, unless intelligence names the server. Microsoft's AS
   * also holds Azure, where a C2 server can be rented: such a beacon needs a score of
   * minScore + vendorDecrease to be reported. Empty the list to treat every AS alike.
   */
  vendorAsns: z.array(z.number().int().min(0)).default([8075, 8068, 714, 6185, 50881]),
  vendorDecrease: z.number().min(0).max(1).default(0.2),
  weights: weights.default(D.weights),
  prevalence: prevalence.default(D.prevalence),
  /** Multiples check tolerance, in periods. */
  periodTolerance: z.number().min(0.01).max(0.25).default(D.periodTolerance),
});
export type BeaconConfig = z.infer<typeof beaconConfig>;

/** The score options a config stands for. */
export function scoreOptions(config: BeaconConfig): BeaconScoreOptions {
  return { ...D, weights: config.weights, prevalence: config.prevalence, periodTolerance: config.periodTolerance };
}

/** The internal networks of a config, parsed (the schema has checked them). */
export function internalRanges(config: BeaconConfig): IpRange[] {
  return config.internalNetworks.map((c) => parseCidr(c)!);
}
