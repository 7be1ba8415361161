// Builds NetFlow v5 datagrams for tests: flows numbered so that each one can be found again
// (and counted exactly once) in the store.

import { createSocket, type Socket } from 'node:dgram';

/** One v5 record's values. */
export interface V5Flow {
  readonly src: number;
  readonly dst: number;
  readonly sport: number;
  readonly dport: number;
  readonly proto: number;
  readonly packets: number;
  readonly bytes: number;
  /** Epoch ms. */
  readonly start: number;
  readonly end: number;
}

/** Flow number `i`: unique (src, sport) per i, so a store query can tell every flow apart. */
export function numberedFlow(i: number, startMs = 1_700_000_000_000): V5Flow {
  return {
    src: (10 << 24) + Math.floor(i / 50_000), // 10.0.0.0 + i / 50000
    dst: 0xc0a80001, // 192.168.0.1
    sport: 1 + (i % 50_000),
    dport: 443,
    proto: 6,
    packets: 1 + (i % 7),
    bytes: 40 * (1 + (i % 7)) + i,
    start: startMs + i,
    end: startMs + i + 10,
  };
}

/** The index of a numbered flow from its source address and port. */
export function flowNumber(src: number, sport: number): number {
  return (src - (10 << 24)) * 50_000 + (sport - 1);
}

/** v5 datagrams of up to 30 records each, exporter booted at `bootMs`. */
export function encodeV5(flows: readonly V5Flow[], bootMs = 1_699_999_000_000): Buffer[] {
  const out: Buffer[] = [];
  for (let from = 0; from < flows.length; from += 30) {
    const batch = flows.slice(from, from + 30);
    const b = Buffer.alloc(24 + 48 * batch.length);
    const uptime = Math.max(...batch.map((f) => f.end - bootMs)) + 1;
    const exportMs = bootMs + uptime;
    b.writeUInt16BE(5, 0);
    b.writeUInt16BE(batch.length, 2);
    b.writeUInt32BE(uptime, 4);
    b.writeUInt32BE(Math.floor(exportMs / 1000), 8);
    b.writeUInt32BE((exportMs % 1000) * 1_000_000, 12);
    b.writeUInt32BE(from, 16);
    batch.forEach((f, i) => {
      const p = 24 + 48 * i;
      b.writeUInt32BE(f.src >>> 0, p);
      b.writeUInt32BE(f.dst >>> 0, p + 4);
      b.writeUInt32BE(f.packets, p + 16);
      b.writeUInt32BE(f.bytes, p + 20);
      b.writeUInt32BE(f.start - bootMs, p + 24);
      b.writeUInt32BE(f.end - bootMs, p + 28);
      b.writeUInt16BE(f.sport, p + 32);
      b.writeUInt16BE(f.dport, p + 34);
      b[p + 38] = f.proto;
    });
    out.push(b);
  }
  return out;
}

/** A UDP sender to 127.0.0.1:port. */
export class DatagramSender {
  private readonly socket: Socket = createSocket('udp4');

  constructor(private readonly port: number) {}

  send(datagram: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(datagram, this.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  /** Sends datagrams in bursts of `burst`, pausing `pauseMs` between bursts (no loss on loopback). */
  async sendAll(datagrams: readonly Uint8Array[], burst = 64, pauseMs = 1): Promise<void> {
    for (let i = 0; i < datagrams.length; i += burst) {
      await Promise.all(datagrams.slice(i, i + burst).map((d) => this.send(d)));
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  close(): void {
    this.socket.close();
  }
}
