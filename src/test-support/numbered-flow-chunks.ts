// Encoded flow chunks whose flows carry their number in the source port, so that a test can tell
// which flows a batch, a spool record or a store holds after chunks were cut and put together.

import { decodeFlowChunks, encodeFlowChunk } from '../collect/flow-codec.js';
import type { FlowRecord } from '../core/columns.js';

/** One chunk of flows numbered first..first+n-1; those numbered in `ipv6` have an IPv6 destination. */
export function numberedChunk(first: number, n: number, ipv6: ReadonlySet<number> = new Set()): Uint8Array {
  return encodeFlowChunk(
    Array.from({ length: n }, (_, i) => ({ start: 0, end: 0, src: 1, dst: ipv6.has(first + i) ? 2n ** 127n : 2, sport: first + i, dport: 0, proto: 17, tcp_flags: 0, packets: 1, bytes: 1 })),
  );
}

/** How many of the flows numbered first..first+n-1 are in `ipv6`. */
export function ipv6Among(first: number, n: number, ipv6: ReadonlySet<number>): number {
  return [...ipv6].filter((f) => f >= first && f < first + n).length;
}

/** The numbers of the flows in `chunks`, in order. */
export function flowNumbers(chunks: readonly Uint8Array[]): number[] {
  const flows: FlowRecord[] = [];
  for (const c of chunks) decodeFlowChunks(c, flows);
  return flows.map((f) => f.sport);
}
