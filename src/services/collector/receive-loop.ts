// The receive loop: UDP listeners whose only job is to count each datagram, pick its decode lane
// by exporter address (so an exporter's templates live in one worker) and copy it into that lane's
// batch buffer; filled buffers go to the lane and come back for reuse. Runs in its own thread,
// so that store appends on the main thread never delay a socket read. When a lane is behind,
// batches go to the datagram spool instead, and every batch after them too until the spool has
// been read back to the lanes: an exporter's datagrams reach its worker in the order they came.

import { DatagramBatchWriter, firstExporter } from '../../collect/datagram-batch.js';
import type { DatagramPosition, DatagramSpool, SpooledBatch } from '../../collect/datagram-spool.js';
import type { ListenAddress } from '../../collect/listen-address.js';
import { UdpListener } from '../../collect/udp-listener.js';
import { formatIp, parseIp, type Ip } from '../../core/ip.js';
import type { ListenerStats } from './collector-stats.js';
import { MAX_EXPORTERS } from './decode-engine.js';
import { throttledLog } from './throttled-log.js';
import type { ReceiveCounters, ReplayTag } from './worker-messages.js';

/** Settings of the loop. */
export interface ReceiveLoopOptions {
  readonly addresses: readonly ListenAddress[];
  readonly receiveBufferBytes: number;
  readonly lanes: number;
  /** Size of one batch buffer. */
  readonly bufferBytes: number;
  /** A batch is sent once it holds this many bytes, or at the next tick (every `tickMs`). */
  readonly sendBytes: number;
  readonly tickMs: number;
  /**
   * Batches a lane may have queued; beyond, its batches go to the datagram spool (0: all do), or
   * without one its datagrams are dropped (COLLECT_DECODE_BACKLOG; 0 counts as 1).
   */
  readonly maxOutstanding: number;
  /** Hands a filled buffer to a lane (with its tag when it comes from the spool); the lane gives it back with {@link ReceiveLoop.returned}. */
  readonly send: (lane: number, buffer: ArrayBuffer, length: number, replay?: ReplayTag) => void;
  /** Opened by the caller; owned by the loop from then on (closed by `stop()`). */
  readonly spool?: DatagramSpool;
  /** Batches from the spool that a crashed worker took with it (they will never be reported decoded). */
  readonly replayLost?: (n: readonly number[]) => void;
  readonly log: (message: string) => void;
}

interface Exporter {
  readonly ip: Ip;
  readonly lane: number;
  readonly counters: { datagrams: number; bytes: number };
}

interface InFlight {
  readonly datagrams: number;
  /** The batch's replay number when it came from the spool. */
  readonly replay?: number;
}

interface Lane {
  readonly writer: DatagramBatchWriter;
  outstanding: number;
  /** Batches sent and not yet returned, oldest first. */
  readonly inFlight: InFlight[];
}

/** Addresses remembered; a spoofed flood beyond this is parsed per datagram. */
const MAX_CACHED_ADDRESSES = 65_536;

/** The lane of an exporter: a stable hash of its address. */
export function laneOf(exporter: Ip, lanes: number): number {
  if (lanes <= 1) return 0;
  let h: number;
  if (typeof exporter === 'number') h = exporter | 0;
  else {
    h = 0;
    for (let v = exporter; v > 0n; v >>= 32n) h = (Math.imul(h, 31) + Number(v & 0xffffffffn)) | 0;
  }
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return ((h ^ (h >>> 16)) >>> 0) % lanes;
}

/** Listeners plus batching. `start()` binds; `stop()` closes and sends what is batched. */
export class ReceiveLoop {
  private readonly listenerList: UdpListener[];
  private readonly lanes: Lane[] = [];
  private readonly free: ArrayBuffer[] = [];
  private readonly exporters = new Map<string, Exporter>();
  private readonly received: Record<string, { datagrams: number; bytes: number }> = {};
  private receivedKeys = 0;
  private datagrams = 0;
  private bytes = 0;
  private readonly drops: Record<string, number> = {};
  private tick?: NodeJS.Timeout;
  private finalKernelDrops = 0;
  /** True from the first batch spooled until the spool has been read back to the lanes. */
  private spooling = false;
  private draining?: Promise<void>;
  /** A batch read back and waiting for room in its lane. */
  private held?: SpooledBatch;
  private replayCount = 0;
  private replayPaused = false;
  private stopping = false;
  private readonly logFailure: (message: string) => void;
  private spoolingSince = 0;
  private spooledBefore = 0;
  private spoolSpells = 0;
  private lastSpoolLog = 0;

  constructor(private readonly options: ReceiveLoopOptions) {
    this.logFailure = throttledLog(options.log);
    for (let i = 0; i < options.lanes; i++) this.lanes.push({ writer: new DatagramBatchWriter(this.allocate), outstanding: 0, inFlight: [] });
    this.listenerList = options.addresses.map(
      (address) => new UdpListener({ address, receiveBufferBytes: options.receiveBufferBytes, onDatagram: this.onDatagram, log: options.log }),
    );
  }

  private readonly allocate = (): ArrayBuffer => this.free.pop() ?? new ArrayBuffer(this.options.bufferBytes);

  /** Binds every listener (throws COLLECT_LISTEN, after closing those already bound). */
  async start(): Promise<void> {
    try {
      for (const l of this.listenerList) await l.start();
    } catch (err) {
      for (const l of this.listenerList) await l.stop();
      throw err;
    }
    // An earlier run left batches in the spool: they go to the workers before anything new.
    if (this.options.spool?.unread) this.spooling = true;
    this.tick = setInterval(() => this.flush(), this.options.tickMs);
  }

  /** Per-listener socket facts. */
  listeners(): ListenerStats[] {
    return this.listenerList.map((l) => {
      const state = l.socketState();
      return { url: l.url, port: l.port, rcvbuf: l.receiveBufferBytes, queued_bytes: state.queuedBytes, kernel_drops: state.kernelDrops };
    });
  }

  private readonly onDatagram = (msg: Buffer, address: string, receivedAt: number): void => {
    this.datagrams++;
    this.bytes += msg.length;
    const exporter = this.exporters.get(address) ?? this.learn(address);
    exporter.counters.datagrams++;
    exporter.counters.bytes += msg.length;
    const lane = this.lanes[exporter.lane]!;
    const w = lane.writer;
    if (!w.fits(msg.length)) {
      this.send(exporter.lane);
      if (!w.fits(msg.length)) {
        this.drops.COLLECT_DECODE_BACKLOG = (this.drops.COLLECT_DECODE_BACKLOG ?? 0) + 1;
        return;
      }
    }
    w.add(msg, exporter.ip, receivedAt);
    if (w.byteLength >= this.options.sendBytes) this.send(exporter.lane);
  };

  private learn(address: string): Exporter {
    // IPv4 senders on a dual-stack socket arrive as ::ffff:a.b.c.d; parseIp makes them IPv4.
    const ip = parseIp(address) ?? 0;
    const key = formatIp(ip);
    let counters = this.received[key];
    if (!counters) {
      const label = this.receivedKeys < MAX_EXPORTERS ? key : 'other';
      counters = this.received[label] ??= { datagrams: 0, bytes: 0 };
      if (label !== 'other') this.receivedKeys++;
    }
    const exporter: Exporter = { ip, lane: laneOf(ip, this.lanes.length), counters };
    if (this.exporters.size < MAX_CACHED_ADDRESSES) this.exporters.set(address, exporter);
    return exporter;
  }

  private send(index: number): void {
    const lane = this.lanes[index]!;
    const w = lane.writer;
    if (w.count === 0) return;
    if (this.options.spool && (this.spooling || lane.outstanding >= this.options.maxOutstanding)) {
      const { buffer, length, count } = w.take();
      this.toSpool(new Uint8Array(buffer, 0, length), count);
      this.recycle(buffer);
      return;
    }
    // Without a spool, a lane that is behind keeps its batch filling here; once that buffer is
    // full too, the next datagrams for it are dropped (and counted) rather than queued without bound.
    if (lane.outstanding >= Math.max(1, this.options.maxOutstanding)) return;
    const { buffer, length, count } = w.take();
    this.post(index, buffer, length, count);
  }

  private post(index: number, buffer: ArrayBuffer, length: number, datagrams: number, replay?: ReplayTag): void {
    const lane = this.lanes[index]!;
    lane.outstanding++;
    lane.inFlight.push({ datagrams, replay: replay?.n });
    this.options.send(index, buffer, length, replay);
  }

  private toSpool(batch: Uint8Array, datagrams: number): void {
    const spool = this.options.spool!;
    let outcome: 'ok' | 'full';
    try {
      outcome = spool.append(batch, datagrams);
    } catch (err) {
      this.count('COLLECT_DATAGRAM_SPOOL_IO', datagrams);
      this.logFailure(`${(err as Error).message}: ${datagrams} datagrams dropped`);
      return;
    }
    if (outcome === 'full') {
      this.count('COLLECT_DATAGRAM_SPOOL_FULL', datagrams);
      this.logFailure(`datagram spool ${spool.dir} is full (${spool.bytes} bytes): ${datagrams} datagrams dropped`);
      return;
    }
    if (!this.spooling) {
      this.spooling = true;
      this.spoolingSince = Date.now();
      this.spooledBefore = spool.spooledDatagrams - datagrams;
      void this.drain();
    }
  }

  /** One line per time the workers fell behind, once they caught up (at most one per 10 s, with the count since). */
  private logSpooling(): void {
    this.spoolSpells++;
    const now = Date.now();
    if (now - this.lastSpoolLog < 10_000) return;
    const spool = this.options.spool!;
    const datagrams = spool.spooledDatagrams - this.spooledBefore;
    this.options.log(
      `decode workers caught up: ${datagrams} datagrams kept in the datagram spool over ${((now - this.spoolingSince) / 1000).toFixed(1)} s` +
        (this.spoolSpells > 1 ? ` (${this.spoolSpells} times since the last such line)` : ''),
    );
    this.lastSpoolLog = now;
    this.spoolSpells = 0;
  }

  /** Counts a drop or a discard (the datagram spool's damaged records are counted here too). */
  count(code: string, n: number): void {
    this.drops[code] = (this.drops[code] ?? 0) + n;
  }

  /** Reads the spool back to the lanes while it has batches and they have room; runs once at a time. */
  private drain(): Promise<void> {
    this.draining ??= this.drainSpool().finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async drainSpool(): Promise<void> {
    const spool = this.options.spool!;
    // Half the lane's room: once the spool is read back, live batches find room at once.
    const window = Math.max(1, this.options.maxOutstanding >> 1);
    try {
      while (this.spooling && !this.stopping && !this.replayPaused) {
        const batch = this.held ?? (await spool.next());
        if (batch === 'wait') break; // read at a later tick
        if (!batch) {
          // Everything written is read (nothing was written since: this runs before any datagram
          // callback); later batches go straight to the lanes, behind the ones read back.
          this.spooling = false;
          this.logSpooling();
          break;
        }
        const index = laneOf(firstExporter(batch.payload), this.lanes.length);
        // Held or stopped while it was being read: it waits.
        if (this.replayPaused || this.stopping || this.lanes[index]!.outstanding >= window) {
          this.held = batch;
          break;
        }
        this.held = undefined;
        const size = batch.payload.byteLength;
        const buffer = size <= this.options.bufferBytes ? this.allocate() : new ArrayBuffer(size);
        new Uint8Array(buffer).set(batch.payload);
        this.post(index, buffer, size, batch.datagrams, { n: this.replayCount++, position: batch.position });
      }
    } catch (err) {
      // Retried at the next tick.
      this.logFailure(`cannot read the datagram spool ${spool.dir}: ${(err as Error).message}`);
    }
  }

  /** Sends every non-empty batch now (lanes with room), and reads the spool back when it has room. */
  flush(): void {
    for (let i = 0; i < this.lanes.length; i++) this.send(i);
    if (this.spooling) void this.drain();
  }

  /** A lane gave a buffer back. */
  returned(index: number, buffer: ArrayBuffer): void {
    const lane = this.lanes[index]!;
    lane.outstanding--;
    lane.inFlight.shift();
    this.recycle(buffer);
    if (this.spooling) void this.drain();
  }

  private recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === this.options.bufferBytes && this.free.length < 256) this.free.push(buffer);
  }

  /** A lane's worker died: its queued batches are gone. Counted as COLLECT_WORKER_CRASH. */
  lost(index: number): void {
    const lane = this.lanes[index]!;
    const n = lane.inFlight.reduce((a, b) => a + b.datagrams, 0);
    const replays = lane.inFlight.flatMap((b) => (b.replay === undefined ? [] : [b.replay]));
    lane.inFlight.length = 0;
    lane.outstanding = 0;
    if (n > 0) this.count('COLLECT_WORKER_CRASH', n);
    if (replays.length > 0) this.options.replayLost?.(replays);
  }

  /**
   * Holds the spool's read-back (datagrams keep going to it) or lets it go on. The main thread
   * holds it while the flow spool, where the flows of batches read back go, is behind the store:
   * the backlog then waits as datagrams, half the size of decoded flows.
   */
  pauseReplay(pause: boolean): void {
    this.replayPaused = pause;
    if (!pause && this.spooling) void this.drain();
  }

  /** The flows of every spooled batch up to `position` are in the flow spool: their segments may go. */
  completed(position: DatagramPosition): void {
    this.options.spool?.completed(position);
  }

  /** Counters now. */
  counters(): ReceiveCounters {
    const listeners = this.listeners();
    const kernel = this.finalKernelDrops + listeners.reduce((n, l) => n + l.kernel_drops, 0);
    const drops = { ...this.drops };
    if (kernel > 0) drops.COLLECT_KERNEL_DROP = kernel;
    const spool = this.options.spool;
    const datagramSpool = spool && { spooled: spool.spooledDatagrams, replayed: spool.replayedDatagrams, bytes: spool.bytes, segments: spool.segmentCount };
    return { datagrams: this.datagrams, bytes: this.bytes, exporters: this.received, drops, listeners, datagramSpool };
  }

  /**
   * Closes the sockets and sends every batch (waiting for lanes to make room; while the spool is
   * being read back, to the spool), then closes the spool: what it still holds is read back at
   * the next start.
   */
  async stop(): Promise<void> {
    // The sockets' kernel drop counters vanish with them: keep the last reading.
    this.finalKernelDrops += this.listenerList.reduce((n, l) => n + l.kernelDrops(), 0);
    for (const l of this.listenerList) await l.stop();
    clearInterval(this.tick);
    for (let i = 0; i < this.lanes.length; i++) {
      while (this.lanes[i]!.writer.count > 0) {
        this.send(i);
        if (this.lanes[i]!.writer.count > 0) await new Promise((r) => setTimeout(r, 2));
      }
    }
    this.stopping = true;
    await this.draining;
    await this.options.spool?.close();
  }
}
