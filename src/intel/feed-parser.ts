// The contract every feed parser implements, and the helpers they share: rejected-line
// reports, JSON syntax errors with their line, checked confidence and time fields, and building
// indicators with defaults filled in.

import { parseFeedTime, type FeedKind, type Indicator, type IndicatorKind, type ParsedValue } from './indicator.js';

/**
 * Why a line or entry was rejected. Stable codes, shown in load summaries and the JSON output:
 * INTEL_BAD_VALUE (not an address/domain/...), INTEL_BAD_LINE (not the feed's line format),
 * INTEL_UNSUPPORTED (a type or pattern Vantage cannot match, reported rather than dropped).
 */
export type IntelProblemCode = 'INTEL_BAD_VALUE' | 'INTEL_BAD_LINE' | 'INTEL_UNSUPPORTED';

/** One rejected line or entry. */
export interface FeedProblem {
  readonly code: IntelProblemCode;
  readonly line: number;
  readonly message: string;
}

/** Whether a problem is bad input (exit status 1 once the rest is loaded); INTEL_UNSUPPORTED is reported only. */
export function isBadInput(problem: FeedProblem): boolean {
  return problem.code !== 'INTEL_UNSUPPORTED';
}

/** What the caller tells a parser about the file. */
export interface FeedContext {
  /** The file as given (for provenance and messages). */
  readonly file: string;
  /** The file's text. */
  readonly text: string;
  /** `threat` unless the user loads the file as an allow-list. */
  readonly kind: IndicatorKind;
  /** A source name the user chose, overriding the parser's own. */
  readonly source?: string;
  /** Defaults for plain lists: family and confidence the user gave. */
  readonly family?: string;
  readonly confidence?: number;
}

/** Facts about the feed as a whole, for `intel list`. */
export interface FeedMeta {
  /** When the feed says it was generated or last updated (epoch ms). */
  readonly generatedAt?: number | null;
  /** A one-line description (the feed's title, the MISP event info...). */
  readonly title?: string;
}

/** A parsed feed file: its source name, the good indicators, and the rejected lines. */
export interface FeedParseResult {
  readonly feed: FeedKind;
  readonly source: string;
  readonly indicators: Indicator[];
  readonly problems: FeedProblem[];
  readonly meta: FeedMeta;
  /** Lines or entries read that carried an indicator or a problem (comments and blanks excluded). */
  readonly entries: number;
  /**
   * Why the file could not be read in full, when it could not: a trailer or count the format
   * declares is missing or disagrees (the download was cut short), or a list of entries is not a
   * list. What was read still loads, but nothing of the source may be expired on its account.
   */
  readonly incomplete?: string;
}

/** A parser of one feed format. Parsers never throw on bad content: they report problems. */
export interface FeedParser {
  readonly kind: FeedKind;
  parse(context: FeedContext): FeedParseResult;
}

/** Splits text into lines (LF or CRLF), without the line ends. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i]!.endsWith('\r')) lines[i] = lines[i]!.slice(0, -1);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The 1-based line of a character offset in a text. */
function lineAtOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * Splits the text of a line-based feed that declares its own end (a trailer line or a count)
 * into lines, and tells whether the last one lacks its line end: in a file cut short, that line
 * may be cut too (`223.254.0.0/1` for `223.254.0.0/16`), so it must not load.
 */
export function linesOfDeclaredFeed(text: string): { lines: string[]; lastLineOpen: boolean } {
  const lines = splitLines(text);
  return { lines, lastLineOpen: lines.length > 0 && !text.endsWith('\n') };
}

/** The problem reported for a data line found where a feed's trailer should be, without a line end. */
export function cutLastLineProblem(line: number, text: string): FeedProblem {
  return { code: 'INTEL_BAD_LINE', line, message: `last line ${shown(text.trim())} has no line end and the feed's trailer is missing: it may be cut short` };
}

/** Turns JSON.parse's error into a line number and a message. */
export function jsonSyntaxProblem(text: string, err: unknown): { line: number; message: string } {
  const message = (err as Error).message;
  const pos = /position (\d+)/.exec(message);
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  let line = 1;
  if (lineCol) line = Number(lineCol[1]);
  else if (pos) line = lineAtOffset(text, Number(pos[1]));
  return { line, message: `invalid JSON: ${message.replace(/^JSON\.parse: /, '')}` };
}

/** Everything but the value and the location: what one feed shares across its entries. */
export type IndicatorDefaults = Pick<Indicator, 'source' | 'kind' | 'feed' | 'file'> & Partial<Indicator>;

/** Builds an indicator from a parsed value and its provenance, with empty defaults. */
export function makeIndicator(value: ParsedValue, line: number, raw: string, defaults: IndicatorDefaults, extra: Partial<Indicator> = {}): Indicator {
  return {
    family: null,
    tags: [],
    confidence: null,
    reference: null,
    attrs: {},
    detect: true,
    firstSeen: null,
    lastSeen: null,
    validUntil: null,
    ...defaults,
    ...extra,
    type: value.type,
    value: value.value,
    line,
    raw,
  };
}

/** A value as messages show it: whole, quoted; only a very long one is cut (marked with …). */
export function shown(value: string, max = 200): string {
  return `'${value.length > max ? `${value.slice(0, max)}…` : value}'`;
}

/**
 * A feed's confidence (a number or numeric text, 0-100, rounded): null when the feed gives none,
 * undefined when it gives something else (900, 'high'): the caller rejects the entry rather
 * than clamping or dropping a value the feed got wrong.
 */
export function readConfidence(value: unknown): number | null | undefined {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const n = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value);
  return Number.isFinite(n) && n >= 0 && n <= 100 ? Math.round(n) : undefined;
}

/**
 * A feed's timestamp (see parseFeedTime) in epoch ms: null when the feed gives none (absent,
 * empty, 'None'), undefined when it gives something that is not a time: the caller rejects the
 * entry rather than storing a null the feed did not mean.
 */
export function readTime(value: unknown): number | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const ms = parseFeedTime(value);
  if (ms !== null) return ms;
  return typeof value === 'string' && /^(|None|null)$/.test(value.trim()) ? null : undefined;
}

/**
 * Reads the named time fields of an entry; the first that is given but not a time is returned
 * as `bad` (its name, and a message naming it and its text) for the caller to reject the entry.
 */
export function readTimes<K extends string>(fields: Record<K, unknown>): { times: Record<K, number | null>; bad?: { field: K; message: string } } {
  const times = {} as Record<K, number | null>;
  for (const field of Object.keys(fields) as K[]) {
    const value = fields[field];
    const ms = readTime(value);
    if (ms === undefined) return { times, bad: { field, message: `${field} ${typeof value === 'string' ? shown(value) : JSON.stringify(value)} is not a date/time` } };
    times[field] = ms;
  }
  return { times };
}

/** Lower-cased family name with spaces as dashes, or null. */
export function familyOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const f = value.trim().toLowerCase().replace(/\s+/g, '-');
  return f === '' || f === 'none' || f === 'unknown' ? null : f;
}

/** The base name of a path without its extension (source names for trail and list files). */
export function baseName(file: string): string {
  const name = file.split(/[\\/]/).pop() ?? file;
  return name.replace(/\.(txt|csv|json|list|gz)$/i, '').replace(/\.(txt|csv|json)$/i, '');
}
