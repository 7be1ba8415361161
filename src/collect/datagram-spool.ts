// The datagram spool: batches of received datagrams (collect/datagram-batch.ts) that the decode
// workers could not take when they came, written as they are by the receiver thread and read back
// in order once the workers catch up. Receiving then costs a copy and a write, so a burst beyond
// what decoding and the store sustain is kept on disk instead of dropped (akvorado's inlet keeps
// raw datagrams in Kafka for the same reason). Segments use the flow spool's framing; a record's
// flow count holds its datagram count.

import { DiskSpool, type DiskSpoolOptions, type SpoolSegmentInfo } from './disk-spool.js';
import type { SegmentCursor } from './segment-cursor.js';

/** A record of the datagram spool: its segment and its index among the segment's intact records. */
export interface DatagramPosition {
  readonly segment: number;
  readonly record: number;
}

/** Orders positions as the spool does: by segment, then record. */
export function comparePositions(a: DatagramPosition, b: DatagramPosition): number {
  return a.segment - b.segment || a.record - b.record;
}

/** One batch read back. `payload` is only valid until the next read. */
export interface SpooledBatch {
  readonly position: DatagramPosition;
  readonly payload: Uint8Array;
  readonly datagrams: number;
}

/** Least time between two closings of the segment being written to read it back. */
export const SEAL_EVERY_MS = 100;

interface Reading {
  readonly segment: SpoolSegmentInfo;
  readonly cursor: SegmentCursor;
  /** Index of the next intact record. */
  next: number;
}

/**
 * The receiver's spool. Batches are read back with {@link next}; a segment is deleted once every
 * record in it was {@link completed} (its flows durable downstream), so what a crash interrupts is
 * read again at the next start, from the record after the last completed one.
 */
export class DatagramSpool {
  private readonly spool: DiskSpool;
  private reading?: Reading;
  /** The last segment read to its end. */
  private readThrough = 0;
  /** Per segment read to its end, the index of its last intact record (-1: none). */
  private readonly lastRecord = new Map<number, number>();
  private done?: DatagramPosition;
  private lastSeal = 0;
  /** Datagrams written and read back by this run. */
  spooledDatagrams = 0;
  replayedDatagrams = 0;

  constructor(
    options: DiskSpoolOptions,
    /** Records up to here reached the flow spool or the store in an earlier run: skipped. */
    resumeAfter: DatagramPosition | undefined,
    /** Damaged records skipped while reading (COLLECT_SPOOL_TORN, COLLECT_SPOOL_CORRUPT). */
    private readonly discarded: (code: 'COLLECT_SPOOL_TORN' | 'COLLECT_SPOOL_CORRUPT', records: number) => void,
  ) {
    this.spool = new DiskSpool(options);
    this.done = resumeAfter;
  }

  get dir(): string {
    return this.spool.dir;
  }

  get bytes(): number {
    return this.spool.bytes;
  }

  get segmentCount(): number {
    return this.spool.segmentCount;
  }

  /** Takes the directory (one collector per spool) and lists what an earlier run left. Throws COLLECT_SPOOL. */
  open(): void {
    this.spool.open();
    const done = this.done;
    if (done) for (const s of [...this.spool.segments()]) if (s.seq < done.segment) this.spool.remove(s);
  }

  /** True while records wait to be read back (segments not read to their end, or records being written). */
  get unread(): boolean {
    return this.reading !== undefined || this.spool.segments().some((s) => s.seq > this.readThrough) || this.spool.segmentCount > this.spool.segments().length;
  }

  /** Writes a batch as one record: 'full' at --spool-max. Throws COLLECT_SPOOL on I/O errors. */
  append(batch: Uint8Array, datagrams: number): 'ok' | 'full' {
    const outcome = this.spool.append([batch], datagrams);
    if (outcome === 'ok') this.spooledDatagrams += datagrams;
    return outcome;
  }

  /**
   * The next record to replay; undefined once every record written so far has been read; 'wait'
   * when only the segment being written holds more and was closed less than `SEAL_EVERY_MS` ago
   * (it is closed to be read when the others are done, and records keep coming while the workers
   * catch up: each closing makes a file).
   */
  async next(): Promise<SpooledBatch | 'wait' | undefined> {
    for (;;) {
      const r = this.reading ?? (await this.openNext());
      if (!r || r === 'wait') return r;
      const step = await r.cursor.next();
      for (const d of step.damage) this.discarded(d.code, 1);
      if (step.record) {
        const position = { segment: r.segment.seq, record: r.next++ };
        if (this.done && comparePositions(position, this.done) <= 0) continue;
        this.replayedDatagrams += step.record.flows;
        return { position, payload: step.record.payload, datagrams: step.record.flows };
      }
      this.reading = undefined;
      await r.cursor.close();
      this.readThrough = r.segment.seq;
      this.lastRecord.set(r.segment.seq, r.next - 1);
      this.removeCompleted();
    }
  }

  private async openNext(): Promise<Reading | 'wait' | undefined> {
    let segment = this.spool.segments().find((s) => s.seq > this.readThrough);
    if (!segment && this.spool.segmentCount > this.spool.segments().length) {
      const now = Date.now();
      if (now - this.lastSeal < SEAL_EVERY_MS) return 'wait';
      this.lastSeal = now;
      this.spool.sealActive();
      segment = this.spool.segments().find((s) => s.seq > this.readThrough);
    }
    if (!segment) return undefined;
    this.reading = { segment, cursor: await this.spool.openCursor(segment), next: 0 };
    return this.reading;
  }

  /** Every record up to `position` has its flows in the flow spool or the store: their segments may go. */
  completed(position: DatagramPosition): void {
    if (!this.done || comparePositions(position, this.done) > 0) this.done = position;
    this.removeCompleted();
  }

  /** Deletes the segments read to their end whose every record is completed. */
  private removeCompleted(): void {
    for (const s of [...this.spool.segments()]) {
      const last = this.lastRecord.get(s.seq);
      if (last === undefined) break;
      if (last >= 0 && !(this.done && comparePositions({ segment: s.seq, record: last }, this.done) <= 0)) break;
      this.spool.remove(s);
      this.lastRecord.delete(s.seq);
    }
  }

  /** Closes the file being read and seals the one being written; what is left is read at the next start. */
  async close(): Promise<void> {
    const r = this.reading;
    this.reading = undefined;
    if (r) await r.cursor.close();
    await this.spool.close();
  }
}
