// STIX 2.1 (and 2.0) bundles: every `indicator` with a STIX pattern becomes one indicator per
// matchable value; the family comes from the malware or actor it `indicates`. Patterns in other
// languages, and the parts of STIX patterns flows cannot show, are reported.

import { parseFeedTime, parseValue, type Indicator } from '../indicator.js';
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
import { readStixPattern, StixPatternError } from './stix-pattern.js';

type StixObject = Record<string, unknown> & { type?: string; id?: string };

/** The name of what an indicator indicates: malware first, then actors and campaigns. */
function familyFor(indicator: StixObject, byId: Map<string, StixObject>, indicates: Map<string, string[]>): string | null {
  const targets = (indicates.get(indicator.id ?? '') ?? []).map((id) => byId.get(id)).filter((o): o is StixObject => o !== undefined);
  const rank = ['malware', 'intrusion-set', 'threat-actor', 'campaign', 'tool', 'infrastructure'];
  targets.sort((a, b) => rank.indexOf(a.type ?? '') - rank.indexOf(b.type ?? ''));
  return familyOf(targets[0]?.name);
}

/** The STIX bundle parser. */
export const stixFeed: FeedParser = {
  kind: 'stix',
  parse(context) {
    const source = context.source ?? `stix:${baseName(context.file)}`;
    const defaults: IndicatorDefaults = { source, kind: context.kind, feed: 'stix', file: context.file };
    const problems: FeedProblem[] = [];
    let bundle: StixObject;
    try {
      bundle = JSON.parse(context.text) as StixObject;
    } catch (err) {
      return { feed: 'stix', source, indicators: [], problems: [{ code: 'INTEL_BAD_LINE', ...jsonSyntaxProblem(context.text, err) }], meta: {}, entries: 1 };
    }
    const objects = (Array.isArray(bundle.objects) ? bundle.objects : bundle.type === 'indicator' ? [bundle] : []) as StixObject[];
    const byId = new Map(objects.filter((o) => typeof o.id === 'string').map((o) => [o.id!, o]));
    const indicates = new Map<string, string[]>();
    for (const o of objects) {
      if (o.type === 'relationship' && o.relationship_type === 'indicates' && typeof o.source_ref === 'string' && typeof o.target_ref === 'string') {
        indicates.set(o.source_ref, [...(indicates.get(o.source_ref) ?? []), o.target_ref]);
      }
    }
    const locate = new JsonLineLocator(context.text);
    const byKey = new Map<string, Indicator>();
    let entries = 0;
    for (const o of objects) {
      if (o.type !== 'indicator') continue;
      entries++;
      const pattern = typeof o.pattern === 'string' ? o.pattern : '';
      const line = locate.findString(pattern) || locate.findString(o.id ?? '');
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
      const labels = [...((o.indicator_types as string[] | undefined) ?? []), ...((o.labels as string[] | undefined) ?? [])].map((l) => String(l).toLowerCase());
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
          confidence: confidenceOf(o.confidence),
          reference: String(o.id ?? ''),
          attrs,
          firstSeen: parseFeedTime(o.valid_from as string) ?? parseFeedTime(o.created as string),
          lastSeen: parseFeedTime(o.modified as string),
          validUntil: parseFeedTime(o.valid_until as string),
        });
        if (!byKey.has(`${v.type} ${v.value}`)) byKey.set(`${v.type} ${v.value}`, indicator);
      }
    }
    const title = objects.find((o) => o.type === 'report')?.name;
    return { feed: 'stix', source, indicators: [...byKey.values()], problems, meta: { title: typeof title === 'string' ? title : `STIX bundle ${String(bundle.id ?? '')}` }, entries };
  },
};
