// Spamhaus DROP, EDROP and DROPv6: the text lists (`CIDR ; SBLnnn`, `;` comments) and the JSON
// lines form (`{"cidr":..,"sblid":..,"rir":..}` plus ASN-DROP `{"asn":..}` and a metadata line).

import { classifyValue, parseFeedTime, parseValue, type Indicator } from '../indicator.js';
import {
  baseName,
  cutLastLineProblem,
  linesOfDeclaredFeed,
  makeIndicator,
  shown,
  type FeedContext,
  type FeedParser,
  type FeedProblem,
  type IndicatorDefaults,
} from '../feed-parser.js';
import { isJsonObject, jsonTypeName } from '../json-locations.js';

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

/**
 * Whether a text list ends with `; EOF`: the lists Spamhaus publishes since 2024 do (DROP and
 * DROPv6 of 2025 in the shared data), the older ones did not (EDROP of 2023-12-02). Told by the
 * date in the title line (`; Spamhaus DROP List 2025/01/17 - ...`); lists without a dated
 * title (hand-made ones) are not held to it.
 */
function endsWithEof(text: string): boolean {
  const year = /^;\s*Spamhaus\b.*\bList\s+(\d{4})[/-]\d{2}[/-]\d{2}/im.exec(text.slice(0, 400))?.[1];
  return year !== undefined && Number(year) >= 2024;
}

function parseText(context: FeedContext, defaults: IndicatorDefaults, problems: FeedProblem[]) {
  const indicators: Indicator[] = [];
  let generatedAt: number | null = null;
  let title: string | undefined;
  let entries = 0;
  const eofDeclared = endsWithEof(context.text);
  let eofLine: number | undefined;
  let lastEntryLine = 0;
  const { lines, lastLineOpen } = linesOfDeclaredFeed(context.text);
  lines.forEach((line, i) => {
    const n = i + 1;
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (trimmed.startsWith(';') || trimmed.startsWith('#')) {
      if (/^;\s*EOF$/i.test(trimmed)) eofLine = n;
      const modified = /Last-Modified:\s*(.+)$/i.exec(trimmed);
      if (modified) {
        const ms = Date.parse(modified[1]!);
        if (!Number.isNaN(ms)) generatedAt = ms;
      }
      if (title === undefined && /Spamhaus/i.test(trimmed)) title = trimmed.replace(/^[;#]\s*/, '');
      return;
    }
    entries++;
    lastEntryLine = n;
    if (n === lines.length && lastLineOpen && eofDeclared) {
      problems.push(cutLastLineProblem(n, line));
      return;
    }
    const [valueText, comment] = trimmed.split(';', 2).map((s) => s.trim());
    const v = classifyValue(valueText!);
    if (!v || (v.type !== 'cidr' && v.type !== 'ip')) {
      problems.push({ code: 'INTEL_BAD_VALUE', line: n, message: `${shown(valueText!)} is not a CIDR network` });
      return;
    }
    const sbl = /SBL\d+/i.exec(comment ?? '')?.[0]?.toUpperCase() ?? null;
    indicators.push(makeIndicator(v, n, line, defaults, { tags: ['drop'], confidence: CONFIDENCE, reference: sbl }));
  });
  let incomplete: string | undefined;
  if (eofLine !== undefined && lastEntryLine > eofLine) incomplete = `entries follow its '; EOF' line (line ${eofLine})`;
  else if (eofLine === undefined && eofDeclared) incomplete = `cut short: no '; EOF' line after the last entry (line ${lastEntryLine})`;
  return { indicators, generatedAt, title, entries, incomplete };
}

/**
 * The JSON lines form ends with a metadata line counting the records (`{"type":"metadata",
 * "timestamp":..,"records":N}`): without it, or with another count, the file was cut short.
 */
function parseJsonLines(context: FeedContext, defaults: IndicatorDefaults, problems: FeedProblem[]) {
  const indicators: Indicator[] = [];
  let generatedAt: number | null = null;
  let entries = 0;
  let records: unknown;
  let metadataLine: number | undefined;
  const { lines, lastLineOpen } = linesOfDeclaredFeed(context.text);
  lines.forEach((line, i) => {
    const n = i + 1;
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      entries++;
      problems.push({ code: 'INTEL_BAD_LINE', line: n, message: `invalid JSON: ${(err as Error).message}` });
      return;
    }
    if (!isJsonObject(parsed)) {
      entries++;
      problems.push({ code: 'INTEL_BAD_LINE', line: n, message: `the line is ${jsonTypeName(parsed)}, not a record object` });
      return;
    }
    const o = parsed;
    if (o.type === 'metadata') {
      generatedAt = parseFeedTime(o.timestamp as number);
      records = o.records;
      metadataLine = n;
      return;
    }
    entries++;
    if (n === lines.length && lastLineOpen) {
      problems.push(cutLastLineProblem(n, line));
      return;
    }
    const attrs: Record<string, string> = {};
    for (const k of ['rir', 'domain', 'cc', 'asname']) if (typeof o[k] === 'string' && o[k] !== '') attrs[k] = o[k] as string;
    if (o.asn !== undefined) {
      const v = parseValue('asn', String(o.asn));
      if (!v) problems.push({ code: 'INTEL_BAD_VALUE', line: n, message: `${shown(String(o.asn))} is not an AS number` });
      else indicators.push(makeIndicator(v, n, line, defaults, { tags: ['drop'], confidence: CONFIDENCE, attrs }));
      return;
    }
    const cidr = typeof o.cidr === 'string' ? classifyValue(o.cidr) : undefined;
    if (!cidr || (cidr.type !== 'cidr' && cidr.type !== 'ip')) {
      problems.push({ code: 'INTEL_BAD_VALUE', line: n, message: `${shown(typeof o.cidr === 'string' ? o.cidr : JSON.stringify(o.cidr) ?? 'nothing')} is not a CIDR network` });
      return;
    }
    const sbl = typeof o.sblid === 'string' ? o.sblid.toUpperCase() : null;
    indicators.push(makeIndicator(cidr, n, line, defaults, { tags: ['drop'], confidence: CONFIDENCE, reference: sbl, attrs }));
  });
  let incomplete: string | undefined;
  if (metadataLine === undefined) incomplete = `cut short: no metadata line ({"type":"metadata",...,"records":N}) after the last record (line ${lines.length})`;
  else if (records !== entries) incomplete = `its metadata line (line ${metadataLine}) counts ${JSON.stringify(records) ?? 'no'} records, ${entries} read`;
  return { indicators, generatedAt, title: undefined, entries, incomplete };
}

/** The Spamhaus DROP family parser (text or JSON lines, told by the first character). */
export const spamhausFeed: FeedParser = {
  kind: 'spamhaus',
  parse(context) {
    const source = context.source ?? sourceName(context.text, context.file);
    const defaults: IndicatorDefaults = { source, kind: context.kind, feed: 'spamhaus', file: context.file };
    const problems: FeedProblem[] = [];
    const r = /^\s*\{/.test(context.text) ? parseJsonLines(context, defaults, problems) : parseText(context, defaults, problems);
    return {
      feed: 'spamhaus',
      source,
      indicators: r.indicators,
      problems,
      meta: { generatedAt: r.generatedAt, title: r.title },
      entries: r.entries,
      ...(r.incomplete ? { incomplete: r.incomplete } : {}),
    };
  },
};
