// Numeric flag values, checked one way for every command: a bad value is a usage error that
// names the flag and repeats what was given, never NaN passed on or a store error later.

import { VantageError } from '../core/errors.js';
import { parseTime } from '../core/time.js';

/** A whole number from `min` (default 1) up to `max`; `flag` names it in the error. */
export function wholeNumberFlag(text: string, flag: string, range: { min?: number; max?: number } = {}): number {
  const min = range.min ?? 1;
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isSafeInteger(n) || n < min || (range.max !== undefined && n > range.max)) {
    const allowed = range.max !== undefined ? `from ${min} to ${range.max}` : min === 1 ? 'positive' : `>= ${min}`;
    throw new VantageError('USAGE', allowed === 'positive' ? `${flag} must be a positive whole number, got '${text}'` : `${flag} must be a whole number ${allowed}, got '${text}'`);
  }
  return n;
}

/** A point in time as `parseTime` reads it; the error names the flag it came from. */
export function timeFlag(text: string, flag: string, now?: number): number {
  try {
    return parseTime(text, now);
  } catch (e) {
    if (e instanceof VantageError) throw new VantageError(e.code, `${flag}: ${e.message}`);
    throw e;
  }
}
