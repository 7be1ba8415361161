// Findings and indicators as one MISP event (core JSON format): an attribute per value with the
// MISP type of its kind and direction, to_ids set for what should be detected, the evidence in
// the comment, the family as a galaxy tag, and the TLP as the event's tag. Uuids are UUIDv5 over
// content, so exporting again updates the same event and attributes in MISP.

import { parseIp } from '../../core/ip.js';
import type { Finding } from '../../detect/finding.js';
import { classifyValue, type Indicator, type IndicatorType, type StoredIndicator } from '../../intel/indicator.js';
import { uuidV5, VANTAGE_NAMESPACE } from '../stix/stix-id.js';
import type { TlpLevel } from '../stix/tlp-marking.js';

/** A MISP attribute as exported. */
export interface MispAttribute {
  readonly uuid: string;
  readonly type: string;
  readonly category: string;
  readonly value: string;
  readonly to_ids: boolean;
  readonly comment: string;
  readonly timestamp: string;
  readonly first_seen?: string;
  readonly last_seen?: string;
  readonly Tag?: { name: string }[];
}

/** The exported document: `{"Event": {...}}`. */
export interface MispEventDocument {
  readonly Event: {
    readonly uuid: string;
    readonly info: string;
    readonly date: string;
    readonly timestamp: string;
    readonly published: boolean;
    readonly analysis: string;
    readonly threat_level_id: string;
    readonly distribution: string;
    readonly Orgc: { readonly name: string; readonly uuid: string };
    readonly Tag: { name: string }[];
    readonly Attribute: MispAttribute[];
  };
}

/** Export settings. */
export interface MispExportOptions {
  readonly organisation: string;
  readonly tlp: TlpLevel;
  /** The event's title (MISP `info`). */
  readonly info: string;
}

/** The event and what could not be carried. */
export interface MispExportReport {
  readonly event: MispEventDocument;
  readonly skipped: { readonly value: string; readonly type: string; readonly reason: string }[];
}

const ROLES_SOURCE = new Set(['scanner', 'attacker']);
const ACCUSED = ['c2', 'attacker', 'scanner', 'reflector', 'server', 'target'];

/** MISP type and category of a value; `src` when the value is the source of the activity. */
function mispType(type: IndicatorType, value: string, src: boolean): { type: string; category: string; value: string } | undefined {
  switch (type) {
    case 'ip':
    case 'cidr':
      return { type: src ? 'ip-src' : 'ip-dst', category: 'Network activity', value };
    case 'ip-port': {
      const at = value.lastIndexOf(':');
      const address = value.startsWith('[') ? value.slice(1, value.indexOf(']')) : value.slice(0, at);
      return { type: src ? 'ip-src|port' : 'ip-dst|port', category: 'Network activity', value: `${address}|${value.slice(at + 1)}` };
    }
    case 'domain':
      return { type: 'domain', category: 'Network activity', value };
    case 'url':
      return { type: 'url', category: 'Network activity', value: `http://${value}` };
    case 'uri-path':
      return { type: 'uri', category: 'Network activity', value };
    case 'asn':
      return { type: 'AS', category: 'Network activity', value };
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
      return { type, category: 'Payload delivery', value };
    case 'x509-md5':
    case 'x509-sha1':
    case 'x509-sha256':
      return { type: `x509-fingerprint-${type.slice(5)}`, category: 'Network activity', value };
    case 'ja3':
      return { type: 'ja3-fingerprint-md5', category: 'Network activity', value };
    case 'email':
      return { type: 'email-src', category: 'Payload delivery', value };
    default:
      return undefined;
  }
}

function seconds(ms: number): string {
  return String(Math.floor(ms / 1000));
}

/** Title-cases a family for the galaxy tag (the reader lower-cases it again). */
function familyTag(family: string): string {
  return `misp-galaxy:malpedia="${family.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => `${d === '-' ? ' ' : ''}${c.toUpperCase()}`)}"`;
}

/** Builds the event. */
export function exportMisp(input: { findings: readonly Finding[]; indicators: readonly (Indicator | StoredIndicator)[] }, options: MispExportOptions): MispExportReport {
  const skipped: { value: string; type: string; reason: string }[] = [];
  const byKey = new Map<string, { a: MispAttribute; tags: Set<string>; comments: string[]; first: number; last: number }>();
  let latest = 0;
  const add = (type: IndicatorType, value: string, src: boolean, toIds: boolean, first: number, last: number, comment: string, tags: readonly string[]) => {
    const m = mispType(type, value, src);
    if (!m) {
      skipped.push({ value, type, reason: `MISP has no attribute type for ${type} values` });
      return;
    }
    latest = Math.max(latest, last);
    const key = `${m.type}|${m.value}`;
    let e = byKey.get(key);
    if (!e) {
      e = {
        a: { uuid: uuidV5(VANTAGE_NAMESPACE, `misp-attribute\u0000${key}`), type: m.type, category: m.category, value: m.value, to_ids: toIds, comment: '', timestamp: '0' },
        tags: new Set(),
        comments: [],
        first,
        last,
      };
      byKey.set(key, e);
    }
    if (toIds && !e.a.to_ids) e.a = { ...e.a, to_ids: true };
    e.first = Math.min(e.first, first);
    e.last = Math.max(e.last, last);
    if (comment && !e.comments.includes(comment) && e.comments.length < 5) e.comments.push(comment);
    for (const t of tags) e.tags.add(t);
  };

  for (const i of input.indicators) {
    if (i.kind === 'allow') {
      skipped.push({ value: i.value, type: i.type, reason: 'allow-list entry' });
      continue;
    }
    const stored = i as Partial<StoredIndicator>;
    const first = i.firstSeen ?? stored.loadedFirst ?? i.lastSeen ?? 0;
    const last = Math.max(i.lastSeen ?? 0, stored.loadedLast ?? 0, first);
    const tags = [...(i.family ? [familyTag(i.family)] : []), ...(i.confidence !== null ? [`osint:certainty="${i.confidence}"`] : [])];
    add(i.type, i.value, false, i.detect, first, last, `from ${i.source}${i.reference ? ` (${i.reference})` : ''}`, tags);
  }
  for (const f of input.findings) {
    const first = Date.parse(f.first);
    const last = Math.max(first, Date.parse(f.last));
    const evidence = `${f.kind}/${f.subkind} finding ${f.id} (severity ${f.severity}, score ${f.score}): ${f.summary}; evidence: ${f.evidence.query} from ${f.evidence.from} to ${f.evidence.to}`;
    const intelValues = new Set(f.intel.map((h) => h.indicator));
    let added = 0;
    for (const hit of f.intel) {
      const v = classifyValue(hit.indicator);
      if (!v) continue;
      add(v.type, v.value, false, true, first, last, evidence, [...(hit.family ? [familyTag(hit.family)] : []), ...(hit.confidence !== null ? [`osint:certainty="${hit.confidence}"`] : [])]);
      added++;
    }
    // The accused side of the finding (never the victims: our own hosts are not shared).
    for (const e of f.entities) {
      if (!ACCUSED.includes(e.role) || intelValues.has(e.value)) continue;
      const v = e.type === 'ip' && parseIp(e.value) !== undefined ? classifyValue(e.value) : e.type === 'domain' || e.type === 'url' ? classifyValue(e.value) : undefined;
      if (!v) continue;
      add(v.type, v.value, ROLES_SOURCE.has(e.role), true, first, last, evidence, []);
      added++;
    }
    if (added === 0) skipped.push({ value: f.id, type: 'finding', reason: 'no address, domain or URL on its accused side' });
  }

  const attributes: MispAttribute[] = [...byKey.values()]
    .map(({ a, tags, comments, first, last }) => ({
      ...a,
      comment: comments.join(' | '),
      timestamp: seconds(last),
      ...(first > 0 ? { first_seen: new Date(first).toISOString() } : {}),
      ...(last > 0 ? { last_seen: new Date(last).toISOString() } : {}),
      ...(tags.size > 0 ? { Tag: [...tags].sort().map((name) => ({ name })) } : {}),
    }))
    .sort((x, y) => (x.type === y.type ? (x.value < y.value ? -1 : 1) : x.type < y.type ? -1 : 1));
  const event: MispEventDocument = {
    Event: {
      uuid: uuidV5(VANTAGE_NAMESPACE, `misp-event\u0000${options.organisation}\u0000${options.info}`),
      info: options.info,
      date: new Date(latest).toISOString().slice(0, 10),
      timestamp: seconds(latest),
      published: false,
      analysis: '2',
      threat_level_id: '2',
      distribution: '0',
      Orgc: { name: options.organisation, uuid: uuidV5(VANTAGE_NAMESPACE, `misp-org\u0000${options.organisation}`) },
      Tag: [{ name: `tlp:${options.tlp}` }],
      Attribute: attributes,
    },
  };
  return { event, skipped };
}
