// The contract every feed parser implements, and the helpers they share: rejected-line
// reports, line numbers for JSON values, and building indicators with defaults filled in.

import type { FeedKind, Indicator, IndicatorKind, ParsedValue } from './indicator.js';

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

/**
 * Finds the line numbers of values inside a JSON text, scanning forward so that repeated values
 * map to successive occurrences: provenance then points at the line an analyst would open.
 */
export class JsonLineLocator {
  private readonly lineStarts: number[] = [0];
  private cursor = 0;

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** The 1-based line of a character offset. */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** The line where `needle` next occurs after the previous find (0 when it does not). */
  find(needle: string): number {
    let at = this.text.indexOf(needle, this.cursor);
    if (at < 0) at = this.text.indexOf(needle);
    if (at < 0) return 0;
    this.cursor = at + needle.length;
    return this.lineAt(at);
  }

  /** The line of a JSON string value, written as the JSON text would have it. */
  findString(value: string): number {
    return this.find(JSON.stringify(value));
  }
}

/** Turns JSON.parse's error into a line number and a message. */
export function jsonSyntaxProblem(text: string, err: unknown): { line: number; message: string } {
  const message = (err as Error).message;
  const pos = /position (\d+)/.exec(message);
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  let line = 1;
  if (lineCol) line = Number(lineCol[1]);
  else if (pos) line = new JsonLineLocator(text).lineAt(Number(pos[1]));
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

/** Confidence clamped to 0-100, or null when the text is not a number. */
export function confidenceOf(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  if (!Number.isFinite(n)) return null;
  return Math.max(0, Math.min(100, Math.round(n)));
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
