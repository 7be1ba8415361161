// Field value parsers for the text-log hot path: unsigned integers, times, decimal seconds and
// TCP flags, read with charCode loops over a range of the line so no substring or regex is made.

import { TCP_FLAG_BITS } from '../../core/columns.js';
import { isStorableFlowTime } from '../../core/time.js';

const SPACE = 32;
const TAB = 9;
const DIGIT0 = 48;
const DIGIT9 = 57;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/**
 * Reads an unsigned decimal integer from `text[start, end)`, ignoring surrounding blanks.
 * Returns -1 when the range is empty or holds anything else, or the value exceeds 2^53.
 */
export function parseUintRange(text: string, start: number, end: number): number {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  if (start === end || end - start > 16) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < DIGIT0 || c > DIGIT9) return -1;
    value = value * 10 + (c - DIGIT0);
  }
  return value <= Number.MAX_SAFE_INTEGER ? value : -1;
}

/**
 * Reads an unsigned integer as other tools print one: decimal, `0x` hex (Argus prints ICMP
 * ports so), or an integral float such as `12.0` or `1e3` (spreadsheets and pandas do).
 * Returns -1 for anything else, negative or fractional values included.
 */
export function parseUintText(text: string): number {
  const fast = parseUintRange(text, 0, text.length);
  if (fast >= 0) return fast;
  const t = text.trim();
  if (t.length > 2 && t.charCodeAt(0) === DIGIT0 && (t.charCodeAt(1) | 32) === 120) {
    if (!/^0[xX][0-9a-fA-F]{1,13}$/.test(t)) return -1;
    return parseInt(t.slice(2), 16);
  }
  if (t.length === 0 || !/^[0-9.eE+]+$/.test(t)) return -1;
  const n = Number(t);
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

/**
 * Reads a non-negative decimal such as `1672843056.913119` or `0.084044` from a range as an
 * integer count of 10^-`decimals` units, truncating extra digits: exact where a float
 * multiply would round (1.001 * 1000 is 1000.9999...). Returns -1 when malformed.
 */
export function parseDecimalRange(text: string, start: number, end: number, decimals: number): number {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  if (start === end) return -1;
  let value = 0;
  let i = start;
  let digits = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < DIGIT0 || c > DIGIT9) break;
    value = value * 10 + (c - DIGIT0);
    digits++;
  }
  let scale = decimals;
  if (i < end) {
    if (text.charCodeAt(i) !== 46) return slowDecimal(text.slice(start, end), decimals);
    i++;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < DIGIT0 || c > DIGIT9) return slowDecimal(text.slice(start, end), decimals);
      digits++;
      if (scale > 0) {
        value = value * 10 + (c - DIGIT0);
        scale--;
      }
    }
  }
  if (digits === 0) return -1;
  for (; scale > 0; scale--) value *= 10;
  return value <= Number.MAX_SAFE_INTEGER ? value : -1;
}

/** Exponent forms (JSON writers print 9.5e-05): rare, so a float is good enough. */
function slowDecimal(text: string, decimals: number): number {
  if (!/^[0-9.]+[eE][+-]?\d+$/.test(text)) return -1;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) return -1;
  return Math.floor(n * 10 ** decimals + 1e-6);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parser state for `readDigits`: where reading stopped. */
let cursor = 0;

/** Reads 1..max digits at `at`; the value, or -1 when there is no digit. Sets `cursor`. */
function readDigits(text: string, at: number, end: number, max: number): number {
  let value = 0;
  let i = at;
  while (i < end && i - at < max) {
    const c = text.charCodeAt(i);
    if (c < DIGIT0 || c > DIGIT9) break;
    value = value * 10 + (c - DIGIT0);
    i++;
  }
  cursor = i;
  return i === at ? -1 : value;
}

/**
 * Reads a point in time from `text[start, end)` as UTC epoch milliseconds; NaN when malformed.
 * Accepted: `YYYY-MM-DD[T| ]HH:MM[:SS[.frac]][Z|±HH[:MM]]` (also with `/` in the date, as
 * Argus prints it; no zone means UTC) and epoch numbers, whose unit is told by magnitude:
 * below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds.
 * Fractions beyond the millisecond are truncated.
 */
export function parseTimeRange(text: string, start: number, end: number): number {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  if (end - start < 1) return NaN;
  const sep = start + 4 < end ? text.charCodeAt(start + 4) : 0;
  if (sep === 45 || sep === 47) return storable(parseDateTime(text, start, end, sep));
  return storable(parseEpoch(text, start, end));
}

/** A time both stores keep as it is (1970-2099), else NaN: rejected as a bad time. */
function storable(ms: number): number {
  return isStorableFlowTime(ms) ? ms : NaN;
}

/** `parseTimeRange` over a whole string. */
export function parseTimeText(text: string): number {
  return parseTimeRange(text, 0, text.length);
}

function parseEpoch(text: string, start: number, end: number): number {
  let intPart = 0;
  let i = start;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < DIGIT0 || c > DIGIT9) break;
    intPart = intPart * 10 + (c - DIGIT0);
  }
  if (i === start) return NaN;
  let fracMs = 0;
  let fracDigits = 0;
  if (i < end) {
    if (text.charCodeAt(i) !== 46) return slowEpoch(text.slice(start, end));
    i++;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < DIGIT0 || c > DIGIT9) return slowEpoch(text.slice(start, end));
      if (fracDigits < 3) fracMs = fracMs * 10 + (c - DIGIT0);
      fracDigits++;
    }
  }
  // Nanosecond epochs exceed 2^53; the error (< 1 us) vanishes at millisecond precision.
  if (intPart >= 1e20) return NaN;
  for (let d = fracDigits; d < 3; d++) fracMs *= 10;
  return epochToMs(intPart, fracMs);
}

/** Exponent forms, e.g. 1.5174223265e9 from a JSON writer. */
function slowEpoch(text: string): number {
  if (!/^[0-9.]+[eE][+-]?\d+$/.test(text)) return NaN;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) return NaN;
  return epochNumberToMs(n);
}

function epochToMs(intPart: number, fracMs: number): number {
  if (intPart < 1e11) return intPart * 1000 + fracMs;
  if (intPart < 1e14) return intPart;
  if (intPart < 1e17) return Math.floor(intPart / 1000);
  return Math.floor(intPart / 1e6);
}

/**
 * Epoch milliseconds of a JSON number, by the same magnitude rule as text. Seconds go through
 * integer microseconds so 1517422326.539915 becomes ...539, not ...538.9999.
 */
export function epochNumberToMs(n: number): number {
  if (!Number.isFinite(n) || n < 0) return NaN;
  if (n < 1e11) return storable(Math.floor(Math.round(n * 1e6) / 1000));
  if (n < 1e14) return storable(Math.floor(n));
  if (n < 1e17) return storable(Math.floor(n / 1000));
  return storable(Math.floor(n / 1e6));
}

function parseDateTime(text: string, start: number, end: number, sep: number): number {
  const y = readDigits(text, start, end, 4);
  if (y < 0 || cursor !== start + 4) return NaN;
  let i = cursor + 1;
  const mo = readDigits(text, i, end, 2);
  if (mo < 1 || mo > 12 || cursor >= end || text.charCodeAt(cursor) !== sep) return NaN;
  i = cursor + 1;
  const d = readDigits(text, i, end, 2);
  if (d < 1 || d > MONTH_DAYS[mo - 1]!) return NaN;
  if (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return NaN;
  i = cursor;
  let ms = daysFromCivil(y, mo, d) * 86_400_000;
  if (i === end) return ms;
  const t = text.charCodeAt(i);
  if (t !== 84 && t !== 32 && t !== 116) return NaN; // T, space, t
  i++;
  const h = readDigits(text, i, end, 2);
  if (h < 0 || h > 23 || cursor >= end || text.charCodeAt(cursor) !== 58) return NaN;
  const mi = readDigits(text, cursor + 1, end, 2);
  if (mi < 0 || mi > 59) return NaN;
  ms += h * 3_600_000 + mi * 60_000;
  i = cursor;
  if (i < end && text.charCodeAt(i) === 58) {
    const s = readDigits(text, i + 1, end, 2);
    if (s < 0 || s > 60) return NaN;
    ms += s * 1000;
    i = cursor;
    if (i < end && (text.charCodeAt(i) === 46 || text.charCodeAt(i) === 44)) {
      i++;
      let frac = 0;
      let n = 0;
      while (i < end) {
        const c = text.charCodeAt(i);
        if (c < DIGIT0 || c > DIGIT9) break;
        if (n < 3) frac = frac * 10 + (c - DIGIT0);
        n++;
        i++;
      }
      if (n === 0) return NaN;
      for (; n < 3; n++) frac *= 10;
      ms += frac;
    }
  }
  if (i === end) return ms;
  const z = text.charCodeAt(i);
  if ((z === 90 || z === 122) && i + 1 === end) return ms; // Z
  if (z !== 43 && z !== 45) return NaN;
  const oh = readDigits(text, i + 1, end, 2);
  if (oh < 0 || oh > 23 || cursor !== i + 3) return NaN;
  let om = 0;
  i = cursor;
  if (i < end) {
    if (text.charCodeAt(i) === 58) i++;
    om = readDigits(text, i, end, 2);
    if (om < 0 || om > 59 || cursor !== end) return NaN;
  }
  const offset = (oh * 60 + om) * 60_000;
  return z === 43 ? ms - offset : ms + offset;
}

const FLAG_LETTERS = 'CEUAPRSF';

/**
 * Reads TCP flags as a bit mask (FIN=1 ... CWR=128); -1 when malformed. Accepted: nfdump's
 * positional form `...AP.S.` (order CWR ECE URG ACK PSH RST SYN FIN, dot = unset), a set of
 * those letters in any order (`SA`, `FPA`), a decimal number or `0x` hex.
 */
export function parseTcpFlags(text: string): number {
  const n = text.length;
  if (n === 8) {
    let bits = 0;
    let positional = true;
    for (let i = 0; i < 8; i++) {
      const c = text.charCodeAt(i);
      if (c === 46) continue;
      if (c !== FLAG_LETTERS.charCodeAt(i)) {
        positional = false;
        break;
      }
      bits |= 128 >> i;
    }
    if (positional) return bits;
  }
  const t = text.trim();
  if (t.length === 0) return -1;
  const c0 = t.charCodeAt(0);
  if (c0 >= DIGIT0 && c0 <= DIGIT9) {
    const v = parseUintText(t);
    return v >= 0 && v <= 255 ? v : -1;
  }
  let bits = 0;
  for (let i = 0; i < t.length; i++) {
    const ch = t[i]!.toUpperCase();
    if (ch === '.' || ch === ' ') continue;
    const bit = TCP_FLAG_BITS[ch as keyof typeof TCP_FLAG_BITS];
    if (bit === undefined) return -1;
    bits |= bit;
  }
  return bits;
}
