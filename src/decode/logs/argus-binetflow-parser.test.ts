import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../core/columns.js';
import { parseIp } from '../../core/ip.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { ArgusBinetflowParser, argusStateFlags, estimateSrcPackets, isArgusBinetflowHeader } from './argus-binetflow-parser.js';
import { parseLogText } from './parse-log-text.js';

const HEADER = 'StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,Label';
const ip = (text: string) => parseIp(text)!;
const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number) => Date.UTC(y, mo - 1, d, h, mi, s, ms);

describe('argusStateFlags (ra -Z b states: source letters _ destination letters)', () => {
  it.each([
    // state, source flags, destination flags
    ['S_', 2, 0], // SYN, no answer
    ['S_RA', 2, 4 + 16], // SYN answered by RST+ACK: a closed port
    ['S_R', 2, 4],
    ['FSPA_FSPA', 1 + 2 + 8 + 16, 1 + 2 + 8 + 16], // a full connection
    ['SRPA_', 2 + 4 + 8 + 16, 0],
    ['PA_PA', 8 + 16, 8 + 16],
    ['FSA_', 1 + 2 + 16, 0],
    ['SA_U', 2 + 16, 32],
    ['A_78', 16, 64 + 128], // 7th and 8th bits: ECE and CWR
    ['_RA', 0, 20],
    // status words say who sent what (ra(1); Zeek conn_state in Slips' files)
    ['CON', 2 + 16, 2 + 16],
    ['REQ', 2, 0],
    ['INT', 0, 0], // no TCP exchange named: nothing is guessed
    ['S0', 2, 0],
    ['REJ', 2, 4 + 16],
    ['S_X', 0, 0], // not a flag letter: nothing is guessed
    ['S_A_R', 0, 0],
  ])('%s', (state, src, dst) => {
    expect(argusStateFlags(state)).toBe(src | (dst << 8));
  });
});

describe('estimateSrcPackets (no SrcPkts column)', () => {
  it.each([
    // totPkts, totBytes, srcBytes, expected source packets
    [1, 60, 60, 1], // the destination sent nothing: every packet is the source's
    [10, 510, 510, 10],
    [3, 200, 0, 0], // the source sent nothing
    [2, 134, 70, 1], // both sent: one each
    [4, 1162, 1033, 2], // even: half each
    [35, 3766, 1224, 17], // odd: the extra packet to the side with more bytes (dst, 2542)
    [5, 466, 284, 3], // odd, the source sent more bytes (284 > 182)
    [1, 100, 40, 1], // inconsistent (one packet, both sent): the source keeps it
  ])('%i packets, %i bytes, %i from the source -> %i', (tot, bytes, src, expected) => {
    expect(estimateSrcPackets(tot, bytes, src)).toBe(expected);
  });
});

describe('isArgusBinetflowHeader', () => {
  it('knows the CTU/Stratosphere headers, with or without SrcPkts, in any column order', () => {
    expect(isArgusBinetflowHeader(HEADER)).toBe(true);
    expect(isArgusBinetflowHeader('StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label')).toBe(true);
    expect(isArgusBinetflowHeader('StartTime,Proto,Dur,SrcAddr,DstAddr,Sport,Dport,State,TotBytes,TotPkts,SrcBytes')).toBe(true);
    expect(isArgusBinetflowHeader('StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State')).toBe(false);
    expect(isArgusBinetflowHeader('start,src,dst')).toBe(false);
  });
});

describe('ArgusBinetflowParser, inline', () => {
  it('refuses a file that does not start with the binetflow header', () => {
    const r = parseLogText(new ArgusBinetflowParser(), 'StartTime,Dur,Proto\n1,2,tcp\n');
    expect(r.problems[0]).toMatchObject({ code: 'IMPORT_FORMAT', line: 1, message: expect.stringContaining('lacks column(s) SrcAddr, Sport, DstAddr, Dport, State, TotPkts, TotBytes, SrcBytes') });
    expect(parseLogText(new ArgusBinetflowParser(), 'ts,te,td,sa,da\n').problems[0]).toMatchObject({ code: 'IMPORT_FORMAT', message: expect.stringContaining("expected an Argus binetflow header") });
  });

  it('maps Argus UDP application names to UDP and hex ports to numbers', () => {
    const text = `${HEADER}\n2019/04/04 16:24:47.000000,0.5,rtp,10.0.0.1,0x1388,  <->,10.0.0.2,0x138a,CON,0,0,4,400,200,2,\n`;
    const r = parseLogText(new ArgusBinetflowParser(), text);
    expect(r.problems).toEqual([]);
    expect(r.records.map((f) => [f.proto, f.sport, f.dport, f.packets, f.bytes])).toEqual([
      [17, 5000, 5002, 2, 200],
      [17, 5002, 5000, 2, 200],
    ]);
  });

  it('ICMP: type and code from the source "port" (0xCCTT), the id in Dport dropped; unreachable gets no reply type', () => {
    const text = `${HEADER}\n2011/08/18 10:22:07.160628,0.000000,icmp,147.32.84.59,0x0303,  ->,147.32.80.9,0x4fa8,URP,0,0,2,140,70,1,\n`;
    const r = parseLogText(new ArgusBinetflowParser(), text);
    expect(r.records.map((f) => [f.sport, f.dport, f.icmp_type, f.icmp_code])).toEqual([
      [0, 3 * 256 + 3, 3, 3],
      [0, 3 * 256 + 3, 3, 3],
    ]);
  });
});

const test11 = sharedDataPath('labeled-flows/slips/test11-portscan.binetflow');
const test3 = sharedDataPath('labeled-flows/slips/test3-mixed.binetflow');
const test4 = sharedDataPath('labeled-flows/slips/test4-malicious.binetflow');

/** The flows parsed from the file's 1-based line `n` (the parser fed that line alone, after the header). */
function flowsOfLine(text: string, n: number): FlowRecord[] {
  const lines = text.split('\n');
  const r = parseLogText(new ArgusBinetflowParser(), `${lines[0]}\n${lines[n - 1]}\n`);
  expect(r.problems).toEqual([]);
  return r.records;
}

describe.skipIf(!test11 || !test3 || !test4)('ArgusBinetflowParser on the Slips binetflow files', () => {
  // Read only when present: a skipped describe still runs its body.
  const read = (path: string | undefined) => (path ? readFileSync(path, 'utf8') : '');
  const texts = { test11: read(test11), test3: read(test3), test4: read(test4) };

  it.each([
    // SOURCES.md 3.2 gives the record counts; the flows add one reverse flow per record whose
    // destination sent packets: awk -F, 'NR>1 && $3!="arp" {n++; if ($12-$15>0) r++} END {print n, n+r}'
    // (test4 has no SrcPkts: there, TotBytes > SrcBytes and TotPkts >= 2).
    ['test11', 66, 86],
    ['test3', 89, 141],
    // 394 rows, of which 2 are ARP (lines 29 and 226): no IP flow, not counted
    ['test4', 392, 512],
  ] as const)('%s: %i records, %i flows, no problems', (name, records, flows) => {
    const r = parseLogText(new ArgusBinetflowParser(), texts[name]);
    expect(r.problems).toEqual([]);
    expect(r.read).toBe(records);
    expect(r.records.length).toBe(flows);
  });

  it('the SrcPkts estimate, checked on the files that do have SrcPkts, is right for all 155 records', () => {
    for (const text of [texts.test3, texts.test11]) {
      const [header, ...rows] = text.split('\n').filter((l) => l !== '');
      const names = header!.split(',');
      const col = (row: string[], name: string) => Number(row[names.indexOf(name)]);
      for (const row of rows.map((r) => r.split(','))) {
        expect(estimateSrcPackets(col(row, 'TotPkts'), col(row, 'TotBytes'), col(row, 'SrcBytes'))).toBe(col(row, 'SrcPkts'));
      }
    }
  });

  it('test3 line 3: a SYN answered by RST+ACK (S_RA) is two flows, counts split by SrcPkts/SrcBytes', () => {
    // 2018/12/18 14:00:00.527012,0.699716,tcp,216.73.23.146,52798,   ->,147.32.81.58,445,S_RA,0,0,2,134,70,1,
    const start = utc(2018, 12, 18, 14, 0, 0, 527);
    const end = utc(2018, 12, 18, 14, 0, 1, 226); // .527012 + 0.699716 = 1.226728
    expect(flowsOfLine(texts.test3, 3)).toEqual([
      { start, end, src: ip('216.73.23.146'), dst: ip('147.32.81.58'), sport: 52798, dport: 445, proto: 6, tcp_flags: 2, packets: 1, bytes: 70, tos: 0, icmp_type: undefined, icmp_code: undefined, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null },
      { start, end, src: ip('147.32.81.58'), dst: ip('216.73.23.146'), sport: 445, dport: 52798, proto: 6, tcp_flags: 20, packets: 1, bytes: 64, tos: 0, icmp_type: undefined, icmp_code: undefined, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null },
    ]);
  });

  it('test3 line 4: IPv6, SPA_SPA, each side its own TOS', () => {
    // 2018/12/18 14:00:00.595719,0.000181,tcp,2001:718:2:1634:96de:80ff:fe7a:bdf0,47428,   ->,2a00:1450:400c:c00::bd,443,SPA_SPA,114,63,2,376,135,1,
    const [fwd, rev] = flowsOfLine(texts.test3, 4);
    expect(fwd).toMatchObject({ start: utc(2018, 12, 18, 14, 0, 0, 595), end: utc(2018, 12, 18, 14, 0, 0, 595), src: ip('2001:718:2:1634:96de:80ff:fe7a:bdf0'), dst: ip('2a00:1450:400c:c00::bd'), sport: 47428, dport: 443, tcp_flags: 2 + 8 + 16, packets: 1, bytes: 135, tos: 114, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null });
    expect(rev).toMatchObject({ src: ip('2a00:1450:400c:c00::bd'), dst: ip('2001:718:2:1634:96de:80ff:fe7a:bdf0'), sport: 443, dport: 47428, tcp_flags: 2 + 8 + 16, packets: 1, bytes: 376 - 135, tos: 63, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null });
  });

  it('test3 line 58: a damaged Dir field (" get_message  ->") does not matter: Dir is not read', () => {
    // 2018/12/18 14:00:06.477242,0.000000,tcp,14.225.3.37,1287, get_message  ->,147.32.86.173,23,S_,0,,1,64,64,1,
    expect(flowsOfLine(texts.test3, 58)).toEqual([
      { start: utc(2018, 12, 18, 14, 0, 6, 477), end: utc(2018, 12, 18, 14, 0, 6, 477), src: ip('14.225.3.37'), dst: ip('147.32.86.173'), sport: 1287, dport: 23, proto: 6, tcp_flags: 2, packets: 1, bytes: 64, tos: 0, icmp_type: undefined, icmp_code: undefined, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null },
    ]);
  });

  it('test11 line 2: the Zeek-style state S0 is a SYN left unanswered; end = start + Dur to the microsecond', () => {
    // 2019/04/04 16:24:47.672448,63.822830,tcp,10.8.0.69,56101,   ->,14.1.11.113,999,S0,0,0,31,8764,1887,15,
    const [fwd, rev] = flowsOfLine(texts.test11, 2);
    // 47.672448 + 63.822830 = 111.495278 s after 16:24:00 = 16:25:51.495
    expect(fwd).toMatchObject({ start: utc(2019, 4, 4, 16, 24, 47, 672), end: utc(2019, 4, 4, 16, 25, 51, 495), src: ip('10.8.0.69'), dst: ip('14.1.11.113'), sport: 56101, dport: 999, tcp_flags: 2, packets: 15, bytes: 1887 });
    expect(rev).toMatchObject({ src: ip('14.1.11.113'), sport: 999, dport: 56101, tcp_flags: 0, packets: 31 - 15, bytes: 8764 - 1887 });
  });

  it('test11 line 22: an ICMP echo request (0x0008, ECO), all packets from the source: one flow', () => {
    // 2019/04/04 16:30:10.234728,1.262451,icmp,10.8.0.69,0x0008,   ->,110.128.128.128,0x7208,ECO,0,,2,144,144,2,
    expect(flowsOfLine(texts.test11, 22)).toEqual([
      { start: utc(2019, 4, 4, 16, 30, 10, 234), end: utc(2019, 4, 4, 16, 30, 11, 497), src: ip('10.8.0.69'), dst: ip('110.128.128.128'), sport: 0, dport: 8 * 256, proto: 1, tcp_flags: 0, packets: 2, bytes: 144, tos: 0, icmp_type: 8, icmp_code: 0, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null },
    ]);
  });

  it('test4 line 2 (no SrcPkts): 35 packets split 17/18, the odd one to the destination, which sent more bytes', () => {
    // 2018/09/27 22:40:52.362768,193.831726,tcp,192.168.2.1,52893,  <?>,192.168.2.12,22,CON,16,16,35,3766,1224,
    const [fwd, rev] = flowsOfLine(texts.test4, 2);
    // 52.362768 + 193.831726 = 246.194494 s after 22:40:00 = 22:44:06.194
    expect(fwd).toMatchObject({ start: utc(2018, 9, 27, 22, 40, 52, 362), end: utc(2018, 9, 27, 22, 44, 6, 194), src: ip('192.168.2.1'), dst: ip('192.168.2.12'), sport: 52893, dport: 22, tcp_flags: 2 + 16, packets: 17, bytes: 1224, tos: 16, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null });
    expect(rev).toMatchObject({ src: ip('192.168.2.12'), dst: ip('192.168.2.1'), tcp_flags: 2 + 16, packets: 18, bytes: 3766 - 1224, tos: 16, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null });
  });

  it('test4 lines 3 and 90: UDP question and answer; a one-packet SYN probe (REQ) has no reverse flow', () => {
    // 2018/09/27 22:40:52.403669,0.008364,udp,192.168.2.12,56343,  <->,192.168.2.1,53,CON,0,0,2,208,72,
    expect(flowsOfLine(texts.test4, 3).map((f) => [f.proto, f.sport, f.dport, f.packets, f.bytes])).toEqual([
      [17, 56343, 53, 1, 72],
      [17, 53, 56343, 1, 136],
    ]);
    const lines = texts.test4.split('\n');
    expect(lines[89]).toBe('2018/09/27 22:44:06.241331,0.000000,tcp,192.168.2.12,30098,   ->,49.148.115.135,81,REQ,0,,1,60,60,');
    expect(flowsOfLine(texts.test4, 90)).toEqual([
      { start: utc(2018, 9, 27, 22, 44, 6, 241), end: utc(2018, 9, 27, 22, 44, 6, 241), src: ip('192.168.2.12'), dst: ip('49.148.115.135'), sport: 30098, dport: 81, proto: 6, tcp_flags: 2, packets: 1, bytes: 60, tos: 0, icmp_type: undefined, icmp_code: undefined, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null },
    ]);
  });

  it('test4 line 29: an ARP record yields nothing', () => {
    expect(texts.test4.split('\n')[28]).toContain(',arp,192.168.2.12,,  who,192.168.2.1,,CON,');
    const lines = texts.test4.split('\n');
    const r = parseLogText(new ArgusBinetflowParser(), `${lines[0]}\n${lines[28]}\n`);
    expect(r).toEqual({ records: [], read: 0, problems: [] });
  });
});
