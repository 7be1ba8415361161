import { describe, expect, it } from 'vitest';
import { parseIp, type Ip } from '../core/ip.js';
import { DATAGRAM_HEADER_BYTES, DatagramBatchWriter, forEachDatagram } from './datagram-batch.js';

describe('datagram batches', () => {
  it('carries each datagram with its exporter (v4 or v6) and receive time, in order', () => {
    const writer = new DatagramBatchWriter(() => new ArrayBuffer(1024));
    const v6 = parseIp('2001:db8::ff:1')!;
    writer.add(Uint8Array.from([0, 5, 1, 2]), parseIp('192.0.2.1')!, 1_700_000_000_123);
    writer.add(new Uint8Array(0), v6, 1_700_000_000_124.5);
    writer.add(Uint8Array.from([9]), 0, 0);
    expect(writer.count).toBe(3);
    expect(writer.byteLength).toBe(3 * DATAGRAM_HEADER_BYTES + 5);
    const { buffer, length, count } = writer.take();
    expect([count, writer.count, writer.byteLength]).toEqual([3, 0, 0]);
    const seen: [number[], Ip, number][] = [];
    expect(forEachDatagram(buffer, length, (p, e, t) => seen.push([[...p], e, t]))).toBe(3);
    expect(seen).toEqual([
      [[0, 5, 1, 2], parseIp('192.0.2.1'), 1_700_000_000_123],
      [[], v6, 1_700_000_000_124.5],
      [[9], 0, 0],
    ]);
  });

  it('tells when a datagram does not fit, and stops at a cut entry', () => {
    const writer = new DatagramBatchWriter(() => new ArrayBuffer(100));
    expect(writer.capacity).toBe(100 - DATAGRAM_HEADER_BYTES);
    expect(writer.fits(68)).toBe(true);
    expect(writer.fits(69)).toBe(false);
    writer.add(new Uint8Array(40), 1, 1);
    const { buffer, length } = writer.take();
    expect(forEachDatagram(buffer, length - 1, () => {})).toBe(0);
  });
});
