import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../../core/ip.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { parseLogText } from './parse-log-text.js';
import { ZeekJsonParser } from './zeek-json-parser.js';

/** Every number after `"key":` in the text, in order (a regex reading, not the parser's). */
function numbersOf(text: string, key: string): number[] {
  return [...text.matchAll(new RegExp(`"${key.replace('.', '\\.')}": ?([0-9.]+)`, 'g'))].map((m) => Number(m[1]));
}

function lineCount(text: string): number {
  return text.split('\n').filter((l) => l.trim() !== '').length;
}

const logs = {
  rita: sharedDataPath('zeek-logs/rita-json/conn.log'),
  slips: sharedDataPath('zeek-logs/slips-test9-mixed/conn.log'),
  scan: sharedDataPath('labeled-flows/stratosphere-security-datasets/002-zeek-scenario-port-scanning/conn.log'),
};

describe.each([
  ['rita-json/conn.log', logs.rita, 29],
  ['slips-test9-mixed/conn.log', logs.slips, 576],
  ['002-zeek-scenario-port-scanning/conn.log', logs.scan, 4504],
])('ZeekJsonParser on %s', (_name, path, rows) => {
  it.skipIf(!path)('reads every line; flows and wire totals match the text', () => {
    const text = readFileSync(path!, 'utf8');
    const parsed = parseLogText(new ZeekJsonParser(), text);
    expect(lineCount(text)).toBe(rows); // SOURCES.md; also `wc -l`
    expect(parsed.problems).toEqual([]);
    expect(parsed.read).toBe(rows);
    const respPkts = numbersOf(text, 'resp_pkts');
    expect(respPkts.length).toBe(rows);
    expect(parsed.records.length).toBe(rows + respPkts.filter((n) => n > 0).length);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(parsed.records.reduce((n, r) => n + r.bytes, 0)).toBe(sum(numbersOf(text, 'orig_ip_bytes')) + sum(numbersOf(text, 'resp_ip_bytes')));
    expect(parsed.records.reduce((n, r) => n + r.packets, 0)).toBe(sum(numbersOf(text, 'orig_pkts')) + sum(respPkts));
  });
});

describe.skipIf(!logs.rita)('ZeekJsonParser field values (rita-json/conn.log)', () => {
  it('reads the first connection as two flows', () => {
    const parsed = parseLogText(new ZeekJsonParser(), readFileSync(logs.rita!, 'utf8'));
    // {"ts": 1517422326.539915, ... "id.orig_h": "10.55.100.100", "id.orig_p": 61843, "id.resp_h": "205.204.101.182",
    //  "id.resp_p": 80, "proto": "tcp", "duration": 108.985496, "history": "ShADadfF", "orig_pkts": 10,
    //  "orig_ip_bytes": 1131, "resp_pkts": 4, "resp_ip_bytes": 508}
    const start = 1517422326539;
    const end = Math.floor((1517422326539915 + 108985496) / 1000);
    expect(parsed.records[0]).toMatchObject({ start, end, src: parseIp('10.55.100.100'), dst: parseIp('205.204.101.182'), sport: 61843, dport: 80, proto: 6, tcp_flags: 19, packets: 10, bytes: 1131 });
    expect(parsed.records[1]).toMatchObject({ start, end, src: parseIp('205.204.101.182'), dst: parseIp('10.55.100.100'), sport: 80, dport: 61843, tcp_flags: 19, packets: 4, bytes: 508 });
  });
});

describe.skipIf(!logs.slips)('ZeekJsonParser field values (slips-test9-mixed/conn.log)', () => {
  const text = readFileSync(logs.slips!, 'utf8');
  const parsed = parseLogText(new ZeekJsonParser(), text);

  it('reads relative test times, IPv6 and one-way flows', () => {
    // {"ts":22.335172,...,"id.orig_h":"fe80::1cf4:44d2:904a:14f7","id.orig_p":61099,"id.resp_h":"ff02::1:3",
    //  "id.resp_p":5355,"proto":"udp","duration":0.09628199999999865,...,"orig_pkts":2,"orig_ip_bytes":146,"resp_pkts":0}
    expect(parsed.records[0]).toMatchObject({ start: 22335, end: 22431, src: parseIp('fe80::1cf4:44d2:904a:14f7'), dst: parseIp('ff02::1:3'), sport: 61099, dport: 5355, proto: 17, packets: 2, bytes: 146, tcp_flags: 0 });
    // the next line answered: two flows
    expect(formatIp(parsed.records[1]!.src)).toBe('10.0.2.15');
    expect(formatIp(parsed.records[2]!.src)).toBe('195.113.232.73');
  });

  it('reads ICMPv6 from the unspecified address', () => {
    // {"ts":18.836741,...,"id.orig_h":"::","id.orig_p":135,"id.resp_h":"ff02::1:ff4a:14f7","id.resp_p":136,"proto":"icmp",...}
    const ns = parsed.records.find((r) => r.src === 0n)!;
    expect(ns).toMatchObject({ proto: 58, sport: 0, dport: 135 * 256, icmp_type: 135, icmp_code: 0, packets: 1, bytes: 64 });
  });
});

describe.skipIf(!logs.scan)('ZeekJsonParser ICMP pairs (002-zeek-scenario-port-scanning/conn.log)', () => {
  const text = readFileSync(logs.scan!, 'utf8');
  const parsed = parseLogText(new ZeekJsonParser(), text);
  const icmpLines = text.split('\n').filter((l) => l.includes('"proto":"icmp"'));

  it('puts request type in the originator flow and reply type in the responder flow', () => {
    const icmp = parsed.records.filter((r) => r.proto === 1);
    const answered = icmpLines.filter((l) => !l.includes('"resp_pkts":0,')).length;
    expect(icmp.length).toBe(icmpLines.length + answered);
    const echoes = icmpLines.filter((l) => l.includes('"id.orig_p":8,') && l.includes('"id.resp_p":0,')).length;
    expect(icmp.filter((r) => r.icmp_type === 8 && r.icmp_code === 0 && r.dport === 2048).length).toBe(echoes);
    // timestamp request 13 / reply 14, and port unreachable (type 3, code 3: one-way)
    expect(icmp.filter((r) => r.icmp_type === 13 && r.dport === 13 * 256).length).toBe(icmpLines.filter((l) => l.includes('"id.orig_p":13,')).length);
    const unreachable = icmpLines.filter((l) => l.includes('"id.orig_p":3,') && l.includes('"id.resp_p":3,'));
    const unreachableFlows = unreachable.length + unreachable.filter((l) => !l.includes('"resp_pkts":0,')).length;
    expect(icmp.filter((r) => r.icmp_type === 3 && r.icmp_code === 3 && r.dport === 771).length).toBe(unreachableFlows);
    const replies = icmp.filter((r) => r.icmp_type === 0 && r.dport === 0);
    expect(replies.length).toBe(icmpLines.filter((l) => l.includes('"id.orig_p":8,') && !l.includes('"resp_pkts":0,')).length);
  });

  it('sees the single scanner SOURCES.md names: 172.16.1.11', () => {
    const scanner = parseIp('172.16.1.11');
    expect(parsed.records.filter((r) => r.src === scanner).length).toBe(text.split('\n').filter((l) => l.includes('"id.orig_h":"172.16.1.11"')).length);
  });
});

describe('ZeekJsonParser on malformed input', () => {
  const LINE = '{"ts": 1517422326.539915, "uid": "CxHo3m4N8uGxrMlcl2", "id.orig_h": "10.55.100.100", "id.orig_p": 61843, "id.resp_h": "205.204.101.182", "id.resp_p": 80, "proto": "tcp", "service": "http", "duration": 108.985496, "orig_bytes": 719, "resp_bytes": 336, "conn_state": "SF", "local_orig": true, "local_resp": false, "missed_bytes": 20, "history": "ShADadfF", "orig_pkts": 10, "orig_ip_bytes": 1131, "resp_pkts": 4, "resp_ip_bytes": 508, "_path": "conn"}';
  const parse = (...lines: string[]) => parseLogText(new ZeekJsonParser(), lines.join('\n'));

  it('reports a truncated line', () => {
    const r = parse(LINE, LINE.slice(0, 120), LINE);
    expect(r.problems).toEqual([{ code: 'IMPORT_RECORD', line: 2, message: 'truncated line: the JSON object is not closed' }]);
    expect(r.records.length).toBe(4);
  });

  it('reports malformed JSON (the JSON form of a wrong column count)', () => {
    const r = parse(LINE, LINE.replace('"proto": "tcp",', '"proto": tcp,'));
    expect(r.problems[0]).toMatchObject({ line: 2, message: expect.stringMatching(/^malformed JSON: /) });
  });

  it('names the field and value of a bad address or number', () => {
    expect(parse(LINE, LINE.replace('"205.204.101.182"', '"205.204.101"')).problems).toEqual([
      { code: 'IMPORT_RECORD', line: 2, message: "bad address in field 'id.resp_h': '205.204.101'" },
    ]);
    expect(parse(LINE.replace('"orig_pkts": 10', '"orig_pkts": -10')).problems[0]!.message).toBe("bad number in field 'orig_pkts': '-10'");
    expect(parse(LINE.replace('"orig_pkts": 10', '"orig_pkts": "ten"')).problems[0]!.message).toBe("bad number in field 'orig_pkts': 'ten'");
    expect(parse(LINE.replace('"id.resp_p": 80', '"id.resp_p": 80000')).problems[0]!.message).toBe("value out of range in field 'id.resp_p': '80000'");
    expect(parse(LINE.replace('"ts": 1517422326.539915', '"ts": "yesterday"')).problems[0]!.message).toBe("bad time in field 'ts': 'yesterday'");
  });

  it('reads ISO times, nested ids and string numbers', () => {
    const nested = '{"ts":"2018-01-31T18:12:06.539915Z","id":{"orig_h":"10.0.0.1","orig_p":"1234","resp_h":"10.0.0.2","resp_p":53},"proto":"udp","conn_state":"S0","orig_pkts":1,"orig_ip_bytes":60}';
    const r = parse(nested);
    expect(r.problems).toEqual([]);
    expect(r.records).toEqual([
      { start: Date.UTC(2018, 0, 31, 18, 12, 6, 539), end: Date.UTC(2018, 0, 31, 18, 12, 6, 539), src: parseIp('10.0.0.1'), dst: parseIp('10.0.0.2'), sport: 1234, dport: 53, proto: 17, tcp_flags: 0, packets: 1, bytes: 60, icmp_type: undefined, icmp_code: undefined, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null },
    ]);
  });

  it('refuses other Zeek logs and non-JSON as an unknown header when no first line is a connection', () => {
    // Each line is rejected as itself; at the end, the file is refused at its first line.
    const dns = '{"ts":1.0,"id.orig_h":"10.0.0.1","query":"example.com","_path":"dns"}';
    expect(parse(dns).problems).toEqual([
      { code: 'IMPORT_RECORD', line: 1, message: "this Zeek log is 'dns', not a conn log" },
      { code: 'IMPORT_FORMAT', line: 1, message: "unknown header: this Zeek log is 'dns', not a conn log" },
    ]);
    expect(parse('#separator \\x09').problems.find((p) => p.code === 'IMPORT_FORMAT')).toMatchObject({ line: 1 });
    expect(parse('{"ts":1.0,"src":"10.0.0.1"}').problems.find((p) => p.code === 'IMPORT_FORMAT')).toMatchObject({ message: expect.stringContaining("no 'id.orig_h'") });
  });

  it('a bad first line costs that line only: the connections after it are read', () => {
    for (const first of [LINE.slice(0, 60), '{"foo":1}', '[1,2]']) {
      const r = parse(first, LINE, LINE);
      expect(r.problems.map((p) => [p.code, p.line])).toEqual([['IMPORT_RECORD', 1]]);
      expect(r.read).toBe(3);
      expect(r.records.length).toBe(4);
    }
    expect(parse('{"foo":1}', LINE).problems[0]!.message).toBe("missing value in field 'ts'");
  });

  it('refuses the file when none of its first 10 lines is a connection, at the first line', () => {
    const other = '{"ts":1.0,"query":"example.com"}';
    const r = parse(...Array<string>(10).fill(other), LINE);
    expect(r.problems.filter((p) => p.code === 'IMPORT_RECORD').map((p) => p.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.problems[9]).toEqual({ code: 'IMPORT_FORMAT', line: 1, message: "unknown header: Zeek JSON object has no 'id.orig_h' (not a conn log?) (and none of the first 10 lines is a Zeek conn object)" });
  });

  it('shows an object as JSON and an overflowing number as written', () => {
    expect(parse(LINE.replace('"10.55.100.100"', '{"ip":"10.55.100.100"}')).problems[0]!.message).toBe(`bad address in field 'id.orig_h': '{"ip":"10.55.100.100"}'`);
    expect(parse(LINE, LINE.replace('"orig_pkts": 10', '"orig_pkts": 1e400')).problems[0]!.message).toBe("bad number in field 'orig_pkts': '1e400'");
    expect(parse(LINE, LINE.replace('1517422326.539915', '-1e400')).problems[0]!.message).toBe("bad time in field 'ts': '-1e400'");
    expect(parse(LINE, LINE.replace('"duration": 108.985496', '"duration": [1]')).problems[0]!.message).toBe("bad number in field 'duration': '[1]'");
  });
});
