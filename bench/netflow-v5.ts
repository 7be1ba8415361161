// Encodes flow records as NetFlow v5 datagrams and sends them to a collector over UDP, paced by
// the receiver's socket queue (read from /proc/net/udp) so that nothing is dropped.

import { createSocket, type Socket } from 'node:dgram';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import type { FlowRecord } from '../src/core/columns.js';

const HEADER = 24;
const RECORD = 48;
/** The most records a v5 datagram may carry. */
export const V5_MAX_RECORDS = 30;

/**
 * Writes `records` as v5 datagrams into one buffer; returns the datagram boundaries.
 * v5 First/Last are 32-bit milliseconds of exporter uptime: `bootMs` is the exporter's boot time,
 * and each header carries the export time (boot + uptime), so a collector maps them back to epoch
 * ms exactly (boot = unix_secs*1000 + unix_nsecs/1e6 - sysUptime).
 */
export function encodeV5(records: readonly FlowRecord[], bootMs: number, firstSequence: number): { buffer: Buffer; ends: number[] } {
  const datagrams = Math.ceil(records.length / V5_MAX_RECORDS);
  const buffer = Buffer.alloc(datagrams * HEADER + records.length * RECORD);
  const ends: number[] = [];
  let at = 0;
  let sequence = firstSequence;
  for (let d = 0; d < datagrams; d++) {
    const from = d * V5_MAX_RECORDS;
    const count = Math.min(V5_MAX_RECORDS, records.length - from);
    let maxLast = 0;
    for (let r = 0; r < count; r++) maxLast = Math.max(maxLast, records[from + r]!.end - bootMs);
    const uptime = maxLast + 1;
    const exportMs = bootMs + uptime;
    buffer.writeUInt16BE(5, at);
    buffer.writeUInt16BE(count, at + 2);
    buffer.writeUInt32BE(uptime, at + 4);
    buffer.writeUInt32BE(Math.floor(exportMs / 1000), at + 8);
    buffer.writeUInt32BE((exportMs % 1000) * 1_000_000, at + 12);
    buffer.writeUInt32BE(sequence >>> 0, at + 16);
    // engine type/id and sampling interval stay 0 (unsampled).
    at += HEADER;
    for (let r = 0; r < count; r++) {
      const f = records[from + r]!;
      buffer.writeUInt32BE(f.src as number, at);
      buffer.writeUInt32BE(f.dst as number, at + 4);
      // next hop 0
      buffer.writeUInt16BE(f.in_if ?? 0, at + 12);
      buffer.writeUInt16BE(f.out_if ?? 0, at + 14);
      buffer.writeUInt32BE(f.packets, at + 16);
      buffer.writeUInt32BE(f.bytes, at + 20);
      buffer.writeUInt32BE(f.start - bootMs, at + 24);
      buffer.writeUInt32BE(f.end - bootMs, at + 28);
      buffer.writeUInt16BE(f.sport, at + 32);
      buffer.writeUInt16BE(f.dport, at + 34);
      buffer[at + 37] = f.tcp_flags;
      buffer[at + 38] = f.proto;
      buffer[at + 39] = f.tos ?? 0;
      // src/dst AS, masks and padding stay 0.
      at += RECORD;
    }
    sequence += count;
    ends.push(at);
  }
  return { buffer, ends };
}

/** Queue length and drop count of the UDP socket bound to a local port, from /proc/net/udp. */
export function udpSocketState(port: number): { rxQueue: number; drops: number } | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const lines = readFileSync('/proc/net/udp', 'utf8').split('\n');
  for (const line of lines) {
    const cols = line.trim().split(/\s+/);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
    if (cols.length < 13 || !cols[1]!.endsWith(`:${hexPort}`)) continue;
    const rxQueue = parseInt(cols[4]!.split(':')[1]!, 16);
    return { rxQueue, drops: Number(cols[12]) };
  }
  return undefined;
}

/** Sends datagrams to 127.0.0.1:port, never letting the receiver's queue grow past a limit. */
export class PacedSender {
  private readonly socket: Socket = createSocket('udp4');
  /** Datagrams sent between two looks at the receiver's queue. */
  private readonly burst = 64;
  waits = 0;
  datagrams = 0;

  constructor(
    private readonly port: number,
    /** Receiver queue (bytes of kernel memory, about 1.6x the payload) above which we pause. */
    private readonly maxQueue: number,
  ) {}

  private sendOne(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, this.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  /** Sends the datagrams of one encoded batch. */
  async send(buffer: Buffer, ends: readonly number[]): Promise<void> {
    let start = 0;
    for (let d = 0; d < ends.length; d += this.burst) {
      await this.waitBelow(this.maxQueue);
      const pending: Promise<void>[] = [];
      for (let k = d; k < Math.min(ends.length, d + this.burst); k++) {
        pending.push(this.sendOne(buffer.subarray(start, ends[k])));
        start = ends[k]!;
      }
      await Promise.all(pending);
      this.datagrams += pending.length;
    }
  }

  /** Waits until the receiver's queue holds at most `limit` bytes. */
  async waitBelow(limit: number): Promise<void> {
    for (;;) {
      const state = udpSocketState(this.port);
      if (!state || state.rxQueue <= limit) return;
      this.waits++;
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Sends every datagram of a file written by concatenating `encodeV5` buffers. */
  async replayFile(path: string): Promise<void> {
    const fd = openSync(path, 'r');
    const buffer = Buffer.alloc(8 << 20);
    let filled = 0;
    try {
      for (;;) {
        const read = readSync(fd, buffer, filled, buffer.length - filled, null);
        filled += read;
        // Cut the buffer at datagram boundaries: a v5 datagram is 24 + 48 * count bytes.
        const ends: number[] = [];
        let at = 0;
        while (at + HEADER <= filled) {
          const end = at + HEADER + RECORD * buffer.readUInt16BE(at + 2);
          if (end > filled) break;
          ends.push(end);
          at = end;
        }
        if (ends.length > 0) await this.send(buffer, ends);
        if (read === 0) {
          if (at !== filled) throw new Error(`${path}: ${filled - at} trailing bytes are not a whole datagram`);
          return;
        }
        buffer.copyWithin(0, at, filled);
        filled -= at;
      }
    } finally {
      closeSync(fd);
    }
  }

  close(): void {
    this.socket.close();
  }
}
