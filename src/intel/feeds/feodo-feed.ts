// abuse.ch Feodo Tracker botnet C2 blocklist, CSV (`ipblocklist.csv`, quoted or the older
// unquoted form with a commented header) and JSON (`ipblocklist.json`).

import { parseValue, type Indicator } from '../indicator.js';
import {
  cutLastLineProblem,
  familyOf,
  jsonSyntaxProblem,
  linesOfDeclaredFeed,
  makeIndicator,
  readTimes,
  shown,
  type FeedContext,
  type FeedParser,
  type FeedParseResult,
  type FeedProblem,
  type IndicatorDefaults,
} from '../feed-parser.js';
import { isJsonObject, jsonTypeName, parseLocatedJson, type LocatedJson } from '../json-locations.js';
import { readAbuseChComment } from './abuse-ch-comment.js';
import { splitCsvLine } from './csv-fields.js';

const DEFAULT_COLUMNS = ['first_seen_utc', 'dst_ip', 'dst_port', 'c2_status', 'last_online', 'malware'];

/** One C2 as the two formats describe it. */
interface FeodoEntry {
  ip: string;
  port: string;
  status: string;
  /** The first-seen and last-online fields under the format's own names (for messages). */
  times: Record<string, unknown>;
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
      problems.push({ code: 'INTEL_BAD_VALUE', line: e.line, message: `${shown(e.ip)} is not an IP address` });
      continue;
    }
    if (e.port !== '' && !(/^\d{1,5}$/.test(e.port) && Number(e.port) <= 65535)) {
      problems.push({ code: 'INTEL_BAD_VALUE', line: e.line, message: `port ${shown(e.port)} of ${v.value} is not a port number (0-65535)` });
      continue;
    }
    const { times, bad } = readTimes(e.times);
    if (bad) {
      problems.push({ code: 'INTEL_BAD_VALUE', line: e.line, message: `${bad.message} (C2 ${v.value})` });
      continue;
    }
    const [firstSeen, lastSeen] = Object.values(times);
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
        firstSeen: firstSeen ?? null,
        lastSeen: lastSeen ?? null,
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
  // abuse.ch's export ends with `# END <n> entries`: a file with its banner but not that line
  // was cut short, and so was one whose count disagrees (hand-made files without the banner may
  // leave the line out).
  let banner = false;
  let declared: number | undefined;
  const { lines, lastLineOpen } = linesOfDeclaredFeed(context.text);
  lines.forEach((line, i) => {
    const n = i + 1;
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (trimmed.startsWith('#')) {
      if (/Feodo Tracker/i.test(trimmed)) banner = true;
      const end = /^#\s*END\s+(\d+)\s+entries\b/i.exec(trimmed);
      if (end) declared = Number(end[1]);
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
    if (n === lines.length && lastLineOpen && banner && declared === undefined) {
      problems.push(cutLastLineProblem(n, line));
      return;
    }
    const get = (name: string) => fields[columns.indexOf(name)] ?? '';
    if (fields.length !== columns.length) {
      problems.push({ code: 'INTEL_BAD_LINE', line: n, message: `expected ${columns.length} fields (${columns.join(',')}), got ${fields.length}` });
      return;
    }
    entries.push({
      ip: get('dst_ip'),
      port: get('dst_port'),
      status: get('c2_status'),
      times: { first_seen_utc: get('first_seen_utc'), last_online: get('last_online') },
      malware: get('malware'),
      line: n,
      raw: line,
      extra: {},
    });
  });
  const indicators = toIndicators(entries, defaults, problems);
  let incomplete: string | undefined;
  if (declared !== undefined && declared !== count) incomplete = `its '# END ${declared} entries' line disagrees with the ${count} entries read`;
  else if (declared === undefined && banner) incomplete = `cut short: no '# END <n> entries' line after the last entry (line ${lines.length})`;
  return {
    feed: 'feodo',
    source: defaults.source,
    indicators,
    problems,
    meta: { generatedAt, title: 'abuse.ch Feodo Tracker botnet C2 IP blocklist' },
    entries: count,
    ...(incomplete ? { incomplete } : {}),
  };
}

function parseJson(context: FeedContext, defaults: IndicatorDefaults): FeedParseResult {
  let doc: LocatedJson;
  try {
    doc = parseLocatedJson(context.text);
  } catch (err) {
    const p = jsonSyntaxProblem(context.text, err);
    return { feed: 'feodo', source: defaults.source, indicators: [], problems: [{ code: 'INTEL_BAD_LINE', ...p }], meta: {}, entries: 1 };
  }
  if (!Array.isArray(doc.value)) {
    const message = `the document is ${jsonTypeName(doc.value)}, not a list of C2 entries`;
    return { feed: 'feodo', source: defaults.source, indicators: [], problems: [{ code: 'INTEL_BAD_LINE', line: 1, message }], meta: {}, entries: 1, incomplete: message };
  }
  const problems: FeedProblem[] = [];
  const entries: FeodoEntry[] = [];
  const list = doc.value;
  list.forEach((item, k) => {
    if (!isJsonObject(item)) {
      problems.push({ code: 'INTEL_BAD_LINE', line: doc.elementLine(list, k), message: `entry ${k + 1} is ${jsonTypeName(item)}, not an object with an ip_address` });
      return;
    }
    if (typeof item.ip_address !== 'string') {
      const what = item.ip_address === undefined ? 'entry without an ip_address' : `ip_address is ${jsonTypeName(item.ip_address)}, not an address text`;
      problems.push({ code: 'INTEL_BAD_LINE', line: doc.memberLine(item, 'ip_address'), message: what });
      return;
    }
    const extra: Record<string, string> = {};
    for (const k of ['hostname', 'as_number', 'as_name', 'country']) if (item[k] !== null && item[k] !== undefined && item[k] !== '') extra[k] = String(item[k]);
    const port = item.port;
    entries.push({
      ip: item.ip_address,
      // A port of another type (a list, an object) shows as its JSON and is rejected as not a port.
      port: port === undefined || port === null ? '' : typeof port === 'number' || typeof port === 'string' ? String(port) : JSON.stringify(port),
      status: String(item.status ?? ''),
      times: { first_seen: item.first_seen, last_online: item.last_online },
      malware: String(item.malware ?? ''),
      line: doc.memberLine(item, 'ip_address'),
      raw: JSON.stringify(item),
      extra,
    });
  });
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
