// Parses JSON lines (one flow object per line) through the generic column mapping; nested
// objects are flattened with dots, so ECS-style `source.ip` maps like `source_ip`.

import type { FlowRecord } from '../../core/columns.js';
import { aliasHint, buildGenericRecord, ColumnResolver, MAPPED_FIELDS, slotOf, type ColumnOverrides } from './column-mapping.js';
import { jsonLineProblem, overflowingNumbers, recordProblem, type LineProblem, type LineResult, type LogParser } from './log-parser.js';
import { FirstRecordCheck } from './first-record-check.js';

/**
 * Parser for JSON lines. Keys are mapped like CSV header names (Vantage names, aliases, --map
 * overrides naming a key, dotted for nested objects). The file is taken for JSON lines once an
 * object among its first lines yields src, dst and start (see `FirstRecordCheck`); lines that
 * do not, before or after, are rejected one by one.
 */
export class JsonlParser implements LogParser {
  readonly format = 'jsonl' as const;
  private readonly check = new FirstRecordCheck('a JSON lines flow object');
  private readonly resolver: ColumnResolver;
  private readonly values: unknown[] = new Array(MAPPED_FIELDS.length);
  private readonly preference = new Float64Array(MAPPED_FIELDS.length);
  private readonly names: string[] = new Array(MAPPED_FIELDS.length).fill('');
  /** Per slot, the --map column feeding it ('' for none): messages name it when it is missing. */
  private readonly overrideNames: string[] = new Array(MAPPED_FIELDS.length).fill('');
  /** Literals JSON.parse turned to Infinity on the current line, handed out in order. */
  private overflowing: string[] | undefined;
  private text = '';

  constructor(overrides?: ColumnOverrides) {
    this.resolver = new ColumnResolver(overrides);
    for (const [field, column] of overrides ?? []) this.overrideNames[slotOf(field)] = column;
  }

  parseLine(text: string, line: number, out: FlowRecord[]): LineResult {
    if (text.length === 0 || text.trim() === '') return false;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      return this.check.fault(line, `expected JSON lines (one object per line), got '${text.slice(0, 40)}'`, jsonLineProblem(line, err as Error, text));
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      return this.check.fault(line, `expected JSON lines (one object per line), got '${text.slice(0, 40)}'`, recordProblem(line, 'malformed JSON: expected an object'));
    }
    this.values.fill(undefined);
    this.preference.fill(Infinity);
    for (let i = 0; i < this.names.length; i++) this.names[i] = this.overrideNames[i]!;
    this.text = text;
    this.overflowing = undefined;
    this.collect(obj as Record<string, unknown>, '');
    if (!this.check.passed) {
      for (const field of ['src', 'dst', 'start'] as const) {
        const slot = slotOf(field);
        if (this.values[slot] !== undefined) continue;
        const column = this.overrideNames[slot]!;
        const reason = column !== '' ? `--map ${field}=${column}: the object has no key '${column}'` : aliasHint(field);
        // The record-level message, as for a later line: the field is missing.
        return this.check.fault(line, reason, buildGenericRecord(this.values, this.names, line, []) as LineProblem);
      }
      this.check.pass();
    }
    return buildGenericRecord(this.values, this.names, line, out);
  }

  finish(): LineProblem | undefined {
    return this.check.finish();
  }

  private collect(obj: Record<string, unknown>, prefix: string): void {
    for (const key in obj) {
      let v = obj[key];
      const name = prefix === '' ? key : `${prefix}.${key}`;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        this.collect(v as Record<string, unknown>, name);
        continue;
      }
      // A number too large for a double (1e400) became Infinity: keep its text, which the
      // conversion then rejects by name, as written.
      if (typeof v === 'number' && !Number.isFinite(v)) v = (this.overflowing ??= overflowingNumbers(this.text)).shift() ?? String(v);
      const target = this.resolver.resolve(name);
      if (target && target.preference < this.preference[target.slot]!) {
        this.preference[target.slot] = target.preference;
        this.values[target.slot] = v;
        this.names[target.slot] = name;
      }
    }
  }
}
