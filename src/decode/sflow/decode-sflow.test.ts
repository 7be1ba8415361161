import { describe, expect, it } from 'vitest';
import { formatIp } from '../../core/ip.js';
import { capturePaths, datagramsOf, decodeShared, mutate, prng, tsharkRecords } from '../../test-support/flow-captures.js';
import { requireTool } from '../../test-support/shared-data.js';
import { decodeExportDatagram } from '../decode-export-datagram.js';
import { decodedFlowToJson, type DecodedFlow } from '../decoded-flow.js';
import { createDecoderState } from '../decoder-state.js';

const AK = 'flow-export/akvorado/sflow';
const json = (f: DecodedFlow) => decodedFlowToJson(f);
const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

/** An sFlow v5 datagram with an IPv4 agent and the given samples ([format, body]). */
function datagram(samples: Array<[number, number[]]>): Uint8Array {
  return new Uint8Array([...u32(5), ...u32(1), 192, 0, 2, 1, ...u32(0), ...u32(1), ...u32(1000), ...u32(samples.length), ...samples.flatMap(([format, body]) => [...u32(format), ...u32(body.length), ...body])]);
}
/** A compact flow sample: rate, input/output (compact encoding) and records ([format, body]). */
function flowSample(rate: number, input: number, output: number, records: Array<[number, number[]]>): number[] {
  return [...u32(1), ...u32(7), ...u32(rate), ...u32(0), ...u32(0), ...u32(input), ...u32(output), ...u32(records.length), ...records.flatMap(([format, body]) => [...u32(format), ...u32(body.length), ...body])];
}
// Sampled IPv4 record: length 1000, UDP, 10.0.0.1:1234 -> 10.0.0.2:53, flags 0, tos 0.
const sampledIpv4: [number, number[]] = [3, [...u32(1000), ...u32(17), 10, 0, 0, 1, 10, 0, 0, 2, ...u32(1234), ...u32(53), ...u32(0), ...u32(0)]];

describe('sFlow worked examples', () => {
  it('a flow sample is one flow: packets = rate, bytes = L3 length x rate, time = receive time', () => {
    const r = decodeExportDatagram(datagram([[1, flowSample(512, 3, 4, [sampledIpv4])]]), 0, 1_700_000_000_123, createDecoderState());
    expect(r.errors).toEqual([]);
    expect(json(r.records[0]!)).toMatchObject({ version: 'sflow5', exporter: '192.0.2.1', src: '10.0.0.1', dst: '10.0.0.2', sport: 1234, dport: 53, proto: 17, packets: 512, bytes: 512_000, sampling: 512, in_if: 3, out_if: 4 });
    expect(r.records[0]).toMatchObject({ start: 1_700_000_000_123, end: 1_700_000_000_123 });
  });

  it('interfaces: local (0x3FFFFFFF) and non-ifIndex formats become 0, discard reason kept', () => {
    const r = decodeExportDatagram(datagram([[1, flowSample(1, 0x3fffffff, 0x40000000 | 258, [sampledIpv4])]]), 0, 0, createDecoderState());
    expect(r.records[0]).toMatchObject({ in_if: 0, out_if: 0 });
    expect(r.records[0]!.extra).toMatchObject({ discardReason: 258 });
  });

  it('counter samples are counted; a sample running past the datagram is rejected with a code', () => {
    const counters = decodeExportDatagram(datagram([[2, [0, 0, 0, 0]], [4, [0, 0, 0, 0]]]), 0, 0, createDecoderState());
    expect(counters).toMatchObject({ counterSamples: 2, records: [], errors: [] });
    const bad = datagram([[1, flowSample(1, 1, 2, [sampledIpv4])]]);
    new DataView(bad.buffer).setUint32(32, 10_000); // the sample's length
    expect(decodeExportDatagram(bad, 0, 0, createDecoderState()).errors).toEqual([{ code: 'DECODE_BAD_LENGTH', offset: 32 }]);
  });
});

describe.skipIf(!capturePaths([`${AK}/data-1140.pcap`]))('akvorado sFlow captures', () => {
  // Expected values: akvorado outlet/flow/decoder/sflow/root_test.go. akvorado's Bytes is the L3
  // length of one sampled packet; Vantage scales it (and packets) by the sampling rate. The
  // exporter is the sFlow agent address, as in akvorado's ExporterAddress.
  const one = (file: string) => decodeShared([`${AK}/${file}`]).records;
  const v6flow = { src: '2a0c:8880:2:0:185:21:130:38', dst: '2a0c:8880:2:0:185:21:130:39', exporter: '172.16.0.3', sampling: 1024, packets: 1024, bytes: 1500 * 1024, proto: 6, sport: 46026, dport: 22, tos: 8, tcp_flags: 0x10, src_mac: '24:6e:96:90:7a:50', dst_mac: '24:6e:96:04:3c:08', src_vlan: 100, dst_vlan: 100 };

  it('basic: 5 flow samples', () => {
    const records = one('data-1140.pcap');
    expect(records).toHaveLength(5); // SOURCES.md: 5 flow samples
    expect(json(records[0]!)).toMatchObject({ ...v6flow, in_if: 27, out_if: 28 });
    expect(json(records[1]!)).toMatchObject({ sampling: 1024, src: '104.26.8.24', dst: '45.90.161.46', exporter: '172.16.0.3', next_hop: '45.90.161.46', in_if: 49001, out_if: 25, dst_vlan: 100, src_as: 13335, dst_as: 39421, src_mask: 20, dst_mask: 27, bytes: 421 * 1024, packets: 1024, proto: 6, sport: 443, dport: 56876, src_mac: 'c4:ca:2b:ae:34:37', dst_mac: 'ae:18:b0:4b:26:8a', tcp_flags: 0x18 });
    expect(records[1]!.src_vlan ?? 0).toBe(0);
    expect(json(records[2]!)).toMatchObject({ ...v6flow, in_if: 27, out_if: 28 });
    expect(json(records[3]!)).toMatchObject({ sampling: 1024, in_if: 28, out_if: 49001, src_vlan: 100, src_as: 39421, dst_as: 26615, src: '45.90.161.148', dst: '191.87.91.27', next_hop: '31.14.69.110', src_mask: 27, dst_mask: 17, bytes: 40 * 1024, packets: 1024, proto: 6, sport: 55658, dport: 5555, src_mac: '7e:12:7c:7b:fa:f0', dst_mac: 'c4:ca:2b:ae:34:37', tcp_flags: 0x2 });
    expect(records[3]!.extra).toMatchObject({ asPath: [203698, 6762, 26615], communities: [2583495656, 2583495657, 4259880000, 4259880001, 4259900001] });
    expect(json(records[4]!)).toMatchObject({ ...v6flow, in_if: 27, out_if: 28 });
  });

  it('local, discard and multiple output interfaces -> out_if 0', () => {
    expect(json(one('data-local-interface.pcap')[0]!)).toMatchObject({ ...v6flow, in_if: 27, out_if: 0 });
    const discard = one('data-discard-interface.pcap')[0]!;
    expect(json(discard)).toMatchObject({ ...v6flow, in_if: 27, out_if: 0 });
    expect(discard.extra).toMatchObject({ discardReason: 1 }); // akvorado: ForwardingStatus 131 (unroutable)
    expect(json(one('data-multiple-interfaces.pcap')[0]!)).toMatchObject({ ...v6flow, in_if: 27, out_if: 0 });
  });

  it('expanded flow sample, sampled IPv4 record, raw IPv4 headers', () => {
    expect(json(one('data-sflow-expanded-sample.pcap')[0]!)).toMatchObject({ sampling: 1000, in_if: 29001, out_if: 1285816721, src: '52.52.52.52', dst: '53.53.53.53', exporter: '49.49.49.49', next_hop: '54.54.54.54', src_as: 203476, dst_as: 203361, src_vlan: 809, dst_vlan: 809, src_mask: 32, dst_mask: 22, bytes: 104 * 1000, packets: 1000, proto: 6, sport: 22, dport: 52237, tcp_flags: 0x18, tos: 0x8, src_mac: '94:8e:d3:0a:71:3b', dst_mac: '22:42:1f:4a:9f:cd' });
    const ipv4data = one('data-sflow-ipv4-data.pcap')[0]!;
    expect(json(ipv4data)).toMatchObject({ sampling: 256, in_if: 0, out_if: 182, dst_vlan: 3001, src: '50.50.50.50', dst: '51.51.51.51', exporter: '49.49.49.49', bytes: 1344 * 256, packets: 256, proto: 17, sport: 46622, dport: 58631, src_mac: '00:fe:c8:99:05:47', dst_mac: '01:00:5e:2a:aa:04' });
    expect(ipv4data.src_vlan ?? 0).toBe(0);
    expect(one('data-sflow-raw-ipv4.pcap').map((f) => json(f))).toMatchObject([
      { sampling: 1, in_if: 0, out_if: 2, src: '69.58.92.107', dst: '92.222.186.1', exporter: '172.19.64.116', bytes: 32, packets: 1, proto: 1, tos: 8 },
      { sampling: 1, in_if: 0, out_if: 2, src: '69.58.92.107', dst: '92.222.184.1', exporter: '172.19.64.116', bytes: 32, packets: 1, proto: 1, tos: 8 },
    ]);
  });

  it('ICMPv4 and ICMPv6 headers (type also folded into dport)', () => {
    expect(json(one('data-icmpv4.pcap')[0]!)).toMatchObject({ sampling: 1, src: '203.0.113.4', dst: '203.0.113.5', bytes: 84, packets: 1, proto: 1, dst_mac: 'd2:5b:45:ee:5e:cf', src_mac: 'e2:ef:c6:8f:8c:d4', icmp_type: 8, icmp_code: 0, dport: 2048 });
    expect(json(one('data-icmpv6.pcap')[0]!)).toMatchObject({ sampling: 1, src: 'fe80::d05b:45ff:feee:5ecf', dst: '2001:db8::', bytes: 72, packets: 1, proto: 58, src_mac: 'd2:5b:45:ee:5e:cf', dst_mac: 'e2:ef:c6:8f:8c:d4', icmp_type: 135, icmp_code: 0 });
  });

  it('QinQ: the inner VLAN; VXLAN: the inner frame, outer addresses kept', () => {
    expect(json(one('data-qinq.pcap')[0]!)).toMatchObject({ sampling: 4096, in_if: 369098852, out_if: 369098851, src_vlan: 1493, dst_vlan: 1493, src: '49.49.49.2', dst: '49.49.49.109', exporter: '172.17.128.58', bytes: 80 * 4096, packets: 4096, proto: 6, src_mac: '4c:ae:a3:52:0f:f6', dst_mac: '00:01:10:62:14:93', tcp_flags: 16, sport: 32017, dport: 443 });
    const vxlan = one('data-encap-vxlan.pcap')[0]!;
    expect(json(vxlan)).toMatchObject({ sampling: 1, src: '2001:db8:4::1', dst: '2001:db8:4::3', bytes: 104, packets: 1, proto: 58, src_mac: 'ca:6e:98:f8:49:8f', dst_mac: '01:02:03:04:05:06', icmp_type: 128 });
    expect(vxlan.extra).toMatchObject({ outerSource: '192.168.108.40', outerDestination: '192.168.15.14', vxlanVni: 100 });
  });
});

describe.skipIf(!capturePaths(['flow-export/tcpdump/sflow-print-v6.pcap']))('tcpdump and nDPI sFlow captures', () => {
  it('sflow-print-v6: 25 datagrams from an IPv6 agent, 48 counter and 13 flow samples', () => {
    // SOURCES.md (measured) and tcpdump tests/sflow-print-v6.out.
    const { records, results } = decodeShared(['flow-export/tcpdump/sflow-print-v6.pcap']);
    expect(results).toHaveLength(25);
    expect(results.reduce((n, r) => n + r.counterSamples, 0)).toBe(48);
    expect(records).toHaveLength(13);
    expect(records.every((f) => formatIp(f.exporter!) === '30::1:1:1')).toBe(true);
    expect(results.flatMap((r) => r.errors)).toEqual([]);
  });

  it('sflow_expanded: the one expanded flow sample of tcpdump’s -v output', () => {
    // tcpdump tests/sflow_expanded.out: agent 49.49.49.49, rate 1000, input 29001, output 1285816721.
    const { records } = decodeShared(['flow-export/tcpdump/sflow_expanded.pcap']);
    expect(records.map((f) => [formatIp(f.exporter!), f.sampling, f.in_if, f.out_if])).toEqual([['49.49.49.49', 1000, 29001, 1285816721]]);
  });

  it('sflow_multiple_counter_30_pdus: 144 counter samples, and 5 NetFlow v5 datagrams sent to 6343', () => {
    // tshark counts 142 expanded + 2 compact counter samples; frames 13, 19-22 are NetFlow v5
    // (tcpdump: "sFlow version 327681 packet not supported"): recognised here by their header.
    const { records, results } = decodeShared(['flow-export/tcpdump/sflow_multiple_counter_30_pdus.pcap']);
    expect(results.reduce((n, r) => n + r.counterSamples, 0)).toBe(144);
    expect(results.filter((r) => r.version === 5)).toHaveLength(5);
    expect(records.every((f) => f.version === 5)).toBe(true);
    expect(results.flatMap((r) => r.errors)).toEqual([]);
  });

  it('nDPI sflow.pcap: 8 counter samples and 1 flow sample', () => {
    const { records, results } = decodeShared(['flow-export/ndpi/sflow.pcap']);
    expect(results.reduce((n, r) => n + r.counterSamples, 0)).toBe(8);
    expect(records).toHaveLength(1);
  });
});

describe.skipIf(!capturePaths([`${AK}/data-1140.pcap`]) || !requireTool('tshark'))('tshark agrees on sFlow captures', () => {
  const files = [`${AK}/data-1140.pcap`, `${AK}/data-sflow-raw-ipv4.pcap`, `${AK}/data-qinq.pcap`, `${AK}/data-sflow-expanded-sample.pcap`, 'flow-export/tcpdump/sflow-print-v6.pcap'];
  it.each(files)('%s: src, dst, ports, proto, sampling rate, IP length', (file) => {
    const { records } = decodeShared([file]);
    const last = (f: Map<string, string[]>, ...keys: string[]) => {
      for (const k of keys) if (f.has(k)) return f.get(k)![f.get(k)!.length - 1];
      return undefined;
    };
    const shark = tsharkRecords(capturePaths([file])![0]!, [], ['ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'udp.srcport', 'tcp.dstport', 'udp.dstport', 'ip.proto', 'ipv6.nxt', 'ip.len', 'ipv6.plen', 'sflow.flow_sample.sampling_rate']).map(({ fields: f }) => [
      last(f, 'ip.src', 'ipv6.src'),
      last(f, 'ip.dst', 'ipv6.dst'),
      last(f, 'tcp.srcport', 'udp.srcport') ?? '0',
      last(f, 'tcp.dstport', 'udp.dstport') ?? '0',
      last(f, 'ip.proto', 'ipv6.nxt'),
      last(f, 'sflow.flow_sample.sampling_rate'),
      f.has('ip.len') ? last(f, 'ip.len') : String(Number(last(f, 'ipv6.plen')) + 40),
    ]);
    expect(shark.length).toBe(records.length);
    expect(records.map((r) => [formatIp(r.src), formatIp(r.dst), String(r.proto === 1 || r.proto === 58 ? 0 : r.sport), String(r.proto === 1 || r.proto === 58 ? 0 : r.dport), String(r.proto), String(r.sampling), String(r.bytes / r.sampling)])).toEqual(shark);
  });
});

describe('sFlow fuzz', () => {
  it('4 000 mutated datagrams from real captures: no exception, bad lengths rejected with a code', () => {
    const seeds = [
      ...datagramsOf(`${AK}/data-1140.pcap`),
      ...datagramsOf(`${AK}/data-encap-vxlan.pcap`),
      ...datagramsOf(`${AK}/data-qinq.pcap`),
      ...datagramsOf(`${AK}/data-sflow-expanded-sample.pcap`),
      ...datagramsOf('flow-export/tcpdump/sflow-print-v6.pcap'),
    ];
    if (seeds.length === 0) return;
    const random = prng(6343);
    const state = createDecoderState();
    for (let i = 0; i < 4_000; i++) {
      const seed = seeds[i % seeds.length]!;
      const bytes = mutate(seed.bytes, random);
      const r = decodeExportDatagram(bytes, seed.exporter, seed.receivedAt, state);
      expect(r.errors.filter((e) => e.code === 'DECODE_INTERNAL')).toEqual([]);
      for (const f of r.records) expect(Number.isFinite(f.bytes) && Number.isFinite(f.packets)).toBe(true);
      // IPv4 agent, at least one sample: a first sample claiming bytes past the end is rejected.
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (bytes.length >= 36 && v.getUint32(0) === 5 && v.getUint32(4) === 1 && v.getUint32(24) > 0 && 36 + v.getUint32(32) > bytes.length) {
        expect(r.errors).toContainEqual({ code: 'DECODE_BAD_LENGTH', offset: 32 });
      }
    }
  });
});
