// ARP requests from captured frames, grouped per (sender IP, sender MAC, target IP, minute):
// what fills the arp_requests table on a pcap import. ARP is not IP, so the flow assembler never
// sees it; this extractor looks at each frame's EtherType first and parses only ARP frames.

import type { PacketFrame } from '../flow-assembly/flow-assembler.js';
import type { ArpRequest } from './arp-request.js';
import { ARP_OPCODE, arpOffset, formatMac, parseArp, type ArpProblemCode } from './parse-arp.js';

/** Counters of an extractor. */
export interface ArpExtractorStats {
  /** ARP frames seen (parsed or not). */
  arp: number;
  requests: number;
  replies: number;
  /** IPv4 ARP with another operation (RARP, InARP...). */
  otherOpcodes: number;
  /** Rows emitted (one per sender, MAC, target and minute). */
  rows: number;
  /** ARP frames not read, by code. */
  problems: Partial<Record<ArpProblemCode, number>>;
}

interface Group {
  ts: number;
  tsLast: number;
  readonly src: number;
  readonly mac: number;
  readonly dst: number;
  requests: number;
}

const MINUTE_MS = 60_000;

/**
 * Turns captured frames into grouped ARP requests. Feed every frame in capture order with
 * {@link addFrame}; groups are emitted to {@link output} once the capture moves past their
 * minute; {@link flush} emits the rest at the end. Frames out of time order only split a group
 * into two rows (readers sum and count distinct, so nothing is lost).
 */
export class ArpRequestExtractor {
  readonly stats: ArpExtractorStats = { arp: 0, requests: 0, replies: 0, otherOpcodes: 0, rows: 0, problems: {} };
  output: ArpRequest[] = [];
  private groups = new Map<string, Group>();
  private minute = -Infinity;

  /** @param maxGroups groups held at once; beyond, all are emitted early (a flood of spoofed senders stays bounded). */
  constructor(private readonly maxGroups = 100_000) {}

  /** The requests grouped so far; the extractor starts a new list. */
  takeOutput(): ArpRequest[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  /** Looks at one captured frame. */
  addFrame(frame: PacketFrame): void {
    const at = arpOffset(frame.data, frame.linkType);
    if (at < 0) return;
    this.stats.arp++;
    const parsed = parseArp(frame.data, at);
    if (!parsed.ok) {
      this.stats.problems[parsed.code] = (this.stats.problems[parsed.code] ?? 0) + 1;
      return;
    }
    const p = parsed.packet;
    if (p.opcode === ARP_OPCODE.REPLY) this.stats.replies++;
    if (p.opcode !== ARP_OPCODE.REQUEST) {
      if (p.opcode !== ARP_OPCODE.REPLY) this.stats.otherOpcodes++;
      return;
    }
    this.stats.requests++;
    const ts = frame.timestamp;
    const minute = Math.floor(ts / MINUTE_MS);
    if (minute > this.minute) {
      this.emitAll();
      this.minute = minute;
    }
    const key = `${minute}|${p.senderIp}|${p.senderMac}|${p.targetIp}`;
    const group = this.groups.get(key);
    if (group) {
      group.requests++;
      if (ts < group.ts) group.ts = ts;
      if (ts > group.tsLast) group.tsLast = ts;
      return;
    }
    this.groups.set(key, { ts, tsLast: ts, src: p.senderIp, mac: p.senderMac, dst: p.targetIp, requests: 1 });
    if (this.groups.size >= this.maxGroups) this.emitAll();
  }

  /** Ends the capture: every group is emitted. */
  flush(): void {
    this.emitAll();
  }

  private emitAll(): void {
    for (const g of this.groups.values()) {
      this.output.push({ ts: g.ts, ts_last: g.tsLast, src: g.src, src_mac: formatMac(g.mac), dst: g.dst, requests: g.requests, gratuitous: g.src === g.dst });
    }
    this.stats.rows += this.groups.size;
    this.groups = new Map();
  }
}
