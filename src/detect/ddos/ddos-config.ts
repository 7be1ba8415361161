// Settings of the DDoS detector, with the defaults docs/detections.md explains.

import { z } from 'zod';

/** Settings; every field has a default. */
export const ddosConfig = z.object({
  /** Width of a rate bucket, seconds: rates are judged per destination per bucket. */
  bucketSeconds: z.number().int().min(10).max(3600).default(60),
  /** History before the window from which each destination's usual rates are learned (0: none). */
  baselineHours: z.number().min(0).max(24 * 31).default(24),
  /** Buckets of data (history, or else the window itself) needed before a median and MAD mean anything. */
  minBaselineBuckets: z.number().int().min(3).default(30),
  /** Absolute floors: below all of them a destination is never a candidate, whatever its history. */
  floorPps: z.number().positive().default(1_000),
  floorBps: z.number().positive().default(100_000_000),
  /** Distinct sources in one bucket that make a fan-in flood, when they also send `floorFanInPps`. */
  floorSources: z.number().int().min(2).default(100),
  floorFanInPps: z.number().positive().default(50),
  /** New TCP connections a minute from one source to one service (victim and port) that make a session flood. */
  floorSourceConnections: z.number().positive().default(1_000),
  /** Shortest span a connection rate is taken over, ms: a page load's burst is not extrapolated to a minute. */
  minConnectionSpanMs: z.number().int().min(1).default(10_000),
  /** Flows a bucket needs to be a flood at all: fewer, however fat, are transfers. */
  floorFlows: z.number().int().min(1).default(10),
  /** Shortest span a bucket's rate is taken over, ms: a burst shorter than this is spread over it. */
  minSpanMs: z.number().int().min(1).default(1_000),
  /** A bucket is attack-level when it exceeds median + robustZ x 1.4826 x MAD of its baseline... */
  robustZ: z.number().positive().default(5),
  /** ...and minRatio x the median (and the floors). */
  minRatio: z.number().min(1).default(2),
  /** Quiet buckets allowed inside one attack episode. */
  episodeGapBuckets: z.number().int().min(0).default(5),
  /** A TCP ACK or RST flow of at most this many packets per sampled packet counts as flood traffic. */
  floodFlowPackets: z.number().int().min(1).default(3),
  /** UDP source ports watched for reflection beyond the built-in list. */
  extraReflectionPorts: z.array(z.number().int().min(1).max(65535)).default([]),
  /** How far before an episode the victim's own requests to reflectors are looked for, minutes. */
  requestLookbackMinutes: z.number().min(0).default(10),
  /** Sources listed as entities per finding. */
  topSources: z.number().int().min(0).max(1000).default(10),
  /** Destinations examined per run, hottest first. */
  maxCandidates: z.number().int().min(1).default(200),
  /** The main vector's weight x share must reach this: a surge of fat transfers or of answers is no flood. */
  minVector: z.number().min(0).max(1).default(0.25),
  /** Findings below this score are not reported. */
  minScore: z.number().min(0).max(1).default(0.4),
});
export type DdosConfig = z.infer<typeof ddosConfig>;

/** The defaults, parsed. */
export const DDOS_DEFAULTS: DdosConfig = ddosConfig.parse({});
