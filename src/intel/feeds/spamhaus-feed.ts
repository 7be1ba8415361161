// Spamhaus DROP, EDROP and DROPv6: the text lists (`CIDR ; SBLnnn`, `;` comments) and the JSON
// lines form (`{"cidr":..,"sblid":..,"rir":..}` plus ASN-DROP `{"asn":..}` and a metadata line).

import { classifyValue, parseFeedTime, parseValue, type Indicator } from '../indicator.js';
import { baseName, makeIndicator, splitLines, type FeedContext, type FeedParser, type FeedProblem, type IndicatorDefaults } from '../feed-parser.js';

/** The source name from the list's own title line, else from the file name. */
function sourceName(text: string, file: string): string {
  const head = text.slice(0, 400);
  if (/IPv6 DROP/i.test(head)) return 'spamhaus:dropv6';
  if (/EDROP/i.test(head)) return 'spamhaus:edrop';
  if (/ASN-?DROP/i.test(head)) return 'spamhaus:asndrop';
  if (/DROP List/i.test(head)) return 'spamhaus:drop';
  return `spamhaus:${baseName(file).toLowerCase()}`;
}

// Spamhaus says DROP ranges carry no legitimate traffic: drop all of it.
const CONFIDENCE = 100;

function parseText(context: FeedContext, defaults: IndicatorDefaults, problems: FeedProblem[]) {
  const indicators: Indicator[] = [];
  let generatedAt: number | null = null;
  let title: string | undefined;
  let entries = 0;
  splitLines(context.text).forEach((line, i) => {
    const n = i + 1;
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (trimmed.startsWith(';') || trimmed.startsWith('#')) {
      const modified = /Last-Modified:\s*(.+)$/i.exec(trimmed);
      if (modified) {
        const ms = Date.parse(modified[1]!);
        if (!Number.isNaN(ms)) generatedAt = ms;
      }
      if (title === undefined && /Spamhaus/i.test(trimmed)) title = trimmed.replace(/^[;#]\s*/, '');
      return;
    }
    entries++;
    const [valueText, comment] = trimmed.split(';', 2).map((s) => s.trim());
    const v = classifyValue(valueText!);
    if (!v || (v.type !== 'cidr' && v.type !== 'ip')) {
      problems.push({ code: 'INTEL_BAD_VALUE', line: n, message: `'${valueText}' is not a CIDR network` });
      return;
    }
    const sbl = /SBL\d+/i.exec(comment ?? '')?.[0]?.toUpperCase() ?? null;
    indicators.push(makeIndicator(v, n, line, defaults, { tags: ['drop'], confidence: CONFIDENCE, reference: sbl }));
  });
  return { indicators, generatedAt, title, entries };
}

function parseJsonLines(context: FeedContext, defaults: IndicatorDefaults, problems: FeedProblem[]) {
  const indicators: Indicator[] = [];
  let generatedAt: number | null = null;
  let entries = 0;
  splitLines(context.text).forEach((line, i) => {
    const n = i + 1;
    if (line.trim() === '') return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      entries++;
      problems.push({ code: 'INTEL_BAD_LINE', line: n, message: `invalid JSON: ${(err as Error).message}` });
      return;
    }
    if (o.type === 'metadata') {
      generatedAt = parseFeedTime(o.timestamp as number);
      return;
    }
    entries++;
    const attrs: Record<string, string> = {};
    for (const k of ['rir', 'domain', 'cc', 'asname']) if (typeof o[k] === 'string' && o[k] !== '') attrs[k] = o[k] as string;
    if (o.asn !== undefined) {
      const v = parseValue('asn', String(o.asn));
      if (!v) problems.push({ code: 'INTEL_BAD_VALUE', line: n, message: `'${String(o.asn)}' is not an AS number` });
      else indicators.push(makeIndicator(v, n, line, defaults, { tags: ['drop'], confidence: CONFIDENCE, attrs }));
      return;
    }
    const cidr = typeof o.cidr === 'string' ? classifyValue(o.cidr) : undefined;
    if (!cidr || (cidr.type !== 'cidr' && cidr.type !== 'ip')) {
      problems.push({ code: 'INTEL_BAD_VALUE', line: n, message: `'${String(o.cidr)}' is not a CIDR network` });
      return;
    }
    const sbl = typeof o.sblid === 'string' ? o.sblid.toUpperCase() : null;
    indicators.push(makeIndicator(cidr, n, line, defaults, { tags: ['drop'], confidence: CONFIDENCE, reference: sbl, attrs }));
  });
  return { indicators, generatedAt, title: undefined, entries };
}

/** The Spamhaus DROP family parser (text or JSON lines, told by the first character). */
export const spamhausFeed: FeedParser = {
  kind: 'spamhaus',
  parse(context) {
    const source = context.source ?? sourceName(context.text, context.file);
    const defaults: IndicatorDefaults = { source, kind: context.kind, feed: 'spamhaus', file: context.file };
    const problems: FeedProblem[] = [];
    const r = /^\s*\{/.test(context.text) ? parseJsonLines(context, defaults, problems) : parseText(context, defaults, problems);
    return { feed: 'spamhaus', source, indicators: r.indicators, problems, meta: { generatedAt: r.generatedAt, title: r.title }, entries: r.entries };
  },
};
