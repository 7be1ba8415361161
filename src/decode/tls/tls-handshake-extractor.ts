// TLS handshakes from captured packets: each TCP direction whose payload starts a TLS handshake
// is read as a TlsStream; a ClientHello gives a client fingerprint (JA3, JA4, SNI), a ServerHello
// and the Certificate message that follows (TLS <= 1.2; TLS 1.3 encrypts it) give a server
// sighting (JA3S, the server's certificate, the SNI its client asked for) and the certificates.
// Bounded: a capped number of streams, each bounded in memory and dropped once done or idle.

import { formatIp, type Ip } from '../../core/ip.js';
import type { PacketFrame } from '../flow-assembly/flow-assembler.js';
import { decodeFrame } from '../packet/decode-packet.js';
import { peekTcp, type TcpPeek } from '../packet/peek-tcp.js';
import { PacketInfo } from '../packet/packet-info.js';
import { viewOf } from '../read-bytes.js';
import { HANDSHAKE, parseCertificateList, parseClientHello, parseServerHello } from './parse-tls-hello.js';
import { ja3, ja3s, ja4 } from './tls-fingerprints.js';
import type { CertificateObservation, TlsClientObservation, TlsSighting } from './tls-observation.js';
import { startsTlsHandshake, TlsStream, type TlsProblemCode } from './tls-stream.js';
import { certificateFromDer } from './x509-observation.js';

/** Bounds of the extractor. */
export interface TlsExtractorOptions {
  /** Directions tracked at once; beyond, the oldest is dropped (counted when unfinished). */
  readonly maxStreams?: number;
  /** A direction is dropped this long (capture time) after its first handshake byte. */
  readonly streamMs?: number;
  /** Longest handshake message read (a Certificate message holds the whole chain). */
  readonly maxMessageBytes?: number;
}

/** Counters of an extractor. */
export interface TlsExtractorStats {
  clientHellos: number;
  serverHellos: number;
  /** Certificates read from Certificate messages (each copy counted). */
  certificates: number;
  /** Streams or messages not read, by code. */
  problems: Partial<Record<TlsProblemCode, number>>;
}

/** What the extractor found since the last take. */
export interface TlsExtractorOutput {
  clients: TlsClientObservation[];
  sightings: TlsSighting[];
  certificates: CertificateObservation[];
}

/** A connection's shared facts: the SNI its client asked for reaches the server's sighting. */
interface Conn {
  serverName: string;
}

interface Direction {
  readonly key: string;
  readonly portKey: number;
  readonly started: number;
  readonly stream: TlsStream;
  readonly conn: Conn;
  readonly src: Ip;
  readonly dst: Ip;
  readonly sport: number;
  readonly dport: number;
  /** Capture time of the segment being read (messages are stamped with it). */
  ts: number;
  /** Server side: the ServerHello's JA3S, and whether its sighting went out. */
  ja3s?: string;
  sighted: boolean;
}

const TCP = 6;
const FIN = 1;
const RST = 4;
const TLS_1_3 = 0x0304;

const peeked: TcpPeek = { l4: 0, ipEnd: 0 };

/**
 * Rules most frames out before the full decode (see peekTcp): not TCP, or a TCP segment of no
 * tracked port pair whose payload cannot start a handshake.
 */
function skippable(data: Uint8Array, linkType: number, tracked: ReadonlyMap<number, number>): boolean {
  const kind = peekTcp(data, linkType, peeked);
  if (kind !== 'tcp') return kind === 'not-tcp';
  const l4 = peeked.l4;
  const portKey = ((data[l4]! << 8) | data[l4 + 1]!) * 65536 + ((data[l4 + 2]! << 8) | data[l4 + 3]!);
  if (tracked.has(portKey)) return false;
  const payload = l4 + (data[l4 + 12]! >> 4) * 4;
  const end = Math.min(peeked.ipEnd, data.length);
  if (payload >= end) return true;
  return !startsTlsHandshake(data, payload, end);
}

/**
 * Turns captured frames into TLS clients, server sightings and certificates. Feed every frame in
 * capture order with {@link addFrame}; results gather in {@link output}; {@link flush} finishes
 * what is open at the end of the capture. Independent of the flow assembler: it decodes the frame
 * headers itself. Never throws on capture content: bad input is counted in `stats.problems`.
 */
export class TlsHandshakeExtractor {
  readonly stats: TlsExtractorStats = { clientHellos: 0, serverHellos: 0, certificates: 0, problems: {} };
  output: TlsExtractorOutput = { clients: [], sightings: [], certificates: [] };
  private readonly info = new PacketInfo();
  /** Open directions by `src|sport|dst|dport`, oldest first (Map keeps insertion order). */
  private readonly streams = new Map<string, Direction>();
  /** How many open directions use each (sport, dport) pair: most segments skip the key string. */
  private readonly ports = new Map<number, number>();
  private readonly maxStreams: number;
  private readonly streamMs: number;
  private readonly maxMessageBytes: number;

  constructor(options: TlsExtractorOptions = {}) {
    this.maxStreams = options.maxStreams ?? 4096;
    this.streamMs = options.streamMs ?? 60_000;
    this.maxMessageBytes = options.maxMessageBytes ?? 128 * 1024;
  }

  /** What was found so far; the extractor starts new lists. */
  takeOutput(): TlsExtractorOutput {
    const out = this.output;
    this.output = { clients: [], sightings: [], certificates: [] };
    return out;
  }

  /** Rows waiting in {@link output}. */
  get pending(): number {
    return this.output.clients.length + this.output.sightings.length + this.output.certificates.length;
  }

  /** Looks at one captured frame. */
  addFrame(frame: PacketFrame): void {
    const data = frame.data;
    if (skippable(data, frame.linkType, this.ports)) return;
    const info = this.info;
    const view = viewOf(data);
    if (!decodeFrame(view, 0, data.length, frame.linkType, info)) return;
    if (info.proto !== TCP || info.fragmentOffset > 0 || info.l4Offset < 0 || info.l4Offset + 20 > data.length || info.src === null || info.dst === null) return;
    if (this.streams.size > 0) this.expire(frame.timestamp);
    const off = info.payloadOffset;
    const end = info.payloadEnd;
    const hasPayload = off >= 0 && end > off;
    const portKey = info.sport * 65536 + info.dport;
    const closing = (info.tcpFlags & (FIN | RST)) !== 0;
    const seq = view.getUint32(info.l4Offset + 4);
    let dir: Direction | undefined;
    let key = '';
    if (this.ports.has(portKey)) {
      key = `${formatIp(info.src)}|${info.sport}|${formatIp(info.dst)}|${info.dport}`;
      dir = this.streams.get(key);
    }
    if (!dir) {
      if (!hasPayload || !startsTlsHandshake(data, off, end)) return;
      key ||= `${formatIp(info.src)}|${info.sport}|${formatIp(info.dst)}|${info.dport}`;
      dir = this.open(key, portKey, frame.timestamp, seq, info.src, info.dst, info.sport, info.dport);
    }
    if (hasPayload) {
      dir.ts = frame.timestamp;
      // The payload as the IP header declares it: more than captured means the snap length cut it.
      const declared = info.ipLength > 0 ? info.ipOffset + info.ipLength - off : end - off;
      dir.stream.push(data, off, end, seq, declared > end - off);
    }
    if (closing) dir.stream.close();
    if (dir.stream.state !== 'open') this.close(dir);
  }

  /** Ends the capture: every open direction is finished as far as it got. */
  flush(): void {
    for (const dir of [...this.streams.values()]) {
      dir.stream.close();
      this.close(dir);
    }
  }

  private open(key: string, portKey: number, ts: number, seq: number, src: Ip, dst: Ip, sport: number, dport: number): Direction {
    const reverse = this.streams.get(`${formatIp(dst)}|${dport}|${formatIp(src)}|${sport}`);
    // The handler runs only once segments are pushed, after `dir` exists.
    const stream = new TlsStream(seq, (type, buf, start, stop) => this.message(dir, type, buf, start, stop), { maxMessageBytes: this.maxMessageBytes });
    const dir: Direction = { key, portKey, started: ts, stream, conn: reverse?.conn ?? { serverName: '' }, src, dst, sport, dport, ts, sighted: false };
    this.streams.set(key, dir);
    this.ports.set(portKey, (this.ports.get(portKey) ?? 0) + 1);
    if (this.streams.size > this.maxStreams) {
      const oldest = this.streams.values().next().value as Direction;
      if (oldest.stream.state === 'open') oldest.stream.fail('TLS_STREAMS_FULL');
      this.close(oldest);
    }
    return dir;
  }

  /** Handles one handshake message of a direction; false when the direction has given what it can. */
  private message(dir: Direction, type: number, buf: Uint8Array, start: number, end: number): boolean {
    switch (type) {
      case HANDSHAKE.CLIENT_HELLO: {
        const hello = parseClientHello(buf, start, end);
        if (!hello) return this.bad(dir, 'TLS_BAD_HANDSHAKE');
        this.stats.clientHellos++;
        dir.conn.serverName = hello.serverName;
        this.output.clients.push({ src: dir.src, dst: dir.dst, dport: dir.dport, serverName: hello.serverName, ja3: ja3(hello), ja4: ja4(hello), firstSeen: dir.ts, lastSeen: dir.ts, count: 1 });
        // The client's later messages (key exchange, its own certificate) add nothing here.
        return false;
      }
      case HANDSHAKE.SERVER_HELLO: {
        const hello = parseServerHello(buf, start, end);
        if (!hello) return this.bad(dir, 'TLS_BAD_HANDSHAKE');
        // A HelloRetryRequest is followed by the real ServerHello once the client tried again.
        if (hello.helloRetry) return true;
        this.stats.serverHellos++;
        dir.ja3s = ja3s(hello);
        // TLS 1.3 encrypts everything after the ServerHello, the certificate included.
        if (hello.selectedVersion === TLS_1_3) {
          this.sighting(dir, '');
          return false;
        }
        return true;
      }
      case HANDSHAKE.CERTIFICATE: {
        if (dir.ja3s === undefined) return true;
        const chain = parseCertificateList(buf, start, end);
        if (!chain) return this.bad(dir, 'TLS_BAD_HANDSHAKE');
        let ref = '';
        chain.forEach((der, i) => {
          const r = certificateFromDer(der, dir.ts);
          if (!r.ok) {
            this.count(r.code);
            return;
          }
          this.stats.certificates++;
          this.output.certificates.push(r.certificate);
          if (i === 0) ref = r.certificate.ref;
        });
        this.sighting(dir, ref);
        return false;
      }
      case HANDSHAKE.SERVER_HELLO_DONE:
        return false;
      default:
        return true;
    }
  }

  private bad(dir: Direction, code: TlsProblemCode): false {
    dir.stream.fail(code);
    return false;
  }

  private count(code: TlsProblemCode): void {
    this.stats.problems[code] = (this.stats.problems[code] ?? 0) + 1;
  }

  private sighting(dir: Direction, ref: string): void {
    if (dir.sighted || dir.ja3s === undefined) return;
    dir.sighted = true;
    this.output.sightings.push({ ref, ip: dir.src, port: dir.sport, serverName: dir.conn.serverName, ja3s: dir.ja3s, firstSeen: dir.ts, lastSeen: dir.ts, count: 1 });
  }

  /**
   * Retires a direction whose stream is no longer open: a server that said hello without a
   * readable certificate (resumed session, early end) is still a sighting, with no certificate.
   * A finished client direction stays a while (until expiry), so that its server's sighting
   * finds the SNI and later segments of the connection are ruled out cheaply.
   */
  private close(dir: Direction): void {
    if (dir.stream.problem) this.count(dir.stream.problem);
    dir.stream.problem = undefined;
    this.sighting(dir, '');
    if (dir.stream.state === 'open' || this.streams.get(dir.key) !== dir) return;
    const reverse = this.streams.get(`${formatIp(dir.dst)}|${dir.dport}|${formatIp(dir.src)}|${dir.sport}`);
    const peerDone = reverse !== undefined && reverse.stream.state !== 'open';
    if (dir.ja3s === undefined && dir.stream.state === 'done' && !peerDone && this.streams.size <= this.maxStreams) return;
    this.forget(dir);
    if (peerDone) this.forget(reverse!);
  }

  private forget(dir: Direction): void {
    if (this.streams.get(dir.key) !== dir) return;
    this.streams.delete(dir.key);
    const n = (this.ports.get(dir.portKey) ?? 1) - 1;
    if (n <= 0) this.ports.delete(dir.portKey);
    else this.ports.set(dir.portKey, n);
  }

  /** Drops directions whose first handshake byte is older than the stream time. */
  private expire(now: number): void {
    for (const dir of this.streams.values()) {
      if (now - dir.started < this.streamMs) break;
      dir.stream.close();
      this.close(dir);
      this.forget(dir);
    }
  }
}
