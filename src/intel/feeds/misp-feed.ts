// MISP events in the core JSON format (`{"Event": {...}}`, a bare event, or `{"response":
// [...]}`): network and hash attributes, in the event and in its objects, with their to_ids flag.

import { parseValue, type Indicator, type IndicatorType, type ParsedValue } from '../indicator.js';
import {
  baseName,
  familyOf,
  jsonSyntaxProblem,
  makeIndicator,
  readConfidence,
  readTime,
  readTimes,
  shown,
  type FeedParser,
  type FeedProblem,
  type IndicatorDefaults,
} from '../feed-parser.js';
import { isJsonObject, jsonTypeName, parseLocatedJson, type LocatedJson } from '../json-locations.js';

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

/** The `osint:certainty` tag's value: null without one, undefined when it is not 0-100. */
function certainty(tags: readonly string[]): { value: number | null | undefined; tag?: string } {
  for (const t of tags) {
    const m = /^osint:certainty="(\d+(?:\.\d+)?)"$/.exec(t);
    if (m) return { value: readConfidence(m[1]), tag: t };
  }
  return { value: null };
}

/**
 * Reads a MISP document's events and lists, reporting what is not what MISP writes: an entry
 * that is not an object is one rejected entry; a list that is not a list (`"Attribute":
 * "notalist"`) loses what it held, so the feed is marked incomplete and nothing expires.
 */
class MispReader {
  readonly problems: FeedProblem[] = [];
  readonly incomplete: string[] = [];
  /** Attribute list items that were not objects: entries, rejected. */
  rejectedAttributes = 0;

  constructor(readonly doc: LocatedJson) {}

  /** The objects of `owner[key]` with their paths (absent or null: none), each non-object reported. */
  list(owner: Json, key: string, where: string, what: string): { item: Json; path: string }[] {
    const v = owner[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      const message = `${where}.${key} is ${jsonTypeName(v)}, not a list of ${what}s`;
      this.problems.push({ code: 'INTEL_BAD_LINE', line: this.doc.memberLine(owner, key), message });
      this.incomplete.push(message);
      return [];
    }
    const out: { item: Json; path: string }[] = [];
    v.forEach((item, k) => {
      const path = `${where}.${key}[${k}]`;
      if (isJsonObject(item)) out.push({ item, path });
      else {
        if (key === 'Attribute') this.rejectedAttributes++;
        this.problems.push({ code: 'INTEL_BAD_LINE', line: this.doc.elementLine(v, k), message: `${path} is ${jsonTypeName(item)}, not ${/^[aeiou]/i.test(what) ? 'an' : 'a'} ${what}` });
      }
    });
    return out;
  }

  /** The tag names of an event or attribute. */
  tagNames(o: Json, where: string): string[] {
    return this.list(o, 'Tag', where, 'tag')
      .map(({ item: t }) => (typeof t.name === 'string' ? t.name : ''))
      .filter((t) => t !== '');
  }

  /** The events of a MISP JSON document, whatever its wrapping. */
  events(doc: unknown, where: string): Json[] {
    if (Array.isArray(doc)) {
      return doc.flatMap((item, k) => {
        if (isJsonObject(item) || Array.isArray(item)) return this.events(item, `${where}[${k}]`);
        this.problems.push({ code: 'INTEL_BAD_LINE', line: this.doc.elementLine(doc, k), message: `${where}[${k}] is ${jsonTypeName(item)}, not an event` });
        return [];
      });
    }
    if (!isJsonObject(doc)) return [];
    if (doc.Event !== undefined) {
      if (isJsonObject(doc.Event)) return [doc.Event];
      const message = `Event is ${jsonTypeName(doc.Event)}, not an event object`;
      this.problems.push({ code: 'INTEL_BAD_LINE', line: this.doc.memberLine(doc, 'Event'), message });
      this.incomplete.push(message);
      return [];
    }
    if (doc.response !== undefined) {
      if (Array.isArray(doc.response)) return this.events(doc.response, 'response');
      const message = `response is ${jsonTypeName(doc.response)}, not a list of events`;
      this.problems.push({ code: 'INTEL_BAD_LINE', line: this.doc.memberLine(doc, 'response'), message });
      this.incomplete.push(message);
      return [];
    }
    return 'Attribute' in doc || 'Object' in doc ? [doc] : [];
  }
}

/** The MISP event parser. */
export const mispFeed: FeedParser = {
  kind: 'misp',
  parse(context) {
    let doc: LocatedJson;
    try {
      doc = parseLocatedJson(context.text);
    } catch (err) {
      const source = context.source ?? `misp:${baseName(context.file)}`;
      return { feed: 'misp', source, indicators: [], problems: [{ code: 'INTEL_BAD_LINE', ...jsonSyntaxProblem(context.text, err) }], meta: {}, entries: 1 };
    }
    const read = new MispReader(doc);
    const problems = read.problems;
    const events = read.events(doc.value, 'document');
    // One event is one source (reloading an updated event expires what it dropped).
    const source = context.source ?? (events.length === 1 && typeof events[0]!.uuid === 'string' ? `misp:${events[0]!.uuid}` : `misp:${baseName(context.file)}`);
    const defaults: IndicatorDefaults = { source, kind: context.kind, feed: 'misp', file: context.file };
    const byKey = new Map<string, Indicator>();
    const skipped = new Map<string, { count: number; line: number }>();
    let entries = 0;
    let generatedAt: number | null = null;
    for (const event of events) {
      const eventTags = read.tagNames(event, 'Event');
      const galaxyTags = read
        .list(event, 'Galaxy', 'Event', 'galaxy')
        .flatMap(({ item, path }) => read.list(item, 'GalaxyCluster', path, 'galaxy cluster'))
        .map(({ item: c }) => (typeof c.tag_name === 'string' ? c.tag_name : ''));
      const eventFamily = familyFromTags([...eventTags, ...galaxyTags]);
      // The event's own fields apply to all its attributes: a bad one is reported once and left
      // out (its attributes still load), where a bad attribute field rejects that attribute.
      const eventCertainty = certainty(eventTags);
      if (eventCertainty.value === undefined) {
        problems.push({ code: 'INTEL_BAD_VALUE', line: doc.memberLine(event, 'Tag'), message: `event tag ${shown(eventCertainty.tag!)} is not a certainty from 0 to 100: left out` });
      }
      const eventTime = readTime(event.timestamp);
      const eventDate = readTime(event.date);
      for (const [field, ms] of [['timestamp', eventTime], ['date', eventDate]] as const) {
        if (ms === undefined) problems.push({ code: 'INTEL_BAD_VALUE', line: doc.memberLine(event, field), message: `event ${field} ${JSON.stringify(event[field])} is not a date/time: left out` });
      }
      if (typeof eventTime === 'number' && (generatedAt === null || eventTime > generatedAt)) generatedAt = eventTime;
      const attributes: { a: Json; path: string; object?: string }[] = [];
      for (const { item, path } of read.list(event, 'Attribute', 'Event', 'attribute')) attributes.push({ a: item, path });
      for (const { item: o, path: objectPath } of read.list(event, 'Object', 'Event', 'MISP object')) {
        for (const { item, path } of read.list(o, 'Attribute', objectPath, 'attribute')) attributes.push({ a: item, path, object: String(o.name ?? '') });
      }
      for (const { a, path, object } of attributes) {
        entries++;
        if (a.deleted === true) continue;
        const line = doc.memberLine(a, a.value === undefined ? 'type' : 'value');
        if (typeof a.type !== 'string') {
          problems.push({ code: 'INTEL_BAD_LINE', line, message: a.type === undefined ? 'attribute without a type' : `attribute type is ${jsonTypeName(a.type)}, not a text` });
          continue;
        }
        const type = a.type;
        const readers = ATTRIBUTE_TYPES[type];
        if (!readers || readers.length === 0) {
          const s = skipped.get(type) ?? { count: 0, line };
          s.count++;
          skipped.set(type, s);
          continue;
        }
        if (typeof a.value !== 'string') {
          const message = a.value === undefined ? `${type} attribute without a value` : `${type} attribute value is ${jsonTypeName(a.value)}${a.value === null ? '' : ` (${JSON.stringify(a.value)})`}, not a text`;
          problems.push({ code: a.value === undefined ? 'INTEL_BAD_LINE' : 'INTEL_BAD_VALUE', line, message });
          continue;
        }
        const valueText = a.value;
        const attrTags = read.tagNames(a, path);
        const attrCertainty = certainty(attrTags);
        if (attrCertainty.value === undefined) {
          problems.push({ code: 'INTEL_BAD_VALUE', line: doc.memberLine(a, 'Tag'), message: `${type} attribute ${shown(valueText)}: tag ${shown(attrCertainty.tag!)} is not a certainty from 0 to 100` });
          continue;
        }
        const { times, bad } = readTimes({ first_seen: a.first_seen, last_seen: a.last_seen, timestamp: a.timestamp });
        if (bad) {
          problems.push({ code: 'INTEL_BAD_VALUE', line: doc.memberLine(a, bad.field), message: `${type} attribute ${shown(valueText)}: ${bad.message}` });
          continue;
        }
        const tags = [...new Set([...eventTags, ...attrTags].map((t) => t.toLowerCase()))];
        for (const r of readers) {
          const part = r.part === undefined ? valueText : valueText.split('|')[r.part] ?? '';
          const v = readValue(r.type, part);
          if (!v) {
            problems.push({ code: 'INTEL_BAD_VALUE', line, message: `${type} attribute ${shown(valueText)} is not a valid value` });
            continue;
          }
          const attrs: Record<string, string> = { misp_type: type, category: String(a.category ?? ''), event_info: String(event.info ?? '') };
          if (typeof a.uuid === 'string') attrs.attribute_uuid = a.uuid;
          if (typeof a.comment === 'string' && a.comment !== '') attrs.comment = a.comment;
          if (object) attrs.object = object;
          const indicator = makeIndicator(v, line, JSON.stringify({ type, value: valueText, to_ids: a.to_ids ?? false }), defaults, {
            family: familyFromTags(attrTags) ?? eventFamily,
            tags,
            confidence: attrCertainty.value ?? eventCertainty.value ?? null,
            reference: typeof event.uuid === 'string' ? `misp:event:${event.uuid}` : null,
            attrs,
            detect: a.to_ids === true,
            firstSeen: times.first_seen ?? eventDate ?? null,
            lastSeen: times.last_seen ?? times.timestamp,
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
    return {
      feed: 'misp',
      source,
      indicators: [...byKey.values()],
      problems,
      meta: { generatedAt, title },
      entries: entries + read.rejectedAttributes,
      ...(read.incomplete.length > 0 ? { incomplete: read.incomplete.join('; ') } : {}),
    };
  },
};
