// The decode workers: one thread per lane, each fed by the receiver through its own channel and
// holding the template state of the exporters routed to it; or a single inline decoder on the
// main thread (--workers 0, or no compiled worker code).

import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { parseIp } from '../../core/ip.js';
import type { TemplateSnapshot } from '../../decode/decoder-state.js';
import { DecodeEngine, newDecodeCounters, type DecodeCounters } from './decode-engine.js';
import { laneOf } from './receive-loop.js';
import type { DecodeWorkerData, DecodeWorkerSettings, DecoderToMain, MainToDecoder, ReplayTag } from './worker-messages.js';

/** Settings of the pool. */
export interface DecodePoolOptions {
  /** Worker threads; 0 decodes on the main thread. */
  readonly workers: number;
  readonly settings: DecodeWorkerSettings;
  /** Templates saved by an earlier run, routed to the lanes owning their exporters. */
  readonly templates: readonly TemplateSnapshot[];
  /** Encoded flows from a lane, in the order it decoded them. */
  readonly onFlows: (bytes: Uint8Array, flows: number, ipv6: number) => void;
  /** Encoded flows of the datagram spool's batch number `n` (threaded only). */
  readonly onReplayFlows?: (n: number, bytes: Uint8Array, flows: number, ipv6: number) => void;
  /** Every flow of a datagram spool batch was handed over. */
  readonly onReplayed?: (tag: ReplayTag) => void;
  /** A lane's templates changed (see {@link DecodePool.templates}). */
  readonly onTemplates: () => void;
  /** A worker was restarted after a crash: hand its new channel end to the receiver. */
  readonly onReplaced: (lane: number, port: MessagePort) => void;
  readonly log: (message: string) => void;
}

/**
 * The URL of a compiled worker entry next to this module. Under vitest this module is TypeScript,
 * which a worker thread cannot load: the build in dist/ is used then, if there is one.
 */
export function compiledWorkerUrl(name: string): URL | undefined {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.js')) return new URL(`./${name}.js`, import.meta.url);
  const compiled = self.replace(/([\\/])src[\\/]services[\\/]collector[\\/]decode-pool\.ts$/, `$1dist$1src$1services$1collector$1${name}.js`);
  return compiled !== self && existsSync(compiled) ? pathToFileURL(compiled) : undefined;
}

interface Lane {
  readonly index: number;
  counters: DecodeCounters;
  templates: TemplateSnapshot[];
  worker?: Worker;
  fenced?: () => void;
  stopping: boolean;
}

/** The lanes. `start()` spawns the workers and returns the channel ends the receiver feeds. */
export class DecodePool {
  private readonly lanes: Lane[] = [];
  private engine?: DecodeEngine;
  private chunkTimer?: NodeJS.Timeout;
  private workerUrl?: URL;
  /** The lane the next recycled buffers go to. */
  private recycleTurn = 0;

  constructor(private readonly options: DecodePoolOptions) {}

  /** Lanes in use. */
  get size(): number {
    return this.lanes.length;
  }

  /** True when decoding runs in worker threads. */
  get threaded(): boolean {
    return this.workerUrl !== undefined;
  }

  /**
   * Starts the lanes. Threaded: returns one channel end per lane, for the receiver. Inline:
   * returns undefined; batches go to {@link decodeInline}.
   */
  async start(): Promise<MessagePort[] | undefined> {
    const { workers } = this.options;
    this.workerUrl = workers > 0 ? compiledWorkerUrl('decode-worker') : undefined;
    if (workers > 0 && !this.workerUrl) this.options.log('compiled worker code not found (npm run build): decoding on the main thread');
    const count = this.workerUrl ? workers : 1;
    const byLane: TemplateSnapshot[][] = Array.from({ length: count }, () => []);
    for (const t of this.options.templates) {
      const ip = parseIp(t.exporter);
      if (ip !== undefined) byLane[laneOf(ip, count)]!.push(t);
    }
    for (let i = 0; i < count; i++) this.lanes.push({ index: i, counters: newDecodeCounters(), templates: byLane[i]!, stopping: false });
    if (!this.workerUrl) {
      const lane = this.lanes[0]!;
      this.engine = new DecodeEngine(this.options.settings.decoder, this.options.settings.chunkFlows, (c) => this.options.onFlows(c.bytes, c.flows, c.ipv6));
      this.engine.restore(lane.templates);
      lane.counters = this.engine.counters;
      this.chunkTimer = setInterval(() => this.inlineFlows(), this.options.settings.chunkMs);
      this.chunkTimer.unref();
      return undefined;
    }
    return Promise.all(this.lanes.map((lane) => this.spawn(lane)));
  }

  private async spawn(lane: Lane): Promise<MessagePort> {
    const { port1, port2 } = new MessageChannel();
    const data: DecodeWorkerData = { settings: this.options.settings, templates: lane.templates, port: port2 };
    const worker = new Worker(this.workerUrl!, { workerData: data, transferList: [port2], name: `vantage-decode-${lane.index}` });
    lane.worker = worker;
    worker.on('message', (m: DecoderToMain) => this.onMessage(lane, m));
    worker.on('error', (err) => this.options.log(`decode worker ${lane.index} failed: ${err.message}`));
    worker.on('exit', (code) => {
      if (lane.stopping) return;
      // A crashed worker takes its queued batches with it; its templates survive in the last
      // snapshot it posted, so a replacement starts with them.
      this.options.log(`decode worker ${lane.index} exited (code ${code}); restarting it with ${lane.templates.length} saved templates`);
      void this.spawn(lane).then((port) => this.options.onReplaced(lane.index, port));
    });
    await new Promise<void>((resolve, reject) => {
      worker.once('online', () => resolve());
      worker.once('error', reject);
    });
    return port1;
  }

  private onMessage(lane: Lane, m: DecoderToMain): void {
    switch (m.t) {
      case 'flows':
        lane.counters = m.counters;
        if (m.replay !== undefined) this.options.onReplayFlows?.(m.replay, new Uint8Array(m.buf, 0, m.len), m.flows, m.ipv6);
        else this.options.onFlows(new Uint8Array(m.buf, 0, m.len), m.flows, m.ipv6);
        lane.worker?.postMessage({ t: 'ack' } satisfies MainToDecoder);
        break;
      case 'stats':
        lane.counters = m.counters;
        break;
      case 'replayed':
        lane.counters = m.counters;
        this.options.onReplayed?.(m.tag);
        break;
      case 'templates':
        lane.templates = m.templates;
        this.options.onTemplates();
        break;
      case 'fenced':
        lane.counters = m.counters;
        lane.templates = m.templates;
        lane.fenced?.();
        lane.fenced = undefined;
        break;
    }
  }

  /** Inline mode: decodes a batch on this thread. */
  decodeInline(buffer: ArrayBuffer, length: number): void {
    const engine = this.engine!;
    engine.decodeBatch(buffer, length);
    if (engine.templatesChanged) {
      this.lanes[0]!.templates = engine.snapshot();
      this.options.onTemplates();
    }
  }

  private inlineFlows(): void {
    const chunk = this.engine?.takeFlows();
    if (chunk) this.options.onFlows(chunk.bytes, chunk.flows, chunk.ipv6);
  }

  /**
   * Gives the buffers of flow chunks the store or the spool has taken back to a decoder, which
   * encodes later chunks into them (see FlowChunkEncoder.recycle). Any lane will do: the buffers
   * are alike. The chunks must not be read afterwards (a transferred buffer is emptied here).
   */
  recycle(chunks: readonly Uint8Array[]): void {
    // Once each (a transfer list may not repeat one), and none already handed on (emptied).
    const bufs = [...new Set(chunks.map((c) => c.buffer as ArrayBuffer))].filter((b) => b.byteLength > 0);
    if (this.engine) return this.engine.recycle(bufs);
    if (bufs.length === 0) return;
    const live = this.lanes.filter((l) => l.worker && !l.stopping);
    if (live.length === 0) return;
    const lane = live[this.recycleTurn++ % live.length]!;
    lane.worker!.postMessage({ t: 'spare', bufs } satisfies MainToDecoder, bufs);
  }

  /**
   * Resolves once every lane has decoded all it was sent and handed back its flows, counters and
   * templates: threaded, when each worker answered the receiver's fence; inline, at once.
   */
  whenFenced(): Promise<void> {
    if (this.engine) {
      this.inlineFlows();
      this.lanes[0]!.templates = this.engine.snapshot();
      return Promise.resolve();
    }
    return Promise.all(this.lanes.map((lane) => new Promise<void>((resolve) => (lane.fenced = resolve)))).then(() => undefined);
  }

  /** The latest templates of every lane, for persisting. */
  templates(): TemplateSnapshot[] {
    return this.lanes.flatMap((l) => l.templates);
  }

  /** The latest counters of every lane. */
  counters(): DecodeCounters[] {
    return this.lanes.map((l) => l.counters);
  }

  /** Ends the workers (after `whenFenced()`, nothing is lost). */
  async stop(): Promise<void> {
    clearInterval(this.chunkTimer);
    await Promise.all(
      this.lanes.map(async (lane) => {
        lane.stopping = true;
        if (lane.worker) await lane.worker.terminate();
      }),
    );
  }
}
