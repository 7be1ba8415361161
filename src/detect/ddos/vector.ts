// Attack vectors: the classes a flow towards a victim falls into (SYN flood, reflection by UDP
// source port, fragments...), their names, how much each says "attack" on its own, and the
// Vantage query that shows a vector's flows.

import { protocolName } from '../../core/protocols.js';
import type { ReflectionService } from './amplification-ports.js';

/** Classes of flows, decided per flow in SQL (see `vectorKeySql`). */
export type VectorClass = 'syn' | 'synack' | 'rst' | 'ack' | 'response' | 'tcp' | 'udp' | 'fragment' | 'icmp' | 'reflection' | 'other';

/** A vector: a class, with the reflecting source port or the IP protocol where the class needs one. */
export interface Vector {
  readonly cls: VectorClass;
  /** `reflection`: the UDP source port of the answers. */
  readonly port?: number;
  /** `other`: the IP protocol. */
  readonly proto?: number;
}

/** Integer keys the SQL gives each class; reflection is REFLECTION_BASE + port, other OTHER_BASE + proto. */
export const CLASS_KEY = { syn: 1, synack: 2, rst: 3, ack: 4, tcp: 5, udp: 6, fragment: 7, icmp: 8, response: 9 } as const;
export const REFLECTION_BASE = 100_000;
export const OTHER_BASE = 200_000;

const BY_KEY = new Map<number, VectorClass>(Object.entries(CLASS_KEY).map(([k, v]) => [v, k as VectorClass]));

/** The vector a SQL key stands for. */
export function vectorFromKey(key: number): Vector {
  if (key >= OTHER_BASE) return { cls: 'other', proto: key - OTHER_BASE };
  if (key >= REFLECTION_BASE) return { cls: 'reflection', port: key - REFLECTION_BASE };
  const cls = BY_KEY.get(key);
  if (!cls) throw new Error(`unknown DDoS vector key ${key}`);
  return { cls };
}

/** The SQL key of a vector. */
export function vectorKey(v: Vector): number {
  if (v.cls === 'reflection') return REFLECTION_BASE + (v.port ?? 0);
  if (v.cls === 'other') return OTHER_BASE + (v.proto ?? 0);
  return CLASS_KEY[v.cls];
}

/** Destination ports whose TCP floods are HTTP floods. */
export const WEB_PORTS: ReadonlySet<number> = new Set([80, 443, 8000, 8080, 8443]);

/**
 * The vector's name, which is also the finding's subkind when it is the main vector:
 * `syn-flood`, `dns-amplification`, `isakmp-reflection`, `http-flood`...
 */
export function vectorName(v: Vector, services: ReadonlyMap<number, ReflectionService>, dport: number | null = null): string {
  switch (v.cls) {
    case 'syn':
      return 'syn-flood';
    case 'synack':
      return 'synack-reflection';
    case 'rst':
      return 'rst-flood';
    case 'ack':
      return 'ack-flood';
    case 'response':
      return 'tcp-response-flood';
    case 'tcp':
      return dport !== null && WEB_PORTS.has(dport) ? 'http-flood' : 'tcp-flood';
    case 'udp':
      return 'udp-flood';
    case 'fragment':
      return 'fragment-flood';
    case 'icmp':
      return 'icmp-flood';
    case 'reflection': {
      const s = services.get(v.port ?? -1);
      return s ? `${s.service}-${s.kind}` : `udp${v.port}-reflection`;
    }
    case 'other': {
      const name = protocolName(v.proto ?? 0);
      return /^\d+$/.test(name) ? `proto${name}-flood` : `${name}-flood`;
    }
  }
}

/**
 * How much a flood's flows look like a flood rather than transfers, from its packets per
 * (sampled) flow: 1 up to 20, falling with log10 to 0 at 2,000. New connections, random source
 * ports and spoofed sources make many small flows; a download, a call or a tunnel is a few fat
 * ones. Applied to plain TCP and UDP only: ICMP and reflection flows are one per source anyway.
 */
export function floodShape(packetsPerFlow: number): number {
  if (!(packetsPerFlow > 20)) return 1;
  return Math.max(0, 1 - Math.log10(packetsPerFlow / 20) / 2);
}

/**
 * How much a reflection looks like one from its number of reflectors: 0 for one, log10 to 1 at
 * 20. An attacker spoofs requests to many reflectors (that is what hides and multiplies him);
 * answers from one or two servers on a reflection port are a media relay (TURN on 3478), a VPN
 * peer or a resolver the victim uses, seen by an exporter that misses the requests.
 */
export function reflectorSpread(reflectors: number): number {
  if (!(reflectors > 1)) return 0;
  return Math.min(1, Math.log10(reflectors) / Math.log10(20));
}

/**
 * How much a vector says "attack" by itself, 0..1. Half-open handshakes, unsolicited answers
 * from reflection ports, bare ACK/RST and fragments have no business arriving in bulk; plain
 * UDP might be a game or a call; complete TCP sessions are what a busy server normally gets,
 * so a TCP (HTTP) flood must carry its case on rate alone; TCP from a service port (below 1024)
 * to a client port is answers, which a client downloading much receives from the servers it
 * asked, and weighs least. A reflection vector loses weight in
 * proportion to the reflectors the victim had itself queried (a resolver's answers are
 * solicited) and when there are few reflectors (`reflectorSpread`); plain TCP and UDP lose it as
 * their flows grow fat (`floodShape`).
 */
export function vectorWeight(v: Vector, solicitedShare = 0, packetsPerFlow = 1, sources = Infinity): number {
  switch (v.cls) {
    case 'syn':
      return 1;
    case 'reflection':
      return (1 - Math.min(1, Math.max(0, solicitedShare))) * reflectorSpread(sources);
    case 'synack':
      return 0.9 * reflectorSpread(sources);
    case 'rst':
    case 'ack':
    case 'fragment':
    case 'icmp':
      return 0.9;
    case 'udp':
      return 0.8 * floodShape(packetsPerFlow);
    case 'other':
      return 0.7;
    case 'tcp':
      return 0.5 * floodShape(packetsPerFlow);
    case 'response':
      return 0.2 * floodShape(packetsPerFlow);
  }
}

/** The IP protocol of a vector's flows (null for fragments, which may be UDP or TCP). */
export function vectorProto(v: Vector, icmpProto = 1): number | null {
  switch (v.cls) {
    case 'syn':
    case 'synack':
    case 'rst':
    case 'ack':
    case 'response':
    case 'tcp':
      return 6;
    case 'udp':
    case 'reflection':
      return 17;
    case 'icmp':
      return icmpProto;
    case 'fragment':
      return null;
    case 'other':
      return v.proto ?? null;
  }
}

/** Role of the vector's sources: reflectors answer (forged) requests, attackers send themselves. */
export function sourceRole(v: Vector): 'reflector' | 'attacker' {
  return v.cls === 'reflection' || v.cls === 'synack' || v.cls === 'response' ? 'reflector' : 'attacker';
}

/** The Vantage query that shows a vector's flows towards the victim (`dport` narrows it when known). */
export function vectorQuery(v: Vector, victim: string, dport: number | null): string {
  const port = dport !== null ? ` and dst port ${dport}` : '';
  const head = `dst ip ${victim}`;
  switch (v.cls) {
    case 'syn':
      return `${head} and proto tcp${port} and flags S and not flags A`;
    case 'synack':
      return `${head} and proto tcp${port} and flags SA and not flags P and not flags F`;
    case 'rst':
      return `${head} and proto tcp${port} and flags R and not flags S and not flags P`;
    case 'ack':
      return `${head} and proto tcp${port} and flags A and not flags S and not flags P and not flags R`;
    case 'response':
      return `${head} and proto tcp and src port < 1024 and dst port >= 1024${port}`;
    case 'tcp':
      return `${head} and proto tcp${port}`;
    case 'udp':
      return `${head} and proto udp${port}`;
    case 'reflection':
      return `${head} and proto udp and src port ${v.port}${port}`;
    case 'fragment':
      return `${head} and (proto udp or proto tcp) and src port 0 and dst port 0`;
    case 'icmp':
      return `${head} and (proto icmp or proto icmp6)`;
    case 'other':
      return `${head} and proto ${v.proto}`;
  }
}
