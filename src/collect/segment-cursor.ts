// Reads a closed spool segment one record at a time: the same records and the same damage as
// readSegment finds in the whole file, holding one record's bytes instead of the segment's (32 MiB
// and more). A replay runs when the collector is busiest, and a whole segment in memory was a
// good part of its peak.

import { open, type FileHandle } from 'node:fs/promises';
import { nextIntactRecord, recordAt, RECORD_HEADER_BYTES, RECORD_MAGIC, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, SEGMENT_VERSION, type SegmentDamage, type SpoolRecord } from './spool-segment.js';

/** What one read found: the next intact record (none at the end), after the damage skipped to reach it. */
export interface CursorStep {
  readonly record?: SpoolRecord;
  readonly damage: readonly SegmentDamage[];
}

/**
 * A segment file opened for reading in order. Close it when done. A record's bytes are valid
 * until the next read: they are read into one buffer, reused. A fresh buffer per record (a
 * datagram batch of 64 KiB, a flow batch of 9 MB) left glibc's heap fragmented under a replay
 * that ran for long, and the collector's resident size with it (30-40 MB measured).
 */
export class SegmentCursor {
  /** Offset of the next record. */
  private at = SEGMENT_HEADER_BYTES;
  private buffer = Buffer.allocUnsafe(0);

  private constructor(
    private readonly handle: FileHandle,
    private readonly size: number,
    /** False when the file does not start with a segment header: it then holds no records. */
    readonly validHeader: boolean,
  ) {}

  static async open(path: string): Promise<SegmentCursor> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const head = Buffer.alloc(SEGMENT_HEADER_BYTES);
      const { bytesRead } = await handle.read(head, 0, SEGMENT_HEADER_BYTES, 0);
      const valid = bytesRead === SEGMENT_HEADER_BYTES && head.readUInt32BE(0) === SEGMENT_MAGIC && head.readUInt32BE(4) === SEGMENT_VERSION;
      return new SegmentCursor(handle, size, valid);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** The next intact record, or none at the end of the file; damage before it is skipped as readSegment skips it. */
  async next(): Promise<CursorStep> {
    const damage: SegmentDamage[] = [];
    while (this.validHeader && this.at < this.size) {
      const record = await this.recordAt(this.at);
      if (record) {
        this.at += RECORD_HEADER_BYTES + record.payload.length;
        return { record, damage };
      }
      // Damage is rare: the rest of the file is read to find the next record that checks out.
      const rest = await this.read(this.at, this.size - this.at);
      const next = nextIntactRecord(rest, new DataView(rest.buffer, rest.byteOffset, rest.byteLength), 1);
      if (next < 0) {
        damage.push({ code: 'COLLECT_SPOOL_TORN', offset: this.at, bytes: this.size - this.at });
        this.at = this.size;
        break;
      }
      damage.push({ code: 'COLLECT_SPOOL_CORRUPT', offset: this.at, bytes: next });
      this.at += next;
    }
    return { damage };
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  /** The record at `at` when it is intact (its header, then its payload, read and checked). */
  private async recordAt(at: number): Promise<SpoolRecord | undefined> {
    if (at + RECORD_HEADER_BYTES > this.size) return undefined;
    const header = await this.read(at, RECORD_HEADER_BYTES);
    const length = header.readUInt32BE(4);
    // No bytes are read for a header that is not a record's or does not fit the file.
    if (header.readUInt32BE(0) !== RECORD_MAGIC || at + RECORD_HEADER_BYTES + length > this.size) return undefined;
    if (this.buffer.length < RECORD_HEADER_BYTES + length) this.buffer = Buffer.allocUnsafe(RECORD_HEADER_BYTES + length);
    const bytes = this.buffer.subarray(0, RECORD_HEADER_BYTES + length);
    header.copy(bytes);
    if (length > 0) await this.readInto(bytes, RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES);
    const record = recordAt(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
    return record && { ...record, offset: at };
  }

  private async read(at: number, length: number): Promise<Buffer> {
    const bytes = Buffer.allocUnsafe(length);
    await this.readInto(bytes, 0, at);
    return bytes;
  }

  private async readInto(bytes: Buffer, from: number, position: number): Promise<void> {
    for (let done = from; done < bytes.length; ) {
      const { bytesRead } = await this.handle.read(bytes, done, bytes.length - done, position + done - from);
      if (bytesRead === 0) throw new Error(`segment ended at ${position + done - from} bytes, ${this.size} expected`);
      done += bytesRead;
    }
  }
}
