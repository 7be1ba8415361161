// Plain lists: one value a line (address, CIDR, address:port, domain, URL, hash), `#` or `;`
// comments, an optional `# comment` after the value. Threat lists by default, or allow-lists.

import { classifyValue, type Indicator } from '../indicator.js';
import { baseName, makeIndicator, shown, splitLines, type FeedParser, type FeedProblem, type IndicatorDefaults } from '../feed-parser.js';

/** The plain list parser; the family and confidence come from the user (`--family`, `--confidence`). */
export const plainListFeed: FeedParser = {
  kind: 'list',
  parse(context) {
    const name = baseName(context.file).toLowerCase();
    const source = context.source ?? `${context.kind === 'allow' ? 'allow' : 'list'}:${name}`;
    const defaults: IndicatorDefaults = {
      source,
      kind: context.kind,
      feed: 'list',
      file: context.file,
      family: context.family ?? null,
      confidence: context.confidence ?? null,
    };
    const problems: FeedProblem[] = [];
    const byKey = new Map<string, Indicator>();
    let entries = 0;
    splitLines(context.text).forEach((line, i) => {
      const n = i + 1;
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';') || trimmed.startsWith('//')) return;
      entries++;
      const cut = trimmed.search(/\s[#;]/);
      const valueText = (cut >= 0 ? trimmed.slice(0, cut) : trimmed).trim();
      const comment = cut >= 0 ? trimmed.slice(cut + 2).trim() : '';
      // The whole text before the comment is the value: `a b` is rejected as a whole, rather
      // than loading `a` and dropping the rest unseen.
      const v = classifyValue(valueText);
      if (!v) {
        problems.push({ code: 'INTEL_BAD_VALUE', line: n, message: `${shown(valueText)} is not an address, network, domain, URL or hash` });
        return;
      }
      const key = `${v.type} ${v.value}`;
      if (!byKey.has(key)) byKey.set(key, makeIndicator(v, n, line, defaults, comment ? { attrs: { comment } } : {}));
    });
    return { feed: 'list', source, indicators: [...byKey.values()], problems, meta: { title: `${context.kind === 'allow' ? 'allow-list' : 'list'} ${name}` }, entries };
  },
};
