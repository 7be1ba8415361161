// STIX 2.1 (and 2.0) bundles: every `indicator` with a STIX pattern becomes one indicator per
// matchable value; the family comes from the malware or actor it `indicates`. Patterns in other
// languages, and the parts of STIX patterns flows cannot show, are reported.

import { parseValue, type Indicator } from '../indicator.js';
import { baseName, familyOf, jsonSyntaxProblem, makeIndicator, readConfidence, readTimes, type FeedParser, type FeedProblem, type IndicatorDefaults } from '../feed-parser.js';
import { isJsonObject, jsonTypeName, parseLocatedJson, type LocatedJson } from '../json-locations.js';
import { readStixPattern, StixPatternError } from './stix-pattern.js';

type StixObject = Record<string, unknown> & { type?: string; id?: string };

/** The name of what an indicator indicates: malware first, then actors and campaigns. */
function familyFor(indicator: StixObject, byId: Map<string, StixObject>, indicates: Map<string, string[]>): string | null {
  const targets = (indicates.get(indicator.id ?? '') ?? []).map((id) => byId.get(id)).filter((o): o is StixObject => o !== undefined);
  const rank = ['malware', 'intrusion-set', 'threat-actor', 'campaign', 'tool', 'infrastructure'];
  targets.sort((a, b) => rank.indexOf(a.type ?? '') - rank.indexOf(b.type ?? ''));
  return familyOf(targets[0]?.name);
}

/** The labels of a list property (`indicator_types`, `labels`), or the reason it is not a list of strings. */
function labelList(o: StixObject, key: string): string[] | string {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return `${key} is ${Array.isArray(v) ? 'a list with non-text items' : jsonTypeName(v)}, not a list of strings`;
  return v.map((l) => l.toLowerCase());
}

/** The STIX bundle parser. */
export const stixFeed: FeedParser = {
  kind: 'stix',
  parse(context) {
    const source = context.source ?? `stix:${baseName(context.file)}`;
    const defaults: IndicatorDefaults = { source, kind: context.kind, feed: 'stix', file: context.file };
    const problems: FeedProblem[] = [];
    let doc: LocatedJson;
    try {
      doc = parseLocatedJson(context.text);
    } catch (err) {
      return { feed: 'stix', source, indicators: [], problems: [{ code: 'INTEL_BAD_LINE', ...jsonSyntaxProblem(context.text, err) }], meta: {}, entries: 1 };
    }
    // A bundle whose objects are not a list has nothing to read: reported, and nothing expires.
    const bundle = doc.value;
    if (!isJsonObject(bundle) || (bundle.objects !== undefined && !Array.isArray(bundle.objects))) {
      const p = !isJsonObject(bundle)
        ? { line: 1, message: `the document is ${jsonTypeName(bundle)}, not a STIX bundle or indicator` }
        : { line: doc.memberLine(bundle, 'objects'), message: `"objects" is ${jsonTypeName(bundle.objects)}, not a list of STIX objects` };
      return { feed: 'stix', source, indicators: [], problems: [{ code: 'INTEL_BAD_LINE', ...p }], meta: {}, entries: 1, incomplete: p.message };
    }
    const listed: unknown[] = Array.isArray(bundle.objects) ? bundle.objects : bundle.type === 'indicator' ? [bundle] : [];
    // `null` or a number where an object should be is one rejected entry, not the end of the load.
    let entries = 0;
    const objects: StixObject[] = [];
    listed.forEach((o, k) => {
      if (isJsonObject(o)) objects.push(o as StixObject);
      else {
        entries++;
        problems.push({ code: 'INTEL_BAD_LINE', line: doc.elementLine(listed, k), message: `objects[${k}] is ${jsonTypeName(o)}, not a STIX object` });
      }
    });
    const byId = new Map(objects.filter((o) => typeof o.id === 'string').map((o) => [o.id!, o]));
    const indicates = new Map<string, string[]>();
    for (const o of objects) {
      if (o.type === 'relationship' && o.relationship_type === 'indicates' && typeof o.source_ref === 'string' && typeof o.target_ref === 'string') {
        indicates.set(o.source_ref, [...(indicates.get(o.source_ref) ?? []), o.target_ref]);
      }
    }
    const byKey = new Map<string, Indicator>();
    for (const o of objects) {
      if (o.type !== 'indicator') continue;
      entries++;
      const line = doc.memberLine(o, o.pattern === undefined ? 'id' : 'pattern');
      if (typeof o.pattern !== 'string') {
        problems.push({ code: 'INTEL_BAD_LINE', line, message: `${o.id}: ${o.pattern === undefined ? 'no pattern' : `pattern is ${jsonTypeName(o.pattern)}, not a text`}` });
        continue;
      }
      const pattern = o.pattern;
      const patternType = typeof o.pattern_type === 'string' ? o.pattern_type : 'stix';
      if (patternType !== 'stix') {
        problems.push({ code: 'INTEL_UNSUPPORTED', line, message: `${o.id}: ${patternType} patterns cannot be matched` });
        continue;
      }
      let terms: ReturnType<typeof readStixPattern>;
      try {
        terms = readStixPattern(pattern);
      } catch (err) {
        problems.push({ code: err instanceof StixPatternError ? 'INTEL_BAD_LINE' : 'INTEL_BAD_VALUE', line, message: `${o.id}: ${(err as Error).message}` });
        continue;
      }
      if (terms.values.length === 0) {
        problems.push({ code: 'INTEL_UNSUPPORTED', line, message: `${o.id}: nothing in the pattern can be matched (${terms.unmatched.join('; ')})` });
        continue;
      }
      if (terms.unmatched.length > 0) {
        problems.push({ code: 'INTEL_UNSUPPORTED', line, message: `${o.id}: loaded its values; these conditions cannot be checked and were left out: ${terms.unmatched.join('; ')}` });
      }
      // Values the indicator gets wrong reject it, rather than being clamped or dropped unseen.
      const confidence = readConfidence(o.confidence);
      if (confidence === undefined) {
        problems.push({ code: 'INTEL_BAD_VALUE', line: doc.memberLine(o, 'confidence'), message: `${o.id}: confidence ${JSON.stringify(o.confidence)} is not a number from 0 to 100` });
        continue;
      }
      const { times, bad } = readTimes({ valid_from: o.valid_from, valid_until: o.valid_until, created: o.created, modified: o.modified });
      if (bad) {
        problems.push({ code: 'INTEL_BAD_VALUE', line: doc.memberLine(o, bad.field), message: `${o.id}: ${bad.message}` });
        continue;
      }
      const types = labelList(o, 'indicator_types');
      const labelled = labelList(o, 'labels');
      if (typeof types === 'string' || typeof labelled === 'string') {
        const key = typeof types === 'string' ? 'indicator_types' : 'labels';
        problems.push({ code: 'INTEL_BAD_VALUE', line: doc.memberLine(o, key), message: `${o.id}: ${typeof types === 'string' ? types : labelled}` });
        continue;
      }
      const labels = [...types, ...(labelled as string[])];
      const attrs: Record<string, string> = { stix_id: String(o.id ?? ''), pattern };
      if (typeof o.name === 'string') attrs.name = o.name;
      if (terms.unmatched.length > 0) attrs.unchecked_conditions = terms.unmatched.join('; ');
      if (terms.qualifiers.length > 0) attrs.qualifiers = terms.qualifiers.join('; ');
      const family = familyFor(o, byId, indicates);
      for (const { value, port } of terms.values) {
        const v = port !== undefined && value.type === 'ip' ? parseValue('ip-port', `${value.value.includes(':') ? `[${value.value}]` : value.value}:${port}`)! : value;
        const indicator = makeIndicator(v, line, pattern, defaults, {
          family,
          tags: [...new Set(labels)],
          confidence,
          reference: String(o.id ?? ''),
          attrs,
          firstSeen: times.valid_from ?? times.created,
          lastSeen: times.modified,
          validUntil: times.valid_until,
        });
        if (!byKey.has(`${v.type} ${v.value}`)) byKey.set(`${v.type} ${v.value}`, indicator);
      }
    }
    const title = objects.find((o) => o.type === 'report')?.name;
    return { feed: 'stix', source, indicators: [...byKey.values()], problems, meta: { title: typeof title === 'string' ? title : `STIX bundle ${String(bundle.id ?? '')}` }, entries };
  },
};
