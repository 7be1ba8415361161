// HTTP requests from captured packets: the start of each TCP payload is tested cheaply for an
// HTTP/1.x request line; a head split over several segments of one connection direction is
// reassembled in order (bounded: few pending heads, a size cap, a time cap), and the start of
// the body is kept when the request announces one.

import { decodeFrame } from '../packet/decode-packet.js';
import { peekTcp, type TcpPeek } from '../packet/peek-tcp.js';
import { PacketInfo } from '../packet/packet-info.js';
import type { PacketFrame } from '../flow-assembly/flow-assembler.js';
import { viewOf } from '../read-bytes.js';
import { boundText, HTTP_FIELD_LIMITS, type HttpRequest } from './http-request.js';
import { findHeadEnd, MAX_HEAD_BYTES, parseRequestHead, REQUEST_START, requestStart } from './parse-http-request.js';

/** Bounds of the reassembly. */
export interface HttpExtractorOptions {
  /** Connection directions with a request in progress at once; beyond, the oldest is finished. */
  readonly maxPending?: number;
  /** A request still incomplete this long after its first segment (capture time) is finished as is. */
  readonly pendingMs?: number;
  /** Body bytes kept per request. */
  readonly maxBodyBytes?: number;
}

/** Counters of an extractor. */
export interface HttpExtractorStats {
  /** Requests emitted. */
  requests: number;
  /** Of those, emitted before their head or announced body was complete (gap, cap, timeout, end). */
  partial: number;
  /** Starts dropped: the head never became a valid request. */
  dropped: number;
}

interface Pending {
  readonly portKey: number;
  readonly ts: number;
  readonly src: HttpRequest['src'];
  readonly dst: HttpRequest['dst'];
  readonly sport: number;
  readonly dport: number;
  buf: Uint8Array;
  length: number;
  nextSeq: number;
  /** No more bytes join: a gap, a segment cut by the snap length, or the head cap reached. */
  closed: boolean;
  /** End of the head in `buf` once found, else -1; and the body bytes wanted after it. */
  headEnd: number;
  bodyWanted: number;
}

const TCP = 6;
const FIN = 1;
const RST = 4;
const textDecoder = new TextDecoder('utf-8', { fatal: false });

const peeked: TcpPeek = { l4: 0, ipEnd: 0 };

/**
 * Rules a frame out before the full decode (see peekTcp): not TCP; or, when no request is
 * pending, TCP without payload or whose payload starts with a byte no request line starts with.
 * Most frames of a capture stop here.
 */
function skippable(data: Uint8Array, linkType: number, idle: boolean): boolean {
  const kind = peekTcp(data, linkType, peeked);
  if (kind !== 'tcp') return kind === 'not-tcp';
  if (!idle) return false;
  const payload = peeked.l4 + (data[peeked.l4 + 12]! >> 4) * 4;
  if (payload >= Math.min(peeked.ipEnd, data.length)) return true;
  const c = data[payload]!;
  return c < 0x21 || c > 0x7e;
}

/**
 * Turns captured frames into HTTP requests. Feed every frame in capture order with
 * {@link addFrame}; requests gather in {@link output}; {@link flush} finishes what is pending at
 * the end of the capture. Independent of the flow assembler: it decodes the frame headers itself.
 */
export class HttpRequestExtractor {
  readonly stats: HttpExtractorStats = { requests: 0, partial: 0, dropped: 0 };
  output: HttpRequest[] = [];
  private readonly info = new PacketInfo();
  /** Pending requests by connection direction, oldest first (Map keeps insertion order). */
  private readonly pending = new Map<string, Pending>();
  /** How many pending entries use each (sport, dport) pair: most segments skip the key string. */
  private readonly pendingPorts = new Map<number, number>();
  private readonly maxPending: number;
  private readonly pendingMs: number;
  private readonly maxBody: number;

  constructor(options: HttpExtractorOptions = {}) {
    this.maxPending = options.maxPending ?? 1024;
    this.pendingMs = options.pendingMs ?? 10_000;
    this.maxBody = Math.min(options.maxBodyBytes ?? HTTP_FIELD_LIMITS.body, HTTP_FIELD_LIMITS.body);
  }

  /** The requests found so far; the extractor starts a new list. */
  takeOutput(): HttpRequest[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  /** Looks at one captured frame. */
  addFrame(frame: PacketFrame): void {
    const data = frame.data;
    if (skippable(data, frame.linkType, this.pending.size === 0)) return;
    const info = this.info;
    const view = viewOf(data);
    if (!decodeFrame(view, 0, data.length, frame.linkType, info)) return;
    if (info.proto !== TCP || info.fragmentOffset > 0 || info.l4Offset < 0 || info.l4Offset + 8 > data.length) return;
    if (this.pending.size > 0) this.expire(frame.timestamp);
    const off = info.payloadOffset;
    const end = info.payloadEnd;
    const hasPayload = off >= 0 && end > off;
    const portKey = info.sport * 65536 + info.dport;
    let entry: Pending | undefined;
    let key = '';
    if (this.pendingPorts.has(portKey)) {
      key = `${info.src}|${info.sport}|${info.dst}|${info.dport}`;
      entry = this.pending.get(key);
    }
    const seq = view.getUint32(info.l4Offset + 4);
    // The segment's payload as the IP header declares it: more than captured means a snap length cut it.
    const declared = info.ipLength > 0 ? info.ipOffset + info.ipLength - off : end - off;
    const closing = (info.tcpFlags & (FIN | RST)) !== 0;
    if (entry) {
      const joined = hasPayload ? this.append(entry, data, off, end, seq, declared) : true;
      if (closing || entry.closed || this.isDone(entry)) this.finish(key, entry);
      // A segment that did not join (a gap: earlier segments lost) may start the next request.
      if (joined || closing) return;
    }
    if (!hasPayload) return;
    if (requestStart(data, off, end) === REQUEST_START.NO) return;
    entry = {
      portKey,
      ts: frame.timestamp,
      src: info.src!,
      dst: info.dst!,
      sport: info.sport,
      dport: info.dport,
      buf: new Uint8Array(Math.min(Math.max(2 * (end - off), 2048), MAX_HEAD_BYTES + this.maxBody)),
      length: 0,
      nextSeq: seq,
      closed: false,
      headEnd: -1,
      bodyWanted: 0,
    };
    this.append(entry, data, off, end, seq, declared);
    if (closing || entry.closed || this.isDone(entry)) {
      this.emit(entry);
      return;
    }
    key = `${info.src}|${info.sport}|${info.dst}|${info.dport}`;
    this.pending.set(key, entry);
    this.pendingPorts.set(portKey, (this.pendingPorts.get(portKey) ?? 0) + 1);
    if (this.pending.size > this.maxPending) {
      const [oldKey, oldest] = this.pending.entries().next().value as [string, Pending];
      this.finish(oldKey, oldest);
    }
  }

  /** Ends the capture: every pending request is emitted as far as it got. */
  flush(): void {
    for (const [key, entry] of [...this.pending]) this.finish(key, entry);
  }

  /**
   * Adds a segment's bytes in sequence order (a retransmission adds only what is new). Returns
   * false for a segment beyond a gap, which closes the entry; a segment cut by the snap length,
   * or bytes beyond the cap, close it too.
   */
  private append(entry: Pending, data: Uint8Array, off: number, end: number, seq: number, declared: number): boolean {
    const delta = (seq - entry.nextSeq) | 0;
    if (entry.length > 0 && delta > 0) {
      entry.closed = true;
      return false;
    }
    const skip = entry.length > 0 && delta < 0 ? -delta : 0;
    if (skip >= end - off) return true;
    const limit = this.capacity(entry);
    const take = Math.min(end - off - skip, limit - entry.length);
    if (take > 0) {
      if (entry.length + take > entry.buf.length) {
        const grown = new Uint8Array(Math.min(limit, Math.max(entry.buf.length * 2, entry.length + take)));
        grown.set(entry.buf.subarray(0, entry.length));
        entry.buf = grown;
      }
      entry.buf.set(data.subarray(off + skip, off + skip + take), entry.length);
      const before = entry.length;
      entry.length += take;
      if (entry.headEnd < 0) this.findHead(entry, before);
    }
    if (declared > end - off || (entry.headEnd < 0 && entry.length >= MAX_HEAD_BYTES)) entry.closed = true;
    entry.nextSeq = (seq + (end - off)) >>> 0;
    return true;
  }

  /** Bytes an entry may hold: the head cap, or once the head is known, the head and the kept body. */
  private capacity(entry: Pending): number {
    return entry.headEnd < 0 ? MAX_HEAD_BYTES : entry.headEnd + entry.bodyWanted;
  }

  private findHead(entry: Pending, from: number): void {
    const headEnd = findHeadEnd(entry.buf, Math.max(0, from - 3), entry.length);
    if (headEnd < 0) return;
    entry.headEnd = headEnd;
    const cl = /\r?\ncontent-length:[ \t]*(\d{1,15})/i.exec(Buffer.from(entry.buf.buffer, entry.buf.byteOffset, headEnd).toString('latin1'));
    entry.bodyWanted = cl ? Math.min(Number(cl[1]), this.maxBody) : 0;
    if (entry.length > headEnd + entry.bodyWanted) entry.length = headEnd + entry.bodyWanted;
  }

  private isDone(entry: Pending): boolean {
    return entry.headEnd >= 0 && entry.length >= entry.headEnd + entry.bodyWanted;
  }

  private finish(key: string, entry: Pending): void {
    this.pending.delete(key);
    const n = (this.pendingPorts.get(entry.portKey) ?? 1) - 1;
    if (n <= 0) this.pendingPorts.delete(entry.portKey);
    else this.pendingPorts.set(entry.portKey, n);
    this.emit(entry);
  }

  /** Finishes entries whose first segment is older than the pending time. */
  private expire(now: number): void {
    for (const [key, entry] of this.pending) {
      if (now - entry.ts < this.pendingMs) break;
      this.finish(key, entry);
    }
  }

  private emit(entry: Pending): void {
    const headEnd = entry.headEnd >= 0 ? entry.headEnd : entry.length;
    const head = parseRequestHead(textDecoder.decode(entry.buf.subarray(0, headEnd)));
    if (!head) {
      this.stats.dropped++;
      return;
    }
    if (!this.isDone(entry)) this.stats.partial++;
    this.stats.requests++;
    const body = entry.headEnd >= 0 ? textDecoder.decode(entry.buf.subarray(entry.headEnd, Math.min(entry.length, entry.headEnd + entry.bodyWanted))) : '';
    this.output.push({
      ts: entry.ts,
      src: entry.src,
      dst: entry.dst,
      sport: entry.sport,
      dport: entry.dport,
      method: head.method,
      host: head.host,
      uri: head.uri,
      user_agent: head.userAgent,
      headers: head.headers,
      body: boundText(body, HTTP_FIELD_LIMITS.body),
      source: 'pcap',
    });
  }
}
