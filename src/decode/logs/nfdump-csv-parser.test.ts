import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../../core/ip.js';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { NfdumpCsvParser } from './nfdump-csv-parser.js';
import { parseLogText } from './parse-log-text.js';

const nfdumpFile = sharedDataPath('flow-export/slips-nfdump/test1-malicious.nfdump');
const hasNfdump = requireTool('nfdump');

/** nfdump prints local time: pin it to UTC so the text is the UTC the parser assumes. */
function nfdump(args: string[]): string {
  return execFileSync('nfdump', args, { env: { ...process.env, TZ: 'UTC' }, maxBuffer: 256 << 20 }).toString('utf8');
}

const HEADER =
  'ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr';
// Two rows as nfdump 1.7.1 prints them (from `nfdump -o csv` of test1-malicious.nfdump).
const ROW1 =
  '2018-01-12 15:37:30,2018-01-12 15:37:30,0.000,147.32.80.119,147.32.82.62,52324,902,TCP,......S.,0,0,1,60,0,0,0,0,2852,2852,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    0.000,    0.000,    0.000,147.32.82.62,0/58,1,1970-01-01 00:00:00.000';
const ROW2 = ROW1.replace('52324,902', '52325,902');

describe.skipIf(!nfdumpFile || !hasNfdump)('NfdumpCsvParser on nfdump -o csv of test1-malicious.nfdump', () => {
  const text = nfdump(['-r', nfdumpFile!, '-o', 'csv']);
  const lines = text.split('\n');
  const summaryAt = lines.indexOf('Summary');
  // Independent truth: the data rows between the header and nfdump's own Summary section,
  // and the totals nfdump prints there (flows,bytes,packets,...).
  const dataRows = lines.slice(1, summaryAt).filter((l) => l !== '');
  const [flows, bytes, packets] = lines[summaryAt + 2]!.split(',').map(Number);
  const parsed = parseLogText(new NfdumpCsvParser(), text);

  it('imports every row and skips the Summary section', () => {
    expect(lines[0]).toBe(HEADER);
    expect(parsed.problems).toEqual([]);
    expect(dataRows.length).toBe(4593); // SOURCES.md: 4,593 flows
    expect(parsed.records.length).toBe(dataRows.length);
    expect(parsed.records.length).toBe(flows);
  });

  it("matches nfdump's own byte and packet totals", () => {
    expect(parsed.records.reduce((n, r) => n + r.bytes, 0)).toBe(bytes);
    expect(parsed.records.reduce((n, r) => n + r.packets, 0)).toBe(packets);
  });

  it('reads the first row field by field', () => {
    expect(dataRows[0]).toBe(ROW1);
    expect(parsed.records[0]).toMatchObject({
      start: Date.UTC(2018, 0, 12, 15, 37, 30),
      end: Date.UTC(2018, 0, 12, 15, 37, 30),
      src: parseIp('147.32.80.119'),
      dst: parseIp('147.32.82.62'),
      sport: 52324,
      dport: 902,
      proto: 6,
      tcp_flags: 2, // ......S.
      packets: 1,
      bytes: 60,
      exporter: parseIp('147.32.82.62'),
      src_as: 2852,
      dst_as: 2852,
      in_if: 0,
      out_if: 0,
    });
    expect(parsed.records[0]!.next_hop).toBeUndefined(); // 0.0.0.0 = none
    // the reply: ...A.R.. = ACK|RST
    expect(parsed.records[1]).toMatchObject({ src: parseIp('147.32.82.62'), sport: 902, dport: 52324, tcp_flags: 20, bytes: 40 });
  });

  it('agrees with the text on addresses and ports of every row', () => {
    dataRows.forEach((row, i) => {
      const cols = row.split(',');
      const r = parsed.records[i]!;
      expect([formatIp(r.src), formatIp(r.dst), String(r.sport), String(r.dport)]).toEqual([cols[3], cols[4], cols[5], cols[6]]);
    });
  });

  it('counts the SYN flood SOURCES.md describes: 147.32.80.119 -> 147.32.82.62:902, 2,305 one-packet SYN flows', () => {
    const syn = parsed.records.filter(
      (r) => r.src === parseIp('147.32.80.119') && r.dst === parseIp('147.32.82.62') && r.dport === 902 && r.tcp_flags === 2 && r.packets === 1,
    );
    expect(syn.length).toBe(dataRows.filter((l) => l.includes(',147.32.80.119,147.32.82.62,') && l.includes(',902,TCP,......S.,')).length);
    expect(syn.length).toBe(2305);
  });
});

describe.skipIf(!hasNfdump || !requireTool('nfpcapd') || !sharedDataPath('pcap-malicious/stopddos/amp.dns.RRSIG.fragmented.pcap'))(
  'NfdumpCsvParser on ICMP flows (nfpcapd from a real pcap)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'vantage-nfpcapd-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('nfpcapd', ['-r', sharedDataPath('pcap-malicious/stopddos/amp.dns.RRSIG.fragmented.pcap')!, '-w', dir], { stdio: 'ignore' });
    const text = nfdump(['-R', dir, '-o', 'csv']);
    const rows = text.split('\n').slice(1, text.split('\n').indexOf('Summary')).filter((l) => l !== '');
    const parsed = parseLogText(new NfdumpCsvParser(), text);

    it('imports all rows of every protocol', () => {
      expect(parsed.problems).toEqual([]);
      expect(parsed.records.length).toBe(rows.length);
      const protoCount = (name: string) => rows.filter((r) => r.split(',')[7] === name).length;
      expect(parsed.records.filter((r) => r.proto === 1).length).toBe(protoCount('ICMP'));
      expect(parsed.records.filter((r) => r.proto === 17).length).toBe(protoCount('UDP'));
      expect(parsed.records.filter((r) => r.proto === 6).length).toBe(protoCount('TCP'));
      expect(protoCount('ICMP')).toBeGreaterThan(0);
    });

    it('keeps dp as dport and fills ICMP type and code from it', () => {
      const icmpRows = rows.filter((r) => r.split(',')[7] === 'ICMP');
      const icmp = parsed.records.filter((r) => r.proto === 1);
      icmp.forEach((r, i) => {
        const dp = Number(icmpRows[i]!.split(',')[6]);
        expect(r.dport).toBe(dp);
        expect(r.icmp_type).toBe(Math.floor(dp / 256));
        expect(r.icmp_code).toBe(dp % 256);
      });
      // 2048 = echo request: type 8, code 0
      expect(icmp.some((r) => r.dport === 2048 && r.icmp_type === 8 && r.icmp_code === 0)).toBe(true);
    });
  },
);

describe('NfdumpCsvParser on malformed input', () => {
  const parse = (...rows: string[]) => parseLogText(new NfdumpCsvParser(), [HEADER, ...rows].join('\n'));

  it('reads good rows and skips a Summary section', () => {
    const r = parse(ROW1, ROW2, 'Summary', 'flows,bytes,packets,avg_bps,avg_pps,avg_bpp', '2,120,2,0,0,0');
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => x.sport)).toEqual([52324, 52325]);
  });

  it('reports a truncated line with expected and actual column counts', () => {
    const r = parse(ROW1, ROW1.slice(0, 60), ROW2);
    expect(r.problems).toEqual([{ code: 'IMPORT_RECORD', line: 3, message: expect.stringMatching(/^truncated line: expected 48 columns, got 5$/) }]);
    expect(r.records.length).toBe(2);
  });

  it('reports a wrong column count', () => {
    const r = parse(`${ROW1},extra`);
    expect(r.problems[0]).toMatchObject({ line: 2, message: 'wrong column count: expected 48 columns, got 49' });
  });

  it('names the field and value of a bad address', () => {
    const r = parse(ROW1.replace('147.32.80.119', '147.32.80.999'), ROW2);
    expect(r.problems).toEqual([{ code: 'IMPORT_RECORD', line: 2, message: "bad address in field 'sa': '147.32.80.999'" }]);
    expect(r.records.length).toBe(1);
  });

  it('names the field and value of a bad number', () => {
    expect(parse(ROW1.replace(',1,60,', ',1,6x0,')).problems[0]!.message).toBe("bad number in field 'ibyt': '6x0'");
    expect(parse(ROW1.replace('52324,902', '52324,90200')).problems[0]!.message).toBe("value out of range in field 'dp': '90200'");
    expect(parse(ROW1.replace('2018-01-12 15:37:30,', '2018-01-12 25:37:30,')).problems[0]!.message).toBe("bad time in field 'ts': '2018-01-12 25:37:30'");
    expect(parse(ROW1.replace(',TCP,', ',XYZ,')).problems[0]!.message).toBe("bad protocol in field 'pr': 'XYZ'");
    // stos is the 11th column; 256 does not fit a byte
    expect(parse(ROW1.replace(',......S.,0,0,', ',......S.,0,256,')).problems[0]!.message).toBe("value out of range in field 'stos': '256'");
    expect(parse(ROW1.replace(',2852,2852,', ',2852,AS1,')).problems[0]!.message).toBe("bad number in field 'das': 'AS1'");
  });

  it('rejects a te before ts and a dir other than 0 (ingress) or 1 (egress), naming the values', () => {
    // ts and te are the 1st and 2nd columns, dir the 23rd (0 in ROW1).
    const early = ROW1.replace('2018-01-12 15:37:30,2018-01-12 15:37:30,', '2018-01-12 15:37:30,2018-01-12 15:37:29,');
    const cols = ROW1.split(',');
    const withDir = (dir: string) => [...cols.slice(0, 22), dir, ...cols.slice(23)].join(',');
    const r = parse(early, withDir('7'), withDir('1'), withDir('x'));
    expect(r.problems).toEqual([
      { code: 'IMPORT_RECORD', line: 2, message: "bad time in field 'te': '2018-01-12 15:37:29' is before ts '2018-01-12 15:37:30'" },
      { code: 'IMPORT_RECORD', line: 3, message: "value out of range in field 'dir': '7' (0 ingress, 1 egress)" },
      { code: 'IMPORT_RECORD', line: 5, message: "bad number in field 'dir': 'x'" },
    ]);
    expect(r.records.map((x) => x.direction)).toEqual([1]);
  });

  it('refuses an unknown header as a format problem', () => {
    const r = parseLogText(new NfdumpCsvParser(), 'Date first seen,Duration,Proto\n2018-01-12 15:37:30,0,TCP\n');
    expect(r.problems[0]).toMatchObject({ code: 'IMPORT_FORMAT', line: 1, message: expect.stringContaining('unknown header') });
    const missing = parseLogText(new NfdumpCsvParser(), 'ts,te,td,sa,da,sp,dp,pr\n');
    expect(missing.problems[0]).toMatchObject({ code: 'IMPORT_FORMAT', message: expect.stringContaining('flg, ipkt, ibyt') });
  });

  it('accepts protocol numbers, ICMP6 and IPv6 addresses', () => {
    const v6 = ROW1.replace('147.32.80.119,147.32.82.62,52324,902,TCP,......S.', '2001:db8::1,2001:db8::2,0,34560,ICMP6,........');
    const gre = ROW1.replace(',TCP,', ',47,');
    const r = parse(v6, gre);
    expect(r.problems).toEqual([]);
    expect(r.records[0]).toMatchObject({ src: parseIp('2001:db8::1'), proto: 58, dport: 34560, icmp_type: 135, icmp_code: 0 });
    expect(r.records[1]!.proto).toBe(47);
  });
});
