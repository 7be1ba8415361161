import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mispFeed } from '../../intel/feeds/misp-feed.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { fixtureFindings, fixtureIndicators } from '../testing/share-fixtures.js';
import { exportMisp } from './misp-export.js';

const OPTIONS = { organisation: 'Example Org CSIRT', tlp: 'green' as const, info: 'Vantage findings, week 9' };

function exported() {
  return exportMisp({ findings: fixtureFindings(), indicators: fixtureIndicators() }, OPTIONS);
}

describe('MISP event export', () => {
  it('writes one attribute per value with the MISP type of its kind and direction', () => {
    const { event, skipped } = exported();
    expect(event.Event.Attribute.map((a) => `${a.type} ${a.value} ${a.to_ids}`)).toEqual([
      'domain c2.example.net true',
      'ip-dst 192.0.2.66 true',
      'ip-dst 2001:db8:66::1 true',
      'ip-dst 203.0.113.0/24 true',
      'ip-dst|port 198.51.100.7|8443 true',
      'ip-src 203.0.113.9 true',
      'ja3-fingerprint-md5 72a589da586844d7f0818ce684948eea true',
      'md5 001dd76872d80801692ff942308c64e6 true',
      'sha256 ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c true',
      'url http://evil.example.org/gate.php?id=1 true',
      'x509-fingerprint-sha1 a1b2c3d4e5f60718293a4b5c6d7e8f9012345678 true',
      'x509-fingerprint-sha256 9f2c1e0b5a3d4c6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6 true',
    ]);
    expect(skipped).toEqual([{ value: '10.9.9.9', type: 'ip', reason: 'allow-list entry' }]);
    expect(event.Event.Tag).toEqual([{ name: 'tlp:green' }]);
    expect(event.Event.Orgc.name).toBe('Example Org CSIRT');
    // The infected host of the C2 finding is ours: it is never shared.
    expect(event.Event.Attribute.some((a) => a.value.includes('10.1.0.5'))).toBe(false);
  });

  it('carries the evidence in the comment, the family and certainty as tags, and the times', () => {
    const c2 = exported().event.Event.Attribute.find((a) => a.value === '192.0.2.66')!;
    expect(c2.comment).toBe(
      'from feodo | c2/known-c2 finding aaaa000000000000c2c2 (severity high, score 0.93): 10.1.0.5 contacted Pikabot C2 192.0.2.66:443 42 times; ' +
        'evidence: src = 10.1.0.5 and dst = 192.0.2.66 from 2026-03-01T10:00:00.000Z to 2026-03-01T12:30:00.001Z',
    );
    expect(c2.Tag).toEqual([{ name: 'misp-galaxy:malpedia="Pikabot"' }, { name: 'osint:certainty="100"' }]);
    expect(c2.first_seen).toBe('2026-02-28T10:00:00.000Z');
    expect(c2.last_seen).toBe('2026-03-01T12:30:00.000Z');
    expect(c2.timestamp).toBe(String(Date.parse('2026-03-01T12:30:00.000Z') / 1000));
  });

  it('is deterministic: the same uuids on every export', () => {
    expect(JSON.stringify(exported())).toBe(JSON.stringify(exported()));
    expect(exported().event.Event.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('round-trips through the MISP feed reader', () => {
    const { event } = exported();
    const r = mispFeed.parse({ file: 'event.json', text: JSON.stringify(event, null, 2), kind: 'threat' });
    expect(r.problems).toEqual([]);
    expect(r.source).toBe(`misp:${event.Event.uuid}`);
    expect(r.indicators.map((i) => `${i.type} ${i.value} ${i.family ?? '-'} ${i.detect}`).sort()).toEqual(
      [
        'domain c2.example.net cobalt-strike true',
        'ip 192.0.2.66 pikabot true',
        'ip 2001:db8:66::1 qakbot true',
        'cidr 203.0.113.0/24 - true',
        'ip-port 198.51.100.7:8443 pikabot true',
        'ip 203.0.113.9 - true',
        'ja3 72a589da586844d7f0818ce684948eea - true',
        'md5 001dd76872d80801692ff942308c64e6 - true',
        'sha256 ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c - true',
        'url evil.example.org/gate.php?id=1 - true',
        'x509-sha1 a1b2c3d4e5f60718293a4b5c6d7e8f9012345678 - true',
        'x509-sha256 9f2c1e0b5a3d4c6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6 dridex true',
      ].sort(),
    );
    expect(r.indicators.find((i) => i.value === '192.0.2.66')!.confidence).toBe(100);
    expect(r.indicators.find((i) => i.value === '192.0.2.66')!.tags).toContain('tlp:green');
  });

  const REAL = sharedDataPath('threat-intel/misp/existing_event.json');
  it.skipIf(!REAL)('uses only the attribute fields a real MISP event has (plus first/last seen), with values of the same JSON types', () => {
    const real = JSON.parse(readFileSync(REAL!, 'utf8')) as { Attribute: Record<string, unknown>[] };
    const sample = real.Attribute[0]!;
    const known = new Set([...Object.keys(sample), 'first_seen', 'last_seen']);
    for (const a of exported().event.Event.Attribute) {
      for (const [k, v] of Object.entries(a)) {
        expect(known.has(k), k).toBe(true);
        if (k in sample) expect(typeof v, k).toBe(typeof sample[k]);
      }
    }
  });
});
