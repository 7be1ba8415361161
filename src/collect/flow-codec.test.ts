import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/columns.js';
import { parseIp } from '../core/ip.js';
import { decodeFlowChunks, encodeFlowChunk, FLOW_CHUNK_MAGIC, FlowChunkEncoder, FlowChunkError, splitFlowChunk } from './flow-codec.js';

const v4 = (t: string) => parseIp(t) as number;
const v6 = (t: string) => parseIp(t) as bigint;

const FULL: FlowRecord = {
  start: 1_700_000_000_123,
  end: 1_700_000_001_456,
  src: v4('10.1.2.3'),
  dst: v6('2001:db8::1'),
  sport: 65535,
  dport: 443,
  proto: 6,
  tcp_flags: 0x1b,
  packets: 2 ** 40 + 1, // beyond 32 bits, still exact in a double
  bytes: 9_007_199_254_740_991,
  exporter: v6('fe80::ffff:ffff:ffff:ffff'),
  in_if: 4294967295,
  out_if: 0,
  sampling: 1000,
  src_as: 64512,
  dst_as: null,
  next_hop: v4('192.0.2.1'),
  src_vlan: 4095,
  tos: 184,
  end_reason: 3,
  src_country: 'FR',
  dst_country: 'ÅX', // non-ASCII survives
  tags: ['c2', 'feodo:emotet', ''],
};

function blank(record: FlowRecord): Record<string, unknown> {
  // Decoded records carry every column; those absent in the input come back null.
  const out: Record<string, unknown> = {
    start: null, end: null, src: null, dst: null, sport: null, dport: null, proto: null, tcp_flags: null, packets: null, bytes: null,
    exporter: null, in_if: null, out_if: null, sampling: null, src_as: null, dst_as: null, next_hop: null, src_vlan: null,
    dst_vlan: null, icmp_type: null, icmp_code: null, tos: null, direction: null, end_reason: null, src_country: null,
    dst_country: null, tags: null,
  };
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out[k] = v;
  return out;
}

describe('flow codec', () => {
  it('round-trips every column kind: v4/v6 addresses, 64-bit counters, nulls, text and tags', () => {
    const minimal: FlowRecord = { start: 0, end: 0, src: 0, dst: 4294967295, sport: 0, dport: 0, proto: 0, tcp_flags: 0, packets: 0, bytes: 0 };
    const out: FlowRecord[] = [];
    expect(decodeFlowChunks(encodeFlowChunk([FULL, minimal]), out)).toBe(2);
    expect(out[0]).toEqual(blank(FULL));
    expect(out[1]).toEqual(blank(minimal));
    expect(typeof out[0]!.dst).toBe('bigint');
    expect(typeof out[0]!.src).toBe('number');
  });

  it('decodes chunks written back to back (a spool record holds several)', () => {
    const encoder = new FlowChunkEncoder(64); // tiny start: forces the buffer to grow
    const records = Array.from({ length: 1000 }, (_, i): FlowRecord => ({ ...FULL, sport: i, tags: i % 2 ? ['x'.repeat(i)] : null }));
    for (const r of records.slice(0, 600)) encoder.add(r);
    const first = encoder.finish();
    expect(encoder.count).toBe(0);
    for (const r of records.slice(600)) encoder.add(r);
    const second = encoder.finish();
    const both = new Uint8Array(first.length + second.length);
    both.set(first);
    both.set(second, first.length);
    const out: FlowRecord[] = [];
    expect(decodeFlowChunks(both, out)).toBe(1000);
    expect(out.map((r) => r.sport)).toEqual(records.map((r) => r.sport));
    expect(out[999]!.tags).toEqual(['x'.repeat(999)]);
  });

  it('encodes later chunks into the buffers given back (recycle), whatever those still hold', () => {
    const encoder = new FlowChunkEncoder(4096);
    const records = (from: number) => Array.from({ length: 20 }, (_, i): FlowRecord => ({ ...FULL, sport: from + i, tags: i % 3 ? null : [`t${from + i}`] }));
    const encode = (from: number) => {
      for (const r of records(from)) encoder.add(r);
      return encoder.finish();
    };
    const first = encode(0);
    encoder.recycle(new ArrayBuffer(16)); // smaller than the encoder's buffers: not kept
    encoder.recycle(first.buffer as ArrayBuffer);
    const second = encode(100); // written into the buffer made when `first` was finished
    const third = encode(200); // written over `first`
    expect(third.buffer).toBe(first.buffer);
    expect(second.buffer).not.toBe(first.buffer);
    const out: FlowRecord[] = [];
    decodeFlowChunks(third, out);
    expect(out).toEqual(records(200).map(blank));
    out.length = 0;
    decodeFlowChunks(second, out);
    expect(out).toEqual(records(100).map(blank));
  });

  it('reads a chunk written by another column set: unknown columns skipped, missing ones null', () => {
    // Hand-built chunk: columns (sport u16, future u32, src ip), one row.
    const name = (s: string) => [...s].map((c) => c.charCodeAt(0));
    const bytes = Uint8Array.from([
      ...[FLOW_CHUNK_MAGIC >>> 24, (FLOW_CHUNK_MAGIC >>> 16) & 255, (FLOW_CHUNK_MAGIC >>> 8) & 255, FLOW_CHUNK_MAGIC & 255],
      0, 3,
      4, 5, ...name('sport'),
      5, 6, ...name('future'),
      2, 3, ...name('src'),
      0, 0, 0, 1, // one row
      0b111, // bitmap: all three present
      0x01, 0xbb, // sport 443
      0, 0, 0, 7, // future
      4, 10, 0, 0, 1, // src 10.0.0.1
    ]);
    const out: FlowRecord[] = [];
    decodeFlowChunks(bytes, out);
    expect(out).toHaveLength(1);
    expect(out[0]!.sport).toBe(443);
    expect(out[0]!.src).toBe(v4('10.0.0.1'));
    expect(out[0]!.dport).toBeNull();
    expect(out[0]).not.toHaveProperty('future');
  });

  it('rejects foreign or cut bytes with FlowChunkError', () => {
    const chunk = encodeFlowChunk([FULL]);
    expect(() => decodeFlowChunks(chunk.subarray(0, chunk.length - 3), [])).toThrow(FlowChunkError);
    expect(() => decodeFlowChunks(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), [])).toThrow(FlowChunkError);
  });

  it('counts the rows with an IPv6 address in any address column, and cuts a chunk after its n-th row without one', () => {
    // Rows 0-9; rows 2, 5 and 6 have an IPv6 address (5 only in next_hop), so the IPv4 rows are 0, 1, 3, 4, 7, 8, 9.
    const six = new Set([2, 5, 6]);
    const records = Array.from({ length: 10 }, (_, i): FlowRecord => {
      const r: FlowRecord = { ...FULL, sport: i, src: v4('10.0.0.1'), dst: v4('10.0.0.2'), next_hop: null, exporter: v4('192.0.2.9') };
      if (i === 2 || i === 6) r.dst = v6(`2001:db8::${i}`);
      if (i === 5) r.next_hop = v6('2001:db8::5');
      return r;
    });
    const encoder = new FlowChunkEncoder();
    for (const r of records) encoder.add(r);
    expect(encoder.ipv6Count).toBe(3);
    const bytes = encoder.finish();
    expect(encoder.ipv6Count).toBe(0); // a new chunk starts
    const ports = (chunk: Uint8Array) => {
      const out: FlowRecord[] = [];
      decodeFlowChunks(chunk, out);
      return out.map((r) => r.sport);
    };
    // The 4th IPv4 row is row 4: the head ends there; rows 5 and 6 (IPv6) start the tail.
    const split = splitFlowChunk(bytes, 4, 3)!;
    expect(ports(split.head)).toEqual([0, 1, 2, 3, 4]);
    expect(ports(split.tail)).toEqual([5, 6, 7, 8, 9]);
    expect([split.headFlows, split.headIpv6, split.tailFlows, split.tailIpv6]).toEqual([5, 1, 5, 2]);
    // After the last IPv4 row nothing is left.
    const all = splitFlowChunk(bytes, 7, 3)!;
    expect(ports(all.head)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([all.tailFlows, ports(all.tail).length]).toEqual([0, 0]);
    // The parts are whole chunks: every value of a row survives the cut.
    const out: FlowRecord[] = [];
    decodeFlowChunks(split.tail, out);
    expect(out[1]).toEqual(blank(records[6]!));
    expect(() => splitFlowChunk(bytes.subarray(0, bytes.length - 3), 7, 3)).toThrow(FlowChunkError);
  });
});
