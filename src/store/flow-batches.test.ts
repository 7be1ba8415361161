import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/columns.js';
import { FlowBatchCutter, hasIpv6Address } from './flow-batches.js';

/** Flow number `n` (its source port); IPv6 ones have an IPv6 destination, or next hop. */
function flow(n: number, ipv6: 'dst' | 'next_hop' | undefined = undefined): FlowRecord {
  const r: FlowRecord = { start: 0, end: 0, src: 1, dst: 2, sport: n, dport: 0, proto: 17, tcp_flags: 0, packets: 1, bytes: 1 };
  if (ipv6 === 'dst') r.dst = 2n ** 127n;
  if (ipv6 === 'next_hop') r.next_hop = 1n;
  return r;
}

describe('FlowBatchCutter', () => {
  it('tells an IPv6 address in any address column', () => {
    expect([flow(0), flow(1, 'dst'), flow(2, 'next_hop')].map(hasIpv6Address)).toEqual([false, true, true]);
  });

  it('cuts batches of exactly `size` IPv4 flows off a growing list, IPv6 flows riding along', () => {
    const cutter = new FlowBatchCutter(3);
    const pending: FlowRecord[] = [];
    const batches: number[][] = [];
    // Flows 0-9 arrive two at a time; 1 and 5 are IPv6 (5 only in its next hop).
    for (let n = 0; n < 10; n += 2) {
      pending.push(flow(n, n === 1 ? 'dst' : undefined), flow(n + 1, n + 1 === 1 ? 'dst' : n + 1 === 5 ? 'next_hop' : undefined));
      for (let full; (full = cutter.take(pending)); ) batches.push(full.map((f) => f.sport));
    }
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(pending.map((f) => f.sport)).toEqual([8, 9]);
  });

  it('ends a batch of IPv6 flows alone at twice `size`', () => {
    const cutter = new FlowBatchCutter(2);
    const pending = Array.from({ length: 9 }, (_, n) => flow(n, 'dst'));
    const sizes: number[] = [];
    for (let full; (full = cutter.take(pending)); ) sizes.push(full.length);
    expect([sizes, pending.length]).toEqual([[4, 4], 1]);
  });
});
