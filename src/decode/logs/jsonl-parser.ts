// Parses JSON lines (one flow object per line) through the generic column mapping; nested
// objects are flattened with dots, so ECS-style `source.ip` maps like `source_ip`.

import type { FlowRecord } from '../../core/columns.js';
import { aliasHint, buildGenericRecord, ColumnResolver, MAPPED_FIELDS, slotOf, type ColumnOverrides } from './column-mapping.js';
import { formatProblem, jsonLineProblem, recordProblem, type LineProblem, type LineResult, type LogParser } from './log-parser.js';

/**
 * Parser for JSON lines. Keys are mapped like CSV header names (Vantage names, aliases, --map
 * overrides naming a key, dotted for nested objects); the first object must yield src, dst
 * and start, later ones that lack them are rejected one by one.
 */
export class JsonlParser implements LogParser {
  readonly format = 'jsonl' as const;
  private checked = false;
  private readonly resolver: ColumnResolver;
  private readonly values: unknown[] = new Array(MAPPED_FIELDS.length);
  private readonly preference = new Float64Array(MAPPED_FIELDS.length);
  private readonly names: string[] = new Array(MAPPED_FIELDS.length).fill('');

  constructor(overrides?: ColumnOverrides) {
    this.resolver = new ColumnResolver(overrides);
  }

  parseLine(text: string, line: number, out: FlowRecord[]): LineResult {
    if (text.length === 0 || text.trim() === '') return false;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      if (!this.checked) return formatProblem(line, `unknown header: expected JSON lines (one object per line), got '${text.slice(0, 40)}'`);
      return jsonLineProblem(line, err as Error, text);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      if (!this.checked) return formatProblem(line, `unknown header: expected JSON lines (one object per line), got '${text.slice(0, 40)}'`);
      return recordProblem(line, 'malformed JSON: expected an object');
    }
    this.values.fill(undefined);
    this.preference.fill(Infinity);
    this.names.fill('');
    this.collect(obj as Record<string, unknown>, '');
    if (!this.checked) {
      for (const field of ['src', 'dst', 'start'] as const) {
        if (this.values[slotOf(field)] === undefined) return formatProblem(line, `unknown header: ${aliasHint(field)}`);
      }
      this.checked = true;
    }
    return buildGenericRecord(this.values, this.names, line, out);
  }

  finish(): LineProblem | undefined {
    return undefined;
  }

  private collect(obj: Record<string, unknown>, prefix: string): void {
    for (const key in obj) {
      const v = obj[key];
      const name = prefix === '' ? key : `${prefix}.${key}`;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        this.collect(v as Record<string, unknown>, name);
        continue;
      }
      const target = this.resolver.resolve(name);
      if (target && target.preference < this.preference[target.slot]!) {
        this.preference[target.slot] = target.preference;
        this.values[target.slot] = v;
        this.names[target.slot] = name;
      }
    }
  }
}
