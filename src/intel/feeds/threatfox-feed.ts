// abuse.ch ThreatFox IOC exports: CSV (`# "first_seen_utc","ioc_id","ioc_value",...` header in a
// comment, `", "`-separated quoted fields), the JSON export (`{"<ioc id>": [{...}]}`) and the
// API's JSON (`{"query_status": "ok", "data": [{...}]}`).

import { parseValue, type Indicator, type IndicatorType } from '../indicator.js';
import {
  familyOf,
  jsonSyntaxProblem,
  makeIndicator,
  readConfidence,
  readTimes,
  shown,
  splitLines,
  type FeedContext,
  type FeedParser,
  type FeedProblem,
  type IndicatorDefaults,
} from '../feed-parser.js';
import { isJsonObject, jsonTypeName, parseLocatedJson, type LocatedJson } from '../json-locations.js';
import { readAbuseChComment } from './abuse-ch-comment.js';
import { splitCsvLine } from './csv-fields.js';

const CSV_COLUMNS = [
  'first_seen_utc',
  'ioc_id',
  'ioc_value',
  'ioc_type',
  'threat_type',
  'fk_malware',
  'malware_alias',
  'malware_printable',
  'last_seen_utc',
  'confidence_level',
  'reference',
  'tags',
  'anonymous',
  'reporter',
];

const TYPE_MAP: Record<string, IndicatorType> = {
  'ip:port': 'ip-port',
  ip: 'ip',
  domain: 'domain',
  url: 'url',
  md5_hash: 'md5',
  sha1_hash: 'sha1',
  sha256_hash: 'sha256',
};

/** One IOC with the field names of the CSV export. */
type Row = Record<string, string>;

function toIndicator(row: Row, line: number, raw: string, defaults: IndicatorDefaults, problems: FeedProblem[]): Indicator | undefined {
  const iocType = (row.ioc_type ?? '').toLowerCase();
  const type = TYPE_MAP[iocType];
  if (!type) {
    problems.push({ code: 'INTEL_UNSUPPORTED', line, message: `IOC type '${iocType}' cannot be matched` });
    return undefined;
  }
  const v = parseValue(type, row.ioc_value ?? '');
  if (!v) {
    problems.push({ code: 'INTEL_BAD_VALUE', line, message: `${shown(row.ioc_value ?? '')} is not a valid ${iocType}` });
    return undefined;
  }
  // A confidence or time the feed gets wrong rejects the IOC rather than being clamped or dropped.
  const confidence = readConfidence(row.confidence_level);
  if (confidence === undefined) {
    problems.push({ code: 'INTEL_BAD_VALUE', line, message: `${v.value}: confidence_level ${shown(row.confidence_level ?? '')} is not a number from 0 to 100` });
    return undefined;
  }
  const { times, bad } = readTimes({ first_seen_utc: row.first_seen_utc, last_seen_utc: row.last_seen_utc });
  if (bad) {
    problems.push({ code: 'INTEL_BAD_VALUE', line, message: `${v.value}: ${bad.message}` });
    return undefined;
  }
  const tags = (row.tags ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '' && t !== 'none');
  const attrs: Record<string, string> = {};
  for (const k of ['ioc_id', 'threat_type', 'fk_malware', 'malware_alias', 'reporter']) if (row[k] && row[k] !== 'None') attrs[k] = row[k]!;
  return makeIndicator(v, line, raw, defaults, {
    family: familyOf(row.malware_printable) ?? familyOf(row.fk_malware),
    tags: row.threat_type ? [row.threat_type.toLowerCase(), ...tags] : tags,
    confidence,
    reference: row.reference && row.reference !== 'None' ? row.reference : row.ioc_id ? `threatfox:${row.ioc_id}` : null,
    attrs,
    firstSeen: times.first_seen_utc,
    lastSeen: times.last_seen_utc,
  });
}

function parseCsv(context: FeedContext, defaults: IndicatorDefaults): { indicators: Indicator[]; problems: FeedProblem[]; generatedAt: number | null; entries: number; incomplete?: string } {
  const problems: FeedProblem[] = [];
  const indicators: Indicator[] = [];
  let columns = CSV_COLUMNS;
  let generatedAt: number | null = null;
  let entries = 0;
  splitLines(context.text).forEach((line, i) => {
    const n = i + 1;
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (trimmed.startsWith('#')) {
      const comment = readAbuseChComment(trimmed, /^#\s*("?first_seen_utc.*)$/i);
      if (comment.generatedAt !== undefined) generatedAt = comment.generatedAt;
      if (comment.columns) columns = comment.columns;
      return;
    }
    entries++;
    const fields = splitCsvLine(trimmed);
    if (!fields || fields.length !== columns.length) {
      problems.push({ code: 'INTEL_BAD_LINE', line: n, message: fields ? `expected ${columns.length} fields, got ${fields.length}` : 'unbalanced quotes' });
      return;
    }
    const row: Row = {};
    columns.forEach((c, k) => (row[c] = fields[k]!));
    const indicator = toIndicator(row, n, line, defaults, problems);
    if (indicator) indicators.push(indicator);
  });
  return { indicators, problems, generatedAt, entries };
}

function parseJson(context: FeedContext, defaults: IndicatorDefaults): { indicators: Indicator[]; problems: FeedProblem[]; generatedAt: null; entries: number; incomplete?: string } {
  const problems: FeedProblem[] = [];
  const indicators: Indicator[] = [];
  let doc: LocatedJson;
  try {
    doc = parseLocatedJson(context.text);
  } catch (err) {
    return { indicators, problems: [{ code: 'INTEL_BAD_LINE' as const, ...jsonSyntaxProblem(context.text, err) }], generatedAt: null, entries: 1 };
  }
  const d = doc.value;
  // The API's answer ({"query_status", "data": [...]}) or the export ({"<ioc id>": [{...}]}).
  const lists: { id?: string; list: unknown[] }[] = [];
  let entries = 0;
  let incomplete: string | undefined;
  if (isJsonObject(d) && 'query_status' in d) {
    if (Array.isArray(d.data)) lists.push({ list: d.data });
    else {
      // `{"query_status": "no_result", "data": "Your search did not yield any results"}`: an answer with no list.
      incomplete = `query_status ${JSON.stringify(d.query_status)}, and "data" is ${jsonTypeName(d.data)}, not a list of IOCs`;
      problems.push({ code: 'INTEL_BAD_LINE', line: doc.memberLine(d, 'data'), message: incomplete });
      entries++;
    }
  } else if (isJsonObject(d)) {
    for (const [id, list] of Object.entries(d)) {
      if (Array.isArray(list)) lists.push({ id, list });
      else {
        entries++;
        problems.push({ code: 'INTEL_BAD_LINE', line: doc.memberLine(d, id), message: `IOC ${id} is ${jsonTypeName(list)}, not a list of IOC records` });
      }
    }
  } else {
    incomplete = `the document is ${jsonTypeName(d)}, not a ThreatFox export or API answer`;
    problems.push({ code: 'INTEL_BAD_LINE', line: 1, message: incomplete });
    entries++;
  }
  const text = (v: unknown) => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v));
  for (const { id, list } of lists) {
    list.forEach((item, k) => {
      entries++;
      if (!isJsonObject(item)) {
        problems.push({ code: 'INTEL_BAD_LINE', line: doc.elementLine(list, k), message: `IOC entry${id ? ` of ${id}` : ''} is ${jsonTypeName(item)}, not an object` });
        return;
      }
      const o = item;
      // The API names fields differently from the export: normalise to the export's names.
      const row: Row = {};
      row.ioc_value = text(o.ioc_value ?? o.ioc);
      row.ioc_type = text(o.ioc_type);
      row.ioc_id = text(o.id ?? id);
      row.threat_type = text(o.threat_type);
      row.fk_malware = text(o.malware);
      row.malware_alias = text(o.malware_alias);
      row.malware_printable = text(o.malware_printable);
      row.first_seen_utc = text(o.first_seen_utc ?? o.first_seen);
      row.last_seen_utc = text(o.last_seen_utc ?? o.last_seen);
      row.confidence_level = text(o.confidence_level);
      row.reference = text(o.reference);
      row.tags = text(o.tags);
      row.reporter = text(o.reporter);
      const line = doc.memberLine(o, o.ioc_value !== undefined ? 'ioc_value' : 'ioc');
      const indicator = toIndicator(row, line, JSON.stringify(o), defaults, problems);
      if (indicator) indicators.push(indicator);
    });
  }
  return { indicators, problems, generatedAt: null, entries, incomplete };
}

/** The ThreatFox parser (CSV or JSON, told by the first character). */
export const threatfoxFeed: FeedParser = {
  kind: 'threatfox',
  parse(context) {
    const source = context.source ?? 'threatfox';
    const defaults: IndicatorDefaults = { source, kind: context.kind, feed: 'threatfox', file: context.file };
    const r = /^\s*[[{]/.test(context.text) ? parseJson(context, defaults) : parseCsv(context, defaults);
    // An IOC id can appear twice in a feed (re-reported): keep the first.
    const seen = new Set<string>();
    const indicators = r.indicators.filter((x) => !seen.has(`${x.type} ${x.value}`) && seen.add(`${x.type} ${x.value}`) !== undefined);
    return {
      feed: 'threatfox',
      source,
      indicators,
      problems: r.problems,
      meta: { generatedAt: r.generatedAt, title: 'abuse.ch ThreatFox IOCs' },
      entries: r.entries,
      ...(r.incomplete ? { incomplete: r.incomplete } : {}),
    };
  },
};
