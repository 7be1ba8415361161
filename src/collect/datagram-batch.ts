// Packs received datagrams (bytes, exporter address, receive time) back to back into one
// transferable buffer, so the receive loop hands a decode worker hundreds of datagrams per message.

import type { Ip } from '../core/ip.js';

/** Per-datagram header: u32 length, f64 receive time, u8 family, 3 pad, 16 address bytes. */
export const DATAGRAM_HEADER_BYTES = 32;

const MASK64 = (1n << 64n) - 1n;

/**
 * Fills one buffer with datagrams. The receive loop calls `add` per datagram; `take` hands the
 * filled buffer over (to be transferred to a worker) and installs a fresh one from `allocate`.
 */
export class DatagramBatchWriter {
  private buffer: ArrayBuffer;
  private bytes: Uint8Array;
  private view: DataView;
  private at = 0;
  /** Datagrams in the current batch. */
  count = 0;
  /** Receive time of the first datagram in the batch (ms), for time-based flushing. */
  firstAt = 0;

  constructor(private readonly allocate: () => ArrayBuffer) {
    this.buffer = allocate();
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
  }

  /** Bytes used in the current batch. */
  get byteLength(): number {
    return this.at;
  }

  /** Room left for a datagram payload of this size? */
  fits(payloadLength: number): boolean {
    return this.at + DATAGRAM_HEADER_BYTES + payloadLength <= this.bytes.length;
  }

  /** Largest payload an empty batch can hold. */
  get capacity(): number {
    return this.bytes.length - DATAGRAM_HEADER_BYTES;
  }

  /** Copies a datagram in; the caller checked `fits` first. */
  add(payload: Uint8Array, exporter: Ip, receivedAt: number): void {
    const at = this.at;
    const view = this.view;
    view.setUint32(at, payload.length);
    view.setFloat64(at + 4, receivedAt);
    if (typeof exporter === 'number') {
      this.bytes[at + 12] = 4;
      view.setUint32(at + 16, exporter);
    } else {
      this.bytes[at + 12] = 6;
      view.setBigUint64(at + 16, (exporter >> 64n) & MASK64);
      view.setBigUint64(at + 24, exporter & MASK64);
    }
    this.bytes.set(payload, at + DATAGRAM_HEADER_BYTES);
    this.at = at + DATAGRAM_HEADER_BYTES + payload.length;
    if (this.count++ === 0) this.firstAt = receivedAt;
  }

  /** The filled buffer, its used length and datagram count; the writer starts a new batch. */
  take(): { buffer: ArrayBuffer; length: number; count: number } {
    const out = { buffer: this.buffer, length: this.at, count: this.count };
    this.buffer = this.allocate();
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.at = 0;
    this.count = 0;
    return out;
  }
}

/** The exporter address of the datagram whose header starts at `at`. */
function exporterAt(bytes: Uint8Array, view: DataView, at: number): Ip {
  return bytes[at + 12] === 4 ? view.getUint32(at + 16) : (view.getBigUint64(at + 16) << 64n) | view.getBigUint64(at + 24);
}

/** The exporter address of a batch's first datagram (0 for an empty batch). */
export function firstExporter(batch: Uint8Array): Ip {
  if (batch.byteLength < DATAGRAM_HEADER_BYTES) return 0;
  return exporterAt(batch, new DataView(batch.buffer, batch.byteOffset, batch.byteLength), 0);
}

/** Calls `visit` for every datagram of a batch; `payload` views the batch buffer. Stops at a malformed entry. */
export function forEachDatagram(
  buffer: ArrayBuffer,
  length: number,
  visit: (payload: Uint8Array, exporter: Ip, receivedAt: number) => void,
): number {
  const view = new DataView(buffer, 0, length);
  const bytes = new Uint8Array(buffer, 0, length);
  let at = 0;
  let n = 0;
  while (at + DATAGRAM_HEADER_BYTES <= length) {
    const size = view.getUint32(at);
    const end = at + DATAGRAM_HEADER_BYTES + size;
    if (end > length) break;
    visit(bytes.subarray(at + DATAGRAM_HEADER_BYTES, end), exporterAt(bytes, view, at), view.getFloat64(at + 4));
    at = end;
    n++;
  }
  return n;
}
