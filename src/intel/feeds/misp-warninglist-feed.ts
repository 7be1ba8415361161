// MISP warninglists (`{"name", "type": cidr|string|hostname|substring|regex, "list": [...]}`):
// known-good values (public resolvers, CDNs, cloud ranges) loaded as allow-list entries.

import { classifyValue, parseValue, type Indicator } from '../indicator.js';
import { JsonLineLocator, jsonSyntaxProblem, makeIndicator, type FeedParser, type FeedProblem, type IndicatorDefaults } from '../feed-parser.js';

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
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(context.text) as Record<string, unknown>;
    } catch (err) {
      return { feed: 'misp-warninglist', source: context.source ?? 'warninglist', indicators: [], problems: [{ code: 'INTEL_BAD_LINE', ...jsonSyntaxProblem(context.text, err) }], meta: {}, entries: 1 };
    }
    const name = String(doc.name ?? 'warninglist');
    const listType = String(doc.type ?? 'string');
    const source = context.source ?? `warninglist:${slug(name)}`;
    const defaults: IndicatorDefaults = { source, kind: 'allow', feed: 'misp-warninglist', file: context.file, family: slug(name) };
    const locate = new JsonLineLocator(context.text);
    const list = Array.isArray(doc.list) ? doc.list : [];
    const byKey = new Map<string, Indicator>();
    for (const item of list) {
      const text = String(item);
      const line = locate.findString(text);
      if (listType === 'substring' || listType === 'regex') {
        problems.push({ code: 'INTEL_UNSUPPORTED', line, message: `${listType} warninglist entries cannot be matched exactly: '${text.slice(0, 60)}'` });
        continue;
      }
      // hostname lists match subdomains (".example.com" entries say so explicitly).
      const v = listType === 'hostname' ? parseValue('domain', text.replace(/^\./, '')) : classifyValue(text.replace(/^\./, ''));
      if (!v) {
        problems.push({ code: 'INTEL_BAD_VALUE', line, message: `'${text.slice(0, 80)}' is not an address, network or domain` });
        continue;
      }
      const attrs: Record<string, string> = { list_name: name, list_type: listType };
      if (doc.version !== undefined) attrs.version = String(doc.version);
      const key = `${v.type} ${v.value}`;
      if (!byKey.has(key)) byKey.set(key, makeIndicator(v, line, JSON.stringify(text), defaults, { tags: ['allow'], attrs, reference: name }));
    }
    return { feed: 'misp-warninglist', source, indicators: [...byKey.values()], problems, meta: { title: name }, entries: list.length };
  },
};
