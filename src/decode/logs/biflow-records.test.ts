import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../core/columns.js';
import { parseIp } from '../../core/ip.js';
import { biflowRecords, parseTimeMicros, type Biflow } from './biflow-records.js';

describe('parseTimeMicros', () => {
  it.each([
    ['2019/04/04 16:24:47.672448', Date.UTC(2019, 3, 4, 16, 24, 47, 672) * 1000 + 448],
    ['2017-07-07 13:39:36.267908', Date.UTC(2017, 6, 7, 13, 39, 36, 267) * 1000 + 908],
    ['2017-07-07 13:39:36.2679', Date.UTC(2017, 6, 7, 13, 39, 36, 267) * 1000 + 900],
    ['2017-07-07 13:39:36.26', Date.UTC(2017, 6, 7, 13, 39, 36, 260) * 1000],
    ['2017-07-07 13:39:36', Date.UTC(2017, 6, 7, 13, 39, 36) * 1000],
    ['2017-07-07T13:39:36.267908+02:00', Date.UTC(2017, 6, 7, 11, 39, 36, 267) * 1000 + 908],
  ])('%s', (text, expected) => {
    expect(parseTimeMicros(text)).toBe(expected);
  });
  it('NaN when malformed', () => {
    expect(parseTimeMicros('2017-13-07 13:39:36')).toBeNaN();
  });
});

describe('biflowRecords', () => {
  const base: Biflow = { startMs: 1000, endMs: 2000, src: parseIp('fe80::1')!, dst: parseIp('ff02::2')!, sport: 0, dport: 0, proto: 58, srcPackets: 1, srcBytes: 56, srcFlags: 0, dstPackets: 1, dstBytes: 56, dstFlags: 0, icmpType: 135, icmpCode: 0 };

  it('ICMPv6 neighbour solicitation answered by an advertisement: 135 forward, 136 back', () => {
    const out: FlowRecord[] = [];
    expect(biflowRecords(base, out)).toBe(2);
    expect(out.map((f) => [f.src, f.dport, f.icmp_type, f.icmp_code])).toEqual([
      [base.src, 135 * 256, 135, 0],
      [base.dst, 136 * 256, 136, 0],
    ]);
  });

  it('ICMP without a known type keeps the ports as given and sets no type', () => {
    const out: FlowRecord[] = [];
    biflowRecords({ ...base, proto: 1, icmpType: undefined, icmpCode: undefined, dstPackets: 0 }, out);
    expect(out).toEqual([{ start: 1000, end: 2000, src: base.src, dst: base.dst, sport: 0, dport: 0, proto: 1, tcp_flags: 0, packets: 1, bytes: 56, icmp_type: undefined, icmp_code: undefined, tos: undefined, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null }]);
  });

  it('the source flow is written even with no source packets; the reverse only with destination packets', () => {
    const out: FlowRecord[] = [];
    expect(biflowRecords({ ...base, proto: 6, sport: 1234, dport: 80, srcPackets: 0, srcBytes: 0, dstPackets: 0, dstBytes: 0 }, out)).toBe(1);
    expect(out[0]).toMatchObject({ sport: 1234, dport: 80, packets: 0 });
  });
});
