// Turns a v9/IPFIX template into flat typed arrays the record decoder walks without lookups.

import type { ExtraValue } from '../decoded-flow.js';
import { Op, planElement, type ValueKind } from './information-elements.js';
import { interpreterFor, recordReaderFor, type RecordReader } from './record-reader.js';

/** A template field as it was announced: element id, length (65535 = variable), enterprise number. */
export interface TemplateField {
  readonly id: number;
  readonly length: number;
  readonly pen: number;
}

/** Length value that announces a variable-length field (RFC 7011 §7). */
export const VARIABLE_LENGTH = 65535;

/**
 * A template ready to decode records: per field, the op, length and (for `extra`) name and kind.
 * Data and options templates share the form; options templates lead with `scopeCount` scope fields.
 */
export interface CompiledTemplate {
  readonly version: 9 | 10;
  readonly id: number;
  readonly scopeCount: number;
  readonly isOptions: boolean;
  readonly fields: readonly TemplateField[];
  readonly ops: Uint8Array;
  readonly lengths: Uint16Array;
  readonly ids: Uint16Array;
  readonly names: readonly (string | null)[];
  readonly kinds: readonly ValueKind[];
  /** Bytes of a record when every field is fixed-length, else -1. */
  readonly fixedLength: number;
  /** The fewest bytes a record can take (variable fields count one length byte). */
  readonly minLength: number;
  /** Has RFC 5103 reverse elements: each record may yield a second, reversed flow. */
  readonly hasReverse: boolean;
  /** Per field, its slot in the `extra` values of a record (-1 for fields with a column). */
  readonly extraSlots: Int16Array;
  /** Number of `extra` slots; 0 when every field has a column. */
  readonly extraCount: number;
  /** Builds a record's `extra` object from its slot values, with one shape per template. */
  readonly makeExtra: (values: readonly ExtraValue[]) => Record<string, ExtraValue>;
  /** Reads one data record (generated for this template, or the interpreter). */
  readonly readRecord: RecordReader;
}

/**
 * Compiles a field list (with a generated record reader unless `generateReader` is false). Returns undefined when no record could be decoded with it (a record of
 * zero bytes would make the data decoder loop forever on its set).
 */
export function compileTemplate(
  version: 9 | 10,
  id: number,
  fields: readonly TemplateField[],
  scopeCount: number,
  isOptions: boolean,
  generateReader = true,
): CompiledTemplate | undefined {
  const n = fields.length;
  const ops = new Uint8Array(n);
  const lengths = new Uint16Array(n);
  const ids = new Uint16Array(n);
  const names: (string | null)[] = [];
  const kinds: ValueKind[] = [];
  let fixed = 0;
  let min = 0;
  let variable = false;
  let hasReverse = false;
  const extraSlots = new Int16Array(n).fill(-1);
  const extraKeys: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    // In v9 the scope fields of an options template use their own small type space (system,
    // interface...), which would collide with flow elements 1-5: mark them as scope.
    const plan = planElement(version, f.id, f.pen, f.length, version === 9 && i < scopeCount);
    ops[i] = plan.op;
    lengths[i] = f.length;
    ids[i] = f.id;
    names.push(plan.name);
    kinds.push(plan.kind);
    if (plan.op === Op.REV_BYTES || plan.op === Op.REV_PACKETS) hasReverse = true;
    if ((plan.op === Op.EXTRA || plan.op === Op.REV_EXTRA) && f.length !== 0) {
      // A repeated element keeps one key: the last value wins, as in a plain object.
      const known = extraKeys.indexOf(plan.name!);
      extraSlots[i] = known >= 0 ? known : extraKeys.push(plan.name!) - 1;
    }
    if (f.length === VARIABLE_LENGTH) {
      variable = true;
      min += 1;
    } else {
      fixed += f.length;
      min += f.length;
    }
  }
  if (min === 0) return undefined;
  const plan = { ops, lengths, kinds, extraSlots };
  const readRecord = isOptions ? interpretNothing : generateReader ? recordReaderFor(plan) : interpreterFor(plan);
  return {
    version,
    id,
    scopeCount,
    isOptions,
    fields,
    ops,
    lengths,
    ids,
    names,
    kinds,
    fixedLength: variable ? -1 : fixed,
    minLength: min,
    hasReverse,
    extraSlots,
    extraCount: extraKeys.length,
    makeExtra: extraFactory(extraKeys),
    readRecord,
  };
}

/** Options templates are read by the options decoder, never as flow records. */
const interpretNothing: RecordReader = () => -1;

/** Keys `extra` can carry: registry names, numeric ids, `pen.id` (checked before code generation). */
const SAFE_KEY = /^[A-Za-z0-9_.]+$/;

/**
 * A function building `extra` objects for one template. Generated code returns an object literal,
 * so every record of the template gets the same hidden class in one allocation (adding keys one by
 * one costs a megamorphic store each, which dominated decode time). Keys come from the element
 * tables or are digits and dots; anything else, or a runtime that forbids code generation, falls
 * back to a plain loop.
 */
function extraFactory(keys: readonly string[]): (values: readonly ExtraValue[]) => Record<string, ExtraValue> {
  const fallback = (values: readonly ExtraValue[]): Record<string, ExtraValue> => {
    const out: Record<string, ExtraValue> = {};
    for (let i = 0; i < keys.length; i++) if (values[i] !== undefined) out[keys[i]!] = values[i]!;
    return out;
  };
  if (keys.length === 0 || !keys.every((k) => SAFE_KEY.test(k))) return fallback;
  try {
    const body = `return {${keys.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(', ')}};`;
    return new Function('v', body) as (values: readonly ExtraValue[]) => Record<string, ExtraValue>;
  } catch {
    return fallback;
  }
}
