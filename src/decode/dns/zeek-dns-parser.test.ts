import { describe, expect, test } from 'vitest';
import { CofParser, detectPassiveDnsCof } from './cof-parser.js';
import { detectPassiveDns } from './passive-dns-input.js';
import type { PassiveDnsObservation } from './passive-dns-observation.js';
import { detectZeekDns, ZeekDnsParser, zeekTxtText } from './zeek-dns-parser.js';

const TSV_HEAD = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tdns',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tquery\tqtype_name\trcode_name\tanswers\tTTLs',
];

function parseAll(parser: { parseLine(t: string, l: number, out: PassiveDnsObservation[]): unknown }, lines: readonly string[]) {
  const out: PassiveDnsObservation[] = [];
  const results = lines.map((l, i) => parser.parseLine(l, i + 1, out));
  return { out, results };
}

describe('detection', () => {
  test('Zeek dns.log TSV by #path, JSON by query + qtype_name keys; COF by rrname + rrtype', () => {
    expect(detectZeekDns(TSV_HEAD)).toBe('tsv');
    expect(detectZeekDns(['#separator \\x09', '#path\tconn'])).toBeUndefined();
    expect(detectZeekDns(['#fields\tts\tquery\tqtype_name', '1.0\tx\tA'])).toBe('tsv');
    expect(detectZeekDns(['{"ts":1.0,"query":"a.b","qtype_name":"A"}'])).toBe('json');
    // A row without a question (no qtype_name) does not decide; the next one does.
    expect(detectZeekDns(['{"ts":1.0,"query":"a.b"}', '{"ts":1.0,"query":"a.b","qtype_name":"A"}'])).toBe('json');
    expect(detectZeekDns(['{"ts":1.0,"id.orig_h":"1.2.3.4","uri":"/"}'])).toBeUndefined();
    expect(detectPassiveDnsCof(['{"rrname":"www.foo.be","rrtype":"A","rdata":"193.191.90.203","time_first":1,"time_last":2}'])).toBe(true);
    expect(detectPassiveDnsCof(['{"rrname":"www.foo.be"}'])).toBe(false);
    expect(detectPassiveDns(TSV_HEAD)).toBe('zeek-dns-tsv');
    expect(detectPassiveDns(['{"rrname":"x","rrtype":"A"}'])).toBe('cof');
    expect(detectPassiveDns(['ts,src,dst'])).toBeUndefined();
  });

  test('a first JSON line cut short does not decide: the next one does', () => {
    const dns = '{"ts":1.0,"query":"a.b","qtype_name":"A"}';
    const cof = '{"rrname":"x","rrtype":"A","rdata":"1.2.3.4","time_first":1,"time_last":2}';
    expect(detectPassiveDns([dns.slice(0, 20), dns])).toBe('zeek-dns-json');
    expect(detectPassiveDns([cof.slice(0, 20), cof])).toBe('cof');
  });
});

describe('Zeek TXT answers', () => {
  test('length-prefixed strings are read by their lengths, spaces and all', () => {
    expect(zeekTxtText('TXT 18 302f017537c68f5169')).toBe('302f017537c68f5169');
    // "n=Chris's Fire TV Stick" is 23 characters: its spaces stay inside the string.
    expect(zeekTxtText("TXT 3 s=0 TXT 23 n=Chris's Fire TV Stick TXT 6 tr=tcp")).toBe("s=0 n=Chris's Fire TV Stick tr=tcp");
    expect(zeekTxtText('TXT 0')).toBe('');
    expect(zeekTxtText('TXTish')).toBeUndefined();
  });
});

describe('ZeekDnsParser', () => {
  test('one observation per distinct answer, typed by form and by the query type', () => {
    const p = new ZeekDnsParser('tsv', 'lab');
    const { out, results } = parseAll(p, [
      ...TSV_HEAD,
      // A query with a CNAME chain: the names are CNAMEs, the addresses A.
      '1610645582.893093\tC1\t10.0.0.1\t5000\t1.1.1.1\t53\tTelemetry.Servers.GetGo.com.\tA\tNOERROR\tapi-telemetry.servers.getgo.com,52.38.14.25,52.43.109.6\t293.0,53.0,53.0',
      // The same record twice in one response counts once.
      '2.5\tC2\t10.0.0.1\t5000\t1.1.1.1\t53\t1.0.0.10.in-addr.arpa\tPTR\tNOERROR\thost.lan,host.lan\t60.0,60.0',
      '3.0\tC3\t10.0.0.1\t5000\t1.1.1.1\t53\tv6.example\tAAAA\tNOERROR\t2001:DB8::1\t60.0',
      // NXDOMAIN and refused responses leave nothing; so does a row without answers.
      '4.0\tC4\t10.0.0.1\t5000\t1.1.1.1\t53\tnx.example\tA\tNXDOMAIN\t-\t-',
      '4.0\tC5\t10.0.0.1\t5000\t1.1.1.1\t53\tno.example\tA\tREFUSED\t1.2.3.4\t-',
      // mDNS announcement: no question type, no rcode.
      '5.0\tC6\t10.0.0.8\t5353\t224.0.0.251\t5353\tsvc._tcp.local\t-\t-\tinst._svc._tcp.local,10.0.0.8,TXT 3 a=1\t1.0,1.0,1.0',
    ]);
    expect(results.slice(TSV_HEAD.length)).toEqual([true, true, true, true, true, true]);
    const s = { sensor: 'lab', count: 1 };
    expect(out).toEqual([
      { rrname: 'telemetry.servers.getgo.com', rrtype: 'CNAME', rdata: 'api-telemetry.servers.getgo.com', firstSeen: 1610645582893, lastSeen: 1610645582893, ...s },
      { rrname: 'telemetry.servers.getgo.com', rrtype: 'A', rdata: '52.38.14.25', firstSeen: 1610645582893, lastSeen: 1610645582893, ...s },
      { rrname: 'telemetry.servers.getgo.com', rrtype: 'A', rdata: '52.43.109.6', firstSeen: 1610645582893, lastSeen: 1610645582893, ...s },
      { rrname: '1.0.0.10.in-addr.arpa', rrtype: 'PTR', rdata: 'host.lan', firstSeen: 2500, lastSeen: 2500, ...s },
      { rrname: 'v6.example', rrtype: 'AAAA', rdata: '2001:db8::1', firstSeen: 3000, lastSeen: 3000, ...s },
      { rrname: 'svc._tcp.local', rrtype: 'UNKNOWN', rdata: 'inst._svc._tcp.local', firstSeen: 5000, lastSeen: 5000, ...s },
      { rrname: 'svc._tcp.local', rrtype: 'A', rdata: '10.0.0.8', firstSeen: 5000, lastSeen: 5000, ...s },
      { rrname: 'svc._tcp.local', rrtype: 'TXT', rdata: 'a=1', firstSeen: 5000, lastSeen: 5000, ...s },
    ]);
  });

  test('JSON rows: answers as an array; bad rows are problems with their line', () => {
    const p = new ZeekDnsParser('json', 'lab');
    const { out, results } = parseAll(p, [
      '{"ts":1517336042.279652,"query":"6dde0175375169c68f.dnsc.r-1x.com","qtype_name":"TXT","rcode_name":"NOERROR","answers":["TXT 18 302f017537c68f5169"],"TTLs":[60.0]}',
      '{"ts":"soon","query":"a.example","qtype_name":"A","answers":["1.2.3.4"]}',
      '{"query":"a.example","qtype_name":"A","answers":["1.2.3.4"]}',
      '{"ts":1.0,"query":"a.example","qtype_name":"A","answers":"1.2.3.4"}',
      '{"ts":1.0,"query":"a.example"',
    ]);
    expect(out).toEqual([{ rrname: '6dde0175375169c68f.dnsc.r-1x.com', rrtype: 'TXT', rdata: '302f017537c68f5169', firstSeen: 1517336042279, lastSeen: 1517336042279, count: 1, sensor: 'lab' }]);
    expect(results.slice(1)).toEqual([
      { code: 'IMPORT_RECORD', line: 2, message: "bad time in field 'ts': 'soon'" },
      { code: 'IMPORT_RECORD', line: 3, message: "missing value in field 'ts': ''" },
      { code: 'IMPORT_RECORD', line: 4, message: "bad value in field 'answers': expected an array, got '1.2.3.4'" },
      { code: 'IMPORT_RECORD', line: 5, message: 'truncated line: the JSON object is not closed' },
    ]);
  });

  test('a TSV log of another path, or lacking query, is refused at its header', () => {
    expect(parseAll(new ZeekDnsParser('tsv', 's'), ['#separator \\x09', '#path\thttp']).results[1]).toMatchObject({ code: 'IMPORT_FORMAT', line: 2 });
    expect(parseAll(new ZeekDnsParser('tsv', 's'), ['#separator \\x09', '#fields\tts\tuid']).results[1]).toMatchObject({ code: 'IMPORT_FORMAT', message: 'unknown header: Zeek #fields lacks query (not a dns log?)' });
  });
});

describe('CofParser', () => {
  test('records modelled on the draft examples: one observation per rdata, counts and times kept', () => {
    const p = new CofParser('cof.jsonl');
    const { out, results } = parseAll(p, [
      '{"count": 97167, "time_first": 1298306100, "rrtype": "A", "rrname": "www.foo.be", "rdata": "193.191.90.203", "time_last": 1385026330}',
      '{"count": 2, "time_first": 1298306100, "rrtype": "NS", "rrname": "foo.be.", "rdata": ["NS1.foo.be.", "ns2.foo.be"], "time_last": 1298306200, "sensor_id": "circl-7"}',
      '{"time_first": 1, "rrtype": 28, "rrname": "v6.foo.be", "rdata": "2001:DB8:0:0::1", "time_last": 2}',
      '{"time_first_ms": 1000123, "time_first": 1000, "rrtype": "TXT", "rrname": "t.foo.be", "rdata": "v=spf1 -all", "time_last": 1001, "time_last_ms": 1001456}',
    ]);
    expect(results).toEqual([true, true, true, true]);
    expect(out).toEqual([
      { rrname: 'www.foo.be', rrtype: 'A', rdata: '193.191.90.203', firstSeen: 1298306100000, lastSeen: 1385026330000, count: 97167, sensor: 'cof.jsonl' },
      { rrname: 'foo.be', rrtype: 'NS', rdata: 'ns1.foo.be', firstSeen: 1298306100000, lastSeen: 1298306200000, count: 2, sensor: 'circl-7' },
      { rrname: 'foo.be', rrtype: 'NS', rdata: 'ns2.foo.be', firstSeen: 1298306100000, lastSeen: 1298306200000, count: 2, sensor: 'circl-7' },
      { rrname: 'v6.foo.be', rrtype: 'AAAA', rdata: '2001:db8::1', firstSeen: 1000, lastSeen: 2000, count: 1, sensor: 'cof.jsonl' },
      { rrname: 't.foo.be', rrtype: 'TXT', rdata: 'v=spf1 -all', firstSeen: 1000123, lastSeen: 1001456, count: 1, sensor: 'cof.jsonl' },
    ]);
  });

  test('records lacking a mandatory field, or with bad times or counts, are problems', () => {
    const { out, results } = parseAll(new CofParser('c'), [
      '{"rrtype": "A", "rdata": "1.2.3.4", "time_first": 1, "time_last": 2}',
      '{"rrname": "a.b", "rdata": "1.2.3.4", "time_first": 1, "time_last": 2}',
      '{"rrname": "a.b", "rrtype": "A", "time_first": 1, "time_last": 2}',
      '{"rrname": "a.b", "rrtype": "A", "rdata": "1.2.3.4", "time_last": 2}',
      '{"rrname": "a.b", "rrtype": "A", "rdata": "1.2.3.4", "time_first": "yesterday", "time_last": 2}',
      '{"rrname": "a.b", "rrtype": "A", "rdata": "1.2.3.4", "time_first": 3, "time_last": 2}',
      '{"rrname": "a.b", "rrtype": "A", "rdata": "1.2.3.4", "time_first": 1, "time_last": 2, "count": -4}',
      '[1, 2]',
    ]);
    expect(out).toEqual([]);
    expect(results.map((r) => (r as { message: string }).message)).toEqual([
      "missing value in field 'rrname': ''",
      "missing value in field 'rrtype': ''",
      "missing value in field 'rdata': ''",
      "missing value in field 'time_first': ''",
      "bad time in field 'time_first': 'yesterday'",
      'time_last (2) is before time_first (3)',
      "bad number in field 'count': '-4'",
      'not a JSON object',
    ]);
  });

  test('an A answer that is not IPv4, or an AAAA answer not IPv6, rejects its record naming line and value', () => {
    const parser = new CofParser('pdns.jsonl');
    const out: PassiveDnsObservation[] = [];
    const rec = (rrname: string, rrtype: string | number, rdata: unknown) => JSON.stringify({ rrname, rrtype, rdata, time_first: 1700000000, time_last: 1700000100 });
    const results = [
      rec('a.example', 'A', '1.2.3.4'),
      rec('b.example', 'A', '1.2.3.999'),
      rec('c.example', 'AAAA', 'not-an-ip'),
      rec('d.example', 'AAAA', '2001:DB8::1'),
      rec('e.example', 'AAAA', '1.2.3.4'), // an IPv4 address is no AAAA answer
      rec('f.example', 1, ['1.2.3.5', '1.2.3']), // type 1 is A; one bad value rejects the record
      rec('g.example', 'CNAME', 'h.example'),
    ].map((line, i) => parser.parseLine(line, i + 1, out));
    expect(results).toEqual([
      true,
      { code: 'IMPORT_RECORD', line: 2, message: "bad address in field 'rdata': '1.2.3.999' (rrtype A needs an IPv4 address)" },
      { code: 'IMPORT_RECORD', line: 3, message: "bad address in field 'rdata': 'not-an-ip' (rrtype AAAA needs an IPv6 address)" },
      true,
      { code: 'IMPORT_RECORD', line: 5, message: "bad address in field 'rdata': '1.2.3.4' (rrtype AAAA needs an IPv6 address)" },
      { code: 'IMPORT_RECORD', line: 6, message: "bad address in field 'rdata': '1.2.3' (rrtype A needs an IPv4 address)" },
      true,
    ]);
    expect(out.map((o) => [o.rrname, o.rrtype, o.rdata])).toEqual([
      ['a.example', 'A', '1.2.3.4'],
      ['d.example', 'AAAA', '2001:db8::1'],
      ['g.example', 'CNAME', 'h.example'],
    ]);
  });
});
