import { describe, expect, it } from 'vitest';
import { parseIp } from '../../core/ip.js';
import { FLOW_END_REASON, FlowAssembler, type FlowAssemblerOptions, type PacketFrame } from './flow-assembler.js';
import { NO_IDLE_TIMEOUTS, parseFlowTimeouts, SOFTFLOWD_TIMEOUTS } from './flow-timeouts.js';

const RAW = 101; // LINKTYPE_RAW: the frame is the IP packet
const ETHERNET = 1;
const A = '10.0.0.1';
const B = '10.0.0.2';

function ip4(text: string): number[] {
  return text.split('.').map(Number);
}

/** An IPv4 packet; `fragment` = [offset in bytes, more fragments]. */
function ipv4(src: string, dst: string, proto: number, l4: number[], options: { id?: number; fragment?: [number, boolean]; totalLength?: number } = {}): number[] {
  const total = options.totalLength ?? 20 + l4.length;
  const [offset, more] = options.fragment ?? [0, false];
  const flagsOffset = (more ? 0x2000 : 0) | (offset / 8);
  const id = options.id ?? 1;
  return [0x45, 0, total >> 8, total & 255, id >> 8, id & 255, flagsOffset >> 8, flagsOffset & 255, 64, proto, 0, 0, ...ip4(src), ...ip4(dst), ...l4];
}

function tcp(sport: number, dport: number, flags: number, payload = 0): number[] {
  return [sport >> 8, sport & 255, dport >> 8, dport & 255, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, flags, 0, 0, 0, 0, 0, 0, ...new Array(payload).fill(0)];
}

function udp(sport: number, dport: number, payload = 0): number[] {
  const len = 8 + payload;
  return [sport >> 8, sport & 255, dport >> 8, dport & 255, len >> 8, len & 255, 0, 0, ...new Array(payload).fill(0)];
}

const SYN = 2, ACK = 16, FIN = 1, RST = 4, PSH = 8;

function frame(bytes: number[], seconds: number, linkType = RAW): PacketFrame {
  return { data: Uint8Array.from(bytes), linkType, timestamp: Math.round(seconds * 1000), originalLength: bytes.length };
}

function run(frames: PacketFrame[], options: FlowAssemblerOptions = {}) {
  const assembler = new FlowAssembler(options);
  for (const f of frames) assembler.addFrame(f);
  assembler.flush();
  return { flows: assembler.takeOutput(), stats: assembler.stats };
}

describe('flow assembly', () => {
  it('one TCP connection: a record per direction, flags OR-ed, counts per direction', () => {
    const { flows } = run([
      frame(ipv4(A, B, 6, tcp(40000, 80, SYN)), 0),
      frame(ipv4(B, A, 6, tcp(80, 40000, SYN | ACK)), 0.01),
      frame(ipv4(A, B, 6, tcp(40000, 80, ACK | PSH, 100)), 0.02),
      frame(ipv4(B, A, 6, tcp(80, 40000, ACK | PSH, 1000)), 0.05),
      frame(ipv4(A, B, 6, tcp(40000, 80, FIN | ACK)), 1),
      frame(ipv4(B, A, 6, tcp(80, 40000, FIN | ACK)), 1.01),
      frame(ipv4(A, B, 6, tcp(40000, 80, ACK)), 1.02),
    ]);
    expect(flows).toEqual([
      expect.objectContaining({ src: parseIp(A), dst: parseIp(B), sport: 40000, dport: 80, proto: 6, packets: 4, bytes: 40 * 4 + 100, tcp_flags: SYN | ACK | PSH | FIN, start: 0, end: 1020, end_reason: FLOW_END_REASON.FORCED }),
      expect.objectContaining({ src: parseIp(B), dst: parseIp(A), sport: 80, dport: 40000, packets: 3, bytes: 40 * 3 + 1000, tcp_flags: SYN | ACK | PSH | FIN, start: 10, end: 1010 }),
    ]);
  });

  it('UDP idle timeout 300 s: a gap of 301 s splits the flow, 299 s does not', () => {
    const p = (t: number) => frame(ipv4(A, B, 17, udp(5353, 53, 10)), t);
    expect(run([p(0), p(299), p(598)]).flows.map((f) => f.packets)).toEqual([3]);
    const split = run([p(0), p(301)]).flows;
    expect(split.map((f) => [f.packets, f.start, f.end_reason])).toEqual([
      [1, 0, FLOW_END_REASON.IDLE],
      [1, 301_000, FLOW_END_REASON.FORCED],
    ]);
  });

  it('both directions share one expiry: a reply keeps the request direction alive (softflowd)', () => {
    // A->B at 0 and 400; B->A at 200: the conversation is never idle for 300 s.
    const flows = run([
      frame(ipv4(A, B, 17, udp(1000, 2000)), 0),
      frame(ipv4(B, A, 17, udp(2000, 1000)), 200),
      frame(ipv4(A, B, 17, udp(1000, 2000)), 400),
    ]).flows;
    expect(flows.map((f) => [f.src, f.packets])).toEqual([
      [parseIp(A), 2],
      [parseIp(B), 1],
    ]);
  });

  it('TCP after RST expires after 120 s idle; after FIN both ways 300 s; FIN one way keeps 3600 s', () => {
    const t = (flags: number, at: number, from = A, to = B) => frame(ipv4(from, to, 6, from === A ? tcp(1, 2, flags) : tcp(2, 1, flags)), at);
    // RST at 10 s, then a packet 121 s later: a new flow (end of flow detected).
    expect(run([t(SYN, 0), t(RST, 10), t(ACK, 131)]).flows.map((f) => [f.packets, f.end_reason])).toEqual([
      [2, FLOW_END_REASON.END_DETECTED],
      [1, FLOW_END_REASON.FORCED],
    ]);
    expect(run([t(SYN, 0), t(RST, 10), t(ACK, 129)]).flows).toHaveLength(1);
    // FIN from both ends at 10 s: 300 s.
    expect(run([t(FIN, 0), t(FIN, 10, B, A), t(ACK, 311)]).flows.filter((f) => f.src === parseIp(A)).map((f) => f.packets)).toEqual([1, 1]);
    // FIN from one end only: the TCP timeout (3600 s) still applies.
    expect(run([t(FIN, 0), t(ACK, 311), t(ACK, 3900)]).flows.map((f) => f.packets)).toEqual([3]);
    expect(run([t(FIN, 0), t(ACK, 3601)]).flows.map((f) => f.packets)).toEqual([1, 1]);
  });

  it('active timeout (maxlife): a long flow is cut into flows no longer than maxlife', () => {
    const timeouts = parseFlowTimeouts('maxlife=100');
    const frames = Array.from({ length: 26 }, (_, i) => frame(ipv4(A, B, 17, udp(1, 2)), i * 10)); // 0..250 s
    const { flows } = run(frames, { timeouts });
    // A flow expires at start + maxlife (softflowd's rule); the next packet starts a new one.
    expect(flows.map((f) => [f.start / 1000, f.end / 1000, f.end_reason])).toEqual([
      [0, 100, FLOW_END_REASON.ACTIVE],
      [110, 210, FLOW_END_REASON.ACTIVE],
      [220, 250, FLOW_END_REASON.FORCED],
    ]);
  });

  it('ICMP: source port 0, destination port type*256+code, type and code kept', () => {
    const echo = [8, 0, 0, 0, 0, 1, 0, 1];
    const reply = [0, 0, 0, 0, 0, 1, 0, 1];
    const unreachable = [3, 3, 0, 0, 0, 0, 0, 0];
    const { flows } = run([frame(ipv4(A, B, 1, echo), 0), frame(ipv4(B, A, 1, reply), 0.1), frame(ipv4(B, A, 1, unreachable), 0.2)]);
    expect(flows.map((f) => [f.src, f.sport, f.dport, f.icmp_type, f.icmp_code])).toEqual([
      [parseIp(A), 0, 2048, 8, 0],
      [parseIp(B), 0, 0, 0, 0],
      [parseIp(B), 0, 771, 3, 3],
    ]);
  });

  it('IPv4 fragments: a fragmented datagram is one packet of its flow, with every fragment counted once in bytes', () => {
    // A 2000-byte UDP datagram in three fragments of 1480 + 520 + ... data bytes.
    const first = ipv4(A, B, 17, udp(5000, 53, 1472), { id: 7, fragment: [0, true] }); // 20 + 1480
    const second = ipv4(A, B, 17, new Array(400).fill(0), { id: 7, fragment: [1480, true] });
    const third = ipv4(A, B, 17, new Array(128).fill(0), { id: 7, fragment: [1880, false] });
    const expected = { sport: 5000, dport: 53, packets: 1, bytes: first.length + second.length + third.length };
    let r = run([frame(first, 0), frame(second, 0.001), frame(third, 0.002)]);
    expect(r.flows).toEqual([expect.objectContaining(expected)]);
    expect(r.stats).toMatchObject({ fragments: 3, laterFragments: 2, packets: 1, orphanFragments: 0 });
    // Out of order: later fragments first.
    r = run([frame(third, 0), frame(second, 0.001), frame(first, 0.002)]);
    expect(r.flows).toEqual([expect.objectContaining(expected)]);
    // The first fragment never comes: after 30 s the rest is one port-less packet.
    r = run([frame(second, 0), frame(third, 0.001), frame(ipv4(A, B, 17, udp(1, 1)), 31)]);
    expect(r.flows).toEqual([expect.objectContaining({ sport: 0, dport: 0, packets: 1, bytes: second.length + third.length }), expect.objectContaining({ sport: 1 })]);
    expect(r.stats.orphanFragments).toBe(1);
  });

  it('IPv6: addresses as bigint, bytes = payload length + 40', () => {
    const src = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1];
    const dst = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 2];
    const l4 = udp(1234, 443, 12);
    const packet = [0x60, 0, 0, 0, 0, l4.length, 17, 64, ...src, ...dst, ...l4];
    const { flows } = run([frame(packet, 0), frame(packet, 1)]);
    expect(flows).toEqual([expect.objectContaining({ src: parseIp('2001:db8::1'), dst: parseIp('2001:db8::2'), sport: 1234, dport: 443, packets: 2, bytes: 2 * (40 + 20) })]);
  });

  it('Ethernet with a VLAN tag: the VLAN is kept; bytes count the IP length, or softflowd\'s frame length with octets=link', () => {
    const ipPacket = ipv4(A, B, 6, tcp(1, 2, ACK)); // 40 bytes: the frame is padded to the Ethernet minimum
    const eth = [...new Array(12).fill(0xaa), 0x81, 0x00, 0x00, 0x64, 0x08, 0x00, ...ipPacket];
    const padded = [...eth, ...new Array(64 - eth.length).fill(0)];
    const f = frame(padded, 0, ETHERNET);
    expect(run([f]).flows).toEqual([expect.objectContaining({ src_vlan: 100, bytes: 40 })]);
    expect(run([f], { octets: 'link' }).flows).toEqual([expect.objectContaining({ bytes: 64 - 18 })]);
  });

  it('beyond maxFlows the conversation expiring soonest is exported (lack of resources)', () => {
    const p = (sport: number, t: number) => frame(ipv4(A, B, 17, udp(sport, 53)), t);
    const { flows, stats } = run([p(1, 0), p(2, 1), p(3, 2)], { maxFlows: 2 });
    expect(flows.map((f) => [f.sport, f.end_reason])).toEqual([
      [1, FLOW_END_REASON.RESOURCES],
      [2, FLOW_END_REASON.FORCED],
      [3, FLOW_END_REASON.FORCED],
    ]);
    expect(stats.ended.resources).toBe(1);
  });

  it('timeouts off (softflowd -r): nothing expires on time, everything ends with the capture', () => {
    const p = (t: number) => frame(ipv4(A, B, 17, udp(1, 2)), t);
    expect(run([p(0), p(100_000)], { timeouts: NO_IDLE_TIMEOUTS }).flows.map((f) => f.packets)).toEqual([2]);
    expect(parseFlowTimeouts('off')).toEqual(NO_IDLE_TIMEOUTS);
    expect(parseFlowTimeouts('udp=60,tcp.rst=5')).toEqual({ ...SOFTFLOWD_TIMEOUTS, udp: 60, 'tcp.rst': 5 });
    expect(() => parseFlowTimeouts('tcp=abc')).toThrow(/NAME=SECONDS/);
  });

  it('counts frames without IP and of unknown link types, and never throws on garbage', () => {
    const arp = [...new Array(12).fill(0xff), 0x08, 0x06, ...new Array(28).fill(0)];
    const { flows, stats } = run([frame(arp, 0, ETHERNET), frame([1, 2, 3], 0, 999), frame([0x45, 0, 0], 0), frame([], 0, ETHERNET)]);
    expect(flows).toEqual([]);
    expect(stats).toMatchObject({ frames: 4, notIp: 3, unsupportedLink: 1, packets: 0 });
  });
});
