// The main thread's end of the datagram spool. Flows decoded from batches read back from it go to
// the flow spool, and from there to the store as every spooled batch does (exactly once), in
// batches of exactly `batchFlows` IPv4 flows, as the writer cuts its own: a DuckDB store writes
// an append of whole row groups once, where the remainder of one stays behind to be rewritten at
// the next checkpoint (see FlowWriter.add). A journal says how far the flow spool holds the
// datagram spool's flows: the last datagram batch all of whose flows are there, and how many of
// the next one's IPv4 flows (a batch cut inside it). Before a batch is written it records the
// intent (where in the flow spool the batch goes, and how far it reaches), after it the outcome.
// A crash in between is settled at the next start by looking for the batch in the flow spool, so
// no flow of the datagram spool is kept twice or lost.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DiskSpool } from '../../collect/disk-spool.js';
import type { DatagramPosition } from '../../collect/datagram-spool.js';
import { trySplitFlowChunk } from '../../collect/flow-codec.js';
import { VantageError } from '../../core/errors.js';
import type { ReplayTag } from './worker-messages.js';

/** The journal's file name, in the flow spool's directory. */
export const DATAGRAM_JOURNAL = 'datagram-journal.json';

/** How far the flow spool holds the datagram spool's flows. */
export interface DatagramMark {
  /** The last datagram batch whose flows are all in the flow spool (or were dropped and counted). */
  readonly done?: DatagramPosition;
  /**
   * Of the datagram batch after `done`, its flows up to and including its `partial`-th IPv4 flow
   * are in the flow spool too (absent: none). Its flows decode again the same from its bytes,
   * so the next run passes over that many.
   */
  readonly partial?: number;
}

interface JournalContent extends DatagramMark {
  /** A flow spool record being written at (segment, offset) with `flows` flows, reaching `mark`. */
  readonly intent?: { readonly mark: DatagramMark; readonly segment: number; readonly offset: number; readonly flows: number };
}

function isPosition(p: unknown): p is DatagramPosition {
  const q = p as DatagramPosition | undefined;
  return typeof q === 'object' && q !== null && Number.isInteger(q.segment) && Number.isInteger(q.record);
}

/** The mark as read from JSON: what does not read as one is left out. */
function markOf(m: unknown): DatagramMark {
  const q = (m ?? {}) as DatagramMark;
  return { done: isPosition(q.done) ? q.done : undefined, partial: Number.isInteger(q.partial) && q.partial! > 0 ? q.partial : undefined };
}

/**
 * How far the datagram spool's flows got. Written with a rename (readers see the old or the new
 * content) and not fsynced: like the spool's own records it survives the process dying, and a
 * power cut may replay a datagram batch whose flows the flow spool already holds.
 */
export class DatagramJournal {
  private content: JournalContent = {};

  constructor(readonly path: string) {}

  /** Reads the journal and settles an intent a crash left against the flow spool; returns how far the flow spool got. */
  resolve(spool: DiskSpool): DatagramMark {
    let content: JournalContent = {};
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as JournalContent & { intent?: { through?: unknown } };
      const intent = parsed.intent;
      // An earlier build's intent named the batch it completed (`through`).
      const mark = intent && markOf(intent.mark ?? { done: intent.through });
      content = { ...markOf(parsed), intent: intent && (mark?.done || mark?.partial) ? { ...intent, mark: mark! } : undefined };
    } catch {
      // No journal (or an unreadable one): no batch of the datagram spool was completed.
    }
    const { intent } = content;
    const mark = intent && spool.hasRecord(intent.segment, intent.offset, intent.flows) ? intent.mark : markOf(content);
    this.write(mark);
    return mark;
  }

  /** Records that the flow spool's next record (at `at`, `flows` flows) takes the datagram spool's flows as far as `mark`. */
  intend(mark: DatagramMark, at: { readonly segment: number; readonly offset: number }, flows: number): void {
    this.write({ ...this.mark, intent: { mark, segment: at.segment, offset: at.offset, flows } });
  }

  /** Records that the flow spool holds the datagram spool's flows as far as `mark`. */
  complete(mark: DatagramMark): void {
    this.write(mark);
  }

  /** How far the flow spool holds the datagram spool's flows (the last outcome written). */
  get mark(): DatagramMark {
    return markOf(this.content);
  }

  private write(content: JournalContent): void {
    const tmp = `${this.path}.tmp`;
    // Absent fields stay out of the file.
    const json = JSON.stringify({ done: content.done, partial: content.partial, intent: content.intent });
    try {
      writeFileSync(tmp, json);
      renameSync(tmp, this.path);
    } catch (err) {
      throw new VantageError('COLLECT_SPOOL', `spool: cannot write ${this.path}: ${(err as Error).message}`);
    }
    this.content = content;
  }
}

/** Settings of {@link DatagramReplay}. */
export interface DatagramReplayOptions {
  /** IPv4 flows of a batch (IPv6 flows ride along), the datagram batch that reaches it cut in two. */
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

/** Encoded flows from a decode worker: `flows` of them, `ipv6` with an IPv6 address. */
interface Part {
  readonly chunk: Uint8Array;
  readonly flows: number;
  readonly ipv6: number;
}

interface Replayed {
  readonly parts: Part[];
  /** Where the batch was in the datagram spool once all its flows are here; 'lost' with a crashed worker. */
  end?: DatagramPosition | 'lost';
}

/**
 * The part cut right after its `ipv4Rows`-th IPv4 flow (the tail may hold no flows), or undefined
 * when its bytes do not split (another build's columns: taken whole, as the writer does).
 */
function splitPart(part: Part, ipv4Rows: number): { head: Part; tail: Part } | undefined {
  const s = trySplitFlowChunk(part.chunk, ipv4Rows, part.ipv6);
  return s && { head: { chunk: s.head, flows: s.headFlows, ipv6: s.headIpv6 }, tail: { chunk: s.tail, flows: s.tailFlows, ipv6: s.tailIpv6 } };
}

/**
 * Gathers the flows of the datagram batches read back, which the workers finish in any order
 * across lanes, and takes them in the order they were read (their replay number).
 */
export class DatagramReplay {
  private readonly replays = new Map<number, Replayed>();
  /** Replay number of the next datagram batch to take into the batch. */
  private next = 0;
  private parts: Part[] = [];
  private flows = 0;
  private ipv4 = 0;
  /** The last datagram batch all of whose flows are in the batch or written. */
  private through?: DatagramPosition;
  /** IPv4 flows of the first batch read back that an earlier run wrote (the journal's `partial`). */
  private skip = 0;
  private since = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: DatagramReplayOptions) {}

  /** Datagram batches read back whose flows are not all here yet, or that wait for an earlier one. */
  get waiting(): number {
    return this.replays.size;
  }

  /** Starts the flush timer; `from` is where the journal said the flow spool got (the first batch read back is the one after `from.done`). */
  start(from: DatagramMark = {}): void {
    this.skip = from.partial ?? 0;
    const every = Math.max(10, Math.min(1000, Math.floor(this.options.flushMs / 4)));
    this.timer = setInterval(() => {
      if (this.flows > 0 && Date.now() - this.since >= this.options.flushMs) this.cut();
    }, every);
    this.timer.unref();
  }

  private entry(n: number): Replayed {
    // A batch already passed over (lost, then reported after all): nothing more to do with it.
    if (n < this.next) return { parts: [] };
    let r = this.replays.get(n);
    if (!r) this.replays.set(n, (r = { parts: [] }));
    return r;
  }

  /** Flows of the datagram batch numbered `n`. */
  add(n: number, chunk: Uint8Array, flows: number, ipv6: number): void {
    if (flows > 0) this.entry(n).parts.push({ chunk, flows, ipv6 });
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

  /** Moves finished datagram batches, in their order, into the batch, cutting it at `batchFlows` IPv4 flows. */
  private take(): void {
    for (let r = this.replays.get(this.next); r?.end; r = this.replays.get(this.next)) {
      this.replays.delete(this.next++);
      // Only the first batch read back can be one an earlier run cut inside.
      let taken = this.skip;
      this.skip = 0;
      if (r.end === 'lost') continue;
      const parts = taken > 0 ? this.passOver(r.parts, taken) : r.parts;
      parts.forEach((part, i) => (taken = this.push(part, taken, i === parts.length - 1)));
      this.through = r.end;
      if (this.ipv4 >= this.options.batchFlows) this.cut();
    }
  }

  /** The parts without their flows up to and including the `ipv4`-th IPv4 one (an earlier run wrote those). */
  private passOver(parts: readonly Part[], ipv4: number): Part[] {
    const rest: Part[] = [];
    for (const part of parts) {
      const partIpv4 = part.flows - part.ipv6;
      if (ipv4 === 0) rest.push(part);
      else if (partIpv4 < ipv4) ipv4 -= partIpv4;
      else {
        const split = splitPart(part, ipv4);
        if (split && split.tail.flows > 0) rest.push(split.tail);
        ipv4 = 0;
      }
    }
    return rest;
  }

  /**
   * Adds a part of the datagram batch being taken, of which `taken` IPv4 flows are in the batch
   * or written already; where it reaches `batchFlows` before the datagram batch's `last` part
   * ends, the batch is cut there (the journal says how far into the datagram batch). Returns
   * `taken` after the part.
   */
  private push(part: Part, taken: number, last: boolean): number {
    const room = this.options.batchFlows - this.ipv4;
    const partIpv4 = part.flows - part.ipv6;
    const split = partIpv4 >= room ? splitPart(part, room) : undefined;
    const head = split?.head ?? part;
    if (this.flows === 0) this.since = Date.now();
    this.parts.push(head);
    this.flows += head.flows;
    this.ipv4 += head.flows - head.ipv6;
    taken += head.flows - head.ipv6;
    const tail = split && split.tail.flows > 0 ? split.tail : undefined;
    // Full at the datagram batch's end: take() cuts it, with the batch complete.
    if (this.ipv4 < this.options.batchFlows || (last && !tail)) return taken;
    this.cut(taken);
    return tail ? this.push(tail, taken, last) : taken;
  }

  /**
   * Writes the batch now (a timer, and the collector's stop, call this). `partial`: the batch
   * ends inside the datagram batch after the last complete one, after that many of its IPv4 flows.
   */
  cut(partial?: number): void {
    const { parts, flows } = this;
    if (flows === 0 && !this.through) return;
    const mark: DatagramMark = { done: this.through ?? this.options.journal.mark.done, partial };
    this.parts = [];
    this.flows = 0;
    this.ipv4 = 0;
    const completed = this.through;
    this.through = undefined;
    const { journal } = this.options;
    let written = flows === 0;
    try {
      if (flows > 0) {
        journal.intend(mark, this.options.nextRecordAt(), flows);
        this.options.spool(parts.map((p) => p.chunk), flows);
        written = true;
      }
      journal.complete(mark);
    } catch (err) {
      // The journal's disk failed. Flows written without their intent could be kept twice after a
      // crash: they are dropped and counted instead, as a failed spool write drops a batch. (Once
      // written, the intent settles them at the next start.)
      this.options.log(`${(err as Error).message}${written ? '' : `: ${flows} flows of the datagram spool dropped`}`);
      if (!written) this.options.dropped(flows);
    }
    if (completed) this.options.completed(completed);
  }

  /** Cuts what is gathered and stops the timer. */
  stop(): void {
    clearInterval(this.timer);
    this.cut();
  }
}
