// The TLS handshake extractor over real captures against tshark (every ClientHello's JA3 and SNI,
// every ServerHello's JA3S, the server certificate's SHA-256, the frame times), and over frames
// built here from a real ClientHello to exercise reassembly: handshake messages split over
// records and segments, reordered and retransmitted segments, gaps, caps and garbage, all
// counted, never thrown.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../collect/capture-file.js';
import { formatIp } from '../../core/ip.js';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { tsharkCertificates, tsharkClientHellos, tsharkServerHellos, type TsharkClientHello } from '../../test-support/tshark-tls.js';
import type { PacketFrame } from '../flow-assembly/flow-assembler.js';
import { TlsHandshakeExtractor, type TlsExtractorOptions } from './tls-handshake-extractor.js';

const CAPTURES = ['pcap-malicious/ndpi/emotet.pcap', 'pcap-malicious/ndpi/malware.pcap', 'pcap-malicious/stopddos/amp.dns.RRSIG.fragmented.pcap', 'pcap-malicious/slips/test-cc-capture-1.pcap'];
const haveTshark = requireTool('tshark');

function extract(file: string, options?: TlsExtractorOptions) {
  const x = new TlsHandshakeExtractor(options);
  const source = openCaptureFile(file);
  try {
    for (const f of source.frames()) x.addFrame(f);
  } finally {
    source.close();
  }
  x.flush();
  return { out: x.takeOutput(), stats: x.stats };
}

describe.skipIf(!haveTshark).each(CAPTURES.map((c) => [c, sharedDataPath(c)] as const).filter(([, p]) => p))('%s against tshark', (_name, file) => {
  const { out, stats } = extract(file!);
  const clients = tsharkClientHellos(file!);
  const servers = tsharkServerHellos(file!);
  const certs = tsharkCertificates(file!);

  it('one client per ClientHello: addresses, port, SNI, JA3, time', () => {
    expect(out.clients.map((c) => [formatIp(c.src), formatIp(c.dst), c.dport, c.serverName, c.ja3, c.firstSeen])).toEqual(
      clients.map((t) => [t.src, t.dst, t.dport, t.sni, t.ja3, t.timeMs]),
    );
    expect(stats.clientHellos).toBe(clients.length);
  });

  it("one sighting per ServerHello: server, port, its client's SNI, JA3S, the first certificate's SHA-256", () => {
    const sniOf = (s: (typeof servers)[number]) => clients.find((c: TsharkClientHello) => c.src === s.dst && c.sport === s.dport && c.dst === s.src)?.sni ?? '';
    const refOf = (s: (typeof servers)[number]) => {
      const chain = certs.find((c) => c.src === s.src && c.sport === s.sport && c.frame >= s.frame);
      return chain ? createHash('sha256').update(Buffer.from(chain.der[0]!, 'hex')).digest('hex') : '';
    };
    expect(out.sightings.map((s) => [formatIp(s.ip), s.port, s.serverName, s.ja3s, s.ref])).toEqual(servers.map((s) => [s.src, s.sport, sniOf(s), s.ja3s, refOf(s)]));
  });

  it('every certificate of every chain, nothing counted as a problem', () => {
    expect(out.certificates.map((c) => c.sha256)).toEqual(certs.flatMap((c) => c.der.map((d) => createHash('sha256').update(Buffer.from(d, 'hex')).digest('hex'))));
    expect(stats.problems).toEqual({});
  });
});

// ---- frames built by hand ----

/** An Ethernet + IPv4 + TCP frame (checksums left zero: the decoder does not verify them). */
function frame(src: string, dst: string, sport: number, dport: number, seq: number, payload: Uint8Array, flags = 0x18, timestamp = 1_000): PacketFrame {
  const data = new Uint8Array(14 + 20 + 20 + payload.length);
  const v = new DataView(data.buffer);
  v.setUint16(12, 0x0800);
  v.setUint8(14, 0x45);
  v.setUint16(16, 40 + payload.length);
  v.setUint8(22, 64);
  v.setUint8(23, 6);
  src.split('.').forEach((o, i) => v.setUint8(26 + i, Number(o)));
  dst.split('.').forEach((o, i) => v.setUint8(30 + i, Number(o)));
  v.setUint16(34, sport);
  v.setUint16(36, dport);
  v.setUint32(38, seq >>> 0);
  v.setUint8(46, 0x50);
  v.setUint8(47, flags);
  data.set(payload, 54);
  return { data, linkType: 1, timestamp, originalLength: data.length };
}

/** TLS records of type 22 carrying `message` in fragments of at most `size` bytes. */
function records(message: Uint8Array, size: number, type = 22): Uint8Array {
  const parts: number[] = [];
  for (let at = 0; at < message.length; at += size) {
    const frag = message.subarray(at, Math.min(at + size, message.length));
    parts.push(type, 3, 1, frag.length >> 8, frag.length & 0xff, ...frag);
  }
  return Uint8Array.from(parts);
}

/** A stream cut into segments of `size` bytes: [seq, bytes] from `isn`. */
function segments(stream: Uint8Array, size: number, isn: number): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  for (let at = 0; at < stream.length; at += size) out.push([(isn + at) >>> 0, stream.subarray(at, Math.min(at + size, stream.length))]);
  return out;
}

const emotetFile = sharedDataPath('pcap-malicious/ndpi/emotet.pcap');

describe.skipIf(!haveTshark || !emotetFile)('reassembly over hand-cut frames of the Emotet ClientHello', () => {
  const t = haveTshark && emotetFile ? tsharkClientHellos(emotetFile)[0]! : undefined;
  const message = t ? Uint8Array.from(Buffer.from(t.raw, 'hex')) : new Uint8Array(0);
  const feed = (x: TlsHandshakeExtractor, segs: [number, Uint8Array][], flags = 0x18) => {
    for (const [seq, bytes] of segs) x.addFrame(frame('10.4.25.101', '138.197.147.101', 49803, 443, seq, bytes, flags));
  };

  it('a message over 7 records cut into 13-byte segments, two swapped, some sent twice: one client, tshark JA3', () => {
    const segs = segments(records(message, 50), 13, 0xfffffff0); // the sequence number wraps inside the hello
    [segs[3], segs[4]] = [segs[4]!, segs[3]!];
    segs.splice(8, 0, segs[6]!, segs[7]!);
    const x = new TlsHandshakeExtractor();
    feed(x, segs);
    x.flush();
    const out = x.takeOutput();
    expect(out.clients.map((c) => [c.ja3, c.serverName, c.dport])).toEqual([[t!.ja3, '', 443]]);
    expect(x.stats.problems).toEqual({});
  });

  it('a segment lost for good: TLS_GAP counted, no client, no exception', () => {
    const segs = segments(records(message, 400), 20, 1000);
    segs.splice(2, 1);
    const x = new TlsHandshakeExtractor();
    feed(x, segs);
    x.flush();
    expect(x.takeOutput().clients).toEqual([]);
    expect(x.stats.problems).toEqual({ TLS_GAP: 1 });
  });

  it('a record that is not TLS inside the stream: TLS_BAD_RECORD', () => {
    const bytes = records(message.subarray(0, 60), 60);
    const junk = Uint8Array.from([0x99, 3, 3, 0, 4, 1, 2, 3, 4]);
    const x = new TlsHandshakeExtractor();
    feed(x, [
      [1, bytes],
      [1 + bytes.length, junk],
    ]);
    x.flush();
    expect(x.stats.problems).toEqual({ TLS_BAD_RECORD: 1 });
  });

  it('a hello whose fields overrun it: TLS_BAD_HANDSHAKE', () => {
    const broken = message.slice();
    broken[4 + 2 + 32] = 0xff; // a session id longer than the message
    const x = new TlsHandshakeExtractor();
    feed(x, [[1, records(broken, 16384)]]);
    expect(x.stats.problems).toEqual({ TLS_BAD_HANDSHAKE: 1 });
    expect(x.takeOutput().clients).toEqual([]);
  });

  it('a message announcing more than the bound: TLS_MESSAGE_TOO_LONG, nothing buffered', () => {
    const x = new TlsHandshakeExtractor({ maxMessageBytes: 1000 });
    feed(x, [[1, Uint8Array.from([22, 3, 1, 0, 8, 1, 0xff, 0xff, 0xff, 3, 3, 0, 0])]]);
    expect(x.stats.problems).toEqual({ TLS_MESSAGE_TOO_LONG: 1 });
  });

  it('too many unfinished streams: the oldest dropped and counted', () => {
    const x = new TlsHandshakeExtractor({ maxStreams: 4 });
    const start = records(message, 16384).subarray(0, 100);
    for (let i = 0; i < 10; i++) x.addFrame(frame('10.0.0.1', '10.0.0.2', 40000 + i, 443, 1, start));
    expect(x.stats.problems).toEqual({ TLS_STREAMS_FULL: 6 });
    x.flush();
    // The four still open end with the capture, their hellos incomplete.
    expect(x.stats.problems).toEqual({ TLS_STREAMS_FULL: 6 });
    expect(x.takeOutput().clients).toEqual([]);
  });

  it('payloads that are not TLS are never tracked; random bytes after a TLS start never throw', () => {
    const x = new TlsHandshakeExtractor();
    x.addFrame(frame('10.0.0.1', '10.0.0.2', 1234, 80, 1, new TextEncoder().encode('GET / HTTP/1.1\r\nHost: a\r\n\r\n')));
    x.addFrame(frame('10.0.0.1', '10.0.0.2', 1235, 443, 1, Uint8Array.from([23, 3, 3, 0, 5, 1, 2, 3, 4, 5])));
    expect(x.stats).toEqual({ clientHellos: 0, serverHellos: 0, certificates: 0, problems: {} });
    // A deterministic generator: the same bytes on every run.
    let s = 7;
    const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
    for (let i = 0; i < 300; i++) {
      const body = Uint8Array.from({ length: 1 + (rnd() % 200) }, rnd);
      const len = body.length + 4;
      const payload = Uint8Array.from([22, 3, 1, len >> 8, len & 0xff, 1 + (i % 2), 0, body.length >> 8, body.length & 0xff, ...body]);
      expect(() => x.addFrame(frame('10.9.0.1', '10.9.0.2', 2000 + i, 443, 1, payload))).not.toThrow();
    }
    x.flush();
    expect(x.stats.clientHellos + x.stats.serverHellos).toBeLessThan(300);
  });
});
