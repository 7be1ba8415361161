// ARP parsing checked against what tshark reads from the same frames: real captures from
// shared/data (Ethernet and Linux cooked) and hand-made frames (802.1Q, QinQ, damaged). Expected
// values are tshark's `-Y arp -T fields -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 -e
// arp.opcode -e arp.src.hw_mac` output, written inline.

import { describe, expect, test } from 'vitest';
import { openCaptureFile } from '../../collect/capture-file.js';
import { formatIp } from '../../core/ip.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { arpOffset, formatMac, parseArp, parseArpFrame, type ArpParse } from './parse-arp.js';

const TEST8 = sharedDataPath('pcap-malicious/slips/test8-malicious.pcap');
const NMAP = sharedDataPath('pcap-malicious/zeek/nmap-vsn.pcap');
const SLL = sharedDataPath('pcap-malicious/ndpi/log4j-webapp-exploit.pcap');

type Row = [spa: string, tpa: string, opcode: number, sha: string];

/** Every ARP frame of a capture as tshark's fields, plus the problems met. */
function readArp(file: string): { rows: Row[]; problems: string[]; frames: number } {
  const source = openCaptureFile(file);
  const rows: Row[] = [];
  const problems: string[] = [];
  let frames = 0;
  for (const f of source.frames()) {
    frames++;
    const r = parseArpFrame(f.data, f.linkType);
    if (r === undefined) continue;
    if (!r.ok) problems.push(r.code);
    else rows.push([formatIp(r.packet.senderIp), formatIp(r.packet.targetIp), r.packet.opcode, formatMac(r.packet.senderMac)]);
  }
  source.close();
  return { rows, problems, frames };
}

function countBy(rows: readonly Row[], key: (r: Row) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[key(r)] = (out[key(r)] ?? 0) + 1;
  return out;
}

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

describe.skipIf(!TEST8)('Slips test8 ARP scan (Ethernet)', () => {
  const { rows, problems, frames } = TEST8 ? readArp(TEST8) : { rows: [], problems: [], frames: 0 };

  test('every ARP frame tshark shows, with its fields', () => {
    expect(frames).toBe(534); // capinfos: 534 packets
    expect(problems).toEqual([]);
    expect(rows).toHaveLength(519);
    // tshark ... | sort | uniq -c over (spa, opcode, sha)
    expect(countBy(rows, (r) => `${r[0]} ${r[2]} ${r[3]}`)).toEqual({
      '192.168.1.1 1 d8:58:d7:00:67:11': 3,
      '192.168.1.1 2 d8:58:d7:00:67:11': 1,
      '192.168.1.122 1 44:8a:5b:2d:8b:33': 3,
      '192.168.1.122 2 44:8a:5b:2d:8b:33': 1,
      '192.168.1.245 1 dc:a6:32:10:0c:2d': 1,
      '192.168.1.245 2 dc:a6:32:10:0c:2d': 1,
      '192.168.1.247 1 50:ed:3c:39:bc:d9': 507,
      '192.168.1.247 2 50:ed:3c:39:bc:d9': 2,
    });
    expect(rows.slice(0, 5)).toEqual([
      ['192.168.1.1', '192.168.1.246', 1, 'd8:58:d7:00:67:11'],
      ['192.168.1.122', '192.168.1.144', 1, '44:8a:5b:2d:8b:33'],
      ['192.168.1.1', '192.168.1.246', 1, 'd8:58:d7:00:67:11'],
      ['192.168.1.122', '192.168.1.144', 1, '44:8a:5b:2d:8b:33'],
      ['192.168.1.1', '192.168.1.246', 1, 'd8:58:d7:00:67:11'],
    ]);
    expect(rows.slice(-2)).toEqual([
      ['192.168.1.245', '192.168.1.247', 1, 'dc:a6:32:10:0c:2d'],
      ['192.168.1.247', '192.168.1.245', 2, '50:ed:3c:39:bc:d9'],
    ]);
  });

  test('192.168.1.247 asks for every other address of 192.168.1.0/24, .0 and .255 included', () => {
    const asked = rows.filter((r) => r[0] === '192.168.1.247' && r[2] === 1).map((r) => r[1]);
    const expected = Array.from({ length: 256 }, (_, i) => `192.168.1.${i}`).filter((a) => a !== '192.168.1.247');
    expect([...new Set(asked)].sort()).toEqual(expected.sort());
    // tshark: three addresses asked once, the other 252 twice (3 + 504 = 507 requests).
    expect(Object.values(countBy(rows.filter((r) => r[0] === '192.168.1.247' && r[2] === 1), (r) => r[1])).sort()).toEqual([...Array(3).fill(1), ...Array(252).fill(2)]);
  });
});

describe.skipIf(!NMAP)('Zeek nmap-vsn host discovery (Ethernet)', () => {
  const { rows, problems } = NMAP ? readArp(NMAP) : { rows: [], problems: [] };

  test('503 requests from 192.168.1.71 to 245 addresses, some asked three times', () => {
    expect(problems).toEqual([]);
    expect(rows).toHaveLength(503);
    expect(countBy(rows, (r) => `${r[0]} ${r[2]} ${r[3]}`)).toEqual({ '192.168.1.71 1 c4:2c:03:3b:6c:aa': 503 });
    expect(rows.slice(0, 3).map((r) => r[1])).toEqual(['192.168.1.2', '192.168.1.3', '192.168.1.4']);
    expect(rows.slice(-2).map((r) => r[1])).toEqual(['192.168.1.252', '192.168.1.253']);
    // tshark: .2 to .254 but for .50 .61 .63 .65 .68 .69 .71 (the scanner) .72.
    const skipped = new Set([50, 61, 63, 65, 68, 69, 71, 72]);
    const expected = Array.from({ length: 253 }, (_, i) => i + 2).filter((i) => !skipped.has(i));
    const perTarget = countBy(rows, (r) => r[1]);
    expect(Object.keys(perTarget).map((a) => Number(a.split('.')[3])).sort((a, b) => a - b)).toEqual(expected);
    const thrice = [182, 185, 202, 205, 208, 209, 212, 213, 216, 217, 218, 225, 228];
    for (const i of expected) expect(perTarget[`192.168.1.${i}`]).toBe(thrice.includes(i) ? 3 : 2);
  });
});

describe.skipIf(!SLL)('nDPI log4j capture (Linux cooked)', () => {
  test('the four ARP frames, requests and replies', () => {
    const { rows, problems } = readArp(SLL!);
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      ['172.16.238.10', '172.16.238.11', 1, '02:42:ac:10:ee:0a'],
      ['172.16.238.11', '172.16.238.10', 2, '02:42:ac:10:ee:0b'],
      ['172.16.238.1', '172.16.238.10', 1, '02:42:76:8f:34:16'],
      ['172.16.238.10', '172.16.238.1', 2, '02:42:ac:10:ee:0a'],
    ]);
  });
});

describe('hand-made frames (tshark on the same bytes written to a pcap)', () => {
  // The first request of test8 (192.168.1.247 asking for 192.168.1.0), variously wrapped.
  const ETH = 'ffffffffffff50ed3c39bcd9';
  const ARP = '000108000604000150ed3c39bcd9c0a801f7000000000000c0a80100';
  const ok = (r: ArpParse | undefined) => {
    expect(r?.ok).toBe(true);
    const p = (r as Extract<ArpParse, { ok: true }>).packet;
    return [formatIp(p.senderIp), formatIp(p.targetIp), p.opcode, formatMac(p.senderMac), formatMac(p.targetMac)];
  };

  test('802.1Q (vlan.id 10) and QinQ (ieee8021ad.id 100, vlan.id 10)', () => {
    expect(ok(parseArpFrame(hex(`${ETH}8100000a0806${ARP}`), 1))).toEqual(['192.168.1.247', '192.168.1.0', 1, '50:ed:3c:39:bc:d9', '00:00:00:00:00:00']);
    expect(ok(parseArpFrame(hex(`${ETH}88a800648100000a0806${ARP}`), 1))).toEqual(['192.168.1.247', '192.168.1.0', 1, '50:ed:3c:39:bc:d9', '00:00:00:00:00:00']);
    expect(arpOffset(hex(`${ETH}88a800648100000a0806${ARP}`), 1)).toBe(22);
  });

  test('gratuitous request: tshark "Gratuitous ARP for 192.168.1.247 (Request)"', () => {
    const frame = hex(`${ETH}0806000108000604000150ed3c39bcd9c0a801f7ffffffffffffc0a801f7`);
    expect(ok(parseArpFrame(frame, 1))).toEqual(['192.168.1.247', '192.168.1.247', 1, '50:ed:3c:39:bc:d9', 'ff:ff:ff:ff:ff:ff']);
  });

  test('Ethernet padding after the 28 ARP bytes is ignored', () => {
    expect(ok(parseArpFrame(hex(`${ETH}0806${ARP}${'00'.repeat(18)}`), 1))[1]).toBe('192.168.1.0');
  });

  test('damaged or foreign ARP is a coded problem, never an exception', () => {
    // tshark: "[Malformed Packet]" for the frame cut at 30 bytes.
    expect(parseArpFrame(hex(`${ETH}0806${ARP}`.slice(0, 60)), 1)).toMatchObject({ ok: false, code: 'DECODE_ARP_TRUNCATED' });
    expect(parseArpFrame(hex(`${ETH}08060001`), 1)).toMatchObject({ ok: false, code: 'DECODE_ARP_TRUNCATED' });
    expect(parseArpFrame(hex(`${ETH}0806`), 1)).toMatchObject({ ok: false, code: 'DECODE_ARP_TRUNCATED' });
    // tshark: arp.proto.type 0x86dd, arp.proto.size 16 ("ARP Announcement for 0000...").
    expect(parseArpFrame(hex(`${ETH}0806000686dd06100001${'00'.repeat(44)}`), 1)).toMatchObject({ ok: false, code: 'DECODE_ARP_UNSUPPORTED' });
    expect(parseArp(new Uint8Array(0), 0)).toMatchObject({ ok: false, code: 'DECODE_ARP_TRUNCATED' });
  });

  test('frames that are not ARP are left alone', () => {
    expect(parseArpFrame(hex(`${ETH}0800450000140000000040000000c0a80101c0a80102`), 1)).toBeUndefined();
    expect(parseArpFrame(hex('ffffffffffff'), 1)).toBeUndefined();
    // A VLAN tag cut by the capture, and ten stacked tags (more than the decoder follows).
    expect(parseArpFrame(hex(`${ETH}8100000a`), 1)).toBeUndefined();
    expect(parseArpFrame(hex(`${ETH}${'8100000a'.repeat(10)}0806${ARP}`), 1)).toBeUndefined();
    // Raw IP link types never carry ARP.
    expect(parseArpFrame(hex(`0806${ARP}`), 101)).toBeUndefined();
  });

  test('Linux cooked v1 and v2 headers', () => {
    // packet type, ARPHRD_ETHER, address length 6, address padded to 8, protocol.
    const sll = '0000' + '0001' + '0006' + '50ed3c39bcd90000' + '0806';
    expect(ok(parseArpFrame(hex(`${sll}${ARP}`), 113))[0]).toBe('192.168.1.247');
    // protocol, reserved, interface index, ARPHRD_ETHER, packet type, address length, address.
    const sll2 = '0806' + '0000' + '00000002' + '0001' + '00' + '06' + '50ed3c39bcd90000';
    expect(ok(parseArpFrame(hex(`${sll2}${ARP}`), 276))[1]).toBe('192.168.1.0');
  });

  test('formatMac', () => {
    expect(formatMac(0x50ed3c39bcd9)).toBe('50:ed:3c:39:bc:d9');
    expect(formatMac(0)).toBe('00:00:00:00:00:00');
    expect(formatMac(0xffffffffffff)).toBe('ff:ff:ff:ff:ff:ff');
  });
});
