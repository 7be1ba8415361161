import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VantageError } from '../../core/errors.js';
import { formatIp, parseIp } from '../../core/ip.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { parseMapSpec } from './column-mapping.js';
import { CsvParser, splitDelimited } from './csv-parser.js';
import { parseLogText } from './parse-log-text.js';

const binetflow = sharedDataPath('labeled-flows/slips/test4-malicious.binetflow');

describe.skipIf(!binetflow)('CsvParser on an Argus binetflow export (slips/test4-malicious.binetflow)', () => {
  const text = readFileSync(binetflow!, 'utf8');
  const rows = text.split('\n').slice(1).filter((l) => l !== '');
  const parsed = parseLogText(new CsvParser(), text);

  it('maps the Argus header by alias and rejects only the ARP rows', () => {
    // StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label
    const arp = rows.map((r, i) => [r, i + 2] as const).filter(([r]) => r.split(',')[2] === 'arp');
    expect(rows.length).toBe(394);
    expect(parsed.read).toBe(rows.length);
    expect(parsed.records.length).toBe(rows.length - arp.length);
    expect(parsed.problems).toEqual(arp.map(([, line]) => ({ code: 'IMPORT_RECORD', line, message: "bad protocol in field 'Proto': 'arp'" })));
  });

  it('reads the first row field by field', () => {
    // 2018/09/27 22:40:52.362768,193.831726,tcp,192.168.2.1,52893,  <?>,192.168.2.12,22,CON,16,16,35,3766,1224,
    const start = Date.UTC(2018, 8, 27, 22, 40, 52, 362);
    expect(parsed.records[0]).toMatchObject({
      start,
      end: start + 193831,
      src: parseIp('192.168.2.1'),
      sport: 52893,
      dst: parseIp('192.168.2.12'),
      dport: 22,
      proto: 6,
      tos: 16,
      packets: 35, // TotPkts (no SrcPkts column)
      bytes: 1224, // SrcBytes is preferred to TotBytes: one direction
    });
  });

  it('agrees with the text on every address', () => {
    const ip = rows.filter((r) => r.split(',')[2] !== 'arp');
    expect(parsed.records.map((r) => `${formatIp(r.src)}>${formatIp(r.dst)}`)).toEqual(ip.map((r) => `${r.split(',')[3]}>${r.split(',')[6]}`));
  });
});

describe('splitDelimited', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['a,,c,', ['a', '', 'c', '']],
    ['"a,b",c', ['a,b', 'c']],
    ['"say ""hi""",2', ['say "hi"', '2']],
    ['x,"y"', ['x', 'y']],
  ])('%j', (line, cells) => {
    expect(splitDelimited(line, ',')).toEqual(cells);
  });

  it('returns null for an unclosed quote', () => {
    expect(splitDelimited('a,"b,c', ',')).toBeNull();
  });
});

describe('CsvParser mapping', () => {
  it('accepts the Vantage column names directly', () => {
    const r = parseLogText(new CsvParser(), 'start,end,src,dst,sport,dport,proto,tcp_flags,packets,bytes,exporter,src_as,tags\n2024-05-01T12:00:00Z,1714564801000,10.0.0.1,2001:db8::2,1234,443,6,0x12,3,180,192.0.2.1,64500,scan;c2\n');
    expect(r.problems).toEqual([]);
    expect(r.records[0]).toEqual({
      start: Date.UTC(2024, 4, 1, 12),
      end: Date.UTC(2024, 4, 1, 12, 0, 1),
      src: parseIp('10.0.0.1'),
      dst: parseIp('2001:db8::2'),
      sport: 1234,
      dport: 443,
      proto: 6,
      tcp_flags: 18,
      packets: 3,
      bytes: 180,
      exporter: parseIp('192.0.2.1'),
      src_as: 64500,
      tags: ['scan', 'c2'],
      // Enrichment columns the file does not give: present, empty.
      dst_as: null,
      src_country: null,
      dst_country: null,
    });
  });

  it('accepts aliases in any case and punctuation, semicolons and quotes', () => {
    const r = parseLogText(new CsvParser(), 'Timestamp;"Src IP";Src Port;Dst IP;Dst Port;Protocol;Pkts;Octets\n1714564800;10.0.0.1;1234;"10.0.0.2";53;udp;1;80\n');
    expect(r.problems).toEqual([]);
    expect(r.records[0]).toMatchObject({ start: Date.UTC(2024, 4, 1, 12), src: parseIp('10.0.0.1'), dst: parseIp('10.0.0.2'), sport: 1234, dport: 53, proto: 17, packets: 1, bytes: 80 });
  });

  it('takes --map overrides before aliases', () => {
    const text = 'time,source_ip,target_ip,dst_ip,port\n2024-05-01 12:00:00,10.0.0.1,10.0.0.9,10.0.0.2,22\n';
    const plain = parseLogText(new CsvParser(), text);
    expect(formatIp(plain.records[0]!.dst)).toBe('10.0.0.2');
    const mapped = parseLogText(new CsvParser(parseMapSpec('dst=target_ip,src=source_ip,dport=port')), text);
    expect(mapped.problems).toEqual([]);
    expect(mapped.records[0]).toMatchObject({ src: parseIp('10.0.0.1'), dst: parseIp('10.0.0.9'), dport: 22 });
  });

  it('derives ICMP type and code from dport, and dport from type and code', () => {
    const r = parseLogText(new CsvParser(), 'ts,sa,da,pr,dp,icmp_type,icmp_code\n0,10.0.0.1,10.0.0.2,icmp,2048,,\n0,10.0.0.1,10.0.0.2,icmp,,3,1\n');
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => [x.dport, x.icmp_type, x.icmp_code])).toEqual([
      [2048, 8, 0],
      [769, 3, 1],
    ]);
  });

  it('refuses bad --map specs', () => {
    expect(() => parseMapSpec('dst')).toThrow(VantageError);
    expect(() => parseMapSpec('target=dst_ip')).toThrow(/not a flow field/);
    expect(() => parseMapSpec('dst=a,dst=b')).toThrow(/mapped twice/);
    expect([...parseMapSpec('TCP-Flags=f, duration = d')]).toEqual([
      ['tcp_flags', 'f'],
      ['duration', 'd'],
    ]);
  });
});

describe('CsvParser on malformed input', () => {
  const HEADER = 'start,src,dst,sport,dport,proto,packets,bytes';
  const ROW = '2024-05-01T12:00:00Z,10.0.0.1,10.0.0.2,1234,443,tcp,3,180';
  const parse = (...rows: string[]) => parseLogText(new CsvParser(), [HEADER, ...rows].join('\n'));

  it('reports a truncated line, also an unclosed quote', () => {
    const r = parse(ROW, ROW.slice(0, 30), ROW, '2024-05-01T12:00:00Z,"10.0.0.1');
    expect(r.problems).toEqual([
      { code: 'IMPORT_RECORD', line: 3, message: 'truncated line: expected 8 columns, got 3' },
      { code: 'IMPORT_RECORD', line: 5, message: 'truncated line: a quoted value is not closed' },
    ]);
    expect(r.records.length).toBe(2);
  });

  it('reports a wrong column count', () => {
    expect(parse(`${ROW},x`).problems[0]).toMatchObject({ line: 2, message: 'wrong column count: expected 8 columns, got 9' });
  });

  it('names the field and value of a bad address', () => {
    expect(parse(ROW.replace('10.0.0.2', 'server-1')).problems[0]).toEqual({ code: 'IMPORT_RECORD', line: 2, message: "bad address in field 'dst': 'server-1'" });
  });

  it('names the field and value of a bad number', () => {
    expect(parse(ROW.replace(',3,180', ',3,1.5k')).problems[0]!.message).toBe("bad number in field 'bytes': '1.5k'");
    expect(parse(ROW.replace(',1234,', ',-1,')).problems[0]!.message).toBe("bad number in field 'sport': '-1'");
    expect(parse(ROW.replace(',443,', ',70000,')).problems[0]!.message).toBe("value out of range in field 'dport': '70000'");
    expect(parse(ROW.replace('2024-05-01T12:00:00Z', 'May 1')).problems[0]!.message).toBe("bad time in field 'start': 'May 1'");
  });

  it('reports a missing required value', () => {
    expect(parse(ROW.replace('10.0.0.1', '')).problems[0]!.message).toBe("missing value in field 'src'");
  });

  it('refuses a header without src, dst or start, naming what it looked for', () => {
    const r = parseLogText(new CsvParser(), 'when,from,to\n1,2,3\n');
    expect(r.problems[0]).toMatchObject({ code: 'IMPORT_FORMAT', line: 1, message: expect.stringMatching(/^unknown header: no column for 'src' \(looked for src, src_ip|srcip/) });
    const unknownMap = parseLogText(new CsvParser(parseMapSpec('dst=target')), `${HEADER}\n`);
    expect(unknownMap.problems[0]).toMatchObject({ code: 'IMPORT_FORMAT', message: "unknown header: --map names column(s) 'target' that the header does not have" });
  });

  it('skips a repeated header, blank lines and comments before the header', () => {
    const r = parseLogText(new CsvParser(), ['# exported by tool X', HEADER, ROW, '', HEADER, ROW].join('\n'));
    expect(r.problems).toEqual([]);
    expect(r.records.length).toBe(2);
  });
});
