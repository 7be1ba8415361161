// Packets to flows: groups captured packets by 5-tuple into conversations that expire like a
// softflowd probe's (idle timeouts per protocol, shorter after TCP FIN/RST, an active timeout),
// and exports each direction of a conversation as one unidirectional flow record.

import type { FlowRecord } from '../../core/columns.js';
import type { Ip } from '../../core/ip.js';
import { decodeFrame, isSupportedLinkType } from '../packet/decode-packet.js';
import { PacketInfo } from '../packet/packet-info.js';
import { viewOf } from '../read-bytes.js';
import { ExpiryHeap } from './expiry-heap.js';
import { SOFTFLOWD_TIMEOUTS, type FlowTimeouts } from './flow-timeouts.js';

/**
 * What a flow's `bytes` count: `ip` the IP total length of each packet (what NetFlow/IPFIX octet
 * counters mean); `link` the frame length after the link-layer header, as softflowd counts (it so
 * includes Ethernet padding of short frames).
 */
export type OctetCount = 'ip' | 'link';

/** Settings of the assembler; all have softflowd-like defaults. */
export interface FlowAssemblerOptions {
  readonly timeouts?: FlowTimeouts;
  /** Conversations tracked at once; beyond, the one expiring soonest is exported (lack of resources). */
  readonly maxFlows?: number;
  readonly octets?: OctetCount;
  /** How long the later fragments of an IP datagram wait for its first one (default 30 s). */
  readonly fragmentTimeoutMs?: number;
}

/** IPFIX flowEndReason values (IE 136) put in `end_reason`. */
export const FLOW_END_REASON = { IDLE: 1, ACTIVE: 2, END_DETECTED: 3, FORCED: 4, RESOURCES: 5 } as const;

/** Counters of an assembler. */
export interface AssemblyStats {
  frames: number;
  /** IP packets accounted in flows (a fragmented datagram counts once). */
  packets: number;
  /** Frames of a supported link type without an IP packet (ARP, LLDP...). */
  notIp: number;
  /** Frames of a link type the packet decoder does not read. */
  unsupportedLink: number;
  /** Fragment packets seen; those after a datagram's first fragment (counted in bytes, not packets); */
  fragments: number;
  laterFragments: number;
  /** and fragment sets whose first fragment never came (each exported as one port-less packet). */
  orphanFragments: number;
  /** Flow records exported. */
  flows: number;
  /** Conversations ended, by reason. */
  ended: { idle: number; active: number; endDetected: number; forced: number; resources: number };
}

/** A capture frame as the assembler needs it. */
export interface PacketFrame {
  readonly data: Uint8Array;
  readonly linkType: number;
  /** Capture time, epoch ms. */
  readonly timestamp: number;
  /** Length on the wire (the frame may have been cut by the snap length). */
  readonly originalLength: number;
}

interface Side {
  readonly src: Ip;
  readonly dst: Ip;
  readonly sport: number;
  readonly dport: number;
  packets: number;
  bytes: number;
  flags: number;
  first: number;
  last: number;
  readonly tos: number;
  readonly vlan: number;
  readonly icmpType: number;
  readonly icmpCode: number;
}

interface Conversation {
  readonly key: string;
  readonly proto: number;
  readonly v6: boolean;
  /** Side 0 carries packets from the lower address (softflowd's canonical order), side 1 the other way. */
  readonly sides: [Side | null, Side | null];
  readonly start: number;
  last: number;
  expiresAt: number;
  /** Time of this conversation's latest entry in the expiry heap. */
  heapAt: number;
  /** The end reason if it expires at `expiresAt`. */
  reason: number;
  ended: boolean;
}

interface FragmentEntry {
  conv: Conversation | null;
  side: Side | null;
  readonly firstSeen: number;
  /** Bytes of later fragments that arrived before the first one. */
  pendingBytes: number;
  lastSeen: number;
  readonly v6: boolean;
  readonly src: Ip;
  readonly dst: Ip;
  readonly proto: number;
  readonly tos: number;
  readonly vlan: number;
}


const TCP = 6;
const UDP = 17;
const SCTP = 132;
const ICMP = 1;
const ICMPV6 = 58;

/**
 * Turns packets into flow records. Feed frames in capture order with {@link addFrame}; records
 * gather in {@link output} (take them with {@link takeOutput}); {@link flush} ends everything
 * still open (end of capture).
 *
 * Like softflowd, packets are grouped by (addresses, protocol, ports) regardless of direction,
 * so both directions of a conversation expire together; ICMP has source port 0 and destination
 * port type*256+code; only TCP, UDP and SCTP have ports. Unlike softflowd, the later fragments of
 * an IP datagram are counted with its first fragment's flow: a fragmented datagram is one packet
 * (its bytes being all its fragments'), not one packet per fragment with a port-less flow for the
 * rest.
 */
export class FlowAssembler {
  readonly stats: AssemblyStats = {
    frames: 0,
    packets: 0,
    notIp: 0,
    unsupportedLink: 0,
    fragments: 0,
    laterFragments: 0,
    orphanFragments: 0,
    flows: 0,
    ended: { idle: 0, active: 0, endDetected: 0, forced: 0, resources: 0 },
  };
  /** Exported records not yet taken. */
  output: FlowRecord[] = [];
  private readonly conversations = new Map<string, Conversation>();
  private readonly heap = new ExpiryHeap<Conversation>();
  private readonly fragments = new Map<string, FragmentEntry>();
  private readonly info = new PacketInfo();
  private clock = -Infinity;
  private readonly t: { tcp: number; rst: number; fin: number; udp: number; icmp: number; general: number; maxlife: number };
  private readonly maxFlows: number;
  private readonly octets: OctetCount;
  private readonly fragmentTimeout: number;

  constructor(options: FlowAssemblerOptions = {}) {
    const t = options.timeouts ?? SOFTFLOWD_TIMEOUTS;
    this.t = { tcp: t.tcp * 1000, rst: t['tcp.rst'] * 1000, fin: t['tcp.fin'] * 1000, udp: t.udp * 1000, icmp: t.icmp * 1000, general: t.general * 1000, maxlife: t.maxlife * 1000 };
    this.maxFlows = options.maxFlows ?? 1_000_000;
    this.octets = options.octets ?? 'ip';
    this.fragmentTimeout = options.fragmentTimeoutMs ?? 30_000;
  }

  /** Conversations open now. */
  get openConversations(): number {
    return this.conversations.size;
  }

  /** The records exported so far; the assembler starts a new list. */
  takeOutput(): FlowRecord[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  /** Accounts one captured frame. */
  addFrame(frame: PacketFrame): void {
    this.stats.frames++;
    const info = this.info;
    const { data, timestamp } = frame;
    if (!decodeFrame(viewOf(data), 0, data.length, frame.linkType, info)) {
      if (!isSupportedLinkType(frame.linkType)) this.stats.unsupportedLink++;
      else this.stats.notIp++;
      return;
    }
    // Captures are in time order, nearly: a frame stamped a little earlier does not turn time back.
    if (timestamp > this.clock) {
      this.clock = timestamp;
      this.advance(timestamp);
    }
    const headerBytes = info.ipVersion === 4 ? 20 : 40;
    const wire = frame.originalLength - info.ipOffset;
    const octets = this.octets === 'link' || info.ipLength < headerBytes ? wire : info.ipLength;
    const fragment = info.moreFragments || info.fragmentOffset > 0;
    if (fragment) {
      this.stats.fragments++;
      if (info.fragmentOffset > 0) {
        this.stats.laterFragments++;
        this.laterFragment(info, timestamp, octets);
        return;
      }
    }
    const proto = info.proto;
    let sport = 0;
    let dport = 0;
    if (proto === TCP || proto === UDP || proto === SCTP) {
      sport = Math.max(0, info.sport);
      dport = Math.max(0, info.dport);
    } else if ((proto === ICMP && info.ipVersion === 4) || (proto === ICMPV6 && info.ipVersion === 6)) {
      if (info.icmpType >= 0) dport = info.icmpType * 256 + Math.max(0, info.icmpCode);
    }
    const flags = proto === TCP ? Math.max(0, info.tcpFlags) : 0;
    const side = this.account(info.ipVersion === 6, info.src!, info.dst!, proto, sport, dport, flags, octets, timestamp, info.tos, info.vlan, info.icmpType, info.icmpCode);
    this.stats.packets++;
    if (fragment) this.firstFragment(info, side.conv, side.side);
  }

  private account(
    v6: boolean,
    src: Ip,
    dst: Ip,
    proto: number,
    sport: number,
    dport: number,
    flags: number,
    octets: number,
    ts: number,
    tos: number,
    vlan: number,
    icmpType: number,
    icmpCode: number,
  ): { conv: Conversation; side: Side } {
    const ndx = src > dst ? 1 : 0;
    const key = ndx === 0 ? `${v6 ? 6 : 4}|${src}|${dst}|${proto}|${sport}|${dport}` : `${v6 ? 6 : 4}|${dst}|${src}|${proto}|${dport}|${sport}`;
    let conv = this.conversations.get(key);
    if (!conv) {
      conv = { key, proto, v6, sides: [null, null], start: ts, last: ts, expiresAt: Infinity, heapAt: Infinity, reason: FLOW_END_REASON.IDLE, ended: false };
      this.conversations.set(key, conv);
    }
    let side = conv.sides[ndx];
    if (!side) {
      side = { src, dst, sport, dport, packets: 0, bytes: 0, flags: 0, first: ts, last: ts, tos, vlan, icmpType, icmpCode };
      conv.sides[ndx] = side;
    }
    side.packets++;
    side.bytes += octets;
    side.flags |= flags;
    if (ts > side.last) side.last = ts;
    if (ts > conv.last) conv.last = ts;
    this.schedule(conv);
    if (this.conversations.size > this.maxFlows) this.evict();
    return { conv, side };
  }

  /** Recomputes when a conversation expires, softflowd's rules in softflowd's order. */
  private schedule(conv: Conversation): void {
    if (conv.ended) return;
    const t = this.t;
    if (t.maxlife > 0 && conv.last - conv.start > t.maxlife) {
      this.end(conv, FLOW_END_REASON.ACTIVE);
      return;
    }
    let idle = 0;
    let reason: number = FLOW_END_REASON.IDLE;
    if (conv.proto === TCP) {
      const a = conv.sides[0]?.flags ?? 0;
      const b = conv.sides[1]?.flags ?? 0;
      if (t.rst > 0 && ((a | b) & 4) !== 0) {
        idle = t.rst;
        reason = FLOW_END_REASON.END_DETECTED;
      } else if (t.fin > 0 && (a & 1) !== 0 && (b & 1) !== 0) {
        idle = t.fin;
        reason = FLOW_END_REASON.END_DETECTED;
      } else idle = t.tcp;
    }
    if (idle === 0) {
      if (conv.proto === UDP) idle = t.udp;
      else if ((conv.proto === ICMP && !conv.v6) || (conv.proto === ICMPV6 && conv.v6)) idle = t.icmp;
      if (idle === 0) idle = t.general;
      reason = FLOW_END_REASON.IDLE;
    }
    let expiresAt = idle > 0 ? conv.last + idle : Infinity;
    if (t.maxlife > 0 && conv.start + t.maxlife < expiresAt) {
      expiresAt = conv.start + t.maxlife;
      reason = FLOW_END_REASON.ACTIVE;
    }
    conv.expiresAt = expiresAt;
    conv.reason = reason;
    // The heap is lazy: an entry is only added when the expiry moved earlier; later moves are
    // found when the old entry comes up.
    if (expiresAt < conv.heapAt) {
      conv.heapAt = expiresAt;
      this.heap.push(expiresAt, conv);
    }
  }

  /** Ends every conversation that expired before `now`, and abandons old fragments. */
  advance(now: number): void {
    const heap = this.heap;
    while (heap.peekTime() < now) {
      const at = heap.peekTime();
      const conv = heap.pop()!;
      if (conv.ended || at !== conv.heapAt) continue;
      if (conv.expiresAt > at) {
        conv.heapAt = conv.expiresAt;
        if (conv.expiresAt !== Infinity) heap.push(conv.expiresAt, conv);
        continue;
      }
      this.end(conv, conv.reason);
    }
    if (this.fragments.size > 0) this.expireFragments(now - this.fragmentTimeout);
  }

  /** Too many conversations: export the one expiring soonest (softflowd does the same). */
  private evict(): void {
    while (this.conversations.size > this.maxFlows) {
      const at = this.heap.peekTime();
      const conv = this.heap.pop();
      if (!conv) {
        // Nothing is scheduled (every timeout off): the oldest conversation goes.
        const oldest = this.conversations.values().next().value as Conversation;
        this.end(oldest, FLOW_END_REASON.RESOURCES);
        continue;
      }
      if (conv.ended || at !== conv.heapAt) continue;
      this.end(conv, FLOW_END_REASON.RESOURCES);
    }
  }

  private end(conv: Conversation, reason: number): void {
    conv.ended = true;
    this.conversations.delete(conv.key);
    const e = this.stats.ended;
    if (reason === FLOW_END_REASON.IDLE) e.idle++;
    else if (reason === FLOW_END_REASON.ACTIVE) e.active++;
    else if (reason === FLOW_END_REASON.END_DETECTED) e.endDetected++;
    else if (reason === FLOW_END_REASON.FORCED) e.forced++;
    else e.resources++;
    for (const side of conv.sides) {
      if (!side || side.packets === 0) continue;
      const icmp = (conv.proto === ICMP && !conv.v6) || (conv.proto === ICMPV6 && conv.v6);
      this.output.push({
        start: side.first,
        end: side.last,
        src: side.src,
        dst: side.dst,
        sport: side.sport,
        dport: side.dport,
        proto: conv.proto,
        tcp_flags: side.flags,
        packets: side.packets,
        bytes: side.bytes,
        exporter: null,
        in_if: null,
        out_if: null,
        sampling: 1,
        src_vlan: side.vlan >= 0 ? side.vlan : null,
        icmp_type: icmp && side.icmpType >= 0 ? side.icmpType : null,
        icmp_code: icmp && side.icmpCode >= 0 ? side.icmpCode : null,
        tos: side.tos >= 0 ? side.tos : null,
        end_reason: reason,
        // Filled at ingest by enrichment: present from the start, so that enriching overwrites
        // them in place rather than growing every record.
        src_as: null,
        dst_as: null,
        src_country: null,
        dst_country: null,
        tags: null,
      });
      this.stats.flows++;
    }
  }

  private fragmentKey(info: PacketInfo): string {
    return `${info.ipVersion}|${info.src}|${info.dst}|${info.proto}|${info.fragmentId}`;
  }

  private firstFragment(info: PacketInfo, conv: Conversation, side: Side): void {
    const key = this.fragmentKey(info);
    const entry = this.fragments.get(key);
    if (entry) {
      // Later fragments came first (reordering): their bytes join the datagram's flow now.
      side.bytes += entry.pendingBytes;
      entry.pendingBytes = 0;
      entry.conv = conv;
      entry.side = side;
      return;
    }
    this.fragments.set(key, {
      conv,
      side,
      firstSeen: side.last,
      pendingBytes: 0,
      lastSeen: side.last,
      v6: info.ipVersion === 6,
      src: info.src!,
      dst: info.dst!,
      proto: info.proto,
      tos: info.tos,
      vlan: info.vlan,
    });
  }

  private laterFragment(info: PacketInfo, ts: number, octets: number): void {
    const key = this.fragmentKey(info);
    let entry = this.fragments.get(key);
    if (entry?.conv && entry.side && !entry.conv.ended) {
      const { conv, side } = entry;
      side.bytes += octets;
      if (ts > side.last) side.last = ts;
      if (ts > conv.last) conv.last = ts;
      this.schedule(conv);
      return;
    }
    if (!entry) {
      entry = { conv: null, side: null, firstSeen: ts, pendingBytes: 0, lastSeen: ts, v6: info.ipVersion === 6, src: info.src!, dst: info.dst!, proto: info.proto, tos: info.tos, vlan: info.vlan };
      this.fragments.set(key, entry);
    } else {
      entry.conv = null;
      entry.side = null;
    }
    entry.pendingBytes += octets;
    entry.lastSeen = Math.max(entry.lastSeen, ts);
  }

  /** Forgets fragment sets first seen before `limit`; bytes whose first fragment never came become a port-less packet. */
  private expireFragments(limit: number): void {
    for (const [key, entry] of this.fragments) {
      if (entry.firstSeen >= limit) break;
      this.fragments.delete(key);
      this.orphan(entry);
    }
  }

  private orphan(entry: FragmentEntry): void {
    if (entry.pendingBytes === 0) return;
    this.stats.orphanFragments++;
    this.stats.packets++;
    const { side } = this.account(entry.v6, entry.src, entry.dst, entry.proto, 0, 0, 0, 0, entry.lastSeen, entry.tos, entry.vlan, -1, -1);
    side.bytes += entry.pendingBytes;
  }

  /** Ends everything still open (end of the capture): fragments first, then conversations. */
  flush(): void {
    for (const entry of this.fragments.values()) this.orphan(entry);
    this.fragments.clear();
    for (const conv of [...this.conversations.values()]) this.end(conv, FLOW_END_REASON.FORCED);
    this.conversations.clear();
  }
}
