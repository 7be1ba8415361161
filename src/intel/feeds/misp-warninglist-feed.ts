// MISP warninglists (`{"name", "type": cidr|string|hostname|substring|regex, "list": [...]}`):
// known-good values (public resolvers, CDNs, cloud ranges) loaded as allow-list entries.

import { classifyValue, parseValue, type Indicator } from '../indicator.js';
import { jsonSyntaxProblem, makeIndicator, shown, type FeedParser, type FeedProblem, type IndicatorDefaults } from '../feed-parser.js';
import { isJsonObject, jsonTypeName, parseLocatedJson, type LocatedJson } from '../json-locations.js';

/** The list types MISP defines; anything else cannot be told how to match. */
const LIST_TYPES = ['cidr', 'string', 'hostname', 'substring', 'regex'];

/** A short, stable source name from the list's name ("List of known Google domains" -> google-domains). */
function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/^list of (known )?/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

/** The MISP warninglist parser. Entries are `allow` whatever the caller asked: that is what a warninglist is. */
export const mispWarninglistFeed: FeedParser = {
  kind: 'misp-warninglist',
  parse(context) {
    const problems: FeedProblem[] = [];
    let located: LocatedJson;
    try {
      located = parseLocatedJson(context.text);
    } catch (err) {
      return { feed: 'misp-warninglist', source: context.source ?? 'warninglist', indicators: [], problems: [{ code: 'INTEL_BAD_LINE', ...jsonSyntaxProblem(context.text, err) }], meta: {}, entries: 1 };
    }
    const doc = isJsonObject(located.value) ? located.value : {};
    const name = String(doc.name ?? 'warninglist');
    const source = context.source ?? `warninglist:${slug(name)}`;
    // A type or list that is not what MISP writes leaves nothing to read: one problem, the whole
    // file refused (the type says how every entry matches; guessing would allow the wrong values).
    const unreadable = !isJsonObject(located.value)
      ? { line: 1, message: `the document is ${jsonTypeName(located.value)}, not a warninglist object` }
      : doc.type !== undefined && (typeof doc.type !== 'string' || !LIST_TYPES.includes(doc.type))
        ? { line: located.memberLine(doc, 'type'), message: `warninglist type ${JSON.stringify(doc.type)} is not one of ${LIST_TYPES.join(', ')}` }
        : !Array.isArray(doc.list)
          ? { line: located.memberLine(doc, 'list'), message: doc.list === undefined ? 'no "list" of entries' : `"list" is ${jsonTypeName(doc.list)}, not a list of entries` }
          : undefined;
    if (unreadable) return { feed: 'misp-warninglist', source, indicators: [], problems: [{ code: 'INTEL_BAD_LINE', ...unreadable }], meta: { title: name }, entries: 1, incomplete: unreadable.message };
    const listType = (doc.type as string | undefined) ?? 'string';
    const defaults: IndicatorDefaults = { source, kind: 'allow', feed: 'misp-warninglist', file: context.file, family: slug(name) };
    const list = doc.list as unknown[];
    const byKey = new Map<string, Indicator>();
    list.forEach((item, k) => {
      const line = located.elementLine(list, k);
      if (typeof item !== 'string') {
        problems.push({ code: 'INTEL_BAD_VALUE', line, message: `list entry ${k + 1} is ${jsonTypeName(item)}${item === null ? '' : ` (${JSON.stringify(item)})`}, not a text` });
        return;
      }
      const text = item;
      if (listType === 'substring' || listType === 'regex') {
        problems.push({ code: 'INTEL_UNSUPPORTED', line, message: `${listType} warninglist entries cannot be matched exactly: ${shown(text)}` });
        return;
      }
      // hostname lists match subdomains (".example.com" entries say so explicitly).
      const v = listType === 'hostname' ? parseValue('domain', text.replace(/^\./, '')) : classifyValue(text.replace(/^\./, ''));
      if (!v) {
        problems.push({ code: 'INTEL_BAD_VALUE', line, message: `${shown(text)} is not an address, network or domain` });
        return;
      }
      const attrs: Record<string, string> = { list_name: name, list_type: listType };
      if (doc.version !== undefined) attrs.version = String(doc.version);
      const key = `${v.type} ${v.value}`;
      if (!byKey.has(key)) byKey.set(key, makeIndicator(v, line, JSON.stringify(text), defaults, { tags: ['allow'], attrs, reference: name }));
    });
    return { feed: 'misp-warninglist', source, indicators: [...byKey.values()], problems, meta: { title: name }, entries: list.length };
  },
};
