import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stixFeed } from '../../intel/feeds/stix-feed.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { fixtureFindings, fixtureIndicators } from '../testing/share-fixtures.js';
import { checkStixBundle, checkStixObject } from './stix-conformance.js';
import { exportStix, type StixObject } from './stix-export.js';
import { canonicalJson, scoId, uuidV5 } from './stix-id.js';
import { stixPatternFor } from './stix-pattern-for.js';
import { TLP2_MARKING_IDS } from './tlp-marking.js';

const OPTIONS = { organisation: 'Example Org CSIRT', tlp: 'amber' as const };

function exported() {
  return exportStix({ findings: fixtureFindings(), indicators: fixtureIndicators() }, OPTIONS);
}

function ofType(objects: readonly StixObject[], type: string): StixObject[] {
  return objects.filter((o) => o.type === type);
}

describe('deterministic ids', () => {
  it('computes RFC 9562 version-5 UUIDs (values from Python uuid.uuid5)', () => {
    // python3 -c "import uuid; print(uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org'))"
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    // python3: uuid.uuid5(uuid.UUID('00abedb4-aa42-466c-9c01-fed23315a9b7'), '{"value":"192.0.2.66"}')
    expect(scoId('ipv4-addr', { value: '192.0.2.66' })).toBe('ipv4-addr--27cd758d-1ccb-5f84-99fd-14d8078d9017');
    expect(scoId('ipv6-addr', { value: '2001:db8:66::1' })).toBe('ipv6-addr--81840c8e-f6fd-5c3a-9a9f-95d3c3e677ec');
  });

  it('writes canonical JSON with sorted keys at every level', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: null }], e: undefined })).toBe('{"a":[{"c":null,"d":"x"}],"b":1}');
  });

  it('gives the same bundle when exported twice, and the same ids from reordered input', () => {
    const a = exported().bundle;
    expect(JSON.stringify(exported().bundle)).toBe(JSON.stringify(a));
    const b = exportStix({ findings: fixtureFindings().reverse(), indicators: fixtureIndicators().reverse() }, OPTIONS).bundle;
    expect(b.objects.map((o) => o.id).sort()).toEqual(a.objects.map((o) => o.id).sort());
    expect(b.id).toBe(a.id);
  });
});

describe('STIX patterns', () => {
  it.each([
    ['ip', '192.0.2.66', "[ipv4-addr:value = '192.0.2.66']"],
    ['ip', '2001:db8::1', "[ipv6-addr:value = '2001:db8::1']"],
    ['cidr', '203.0.113.0/24', "[ipv4-addr:value = '203.0.113.0/24']"],
    ['ip-port', '198.51.100.7:8443', "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 8443]"],
    ['ip-port', '[2001:db8::7]:53', "[network-traffic:dst_ref.value = '2001:db8::7' AND network-traffic:dst_port = 53]"],
    ['domain', 'c2.example.net', "[domain-name:value = 'c2.example.net']"],
    ['url', "evil.example.org/a'b", "[url:value = 'http://evil.example.org/a\\'b']"],
    ['url', 'evil.example.org:443/x', "[url:value = 'https://evil.example.org:443/x']"],
    ['md5', '001dd76872d80801692ff942308c64e6', "[file:hashes.MD5 = '001dd76872d80801692ff942308c64e6']"],
    ['sha256', 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c', "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']"],
    ['x509-sha1', 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', "[x509-certificate:hashes.'SHA-1' = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678']"],
    ['asn', 'AS64500', '[autonomous-system:number = 64500]'],
  ] as const)('%s %s', (type, value, pattern) => {
    expect(stixPatternFor(type, value)).toBe(pattern);
  });

  it('has none for JA3 fingerprints and bare paths', () => {
    expect(stixPatternFor('ja3', '72a589da586844d7f0818ce684948eea')).toBeUndefined();
    expect(stixPatternFor('uri-path', '/gate.php')).toBeUndefined();
  });
});

describe('the exported bundle', () => {
  it('conforms to STIX 2.1 field by field, strictly, with every reference resolved', () => {
    const { bundle } = exported();
    expect(checkStixBundle(bundle, { strict: true, resolveRefs: true })).toEqual([]);
  });

  it('holds the identity, the TLP 2.0 amber marking on every other object, and the indicators', () => {
    const { bundle, skipped, indicators, sightings } = exported();
    const [identity] = ofType(bundle.objects, 'identity');
    expect(identity).toMatchObject({ name: 'Example Org CSIRT', identity_class: 'organization' });
    expect(ofType(bundle.objects, 'marking-definition')).toEqual([
      {
        type: 'marking-definition',
        spec_version: '2.1',
        id: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
        created: '2022-10-01T00:00:00.000Z',
        name: 'TLP:AMBER',
        extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'property-extension', tlp_2_0: 'amber' } },
      },
    ]);
    for (const o of bundle.objects) {
      if (o.type === 'marking-definition' || o.type === 'identity') continue;
      if (['ipv4-addr', 'ipv6-addr', 'domain-name', 'network-traffic'].includes(o.type)) continue;
      expect(o.object_marking_refs, o.id).toEqual([TLP2_MARKING_IDS.amber]);
      expect(o.created_by_ref, o.id).toBe(identity!.id);
    }
    // 10 threat indicators with patterns + the scan finding's scanner; the JA3 and the allow entry are left out.
    expect(indicators).toBe(11);
    expect(ofType(bundle.objects, 'indicator')).toHaveLength(11);
    expect(skipped.map((s) => `${s.type} ${s.reason}`).sort()).toEqual(['ip allow-list entry', 'ja3 STIX has no standard pattern for ja3 values']);
    expect(sightings).toBe(2);
  });

  it('relates indicators to the malware families they indicate', () => {
    const { bundle } = exported();
    const byId = new Map(bundle.objects.map((o) => [o.id, o]));
    const indicates = ofType(bundle.objects, 'relationship').map((r) => `${(byId.get(String(r.source_ref)) as StixObject).pattern} -> ${(byId.get(String(r.target_ref)) as StixObject).name}`);
    expect(indicates.sort()).toEqual([
      "[domain-name:value = 'c2.example.net'] -> cobalt-strike",
      "[ipv4-addr:value = '192.0.2.66'] -> pikabot",
      "[ipv6-addr:value = '2001:db8:66::1'] -> qakbot",
      "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 8443] -> pikabot",
      "[x509-certificate:hashes.'SHA-256' = '9f2c1e0b5a3d4c6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6'] -> dridex",
    ]);
    expect(ofType(bundle.objects, 'malware').map((m) => [m.name, m.is_family])).toEqual([
      ['cobalt-strike', true],
      ['dridex', true],
      ['pikabot', true],
      ['qakbot', true],
    ]);
  });

  it('turns the C2 finding into observed data and a sighting of the feed indicator', () => {
    const { bundle } = exported();
    const byId = new Map(bundle.objects.map((o) => [o.id, o]));
    const sighting = ofType(bundle.objects, 'sighting').find((s) => (s.external_references as { external_id: string }[])[0]!.external_id === 'aaaa000000000000c2c2')!;
    expect(sighting).toMatchObject({ count: 42, first_seen: '2026-03-01T10:00:00.000Z', last_seen: '2026-03-01T12:30:00.000Z' });
    expect((byId.get(String(sighting.sighting_of_ref)) as StixObject).pattern).toBe("[ipv4-addr:value = '192.0.2.66']");
    expect(sighting.where_sighted_refs).toEqual([ofType(bundle.objects, 'identity')[0]!.id]);
    const observed = byId.get((sighting.observed_data_refs as string[])[0]!)!;
    expect(observed).toMatchObject({ type: 'observed-data', first_observed: '2026-03-01T10:00:00.000Z', last_observed: '2026-03-01T12:30:00.000Z', number_observed: 42 });
    const refs = (observed.object_refs as string[]).map((id) => byId.get(id)!);
    expect(refs.map((o) => o.type)).toEqual(['network-traffic', 'ipv4-addr', 'ipv4-addr']);
    expect(refs[0]).toMatchObject({ src_ref: scoId('ipv4-addr', { value: '10.1.0.5' }), dst_ref: scoId('ipv4-addr', { value: '192.0.2.66' }), dst_port: 443, protocols: ['ipv4', 'tcp'] });
    expect(refs.slice(1).map((o) => o.value)).toEqual(['10.1.0.5', '192.0.2.66']);
  });

  it('makes an indicator of the scanner for a finding that intelligence does not name', () => {
    const { bundle } = exported();
    const byId = new Map(bundle.objects.map((o) => [o.id, o]));
    const sighting = ofType(bundle.objects, 'sighting').find((s) => (s.external_references as { external_id: string }[])[0]!.external_id === 'bbbb00000000000005ca')!;
    const ind = byId.get(String(sighting.sighting_of_ref))!;
    expect(ind).toMatchObject({ pattern: "[ipv4-addr:value = '203.0.113.9']", indicator_types: ['anomalous-activity'], labels: ['vantage:scan'] });
    expect(sighting.count).toBe(250);
  });
});

describe('round trip through the STIX feed reader', () => {
  it('reads back every exported indicator with its family', () => {
    const { bundle } = exported();
    const text = JSON.stringify(bundle, null, 2);
    const r = stixFeed.parse({ file: 'export.json', text, kind: 'threat' });
    expect(r.problems).toEqual([]);
    const got = r.indicators.map((i) => `${i.type} ${i.value} ${i.family ?? '-'}`).sort();
    expect(got).toEqual(
      [
        'ip 192.0.2.66 pikabot',
        'ip 2001:db8:66::1 qakbot',
        'ip-port 198.51.100.7:8443 pikabot',
        'cidr 203.0.113.0/24 -',
        'domain c2.example.net cobalt-strike',
        'url evil.example.org/gate.php?id=1 -',
        'sha256 ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c -',
        'md5 001dd76872d80801692ff942308c64e6 -',
        'x509-sha256 9f2c1e0b5a3d4c6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6 dridex',
        'x509-sha1 a1b2c3d4e5f60718293a4b5c6d7e8f9012345678 -',
        'ip 203.0.113.9 -',
      ].sort(),
    );
    const c2 = r.indicators.find((i) => i.value === '192.0.2.66')!;
    expect(c2.confidence).toBe(100);
    expect(c2.firstSeen).toBe(Date.parse('2026-02-28T10:00:00.000Z'));
  });
});

const STIX2 = sharedDataPath('threat-intel/stix2/apt1.json');

describe('the conformance checker', () => {
  it.skipIf(!STIX2)('accepts every object of the OASIS STIX 2.1 example bundles', () => {
    const dir = join(STIX2!, '..');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) {
      const bundle = JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown;
      expect(checkStixBundle(bundle), f).toEqual([]);
    }
  });

  it('rejects each broken rule', () => {
    const { bundle } = exported();
    const get = (type: string) => structuredClone(bundle.objects.find((o) => o.type === type)!) as Record<string, unknown>;
    const cases: [string, Record<string, unknown>, string][] = [
      ['no pattern', { ...get('indicator'), pattern: undefined }, 'pattern is required'],
      ['bad id', { ...get('indicator'), id: 'indicator--1234' }, "id must be 'indicator--<UUID>'"],
      ['bad time', { ...get('indicator'), valid_from: '2026-03-01 10:00:00' }, 'valid_from must be a timestamp'],
      ['until before from', { ...get('indicator'), valid_until: '2000-01-01T00:00:00.000Z' }, 'valid_until must be after valid_from'],
      ['wrong spec', { ...get('identity'), spec_version: '2.0' }, "spec_version must be '2.1'"],
      ['sighting of an SCO', { ...get('sighting'), sighting_of_ref: scoId('ipv4-addr', { value: '192.0.2.1' }) }, 'sighting_of_ref must be an SDO id'],
      ['count too large', { ...get('sighting'), count: 1_000_000_000 }, 'count must be an integer 0-999,999,999'],
      ['sighted by an indicator', { ...get('sighting'), where_sighted_refs: [get('indicator').id] }, 'where_sighted_refs must be a list of identity or location ids'],
      ['observed zero', { ...get('observed-data'), number_observed: 0 }, 'number_observed must be an integer 1-999,999,999'],
      ['traffic without protocols', { ...get('network-traffic'), protocols: undefined }, 'protocols is required'],
      ['port out of range', { ...get('network-traffic'), dst_port: 70000 }, 'dst_port must be an integer 0-65535'],
      ['SCO with created', { ...get('ipv4-addr'), created: '2026-01-01T00:00:00.000Z' }, 'an SCO has no created'],
      ['malware without is_family', { ...get('malware'), is_family: undefined }, 'is_family is required'],
      ['unknown property', { ...get('indicator'), colour: 'red' }, "indicator has no property 'colour'"],
      ['upper-case property', { ...get('indicator'), Name: 'x' }, "property name 'Name' is not 3-250 of a-z, 0-9, _"],
      ['marking with modified', { ...get('marking-definition'), modified: '2022-10-01T00:00:00.000Z' }, 'a marking definition is not versioned: no modified'],
    ];
    for (const [what, o, message] of cases) {
      const clean = JSON.parse(JSON.stringify(o)) as unknown;
      expect(checkStixObject(clean, { strict: true }).map((p) => p.message), what).toContain(message);
    }
    expect(checkStixBundle({ ...bundle, spec_version: '2.1' }).map((p) => p.message)).toContain('a STIX 2.1 bundle has no spec_version');
    const dangling = { ...bundle, objects: bundle.objects.filter((o) => o.type !== 'identity') };
    expect(checkStixBundle(dangling, { resolveRefs: true }).some((p) => p.message.includes('which the bundle does not hold'))).toBe(true);
  });
});
