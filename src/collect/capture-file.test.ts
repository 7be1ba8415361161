import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VantageError } from '../core/errors.js';
import { formatIp } from '../core/ip.js';
import { decodeCapture } from '../decode/decode-capture.js';
import { decodedFlowToJson } from '../decode/decoded-flow.js';
import { createDecoderState } from '../decode/decoder-state.js';
import { sharedDataPath } from '../test-support/shared-data.js';
import { openCaptureBytes, openCaptureFile, type CaptureSource } from './capture-file.js';
import { RAW_DATAGRAM_LINKTYPE } from './capture-frame.js';

const dir = mkdtempSync(join(tmpdir(), 'vantage-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A packet of a classic pcap as this test reads it on its own (independently of the reader). */
interface Packet {
  seconds: number;
  micros: number;
  data: Uint8Array;
}

/** Reads a little-endian microsecond pcap (the form of every shared capture). */
function parsePcap(bytes: Uint8Array): { linkType: number; packets: Packet[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(v.getUint32(0, true)).toBe(0xa1b2c3d4);
  const packets: Packet[] = [];
  for (let p = 24; p + 16 <= bytes.length; ) {
    const len = v.getUint32(p + 8, true);
    packets.push({ seconds: v.getUint32(p, true), micros: v.getUint32(p + 4, true), data: bytes.slice(p + 16, p + 16 + len) });
    p += 16 + len;
  }
  return { linkType: v.getUint32(20, true), packets };
}

/** Writes a classic pcap in either byte order, with micro- or nanosecond fractions. */
function writePcap(linkType: number, packets: Packet[], little: boolean, nanos: boolean): Uint8Array {
  const size = 24 + packets.reduce((n, p) => n + 16 + p.data.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, nanos ? 0xa1b23c4d : 0xa1b2c3d4, little);
  v.setUint16(4, 2, little);
  v.setUint16(6, 4, little);
  v.setUint32(16, 65535, little);
  v.setUint32(20, linkType, little);
  let p = 24;
  for (const pkt of packets) {
    v.setUint32(p, pkt.seconds, little);
    v.setUint32(p + 4, nanos ? pkt.micros * 1000 : pkt.micros, little);
    v.setUint32(p + 8, pkt.data.length, little);
    v.setUint32(p + 12, pkt.data.length, little);
    out.set(pkt.data, p + 16);
    p += 16 + pkt.data.length;
  }
  return out;
}

/** A pcapng block of `type` with `body`, padded, in the given byte order. */
function block(type: number, body: number[], little: boolean): number[] {
  const padded = [...body, ...new Array((4 - (body.length % 4)) % 4).fill(0)];
  const len = 12 + padded.length;
  const u32 = (n: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, little);
    return [...b];
  };
  return [...u32(type), ...u32(len), ...padded, ...u32(len)];
}

/**
 * A pcapng file: a section header, two interfaces (the second with nanosecond if_tsresol), an
 * ignored name-resolution block, then each packet as an enhanced packet block on alternating
 * interfaces, the last one as a simple packet block.
 */
function writePcapng(linkType: number, packets: Packet[], little: boolean): Uint8Array {
  const n32 = (n: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, little);
    return [...b];
  };
  const n16 = (n: number) => {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, n, little);
    return [...b];
  };
  const out: number[] = [];
  out.push(...block(0x0a0d0d0a, [...n32(0x1a2b3c4d), ...n16(1), ...n16(0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], little));
  out.push(...block(1, [...n16(linkType), 0, 0, ...n32(0)], little));
  out.push(...block(1, [...n16(linkType), 0, 0, ...n32(0), ...n16(9), ...n16(1), 9, 0, 0, 0, ...n16(0), ...n16(0)], little));
  out.push(...block(4, [1, 2, 3, 4, 5, 6, 7, 8], little));
  packets.forEach((pkt, i) => {
    if (i === packets.length - 1) {
      out.push(...block(3, [...n32(pkt.data.length), ...pkt.data], little));
      return;
    }
    const iface = i % 2;
    const units = iface === 0 ? BigInt(pkt.seconds) * 1_000_000n + BigInt(pkt.micros) : (BigInt(pkt.seconds) * 1_000_000n + BigInt(pkt.micros)) * 1000n;
    out.push(...block(6, [...n32(iface), ...n32(Number(units >> 32n)), ...n32(Number(units & 0xffffffffn)), ...n32(pkt.data.length), ...n32(pkt.data.length), ...pkt.data], little));
  });
  return new Uint8Array(out);
}

function records(source: CaptureSource): string[] {
  const state = createDecoderState();
  const out: string[] = [];
  for (const d of decodeCapture(source, state)) for (const f of d.result.records) out.push(JSON.stringify(decodedFlowToJson(f)));
  return out;
}

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const CAPTURE = 'flow-export/pmacct/101-NFv9-CISCO-cust_primitives/traffic-00.pcap';
const capturePath = sharedDataPath(CAPTURE);

describe.skipIf(!capturePath)('capture readers on a real capture rewritten in every container form', () => {
  const original = capturePath ? parsePcap(readFileSync(capturePath)) : { linkType: 1, packets: [] };
  const expected = capturePath ? records(openCaptureFile(capturePath)) : [];

  it('the original decodes (51 flow records; SOURCES.md counts 102 because every record carries both a v4 and a v6 source field)', () => {
    expect(expected.length).toBeGreaterThan(40);
  });

  it.each([
    ['little-endian microseconds', true, false],
    ['big-endian microseconds', false, false],
    ['little-endian nanoseconds', true, true],
    ['big-endian nanoseconds', false, true],
  ])('pcap %s', (_name, little, nanos) => {
    const source = openCaptureFile(file(`v-${little}-${nanos}.pcap`, writePcap(original.linkType, original.packets, little, nanos)));
    expect(source.kind).toBe('pcap');
    const frames = [...openCaptureFile(source.name).frames()];
    expect(frames.map((f) => f.timestamp)).toEqual(original.packets.map((p) => p.seconds * 1000 + Math.floor(p.micros / 1000)));
    expect(records(source)).toEqual(expected);
  });

  it.each([
    ['little-endian', true],
    ['big-endian', false],
  ])('pcapng %s: two interfaces, if_tsresol, an enhanced and a simple packet block, unknown blocks skipped', (_name, little) => {
    const path = file(`v-${little}.pcapng`, writePcapng(original.linkType, original.packets, little));
    const source = openCaptureFile(path);
    expect(source.kind).toBe('pcapng');
    expect(records(source)).toEqual(expected);
    const frames = [...openCaptureFile(path).frames()];
    expect(frames.map((f) => f.interfaceId).slice(0, 4)).toEqual([0, 1, 0, 1]);
    // Both interfaces' resolutions give the same millisecond times; the simple block has none.
    expect(frames.slice(0, -1).map((f) => f.timestamp)).toEqual(original.packets.slice(0, -1).map((p) => p.seconds * 1000 + Math.floor(p.micros / 1000)));
    expect(frames.at(-1)!.timestamp).toBe(0);
  });

  it.each([
    ['Linux cooked (SLL)', 113, (eth: Uint8Array) => new Uint8Array([0, 0, 0, 1, 0, 6, ...eth.subarray(6, 12), 0, 0, ...eth.subarray(12)])],
    ['Linux cooked v2 (SLL2)', 276, (eth: Uint8Array) => new Uint8Array([...eth.subarray(12, 14), 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, ...eth.subarray(6, 12), 0, 0, ...eth.subarray(14)])],
    ['raw IP', 101, (eth: Uint8Array) => eth.subarray(14)],
  ])('link type %s', (_name, linkType, rewrap) => {
    const packets = original.packets.map((p) => ({ ...p, data: rewrap(p.data) }));
    expect(records(openCaptureFile(file(`l-${linkType}.pcap`, writePcap(linkType, packets, true, false))))).toEqual(expected);
  });

  it('streams files larger than its read window (records crossing chunk boundaries)', () => {
    const many = Array.from({ length: 60 }, () => original.packets).flat();
    const path = file('big.pcap', writePcap(original.linkType, many, true, false));
    expect(readFileSync(path).length).toBeGreaterThan(2 * (1 << 20) / 4);
    const big = Array.from({ length: 4 }, () => many).flat();
    const bigPath = file('bigger.pcap', writePcap(original.linkType, big, true, false));
    expect(readFileSync(bigPath).length).toBeGreaterThan(2 << 20);
    const frames = [...openCaptureFile(bigPath).frames()];
    expect(frames).toHaveLength(big.length);
    expect(frames.every((f, i) => f.data.length === big[i]!.data.length)).toBe(true);
    expect(records(openCaptureFile(bigPath))).toHaveLength(expected.length * 240);
  });

  it.each([
    ['cut in its last packet', (b: Uint8Array) => b.subarray(0, b.length - 10), 'CAPTURE_TRUNCATED'],
    ['with an impossible length in its last block', (b: Uint8Array) => {
      const copy = b.slice();
      // The last block is the simple packet block: its length field follows its 4-byte type.
      const lastLength = new DataView(copy.buffer).getUint32(copy.length - 4, true);
      new DataView(copy.buffer).setUint32(copy.length - lastLength + 4, 7, true);
      return copy;
    }, 'CAPTURE_BAD_BLOCK'],
  ] as const)('pcapng %s: the problem names that packet, the packets before it are read', (_name, damage, code) => {
    const bytes = writePcapng(original.linkType, original.packets, true);
    const source = openCaptureFile(file(`damaged-${code}.pcapng`, damage(bytes)));
    expect([...source.frames()]).toHaveLength(original.packets.length - 1);
    expect(source.problems).toMatchObject([{ code, packetNumber: original.packets.length }]);
  });

  it('a cut last packet is reported, the packets before it are read', () => {
    const bytes = writePcap(original.linkType, original.packets, true, false);
    const source = openCaptureFile(file('cut.pcap', bytes.subarray(0, bytes.length - 10)));
    expect([...source.frames()]).toHaveLength(original.packets.length - 1);
    expect(source.problems).toMatchObject([{ code: 'CAPTURE_TRUNCATED', packetNumber: original.packets.length }]);
  });
});

describe('capture files: kinds and failures', () => {
  it('a raw datagram file is one UDP payload, stamped with the file time, exporter 0.0.0.0', () => {
    const path = file('one.dat', new Uint8Array([0, 10, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]));
    const source = openCaptureFile(path);
    expect(source.kind).toBe('datagram');
    const frames = [...source.frames()];
    expect(frames).toMatchObject([{ packetNumber: 1, linkType: RAW_DATAGRAM_LINKTYPE }]);
    expect(frames[0]!.timestamp).toBeGreaterThan(0);
    const decoded = [...decodeCapture(openCaptureFile(path), createDecoderState())];
    expect(decoded.map((d) => [formatIp(d.exporter), d.result.version, d.result.errors])).toEqual([['0.0.0.0', 10, []]]);
  });

  it('unknown content, a missing file and a directory fail with coded errors', () => {
    const text = file('notes.txt', new TextEncoder().encode('hello, world'));
    expect(() => openCaptureFile(text)).toThrow(VantageError);
    expect(() => openCaptureFile(text)).toThrow(/not a pcap, pcapng or raw NetFlow\/IPFIX\/sFlow datagram file/);
    try {
      openCaptureFile(join(dir, 'absent.pcap'));
      expect.unreachable();
    } catch (err) {
      expect((err as VantageError).code).toBe('IMPORT_FILE');
    }
    expect(() => openCaptureFile(dir)).toThrow(/is a directory/);
    expect(() => openCaptureBytes(new Uint8Array([1, 2, 3, 4]))).toThrow(VantageError);
  });

  it('corrupt containers are reported, never thrown', () => {
    const badBlock = openCaptureBytes(new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a, 7, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a]));
    expect([...badBlock.frames()]).toEqual([]);
    expect(badBlock.problems[0]!.code).toBe('CAPTURE_BAD_BLOCK');
    const header = writePcap(1, [], true, false);
    const huge = new Uint8Array([...header, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
    const source = openCaptureBytes(huge);
    expect([...source.frames()]).toEqual([]);
    expect(source.problems[0]!.code).toBe('CAPTURE_BAD_BLOCK');
  });
});
