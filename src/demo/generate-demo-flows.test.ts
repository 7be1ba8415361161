import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/columns.js';
import { parseCidr, parseIp, rangeContains, type Ip } from '../core/ip.js';
import { BORDER_ROUTERS, ORG_PREFIX_V4, ORG_PREFIX_V6 } from './demo-network.js';
import { DAY_MS, resolveDemoOptions } from './demo-options.js';
import { demoScenarios } from './demo-scenarios.js';
import { estimateDemoFlows, generateDemoFlows, scaleForFlows } from './generate-demo-flows.js';

// A small dataset: 5% of the background, the whole week, every scenario.
const OPTIONS = { scale: 0.05, seed: 7, batchSize: 10_000 } as const;
const truth = demoScenarios(OPTIONS);
const ip = (text: string): Ip => parseIp(text)!;
const org4 = parseCidr(ORG_PREFIX_V4)!;
const org6 = parseCidr(ORG_PREFIX_V6)!;
const internal = (a: Ip) => rangeContains(org4, a) || rangeContains(org6, a);

function fingerprint(batches: Iterable<FlowRecord[]>): { hash: string; flows: number } {
  const hash = createHash('sha256');
  let flows = 0;
  for (const batch of batches) {
    for (const f of batch) hash.update(JSON.stringify(f, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
    flows += batch.length;
  }
  return { hash: hash.digest('hex'), flows };
}

let batches: FlowRecord[][];
let flows: FlowRecord[];

beforeAll(() => {
  batches = [...generateDemoFlows(OPTIONS)];
  flows = batches.flat();
});

describe('generateDemoFlows: determinism and shape', () => {
  it('yields identical flows for the same seed and different ones for another seed', () => {
    const a = fingerprint(batches);
    expect(fingerprint(generateDemoFlows(OPTIONS))).toEqual(a);
    expect(fingerprint(generateDemoFlows({ ...OPTIONS, seed: 8 })).hash).not.toBe(a.hash);
  });

  it('keeps the scenarios identical when only the background scale changes', () => {
    const beacon = (list: Iterable<FlowRecord[]>) => [...list].flat().filter((f) => f.dst === ip(truth.beacon.c2));
    const bigger = beacon(generateDemoFlows({ ...OPTIONS, scale: 0.08 }));
    expect(bigger).toEqual(beacon(batches));
  });

  it('yields full batches of the requested size and only the last one shorter', () => {
    expect(batches.length).toBeGreaterThan(2);
    for (const b of batches.slice(0, -1)) expect(b.length).toBe(OPTIONS.batchSize);
    expect(batches.at(-1)!.length).toBeLessThanOrEqual(OPTIONS.batchSize);
  });

  it('matches its own estimate within 2%', () => {
    expect(Math.abs(flows.length / estimateDemoFlows(OPTIONS) - 1)).toBeLessThan(0.02);
  });

  it('finds the scale for a wanted number of flows', () => {
    const scale = scaleForFlows(400_000, { seed: 7 });
    expect(Math.abs(estimateDemoFlows({ seed: 7, scale }) / 400_000 - 1)).toBeLessThan(0.01);
  });

  it('writes only valid records', () => {
    const { start, end } = resolveDemoOptions(OPTIONS);
    const exporters = new Set(BORDER_ROUTERS.map((r) => ip(r.exporter)));
    const validIp = (a: Ip) => (typeof a === 'number' ? Number.isInteger(a) && a >= 0 && a < 2 ** 32 : a >= 0n && a < 1n << 128n);
    const port = (p: number) => Number.isInteger(p) && p >= 0 && p <= 65535;
    // Plain checks collected per flow: an expect() per field would take half a minute here.
    const problems = (f: FlowRecord, previous: number): string[] => {
      const p: string[] = [];
      if (!Number.isInteger(f.start) || !Number.isInteger(f.end)) p.push('times are not whole ms');
      if (f.start < start || f.start >= end) p.push('start outside the period');
      if (f.end < f.start) p.push('end before start');
      // Sorted per 5-minute slot; a reply flow may start a little after the slot it was drawn in.
      if (f.start <= previous - 300_000) p.push('out of order');
      if (!port(f.sport) || !port(f.dport)) p.push('bad port');
      if (!validIp(f.src) || !validIp(f.dst) || typeof f.src !== typeof f.dst) p.push('bad addresses');
      if (!internal(f.src) && !internal(f.dst)) p.push('does not touch our network');
      if (!Number.isInteger(f.packets) || f.packets < 1) p.push('bad packets');
      if (!Number.isInteger(f.bytes) || f.bytes < f.packets * 28) p.push('fewer bytes than headers');
      if (!exporters.has(f.exporter as number) || f.sampling !== 1) p.push('bad exporter or sampling');
      if (f.proto === 6) {
        if ((f.tcp_flags & 2) === 0) p.push('TCP flow without SYN'); // every TCP flow here saw the SYN (or SYN-ACK)
        if (f.bytes < f.packets * 40) p.push('TCP bytes below 40 per packet');
      } else if (f.proto === 1 || f.proto === 17) {
        if (f.tcp_flags !== 0) p.push('flags on a non-TCP flow');
        if (f.proto === 1 && (f.sport !== 0 || f.dport !== f.icmp_type! * 256 + f.icmp_code!)) p.push('ICMP type not in dport');
      } else p.push(`unexpected protocol ${f.proto}`);
      return p;
    };
    const bad: string[] = [];
    let previous = start;
    for (const f of flows) {
      const p = problems(f, previous);
      if (p.length > 0 && bad.length < 5) bad.push(`${p.join(', ')}: ${JSON.stringify(f, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      previous = f.start;
    }
    expect(bad).toEqual([]);
  });
});

describe('generateDemoFlows: background traffic', () => {
  const scenarioIps = new Set<Ip>(
    [truth.horizontalScan.scanner, truth.verticalScan.scanner, truth.beacon.c2, truth.c2Contacts.c2, truth.log4j.scanner].map(ip),
  );
  const victim = ip(truth.ddos.victim);
  const background = () => flows.filter((f) => !scenarioIps.has(f.src) && !scenarioIps.has(f.dst) && !(f.dst === victim && f.proto === 17));

  it('peaks in office hours and drops at night and at weekends', () => {
    // Flows per hour, by local (UTC+1) hour and weekday. The week starts on Sunday 2026-10-25.
    const perHour = (filter: (dow: number, hour: number) => boolean) => {
      const hours = new Set<number>();
      let n = 0;
      for (const f of background()) {
        const local = f.start + 3_600_000;
        const dow = new Date(local).getUTCDay();
        const hour = Math.floor((local % DAY_MS) / 3_600_000);
        if (filter(dow, hour)) {
          n++;
          hours.add(Math.floor(local / 3_600_000));
        }
      }
      return n / hours.size;
    };
    const weekday = (d: number) => d >= 1 && d <= 5;
    const office = perHour((d, h) => weekday(d) && h >= 9 && h < 17);
    const night = perHour((d, h) => weekday(d) && h >= 1 && h < 5);
    const weekendDay = perHour((d, h) => !weekday(d) && h >= 9 && h < 17);
    expect(office / night).toBeGreaterThan(4);
    expect(office / weekendDay).toBeGreaterThan(2.5);
  });

  it('carries about 15% of its flows over IPv6 (about 10% of all flows at the default scale)', () => {
    const bg = background();
    const v6 = bg.filter((f) => typeof f.src === 'bigint');
    expect(v6.length / bg.length).toBeGreaterThan(0.12);
    expect(v6.length / bg.length).toBeLessThan(0.2);
    for (const f of v6) expect(rangeContains(org6, f.src) || rangeContains(org6, f.dst)).toBe(true);
  });

  it('has the expected mix: DNS to the resolvers, HTTPS out, customers on the web server, mail, NTP, SSH', () => {
    const bg = background();
    const count = (p: (f: FlowRecord) => boolean) => bg.filter(p).length;
    const resolvers = new Set([ip('10.20.100.53'), ip('10.20.100.54'), ip('2001:db8:20:100::53'), ip('2001:db8:20:100::54')]);
    expect(count((f) => f.proto === 17 && f.dport === 53 && resolvers.has(f.dst))).toBeGreaterThan(1000);
    expect(count((f) => f.proto === 17 && f.dport === 53 && resolvers.has(f.src) && !internal(f.dst))).toBeGreaterThan(300);
    expect(count((f) => f.proto === 6 && f.dport === 443 && !internal(f.dst))).toBeGreaterThan(bg.length * 0.2); // one of the two flows per connection
    expect(count((f) => f.proto === 6 && f.dport === 443 && f.dst === ip('10.20.100.10'))).toBeGreaterThan(500);
    expect(count((f) => f.proto === 6 && f.dport === 25)).toBeGreaterThan(100);
    expect(count((f) => f.proto === 17 && f.sport === 123 && f.dport === 123)).toBeGreaterThan(1000);
    expect(count((f) => f.proto === 6 && f.dport === 22 && internal(f.src))).toBeGreaterThan(10);
  });

  it('has heavy-tailed sizes and ephemeral client ports', () => {
    const web = background().filter((f) => f.proto === 6 && f.sport === 443);
    const bytes = web.map((f) => f.bytes).sort((a, b) => a - b);
    const median = bytes[bytes.length >> 1]!;
    const mean = bytes.reduce((a, b) => a + b, 0) / bytes.length;
    expect(mean / median).toBeGreaterThan(3);
    expect(bytes.at(-1)! / median).toBeGreaterThan(1000);
    const out = background().filter((f) => f.proto === 6 && f.dport === 443 && internal(f.src));
    for (const f of out) expect(f.sport).toBeGreaterThanOrEqual(49152);
  });
});

describe('generateDemoFlows: injected scenarios match their ground truth', () => {
  it('horizontal scan: every sweep reaches every documented address on 23 and 445 with 1-packet SYNs', () => {
    const h = truth.horizontalScan;
    const probes = flows.filter((f) => f.src === ip(h.scanner));
    expect(probes.length).toBe(h.flowsPerSweep * h.windows.length);
    expect(h.windows).toHaveLength(3);
    const days = new Set<number>();
    for (const w of h.windows) {
      const sweep = probes.filter((f) => f.start >= w.start && f.start < w.end);
      expect(sweep.length).toBe(h.flowsPerSweep);
      for (const port of h.ports) expect(new Set(sweep.filter((f) => f.dport === port).map((f) => f.dst)).size).toBe(h.addressesPerSweep);
      days.add(Math.floor(w.start / DAY_MS));
    }
    expect(days.size).toBe(3); // a repeat attacker
    for (const f of probes) {
      expect([f.tcp_flags, f.packets, f.bytes]).toEqual([h.probe.tcpFlags, h.probe.packets, h.probe.bytes]);
      expect(rangeContains(org4, f.dst)).toBe(true);
    }
  });

  it('horizontal scan covers the whole /16 at scale 1', () => {
    expect(demoScenarios().horizontalScan.addressesPerSweep).toBe(65_536);
  });

  it('vertical scan: each sweep probes every listed port of the web server; open ports answer SYN-ACK', () => {
    const v = truth.verticalScan;
    const scanner = ip(v.scanner);
    for (const w of v.windows) {
      const sweep = flows.filter((f) => f.src === scanner && f.start >= w.start && f.start < w.end);
      expect(new Set(sweep.map((f) => f.dport)).size).toBe(v.ports.length);
      expect(sweep.every((f) => f.dst === ip(v.target) && f.proto === 6)).toBe(true);
      const answers = flows.filter((f) => f.dst === scanner && f.start >= w.start && f.start < w.end);
      expect(answers.map((f) => f.sport).sort((a, b) => a - b)).toEqual([...v.openPorts].sort((a, b) => a - b));
      expect(answers.every((f) => f.tcp_flags === (2 | 16))).toBe(true);
    }
  });

  it('beacon: one connection a minute with small jitter and near-constant sizes, for days', () => {
    const b = truth.beacon;
    const out = flows.filter((f) => f.src === ip(b.host) && f.dst === ip(b.c2));
    const back = flows.filter((f) => f.src === ip(b.c2) && f.dst === ip(b.host));
    expect(back.length).toBe(out.length);
    expect(Math.abs(out.length - b.expectedBeats)).toBeLessThanOrEqual(12);
    expect(out[0]!.start).toBe(b.firstBeat);
    expect(out.at(-1)!.start - out[0]!.start).toBeGreaterThan(4 * DAY_MS);
    const gaps = out.slice(1).map((f, i) => f.start - out[i]!.start);
    const mean = gaps.reduce((a, g) => a + g, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(Math.abs(mean - b.intervalMs)).toBeLessThan(100);
    expect(Math.abs(sd - b.jitterMs / Math.sqrt(3))).toBeLessThan(150);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(b.intervalMs - b.jitterMs);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(b.intervalMs + b.jitterMs);
    for (const f of out) expect(f.bytes >= b.bytesOut.min && f.bytes <= b.bytesOut.max && f.dport === b.port).toBe(true);
    for (const f of back) expect(f.bytes >= b.bytesIn.min && f.bytes <= b.bytesIn.max).toBe(true);
  });

  it('DDoS: thousands of NTP and DNS reflectors inside the 20-minute window, peaking as documented', () => {
    const d = truth.ddos;
    const flood = flows.filter((f) => f.dst === ip(d.victim) && f.proto === 17);
    expect(flood.length).toBe(d.flows);
    expect(flood.every((f) => f.start >= d.window.start && f.start < d.window.end)).toBe(true);
    for (const g of d.groups) {
      const group = flood.filter((f) => f.sport === g.sourcePort);
      expect(new Set(group.map((f) => f.src)).size).toBe(g.reflectors);
      expect(group.every((f) => f.bytes === f.packets * g.packetBytes)).toBe(true);
    }
    const perMinute = new Array<number>(d.minuteProfile.length).fill(0);
    for (const f of flood) perMinute[Math.floor((f.start - d.window.start) / 60_000)]! += f.bytes;
    const peak = Math.max(...perMinute);
    expect(Math.abs(peak / d.peakBytesPerMinute - 1)).toBeLessThan(0.1);
    expect(d.minuteProfile[perMinute.indexOf(peak)]).toBe(1);
    expect(perMinute[0]! / peak).toBeLessThan(0.3); // the ramp-up
  });

  it('C2 contacts: the documented hosts reach 185.220.101.4:8080 at the documented times', () => {
    const c = truth.c2Contacts;
    const contacts = flows.filter((f) => f.dst === ip(c.c2));
    expect(contacts.every((f) => f.dport === c.port)).toBe(true);
    for (const s of c.sessions) {
      expect(contacts.filter((f) => f.src === ip(s.host)).map((f) => f.start)).toEqual(s.times);
    }
    expect(contacts.length).toBe(c.sessions.reduce((n, s) => n + s.times.length, 0));
  });

  it('Log4j: probes on 80/443/8080, each 8080 probe followed within 2 s by an LDAP callback from the web server', () => {
    const l = truth.log4j;
    const probes = flows.filter((f) => f.src === ip(l.scanner) && f.dst === ip(l.target) && f.dport < 10_000);
    expect(probes.map((f) => [f.start, f.dport])).toEqual(l.probes.map((p) => [p.time, p.port]));
    const callbacks = flows.filter((f) => f.src === ip(l.target) && f.dst === ip(l.scanner) && f.dport === 1389);
    expect(callbacks.map((f) => f.start)).toEqual(l.callbacks.map((c) => c.time));
    const vulnerable = l.probes.filter((p) => p.port === l.vulnerablePort);
    expect(callbacks).toHaveLength(vulnerable.length);
    callbacks.forEach((c, i) => {
      expect(c.start - vulnerable[i]!.time).toBeGreaterThan(0);
      expect(c.start - vulnerable[i]!.time).toBeLessThan(2_000);
    });
  });
});
