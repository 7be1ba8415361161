// The disk spool: flow batches the store could not take (down or lagging) appended to segment
// files in a directory, bounded in total size, read back oldest first when the store recovers.
// A segment is only deleted once everything in it reached the store; a small journal records
// how far the replay of the oldest segment got, so a crash never replays a batch twice.

import { closeSync, fsync, close, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync, writevSync, writeFileSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { VantageError } from '../core/errors.js';
import { SegmentCursor } from './segment-cursor.js';
import { recordAt, recordHeader, RECORD_HEADER_BYTES, segmentHeader, SEGMENT_HEADER_BYTES } from './spool-segment.js';

/** Settings of a spool. */
export interface DiskSpoolOptions {
  readonly dir: string;
  /** Bytes all segments may take together; a batch that would exceed it is refused ('full'). */
  readonly maxBytes: number;
  /** A segment is closed (fsynced) and a new one started once it reaches this size. */
  readonly segmentBytes: number;
}

/** A closed segment waiting to be replayed. */
export interface SpoolSegmentInfo {
  /** Increasing sequence number: replay order. */
  readonly seq: number;
  readonly path: string;
  readonly bytes: number;
}

/**
 * How far the replay of a segment got. `done` records (from the start) are in the store. An
 * `intent` is written before a record's append and cleared after it: when one is found after a
 * crash, the store's flow count tells whether that append happened (count = flowsBefore + flows)
 * or not (count = flowsBefore).
 */
export interface ReplayJournal {
  readonly segment: number;
  readonly done: number;
  readonly intent?: { readonly record: number; readonly flowsBefore: number; readonly flows: number };
}

const SEGMENT_NAME = /^segment-(\d{12})\.spool$/;
const JOURNAL = 'replay-journal.json';
const LOCK = 'spool.lock';

function segmentName(seq: number): string {
  return `segment-${String(seq).padStart(12, '0')}.spool`;
}

function ioError(what: string, err: unknown): VantageError {
  return new VantageError('COLLECT_SPOOL', `spool: ${what}: ${(err as Error).message}`);
}

/** True when a process with this id exists (signal 0 checks without signalling). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The spool of one collector. `open()` before use; `close()` seals and syncs. */
export class DiskSpool {
  private sealedSegments: SpoolSegmentInfo[] = [];
  private active?: { seq: number; path: string; fd: number; bytes: number; records: number };
  private nextSeq = 1;
  private total = 0;
  private readonly syncs = new Set<Promise<void>>();
  private locked = false;

  constructor(readonly options: DiskSpoolOptions) {}

  /** Where the spool lives. */
  get dir(): string {
    return this.options.dir;
  }

  /** Bytes of all segments on disk. */
  get bytes(): number {
    return this.total;
  }

  /** Segments on disk, the one being written included when it holds records. */
  get segmentCount(): number {
    return this.sealedSegments.length + (this.active && this.active.records > 0 ? 1 : 0);
  }

  /** True while anything waits to be replayed (closed segments or records in the open one). */
  get hasBacklog(): boolean {
    return this.sealedSegments.length > 0 || (this.active !== undefined && this.active.records > 0);
  }

  /**
   * Creates the directory, takes its lock (one collector per spool) and lists the segments a
   * previous run left, oldest first. Throws COLLECT_SPOOL when the directory is unusable or locked.
   */
  open(): void {
    const { dir } = this.options;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw ioError(`cannot create ${dir}`, err);
    }
    this.lock();
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      throw ioError(`cannot list ${dir}`, err);
    }
    const segments: SpoolSegmentInfo[] = [];
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        // An atomic write that never reached its rename: the old file is still the valid one.
        try {
          unlinkSync(join(dir, name));
        } catch {
          /* best effort */
        }
        continue;
      }
      const m = SEGMENT_NAME.exec(name);
      if (!m) continue;
      const path = join(dir, name);
      segments.push({ seq: Number(m[1]), path, bytes: statSync(path).size });
    }
    segments.sort((a, b) => a.seq - b.seq);
    this.sealedSegments = segments;
    this.total = segments.reduce((n, s) => n + s.bytes, 0);
    this.nextSeq = (segments.at(-1)?.seq ?? 0) + 1;
  }

  private lock(): void {
    const path = join(this.options.dir, LOCK);
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(`cannot lock ${this.options.dir}`, err);
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new VantageError('COLLECT_SPOOL', `spool ${this.options.dir} is in use by process ${pid} (one collector per spool directory)`);
      }
      // A lock left by a process that died (SIGKILL, power loss): take it over.
      writeFileSync(path, `${process.pid}\n`);
    }
    this.locked = true;
  }

  /**
   * Appends one batch (its flow chunks) as one record. Returns 'full' when it would take the spool
   * past `maxBytes`. Once this returns 'ok' the record is in the file (the page cache: it survives
   * the process dying; segments are fsynced when they are closed). Throws COLLECT_SPOOL on I/O errors,
   * after cutting the file back so no partial record stays behind.
   */
  append(parts: readonly Uint8Array[], flows: number): 'ok' | 'full' {
    let length = RECORD_HEADER_BYTES;
    for (const p of parts) length += p.length;
    const newSegment = this.active === undefined;
    if (this.total + length + (newSegment ? SEGMENT_HEADER_BYTES : 0) > this.options.maxBytes) return 'full';
    const active = this.active ?? this.createSegment();
    const before = active.bytes;
    try {
      const buffers = [recordHeader(parts, flows), ...parts];
      let written = writevSync(active.fd, buffers);
      // writev may write less than asked (a signal, a full disk): finish or fail below.
      if (written < length) {
        const whole = Buffer.concat(buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
        while (written < length) {
          const n = writeSync(active.fd, whole, written, length - written);
          if (n <= 0) throw new Error('short write');
          written += n;
        }
      }
    } catch (err) {
      try {
        ftruncateSync(active.fd, before);
      } catch {
        /* the record's checksum still rejects the partial bytes */
      }
      throw ioError(`cannot write to ${active.path}`, err);
    }
    active.bytes += length;
    active.records++;
    this.total += length;
    if (active.bytes >= this.options.segmentBytes) this.sealActive();
    return 'ok';
  }

  private createSegment(): NonNullable<DiskSpool['active']> {
    const seq = this.nextSeq++;
    const path = join(this.options.dir, segmentName(seq));
    let fd: number;
    try {
      fd = openSync(path, 'wx');
      writeSync(fd, segmentHeader());
    } catch (err) {
      throw ioError(`cannot create ${path}`, err);
    }
    this.active = { seq, path, fd, bytes: SEGMENT_HEADER_BYTES, records: 0 };
    this.total += SEGMENT_HEADER_BYTES;
    return this.active;
  }

  /**
   * Closes the segment being written (when it holds records) so that it can be replayed: its data
   * and the directory entry are fsynced in the background; `close()` waits for that.
   */
  sealActive(): void {
    const active = this.active;
    if (!active || active.records === 0) return;
    this.active = undefined;
    this.sealedSegments.push({ seq: active.seq, path: active.path, bytes: active.bytes });
    this.track(
      new Promise<void>((resolve) => {
        fsync(active.fd, () => close(active.fd, () => resolve()));
      }).then(() => this.syncDirectory()),
    );
  }

  private track(p: Promise<void>): void {
    this.syncs.add(p);
    void p.finally(() => this.syncs.delete(p));
  }

  private async syncDirectory(): Promise<void> {
    try {
      const handle = await open(this.options.dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch {
      // Some filesystems refuse fsync on directories; the file data is synced regardless.
    }
  }

  /** Where the next record appended will start: its segment and byte offset. */
  nextRecordAt(): { readonly segment: number; readonly offset: number } {
    return this.active ? { segment: this.active.seq, offset: this.active.bytes } : { segment: this.nextSeq, offset: SEGMENT_HEADER_BYTES };
  }

  /** True when segment `seq` holds an intact record of `flows` flows at `offset` (an append a crash may have cut short did not). */
  hasRecord(seq: number, offset: number, flows: number): boolean {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(this.options.dir, segmentName(seq)));
    } catch {
      return false;
    }
    const record = recordAt(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset);
    return record !== undefined && record.flows === flows;
  }

  /** The oldest closed segment, if any. */
  oldest(): SpoolSegmentInfo | undefined {
    return this.sealedSegments[0];
  }

  /** Closed segments, oldest first. */
  segments(): readonly SpoolSegmentInfo[] {
    return this.sealedSegments;
  }

  /** Opens a closed segment to read its records one at a time. */
  async openCursor(segment: SpoolSegmentInfo): Promise<SegmentCursor> {
    try {
      return await SegmentCursor.open(segment.path);
    } catch (err) {
      throw ioError(`cannot read ${segment.path}`, err);
    }
  }

  /** Deletes a segment whose records are all in the store (or were unreadable). */
  remove(segment: SpoolSegmentInfo): void {
    const i = this.sealedSegments.findIndex((s) => s.seq === segment.seq);
    if (i < 0) return;
    try {
      unlinkSync(segment.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(`cannot delete ${segment.path}`, err);
    }
    this.sealedSegments.splice(i, 1);
    this.total -= segment.bytes;
  }

  /** The replay journal, or undefined when there is none (or it is unreadable: then nothing was in doubt). */
  async readJournal(): Promise<ReplayJournal | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.options.dir, JOURNAL), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const j = JSON.parse(text) as ReplayJournal;
      if (!Number.isInteger(j.segment) || !Number.isInteger(j.done)) return undefined;
      return j;
    } catch {
      return undefined;
    }
  }

  /** Replaces the journal atomically and durably (temp file, fsync, rename); undefined deletes it. */
  async writeJournal(journal: ReplayJournal | undefined): Promise<void> {
    const path = join(this.options.dir, JOURNAL);
    if (!journal) {
      try {
        await unlink(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(`cannot delete ${path}`, err);
      }
      return;
    }
    await writeFileAtomic(path, JSON.stringify(journal));
  }

  /** Seals the open segment, waits for pending fsyncs and releases the lock. */
  async close(): Promise<void> {
    this.sealActive();
    if (this.active) {
      // An open segment without records: nothing to keep.
      const { fd, path } = this.active;
      this.active = undefined;
      closeSync(fd);
      try {
        unlinkSync(path);
      } catch {
        /* already gone */
      }
      this.total -= SEGMENT_HEADER_BYTES;
    }
    while (this.syncs.size > 0) await Promise.all([...this.syncs]);
    if (this.locked) {
      this.locked = false;
      try {
        unlinkSync(join(this.options.dir, LOCK));
      } catch {
        /* already gone */
      }
    }
  }
}

/** Writes a file so that readers see the old or the new content, never a mix (temp, fsync, rename). */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    throw ioError(`cannot write ${path}`, err);
  }
}
