// abuse.ch Feodo Tracker botnet C2 blocklist, CSV (`ipblocklist.csv`, quoted or the older
// unquoted form with a commented header) and JSON (`ipblocklist.json`).

import { parseValue, parseFeedTime, type Indicator } from '../indicator.js';
import {
  familyOf,
  JsonLineLocator,
  jsonSyntaxProblem,
  makeIndicator,
  splitLines,
  type FeedContext,
  type FeedParser,
  type FeedParseResult,
  type FeedProblem,
  type IndicatorDefaults,
} from '../feed-parser.js';
import { readAbuseChComment } from './abuse-ch-comment.js';
import { splitCsvLine } from './csv-fields.js';

const DEFAULT_COLUMNS = ['first_seen_utc', 'dst_ip', 'dst_port', 'c2_status', 'last_online', 'malware'];

/** One C2 as the two formats describe it. */
interface FeodoEntry {
  ip: string;
  port: string;
  status: string;
  firstSeen: string;
  lastOnline: string;
  malware: string;
  line: number;
  raw: string;
  extra: Record<string, string>;
}

/**
 * Feodo lists C2 addresses to block outright, so each becomes an `ip` indicator (the port the
 * C2 listened on is kept in attrs.ports; an address listed with several ports is one entry).
 * Online C2s get confidence 100, offline ones 75: Feodo only lists servers it verified.
 */
function toIndicators(entries: FeodoEntry[], defaults: IndicatorDefaults, problems: FeedProblem[]): Indicator[] {
  const byIp = new Map<string, Indicator>();
  for (const e of entries) {
    const v = parseValue('ip', e.ip);
    if (!v) {
      problems.push({ code: 'INTEL_BAD_VALUE', line: e.line, message: `'${e.ip}' is not an IP address` });
      continue;
    }
    const family = familyOf(e.malware);
    const previous = byIp.get(v.value);
    if (previous) {
      const ports = new Set([...(previous.attrs.ports ?? '').split(','), e.port].filter((p) => p !== ''));
      byIp.set(v.value, { ...previous, attrs: { ...previous.attrs, ports: [...ports].join(',') } });
      continue;
    }
    const online = e.status.toLowerCase() === 'online';
    byIp.set(
      v.value,
      makeIndicator(v, e.line, e.raw, defaults, {
        family,
        tags: ['botnet_cc'],
        confidence: online ? 100 : 75,
        attrs: { ...(e.port ? { ports: e.port } : {}), ...(e.status ? { status: e.status } : {}), ...e.extra },
        firstSeen: parseFeedTime(e.firstSeen),
        lastSeen: parseFeedTime(e.lastOnline),
      }),
    );
  }
  return [...byIp.values()];
}

function parseCsv(context: FeedContext, defaults: IndicatorDefaults): FeedParseResult {
  const problems: FeedProblem[] = [];
  const entries: FeodoEntry[] = [];
  let columns = DEFAULT_COLUMNS;
  let generatedAt: number | null = null;
  let count = 0;
  splitLines(context.text).forEach((line, i) => {
    const n = i + 1;
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (trimmed.startsWith('#')) {
      // The older export puts its header in a comment.
      const comment = readAbuseChComment(trimmed, /^#\s*(first_seen[^#]*)$/i);
      if (comment.generatedAt !== undefined) generatedAt = comment.generatedAt;
      if (comment.columns) columns = comment.columns;
      return;
    }
    const fields = splitCsvLine(trimmed);
    if (!fields) {
      count++;
      problems.push({ code: 'INTEL_BAD_LINE', line: n, message: 'unbalanced quotes' });
      return;
    }
    if (fields.includes('dst_ip') || fields.includes('first_seen_utc')) {
      columns = fields.map((c) => c.toLowerCase());
      return;
    }
    count++;
    const get = (name: string) => fields[columns.indexOf(name)] ?? '';
    if (fields.length !== columns.length) {
      problems.push({ code: 'INTEL_BAD_LINE', line: n, message: `expected ${columns.length} fields (${columns.join(',')}), got ${fields.length}` });
      return;
    }
    entries.push({ ip: get('dst_ip'), port: get('dst_port'), status: get('c2_status'), firstSeen: get('first_seen_utc'), lastOnline: get('last_online'), malware: get('malware'), line: n, raw: line, extra: {} });
  });
  const indicators = toIndicators(entries, defaults, problems);
  return { feed: 'feodo', source: defaults.source, indicators, problems, meta: { generatedAt, title: 'abuse.ch Feodo Tracker botnet C2 IP blocklist' }, entries: count };
}

function parseJson(context: FeedContext, defaults: IndicatorDefaults): FeedParseResult {
  let data: unknown;
  try {
    data = JSON.parse(context.text);
  } catch (err) {
    const p = jsonSyntaxProblem(context.text, err);
    return { feed: 'feodo', source: defaults.source, indicators: [], problems: [{ code: 'INTEL_BAD_LINE', ...p }], meta: {}, entries: 1 };
  }
  const problems: FeedProblem[] = [];
  const entries: FeodoEntry[] = [];
  const locate = new JsonLineLocator(context.text);
  const list = Array.isArray(data) ? data : [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null || typeof (item as Record<string, unknown>).ip_address !== 'string') {
      problems.push({ code: 'INTEL_BAD_LINE', line: locate.find('{'), message: 'entry without an ip_address' });
      continue;
    }
    const o = item as Record<string, unknown>;
    const ip = String(o.ip_address);
    const extra: Record<string, string> = {};
    for (const k of ['hostname', 'as_number', 'as_name', 'country']) if (o[k] !== null && o[k] !== undefined && o[k] !== '') extra[k] = String(o[k]);
    entries.push({
      ip,
      port: o.port === undefined || o.port === null ? '' : String(o.port),
      status: String(o.status ?? ''),
      firstSeen: String(o.first_seen ?? ''),
      lastOnline: String(o.last_online ?? ''),
      malware: String(o.malware ?? ''),
      line: locate.findString(ip),
      raw: JSON.stringify(o),
      extra,
    });
  }
  const indicators = toIndicators(entries, defaults, problems);
  return { feed: 'feodo', source: defaults.source, indicators, problems, meta: { title: 'abuse.ch Feodo Tracker botnet C2 IP blocklist' }, entries: list.length };
}

/** The Feodo Tracker parser (CSV or JSON, told by the first character). */
export const feodoFeed: FeedParser = {
  kind: 'feodo',
  parse(context) {
    const defaults: IndicatorDefaults = { source: context.source ?? 'feodo', kind: context.kind, feed: 'feodo', file: context.file };
    return /^\s*\[/.test(context.text) ? parseJson(context, defaults) : parseCsv(context, defaults);
  },
};
