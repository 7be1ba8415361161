// The Native block encoder against bytes worked out by hand from ClickHouse's Native format
// (a block: column count, row count, then per column its name, its type and its values).

import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../core/columns.js';
import { parseIp } from '../../core/ip.js';
import { NativeBlockEncoder } from './clickhouse-native-block.js';

/** Splits an encoded block back into columns: name, type and the raw value bytes that follow. */
function columnsOf(bytes: Buffer): { count: number; rows: number; header: Map<string, { type: string; at: number }> } {
  let at = 0;
  const varUInt = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
      shift += 7;
    }
  };
  const str = (): string => {
    const n = varUInt();
    const s = bytes.subarray(at, at + n).toString('utf8');
    at += n;
    return s;
  };
  const count = varUInt();
  const rows = varUInt();
  return { count, rows, header: new Map([[str(), { type: str(), at }]]) };
}

const base: FlowRecord = {
  start: 1_700_000_000_123,
  end: 1_700_000_000_456,
  src: parseIp('192.0.2.1')!,
  dst: parseIp('2001:db8::1')!,
  sport: 0x1234,
  dport: 443,
  proto: 6,
  tcp_flags: 0x1b,
  packets: 2 ** 32 + 5, // needs the high word
  bytes: 1500,
};

describe('NativeBlockEncoder', () => {
  it('writes a block header with the row count and only the columns some record fills', () => {
    const block = new NativeBlockEncoder().encode([base, { ...base, in_if: 7 }] as unknown as Record<string, unknown>[]);
    // 10 required columns + in_if; every other optional column is left to its default.
    expect(block.columns).toEqual(['start', 'end', 'src', 'dst', 'sport', 'dport', 'proto', 'tcp_flags', 'packets', 'bytes', 'in_if']);
    const bytes = Buffer.concat(block.pieces);
    const { count, rows, header } = columnsOf(bytes);
    expect([count, rows]).toEqual([11, 2]);
    expect(header.get('start')?.type).toBe("DateTime64(3, 'UTC')");
  });

  it('encodes times, addresses, integers and null maps as ClickHouse reads them', () => {
    const block = new NativeBlockEncoder().encode([base, { ...base, in_if: 7 }] as unknown as Record<string, unknown>[]);
    const hex = Buffer.concat(block.pieces).toString('hex');
    // start: 1700000000123 = 0x0000018B_CFE5_687B -> little-endian 7b 68 e5 cf 8b 01 00 00, twice.
    expect(hex).toContain('05' + Buffer.from('start').toString('hex') + '14' + Buffer.from("DateTime64(3, 'UTC')").toString('hex') + '7b68e5cf8b010000'.repeat(2));
    // src 192.0.2.1 as IPv4-mapped IPv6 in network order: ::ffff:c000:0201.
    expect(hex).toContain('03' + Buffer.from('src').toString('hex') + '04' + Buffer.from('IPv6').toString('hex') + '00000000000000000000ffffc0000201'.repeat(2));
    // dst 2001:db8::1, network order.
    expect(hex).toContain('20010db8000000000000000000000001'.repeat(2));
    // sport 0x1234 little-endian; packets 2^32+5 = words 5, 1.
    expect(hex).toContain('0573706f7274' + '06' + Buffer.from('UInt16').toString('hex') + '3412'.repeat(2));
    expect(hex).toContain('0500000001000000'.repeat(2));
    // in_if: Nullable(UInt32), null map (1 = NULL) [1, 0], then values [0, 7].
    expect(hex).toContain(Buffer.from('Nullable(UInt32)').toString('hex') + '0100' + '00000000' + '07000000');
  });

  it('encodes countries as nullable strings and tags as offsets then strings', () => {
    const rows = [
      { ...base, src_country: 'NL', tags: ['c2', 'x'] },
      { ...base, tags: [] },
      { ...base, tags: ['ü'] },
    ];
    const hex = Buffer.concat(new NativeBlockEncoder().encode(rows as unknown as Record<string, unknown>[]).pieces).toString('hex');
    // null map [0, 1, 1]; strings "NL", "", "".
    expect(hex).toContain(Buffer.from('Nullable(String)').toString('hex') + '000101' + '024e4c' + '00' + '00');
    // Array(String): end offsets 2, 2, 3 as UInt64, then "c2", "x", "ü" (2 UTF-8 bytes).
    expect(hex).toContain(Buffer.from('Array(String)').toString('hex') + '0200000000000000' + '0200000000000000' + '0300000000000000' + '026332' + '0178' + '02c3bc');
  });

  it('reuses its arrays: a smaller batch after a larger one carries nothing over', () => {
    const encoder = new NativeBlockEncoder();
    encoder.encode([{ ...base, in_if: 1 }, { ...base, in_if: 2 }] as unknown as Record<string, unknown>[]);
    const second = encoder.encode([base] as unknown as Record<string, unknown>[]);
    expect(second.columns).not.toContain('in_if');
    expect(columnsOf(Buffer.concat(second.pieces)).rows).toBe(1);
  });
});
