// The receive loop: UDP listeners whose only job is to count each datagram, pick its decode lane
// by exporter address (so an exporter's templates live in one worker) and copy it into that lane's
// batch buffer; filled buffers go to the lane and come back for reuse. Runs in its own thread,
// so that store appends on the main thread never delay a socket read.

import { DatagramBatchWriter } from '../../collect/datagram-batch.js';
import type { ListenAddress } from '../../collect/listen-address.js';
import { UdpListener } from '../../collect/udp-listener.js';
import { formatIp, parseIp, type Ip } from '../../core/ip.js';
import type { ListenerStats } from './collector-stats.js';
import { MAX_EXPORTERS } from './decode-engine.js';
import type { ReceiveCounters } from './worker-messages.js';

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
  /** Batches a lane may have queued before datagrams for it are dropped (COLLECT_DECODE_BACKLOG). */
  readonly maxOutstanding: number;
  /** Hands a filled buffer to a lane; the lane gives it back with {@link ReceiveLoop.returned}. */
  readonly send: (lane: number, buffer: ArrayBuffer, length: number) => void;
  readonly log: (message: string) => void;
}

interface Exporter {
  readonly ip: Ip;
  readonly lane: number;
  readonly counters: { datagrams: number; bytes: number };
}

interface Lane {
  readonly writer: DatagramBatchWriter;
  outstanding: number;
  /** Datagrams in each batch sent and not yet returned, oldest first. */
  readonly inFlight: number[];
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

  constructor(private readonly options: ReceiveLoopOptions) {
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
    // A lane that is behind keeps its batch filling here; once that buffer is full too, the next
    // datagrams for it are dropped (and counted) rather than queued without bound.
    if (w.count === 0 || lane.outstanding >= this.options.maxOutstanding) return;
    const { buffer, length, count } = w.take();
    lane.outstanding++;
    lane.inFlight.push(count);
    this.options.send(index, buffer, length);
  }

  /** Sends every non-empty batch now (lanes with room). */
  flush(): void {
    for (let i = 0; i < this.lanes.length; i++) this.send(i);
  }

  /** A lane gave a buffer back. */
  returned(index: number, buffer: ArrayBuffer): void {
    const lane = this.lanes[index]!;
    lane.outstanding--;
    lane.inFlight.shift();
    if (buffer.byteLength === this.options.bufferBytes && this.free.length < 256) this.free.push(buffer);
  }

  /** A lane's worker died: its queued batches are gone. Counted as COLLECT_WORKER_CRASH. */
  lost(index: number): void {
    const lane = this.lanes[index]!;
    const n = lane.inFlight.reduce((a, b) => a + b, 0);
    lane.inFlight.length = 0;
    lane.outstanding = 0;
    if (n > 0) this.drops.COLLECT_WORKER_CRASH = (this.drops.COLLECT_WORKER_CRASH ?? 0) + n;
  }

  /** Counters now. */
  counters(): ReceiveCounters {
    const listeners = this.listeners();
    const kernel = this.finalKernelDrops + listeners.reduce((n, l) => n + l.kernel_drops, 0);
    const drops = { ...this.drops };
    if (kernel > 0) drops.COLLECT_KERNEL_DROP = kernel;
    return { datagrams: this.datagrams, bytes: this.bytes, exporters: this.received, drops, listeners };
  }

  /** Closes the sockets and sends every batch (waiting for lanes to make room). */
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
  }
}
