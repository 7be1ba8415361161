// The syslog sink against collectors on 127.0.0.1: UDP datagrams and an octet-counted TCP
// stream, each message parsed here by a parser written from the RFC 5424 ABNF (section 6) and
// RFC 6587 section 3.4.1, independent of the formatting code.

import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findingAlertMessage, type AlertMessage } from '../alert-message.js';
import { testFinding } from '../alert-test-fixtures.js';
import { SyslogSinkSchema } from './sink-config.js';
import { SyslogSink } from './syslog-sink.js';

interface Parsed {
  pri: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: { id: string; params: [string, string][] }[];
  msg: string;
  bom: boolean;
}

const PRINTUSASCII = /^[\x21-\x7e]+$/;
const SD_NAME = /^[\x21-\x7e]{1,32}$/;

/** RFC 5424 SYSLOG-MSG, strictly: throws on anything the grammar does not allow. */
function parse5424(bytes: Buffer): Parsed {
  const text = bytes.toString('utf8');
  const head = /^<(\d{1,3})>([1-9]\d{0,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(text);
  if (!head) throw new Error(`not an RFC 5424 header: ${text.slice(0, 80)}`);
  const [, pri, version, timestamp, hostname, appName, procId, msgId] = head;
  if (Number(pri) > 191) throw new Error('PRI out of range');
  if (timestamp !== '-' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/.test(timestamp!)) throw new Error(`bad TIMESTAMP ${timestamp}`);
  const within = (v: string, max: number, what: string) => {
    if (!PRINTUSASCII.test(v) || v.length > max) throw new Error(`bad ${what} ${v}`);
  };
  within(hostname!, 255, 'HOSTNAME');
  within(appName!, 48, 'APP-NAME');
  within(procId!, 128, 'PROCID');
  within(msgId!, 32, 'MSGID');
  let i = head[0].length;
  const sd: Parsed['sd'] = [];
  if (text[i] === '-') i++;
  else {
    while (text[i] === '[') {
      i++;
      let id = '';
      while (i < text.length && text[i] !== ' ' && text[i] !== ']') id += text[i++];
      if (!SD_NAME.test(id) || /[="\]]/.test(id)) throw new Error(`bad SD-ID ${id}`);
      const params: [string, string][] = [];
      while (text[i] === ' ') {
        i++;
        let name = '';
        while (i < text.length && text[i] !== '=') name += text[i++];
        if (!SD_NAME.test(name) || /[ "\]]/.test(name)) throw new Error(`bad PARAM-NAME ${name}`);
        if (text[i++] !== '=' || text[i++] !== '"') throw new Error('expected ="');
        let value = '';
        for (;;) {
          const c = text[i++];
          if (c === undefined) throw new Error('unterminated PARAM-VALUE');
          if (c === '\\' && ['"', '\\', ']'].includes(text[i]!)) value += text[i++];
          else if (c === '"') break;
          else if (c === ']') throw new Error('unescaped ] in PARAM-VALUE');
          else value += c;
        }
        params.push([name, value]);
      }
      if (text[i++] !== ']') throw new Error('expected ]');
      sd.push({ id, params });
    }
    if (sd.length === 0) throw new Error('no STRUCTURED-DATA');
  }
  let msg = '';
  if (i < text.length) {
    if (text[i] !== ' ') throw new Error('expected SP before MSG');
    msg = text.slice(i + 1);
  }
  const bom = msg.startsWith('\uFEFF');
  return { pri: Number(pri), version: Number(version), timestamp: timestamp!, hostname: hostname!, appName: appName!, procId: procId!, msgId: msgId!, sd, msg: bom ? msg.slice(1) : msg, bom };
}

/** RFC 6587 3.4.1 octet counting: MSG-LEN SP SYSLOG-MSG, repeated. */
function splitOctetCounted(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < stream.length) {
    const sp = stream.indexOf(0x20, at);
    const len = stream.subarray(at, sp).toString('ascii');
    if (!/^[1-9]\d*$/.test(len)) throw new Error(`bad MSG-LEN '${len}'`);
    out.push(stream.subarray(sp + 1, sp + 1 + Number(len)));
    at = sp + 1 + Number(len);
    if (at > stream.length) throw new Error('frame longer than the stream');
  }
  return out;
}

const message = (): AlertMessage =>
  findingAlertMessage({
    id: 'alert-0001',
    rule: 'partners',
    createdAt: Date.UTC(2026, 2, 1, 12, 0, 0, 250),
    // A subkind with every character PARAM-VALUE must escape.
    finding: testFinding('f-syslog', 'c2', 'high', { subkind: 'odd "quoted" [x] back\\slash', score: 0.93, summary: 'host 192.0.2.10 talks to C2 198.51.100.7 — überall' }),
    watchlists: ['partners'],
    uiBaseUrl: 'https://vantage.example.org',
  });

const settings = (port: number, transport: 'udp' | 'tcp', extra: Record<string, unknown> = {}) =>
  SyslogSinkSchema.parse({ type: 'syslog', host: '127.0.0.1', port, transport, hostname: 'sensor-1', facility: 'local4', ...extra });

function expectAlert(p: Parsed, m: AlertMessage): void {
  // local4 (20) * 8 + err (3) for a high finding.
  expect(p).toMatchObject({ pri: 163, version: 1, timestamp: '2026-03-01T12:00:00.250Z', hostname: 'sensor-1', appName: 'vantage', procId: String(process.pid), msgId: 'alert', bom: true });
  expect(p.sd).toEqual([
    {
      id: 'vantage@32473',
      params: [
        ['alert', 'alert-0001'],
        ['rule', 'partners'],
        ['type', 'finding'],
        ['severity', 'high'],
        ['finding', 'f-syslog'],
        ['kind', 'c2'],
        ['subkind', 'odd "quoted" [x] back\\slash'],
        ['score', '0.93'],
        ['src', '192.0.2.10'],
        ['dst', '198.51.100.7'],
        ['dport', '443'],
        ['url', 'https://vantage.example.org/findings/f-syslog'],
      ],
    },
  ]);
  expect(p.msg).toBe(m.title);
}

describe('syslog sink', () => {
  it('sends one RFC 5424 message per UDP datagram, shortening MSG (never the structured data) to fit', async () => {
    const socket = createSocket('udp4');
    const got: Buffer[] = [];
    socket.on('message', (b) => got.push(b));
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const port = (socket.address() as AddressInfo).port;
    try {
      const m = message();
      await new SyslogSink('siem', settings(port, 'udp')).send(m);
      const long = { ...m, title: `${m.title} ${'x'.repeat(1000)}` };
      await new SyslogSink('siem', settings(port, 'udp', { maxUdpBytes: 480 })).send(long);
      for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).toHaveLength(2);
      expectAlert(parse5424(got[0]!), m);
      expect(got[1]!.length).toBeLessThanOrEqual(480);
      const short = parse5424(got[1]!);
      expect(short.sd).toEqual(parse5424(got[0]!).sd);
      expect(long.title.startsWith(short.msg)).toBe(true);
    } finally {
      socket.close();
    }
  });

  it('frames messages with octet counting over TCP; a refused connection is an error', async () => {
    const chunks: Buffer[] = [];
    const sockets = new Set<Socket>();
    let closed = 0;
    const server = createServer((s) => {
      sockets.add(s);
      s.on('data', (b: Buffer) => chunks.push(b));
      s.on('close', () => closed++);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const m = message();
      const sink = new SyslogSink('siem', settings(port, 'tcp'));
      await sink.send(m);
      await sink.send({ ...m, id: 'alert-0002', severity: 'critical', finding: { ...m.finding!, severity: 'critical' } });
      for (let i = 0; i < 100 && closed < 2; i++) await new Promise((r) => setTimeout(r, 20));
      const frames = splitOctetCounted(Buffer.concat(chunks));
      expect(frames).toHaveLength(2);
      expectAlert(parse5424(frames[0]!), m);
      const second = parse5424(frames[1]!);
      expect(second.pri).toBe(20 * 8 + 2);
      expect(second.sd[0]!.params[0]).toEqual(['alert', 'alert-0002']);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
    await expect(new SyslogSink('siem', settings(port, 'tcp')).send(message())).rejects.toThrow(/ECONNREFUSED/);
  });
});
