import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../core/ip.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { CicFlowMeterParser, directionFlags, isCicFlowMeterHeader, parseDayFirstTime } from './cicflowmeter-parser.js';
import { parseLogText } from './parse-log-text.js';

const ip = (text: string) => parseIp(text)!;
const F = 1;
const S = 2;
const R = 4;
const P = 8;
const A = 16;

describe('directionFlags: flags a direction certainly sent', () => {
  const none = { fin: 0, syn: 0, rst: 0, psh: 0, ack: 0, urg: 0, cwr: 0, ece: 0, fwdPsh: 0, bwdPsh: 0, fwdUrg: 0, bwdUrg: 0, fwdRst: 0, bwdRst: 0 };
  it.each([
    // A port-scan probe (Portscan_2500.csv row 1): 1 packet each way, SYN 1, RST 1 (backward, per
    // its own column), ACK 1 (direction unknown: 1 does not exceed either side's 1 packet).
    ['SYN probe answered by RST', { ...none, fwdPkts: 1, bwdPkts: 1, syn: 1, rst: 1, ack: 1, bwdRst: 1 }, S, R],
    // No backward packets: every flag counted is the forward direction's.
    ['unanswered', { ...none, fwdPkts: 2, bwdPkts: 0, syn: 2 }, S, 0],
    // Botnet_736.csv row 1: 5 forward, 4 backward; ACK 8 > 4 and > 5 so both; PSH per direction;
    // FIN 2 fits in either side: unplaced.
    ['a short HTTP exchange', { ...none, fwdPkts: 5, bwdPkts: 4, fin: 2, syn: 2, psh: 2, ack: 8, fwdPsh: 1, bwdPsh: 1 }, S | P | A, P | A],
    // Without per-direction columns (CICFlowMeter before the RST columns), RST is placed like the others.
    ['no per-direction columns', { fwdPkts: 1, bwdPkts: 1, fin: -1, syn: 1, rst: 1, psh: -1, ack: 1, urg: -1, cwr: -1, ece: -1, fwdPsh: -1, bwdPsh: -1, fwdUrg: -1, bwdUrg: -1, fwdRst: -1, bwdRst: -1 }, S, 0],
    ['three FINs over 1+2 packets', { ...none, fwdPkts: 1, bwdPkts: 2, fin: 3 }, F, F],
  ])('%s', (_name, counts, fwd, bwd) => {
    expect(directionFlags(counts)).toBe(fwd | (bwd << 8));
  });
});

describe('parseDayFirstTime (CICFlowMeter dd/MM/yyyy)', () => {
  const us = (y: number, mo: number, d: number, h: number, mi: number, s = 0, ms = 0) => Date.UTC(y, mo - 1, d, h, mi, s, ms) * 1000;
  it.each([
    ['7/7/2017 1:04', us(2017, 7, 7, 1, 4)],
    ['3/7/2017 8:55:58', us(2017, 7, 3, 8, 55, 58)], // day first: 3 July (the Monday of CIC-IDS2017)
    ['07/07/2017 01:04:00 PM', us(2017, 7, 7, 13, 4)],
    ['14/02/2018 12:30:00 AM', us(2018, 2, 14, 0, 30)],
    ['14/02/2018 12:30:00 PM', us(2018, 2, 14, 12, 30)],
    ['14/02/2018 08:31:01.250', us(2018, 2, 14, 8, 31, 1, 250)],
  ])('%s', (text, expected) => {
    expect(parseDayFirstTime(text)).toBe(expected);
  });
  it.each(['31/02/2017 1:00', '7/13/2017 1:00', '7/7/2017 13:04 PM', '7/7/2017', '2017-07-07 13:04:00'])('%s is not one', (text) => {
    expect(parseDayFirstTime(text)).toBeNaN();
  });
});

// The original CIC-IDS2017 CSV header (GeneratedLabelledFlows), spaces and all, cut to the columns read plus a few.
const ORIGINAL_HEADER =
  'Flow ID, Source IP, Source Port, Destination IP, Destination Port, Protocol, Timestamp, Flow Duration, Total Fwd Packets, Total Backward Packets,Total Length of Fwd Packets, Total Length of Bwd Packets, Fwd Header Length, Bwd Header Length,FIN Flag Count, SYN Flag Count, RST Flag Count, PSH Flag Count, ACK Flag Count, URG Flag Count, CWE Flag Count, ECE Flag Count, Fwd Header Length, Label';

describe('isCicFlowMeterHeader', () => {
  it('knows the original, improved and V4 spellings, and nothing else', () => {
    expect(isCicFlowMeterHeader(ORIGINAL_HEADER)).toBe(true);
    expect(isCicFlowMeterHeader('Flow ID,Src IP,Src Port,Dst IP,Dst Port,Protocol,Timestamp,Flow Duration,Tot Fwd Pkts,Tot Bwd Pkts,TotLen Fwd Pkts,TotLen Bwd Pkts,Label')).toBe(true);
    // The MachineLearningCSV files have neither addresses nor times: not importable as flows.
    expect(isCicFlowMeterHeader(' Destination Port, Flow Duration, Total Fwd Packets, Total Backward Packets,Total Length of Fwd Packets, Label')).toBe(false);
    expect(isCicFlowMeterHeader('start,src,dst,sport,dport,proto,packets,bytes')).toBe(false);
  });
});

describe('CicFlowMeterParser, inline', () => {
  it('reads the original layout: day-first time, the first of the two Fwd Header Length columns, a negative one as unknown', () => {
    const row = '192.168.10.5-104.16.207.165-54865-443-6, 192.168.10.5, 54865, 104.16.207.165, 443, 6, 7/7/2017 3:30, 3, 2, 1, 0, 0, -40, 20, 0, 1, 0, 0, 1, 0, 0, 0, 64, BENIGN';
    const r = parseLogText(new CicFlowMeterParser(), `${ORIGINAL_HEADER}\n${row}\n`);
    expect(r.problems).toEqual([]);
    const start = Date.UTC(2017, 6, 7, 3, 30);
    expect(r.records).toEqual([
      // Fwd Header Length -40 (the original's overflow): 20 bytes of TCP header assumed per packet.
      // SYN 1 goes forward; ACK 1 could be either side's (it does not exceed the backward 1 packet).
      { start, end: start, src: ip('192.168.10.5'), dst: ip('104.16.207.165'), sport: 54865, dport: 443, proto: 6, tcp_flags: S, packets: 2, bytes: 0 + 2 * 20 + 2 * 20, icmp_type: undefined, icmp_code: undefined, tos: undefined, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null },
      { start, end: start, src: ip('104.16.207.165'), dst: ip('192.168.10.5'), sport: 443, dport: 54865, proto: 6, tcp_flags: 0, packets: 1, bytes: 0 + 20 + 20, icmp_type: undefined, icmp_code: undefined, tos: undefined, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null },
    ]);
  });

  it('ICMP: type and code from their columns, the echo reply type for the backward flow', () => {
    const header = 'Flow ID,Src IP,Src Port,Dst IP,Dst Port,Protocol,Timestamp,Flow Duration,Total Fwd Packet,Total Bwd packets,Total Length of Fwd Packet,Total Length of Bwd Packet,Fwd Header Length,Bwd Header Length,ICMP Code,ICMP Type,Label';
    const row = 'x,10.0.0.1,0,10.0.0.2,0,1,2017-07-07 13:00:00.000000,1000,1,1,56,56,8,8,0,8,BENIGN';
    const r = parseLogText(new CicFlowMeterParser(), `${header}\n${row}\n`);
    expect(r.records.map((f) => [f.sport, f.dport, f.icmp_type, f.icmp_code, f.bytes])).toEqual([
      [0, 8 * 256, 8, 0, 56 + 8 + 20],
      [0, 0, 0, 0, 56 + 8 + 20],
    ]);
  });

  it('refuses a header without the flow columns, naming them', () => {
    const r = parseLogText(new CicFlowMeterParser(), 'Flow ID,Src IP,Dst IP,Label\n');
    expect(r.problems[0]).toMatchObject({ code: 'IMPORT_FORMAT', line: 1, message: expect.stringContaining("lacks column(s) 'srcport', 'dstport', 'protocol', 'timestamp', 'flowduration'") });
  });
});

const dir = 'labeled-flows/cicids2017-improved-sample/';
const files = { benign: sharedDataPath(`${dir}BENIGN_2500.csv`), botnet: sharedDataPath(`${dir}Botnet_736.csv`), ddos: sharedDataPath(`${dir}DDoS_2500.csv`), portscan: sharedDataPath(`${dir}Portscan_2500.csv`) };

describe.skipIf(Object.values(files).some((f) => f === undefined))('CicFlowMeterParser on the improved CIC-IDS2017 samples', () => {
  const text = (name: keyof typeof files) => readFileSync(files[name]!, 'utf8');

  it.each([
    // Records per SOURCES.md 3.3; flows add a backward flow per row with Total Bwd packets > 0:
    // awk -F, 'NR>1 {n++; if ($11>0) r++} END {print n, n+r}'
    ['benign', 2500, 4966],
    ['botnet', 736, 1472],
    ['ddos', 2500, 5000],
    ['portscan', 2500, 5000],
  ] as const)('%s: %i records, %i flows, no problems', (name, records, flows) => {
    const r = parseLogText(new CicFlowMeterParser(), text(name));
    expect(r.problems).toEqual([]);
    expect(r.read).toBe(records);
    expect(r.records.length).toBe(flows);
  });

  it('Botnet row 1: 192.168.10.5 -> C2 205.174.165.73:8080, IP bytes rebuilt from payload + headers', () => {
    // Src IP 192.168.10.5, Src Port 53709, Dst IP 205.174.165.73, Dst Port 8080, Protocol 6,
    // Timestamp 2017-07-07 13:39:36.267908, Flow Duration 81379 (us), Total Fwd Packet 5,
    // Total Bwd packets 4, Total Length of Fwd/Bwd Packet 196/128, Fwd/Bwd Header Length 112/92,
    // FIN 2 SYN 2 RST 0 PSH 2 ACK 8 URG 0 CWR 0 ECE 0, Fwd/Bwd PSH Flags 1/1, URG 0/0, RST 0/0
    const [fwd, bwd] = parseLogText(new CicFlowMeterParser(), text('botnet')).records;
    const start = Date.UTC(2017, 6, 7, 13, 39, 36, 267);
    const end = Date.UTC(2017, 6, 7, 13, 39, 36, 349); // .267908 + .081379 = .349287
    expect(fwd).toEqual({ start, end, src: ip('192.168.10.5'), dst: ip('205.174.165.73'), sport: 53709, dport: 8080, proto: 6, tcp_flags: S | P | A, packets: 5, bytes: 196 + 112 + 5 * 20, icmp_type: undefined, icmp_code: undefined, tos: undefined, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null });
    expect(bwd).toEqual({ start, end, src: ip('205.174.165.73'), dst: ip('192.168.10.5'), sport: 8080, dport: 53709, proto: 6, tcp_flags: P | A, packets: 4, bytes: 128 + 92 + 4 * 20, icmp_type: undefined, icmp_code: undefined, tos: undefined, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null });
  });

  it('Portscan row 1: the probe is SYN alone, the answer RST', () => {
    // 172.16.0.1:41249 -> 192.168.10.50:2042 tcp, 2017-07-07 18:08:57.763666, 10 us, 1/1 packets,
    // 0/0 payload, header 24/20, SYN 1 RST 1 ACK 1, Bwd RST Flags 1
    const [fwd, bwd] = parseLogText(new CicFlowMeterParser(), text('portscan')).records;
    expect(fwd).toMatchObject({ start: Date.UTC(2017, 6, 7, 18, 8, 57, 763), end: Date.UTC(2017, 6, 7, 18, 8, 57, 763), src: ip('172.16.0.1'), dst: ip('192.168.10.50'), sport: 41249, dport: 2042, tcp_flags: S, packets: 1, bytes: 44 });
    expect(bwd).toMatchObject({ src: ip('192.168.10.50'), dport: 41249, tcp_flags: R, packets: 1, bytes: 40 });
  });

  it('BENIGN row 1: a DNS question and answer over UDP (8-byte headers)', () => {
    // 192.168.10.5:53633 -> 192.168.10.3:53, 17, 2017-07-07 12:59:21.088203, 25324 us, 2/2 packets, 108/224 payload, header 16/16
    const [fwd, bwd] = parseLogText(new CicFlowMeterParser(), text('benign')).records;
    expect(fwd).toMatchObject({ start: Date.UTC(2017, 6, 7, 12, 59, 21, 88), end: Date.UTC(2017, 6, 7, 12, 59, 21, 113), proto: 17, sport: 53633, dport: 53, tcp_flags: 0, packets: 2, bytes: 108 + 16 + 40 });
    expect(bwd).toMatchObject({ src: ip('192.168.10.3'), sport: 53, packets: 2, bytes: 224 + 16 + 40 });
  });

  it('times are UTC: the Botnet flows span 13:04-14:02, the UNB schedule 10:02-11:02 in New Brunswick (UTC-3)', () => {
    const starts = parseLogText(new CicFlowMeterParser(), text('botnet')).records.map((f) => f.start);
    // first and last Timestamp in the file: 2017-07-07 13:04:13.990571 and 14:02:02.808963
    expect(Math.min(...starts)).toBe(Date.UTC(2017, 6, 7, 13, 4, 13, 990));
    expect(Math.max(...starts)).toBe(Date.UTC(2017, 6, 7, 14, 2, 2, 808));
  });
});
