// MISP events in the core JSON format (`{"Event": {...}}`, a bare event, or `{"response":
// [...]}`): network and hash attributes, in the event and in its objects, with their to_ids flag.

import { parseFeedTime, parseValue, type Indicator, type IndicatorType, type ParsedValue } from '../indicator.js';
import {
  baseName,
  confidenceOf,
  familyOf,
  JsonLineLocator,
  jsonSyntaxProblem,
  makeIndicator,
  type FeedParser,
  type FeedProblem,
  type IndicatorDefaults,
} from '../feed-parser.js';

type Json = Record<string, unknown>;

/** MISP attribute types and how their value reads; composite types take the part named. */
const ATTRIBUTE_TYPES: Record<string, { type: IndicatorType | 'address'; part?: number }[]> = {
  'ip-src': [{ type: 'address' }],
  'ip-dst': [{ type: 'address' }],
  'ip-src|port': [{ type: 'ip-port' }],
  'ip-dst|port': [{ type: 'ip-port' }],
  domain: [{ type: 'domain' }],
  hostname: [{ type: 'domain' }],
  'hostname|port': [{ type: 'domain', part: 0 }],
  'domain|ip': [
    { type: 'domain', part: 0 },
    { type: 'address', part: 1 },
  ],
  url: [{ type: 'url' }],
  uri: [{ type: 'uri-path' }],
  md5: [{ type: 'md5' }],
  sha1: [{ type: 'sha1' }],
  sha256: [{ type: 'sha256' }],
  sha512: [{ type: 'sha512' }],
  'filename|md5': [{ type: 'md5', part: 1 }],
  'filename|sha1': [{ type: 'sha1', part: 1 }],
  'filename|sha256': [{ type: 'sha256', part: 1 }],
  'x509-fingerprint-md5': [{ type: 'x509-md5' }],
  'x509-fingerprint-sha1': [{ type: 'x509-sha1' }],
  'x509-fingerprint-sha256': [{ type: 'x509-sha256' }],
  'ja3-fingerprint-md5': [{ type: 'ja3' }],
  'jarm-fingerprint': [],
  'email-src': [{ type: 'email' }],
  'email-dst': [{ type: 'email' }],
  AS: [{ type: 'asn' }],
};

function readValue(type: IndicatorType | 'address', text: string): ParsedValue | undefined {
  if (type === 'ip-port') return parseValue('ip-port', text.replace('|', ':')) ?? parseValue('ip-port', `[${text.split('|')[0]}]:${text.split('|')[1]}`);
  if (type === 'address') return text.includes('/') ? (parseValue('cidr', text) ?? undefined) : parseValue('ip', text);
  return parseValue(type, text);
}

function tagNames(o: Json): string[] {
  return Array.isArray(o.Tag) ? (o.Tag as Json[]).map((t) => String(t.name ?? '')).filter((t) => t !== '') : [];
}

/** A family from galaxy tags (malpedia, threat actor, tool, ransomware...), if any. */
function familyFromTags(tags: readonly string[]): string | null {
  // An actor names the event better than one of the several tools it lists.
  for (const pref of ['malpedia', 'threat-actor', 'mitre-intrusion-set', 'ransomware', 'botnet', 'rat', 'tool', 'mitre-malware']) {
    for (const t of tags) {
      const m = new RegExp(`^misp-galaxy:${pref}="(.+)"$`).exec(t);
      if (m) return familyOf(m[1]);
    }
  }
  return null;
}

function certainty(tags: readonly string[]): number | null {
  for (const t of tags) {
    const m = /^osint:certainty="(\d+(?:\.\d+)?)"$/.exec(t);
    if (m) return confidenceOf(m[1]);
  }
  return null;
}

/** The events of a MISP JSON document, whatever its wrapping. */
function eventsOf(doc: unknown): Json[] {
  if (Array.isArray(doc)) return doc.flatMap(eventsOf);
  if (!doc || typeof doc !== 'object') return [];
  const d = doc as Json;
  if (d.Event && typeof d.Event === 'object') return [d.Event as Json];
  if (Array.isArray(d.response)) return d.response.flatMap(eventsOf);
  if (Array.isArray(d.Attribute) || Array.isArray(d.Object)) return [d];
  return [];
}

/** The MISP event parser. */
export const mispFeed: FeedParser = {
  kind: 'misp',
  parse(context) {
    const problems: FeedProblem[] = [];
    let doc: unknown;
    try {
      doc = JSON.parse(context.text);
    } catch (err) {
      const source = context.source ?? `misp:${baseName(context.file)}`;
      return { feed: 'misp', source, indicators: [], problems: [{ code: 'INTEL_BAD_LINE', ...jsonSyntaxProblem(context.text, err) }], meta: {}, entries: 1 };
    }
    const events = eventsOf(doc);
    // One event is one source (reloading an updated event expires what it dropped).
    const source = context.source ?? (events.length === 1 && typeof events[0]!.uuid === 'string' ? `misp:${events[0]!.uuid}` : `misp:${baseName(context.file)}`);
    const defaults: IndicatorDefaults = { source, kind: context.kind, feed: 'misp', file: context.file };
    const locate = new JsonLineLocator(context.text);
    const byKey = new Map<string, Indicator>();
    const skipped = new Map<string, { count: number; line: number }>();
    let entries = 0;
    let generatedAt: number | null = null;
    for (const event of events) {
      const eventTags = tagNames(event);
      const galaxyTags = Array.isArray(event.Galaxy)
        ? (event.Galaxy as Json[]).flatMap((g) => (Array.isArray(g.GalaxyCluster) ? (g.GalaxyCluster as Json[]).map((c) => String(c.tag_name ?? '')) : []))
        : [];
      const eventFamily = familyFromTags([...eventTags, ...galaxyTags]);
      const eventTime = parseFeedTime(event.timestamp as string);
      if (eventTime !== null && (generatedAt === null || eventTime > generatedAt)) generatedAt = eventTime;
      const attributes: { a: Json; object?: string }[] = [];
      for (const a of (event.Attribute as Json[] | undefined) ?? []) attributes.push({ a });
      for (const o of (event.Object as Json[] | undefined) ?? []) for (const a of (o.Attribute as Json[] | undefined) ?? []) attributes.push({ a, object: String(o.name ?? '') });
      for (const { a, object } of attributes) {
        entries++;
        const type = String(a.type ?? '');
        const valueText = String(a.value ?? '');
        const line = locate.findString(valueText);
        if (a.deleted === true) continue;
        const readers = ATTRIBUTE_TYPES[type];
        if (!readers || readers.length === 0) {
          const s = skipped.get(type) ?? { count: 0, line };
          s.count++;
          skipped.set(type, s);
          continue;
        }
        const attrTags = tagNames(a);
        const tags = [...new Set([...eventTags, ...attrTags].map((t) => t.toLowerCase()))];
        for (const r of readers) {
          const part = r.part === undefined ? valueText : valueText.split('|')[r.part] ?? '';
          const v = readValue(r.type, part);
          if (!v) {
            problems.push({ code: 'INTEL_BAD_VALUE', line, message: `${type} attribute '${valueText.slice(0, 80)}' is not a valid value` });
            continue;
          }
          const attrs: Record<string, string> = { misp_type: type, category: String(a.category ?? ''), event_info: String(event.info ?? '') };
          if (typeof a.uuid === 'string') attrs.attribute_uuid = a.uuid;
          if (typeof a.comment === 'string' && a.comment !== '') attrs.comment = a.comment;
          if (object) attrs.object = object;
          const indicator = makeIndicator(v, line, JSON.stringify({ type, value: valueText, to_ids: a.to_ids ?? false }), defaults, {
            family: familyFromTags(attrTags) ?? eventFamily,
            tags,
            confidence: certainty(attrTags) ?? certainty(eventTags),
            reference: typeof event.uuid === 'string' ? `misp:event:${event.uuid}` : null,
            attrs,
            detect: a.to_ids === true,
            firstSeen: parseFeedTime(a.first_seen as string) ?? parseFeedTime(event.date as string),
            lastSeen: parseFeedTime(a.last_seen as string) ?? parseFeedTime(a.timestamp as string),
          });
          const key = `${v.type} ${v.value}`;
          const previous = byKey.get(key);
          // The same value twice (an attribute and an object attribute): detect if either says so.
          if (!previous) byKey.set(key, indicator);
          else if (!previous.detect && indicator.detect) byKey.set(key, { ...previous, detect: true });
        }
      }
    }
    for (const [type, s] of skipped) {
      problems.push({ code: 'INTEL_UNSUPPORTED', line: s.line, message: `${s.count} '${type}' attribute${s.count === 1 ? '' : 's'} skipped: not a network or hash indicator` });
    }
    const title = events.length === 1 ? String(events[0]!.info ?? '') : `${events.length} MISP events`;
    return { feed: 'misp', source, indicators: [...byKey.values()], problems, meta: { generatedAt, title }, entries };
  },
};
