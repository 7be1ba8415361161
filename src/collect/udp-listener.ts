// One UDP socket receiving flow exports: binds, sizes SO_RCVBUF, and hands every datagram to a
// callback without looking inside it. Decoding happens elsewhere, off this event loop.

import { createSocket, type Socket } from 'node:dgram';
import { VantageError } from '../core/errors.js';
import type { ListenAddress } from './listen-address.js';
import { readUdpSocketState } from './udp-socket-drops.js';

/** Called for every datagram, on the receive loop: it must only copy and count. */
export type DatagramHandler = (bytes: Buffer, address: string, receivedAt: number) => void;

/** Options of a listener. */
export interface UdpListenerOptions {
  readonly address: ListenAddress;
  /** SO_RCVBUF asked for, in bytes. */
  readonly receiveBufferBytes: number;
  readonly onDatagram: DatagramHandler;
  /** Where notices go (the kernel capping the buffer). */
  readonly log: (message: string) => void;
}

/** A bound UDP listener. `start()` binds, `stop()` closes. */
export class UdpListener {
  private socket?: Socket;
  /** The port actually bound (differs from the asked one when it was 0). */
  port = 0;
  /** SO_RCVBUF granted by the kernel, in usable bytes (Linux reports twice this; halved here). */
  receiveBufferBytes = 0;
  private dropsAtStart = 0;

  constructor(private readonly options: UdpListenerOptions) {}

  /** The URL this listener was configured with. */
  get url(): string {
    return this.options.address.url;
  }

  /** Binds the socket; throws COLLECT_LISTEN when the address cannot be bound. */
  async start(): Promise<void> {
    const { address, receiveBufferBytes, onDatagram } = this.options;
    // ipv6Only stays false on [::] so one socket receives both families, as exporters expect.
    const socket = createSocket({ type: address.type, recvBufferSize: receiveBufferBytes, reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        socket.close();
        reject(new VantageError('COLLECT_LISTEN', `cannot listen on ${address.url}: ${err.message}`));
      };
      socket.once('error', onError);
      socket.bind(address.port, address.host, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    socket.on('message', (msg, rinfo) => onDatagram(msg, rinfo.address, Date.now()));
    // A socket error after binding (rare on UDP: ICMP errors are not reported to unconnected
    // sockets) must not kill the collector: report it and keep the socket.
    socket.on('error', (err) => this.options.log(`listener ${address.url}: ${err.message}`));
    this.socket = socket;
    this.port = socket.address().port;
    this.applyBufferSize();
    this.dropsAtStart = readUdpSocketState(this.port, address.type)?.drops ?? 0;
  }

  private applyBufferSize(): void {
    const socket = this.socket!;
    const wanted = this.options.receiveBufferBytes;
    try {
      socket.setRecvBufferSize(wanted);
    } catch {
      // Already applied at creation; a refusal here changes nothing we can act on.
    }
    // Linux stores (and reports) twice the size granted, the extra being its bookkeeping; the
    // usable size below the request means net.core.rmem_max capped it.
    const reported = socket.getRecvBufferSize();
    this.receiveBufferBytes = process.platform === 'linux' ? Math.floor(reported / 2) : reported;
    if (this.receiveBufferBytes < wanted) {
      this.options.log(
        `${this.url}: the kernel capped SO_RCVBUF at ${this.receiveBufferBytes} bytes (asked ${wanted}); ` +
          `bursts may be dropped. Raise the cap as root: sysctl -w net.core.rmem_max=${wanted}`,
      );
    }
  }

  /** Datagrams the kernel dropped on this socket since it was bound (Linux; 0 elsewhere). */
  kernelDrops(): number {
    return this.socketState().kernelDrops;
  }

  /** Bytes waiting in the kernel queue, and kernel drops since bound, in one read of /proc (Linux; 0 elsewhere). */
  socketState(): { queuedBytes: number; kernelDrops: number } {
    const state = this.socket ? readUdpSocketState(this.port, this.options.address.type) : undefined;
    return state ? { queuedBytes: state.rxQueue, kernelDrops: Math.max(0, state.drops - this.dropsAtStart) } : { queuedBytes: 0, kernelDrops: 0 };
  }

  /** Stops receiving and closes the socket. */
  async stop(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
