// The grouping of ARP requests per (sender IP, sender MAC, target, minute), on hand-made frames
// and on the Slips test8 capture (groups counted with tshark and awk over the same fields).

import { describe, expect, test } from 'vitest';
import { openCaptureFile } from '../../collect/capture-file.js';
import { formatIp } from '../../core/ip.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { ArpRequestExtractor } from './arp-request-extractor.js';

const TEST8 = sharedDataPath('pcap-malicious/slips/test8-malicious.pcap');

/** An Ethernet ARP frame from 02:00:00:00:00:<mac> (hex digits and dotted quads as text). */
function arpFrame(opcode: number, spa: string, tpa: string, mac = '01'): Uint8Array {
  const ip = (a: string) => a.split('.').map((n) => Number(n).toString(16).padStart(2, '0')).join('');
  const sha = `0200000000${mac}`;
  return Uint8Array.from(Buffer.from(`ffffffffffff${sha}0806000108000604${opcode.toString(16).padStart(4, '0')}${sha}${ip(spa)}000000000000${ip(tpa)}`, 'hex'));
}

const at = (timestamp: number, data: Uint8Array) => ({ data, linkType: 1, timestamp, originalLength: data.length });
const MIN = Date.UTC(2024, 0, 1, 12, 0); // a minute boundary

describe('ArpRequestExtractor', () => {
  test('requests grouped per sender, MAC, target and minute; emitted once the capture leaves the minute', () => {
    const x = new ArpRequestExtractor();
    x.addFrame(at(MIN + 1_000, arpFrame(1, '10.0.0.5', '10.0.0.1')));
    x.addFrame(at(MIN + 31_000, arpFrame(1, '10.0.0.5', '10.0.0.1')));
    x.addFrame(at(MIN + 32_000, arpFrame(1, '10.0.0.5', '10.0.0.1', '02'))); // same IP, another MAC
    x.addFrame(at(MIN + 40_000, arpFrame(2, '10.0.0.1', '10.0.0.5'))); // a reply: counted, not kept
    x.addFrame(at(MIN + 50_000, arpFrame(1, '10.0.0.9', '10.0.0.9'))); // gratuitous
    expect(x.output).toEqual([]);
    x.addFrame(at(MIN + 61_000, arpFrame(1, '10.0.0.5', '10.0.0.1')));
    expect(x.takeOutput().map((r) => [r.ts - MIN, r.ts_last - MIN, formatIp(r.src), r.src_mac, formatIp(r.dst), r.requests, r.gratuitous])).toEqual([
      [1_000, 31_000, '10.0.0.5', '02:00:00:00:00:01', '10.0.0.1', 2, false],
      [32_000, 32_000, '10.0.0.5', '02:00:00:00:00:02', '10.0.0.1', 1, false],
      [50_000, 50_000, '10.0.0.9', '02:00:00:00:00:01', '10.0.0.9', 1, true],
    ]);
    // A late frame of an earlier minute makes a row of its own.
    x.addFrame(at(MIN + 59_000, arpFrame(1, '10.0.0.5', '10.0.0.1')));
    x.flush();
    expect(x.takeOutput().map((r) => [r.ts - MIN, r.requests])).toEqual([
      [61_000, 1],
      [59_000, 1],
    ]);
    expect(x.stats).toEqual({ arp: 7, requests: 6, replies: 1, otherOpcodes: 0, rows: 5, problems: {} });
  });

  test('damaged ARP and other operations are counted; other frames cost nothing', () => {
    const x = new ArpRequestExtractor();
    x.addFrame(at(MIN, arpFrame(1, '10.0.0.5', '10.0.0.1').subarray(0, 30)));
    x.addFrame(at(MIN, arpFrame(3, '10.0.0.5', '10.0.0.1'))); // RARP request
    x.addFrame(at(MIN, Uint8Array.from(Buffer.from('ffffffffffff0200000000010800450000140000000040000000c0a80101c0a80102', 'hex'))));
    x.flush();
    expect(x.output).toEqual([]);
    expect(x.stats).toEqual({ arp: 2, requests: 0, replies: 0, otherOpcodes: 1, rows: 0, problems: { DECODE_ARP_TRUNCATED: 1 } });
  });

  test('held groups are bounded', () => {
    const x = new ArpRequestExtractor(3);
    for (let i = 1; i <= 7; i++) x.addFrame(at(MIN + i, arpFrame(1, '10.0.0.5', `10.0.1.${i}`)));
    expect(x.output.length).toBe(6);
    x.flush();
    expect(x.output.map((r) => formatIp(r.dst))).toEqual(Array.from({ length: 7 }, (_, i) => `10.0.1.${i + 1}`));
  });

  test.skipIf(!TEST8)('Slips test8: 514 requests in 259 groups, all in one minute', () => {
    const x = new ArpRequestExtractor();
    const source = openCaptureFile(TEST8!);
    for (const f of source.frames()) x.addFrame(f);
    source.close();
    x.flush();
    // tshark: 519 ARP frames, 5 replies; awk over (minute, spa, sha, tpa) of the requests: 259 groups.
    expect(x.stats).toEqual({ arp: 519, requests: 514, replies: 5, otherOpcodes: 0, rows: 259, problems: {} });
    const scanner = x.output.filter((r) => formatIp(r.src) === '192.168.1.247');
    expect(scanner).toHaveLength(255);
    expect(scanner.reduce((n, r) => n + r.requests, 0)).toBe(507);
    expect(new Set(scanner.map((r) => r.src_mac))).toEqual(new Set(['50:ed:3c:39:bc:d9']));
    // tshark frame.time_epoch of its first and last request: 1632214650.471083 and 1632214653.764063.
    expect(Math.min(...scanner.map((r) => r.ts))).toBe(1632214650471);
    expect(Math.max(...scanner.map((r) => r.ts_last))).toBe(1632214653764);
    expect(x.output.filter((r) => formatIp(r.src) !== '192.168.1.247').map((r) => [formatIp(r.src), r.src_mac, formatIp(r.dst), r.requests])).toEqual([
      ['192.168.1.1', 'd8:58:d7:00:67:11', '192.168.1.246', 3],
      ['192.168.1.122', '44:8a:5b:2d:8b:33', '192.168.1.144', 2],
      ['192.168.1.122', '44:8a:5b:2d:8b:33', '192.168.1.247', 1],
      ['192.168.1.245', 'dc:a6:32:10:0c:2d', '192.168.1.247', 1],
    ]);
  });
});
