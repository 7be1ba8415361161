// The attacks injected into the demo dataset and their ground truth: when, who, how much, and the
// query that shows each. The generator draws its scenario flows from these same objects.

import { DAY_MS, resolveDemoOptions, type DemoOptions, type ResolvedDemoOptions } from './demo-options.js';
import { SeededRandom } from './seeded-random.js';

/** A half-open interval of epoch ms. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/** What every scenario tells a reader. */
export interface ScenarioInfo {
  readonly id: string;
  readonly title: string;
  /** What an analyst should find, in a sentence or two. */
  readonly summary: string;
  /** A `vantage query` expression that shows it. */
  readonly query: string;
  /** When it happens (flow start times fall inside these windows). */
  readonly windows: readonly TimeWindow[];
}

/** (1a) A repeat attacker sweeping the whole internal /16 for telnet and SMB. */
export interface HorizontalScanTruth extends ScenarioInfo {
  readonly id: 'horizontal-scan';
  readonly scanner: string;
  readonly scannerAsn: number;
  readonly targets: string;
  readonly ports: readonly number[];
  /** Distinct addresses probed in each sweep, each on every port (all 65,536 at scale >= 1). */
  readonly addressesPerSweep: number;
  readonly flowsPerSweep: number;
  readonly probesPerSecond: number;
  /** Every probe is one SYN: 1 packet, 40 bytes, flags S. */
  readonly probe: { readonly packets: number; readonly bytes: number; readonly tcpFlags: number };
}

/** (1b) A port sweep of the web server, repeated on two days. */
export interface VerticalScanTruth extends ScenarioInfo {
  readonly id: 'vertical-scan';
  readonly scanner: string;
  readonly scannerAsn: number;
  readonly target: string;
  /** Ports probed in each sweep (1-1024 plus common service ports). */
  readonly ports: readonly number[];
  /** Ports that answer SYN-ACK; the scanner then resets (its flow carries S and R, 2 packets). */
  readonly openPorts: readonly number[];
  readonly probesPerSecond: number;
  /** Probe flows plus the server's SYN-ACK flows, per sweep. */
  readonly flowsPerSweep: number;
}

/** (2) A workstation beaconing to its C2 every minute. */
export interface BeaconTruth extends ScenarioInfo {
  readonly id: 'beacon';
  readonly host: string;
  readonly c2: string;
  readonly c2Asn: number;
  readonly port: number;
  readonly firstBeat: number;
  /** Mean time between connections. */
  readonly intervalMs: number;
  /** Each interval is `intervalMs` plus a uniform offset in [-jitterMs, +jitterMs] (sd = jitterMs/sqrt 3). */
  readonly jitterMs: number;
  /** About (end - firstBeat) / intervalMs connections, each one flow per direction. */
  readonly expectedBeats: number;
  readonly bytesOut: { readonly min: number; readonly max: number; readonly packets: number };
  readonly bytesIn: { readonly min: number; readonly max: number; readonly packets: number };
}

/** One reflector population of the DDoS. */
export interface ReflectorGroup {
  readonly service: 'ntp' | 'dns';
  readonly sourcePort: number;
  readonly reflectors: number;
  /** Bytes per packet (NTP monlist answers 468, DNS ANY answers 1,400). */
  readonly packetBytes: number;
  /** Mean packets per second of one reflector at full intensity. */
  readonly packetsPerSecond: number;
}

/** (3) A UDP reflection flood against the web server. */
export interface DdosTruth extends ScenarioInfo {
  readonly id: 'ddos';
  readonly victim: string;
  readonly window: TimeWindow;
  readonly groups: readonly ReflectorGroup[];
  /** Intensity of each minute of the attack (1 = full); each reflector exports one flow a minute (active timeout). */
  readonly minuteProfile: readonly number[];
  readonly flows: number;
  /** Expected bytes in a full-intensity minute (the peak), and the same as a bit rate. */
  readonly peakBytesPerMinute: number;
  readonly peakBitsPerSecond: number;
}

/** One internal host's sessions with the known C2. */
export interface C2Session {
  readonly host: string;
  readonly times: readonly number[];
}

/** (4) Internal hosts contacting a known C2 server. */
export interface C2ContactsTruth extends ScenarioInfo {
  readonly id: 'c2-contacts';
  readonly c2: string;
  readonly c2Asn: number;
  readonly port: number;
  readonly sessions: readonly C2Session[];
}

/** (5) Log4Shell exploitation: JNDI probes, then the web server calling back over LDAP. */
export interface Log4jTruth extends ScenarioInfo {
  readonly id: 'log4j';
  readonly scanner: string;
  readonly scannerAsn: number;
  readonly target: string;
  readonly probes: readonly { readonly time: number; readonly port: number }[];
  /** The vulnerable service: probes on this port are followed by a callback. */
  readonly vulnerablePort: number;
  readonly callbacks: readonly { readonly time: number; readonly port: number }[];
}

/** The ground truth of one generated dataset. */
export interface DemoScenarios {
  readonly range: TimeWindow;
  readonly horizontalScan: HorizontalScanTruth;
  readonly verticalScan: VerticalScanTruth;
  readonly beacon: BeaconTruth;
  readonly ddos: DdosTruth;
  readonly c2Contacts: C2ContactsTruth;
  readonly log4j: Log4jTruth;
}

/** Every scenario of a dataset, in the order they are documented. */
export function scenarioList(s: DemoScenarios): ScenarioInfo[] {
  return [s.horizontalScan, s.verticalScan, s.beacon, s.ddos, s.c2Contacts, s.log4j];
}

const VERTICAL_EXTRA_PORTS = [1433, 1521, 2049, 2375, 3306, 3389, 5432, 5900, 6379, 8000, 8080, 8443, 9200, 11211, 27017];

/** A DDoS rises over three minutes, holds, and fades over the last three. */
const DDOS_MINUTE_PROFILE = [0.2, 0.5, 0.8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.7, 0.4, 0.15];

/**
 * Scenario days are given in the week ending at `end` (0 = first day). With fewer than seven
 * days they are squeezed into the period proportionally, so every scenario is still present.
 */
function scheduler(o: ResolvedDemoOptions): (day: number, clock: string) => number {
  const weekDays = Math.min(o.days, 7);
  const weekStart = o.end - weekDays * DAY_MS;
  return (day, clock) => {
    const [h, m, s] = clock.split(':').map(Number) as [number, number, number];
    const d = o.days >= 7 ? day : Math.floor((day * o.days) / 7);
    return weekStart + d * DAY_MS + ((h * 60 + m) * 60 + s) * 1000;
  };
}

/** "on three different days", or "3 times on 2 days" when a short period squeezes them together. */
function times(windows: readonly TimeWindow[]): string {
  const words = ['no', 'one', 'two', 'three', 'four'];
  const days = new Set(windows.map((w) => Math.floor(w.start / DAY_MS))).size;
  const n = (k: number) => words[k] ?? String(k);
  if (days === windows.length) return `on ${n(days)} different days`;
  return `${n(windows.length)} times on ${n(days)} day${days === 1 ? '' : 's'}`;
}

/** Ground truth for a set of options (the defaults when none): what `generateDemoFlows` injects. */
export function demoScenarios(options: DemoOptions = {}): DemoScenarios {
  const o = resolveDemoOptions(options);
  const at = scheduler(o);
  // Session times are fixed by the schedule, not by the user's seed, so the documented truth holds for every seed.
  const schedule = new SeededRandom(0x5ce7a810);

  const addresses = Math.min(65_536, Math.max(256, Math.round(65_536 * o.scale)));
  const hProbeRate = 20;
  const hFlows = addresses * 2;
  const hDuration = Math.ceil((hFlows / hProbeRate) * 1000);
  const hWindows = [at(1, '02:10:00'), at(3, '14:40:00'), at(5, '21:05:00')].map((start) => ({ start, end: start + hDuration }));
  const horizontalScan: HorizontalScanTruth = {
    id: 'horizontal-scan',
    title: 'Repeat horizontal scanner',
    summary: `203.0.113.66 sweeps ${addresses === 65_536 ? 'all of' : `${addresses.toLocaleString('en-US')} addresses of`} 10.20.0.0/16 for telnet (23) and SMB (445) with single SYN packets, ${times(hWindows)}.`,
    query: 'dst port 23 and flags S and not flags A | count by src',
    scanner: '203.0.113.66',
    scannerAsn: 64500,
    targets: '10.20.0.0/16',
    ports: [23, 445],
    addressesPerSweep: addresses,
    flowsPerSweep: hFlows,
    probesPerSecond: hProbeRate,
    probe: { packets: 1, bytes: 40, tcpFlags: 2 },
    windows: hWindows,
  };

  const vPorts = [...Array.from({ length: 1024 }, (_, i) => i + 1), ...VERTICAL_EXTRA_PORTS];
  const vOpen = [80, 443, 8080];
  const vRate = 50;
  const vDuration = Math.ceil((vPorts.length / vRate) * 1000);
  const vWindows = [at(2, '03:25:10'), at(4, '22:47:30')].map((start) => ({ start, end: start + vDuration }));
  const verticalScan: VerticalScanTruth = {
    id: 'vertical-scan',
    title: 'Vertical scan of the web server',
    summary: `203.0.113.99 probes ${vPorts.length.toLocaleString('en-US')} ports of the web server 10.20.100.10, ${times(vWindows)}; 80, 443 and 8080 answer.`,
    query: 'dst ip 10.20.100.10 and flags S and not flags A | count distinct dport by src',
    scanner: '203.0.113.99',
    scannerAsn: 64500,
    target: '10.20.100.10',
    ports: vPorts,
    openPorts: vOpen,
    probesPerSecond: vRate,
    flowsPerSweep: vPorts.length + vOpen.length,
    windows: vWindows,
  };

  const firstBeat = at(1, '10:13:27');
  const beacon: BeaconTruth = {
    id: 'beacon',
    title: 'Beaconing workstation',
    summary: '10.20.3.77 opens a TLS connection to 198.51.100.23:443 every 60 s (±3 s), day and night, with near-constant sizes.',
    query: 'src ip 10.20.3.77 and dst port 443 | count by dst',
    host: '10.20.3.77',
    c2: '198.51.100.23',
    c2Asn: 64501,
    port: 443,
    firstBeat,
    intervalMs: 60_000,
    jitterMs: 3_000,
    expectedBeats: Math.floor((o.end - firstBeat) / 60_000),
    bytesOut: { min: 1140, max: 1164, packets: 7 },
    bytesIn: { min: 2298, max: 2322, packets: 6 },
    windows: [{ start: firstBeat, end: o.end }],
  };

  const ddosStart = at(4, '13:00:00');
  const groups: ReflectorGroup[] = [
    { service: 'ntp', sourcePort: 123, reflectors: 2500, packetBytes: 468, packetsPerSecond: 160 },
    { service: 'dns', sourcePort: 53, reflectors: 1500, packetBytes: 1400, packetsPerSecond: 54 },
  ];
  const peakBytesPerMinute = groups.reduce((sum, g) => sum + g.reflectors * g.packetsPerSecond * 60 * g.packetBytes, 0);
  const ddosWindow = { start: ddosStart, end: ddosStart + DDOS_MINUTE_PROFILE.length * 60_000 };
  const ddos: DdosTruth = {
    id: 'ddos',
    title: 'UDP reflection DDoS',
    summary: `A 20-minute NTP (sport 123) and DNS (sport 53) reflection flood from 4,000 reflectors hits the web server 10.20.100.10, peaking near ${(peakBytesPerMinute * 8 / 60 / 1e9).toFixed(1)} Gbit/s.`,
    query: 'dst ip 10.20.100.10 and proto udp | timeline 1m',
    victim: '10.20.100.10',
    window: ddosWindow,
    groups,
    minuteProfile: DDOS_MINUTE_PROFILE,
    flows: groups.reduce((sum, g) => sum + g.reflectors, 0) * DDOS_MINUTE_PROFILE.length,
    peakBytesPerMinute,
    peakBitsPerSecond: (peakBytesPerMinute * 8) / 60,
    windows: [ddosWindow],
  };

  const sessions = (host: string, day: number, clock: string, count: number, minGapS: number, maxGapS: number): C2Session => {
    const times: number[] = [];
    let t = at(day, clock);
    for (let i = 0; i < count; i++) {
      times.push(t);
      t += schedule.between(minGapS, maxGapS) * 1000 + schedule.int(1000);
    }
    return { host, times };
  };
  const c2Sessions = [
    sessions('10.20.2.41', 2, '11:05:12', 12, 120, 540),
    sessions('10.20.5.118', 3, '16:20:45', 3, 60, 240),
    sessions('10.20.6.9', 5, '09:10:03', 20, 180, 900),
    sessions('10.20.7.88', 6, '20:40:31', 5, 60, 300),
  ];
  const c2Contacts: C2ContactsTruth = {
    id: 'c2-contacts',
    title: 'Contacts with a known C2',
    summary: `Four workstations talk HTTP to the known C2 185.220.101.4:8080 (${c2Sessions.map((s) => `${s.host} x${s.times.length}`).join(', ')}).`,
    query: 'ip 185.220.101.4 | count by src',
    c2: '185.220.101.4',
    c2Asn: 64502,
    port: 8080,
    sessions: c2Sessions,
    windows: c2Sessions.map((s) => ({ start: s.times[0]!, end: s.times[s.times.length - 1]! + 60_000 })),
  };

  const l4jStart = at(3, '09:32:10');
  const l4jPorts = [80, 443, 8080];
  const probes = Array.from({ length: 24 }, (_, k) => ({ time: l4jStart + k * 5_000 + ((k * 737) % 900), port: l4jPorts[k % 3]! }));
  const callbacks = probes.filter((p) => p.port === 8080).map((p, k) => ({ time: p.time + 800 + ((k * 53) % 400), port: 1389 }));
  const log4j: Log4jTruth = {
    id: 'log4j',
    title: 'Log4Shell exploitation',
    summary: '45.155.205.233 sends 24 JNDI probes to the web server on 80/443/8080; each of the 8 probes on 8080 is followed within 2 s by the web server connecting back to 45.155.205.233:1389 (LDAP).',
    query: 'ip 45.155.205.233 and dst port in [80 443 8080 1389] | count by src, dst, dport',
    scanner: '45.155.205.233',
    scannerAsn: 64503,
    target: '10.20.100.10',
    probes,
    vulnerablePort: 8080,
    callbacks,
    windows: [{ start: probes[0]!.time, end: callbacks[callbacks.length - 1]!.time + 10_000 }],
  };

  return { range: { start: o.start, end: o.end }, horizontalScan, verticalScan, beacon, ddos, c2Contacts, log4j };
}

/** The ground truth of the default dataset (`vantage demo` without options), as documented in docs/demo.md. */
export const DEMO_SCENARIOS: DemoScenarios = demoScenarios();
