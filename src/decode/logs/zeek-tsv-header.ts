// Zeek's TSV log header (#separator, #set_separator, #empty_field, #unset_field, #path, #fields)
// and the split of a data line into its columns: one reader for the http, dns, x509 and ssl logs.

import { formatProblem, recordProblem, type LineProblem, type LineResult } from './log-parser.js';

/** Decodes Zeek's `\xNN` escapes (`#separator \x09`, escaped bytes in values). */
export function unescapeZeek(text: string): string {
  return text.indexOf('\\x') < 0 ? text : text.replace(/\\x([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * The header state of one Zeek TSV log. Headers may repeat (concatenated or rotated logs): each
 * `#fields` line replaces the layout. A `#path` other than the expected one is refused, as is a
 * `#fields` line that lacks the fields the reader needs.
 */
export class ZeekTsvHeader {
  separator = '\t';
  setSeparator = ',';
  unset = '-';
  empty = '(empty)';
  fields: string[] | undefined;

  /**
   * @param path the log's `#path` (`http`, `dns`, `x509`, `ssl`)
   * @param missing which required fields a `#fields` list lacks (names to report)
   */
  constructor(
    private readonly path: string,
    private readonly missing: (fields: readonly string[]) => string[],
  ) {}

  private get what(): string {
    // As it is read aloud: an http, an ssl, an x509, a dns log.
    return `${/^[aehiosx]/.test(this.path) ? 'an' : 'a'} ${this.path} log`;
  }

  /** Reads one `#` line: false, or the problem that makes the file unreadable as this log. */
  read(text: string, line: number): LineResult {
    if (text.startsWith('#separator')) {
      this.separator = unescapeZeek(text.slice('#separator'.length + 1));
      if (this.separator.length === 0) return formatProblem(line, 'unknown header: empty #separator');
      return false;
    }
    const sep = text.indexOf(this.separator);
    if (sep < 0) return false;
    const key = text.slice(1, sep);
    const value = text.slice(sep + this.separator.length);
    switch (key) {
      case 'set_separator':
        this.setSeparator = unescapeZeek(value);
        break;
      case 'unset_field':
        this.unset = value;
        break;
      case 'empty_field':
        this.empty = value;
        break;
      case 'path':
        if (value !== this.path) return formatProblem(line, `unknown header: this Zeek log is '${value}', not ${this.what}`);
        break;
      case 'fields': {
        const fields = value.split(this.separator);
        const missing = this.missing(fields);
        if (missing.length > 0) return formatProblem(line, `unknown header: Zeek #fields lacks ${missing.join(', ')} (not ${this.what}?)`);
        this.fields = fields;
        break;
      }
    }
    return false;
  }

  /** The problem of a data line before any `#fields`, or undefined. */
  noHeader(text: string, line: number): LineProblem | undefined {
    return this.fields ? undefined : formatProblem(line, `unknown header: expected Zeek TSV headers (#separator, #fields) before data, got '${text.slice(0, 40)}'`);
  }

  /** A data line's columns, or the problem when their count is not the header's. */
  split(text: string, line: number): string[] | LineProblem {
    const fields = this.fields!;
    const values = text.split(this.separator);
    if (values.length === fields.length) return values;
    return recordProblem(
      line,
      values.length < fields.length ? `truncated line: expected ${fields.length} columns, got ${values.length}` : `wrong column count: expected ${fields.length} columns, got ${values.length}`,
    );
  }

  /** A column's text: '' for unset and empty fields, escapes decoded. */
  value(raw: string): string {
    return raw === this.unset || raw === this.empty ? '' : unescapeZeek(raw);
  }
}
