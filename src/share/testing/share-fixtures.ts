// Test fixtures for the sharing exports: a C2 finding corroborated by a feed, a scan finding
// with no intelligence, and indicators of every type the exports handle, all with fixed times.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findingId, type Finding } from '../../detect/finding.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import type { Indicator, IndicatorType } from '../../intel/indicator.js';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import { loadFeeds } from '../../intel/load-feeds.js';
import type { Store } from '../../store/store.js';

/** 2026-03-01T10:00:00.000Z */
export const T0 = Date.UTC(2026, 2, 1, 10);

/** An indicator with provenance defaults. */
export function indicator(type: IndicatorType, value: string, extra: Partial<Indicator> = {}): Indicator {
  return {
    source: 'feodo',
    type,
    value,
    kind: 'threat',
    feed: 'feodo',
    family: null,
    tags: [],
    confidence: null,
    reference: null,
    attrs: {},
    detect: true,
    file: 'ipblocklist.csv',
    line: 1,
    raw: value,
    firstSeen: T0 - 86_400_000,
    lastSeen: T0,
    validUntil: null,
    ...extra,
  };
}

/** The indicators: addresses v4/v6, address:port, domain, URL, file and certificate hashes, a JA3 (no STIX pattern) and an allow entry. */
export function fixtureIndicators(): Indicator[] {
  return [
    indicator('ip', '192.0.2.66', { family: 'pikabot', confidence: 100, tags: ['botnet_cc'] }),
    indicator('ip', '2001:db8:66::1', { family: 'qakbot' }),
    indicator('ip-port', '198.51.100.7:8443', { family: 'pikabot' }),
    indicator('cidr', '203.0.113.0/24', { source: 'spamhaus:drop', feed: 'spamhaus', reference: 'SBL123' }),
    indicator('domain', 'c2.example.net', { source: 'threatfox', feed: 'threatfox', family: 'cobalt-strike', confidence: 75 }),
    indicator('url', 'evil.example.org/gate.php?id=1', { source: 'threatfox', feed: 'threatfox' }),
    indicator('sha256', 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c', { source: 'misp:x', feed: 'misp' }),
    indicator('md5', '001dd76872d80801692ff942308c64e6', { source: 'misp:x', feed: 'misp' }),
    indicator('x509-sha256', '9f2c1e0b5a3d4c6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6', { source: 'sslbl', feed: 'list', family: 'dridex' }),
    indicator('x509-sha1', 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', { source: 'sslbl', feed: 'list' }),
    indicator('ja3', '72a589da586844d7f0818ce684948eea', { source: 'sslbl', feed: 'list' }),
    indicator('ip', '10.9.9.9', { source: 'analyst:false-positives', kind: 'allow', feed: 'list', detect: false }),
  ];
}

/** A C2 finding (10.1.0.5 talked 42 times to the Pikabot C2 192.0.2.66:443 over TCP) and a scan finding from 203.0.113.9. */
export function fixtureFindings(): Finding[] {
  const base = {
    subscores: {},
    status: 'open' as const,
    note: null,
    runs: 1,
  };
  return [
    {
      ...base,
      id: 'aaaa000000000000c2c2',
      kind: 'c2',
      subkind: 'known-c2',
      score: 0.93,
      severity: 'high',
      src: '10.1.0.5',
      dst: '192.0.2.66',
      dport: 443,
      proto: 6,
      entities: [
        { role: 'infected', type: 'ip', value: '10.1.0.5' },
        { role: 'c2', type: 'ip', value: '192.0.2.66' },
      ],
      first: '2026-03-01T10:00:00.000Z',
      last: '2026-03-01T12:30:00.000Z',
      summary: '10.1.0.5 contacted Pikabot C2 192.0.2.66:443 42 times',
      evidence: { counts: { flows: 42, bytes: 12345 }, query: 'src = 10.1.0.5 and dst = 192.0.2.66', from: '2026-03-01T10:00:00.000Z', to: '2026-03-01T12:30:00.001Z', sample: [] },
      intel: [{ value: '192.0.2.66', indicator: '192.0.2.66', source: 'feodo', tag: 'feodo:pikabot', family: 'pikabot', confidence: 100 }],
    },
    {
      ...base,
      id: 'bbbb00000000000005ca',
      kind: 'scan',
      subkind: 'horizontal',
      score: 0.71,
      severity: 'medium',
      src: '203.0.113.9',
      dst: null,
      dport: 22,
      proto: 6,
      entities: [
        { role: 'scanner', type: 'ip', value: '203.0.113.9' },
        { role: 'port', type: 'port', value: '22' },
      ],
      first: '2026-03-01T11:00:00.000Z',
      last: '2026-03-01T11:05:00.000Z',
      summary: '203.0.113.9 probed 250 hosts on port 22',
      evidence: { counts: { flows: 250, hosts: 250 }, query: 'src = 203.0.113.9 and dport = 22', from: '2026-03-01T11:00:00.000Z', to: '2026-03-01T11:05:00.001Z', sample: [] },
      intel: [],
    },
  ];
}

/**
 * Seeds a store with what the export route tests share: one C2 indicator (198.51.100.7, family
 * emotet, source test:c2) loaded from a list file written in `dir`, and one finding accusing it
 * (10.1.0.5 -> 198.51.100.7:443).
 */
export async function seedSharedC2(store: Store, dir: string, at: string): Promise<void> {
  const feed = join(dir, 'c2.txt');
  writeFileSync(feed, '198.51.100.7 # a C2\n');
  const intel = new IndicatorRepository(store);
  await intel.ensureTables();
  await loadFeeds(intel, [feed], { source: 'test:c2', family: 'emotet' }, { stderr: { write: () => true } } as never);
  const findings = new FindingsRepository(store);
  await findings.ensureTables();
  await findings.save([
    {
      id: findingId('c2', '10.1.0.5', '198.51.100.7'),
      kind: 'c2',
      subkind: 'outbound',
      score: 0.9,
      subscores: {},
      severity: 'high',
      src: '10.1.0.5',
      dst: '198.51.100.7',
      dport: 443,
      proto: 6,
      entities: [
        { role: 'infected', type: 'ip', value: '10.1.0.5' },
        { role: 'c2', type: 'ip', value: '198.51.100.7' },
      ],
      first: at,
      last: at,
      summary: '10.1.0.5 connected to 198.51.100.7:443/tcp',
      evidence: { counts: { flows: 3 }, query: 'host 10.1.0.5 and host 198.51.100.7', from: at, to: at, sample: [] },
      intel: [],
    },
  ]);
}
