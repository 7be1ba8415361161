import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../../core/ip.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { parseLogText } from './parse-log-text.js';
import { historyFlags } from './zeek-conn.js';
import { ZeekTsvParser } from './zeek-tsv-parser.js';

/** The rows of a Zeek TSV log as objects keyed by the #fields names: an independent reading. */
function zeekRows(text: string): Record<string, string>[] {
  const lines = text.split('\n');
  const fields = lines.find((l) => l.startsWith('#fields\t'))!.split('\t').slice(1);
  return lines
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i], v])));
}

const count = (v: string | undefined): number => (v === undefined || v === '-' ? 0 : Number(v));

const proxyLog = sharedDataPath('zeek-logs/rita-proxy-tsv/conn.log');
const baselineLog = sharedDataPath('zeek-logs/zeek-baselines/opt.basic_conn.log');

describe.skipIf(!proxyLog)('ZeekTsvParser on rita-proxy-tsv/conn.log', () => {
  const text = readFileSync(proxyLog!, 'utf8');
  const rows = zeekRows(text);
  const parsed = parseLogText(new ZeekTsvParser(), text);

  it('reads all 463 rows: one originator flow each, plus a responder flow when resp_pkts > 0', () => {
    expect(rows.length).toBe(463); // SOURCES.md; also `grep -vc '^#'`
    expect(parsed.problems).toEqual([]);
    expect(parsed.read).toBe(rows.length);
    expect(parsed.records.length).toBe(rows.length + rows.filter((r) => count(r.resp_pkts) > 0).length);
  });

  it('keeps the wire totals: orig_ip_bytes + resp_ip_bytes, orig_pkts + resp_pkts', () => {
    const wireBytes = rows.reduce((n, r) => n + count(r.orig_ip_bytes) + count(r.resp_ip_bytes), 0);
    const wirePackets = rows.reduce((n, r) => n + count(r.orig_pkts) + count(r.resp_pkts), 0);
    expect(parsed.records.reduce((n, r) => n + r.bytes, 0)).toBe(wireBytes);
    expect(parsed.records.reduce((n, r) => n + r.packets, 0)).toBe(wirePackets);
  });

  it('reads the first connection as two flows', () => {
    // 1672843056.913119 CXHB1X22027MRWU6D 10.136.0.18 55548 10.136.0.16 3128 tcp http,ssl 0.084044 ... ShADadFf 18 1974 14 21011
    const [orig, resp] = parsed.records;
    const start = 1672843056913;
    const end = Math.floor((1672843056913119 + 84044) / 1000);
    expect(orig).toEqual({
      start,
      end,
      src: parseIp('10.136.0.18'),
      dst: parseIp('10.136.0.16'),
      sport: 55548,
      dport: 3128,
      proto: 6,
      tcp_flags: 2 | 16 | 1, // S, A, D, F; the responder's h a d f give SYN+ACK, ACK, FIN
      packets: 18,
      bytes: 1974,
      icmp_type: undefined,
      icmp_code: undefined,
      // Left for enrichment at ingest.
      src_as: null,
      dst_as: null,
      src_country: null,
      dst_country: null,
      tags: null,
    });
    expect(resp).toMatchObject({ start, end, src: parseIp('10.136.0.16'), dst: parseIp('10.136.0.18'), sport: 3128, dport: 55548, tcp_flags: 18 | 1, packets: 14, bytes: 21011 });
  });

  it('reads IPv6 ICMP (Zeek says icmp) as ICMPv6 with type and code in dport', () => {
    // fe80::7809:d6ff:fee3:ff67 133 -> ff02::2 134 icmp: router solicitation, paired with advertisement
    const icmp = parsed.records.filter((r) => r.proto === 58);
    expect(icmp.length).toBe(rows.filter((r) => r.proto === 'icmp' && r['id.orig_h']!.includes(':')).length);
    expect(icmp[0]).toMatchObject({ src: parseIp('fe80::7809:d6ff:fee3:ff67'), dst: parseIp('ff02::2'), sport: 0, dport: 133 * 256, icmp_type: 133, icmp_code: 0, packets: 1, bytes: 56 });
  });

  it('agrees with the text on every originator address', () => {
    let i = 0;
    for (const row of rows) {
      expect(formatIp(parsed.records[i]!.src)).toBe(formatIp(parseIp(row['id.orig_h']!)!));
      i += count(row.resp_pkts) > 0 ? 2 : 1;
    }
  });
});

describe.skipIf(!baselineLog)('ZeekTsvParser on zeek-baselines/opt.basic_conn.log', () => {
  const text = readFileSync(baselineLog!, 'utf8');
  const rows = zeekRows(text);

  it('rejects every row of the btest baseline, whose times are scrubbed to XXXXXXXXXX.XXXXXX', () => {
    const parsed = parseLogText(new ZeekTsvParser(), text);
    expect(rows.length).toBe(34);
    expect(parsed.records).toEqual([]);
    expect(parsed.problems.length).toBe(rows.length);
    expect(parsed.problems[0]).toEqual({ code: 'IMPORT_RECORD', line: 10, message: "bad time in field 'ts': 'XXXXXXXXXX.XXXXXX'" });
  });

  // With a real time put back (in memory), the rest of the layout is exercised: ip_proto,
  // IPv6, unset fields, the flipped history `^h`.
  const fixed = text.replaceAll('XXXXXXXXXX.XXXXXX', '1300000000.000000');
  const parsed = parseLogText(new ZeekTsvParser(), fixed);

  it('reads all rows once a time is put back', () => {
    expect(parsed.problems).toEqual([]);
    expect(parsed.read).toBe(rows.length);
    expect(parsed.records.length).toBe(rows.length + rows.filter((r) => count(r.resp_pkts) > 0).length);
    expect(parsed.records.filter((r) => r.proto === 17).length).toBe(
      rows.filter((r) => r.ip_proto === '17').reduce((n, r) => n + (count(r.resp_pkts) > 0 ? 2 : 1), 0),
    );
  });

  it('reads an unset duration as a zero-length flow and IPv6 multicast DNS', () => {
    // fe80::217:f2ff:fed7:cf65 5353 -> ff02::fb 5353 udp dns - - - S0 ... D 1 199 0 0 - 17
    const mdns = parsed.records.find((r) => r.src === parseIp('fe80::217:f2ff:fed7:cf65'))!;
    expect(mdns).toMatchObject({ start: 1300000000000, end: 1300000000000, dst: parseIp('ff02::fb'), sport: 5353, dport: 5353, proto: 17, packets: 1, bytes: 199, tcp_flags: 0 });
  });

  it('keeps a connection whose originator sent nothing: 0-packet originator flow, SYN+ACK responder flow', () => {
    // 141.142.220.235 6705 -> 173.192.163.128 80 tcp - - - - OTH F F 0 ^h 0 0 1 48 - 6
    const i = parsed.records.findIndex((r) => r.src === parseIp('141.142.220.235'));
    expect(parsed.records[i]).toMatchObject({ dport: 80, packets: 0, bytes: 0, tcp_flags: 0 });
    expect(parsed.records[i + 1]).toMatchObject({ src: parseIp('173.192.163.128'), sport: 80, dport: 6705, packets: 1, bytes: 48, tcp_flags: 18 });
  });
});

describe('historyFlags', () => {
  it.each([
    // [history, originator flags, responder flags]
    ['ShADadFf', 2 | 16 | 1, 18 | 16 | 1],
    ['ShADadR', 2 | 16 | 4, 18 | 16],
    ['S', 2, 0],
    ['Sr', 2, 4],
    ['^h', 0, 18],
    ['DdA', 16, 16],
    ['', 0, 0],
    ['CGTWIQ', 0, 0],
  ])('%j', (history, orig, resp) => {
    const f = historyFlags(history);
    expect([f & 255, f >> 8]).toEqual([orig, resp]);
  });
});

describe('ZeekTsvParser on malformed input', () => {
  const HEADER = [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
    '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]',
  ];
  // The first row of rita-proxy-tsv/conn.log.
  const ROW = '1672843056.913119\tCXHB1X22027MRWU6D\t10.136.0.18\t55548\t10.136.0.16\t3128\ttcp\thttp,ssl\t0.084044\t1030\t20275\tSF\tT\tT\t0\tShADadFf\t18\t1974\t14\t21011\t-';
  const parse = (...rows: string[]) => parseLogText(new ZeekTsvParser(), [...HEADER, ...rows, '#close\t2023-01-05-18-51-07'].join('\n'));

  it('reads a good row (and CRLF line endings)', () => {
    expect(parse(ROW).records.length).toBe(2);
    expect(parseLogText(new ZeekTsvParser(), [...HEADER, ROW].join('\r\n')).records.length).toBe(2);
  });

  it('reports a truncated line with expected and actual column counts', () => {
    const r = parse(ROW, ROW.split('\t').slice(0, 9).join('\t'), ROW);
    expect(r.problems).toEqual([{ code: 'IMPORT_RECORD', line: 9, message: 'truncated line: expected 21 columns, got 9' }]);
    expect(r.records.length).toBe(4);
  });

  it('reports a wrong column count', () => {
    expect(parse(`${ROW}\textra`).problems[0]!.message).toBe('wrong column count: expected 21 columns, got 22');
  });

  it('names the field and value of a bad address', () => {
    const r = parse(ROW.replace('10.136.0.16', '10.136.0.256'));
    expect(r.problems).toEqual([{ code: 'IMPORT_RECORD', line: 8, message: "bad address in field 'id.resp_h': '10.136.0.256'" }]);
  });

  it('names the field and value of a bad number', () => {
    expect(parse(ROW.replace('\t1974\t', '\t19x4\t')).problems[0]!.message).toBe("bad number in field 'orig_ip_bytes': '19x4'");
    expect(parse(ROW.replace('\t55548\t', '\t65536\t')).problems[0]!.message).toBe("value out of range in field 'id.orig_p': '65536'");
    expect(parse(ROW.replace('\t0.084044\t', '\tfast\t')).problems[0]!.message).toBe("bad number in field 'duration': 'fast'");
  });

  it('refuses data before the headers, other Zeek logs and a #fields line without ids', () => {
    expect(parseLogText(new ZeekTsvParser(), `${ROW}\n`).problems[0]).toMatchObject({ code: 'IMPORT_FORMAT', line: 1, message: expect.stringContaining('unknown header') });
    const dns = HEADER.map((l) => (l === '#path\tconn' ? '#path\tdns' : l)).join('\n');
    expect(parseLogText(new ZeekTsvParser(), dns).problems[0]).toMatchObject({ code: 'IMPORT_FORMAT', line: 5, message: "unknown header: this Zeek log is 'dns', not a conn log" });
    expect(parseLogText(new ZeekTsvParser(), '#separator \\x09\n#fields\tts\tuid\tquery\n').problems[0]).toMatchObject({ code: 'IMPORT_FORMAT', line: 2 });
  });
});
