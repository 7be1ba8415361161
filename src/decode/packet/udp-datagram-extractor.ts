// Turns captured frames into the UDP datagrams they carry (with the sender as exporter),
// reassembling IPv4/IPv6 fragments: how captured export traffic reaches the flow decoders.

import type { Ip } from '../../core/ip.js';
import { viewOf } from '../read-bytes.js';
import { decodeFrame, isSupportedLinkType } from './decode-packet.js';
import { PacketInfo } from './packet-info.js';

/** One UDP datagram found in a frame. `payload` may view the frame's buffer: use it before the next frame. */
export interface UdpDatagram {
  readonly payload: Uint8Array;
  readonly src: Ip;
  readonly dst: Ip;
  readonly sport: number;
  readonly dport: number;
}

/** Why frames yielded no datagram, counted. */
export interface ExtractorStats {
  frames: number;
  datagrams: number;
  /** Link types the packet decoder does not read. */
  unsupportedLink: number;
  /** Frames without an IP header (ARP, LLDP...). */
  notIp: number;
  /** IP packets of another protocol than UDP. */
  notUdp: number;
  /** UDP datagrams cut by the capture's snap length (the payload would be incomplete). */
  truncated: number;
  /** Fragments held for reassembly, and datagrams rebuilt from them. */
  fragments: number;
  reassembled: number;
  /** Fragment sets abandoned (timeout or too many in flight). */
  fragmentsDropped: number;
}

interface FragmentSet {
  readonly firstSeen: number;
  readonly pieces: Map<number, Uint8Array>;
  total: number;
  src: Ip;
  dst: Ip;
}

const MAX_REASSEMBLIES = 256;
const REASSEMBLY_TIMEOUT_MS = 30_000;
const UDP = 17;

/**
 * Extracts UDP datagrams from frames of any link type `decodeFrame` reads. Non-UDP traffic is
 * counted and skipped; VXLAN is not decapsulated here (the outer datagram is the export).
 */
export class UdpDatagramExtractor {
  readonly stats: ExtractorStats = {
    frames: 0,
    datagrams: 0,
    unsupportedLink: 0,
    notIp: 0,
    notUdp: 0,
    truncated: 0,
    fragments: 0,
    reassembled: 0,
    fragmentsDropped: 0,
  };
  private readonly info = new PacketInfo();
  private readonly reassembly = new Map<string, FragmentSet>();

  /** The UDP datagram of a frame, or undefined (reason counted in {@link stats}). */
  extract(data: Uint8Array, linkType: number, timestamp: number): UdpDatagram | undefined {
    this.stats.frames++;
    const view = viewOf(data);
    const info = this.info;
    const known = decodeFrame(view, 0, data.length, linkType, info);
    if (!known) {
      if (!isSupportedLinkType(linkType)) this.stats.unsupportedLink++;
      else this.stats.notIp++;
      return undefined;
    }
    if (info.proto !== UDP) {
      this.stats.notUdp++;
      return undefined;
    }
    if (info.moreFragments || info.fragmentOffset > 0) return this.fragment(data, timestamp);
    if (info.payloadOffset < 0) {
      this.stats.truncated++;
      return undefined;
    }
    const udpLength = view.getUint16(info.l4Offset + 4);
    if (info.l4Offset + udpLength > info.payloadEnd && udpLength >= 8) {
      this.stats.truncated++;
      return undefined;
    }
    this.stats.datagrams++;
    return { payload: data.subarray(info.payloadOffset, info.payloadEnd), src: info.src!, dst: info.dst!, sport: info.sport, dport: info.dport };
  }

  private fragment(data: Uint8Array, timestamp: number): UdpDatagram | undefined {
    const info = this.info;
    this.stats.fragments++;
    if (info.ipPayloadOffset < 0) return undefined;
    this.expire(timestamp);
    const key = `${info.ipVersion}|${String(info.src)}|${String(info.dst)}|${info.fragmentId}`;
    let set = this.reassembly.get(key);
    if (!set) {
      if (this.reassembly.size >= MAX_REASSEMBLIES) {
        const oldest = this.reassembly.keys().next().value as string;
        this.reassembly.delete(oldest);
        this.stats.fragmentsDropped++;
      }
      set = { firstSeen: timestamp, pieces: new Map(), total: -1, src: info.src!, dst: info.dst! };
      this.reassembly.set(key, set);
    }
    const piece = data.slice(info.ipPayloadOffset, info.ipPayloadEnd);
    set.pieces.set(info.fragmentOffset, piece);
    if (!info.moreFragments) set.total = info.fragmentOffset + piece.length;
    if (set.total < 0) return undefined;
    // Complete when the pieces cover 0..total without a gap.
    const offsets = [...set.pieces.keys()].sort((a, b) => a - b);
    let covered = 0;
    for (const o of offsets) {
      if (o > covered) return undefined;
      covered = Math.max(covered, o + set.pieces.get(o)!.length);
    }
    if (covered < set.total) return undefined;
    const whole = new Uint8Array(set.total);
    for (const o of offsets) {
      const p = set.pieces.get(o)!;
      whole.set(p.subarray(0, Math.max(0, Math.min(p.length, set.total - o))), o);
    }
    this.reassembly.delete(key);
    if (whole.length < 8) return undefined;
    this.stats.reassembled++;
    this.stats.datagrams++;
    const wv = viewOf(whole);
    const udpLength = wv.getUint16(4);
    const end = udpLength >= 8 ? Math.min(whole.length, udpLength) : whole.length;
    return { payload: whole.subarray(8, end), src: set.src, dst: set.dst, sport: wv.getUint16(0), dport: wv.getUint16(2) };
  }

  private expire(now: number): void {
    for (const [key, set] of this.reassembly) {
      if (now - set.firstSeen <= REASSEMBLY_TIMEOUT_MS) break;
      this.reassembly.delete(key);
      this.stats.fragmentsDropped++;
    }
  }
}
