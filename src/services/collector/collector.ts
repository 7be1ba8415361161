// The flow collector: UDP listeners (receiver thread) -> decode workers -> batches -> store, or
// the disk spool when the store is down or slow. Wires the parts, starts them in order and stops
// them in reverse.

import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker, type MessagePort } from 'node:worker_threads';
import { DiskSpool } from '../../collect/disk-spool.js';
import { parseListenAddress, type ListenAddress } from '../../collect/listen-address.js';
import { VantageError } from '../../core/errors.js';
import { buildStatsSnapshot, type CollectorStatsSnapshot, type ListenerStats } from './collector-stats.js';
import { parseCollectorConfig, type CollectorConfig, type CollectorConfigInput } from './collector-config.js';
import { compiledWorkerUrl, DecodePool } from './decode-pool.js';
import { DATAGRAM_JOURNAL, DatagramJournal, DatagramReplay, type DatagramMark } from './datagram-replay.js';
import { FlowWriter } from './flow-writer.js';
import { ReceiveLoop } from './receive-loop.js';
import type { ReplayTarget } from './spool-replayer.js';
import { loadTemplates, saveTemplates, TEMPLATE_FILE } from './template-file.js';
import type { MainToReceiver, ReceiveCounters, ReceiverToMain, ReceiverWorkerData } from './worker-messages.js';

/** What the collector needs from outside: where flows go, and where messages go. */
export interface CollectorDeps {
  /** The store (appends, and its flow count for settling a replay left in doubt). */
  readonly target: ReplayTarget;
  readonly log: (message: string) => void;
}

/** How often the flow spool's size is looked at to pace the datagram spool's read-back. */
const PACE_EVERY_MS = 50;

const NO_RECEIVE: ReceiveCounters = { datagrams: 0, bytes: 0, exporters: {}, drops: {}, listeners: [] };

/** A collector. Create with {@link createCollector}; `start()` binds, `stop()` flushes and closes. */
export class Collector {
  readonly config: CollectorConfig;
  private readonly addresses: ListenAddress[];
  private readonly spool: DiskSpool;
  private readonly writer: FlowWriter;
  private readonly journal: DatagramJournal;
  private readonly replay: DatagramReplay;
  private pool?: DecodePool;
  /** Threaded: the receiver thread. Inline: the receive loop on this thread. */
  private receiver?: Worker;
  private loop?: ReceiveLoop;
  private receive: ReceiveCounters = NO_RECEIVE;
  private stopped?: (counters: ReceiveCounters) => void;
  private startedAt = 0;
  private templatesDirty = false;
  private templateTimer?: NodeJS.Timeout;
  private paceTimer?: NodeJS.Timeout;
  private replayPaused = false;
  private saving: Promise<void> = Promise.resolve();
  /** The last file content written: exporters resend unchanged templates every few seconds. */
  private savedJson = '';
  private stopping = false;
  /** How far the flow spool held the datagram spool's flows at start. */
  private datagramMark: DatagramMark = {};

  constructor(
    input: CollectorConfigInput,
    private readonly deps: CollectorDeps,
  ) {
    this.config = parseCollectorConfig(input);
    this.addresses = this.config.listen.map(parseListenAddress);
    this.spool = new DiskSpool({ dir: resolve(this.config.spoolDir), maxBytes: this.config.spoolMaxBytes, segmentBytes: this.config.spoolSegmentBytes });
    this.writer = new FlowWriter(deps.target, this.spool, this.config, deps.log, (chunks) => this.pool?.recycle(chunks));
    this.journal = new DatagramJournal(join(this.spool.dir, DATAGRAM_JOURNAL));
    this.replay = new DatagramReplay({
      batchFlows: this.config.batchFlows,
      flushMs: this.config.flushMs,
      journal: this.journal,
      nextRecordAt: () => this.spool.nextRecordAt(),
      spool: (chunks, flows) => this.writer.spoolReplayed(chunks, flows),
      completed: (position) => this.receiver?.postMessage({ t: 'completed', position } satisfies MainToReceiver),
      dropped: (flows) => this.writer.drop('COLLECT_SPOOL_IO', flows),
      log: deps.log,
    });
  }

  /** Where datagrams wait that the decode workers could not take yet. */
  get datagramSpoolDir(): string {
    return join(this.spool.dir, 'datagrams');
  }

  /** Where templates are saved. */
  get templatePath(): string {
    return join(this.spool.dir, TEMPLATE_FILE);
  }

  /** The listeners: URL, bound port (known after `start()`), granted SO_RCVBUF. */
  listeners(): readonly ListenerStats[] {
    return this.loop ? this.loop.listeners() : this.receive.listeners;
  }

  /** True when receiving and decoding run in their own threads (false: all on the main thread). */
  get threaded(): boolean {
    return this.receiver !== undefined;
  }

  /**
   * Opens the spool (what an earlier run left is replayed before anything new is written), loads
   * saved templates, starts the decode workers, then the receiver, in that order.
   */
  async start(): Promise<void> {
    this.startedAt = Date.now();
    this.spool.open();
    if (this.spool.hasBacklog) this.deps.log(`spool ${this.spool.dir} holds ${this.spool.segmentCount} segment(s), ${this.spool.bytes} bytes from an earlier run: replaying them first`);
    // Before the flow spool's replay starts: the intent it settles points into the flow spool.
    this.datagramMark = this.journal.resolve(this.spool);
    const templates = await loadTemplates(this.templatePath, this.deps.log);
    const c = this.config;
    const pool = new DecodePool({
      workers: c.workers,
      settings: { decoder: c.decoder, chunkFlows: Math.min(c.chunkFlows, c.batchFlows), chunkMs: c.chunkMs, statsMs: 1000, templatesMs: 1000, maxChunksInFlight: c.maxChunksInFlight },
      templates,
      onFlows: (bytes, flows, ipv6) => this.writer.add(bytes, flows, ipv6),
      onReplayFlows: (n, bytes, flows, ipv6) => this.replay.add(n, bytes, flows, ipv6),
      onReplayed: (tag) => this.replay.replayed(tag),
      onTemplates: () => {
        this.templatesDirty = true;
      },
      onReplaced: (lane, port) => this.receiver?.postMessage({ t: 'replace', lane, port } satisfies MainToReceiver, [port]),
      log: this.deps.log,
    });
    this.pool = pool;
    const ports = await pool.start();
    if (templates.length > 0) this.deps.log(`restored ${templates.length} template(s) from ${this.templatePath}`);
    this.writer.start();
    this.replay.start(this.datagramMark);
    this.templateTimer = setInterval(() => void this.saveTemplatesIfDirty(), c.templateSaveMs);
    this.templateTimer.unref();
    const receiverUrl = ports ? compiledWorkerUrl('receiver-worker') : undefined;
    try {
      if (ports && receiverUrl) {
        await this.startReceiver(receiverUrl, ports);
        this.paceTimer = setInterval(() => this.paceReplay(), PACE_EVERY_MS);
        this.paceTimer.unref();
      } else await this.startInline();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private async startReceiver(url: URL, ports: MessagePort[]): Promise<void> {
    const c = this.config;
    const data: ReceiverWorkerData = {
      addresses: this.addresses,
      receiveBufferBytes: c.receiveBufferBytes,
      bufferBytes: c.batchBufferBytes,
      sendBytes: c.sendBytes,
      tickMs: c.tickMs,
      maxOutstanding: c.maxOutstanding,
      statsMs: 200,
      ports,
      datagramSpool: c.datagramSpool ? { dir: this.datagramSpoolDir, maxBytes: c.spoolMaxBytes, segmentBytes: c.spoolSegmentBytes, resumeAfter: this.datagramMark.done } : undefined,
    };
    const receiver = new Worker(url, { workerData: data, transferList: ports, name: 'vantage-receiver' });
    this.receiver = receiver;
    await new Promise<void>((resolveStart, reject) => {
      receiver.on('message', (m: ReceiverToMain) => {
        switch (m.t) {
          case 'started':
            this.receive = { ...NO_RECEIVE, listeners: m.listeners };
            if (m.thread && this.config.nice > 0) lowerPriorityExcept(m.thread, this.config.nice, this.deps.log);
            resolveStart();
            break;
          case 'failed':
            reject(new VantageError('COLLECT_LISTEN', m.message));
            break;
          case 'log':
            this.deps.log(m.message);
            break;
          case 'stats':
            this.receive = m.counters;
            break;
          case 'replay-lost':
            this.replay.lost(m.n);
            break;
          case 'stopped':
            this.receive = m.counters;
            this.stopped?.(m.counters);
            break;
        }
      });
      receiver.on('error', (err) => {
        this.deps.log(`receiver thread failed: ${err.message}`);
        reject(err);
      });
    });
  }

  private async startInline(): Promise<void> {
    const c = this.config;
    const pool = this.pool!;
    const loop: ReceiveLoop = new ReceiveLoop({
      addresses: this.addresses,
      receiveBufferBytes: c.receiveBufferBytes,
      lanes: 1,
      bufferBytes: c.batchBufferBytes,
      sendBytes: c.sendBytes,
      tickMs: c.tickMs,
      maxOutstanding: c.maxOutstanding,
      send: (lane, buffer, length) => {
        pool.decodeInline(buffer, length);
        loop.returned(lane, buffer);
      },
      log: this.deps.log,
    });
    this.loop = loop;
    await loop.start();
  }

  /**
   * Holds the datagram spool's read-back while the flow spool holds more than two segments, until
   * it is down to one: a backlog the store has not taken waits as datagrams (~46 bytes a flow
   * in the load test's stream) rather than as decoded flows (~85), so the two spools together hold
   * a longer burst, and the flow spool does not fill up with it.
   */
  private paceReplay(): void {
    const bytes = this.spool.bytes;
    const segment = this.config.spoolSegmentBytes;
    const pause = this.replayPaused ? bytes > segment : bytes > 2 * segment;
    if (pause === this.replayPaused) return;
    this.replayPaused = pause;
    this.receiver?.postMessage({ t: 'pace', pause } satisfies MainToReceiver);
  }

  private saveTemplatesIfDirty(): Promise<void> {
    if (!this.templatesDirty || !this.pool) return this.saving;
    this.templatesDirty = false;
    const templates = this.pool.templates();
    const json = JSON.stringify(templates);
    if (json === this.savedJson) return this.saving;
    this.saving = this.saving.then(() =>
      saveTemplates(this.templatePath, templates).then(
        () => {
          this.savedJson = json;
        },
        (err: Error) => {
          this.templatesDirty = true;
          this.deps.log(`cannot save templates: ${err.message}`);
        },
      ),
    );
    return this.saving;
  }

  /** Every counter now. */
  snapshot(): CollectorStatsSnapshot {
    const receive = this.loop ? this.loop.counters() : this.receive;
    return buildStatsSnapshot({
      startedAt: this.startedAt,
      receive,
      decoders: this.pool?.counters() ?? [],
      writer: this.writer.counters,
      storeUp: this.writer.storeUp,
      queuedBatches: this.writer.queuedBatches,
      spoolBytes: this.spool.bytes,
      spoolSegments: this.spool.segmentCount,
    });
  }

  /**
   * Graceful stop: stop receiving, let the workers decode what they hold, flush the last batches
   * to the store (or the spool), save templates, close the spool. The store is the caller's.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.templateTimer);
    clearInterval(this.paceTimer);
    const pool = this.pool;
    if (this.receiver) {
      const fenced = pool!.whenFenced();
      const stopped = new Promise<ReceiveCounters>((r) => (this.stopped = r));
      this.receiver.postMessage({ t: 'stop' } satisfies MainToReceiver);
      await stopped;
      await fenced;
      await this.receiver.terminate();
    } else if (this.loop) {
      await this.loop.stop();
      await pool?.whenFenced();
    }
    this.replay.stop();
    await this.writer.stop(this.config.drainMs);
    if (pool) {
      this.templatesDirty = this.templatesDirty || pool.templates().length > 0;
      await this.saveTemplatesIfDirty();
      await pool.stop();
    }
  }
}

/**
 * Lowers the scheduling priority of every thread of this process but one (Linux: priority is per
 * thread, and threads started later inherit it from the thread that starts them).
 */
function lowerPriorityExcept(keep: number, nice: number, log: (message: string) => void): void {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  let done = 0;
  for (const t of tasks) {
    const tid = Number(t);
    if (tid === keep) continue;
    try {
      setPriority(tid, nice);
      done++;
    } catch {
      /* a thread that ended meanwhile */
    }
  }
  log(`priority: ${done} threads at nice ${nice}, the receiver thread left at ${getPriority(keep)}`);
}

/** Builds a collector (no I/O until `start()`); throws USAGE on a bad listen address. */
export function createCollector(config: CollectorConfigInput, deps: CollectorDeps): Collector {
  return new Collector(config, deps);
}
