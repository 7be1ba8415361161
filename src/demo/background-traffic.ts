// The demo's ordinary traffic: workstations browsing and resolving names, customers on the web
// site, mail, SSH, pings, NTP and the internet's background scanning, shaped by office hours.

import type { FlowRecord } from '../core/columns.js';
import { parseCidr, type IpRange } from '../core/ip.js';
import {
  ADMIN_WORKSTATIONS,
  HOSTING_NETWORKS,
  MAIL_NETWORKS,
  ORG_PREFIX_V4,
  PING_TARGETS,
  POPULAR_SERVICES,
  RESIDENTIAL_NETWORKS,
  SERVERS,
  WORKSTATION_HOSTS,
  WORKSTATION_SUBNETS,
  demoIp,
  type ExternalNetwork,
} from './demo-network.js';
import { DAY_MS, type ResolvedDemoOptions } from './demo-options.js';
import {
  END_IDLE,
  ICMP,
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
import { cumulate, pickWeighted, type SeededRandom } from './seeded-random.js';

/** Background is drawn per 5-minute slot, fine enough for the office-hours curve. */
export const SLOT_MS = 300_000;

/** The organisation's clock: CET (UTC+1), so office hours 08:00-18:00 local are 07:00-17:00 UTC. */
export const LOCAL_OFFSET_MS = 3_600_000;

type Profile = 'office' | 'customer' | 'flat';

/** Connections per 7-day week at scale 1, by kind (each is two flows, except `noise`, one). */
export const WEEKLY_CONNECTIONS = {
  webOut: 290_000,
  quic: 40_000,
  dnsClient: 90_000,
  dnsRecursive: 30_000,
  webIn: 35_000,
  smtpIn: 6_000,
  smtpOut: 3_000,
  mailClient: 12_000,
  ssh: 800,
  icmp: 5_000,
  noise: 20_000,
} as const;

type Kind = keyof typeof WEEKLY_CONNECTIONS;

const PROFILE_OF: Record<Kind, Profile> = {
  webOut: 'office',
  quic: 'office',
  dnsClient: 'office',
  dnsRecursive: 'office',
  webIn: 'customer',
  smtpIn: 'customer',
  smtpOut: 'office',
  mailClient: 'office',
  ssh: 'office',
  icmp: 'office',
  noise: 'flat',
};

/** Expected background flows for the options (NTP included), for estimates and progress. */
export function expectedBackgroundFlows(o: ResolvedDemoOptions): number {
  let perWeek = 0;
  for (const [kind, n] of Object.entries(WEEKLY_CONNECTIONS)) perWeek += kind === 'noise' ? n : 2 * n;
  return Math.round((perWeek * o.scale * o.days) / 7) + NTP_PAIRS * 2 * Math.floor((o.days * DAY_MS) / NTP_POLL_MS);
}

/** Linear interpolation through (hour, level) points covering 0..24. */
function curve(points: readonly (readonly [number, number])[], hour: number): number {
  for (let i = 1; i < points.length; i++) {
    const [h1, v1] = points[i]!;
    if (hour <= h1) {
      const [h0, v0] = points[i - 1]!;
      return v0 + ((v1 - v0) * (hour - h0)) / (h1 - h0);
    }
  }
  return points[points.length - 1]![1];
}

const OFFICE_DAY: readonly (readonly [number, number])[] = [
  [0, 0.05], [6, 0.05], [7, 0.2], [8.5, 0.9], [9, 1], [12, 1], [12.5, 0.8], [13.5, 0.95], [17, 0.9], [18, 0.45], [19, 0.2], [23, 0.1], [24, 0.05],
];
const CUSTOMER_DAY: readonly (readonly [number, number])[] = [
  [0, 0.35], [3, 0.2], [6, 0.2], [8, 0.5], [12, 0.9], [20, 1], [22, 0.8], [24, 0.35],
];

/** Relative traffic level of a profile at a time: office hours on weekdays, evenings for customers. */
export function activityLevel(profile: Profile, time: number): number {
  if (profile === 'flat') return 1;
  const local = time + LOCAL_OFFSET_MS;
  const hour = (local % DAY_MS) / 3_600_000;
  const weekday = new Date(local).getUTCDay();
  const weekend = weekday === 0 || weekday === 6;
  if (profile === 'office') {
    const level = curve(OFFICE_DAY, hour);
    // A few people work at weekends; servers and laptops left on keep a floor.
    return weekend ? 0.02 + 0.15 * level : level;
  }
  return curve(CUSTOMER_DAY, hour) * (weekend ? 0.9 : 1);
}

/** A pool of internet endpoints, with IPv6 ones kept apart so a connection's family can be chosen. */
interface Pool {
  readonly v4: readonly Endpoint[];
  readonly v6: readonly Endpoint[];
}

function randomIn(range: IpRange, random: SeededRandom): number | bigint {
  if (range.family === 4) {
    const first = range.first as number;
    const size = (range.last as number) - first + 1;
    return first + random.int(size);
  }
  let bits = 0n;
  for (let i = 0; i < 4; i++) bits = (bits << 32n) | BigInt(random.uint32());
  const first = range.first as bigint;
  return first | (bits & ((range.last as bigint) - first));
}

function poolOf(networks: readonly ExternalNetwork[], perPrefixV4: number, perPrefixV6: number, random: SeededRandom): Pool {
  const v4: Endpoint[] = [];
  const v6: Endpoint[] = [];
  for (const net of networks) {
    for (const prefix of net.v4) for (let i = 0; i < perPrefixV4; i++) v4.push(externalEndpoint(randomIn(parseCidr(prefix)!, random), net.asn));
    for (const prefix of net.v6 ?? []) for (let i = 0; i < perPrefixV6; i++) v6.push(externalEndpoint(randomIn(parseCidr(prefix)!, random), net.asn));
  }
  // Shuffled so that `skewed` popularity does not simply favour the first network listed.
  for (let i = v4.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [v4[i], v4[j]] = [v4[j]!, v4[i]!];
  }
  return { v4, v6 };
}

/** A workstation's IPv4 and IPv6 addresses (every workstation is dual-stack). */
interface Workstation {
  readonly v4: Endpoint;
  readonly v6: Endpoint;
}

const NTP_POLL_MS = 1_024_000;
const NTP_PAIRS = 4;

const NOISE_TCP_PORTS = [22, 23, 80, 443, 445, 3389, 8080, 5900, 1433, 3306, 6379, 8443, 2323, 81, 8888, 25, 110, 21];
const NOISE_UDP_PORTS = [5060, 161, 1900, 123, 53, 11211, 137];

/**
 * Background traffic. Each kind of connection has a weekly total and a daily profile; a slot
 * gets a Poisson-spread share of it. Sizes are log-normal (heavy-tailed) with a rare very large
 * download, as flow sizes are on real links.
 */
export class BackgroundTraffic implements FlowSource {
  private readonly workstations: Workstation[] = [];
  private readonly workstationWeights: Float64Array;
  private readonly admins: Endpoint[];
  private readonly web: { v4: Endpoint; v6: Endpoint };
  private readonly mail: { v4: Endpoint; v6: Endpoint };
  private readonly resolvers: { v4: Endpoint; v6: Endpoint }[];
  private readonly popular: { pool: Pool; quic: boolean }[];
  private readonly quicServices: Pool[];
  private readonly popularWeights: Float64Array;
  private readonly longTail: Pool;
  private readonly customers: Pool;
  private readonly mailPeers: Pool;
  private readonly authoritative: Pool;
  private readonly sshTargets: Pool;
  private readonly noiseSources: Pool;
  private readonly pings: Endpoint[];
  private readonly orgBase = parseCidr(ORG_PREFIX_V4)!.first as number;
  private readonly ntp: { host: Endpoint; server: Endpoint; next: number }[] = [];
  /** Connections expected per unit of profile level, per kind. */
  private readonly rate = new Map<Kind, number>();

  constructor(
    o: ResolvedDemoOptions,
    private readonly random: SeededRandom,
    world: SeededRandom,
    private readonly flows: FlowFactory,
  ) {
    const weights: number[] = [];
    for (const subnet of WORKSTATION_SUBNETS) {
      for (let host = WORKSTATION_HOSTS.first; host <= WORKSTATION_HOSTS.last; host++) {
        this.workstations.push({ v4: internalEndpoint(`10.20.${subnet}.${host}`), v6: internalEndpoint(`2001:db8:20:${subnet}::${host}`) });
        // A few heavy users and many light ones.
        weights.push(world.logNormal(1, 1.2));
      }
    }
    this.workstationWeights = cumulate(weights);
    this.admins = ADMIN_WORKSTATIONS.map(internalEndpoint);
    const server = (s: { v4: string; v6: string }) => ({ v4: internalEndpoint(s.v4), v6: internalEndpoint(s.v6) });
    this.web = server(SERVERS.web);
    this.mail = server(SERVERS.mail);
    this.resolvers = [server(SERVERS.dns1), server(SERVERS.dns2)];
    this.popular = POPULAR_SERVICES.map((net) => ({ pool: poolOf([net], 40, 30, world), quic: net.quic === true }));
    this.quicServices = this.popular.filter((p) => p.quic).map((p) => p.pool);
    this.popularWeights = cumulate(POPULAR_SERVICES.map((n) => n.weight ?? 1));
    this.longTail = poolOf(HOSTING_NETWORKS, 300, 0, world);
    this.customers = poolOf(RESIDENTIAL_NETWORKS, 4000, 800, world);
    this.mailPeers = poolOf(MAIL_NETWORKS, 80, 0, world);
    this.authoritative = poolOf([...POPULAR_SERVICES, ...HOSTING_NETWORKS], 60, 0, world);
    this.sshTargets = poolOf(HOSTING_NETWORKS.slice(0, 4), 2, 0, world);
    this.noiseSources = poolOf([...RESIDENTIAL_NETWORKS, ...HOSTING_NETWORKS], 1500, 0, world);
    this.pings = PING_TARGETS.map((p) => externalEndpoint(demoIp(p.ip), p.asn));

    // The resolvers double as the internal time servers (the other servers sync to them inside
    // the server VLAN, unseen); only they poll public NTP servers: legitimate periodic traffic.
    const ntpServers = poolOf(HOSTING_NETWORKS.slice(0, 4), 1, 0, world).v4;
    for (let i = 0; i < NTP_PAIRS; i++) {
      this.ntp.push({ host: this.resolvers[i >> 1]!.v4, server: ntpServers[i % ntpServers.length]!, next: o.start + world.int(NTP_POLL_MS) });
    }

    // Sum each profile over the period so the weekly totals are spread exactly over its slots.
    const sums: Record<Profile, number> = { office: 0, customer: 0, flat: 0 };
    for (let t = o.start; t < o.end; t += SLOT_MS) {
      for (const p of ['office', 'customer', 'flat'] as const) sums[p] += activityLevel(p, t + SLOT_MS / 2);
    }
    for (const [kind, weekly] of Object.entries(WEEKLY_CONNECTIONS) as [Kind, number][]) {
      this.rate.set(kind, (weekly * o.scale * o.days) / 7 / sums[PROFILE_OF[kind]]);
    }
  }

  emit(from: number, to: number, out: FlowRecord[]): void {
    const mid = from + (to - from) / 2;
    const levels = { office: activityLevel('office', mid), customer: activityLevel('customer', mid), flat: 1 };
    const span = to - from;
    for (const kind of Object.keys(WEEKLY_CONNECTIONS) as Kind[]) {
      const n = this.random.count(this.rate.get(kind)! * levels[PROFILE_OF[kind]] * (span / SLOT_MS));
      for (let i = 0; i < n; i++) this.connection(kind, from + this.random.int(span), out);
    }
    for (const pair of this.ntp) {
      while (pair.next < to) {
        if (pair.next >= from) this.flows.udp(out, pair.next, 0, pair.host, pair.server, 123, 123, 1, 48, 1, 48, this.random.between(8, 60));
        pair.next += NTP_POLL_MS + this.random.between(-500, 500);
      }
    }
  }

  private workstation(): Workstation {
    return this.workstations[pickWeighted(this.workstationWeights, this.random)]!;
  }

  private from(pool: Pool, v6: boolean, power: number): Endpoint {
    const list = v6 && pool.v6.length > 0 ? pool.v6 : pool.v4;
    return list[this.random.skewed(list.length, power)]!;
  }

  /** Windows picks client ports from 49152-65535. */
  private windowsPort(): number {
    return this.random.between(49152, 65535);
  }

  /** Linux and Android pick from 32768-60999. */
  private linuxPort(): number {
    return this.random.between(32768, 60999);
  }

  /** Size of a response body: log-normal, with a rare large download reaching gigabytes. */
  private responseSize(median: number, sigma: number): number {
    if (this.random.chance(0.002)) return Math.min(4e9, Math.round(5e7 / Math.pow(1 - this.random.next(), 1 / 1.2)));
    return Math.max(40, Math.round(this.random.logNormal(median, sigma)));
  }

  /** Connection time: a log-normal think/handshake time plus transfer time at a log-normal throughput. */
  private duration(base: number, bytes: number): number {
    return Math.round(this.random.logNormal(base, 1.2) + bytes / this.random.logNormal(2_000, 0.8));
  }

  private connection(kind: Kind, t: number, out: FlowRecord[]): void {
    const r = this.random;
    const f = this.flows;
    switch (kind) {
      case 'webOut': {
        const ws = this.workstation();
        const popular = r.chance(0.7);
        const service = popular ? this.popular[pickWeighted(this.popularWeights, r)]!.pool : this.longTail;
        const v6 = service.v6.length > 0 && r.chance(0.26);
        const server = this.from(service, v6, popular ? 2 : 1.5);
        const response = this.responseSize(14_000, 2);
        const request = Math.round(r.logNormal(1_400, 1)) + 517; // + TLS ClientHello
        const port = r.chance(0.93) ? 443 : 80;
        f.tcp(out, t, this.duration(900, response), v6 ? ws.v6 : ws.v4, server, this.windowsPort(), port, request, response, r.between(2, 80), r.chance(0.05));
        return;
      }
      case 'quic': {
        const ws = this.workstation();
        const service = this.quicServices[r.int(this.quicServices.length)]!;
        const v6 = r.chance(0.3);
        const response = this.responseSize(40_000, 1.8);
        const request = Math.round(r.logNormal(3_000, 1));
        const serverPackets = Math.ceil(response / 1_250) + 2;
        const clientPackets = Math.ceil(request / 1_250) + Math.ceil(serverPackets / 4) + 2;
        f.udp(out, t, Math.min(this.duration(2_000, response), 299_000), v6 ? ws.v6 : ws.v4, this.from(service, v6, 2), this.windowsPort(), 443, clientPackets, request, serverPackets, response, r.between(2, 60));
        return;
      }
      case 'dnsClient': {
        const ws = this.workstation();
        const v6 = r.chance(0.12);
        const resolver = this.resolvers[r.chance(0.6) ? 0 : 1]!;
        const query = r.between(29, 60);
        f.udp(out, t, 0, v6 ? ws.v6 : ws.v4, v6 ? resolver.v6 : resolver.v4, this.windowsPort(), 53, 1, query, 1, query + Math.round(r.logNormal(90, 0.6)), Math.round(r.logNormal(3, 1.5)));
        return;
      }
      case 'dnsRecursive': {
        const resolver = this.resolvers[r.chance(0.6) ? 0 : 1]!.v4;
        const query = r.between(29, 70);
        f.udp(out, t, 0, resolver, this.from(this.authoritative, false, 1.5), r.between(1024, 65535), 53, 1, query, 1, query + Math.round(r.logNormal(160, 0.7)), Math.round(r.logNormal(25, 0.9)));
        return;
      }
      case 'webIn': {
        const v6 = r.chance(0.2);
        const client = this.from(this.customers, v6, 1.3);
        const response = this.responseSize(30_000, 1.6);
        const port = r.chance(0.9) ? 443 : 80;
        const sport = r.chance(0.5) ? this.linuxPort() : this.windowsPort();
        f.tcp(out, t, this.duration(1_500, response), client, v6 ? this.web.v6 : this.web.v4, sport, port, Math.round(r.logNormal(900, 0.8)) + 517, response, r.between(10, 150), r.chance(0.04));
        return;
      }
      case 'smtpIn': {
        const body = this.responseSize(25_000, 1.5);
        f.tcp(out, t, this.duration(2_500, body), this.from(this.mailPeers, false, 1.5), this.mail.v4, this.linuxPort(), 25, body + 400, r.between(500, 900), r.between(10, 120));
        return;
      }
      case 'smtpOut': {
        const body = this.responseSize(20_000, 1.5);
        f.tcp(out, t, this.duration(2_500, body), this.mail.v4, this.from(this.mailPeers, false, 1.5), this.linuxPort(), 25, body + 400, r.between(500, 900), r.between(10, 120));
        return;
      }
      case 'mailClient': {
        const ws = this.workstation();
        const imap = r.chance(0.7);
        const response = imap ? this.responseSize(20_000, 1.8) : r.between(600, 1_200);
        const request = imap ? Math.round(r.logNormal(2_000, 0.8)) : this.responseSize(15_000, 1.5);
        f.tcp(out, t, this.duration(imap ? 20_000 : 1_500, response + request), ws.v4, this.mail.v4, this.windowsPort(), imap ? 993 : 587, request, response, r.between(1, 3));
        return;
      }
      case 'ssh': {
        const admin = this.admins[r.int(this.admins.length)]!;
        const request = Math.round(r.logNormal(60_000, 1.4));
        const response = Math.round(r.logNormal(200_000, 1.6));
        f.tcp(out, t, Math.round(r.logNormal(120_000, 1)), admin, this.from(this.sshTargets, false, 1), this.linuxPort(), 22, request, response, r.between(10, 90));
        return;
      }
      case 'icmp': {
        const ws = this.workstation().v4;
        const target = this.pings[r.int(this.pings.length)]!;
        const packets = r.chance(0.8) ? 4 : r.between(1, 20);
        const end = t + (packets - 1) * 1_000 + r.between(1, 40);
        // ICMP puts type*256+code in dport: 8/0 echo request = 2048, 0/0 echo reply = 0.
        out.push(f.flow(t, end, ws, target, 0, 8 * 256, ICMP, 0, packets, packets * 84, END_IDLE, 8));
        const rtt = r.between(5, 40);
        out.push(f.flow(t + rtt, end + rtt, target, ws, 0, 0, ICMP, 0, packets, packets * 84, END_IDLE, 0));
        return;
      }
      case 'noise': {
        // Internet background radiation: a probe or two from anywhere to any of our addresses.
        const source = this.noiseSources.v4[r.int(this.noiseSources.v4.length)]!;
        const target = internalV4(this.orgBase + (r.chance(0.3) ? r.pick(WORKSTATION_SUBNETS) : r.int(256)) * 256 + r.int(256));
        const packets = r.chance(0.8) ? 1 : 2;
        if (r.chance(0.85)) {
          out.push(f.flow(t, t + (packets - 1) * 3_000, source, target, r.between(1024, 65535), r.pick(NOISE_TCP_PORTS), TCP, SYN, packets, packets * r.pick([40, 44, 60]), END_IDLE));
        } else {
          out.push(f.flow(t, t, source, target, r.between(1024, 65535), r.pick(NOISE_UDP_PORTS), UDP, 0, 1, 28 + r.between(8, 120), END_IDLE));
        }
        return;
      }
    }
  }
}
