import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../../core/ip.js';
import { viewOf } from '../read-bytes.js';
import { decodeFrame, LINKTYPE } from './decode-packet.js';
import { PacketInfo } from './packet-info.js';
import { UdpDatagramExtractor } from './udp-datagram-extractor.js';

// Frame builders: enough of each header for the decoder (checksums are not checked).
const u16 = (n: number) => [n >> 8, n & 255];
const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const v4 = (text: string) => u32(parseIp(text) as number);
const v6 = (text: string) => {
  const n = parseIp(text) as bigint;
  return Array.from({ length: 16 }, (_, i) => Number((n >> BigInt(120 - i * 8)) & 255n));
};
const MAC_A = [2, 0, 0, 0, 0, 1];
const MAC_B = [2, 0, 0, 0, 0, 2];
const eth = (type: number, payload: number[], dst = MAC_B, src = MAC_A) => [...dst, ...src, ...u16(type), ...payload];
const vlanTag = (tpid: number, vlan: number) => [...u16(tpid), ...u16(vlan)];
function ipv4(src: string, dst: string, proto: number, payload: number[], opts: { id?: number; mf?: boolean; offset?: number; tos?: number; ttl?: number } = {}): number[] {
  const flags = (opts.mf ? 0x2000 : 0) | ((opts.offset ?? 0) / 8);
  return [0x45, opts.tos ?? 0, ...u16(20 + payload.length), ...u16(opts.id ?? 1), ...u16(flags), opts.ttl ?? 64, proto, 0, 0, ...v4(src), ...v4(dst), ...payload];
}
const ipv6 = (src: string, dst: string, next: number, payload: number[], flowLabel = 0) => [0x60 | 0, 0x80 | ((flowLabel >> 16) & 15), ...u16(flowLabel & 0xffff), ...u16(payload.length), next, 64, ...v6(src), ...v6(dst), ...payload];
const udp = (sport: number, dport: number, payload: number[]) => [...u16(sport), ...u16(dport), ...u16(8 + payload.length), 0, 0, ...payload];
const tcp = (sport: number, dport: number, flags: number) => [...u16(sport), ...u16(dport), ...u32(1), ...u32(0), 0x50, flags, ...u16(1024), 0, 0, 0, 0];

function decode(frame: number[], linkType: number = LINKTYPE.ETHERNET, options = {}): PacketInfo {
  const bytes = new Uint8Array(frame);
  const info = new PacketInfo();
  decodeFrame(viewOf(bytes), 0, bytes.length, linkType, info, options);
  return info;
}

describe('decodeFrame', () => {
  it('Ethernet / IPv4 / TCP', () => {
    const p = decode(eth(0x0800, ipv4('10.0.0.1', '10.0.0.2', 6, tcp(1234, 80, 0x12), { tos: 0x20, ttl: 61, id: 0xabcd })));
    expect({ src: formatIp(p.src!), dst: formatIp(p.dst!), proto: p.proto, sport: p.sport, dport: p.dport, tcpFlags: p.tcpFlags, tos: p.tos, ttl: p.ttl, id: p.fragmentId, ipLength: p.ipLength }).toEqual({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      proto: 6,
      sport: 1234,
      dport: 80,
      tcpFlags: 0x12,
      tos: 0x20,
      ttl: 61,
      id: 0xabcd,
      ipLength: 40,
    });
    expect([p.srcMac, p.dstMac]).toEqual([0x020000000001, 0x020000000002]);
  });

  it('802.1Q and QinQ (0x88a8 then 0x8100): the inner tag is the VLAN, the outer kept too', () => {
    const p = decode(eth(0x88a8, [...u16(100), ...vlanTag(0x8100, 0x2000 | 42), ...u16(0x0800), ...ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2, []))]));
    expect([p.outerVlan, p.vlan, p.vlanCount, formatIp(p.src!)]).toEqual([100, 42, 2, '1.1.1.1']);
  });

  it('MPLS label stack then IPv6; Ethernet over MPLS with a control word keeps the outer MACs', () => {
    const labels = [...u32((16 << 12) | 0x40), ...u32((17 << 12) | 0x140)]; // bottom-of-stack on the second
    const p = decode(eth(0x8847, [...labels, ...ipv6('2001:db8::1', '2001:db8::2', 17, udp(5, 6, []))]));
    expect([p.mplsLabels, formatIp(p.src!), p.dport]).toEqual([[16, 17], '2001:db8::1', 6]);
    const inner = eth(0x0800, ipv4('198.51.100.1', '198.51.100.2', 6, tcp(443, 55427, 0x10)), [2, 0, 0, 0, 0, 5], [2, 0, 0, 0, 0, 6]);
    const q = decode(eth(0x8847, [...u32((300012 << 12) | 0x1ff), 0, 0, 0, 0, ...inner], [2, 0, 0, 0, 0, 3], [2, 0, 0, 0, 0, 4]));
    expect([q.mplsLabels, formatIp(q.src!), q.sport, q.dstMac, q.srcMac]).toEqual([[300012], '198.51.100.1', 443, 0x020000000003, 0x020000000004]);
  });

  it('IPv6 extension headers (hop-by-hop, destination options, fragment) before UDP', () => {
    const hopByHop = [60, 0, 1, 4, 0, 0, 0, 0]; // next: destination options, 8 bytes
    const destOpts = [44, 0, 1, 4, 0, 0, 0, 0]; // next: fragment
    const fragment = [17, 0, ...u16(0x0001), ...u32(0xcafe)]; // offset 0, M=1, next UDP
    const p = decode(eth(0x86dd, ipv6('2001:db8::1', '2001:db8::2', 0, [...hopByHop, ...destOpts, ...fragment, ...udp(53, 4000, [1, 2, 3])], 0x12345)));
    expect([p.proto, p.sport, p.dport, p.moreFragments, p.fragmentId, p.flowLabel, p.tos]).toEqual([17, 53, 4000, true, 0xcafe, 0x12345, 0x08]);
    const later = decode(eth(0x86dd, ipv6('2001:db8::1', '2001:db8::2', 44, [17, 0, ...u16(0x0010), ...u32(1), 9, 9, 9, 9])));
    expect([later.proto, later.sport, later.fragmentOffset]).toEqual([17, -1, 16]); // no ports in a non-first fragment
  });

  it('ICMP and ICMPv6 type and code', () => {
    expect(decode(eth(0x0800, ipv4('1.1.1.1', '2.2.2.2', 1, [8, 0, 0, 0, 0, 1, 0, 1]))).icmpType).toBe(8);
    const p = decode(eth(0x86dd, ipv6('fe80::1', 'ff02::1', 58, [135, 0, 0, 0])));
    expect([p.icmpType, p.icmpCode]).toEqual([135, 0]);
  });

  it('VXLAN: the inner frame when asked, outer addresses and VNI kept', () => {
    const inner = eth(0x86dd, ipv6('2001:db8:4::1', '2001:db8:4::3', 58, [128, 0, 0, 0]), [1, 2, 3, 4, 5, 6], [0xca, 0x6e, 0x98, 0xf8, 0x49, 0x8f]);
    const frame = eth(0x0800, ipv4('192.168.108.40', '192.168.15.14', 17, udp(50000, 4789, [0x08, 0, 0, 0, ...u32(100 << 8), ...inner])));
    const outer = decode(frame);
    expect([formatIp(outer.src!), outer.dport, outer.vni]).toEqual(['192.168.108.40', 4789, -1]);
    const p = decode(frame, LINKTYPE.ETHERNET, { decapsulateVxlan: true });
    expect([formatIp(p.src!), formatIp(p.dst!), p.icmpType, p.vni, formatIp(p.outerSrc!), formatIp(p.outerDst!), p.srcMac]).toEqual(['2001:db8:4::1', '2001:db8:4::3', 128, 100, '192.168.108.40', '192.168.15.14', 0xca6e98f8498f]);
  });

  it('link types: Linux cooked v1 and v2, raw IP, BSD loopback, PPPoE', () => {
    const ip = ipv4('10.1.1.1', '10.2.2.2', 17, udp(2055, 9995, [0, 9]));
    const sll = [0, 0, 0, 1, 0, 6, ...MAC_A, 0, 0, ...u16(0x0800), ...ip];
    const sll2 = [...u16(0x0800), 0, 0, ...u32(2), 0, 1, 0, 6, ...MAC_A, 0, 0, ...ip];
    for (const [frame, link] of [
      [sll, LINKTYPE.LINUX_SLL],
      [sll2, LINKTYPE.LINUX_SLL2],
      [ip, LINKTYPE.RAW],
      [ip, LINKTYPE.IPV4],
      [[2, 0, 0, 0, ...ip], LINKTYPE.NULL],
      [eth(0x8864, [0x11, 0, 0, 1, ...u16(ip.length + 2), ...u16(0x0021), ...ip]), LINKTYPE.ETHERNET],
    ] as const) {
      const p = decode([...frame], link);
      expect([formatIp(p.src!), p.sport, p.dport]).toEqual(['10.1.1.1', 2055, 9995]);
    }
  });

  it('the IPv4 total length bounds the payload (Ethernet padding is not data)', () => {
    const p = decode([...eth(0x0800, ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2, [7]))), 0, 0, 0, 0, 0, 0]);
    expect(p.payloadEnd - p.payloadOffset).toBe(1);
  });

  it('never throws on any prefix of a frame, and flags truncation', () => {
    const frame = eth(0x8100, [...u16(5), ...u16(0x8847), ...u32((16 << 12) | 0x100), ...ipv6('2001:db8::1', '2001:db8::2', 0, [6, 0, 1, 4, 0, 0, 0, 0, ...tcp(1, 2, 3)])]);
    for (let n = 0; n < frame.length; n++) {
      const p = decode(frame.slice(0, n));
      expect(p.sport === -1 || p.truncated || n >= frame.length - 16).toBe(true);
    }
    expect(decode(frame).tcpFlags).toBe(3);
  });
});

describe('UdpDatagramExtractor', () => {
  it('yields UDP payloads with the source address, counts what is not UDP', () => {
    const x = new UdpDatagramExtractor();
    const d = x.extract(new Uint8Array(eth(0x0800, ipv4('192.0.2.100', '192.0.2.1', 17, udp(47873, 2055, [0, 9, 0, 1])))), LINKTYPE.ETHERNET, 0);
    expect([formatIp(d!.src), d!.sport, d!.dport, [...d!.payload]]).toEqual(['192.0.2.100', 47873, 2055, [0, 9, 0, 1]]);
    expect(x.extract(new Uint8Array(eth(0x0800, ipv4('1.1.1.1', '2.2.2.2', 6, tcp(1, 2, 2)))), LINKTYPE.ETHERNET, 0)).toBeUndefined();
    expect(x.extract(new Uint8Array(eth(0x0806, [0, 1, 8, 0])), LINKTYPE.ETHERNET, 0)).toBeUndefined();
    expect(x.extract(new Uint8Array([1, 2, 3]), 147, 0)).toBeUndefined();
    expect(x.stats).toMatchObject({ frames: 4, datagrams: 1, notUdp: 1, notIp: 1, unsupportedLink: 1 });
  });

  it('skips a datagram cut by the snap length', () => {
    const x = new UdpDatagramExtractor();
    const frame = eth(0x0800, ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2, Array.from({ length: 100 }, (_, i) => i))));
    expect(x.extract(new Uint8Array(frame.slice(0, 60)), LINKTYPE.ETHERNET, 0)).toBeUndefined();
    expect(x.stats.truncated).toBe(1);
  });

  it('reassembles IPv4 fragments (out of order) and IPv6 fragments', () => {
    const payload = Array.from({ length: 1500 }, (_, i) => i & 255);
    const whole = udp(4000, 2055, payload); // 1508 bytes of UDP
    const first = eth(0x0800, ipv4('10.0.0.1', '10.0.0.2', 17, whole.slice(0, 1000), { id: 7, mf: true }));
    const second = eth(0x0800, ipv4('10.0.0.1', '10.0.0.2', 17, whole.slice(1000), { id: 7, offset: 1000 }));
    const x = new UdpDatagramExtractor();
    expect(x.extract(new Uint8Array(second), LINKTYPE.ETHERNET, 0)).toBeUndefined();
    const d = x.extract(new Uint8Array(first), LINKTYPE.ETHERNET, 1);
    expect([d!.dport, d!.payload.length, [...d!.payload].every((b, i) => b === (i & 255))]).toEqual([2055, 1500, true]);
    expect(x.stats).toMatchObject({ fragments: 2, reassembled: 1, datagrams: 1 });

    const frag = (offset: number, more: boolean, body: number[]) => eth(0x86dd, ipv6('2001:db8::1', '2001:db8::2', 44, [17, 0, ...u16(offset | (more ? 1 : 0)), ...u32(99), ...body]));
    const y = new UdpDatagramExtractor();
    expect(y.extract(new Uint8Array(frag(0, true, whole.slice(0, 800))), LINKTYPE.ETHERNET, 0)).toBeUndefined();
    const e = y.extract(new Uint8Array(frag(800, false, whole.slice(800))), LINKTYPE.ETHERNET, 0);
    expect([formatIp(e!.src), e!.sport, e!.payload.length]).toEqual(['2001:db8::1', 4000, 1500]);
  });
});
