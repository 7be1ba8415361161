// The main thread's end of the datagram spool. Flows decoded from batches read back from it go to
// the flow spool, and from there to the store as every spooled batch does (exactly once), in
// batches that end where a spooled datagram batch ends. A journal names the last datagram batch
// whose flows are in the flow spool: before a batch is written it records the intent (where in
// the flow spool the batch goes, and which datagram batch it completes), after it the outcome. A
// crash in between is settled at the next start by looking for the batch in the flow spool, so
// no datagram batch's flows are kept twice or lost.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DiskSpool } from '../../collect/disk-spool.js';
import type { DatagramPosition } from '../../collect/datagram-spool.js';
import { VantageError } from '../../core/errors.js';
import type { ReplayTag } from './worker-messages.js';

/** The journal's file name, in the flow spool's directory. */
export const DATAGRAM_JOURNAL = 'datagram-journal.json';

interface JournalContent {
  /** The last datagram batch whose flows are in the flow spool (or were dropped and counted). */
  readonly done?: DatagramPosition;
  /** A flow spool record being written at (segment, offset) with `flows` flows, completing `through`. */
  readonly intent?: { readonly through: DatagramPosition; readonly segment: number; readonly offset: number; readonly flows: number };
}

function isPosition(p: unknown): p is DatagramPosition {
  const q = p as DatagramPosition | undefined;
  return typeof q === 'object' && q !== null && Number.isInteger(q.segment) && Number.isInteger(q.record);
}

/**
 * How far the datagram spool's flows got. Written with a rename (readers see the old or the new
 * content) and not fsynced: like the spool's own records it survives the process dying, and a
 * power cut may replay a datagram batch whose flows the flow spool already holds.
 */
export class DatagramJournal {
  private content: JournalContent = {};

  constructor(readonly path: string) {}

  /** Reads the journal and settles an intent a crash left against the flow spool; returns the last completed batch. */
  resolve(spool: DiskSpool): DatagramPosition | undefined {
    let content: JournalContent = {};
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as JournalContent;
      content = { done: isPosition(parsed.done) ? parsed.done : undefined, intent: parsed.intent && isPosition(parsed.intent.through) ? parsed.intent : undefined };
    } catch {
      // No journal (or an unreadable one): no batch of the datagram spool was completed.
    }
    const { intent } = content;
    if (intent && spool.hasRecord(intent.segment, intent.offset, intent.flows)) content = { done: intent.through };
    else content = { done: content.done };
    this.write(content);
    return content.done;
  }

  /** Records that the flow spool's next record (at `at`, `flows` flows) completes the datagram batch `through`. */
  intend(through: DatagramPosition, at: { readonly segment: number; readonly offset: number }, flows: number): void {
    this.write({ done: this.content.done, intent: { through, segment: at.segment, offset: at.offset, flows } });
  }

  /** Records that every datagram batch up to `through` is done with. */
  complete(through: DatagramPosition): void {
    this.write({ done: through });
  }

  private write(content: JournalContent): void {
    const tmp = `${this.path}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(content));
      renameSync(tmp, this.path);
    } catch (err) {
      throw new VantageError('COLLECT_SPOOL', `spool: cannot write ${this.path}: ${(err as Error).message}`);
    }
    this.content = content;
  }
}

/** Settings of {@link DatagramReplay}. */
export interface DatagramReplayOptions {
  /** IPv4 flows after which a batch is cut (at the end of the datagram batch that reaches it). */
  readonly batchFlows: number;
  /** A batch is cut this long after its first flows arrived. */
  readonly flushMs: number;
  readonly journal: DatagramJournal;
  /** Where the next flow spool record goes (for the journal's intent). */
  readonly nextRecordAt: () => { readonly segment: number; readonly offset: number };
  /** Writes a batch to the flow spool (or drops and counts it); the chunks are not read again. */
  readonly spool: (chunks: Uint8Array[], flows: number) => void;
  /** Every datagram batch up to `position` is done with: its segments may go. */
  readonly completed: (position: DatagramPosition) => void;
  /** Flows dropped because the journal could not be written (COLLECT_SPOOL_IO, as a failed spool write). */
  readonly dropped: (flows: number) => void;
  readonly log: (message: string) => void;
}

interface Replayed {
  readonly chunks: Uint8Array[];
  flows: number;
  ipv4: number;
  /** Where the batch was in the datagram spool once all its flows are here; 'lost' with a crashed worker. */
  end?: DatagramPosition | 'lost';
}

/**
 * Gathers the flows of the datagram batches read back, which the workers finish in any order
 * across lanes, and takes them in the order they were read (their replay number), whole.
 */
export class DatagramReplay {
  private readonly replays = new Map<number, Replayed>();
  /** Replay number of the next datagram batch to take into the batch. */
  private next = 0;
  private chunks: Uint8Array[] = [];
  private flows = 0;
  private ipv4 = 0;
  private through?: DatagramPosition;
  private since = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: DatagramReplayOptions) {}

  /** Datagram batches read back whose flows are not all here yet, or that wait for an earlier one. */
  get waiting(): number {
    return this.replays.size;
  }

  start(): void {
    const every = Math.max(10, Math.min(1000, Math.floor(this.options.flushMs / 4)));
    this.timer = setInterval(() => {
      if (this.through && Date.now() - this.since >= this.options.flushMs) this.cut();
    }, every);
    this.timer.unref();
  }

  private entry(n: number): Replayed {
    // A batch already passed over (lost, then reported after all): nothing more to do with it.
    if (n < this.next) return { chunks: [], flows: 0, ipv4: 0 };
    let r = this.replays.get(n);
    if (!r) this.replays.set(n, (r = { chunks: [], flows: 0, ipv4: 0 }));
    return r;
  }

  /** Flows of the datagram batch numbered `n`. */
  add(n: number, chunk: Uint8Array, flows: number, ipv6: number): void {
    const r = this.entry(n);
    r.chunks.push(chunk);
    r.flows += flows;
    r.ipv4 += flows - ipv6;
  }

  /** All flows of a datagram batch are here. */
  replayed(tag: ReplayTag): void {
    this.entry(tag.n).end = tag.position;
    this.take();
  }

  /**
   * Datagram batches a crashed worker took with it. Passed over, the flows of theirs that arrived
   * dropped too: the receiver counted their datagrams lost (COLLECT_WORKER_CRASH), as it does for
   * live batches, and their records go with the next batch completed after them.
   */
  lost(ns: readonly number[]): void {
    for (const n of ns) this.entry(n).end ??= 'lost';
    this.take();
  }

  /** Moves finished datagram batches, in their order, into the batch; cuts it once full. */
  private take(): void {
    for (let r = this.replays.get(this.next); r?.end; r = this.replays.get(this.next)) {
      this.replays.delete(this.next++);
      if (r.end === 'lost') continue;
      if (!this.through) this.since = Date.now();
      this.chunks.push(...r.chunks);
      this.flows += r.flows;
      this.ipv4 += r.ipv4;
      // Batches are read back in spool order, so the latest is the furthest.
      this.through = r.end;
      if (this.ipv4 >= this.options.batchFlows) this.cut();
    }
  }

  /** Writes the batch now (a timer, and the collector's stop, call this). */
  cut(): void {
    const through = this.through;
    if (!through) return;
    const { chunks, flows } = this;
    this.chunks = [];
    this.flows = 0;
    this.ipv4 = 0;
    this.through = undefined;
    const { journal } = this.options;
    let written = flows === 0;
    try {
      if (flows > 0) {
        journal.intend(through, this.options.nextRecordAt(), flows);
        this.options.spool(chunks, flows);
        written = true;
      }
      journal.complete(through);
    } catch (err) {
      // The journal's disk failed. Flows written without their intent could be kept twice after a
      // crash: they are dropped and counted instead, as a failed spool write drops a batch. (Once
      // written, the intent settles them at the next start.)
      this.options.log(`${(err as Error).message}${written ? '' : `: ${flows} flows of the datagram spool dropped`}`);
      if (!written) this.options.dropped(flows);
    }
    this.options.completed(through);
  }

  /** Cuts what is gathered and stops the timer. */
  stop(): void {
    clearInterval(this.timer);
    this.cut();
  }
}
