// Generates a deterministic, realistic-looking day of IPv4 enterprise flows, batch by batch.
// The same seed and count always give the same flows, so nfdump and Vantage ingest identical data
// without ever holding all of it in memory.

import type { FlowRecord } from '../src/core/columns.js';
import { Prng } from './prng.js';

/** Shape of the generated traffic; the defaults are what the benchmark documents. */
export interface GeneratorConfig {
  readonly flows: number;
  readonly seed: number;
  /** Start of the generated day, epoch ms (UTC midnight). */
  readonly dayStart: number;
  readonly internalHosts: number;
  readonly externalHosts: number;
}

/** 2024-03-05T00:00:00Z: a Tuesday. */
export const DEFAULT_DAY_START = Date.UTC(2024, 2, 5);
export const DAY_MS = 86_400_000;
/** The address nfcapd records as exporter when the datagrams come from the loopback. */
export const EXPORTER_IP = 0x7f000001;
/** Flows are cut at the exporter's active timeout, so no flow lasts longer. */
export const MAX_DURATION_MS = 300_000;

/** Share of Internet connections that go to the most popular services, and how many those are. */
const POPULAR_SHARE = 0.55;
const POPULAR_SERVICES = 3000;
/** Share of Internet connections that go to a client's own habitual servers, and how many. */
const HABITUAL_SHARE = 0.35;
const HABITUAL_SERVERS = 100;

const TCP = 6;
const UDP = 17;
const ICMP = 1;

/** A service port with its protocol mix, picked with the given weight. */
interface Service {
  readonly port: number;
  readonly weight: number;
  /** Probability of UDP rather than TCP. */
  readonly udp: number;
}

// Outbound services seen from an enterprise edge; the remainder is random high ports.
const OUTBOUND: readonly Service[] = [
  { port: 443, weight: 50, udp: 0.15 }, // HTTPS and QUIC
  { port: 80, weight: 14, udp: 0 },
  { port: 53, weight: 9, udp: 0.95 },
  { port: 123, weight: 3, udp: 1 },
  { port: 993, weight: 2, udp: 0 },
  { port: 22, weight: 2, udp: 0 },
  { port: 25, weight: 1, udp: 0 },
  { port: 8080, weight: 2, udp: 0 },
  { port: 3478, weight: 2, udp: 1 },
  { port: 5223, weight: 1, udp: 0 },
];
const INTERNAL: readonly Service[] = [
  { port: 53, weight: 30, udp: 0.95 },
  { port: 445, weight: 20, udp: 0 },
  { port: 389, weight: 10, udp: 0.3 },
  { port: 88, weight: 8, udp: 0.5 },
  { port: 443, weight: 15, udp: 0 },
  { port: 3389, weight: 5, udp: 0 },
  { port: 22, weight: 5, udp: 0 },
  { port: 9100, weight: 2, udp: 0 },
];

function cumulative(services: readonly Service[], rest: number): number[] {
  const total = services.reduce((s, x) => s + x.weight, 0) + rest;
  let acc = 0;
  return services.map((s) => (acc += s.weight / total));
}
const OUTBOUND_CUM = cumulative(OUTBOUND, 14);
const INTERNAL_CUM = cumulative(INTERNAL, 5);

// Cumulative TCP flag mixes: complete, still open (active timeout), mid-flow, reset, unanswered SYN.
const TCP_FLAGS = [0x1b, 0x1a, 0x10, 0x14, 0x02];
const TCP_FLAGS_CUM = [0.7, 0.85, 0.9, 0.95, 1];

function isPrivateOrReserved(ip: number): boolean {
  const a = ip >>> 24;
  const b = (ip >>> 16) & 255;
  return a === 0 || a === 10 || a === 127 || a >= 224 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254);
}

/**
 * Produces the flows in order, `count` at a time. Sources and destinations are drawn from fixed
 * host populations with heavy-tailed popularity (a few hosts carry most traffic, as on real
 * networks); packets follow a Pareto law, so bytes are heavy-tailed too.
 */
export class FlowGenerator {
  private readonly rng: Prng;
  private readonly internal: Uint32Array;
  private readonly external: Uint32Array;
  /** Internal servers (DNS, AD, file shares) that internal clients talk to. */
  private readonly servers: Uint32Array;
  private produced = 0;

  constructor(private readonly config: GeneratorConfig) {
    this.rng = new Prng(config.seed);
    const seen = new Set<number>();
    this.internal = new Uint32Array(config.internalHosts);
    for (let i = 0; i < this.internal.length; ) {
      // 10.0.0.0/8, spread over 64 /16 "sites" so prefix filters have something to cut.
      const ip = ((10 << 24) >>> 0) + this.rng.int(64) * 65536 + this.rng.range(1, 65534);
      if (seen.has(ip)) continue;
      seen.add(ip);
      this.internal[i++] = ip;
    }
    this.servers = this.internal.slice(0, Math.min(64, this.internal.length));
    this.external = new Uint32Array(config.externalHosts);
    for (let i = 0; i < this.external.length; ) {
      const ip = this.rng.u32();
      if (isPrivateOrReserved(ip) || seen.has(ip)) continue;
      seen.add(ip);
      this.external[i++] = ip;
    }
  }

  /** Flows still to come. */
  get remaining(): number {
    return this.config.flows - this.produced;
  }

  private pick(cum: readonly number[], u: number): number {
    for (let i = 0; i < cum.length; i++) if (u < cum[i]!) return i;
    return -1;
  }

  /** A popular-biased index in [0, n): P(index < k) = (k/n)^(1/skew). */
  private skewed(n: number, skew: number): number {
    return Math.floor(n * Math.pow(this.rng.float(), skew));
  }

  /**
   * An Internet peer of a client: most connections go to a few thousand popular services (CDNs,
   * SaaS, cloud), many to the client's own habitual servers, the rest to a long tail; so clients
   * keep returning to the same servers, as they do on real networks.
   */
  private externalPeer(clientIdx: number): number {
    const u = this.rng.float();
    if (u < POPULAR_SHARE) return this.external[this.skewed(POPULAR_SERVICES, 3.5)]!;
    if (u < POPULAR_SHARE + HABITUAL_SHARE) {
      const k = this.skewed(HABITUAL_SERVERS, 2);
      return this.external[(Math.imul(clientIdx * HABITUAL_SERVERS + k + 1, 0x9e3779b1) >>> 0) % this.external.length]!;
    }
    return this.external[this.skewed(this.external.length, 1.3)]!;
  }

  private ephemeral(): number {
    return this.rng.range(32768, 60999);
  }

  /** The next `count` flows (fewer at the end). */
  nextBatch(count: number): FlowRecord[] {
    const n = Math.min(count, this.remaining);
    const out: FlowRecord[] = new Array(n);
    const { flows, dayStart } = this.config;
    const rng = this.rng;
    for (let k = 0; k < n; k++) {
      const i = this.produced + k;
      const kind = rng.float();
      let src: number;
      let dst: number;
      let sport: number;
      let dport: number;
      let proto = TCP;
      let flags = 0;
      let packets: number;
      let bpp: number;
      let inIf: number;
      let outIf: number;
      const clientIdx = this.skewed(this.internal.length, 3);
      const client = this.internal[clientIdx]!;
      const clientIf = 1 + (clientIdx & 7);
      // Pareto(alpha 1.1) packets: most flows are tiny, a few are huge.
      const pareto = Math.min(2_000_000, Math.floor(1 / Math.pow(1 - rng.float(), 1 / 1.1)));
      if (kind < 0.9) {
        // Client to the Internet (0.62) or the Internet answering (0.28): same services, flipped.
        const s = this.pick(OUTBOUND_CUM, rng.float());
        const service = s >= 0 ? OUTBOUND[s]! : undefined;
        const port = service ? service.port : rng.range(1024, 65535);
        proto = rng.float() < (service ? service.udp : 0.3) ? UDP : TCP;
        const server = this.externalPeer(clientIdx);
        if (port === 53) packets = rng.float() < 0.9 ? 1 : 2;
        else packets = pareto;
        bpp = port === 53 ? rng.range(60, 300) : packets < 4 ? rng.range(40, 200) : 0;
        if (kind < 0.62) {
          src = client;
          dst = server;
          sport = this.ephemeral();
          dport = port;
          inIf = clientIf;
          outIf = 100;
          if (bpp === 0) bpp = rng.float() < 0.2 ? rng.range(600, 1500) : rng.range(52, 400);
        } else {
          src = server;
          dst = client;
          sport = port;
          dport = this.ephemeral();
          inIf = 100;
          outIf = clientIf;
          if (bpp === 0) bpp = rng.float() < 0.8 ? rng.range(800, 1500) : rng.range(52, 600);
        }
      } else if (kind < 0.97) {
        const s = this.pick(INTERNAL_CUM, rng.float());
        const service = s >= 0 ? INTERNAL[s]! : undefined;
        src = client;
        dst = service ? this.servers[rng.int(this.servers.length)]! : this.internal[rng.int(this.internal.length)]!;
        sport = this.ephemeral();
        dport = service ? service.port : rng.range(1024, 65535);
        proto = rng.float() < (service ? service.udp : 0.2) ? UDP : TCP;
        packets = dport === 53 ? 1 + (rng.float() < 0.1 ? 1 : 0) : pareto;
        bpp = packets < 4 ? rng.range(60, 300) : rng.range(100, 1400);
        inIf = clientIf;
        outIf = 1 + (rng.int(8));
      } else if (kind < 0.985) {
        // ICMP: echo requests out, replies and unreachables in; type*256+code in dport.
        proto = ICMP;
        const server = this.externalPeer(clientIdx);
        const reply = rng.float() < 0.5;
        src = reply ? server : client;
        dst = reply ? client : server;
        sport = 0;
        dport = reply ? (rng.float() < 0.8 ? 0 : 3 * 256 + 3) : 8 * 256;
        packets = rng.range(1, 10);
        bpp = 84;
        inIf = reply ? 100 : clientIf;
        outIf = reply ? clientIf : 100;
      } else {
        // Unsolicited SYNs from the Internet: one packet each, to random hosts and ports.
        src = this.external[rng.int(this.external.length)]!;
        dst = this.internal[rng.int(this.internal.length)]!;
        sport = this.ephemeral();
        dport = rng.float() < 0.5 ? [22, 23, 445, 3389, 8080, 1433][rng.int(6)]! : rng.range(1, 65535);
        packets = 1;
        bpp = 44;
        flags = 0x02;
        inIf = 100;
        outIf = 0;
      }
      // A lone packet is a server's SYN-ACK, or from a client mostly the tail of a longer
      // connection cut by the active timeout (ACK), now and then an unanswered SYN: a benign
      // network fails a few percent of its connections, not a quarter of them.
      if (proto === TCP && flags === 0) flags = packets === 1 ? (sport < 32768 ? 0x12 : rng.float() < 0.1 ? 0x02 : 0x10) : TCP_FLAGS[this.pick(TCP_FLAGS_CUM, rng.float())]!;
      const bytes = packets * bpp;
      // Flows are exported when they end, so end times advance through the day.
      const end = dayStart + Math.floor(((i + rng.float()) * DAY_MS) / flows);
      const duration = packets === 1 ? 0 : Math.min(MAX_DURATION_MS, Math.floor(packets * (1 + 40 * rng.float() * rng.float())));
      const start = Math.max(dayStart, end - duration);
      const tosDraw = rng.float();
      out[k] = {
        start,
        end,
        src,
        dst,
        sport,
        dport,
        proto,
        tcp_flags: flags,
        packets,
        bytes,
        exporter: EXPORTER_IP,
        in_if: inIf,
        out_if: outIf,
        tos: tosDraw < 0.9 ? 0 : tosDraw < 0.97 ? 0x28 : 0xb8,
        // Filled at ingest by enrichment. Present from the start, as in the collector's decoded
        // flows, so that enriching overwrites them in place rather than growing every record.
        src_as: null,
        dst_as: null,
        src_country: null,
        dst_country: null,
        tags: null,
      };
    }
    this.produced += n;
    return out;
  }
}
