// Session floods, pure: one or a few sources opening thousands of short, alike TCP sessions a
// minute to one service (LOIC, HULK, GoldenEye). Fan-in is nil, so what the sessions look like
// carries the case: a flood tool repeats one request, a proxy or NAT gateway fetches whatever its
// users ask for.

import { floodShape, WEB_PORTS } from './vector.js';

/** One source's connection-opening flows to the service during an episode. */
export interface SessionSource {
  readonly ip: string;
  /** Connections, estimated (sampling applied). */
  readonly connections: number;
  /** Connection-opening flows as stored, and their packets in sampled units. */
  readonly flows: number;
  readonly sampledPackets: number;
  /** Sum and sum of squares of the flows' bytes. */
  readonly sumBytes: number;
  readonly sumBytes2: number;
  readonly first: number;
  readonly last: number;
}

/**
 * Coefficient of variation (standard deviation / mean) of bytes per session over the sources'
 * flows pooled. Scaling by a sampling rate leaves it unchanged.
 */
export function sessionSizeCv(sources: readonly SessionSource[]): number {
  const n = sources.reduce((s, x) => s + x.flows, 0);
  const sum = sources.reduce((s, x) => s + x.sumBytes, 0);
  const sum2 = sources.reduce((s, x) => s + x.sumBytes2, 0);
  if (n === 0 || sum <= 0) return Infinity;
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sum2 / n - mean * mean)) / mean;
}

/**
 * How alike the sessions are: 1 - CV of their sizes, 0 from a CV of 1 on. A flood tool's
 * sessions differ by a retransmission or two (CV ~0.1); web traffic's sizes are heavy-tailed
 * (CV well above 1), so a proxy, a NAT gateway or a crawler at the same rate earns nothing.
 */
export function sessionRegularity(cv: number): number {
  if (!(cv >= 0)) return 0;
  return Math.max(0, 1 - cv);
}

/**
 * The session vector's weight: regularity x flood shape (short sessions, 1 up to 20 packets per
 * sampled flow, falling to 0 at 2,000: a few fat transfers are no flood).
 */
export function sessionWeight(cv: number, packetsPerFlow: number): number {
  return sessionRegularity(cv) * floodShape(packetsPerFlow);
}

/**
 * The flood's sources: the busiest, and each other one that alone opened connections at the
 * attack level over the episode (`level` a minute, the episode `minutes` long).
 */
export function floodSources(sources: readonly SessionSource[], level: number, minutes: number): SessionSource[] {
  return sources.filter((s, i) => i === 0 || s.connections / Math.max(minutes, 1e-9) >= level);
}

/** `http-flood` on a web port, else `connection-flood`. */
export function sessionFloodName(port: number): string {
  return WEB_PORTS.has(port) ? 'http-flood' : 'connection-flood';
}

/** The Vantage query that shows the flood's connections (narrowed to its source when there is one). */
export function sessionQuery(victim: string, port: number, src: string | null): string {
  return `dst ip ${victim} and proto tcp and dst port ${port}${src !== null ? ` and src ip ${src}` : ''}`;
}
