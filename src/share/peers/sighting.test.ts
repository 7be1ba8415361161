// Sightings over hand-worked flows and passive-DNS records, on every backend: counts, first/last,
// distinct peers, top ports, the window, a caller's network scope, and the values refused.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../core/columns.js';
import { parseCidr, parseIp } from '../../core/ip.js';
import { appendPassiveDns } from '../../store/passive-dns-table.js';
import type { Store } from '../../store/store.js';
import { testBackends } from '../../test-support/test-backends.js';
import { parseSightingTarget, sightingOf } from './sighting.js';

const T0 = Date.UTC(2026, 2, 1);
const X = '203.0.113.66';

function flow(src: string, dst: string, sport: number, dport: number, packets: number, bytes: number, start: number, end: number, proto = 6): FlowRecord {
  return { start, end, src: parseIp(src)!, dst: parseIp(dst)!, sport, dport, proto, tcp_flags: proto === 6 ? 27 : 0, packets, bytes, exporter: parseIp('192.0.2.1')! };
}

// The flows, numbered as the expectations below refer to them.
const FLOWS: FlowRecord[] = [
  flow('10.0.0.1', X, 51000, 443, 10, 1000, T0, T0 + 500), // 1
  flow(X, '10.0.0.1', 443, 51000, 8, 4000, T0 + 1000, T0 + 1500), // 2 (the reply)
  flow('10.0.0.2', X, 52000, 443, 5, 500, T0 + 60_000, T0 + 60_100), // 3
  flow('10.0.0.2', X, 52001, 80, 3, 300, T0 + 120_000, T0 + 120_050), // 4
  flow('192.0.2.9', X, 40000, 22, 1, 60, T0 + 3_600_000, T0 + 3_600_000), // 5
  flow('10.0.0.3', '198.51.100.1', 53000, 443, 7, 700, T0 + 10, T0 + 20), // 6: not the indicator
  flow('2001:db8::5', '2001:db8:66::1', 5000, 443, 4, 400, T0 + 500, T0 + 900, 17), // 7: evil.example's AAAA
  flow('203.0.113.7', '10.0.0.9', 25, 25000, 2, 120, T0 + 7_200_000, T0 + 7_200_010), // 8: same /24 as X
];

const dns = (rrname: string, rrtype: string, rdata: string, sensor: string, count: number, firstSeen: number, lastSeen: number) => ({ rrname, rrtype, rdata, sensor, count, firstSeen, lastSeen });
const DNS = [
  dns('evil.example', 'A', X, 's1', 3, T0 - 1000, T0 + 5000),
  dns('evil.example', 'A', X, 's2', 2, T0, T0 + 10_000),
  dns('evil.example', 'AAAA', '2001:db8:66::1', 's1', 1, T0 + 20_000, T0 + 20_000),
  dns('www.evil.example', 'CNAME', 'evil.example', 's1', 4, T0, T0), // names *resolving to* the domain: not its own records
  dns('other.example', 'A', X, 's1', 1, T0 + 30_000, T0 + 30_000),
];

const iso = (ms: number) => new Date(ms).toISOString();
const internal = [parseCidr('10.0.0.0/24')!];

describe('parseSightingTarget', () => {
  it('takes addresses, networks of /8 (v4) or /32 (v6) and longer, and domains', () => {
    expect(parseSightingTarget(' 203.0.113.66 ')).toMatchObject({ type: 'ip', value: X });
    expect(parseSightingTarget('203.0.113.0/24')).toMatchObject({ type: 'cidr', value: '203.0.113.0/24' });
    expect(parseSightingTarget('10.0.0.0/8')).toMatchObject({ type: 'cidr' });
    expect(parseSightingTarget('2001:db8::/32')).toMatchObject({ type: 'cidr' });
    expect(parseSightingTarget('Evil.Example.')).toMatchObject({ type: 'domain', value: 'evil.example' });
  });

  it('refuses what would describe too much, and what is not an address, network or domain', () => {
    expect(() => parseSightingTarget('0.0.0.0/0')).toThrow("'0.0.0.0/0' is too wide: ask about networks of /8 or longer for IPv4");
    expect(() => parseSightingTarget('10.0.0.0/7')).toThrow(/too wide/);
    expect(() => parseSightingTarget('2001:db8::/31')).toThrow("'2001:db8::/31' is too wide: ask about networks of /32 or longer for IPv6");
    expect(() => parseSightingTarget('AS64500')).toThrow("'AS64500' is a AS number: sightings are asked about an address, a network or a domain");
    expect(() => parseSightingTarget('300.1.2.3')).toThrow(/not an entity/);
  });
});

describe.each(testBackends())('sightingOf on %s', (_name, make) => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-sighting-'));
    store = make(dir);
    await store.open();
    await store.appendFlows(FLOWS);
    await appendPassiveDns(store, DNS);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an address: flows 1-5 both ways, its peers, ports and the names that resolved to it', async () => {
    expect(await sightingOf(store, parseSightingTarget(X))).toEqual({
      value: X,
      type: 'ip',
      from: null,
      to: null,
      flows: 5,
      packets: 10 + 8 + 5 + 3 + 1,
      bytes: 1000 + 4000 + 500 + 300 + 60,
      first: iso(T0),
      last: iso(T0 + 3_600_000),
      // 10.0.0.1 (flows 1, 2), 10.0.0.2 (3, 4), 192.0.2.9 (5).
      distinctPeers: 3,
      // 443 twice (1, 3); then one flow each, by protocol and port: 22, 80, 51000 (the reply's).
      ports: [
        { proto: 'tcp', port: 443, flows: 2 },
        { proto: 'tcp', port: 22, flows: 1 },
        { proto: 'tcp', port: 80, flows: 1 },
        { proto: 'tcp', port: 51000, flows: 1 },
      ],
      // evil.example from two sensors (3 + 2) and other.example (1): 2 names, 1 answer.
      passiveDns: { records: 6, names: 2, answers: 1, first: iso(T0 - 1000), last: iso(T0 + 30_000) },
      scoped: false,
    });
  });

  it('a window bounds flow starts and the passive-DNS records it overlaps', async () => {
    const s = await sightingOf(store, parseSightingTarget(X), { from: T0 + 60_000, to: T0 + 4_000_000 });
    // Flows 3, 4, 5; every passive-DNS record ended before T0+60s.
    expect(s).toMatchObject({ from: iso(T0 + 60_000), to: iso(T0 + 4_000_000), flows: 3, packets: 9, bytes: 860, first: iso(T0 + 60_000), last: iso(T0 + 3_600_000), distinctPeers: 2 });
    expect(s.passiveDns).toEqual({ records: 0, names: 0, answers: 0, first: null, last: null });
    // From T0+6s: s2's record (until T0+10s) and other.example's (T0+30s); s1's ended at T0+5s.
    const later = await sightingOf(store, parseSightingTarget(X), { from: T0 + 6000 });
    expect(later.passiveDns).toEqual({ records: 3, names: 2, answers: 1, first: iso(T0), last: iso(T0 + 30_000) });
  });

  it('a scoped caller counts only flows touching its networks and answers inside them', async () => {
    const s = await sightingOf(store, parseSightingTarget(X), { ranges: internal });
    // Flows 1-4 (flow 5 is between X and 192.0.2.9, neither in 10.0.0.0/24).
    expect(s).toMatchObject({ flows: 4, packets: 26, bytes: 5800, first: iso(T0), last: iso(T0 + 120_050), distinctPeers: 2, scoped: true });
    expect(s.ports.map((p) => p.port)).toEqual([443, 80, 51000]);
    expect(s.passiveDns).toEqual({ records: 0, names: 0, answers: 0, first: null, last: null });
    const own = await sightingOf(store, parseSightingTarget(X), { ranges: [parseCidr('203.0.113.0/24')!] });
    expect(own.passiveDns?.records).toBe(6);
  });

  it('a network: every flow with an end inside it; no passive-DNS search by range', async () => {
    const s = await sightingOf(store, parseSightingTarget('203.0.113.0/24'));
    // Flows 1-5 and 8.
    expect(s).toMatchObject({ type: 'cidr', flows: 6, packets: 29, bytes: 5980, first: iso(T0), last: iso(T0 + 7_200_010), distinctPeers: 4, passiveDns: null });
  });

  it("a domain: its own records, and the flows of the addresses it resolved to", async () => {
    const s = await sightingOf(store, parseSightingTarget('evil.example'));
    expect(s).toMatchObject({
      type: 'domain',
      // Flows 1-5 (203.0.113.66) and 7 (2001:db8:66::1).
      flows: 6,
      packets: 31,
      bytes: 6260,
      first: iso(T0),
      last: iso(T0 + 3_600_000),
      distinctPeers: 4,
      passiveDns: { records: 6, names: 1, answers: 2, first: iso(T0 - 1000), last: iso(T0 + 20_000) },
    });
    expect(s.ports).toEqual([
      { proto: 'tcp', port: 443, flows: 2 },
      { proto: 'tcp', port: 22, flows: 1 },
      { proto: 'tcp', port: 80, flows: 1 },
      { proto: 'tcp', port: 51000, flows: 1 },
      { proto: 'udp', port: 443, flows: 1 },
    ]);
    const scoped = await sightingOf(store, parseSightingTarget('evil.example'), { ranges: internal });
    expect(scoped).toMatchObject({ flows: 4, passiveDns: { records: 0 } });
  });

  it('nothing seen: zeros and nulls, not an error', async () => {
    expect(await sightingOf(store, parseSightingTarget('nothing.example'))).toMatchObject({ flows: 0, packets: 0, bytes: 0, first: null, last: null, distinctPeers: 0, ports: [], passiveDns: { records: 0 } });
    expect(await sightingOf(store, parseSightingTarget('198.18.0.1'))).toMatchObject({ flows: 0, first: null, distinctPeers: 0, ports: [] });
  });
});
