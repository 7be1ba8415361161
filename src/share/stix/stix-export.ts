// Findings and indicators as a STIX 2.1 bundle: our organisation's identity, the TLP 2.0 marking,
// one indicator per pattern (with the malware it indicates when a family is known), and per
// finding the observed data (its addresses, domains and traffic as cyber observables) and a
// sighting of the indicator it is about, sighted by us. Ids are UUIDv5 over content, so exporting
// again gives the same ids; timestamps come from the data, never from the clock.

import { parseIp } from '../../core/ip.js';
import type { Finding, FindingEntity } from '../../detect/finding.js';
import { classifyValue, type Indicator, type IndicatorType, type StoredIndicator } from '../../intel/indicator.js';
import { sdoId, scoId } from './stix-id.js';
import { stixPatternFor } from './stix-pattern-for.js';
import { tlpMarking, TLP2_MARKING_IDS, type TlpLevel } from './tlp-marking.js';

/** A STIX object as exported (plain JSON). */
export type StixObject = Record<string, unknown> & { readonly type: string; readonly id: string };

/** A STIX 2.1 bundle. */
export interface StixBundle {
  readonly type: 'bundle';
  readonly id: string;
  readonly objects: StixObject[];
}

/** Export settings. */
export interface StixExportOptions {
  /** Our organisation's name (the identity that creates the objects and sights the findings). */
  readonly organisation: string;
  /** The TLP 2.0 level every object is marked with. */
  readonly tlp: TlpLevel;
  /** Include allow-list entries as indicators (default false: only threat indicators are shared). */
  readonly includeAllow?: boolean;
}

/** What the export did not carry, by reason. */
export interface StixExportReport {
  readonly bundle: StixBundle;
  readonly indicators: number;
  readonly sightings: number;
  /** Values left out, with why (no STIX pattern for the type, allow-list entry...). */
  readonly skipped: { readonly value: string; readonly type: string; readonly reason: string }[];
}

/** When our identity object says it was created: fixed, so the identity never changes version. */
const IDENTITY_CREATED = '2020-01-01T00:00:00.000Z';

/** Roles naming the side of a finding that an indicator is about (the accused, not the victim). */
const ACCUSED = ['c2', 'attacker', 'scanner', 'reflector', 'server', 'target'];

/** ISO text with milliseconds (STIX timestamps in exports are always millisecond precision). */
function ts(ms: number): string {
  return new Date(ms).toISOString();
}

function maxTs(a: string, b: string): string {
  return a > b ? a : b;
}

function minTs(a: string, b: string): string {
  return a < b ? a : b;
}

interface IndicatorDraft {
  id: string;
  pattern: string;
  type: IndicatorType;
  value: string;
  created: string;
  modified: string;
  validFrom: string;
  validUntil: string | null;
  labels: Set<string>;
  sources: Set<string>;
  families: Set<string>;
  confidence: number | null;
  kinds: Set<'malicious-activity' | 'anomalous-activity' | 'benign'>;
  description: string[];
}

/** Builds the bundle. `findings` and `indicators` may be empty; neither is changed. */
export function exportStix(input: { findings: readonly Finding[]; indicators: readonly (Indicator | StoredIndicator)[] }, options: StixExportOptions): StixExportReport {
  const identityId = sdoId('identity', { name: options.organisation });
  const marking = TLP2_MARKING_IDS[options.tlp];
  const common = (created: string, modified: string) => ({ spec_version: '2.1', created, modified, created_by_ref: identityId, object_marking_refs: [marking] });
  const skipped: { value: string; type: string; reason: string }[] = [];
  const drafts = new Map<string, IndicatorDraft>();
  const scos = new Map<string, StixObject>();
  const others: StixObject[] = [];

  const draftFor = (type: IndicatorType, value: string, first: string, last: string): IndicatorDraft | undefined => {
    const pattern = stixPatternFor(type, value);
    if (!pattern) {
      skipped.push({ value, type, reason: `STIX has no standard pattern for ${type} values` });
      return undefined;
    }
    let d = drafts.get(pattern);
    if (!d) {
      d = {
        id: sdoId('indicator', { pattern }),
        pattern,
        type,
        value,
        created: first,
        modified: last,
        validFrom: first,
        validUntil: null,
        labels: new Set(),
        sources: new Set(),
        families: new Set(),
        confidence: null,
        kinds: new Set(),
        description: [],
      };
      drafts.set(pattern, d);
    }
    d.created = minTs(d.created, first);
    d.validFrom = minTs(d.validFrom, first);
    d.modified = maxTs(d.modified, last);
    return d;
  };

  for (const i of input.indicators) {
    if (i.kind === 'allow' && !options.includeAllow) {
      skipped.push({ value: i.value, type: i.type, reason: 'allow-list entry' });
      continue;
    }
    const stored = i as Partial<StoredIndicator>;
    const firstMs = i.firstSeen ?? stored.loadedFirst ?? i.lastSeen ?? stored.loadedLast;
    const lastMs = Math.max(i.lastSeen ?? 0, stored.loadedLast ?? 0, firstMs ?? 0);
    if (firstMs === undefined || firstMs === null) {
      skipped.push({ value: i.value, type: i.type, reason: 'no time at all (neither first seen nor loaded)' });
      continue;
    }
    const d = draftFor(i.type, i.value, ts(firstMs), ts(lastMs));
    if (!d) continue;
    d.sources.add(i.source);
    for (const t of i.tags) if (t.trim() !== '') d.labels.add(t.trim().toLowerCase());
    if (i.family) d.families.add(i.family);
    if (i.confidence !== null) d.confidence = Math.max(d.confidence ?? 0, i.confidence);
    d.kinds.add(i.kind === 'allow' ? 'benign' : 'malicious-activity');
    if (i.validUntil !== null && (d.validUntil === null || ts(i.validUntil) > d.validUntil)) d.validUntil = ts(i.validUntil);
  }

  let sightings = 0;
  for (const f of input.findings) {
    // The indicator a finding is a sighting of: what intelligence named, else the accused entity.
    const about: { type: IndicatorType; value: string; family: string | null; source: string | null; confidence: number | null }[] = [];
    for (const hit of f.intel) {
      const v = classifyValue(hit.indicator);
      if (v) about.push({ type: v.type, value: v.value, family: hit.family, source: hit.source, confidence: hit.confidence });
    }
    if (about.length === 0) {
      const accused = [...f.entities].sort((a, b) => rank(a) - rank(b)).find((e) => rank(e) < ACCUSED.length && (e.type === 'ip' || e.type === 'domain' || e.type === 'url'));
      const v = accused ? classifyValue(accused.value) : undefined;
      if (v) about.push({ type: v.type, value: v.value, family: null, source: null, confidence: null });
    }
    if (about.length === 0) {
      skipped.push({ value: f.id, type: 'finding', reason: 'no address, domain or URL to make an indicator of' });
      continue;
    }

    const observedRefs = observables(f, scos);
    const observedId = sdoId('observed-data', { finding: f.id });
    const flows = Math.max(1, Math.min(999_999_999, Math.round(f.evidence.counts.flows ?? f.evidence.counts.connections ?? 1)));
    if (observedRefs.length > 0) {
      others.push({
        type: 'observed-data',
        id: observedId,
        ...common(f.first, maxTs(f.first, f.last)),
        first_observed: f.first,
        last_observed: maxTs(f.first, f.last),
        number_observed: flows,
        object_refs: observedRefs,
        external_references: [findingReference(f)],
      });
    }
    const seen = new Set<string>();
    for (const a of about) {
      const d = draftFor(a.type, a.value, f.first, maxTs(f.first, f.last));
      if (!d || seen.has(d.id)) continue;
      seen.add(d.id);
      if (a.family) d.families.add(a.family);
      if (a.source) d.sources.add(a.source);
      if (a.confidence !== null) d.confidence = Math.max(d.confidence ?? 0, a.confidence);
      d.kinds.add(f.intel.length > 0 ? 'malicious-activity' : 'anomalous-activity');
      d.labels.add(`vantage:${f.kind}`);
      if (d.description.length < 5) d.description.push(f.summary);
      sightings++;
      others.push({
        type: 'sighting',
        id: sdoId('sighting', { finding: f.id, indicator: d.id }),
        ...common(f.first, maxTs(f.first, f.last)),
        description: `${f.summary} (${f.kind}/${f.subkind}, severity ${f.severity}, score ${f.score})`,
        first_seen: f.first,
        last_seen: maxTs(f.first, f.last),
        count: flows,
        sighting_of_ref: d.id,
        ...(observedRefs.length > 0 ? { observed_data_refs: [observedId] } : {}),
        where_sighted_refs: [identityId],
        external_references: [findingReference(f)],
      });
    }
  }

  const indicators: StixObject[] = [];
  const malware = new Map<string, StixObject>();
  const relationships: StixObject[] = [];
  for (const d of [...drafts.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const kinds = [...d.kinds].sort();
    indicators.push({
      type: 'indicator',
      id: d.id,
      ...common(d.created, d.modified),
      name: `${d.type} ${d.value}`,
      ...(d.description.length > 0 || d.sources.size > 0
        ? { description: [...d.description, ...(d.sources.size > 0 ? [`sources: ${[...d.sources].sort().join(', ')}`] : [])].join('\n') }
        : {}),
      indicator_types: kinds.length > 0 ? kinds : ['malicious-activity'],
      pattern: d.pattern,
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: d.validFrom,
      ...(d.validUntil !== null && d.validUntil > d.validFrom ? { valid_until: d.validUntil } : {}),
      ...(d.labels.size > 0 ? { labels: [...d.labels].sort() } : {}),
      ...(d.confidence !== null ? { confidence: d.confidence } : {}),
    });
    for (const family of [...d.families].sort()) {
      const malwareId = sdoId('malware', { name: family });
      if (!malware.has(family)) {
        malware.set(family, { type: 'malware', id: malwareId, ...common(IDENTITY_CREATED, IDENTITY_CREATED), name: family, is_family: true });
      }
      relationships.push({
        type: 'relationship',
        id: sdoId('relationship', { source: d.id, type: 'indicates', target: malwareId }),
        ...common(d.created, d.modified),
        relationship_type: 'indicates',
        source_ref: d.id,
        target_ref: malwareId,
      });
    }
  }

  const identity: StixObject = {
    type: 'identity',
    spec_version: '2.1',
    id: identityId,
    created: IDENTITY_CREATED,
    modified: IDENTITY_CREATED,
    name: options.organisation,
    identity_class: 'organization',
  };
  const objects: StixObject[] = [
    tlpMarking(options.tlp) as StixObject,
    identity,
    ...indicators,
    ...[...malware.values()].sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1)),
    ...relationships,
    ...[...scos.values()],
    ...others,
  ];
  const bundle: StixBundle = { type: 'bundle', id: sdoId('bundle', objects.map((o) => `${o.id}@${String(o.modified ?? o.created ?? '')}`).sort()), objects };
  return { bundle, indicators: indicators.length, sightings, skipped };
}

function rank(e: FindingEntity): number {
  const i = ACCUSED.indexOf(e.role);
  return i < 0 ? ACCUSED.length : i;
}

function findingReference(f: Finding): Record<string, string> {
  return { source_name: 'vantage', external_id: f.id, description: `${f.kind} finding; evidence: ${f.evidence.query} from ${f.evidence.from} to ${f.evidence.to}` };
}

/** Adds the finding's addresses, domains and traffic as SCOs; returns their ids (traffic first). */
function observables(f: Finding, scos: Map<string, StixObject>): string[] {
  const refs: string[] = [];
  const add = (o: StixObject): string => {
    if (!scos.has(o.id)) scos.set(o.id, o);
    if (!refs.includes(o.id)) refs.push(o.id);
    return o.id;
  };
  const address = (text: string): StixObject | undefined => {
    const ip = parseIp(text);
    if (ip === undefined) return undefined;
    const type = typeof ip === 'number' ? 'ipv4-addr' : 'ipv6-addr';
    return { type, spec_version: '2.1', id: scoId(type, { value: text }), value: text };
  };
  const src = f.src ? address(f.src) : undefined;
  const dst = f.dst ? address(f.dst) : undefined;
  if (src || dst) {
    const protocols = [f.proto === 6 ? 'tcp' : f.proto === 17 ? 'udp' : f.proto === 1 ? 'icmp' : f.proto === 58 ? 'ipv6-icmp' : undefined, src?.type === 'ipv6-addr' || dst?.type === 'ipv6-addr' ? 'ipv6' : 'ipv4'].filter(
      (p): p is string => p !== undefined,
    );
    protocols.reverse(); // network layer first, as the spec's examples list them
    const traffic: Record<string, unknown> = {
      ...(src ? { src_ref: src.id } : {}),
      ...(dst ? { dst_ref: dst.id } : {}),
      ...(f.dport !== null && f.dport >= 0 && f.dport <= 65535 && (f.proto === 6 || f.proto === 17) ? { dst_port: f.dport } : {}),
      protocols,
    };
    add({ type: 'network-traffic', spec_version: '2.1', id: scoId('network-traffic', traffic), ...traffic });
    if (src) add(src);
    if (dst) add(dst);
  }
  for (const e of f.entities) {
    if (e.type === 'ip') {
      const a = address(e.value);
      if (a) add(a);
    } else if (e.type === 'domain') {
      add({ type: 'domain-name', spec_version: '2.1', id: scoId('domain-name', { value: e.value }), value: e.value });
    }
  }
  return refs;
}
