// Moves spooled batches into the store, oldest first, exactly once: the journal marks each
// append before it starts (with the store's flow count) and after it ends, and an append left in
// doubt by a crash is settled by counting the store's flows before anything else is written.

import { decodeFlowChunks, FlowChunkError } from '../../collect/flow-codec.js';
import type { DiskSpool, ReplayJournal, SpoolSegmentInfo } from '../../collect/disk-spool.js';
import type { SegmentCursor } from '../../collect/segment-cursor.js';
import type { SpoolRecord } from '../../collect/spool-segment.js';
import type { FlowRecord } from '../../core/columns.js';

/** What the replayer writes to: the store's append, and its total flow count (the in-doubt check). */
export interface ReplayTarget {
  appendFlows(records: readonly FlowRecord[]): Promise<void>;
  /** Appends a batch as the decoders encoded it (collect/flow-codec.ts), where the target reads that directly. */
  appendEncoded?(chunks: readonly Uint8Array[]): Promise<void>;
  /** How many `appendEncoded` calls may run at once (default 1). */
  readonly appendConcurrency?: number;
  countFlows(): Promise<number>;
  /**
   * True when nothing but this collector writes to or deletes from the store while it runs (a
   * store it opened itself): the replayer then keeps the store's flow count from the appends it
   * knows of, instead of counting before every replayed batch (a query of 10-150 ms each).
   */
  readonly soleWriter?: boolean;
  /** Closes and reopens the store (see FlowWriterOptions.refreshFlows); absent for a store the collector does not own (the server's). */
  refresh?(): Promise<void>;
}

/** What the replayer reports. */
export interface ReplayEvents {
  /** Flows of one spooled batch now in the store. */
  replayed(flows: number): void;
  /** Spool records skipped (torn tail, damage, undecodable payload). */
  discarded(code: 'COLLECT_SPOOL_TORN' | 'COLLECT_SPOOL_CORRUPT', records: number): void;
  log(message: string): void;
}

/** Outcome of one replay step. */
export type ReplayStep = 'replayed' | 'segment-done' | 'empty';

interface Loaded {
  readonly segment: SpoolSegmentInfo;
  readonly cursor: SegmentCursor;
  /** Index of the next record to replay (intact records of the segment, counted from 0). */
  next: number;
  /** That record once read (kept until it is in the store: a failed step retries it). */
  pending?: SpoolRecord;
}

/**
 * Replays a spool one batch per step. Every step that touches the store may throw (store down):
 * the journal then still says where to resume, and the next step starts by settling any append
 * left in doubt. Only one replayer may write to the store at a time, and nothing else may append
 * while a step runs or while an append is in doubt (see {@link SpoolReplayer.settled}), so the
 * flow count before and after an append tells whether it happened.
 */
export class SpoolReplayer {
  private loaded?: Loaded;
  private journal?: ReplayJournal;
  private journalRead = false;
  private settledAtStart = false;
  /** The store's flow count, when known exactly (see ReplayTarget.soleWriter). */
  private knownCount?: number;

  constructor(
    private readonly spool: DiskSpool,
    private readonly target: ReplayTarget,
    private readonly events: ReplayEvents,
  ) {}

  /**
   * True once a step settled what an earlier run may have left in doubt: from then on other
   * writers may append between steps. (A failed step's doubt is settled by the next step, which
   * the collector runs before any other append: see FlowWriter.)
   */
  get settled(): boolean {
    return this.settledAtStart;
  }

  /** Flows another writer of this collector appended (successfully) since the last step. */
  counted(flows: number): void {
    if (this.knownCount !== undefined) this.knownCount += flows;
  }

  /** The store's flow count is no longer known: a failed append, a reopen (retention deletes). */
  forgetCount(): void {
    this.knownCount = undefined;
  }

  private async countFlows(): Promise<number> {
    if (this.knownCount !== undefined) return this.knownCount;
    const n = await this.target.countFlows();
    if (this.target.soleWriter) this.knownCount = n;
    return n;
  }

  private async currentJournal(): Promise<ReplayJournal | undefined> {
    if (!this.journalRead) {
      this.journal = await this.spool.readJournal();
      this.journalRead = true;
    }
    return this.journal;
  }

  private async setJournal(journal: ReplayJournal | undefined): Promise<void> {
    await this.spool.writeJournal(journal);
    this.journal = journal;
  }

  /**
   * Settles an append the journal left in doubt (a crash or an error between its start and its
   * end). Call before any other write to the store; a no-op when nothing is in doubt.
   */
  async settle(): Promise<void> {
    const journal = await this.currentJournal();
    if (!journal?.intent) {
      this.settledAtStart = true;
      return;
    }
    const { record, flowsBefore, flows } = journal.intent;
    // A real count: nothing is known at start, and a failed step forgot the count.
    const now = await this.countFlows();
    let done: boolean;
    if (now === flowsBefore + flows) done = true;
    else if (now === flowsBefore) done = false;
    else {
      // Someone else wrote to (or deleted from) the store meanwhile: the count cannot tell. Keeping
      // the batch out risks losing it; replaying risks a duplicate. Prefer no duplicate when the
      // store grew by at least the batch, else replay.
      done = now >= flowsBefore + flows;
      this.events.log(`spool: cannot tell whether batch ${record} of segment ${journal.segment} reached the store (flows ${flowsBefore} -> ${now}, batch ${flows}); assuming ${done ? 'it did' : 'it did not'}`);
    }
    await this.setJournal({ segment: journal.segment, done: done ? record + 1 : record });
    if (this.loaded?.segment.seq === journal.segment) {
      this.loaded.next = done ? record + 1 : record;
      // The record in doubt stays pending for the retry unless it reached the store.
      if (done) this.loaded.pending = undefined;
    }
    if (done) this.events.replayed(flows);
    this.settledAtStart = true;
  }

  /** Replays the next batch. Throws when the store or the spool fails (retry later). */
  async step(): Promise<ReplayStep> {
    await this.settle();
    if (!this.loaded) {
      let segment = this.spool.oldest();
      if (!segment) {
        // Caught up with the segment being written: close it so it can be replayed.
        this.spool.sealActive();
        segment = this.spool.oldest();
        if (!segment) return 'empty';
      }
      const cursor = await this.spool.openCursor(segment);
      if (!cursor.validHeader) this.events.log(`spool: ${segment.path} is not a spool segment: skipped`);
      const journal = await this.currentJournal();
      const loaded: Loaded = { segment, cursor, next: 0 };
      // Records an earlier run replayed are read past (they count: the journal indexes them);
      // the segment counts as loaded only once that is done.
      const start = journal?.segment === segment.seq ? journal.done : 0;
      try {
        while (loaded.next < start && (await this.read(loaded))) loaded.next++;
      } catch (err) {
        await cursor.close().catch(() => undefined);
        throw err;
      }
      this.loaded = loaded;
    }
    const loaded = this.loaded;
    const record = (loaded.pending ??= await this.read(loaded));
    if (!record) {
      await loaded.cursor.close();
      this.spool.remove(loaded.segment);
      this.loaded = undefined;
      await this.setJournal(undefined);
      return 'segment-done';
    }
    const index = loaded.next;
    const corrupt = async (err: unknown): Promise<'replayed'> => {
      // The checksum passed, so this is a writer bug or a foreign file: skip, never block the spool.
      this.events.log(`spool: batch ${index} of ${loaded.segment.path} does not decode (${(err as Error).message}): skipped`);
      this.events.discarded('COLLECT_SPOOL_CORRUPT', 1);
      loaded.next++;
      loaded.pending = undefined;
      await this.setJournal({ segment: loaded.segment.seq, done: loaded.next });
      return 'replayed';
    };
    // A target that reads the encoded chunks itself checks them as it goes (and appends nothing
    // of a batch that does not decode); otherwise they are decoded here first.
    const encoded = this.target.appendEncoded?.bind(this.target);
    const flows: FlowRecord[] = [];
    if (!encoded) {
      try {
        decodeFlowChunks(record.payload, flows);
      } catch (err) {
        return corrupt(err);
      }
    }
    const count = encoded ? record.flows : flows.length;
    const flowsBefore = await this.countFlows();
    await this.setJournal({ segment: loaded.segment.seq, done: index, intent: { record: index, flowsBefore, flows: count } });
    try {
      if (encoded) await encoded([record.payload]);
      else await this.target.appendFlows(flows);
    } catch (err) {
      this.knownCount = undefined;
      if (err instanceof FlowChunkError) return corrupt(err);
      throw err;
    }
    if (this.knownCount !== undefined) this.knownCount = flowsBefore + count;
    loaded.next = index + 1;
    loaded.pending = undefined;
    await this.setJournal({ segment: loaded.segment.seq, done: loaded.next });
    this.events.replayed(count);
    return 'replayed';
  }

  /** The loaded segment's next intact record, the damage before it logged and counted; undefined at its end. */
  private async read(loaded: Loaded): Promise<SpoolRecord | undefined> {
    const { record, damage } = await loaded.cursor.next();
    for (const d of damage) {
      this.events.log(`spool: ${loaded.segment.path}: ${d.bytes} bytes at offset ${d.offset} ${d.code === 'COLLECT_SPOOL_TORN' ? 'end in a record cut short (written when the collector died: never acknowledged)' : 'are damaged: skipped'}`);
      this.events.discarded(d.code, 1);
    }
    return record;
  }

  /** Closes the segment being replayed, if any (the journal says where the next run resumes). */
  async close(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    await loaded?.cursor.close();
  }
}
