// Gathers the decoded flow chunks into store-sized batches and delivers each one exactly once:
// straight to the store while it keeps up, else to the disk spool, which is replayed into the
// store (oldest first) as soon as the store takes appends again.

import type { DiskSpool } from '../../collect/disk-spool.js';
import { decodeFlowChunks, trySplitFlowChunk } from '../../collect/flow-codec.js';
import type { CollectorDropCode } from '../../collect/collector-drop-codes.js';
import type { FlowRecord } from '../../core/columns.js';
import { SpoolReplayer, type ReplayTarget } from './spool-replayer.js';
import { throttledLog } from './throttled-log.js';

/** Settings of the writer. */
export interface FlowWriterOptions {
  /** IPv4 flows per store append (and per spool record); IPv6 flows ride along, up to as many again. */
  readonly batchFlows: number;
  /** A batch is cut this long after its first flow arrived, full or not. */
  readonly flushMs: number;
  /** Batches waiting for the store beyond which new ones go to the spool (0: always spool first). */
  readonly storeQueue: number;
  /** First wait before retrying a failed store, doubled up to `maxRetryMs`. */
  readonly retryMs: number;
  readonly maxRetryMs: number;
  /**
   * After this many flows went into the store (straight or replayed), the store is reopened
   * between appends, when the target can (0 or absent: never). DuckDB keeps state for every row
   * group appended until its file is closed.
   */
  readonly refreshFlows?: number;
}

/** Counters of the writer (flows unless named otherwise). */
export interface FlowWriterCounters {
  /** Flows received from the decoders. */
  received: number;
  /** Flows appended straight to the store. */
  stored: number;
  /** Flows written to the spool. */
  spooled: number;
  /** Flows moved from the spool to the store. */
  replayed: number;
  /** Store appends done, failed, and their total time. */
  appends: number;
  appendErrors: number;
  appendSeconds: number;
  /** Dropped or discarded, by code (units per code: see collector-drop-codes). */
  drops: Partial<Record<CollectorDropCode, number>>;
}

interface Batch {
  readonly chunks: Uint8Array[];
  readonly flows: number;
}

/** The batching, routing and replay of decoded flows. */
export class FlowWriter {
  readonly counters: FlowWriterCounters = { received: 0, stored: 0, spooled: 0, replayed: 0, appends: 0, appendErrors: 0, appendSeconds: 0, drops: {} };
  private pending: Uint8Array[] = [];
  private pendingFlows = 0;
  /** Flows of the pending batch without an IPv6 address. */
  private pendingIpv4 = 0;
  private pendingSince = 0;
  private readonly queue: Batch[] = [];
  private pumping = false;
  /** A replay step or a reopen has the store to itself: no direct append starts. */
  private exclusive = false;
  /** Flows stored and replayed as of the last reopen. */
  private refreshedAt = 0;
  /** Direct appends not yet settled. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly idleWaiters: (() => void)[] = [];
  private healthy = true;
  private retryDelay: number;
  private retryTimer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private replayDeadline = Infinity;
  private readonly replayer: SpoolReplayer;
  /** At most one line per 10 s: a failing store or a full disk must not flood the log. */
  private readonly logFailure: (message: string) => void;
  private closed = false;

  constructor(
    private readonly target: ReplayTarget,
    private readonly spool: DiskSpool,
    private readonly options: FlowWriterOptions,
    private readonly log: (message: string) => void,
    /** Called with a batch's chunks once the store or the spool took them (or they were dropped): their buffers may be reused. */
    private readonly released: (chunks: readonly Uint8Array[]) => void = () => {},
  ) {
    this.retryDelay = options.retryMs;
    this.logFailure = throttledLog(log);
    this.replayer = new SpoolReplayer(spool, target, {
      replayed: (flows) => {
        this.counters.replayed += flows;
      },
      discarded: (code, records) => this.drop(code, records),
      log,
    });
  }

  /** True while the last store operation succeeded. */
  get storeUp(): boolean {
    return this.healthy;
  }

  /** Batches waiting for the store. */
  get queuedBatches(): number {
    return this.queue.length;
  }

  /** Flows received and not yet in a batch. */
  get bufferedFlows(): number {
    return this.pendingFlows;
  }

  /** Starts the flush timer and the replay of what an earlier run left in the spool. */
  start(): void {
    const every = Math.max(10, Math.min(1000, Math.floor(this.options.flushMs / 4)));
    this.flushTimer = setInterval(() => {
      if (this.pendingFlows > 0 && Date.now() - this.pendingSince >= this.options.flushMs) this.cut();
    }, every);
    this.flushTimer.unref();
    void this.pump();
  }

  /**
   * Takes a chunk of encoded flows from a decoder, `ipv6` of them with an IPv6 address. A batch
   * ends when it holds exactly `batchFlows` flows without one, the chunk that crosses that mark
   * cut in two; IPv6 flows ride along. A DuckDB store keeps IPv6 flows in a table of their own,
   * and writes an append of whole row groups to its IPv4 table once, compressed, where a part of
   * one is copied again at commit and compressed at the next checkpoint: batches cut before the
   * crossing chunk (the worker's timer sends part-filled chunks) cost its threads 0.3-0.6 µs a
   * flow more. A batch holds at most twice `batchFlows` flows in all (IPv6 traffic alone).
   */
  add(chunk: Uint8Array, flows: number, ipv6 = 0): void {
    if (flows === 0) return;
    const limit = this.options.batchFlows;
    if (this.pendingFlows + flows > 2 * limit) this.cut();
    if (this.pendingIpv4 + flows - ipv6 > limit) {
      // Undefined for older columns or bytes that do not read: the chunk is taken whole.
      const split = trySplitFlowChunk(chunk, limit - this.pendingIpv4, ipv6);
      if (split) {
        this.push(split.head, split.headFlows, split.headIpv6);
        this.cut();
        if (split.tailFlows > 0) this.add(split.tail, split.tailFlows, split.tailIpv6);
        return;
      }
      this.cut();
    }
    this.push(chunk, flows, ipv6);
    if (this.pendingIpv4 >= limit) this.cut();
  }

  private push(chunk: Uint8Array, flows: number, ipv6: number): void {
    if (this.pendingFlows === 0) this.pendingSince = Date.now();
    this.pending.push(chunk);
    this.pendingFlows += flows;
    this.pendingIpv4 += flows - ipv6;
    this.counters.received += flows;
  }

  /**
   * Writes flows decoded from the datagram spool to the spool, whatever the store's state: the
   * replayer then moves them to the store exactly once (DatagramReplay says why not straight).
   */
  spoolReplayed(chunks: Uint8Array[], flows: number): void {
    this.counters.received += flows;
    this.toSpool({ chunks, flows });
  }

  /** Ends the current batch now and routes it. */
  cut(): void {
    if (this.pendingFlows === 0) return;
    const batch: Batch = { chunks: this.pending, flows: this.pendingFlows };
    this.pending = [];
    this.pendingFlows = 0;
    this.pendingIpv4 = 0;
    this.route(batch);
  }

  /** Counts flows dropped (here, or on their way to it: the datagram spool's journal failing). */
  drop(code: CollectorDropCode, n: number): void {
    this.counters.drops[code] = (this.counters.drops[code] ?? 0) + n;
  }

  /**
   * Straight to the store while it is up and keeps up, spooled backlog or not: the replayer takes
   * the store between direct appends (never during one: its in-doubt check needs to be the only
   * writer), so live flows do not pay for the spool's write and read once a hiccup spooled a few
   * batches. Until the replayer settled what a crash may have left in doubt, everything goes to
   * the spool.
   */
  private route(batch: Batch): void {
    if (this.healthy && (!this.spool.hasBacklog || this.replayer.settled) && this.queue.length < this.options.storeQueue) {
      this.queue.push(batch);
      if (this.pumping) this.startAppends();
      else void this.pump();
    } else {
      this.toSpool(batch);
    }
  }

  private toSpool(batch: Batch): void {
    let outcome: 'ok' | 'full';
    try {
      outcome = this.spool.append(batch.chunks, batch.flows);
    } catch (err) {
      this.drop('COLLECT_SPOOL_IO', batch.flows);
      this.logFailure(`${(err as Error).message}: ${batch.flows} flows dropped`);
      return;
    } finally {
      // Written (synchronously) or dropped: the chunks are not read again.
      this.released(batch.chunks);
    }
    if (outcome === 'full') {
      this.drop('COLLECT_SPOOL_FULL', batch.flows);
      this.logFailure(`spool ${this.spool.dir} is full (${this.spool.bytes} bytes, --spool-max ${this.spool.options.maxBytes}): ${batch.flows} flows dropped`);
      return;
    }
    this.counters.spooled += batch.flows;
    // The replayer only runs while the store is up; start it if it is idle.
    if (this.healthy) void this.pump();
  }

  private async appendDirect(batch: Batch): Promise<void> {
    const t0 = performance.now();
    if (this.target.appendEncoded) await this.target.appendEncoded(batch.chunks);
    else {
      const records: FlowRecord[] = [];
      for (const chunk of batch.chunks) decodeFlowChunks(chunk, records);
      await this.target.appendFlows(records);
    }
    this.counters.appendSeconds += (performance.now() - t0) / 1000;
    this.counters.appends++;
    this.counters.stored += batch.flows;
    this.replayer.counted(batch.flows);
    this.released(batch.chunks);
  }

  private storeFailed(err: unknown): void {
    this.counters.appendErrors++;
    this.replayer.forgetCount();
    if (this.healthy) this.log(`store append failed (${(err as Error).message}): spooling to ${this.spool.dir}, retrying in ${Math.round(this.retryDelay / 1000)} s`);
    this.healthy = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      // Tentatively up: the next replay step is the probe; a failure doubles the wait.
      this.healthy = true;
      void this.pump();
    }, this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryMs);
  }

  /**
   * Starts direct appends while batches wait and the store takes more at once: with two, one
   * batch commits while the next is written. Never while the replayer is writing (its in-doubt
   * check counts flows, so it must be the store's only writer).
   */
  private startAppends(): void {
    const limit = Math.max(1, this.target.appendConcurrency ?? 1);
    // A reopen that is due waits for the appends running, and no new one starts before it.
    while (this.healthy && !this.closed && !this.exclusive && !this.refreshDue() && this.inFlight.size < limit && this.queue.length > 0) {
      const batch = this.queue.shift()!;
      const append: Promise<void> = this.appendDirect(batch)
        .then(
          () => this.storeRecovered(),
          (err: unknown) => {
            this.storeFailed(err);
            // The failed batch first, then what queued behind it: the spool keeps their order.
            this.toSpool(batch);
            this.spoolQueue();
          },
        )
        .finally(() => {
          this.inFlight.delete(append);
          // The pump may be waiting on another append: the freed slot is taken now.
          this.startAppends();
        });
      this.inFlight.add(append);
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      for (;;) {
        this.startAppends();
        if (this.inFlight.size > 0) {
          await Promise.race(this.inFlight);
          continue;
        }
        if (this.refreshDue()) {
          if (!(await this.refresh())) break;
          continue;
        }
        if (!this.healthy || !this.spool.hasBacklog || Date.now() > this.replayDeadline) break;
        this.exclusive = true;
        try {
          const step = await this.replayer.step();
          this.storeRecovered();
          if (step === 'empty') break;
        } catch (err) {
          this.storeFailed(err);
          // What queued during the step goes to the spool too: after the retry delay the next
          // step must settle this one's doubt before any direct append changes the flow count.
          this.spoolQueue();
          break;
        } finally {
          this.exclusive = false;
        }
      }
    } finally {
      this.pumping = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private refreshDue(): boolean {
    const every = this.options.refreshFlows ?? 0;
    // Not while stopping (the store is about to be closed anyway), nor while the spool holds
    // batches: opening applies retention, whose deletes would confuse a replay's in-doubt count.
    return every > 0 && this.counters.stored + this.counters.replayed - this.refreshedAt >= every && this.healthy && !this.spool.hasBacklog && this.replayDeadline === Infinity && this.target.refresh !== undefined;
  }

  /** Reopens the store with nothing else writing; false when that failed (handled as a failed append). */
  private async refresh(): Promise<boolean> {
    this.exclusive = true;
    try {
      this.replayer.forgetCount();
      await this.target.refresh!();
      this.refreshedAt = this.counters.stored + this.counters.replayed;
      return true;
    } catch (err) {
      this.storeFailed(err);
      this.spoolQueue();
      return false;
    } finally {
      this.exclusive = false;
    }
  }

  /** Sends the batches waiting for the store to the spool, oldest first. */
  private spoolQueue(): void {
    for (let b = this.queue.shift(); b; b = this.queue.shift()) this.toSpool(b);
  }

  private storeRecovered(): void {
    if (this.retryDelay !== this.options.retryMs) this.log('store appends succeed again: replaying the spool');
    this.retryDelay = this.options.retryMs;
  }

  private idle(timeoutMs: number): Promise<boolean> {
    if (!this.pumping) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * Flushes: cuts the last batch, waits for the store to take what is queued, replays the spool
   * for up to `drainMs` while the store is up, then closes the spool. What remains spooled is
   * replayed at the next start.
   */
  async stop(drainMs: number): Promise<void> {
    clearInterval(this.flushTimer);
    clearTimeout(this.retryTimer);
    this.cut();
    this.replayDeadline = Date.now() + drainMs;
    if (this.healthy && (this.queue.length > 0 || this.spool.hasBacklog)) void this.pump();
    if (!(await this.idle(drainMs + 30_000))) {
      this.log('the store did not finish its last append in time: spooling what is still queued');
    }
    this.closed = true;
    this.spoolQueue();
    await this.replayer.close();
    await this.spool.close();
  }
}
