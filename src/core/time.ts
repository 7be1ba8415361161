// Time parsing for --from/--to and query intervals: ISO 8601, epoch and relative forms, in UTC ms.

import { VantageError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** 2100-01-01T00:00Z: stored flow times end before it. */
const LAST_FLOW_TIME = Date.UTC(2100, 0, 1);

/**
 * Whether a flow time (epoch ms) can be stored as it is: from 1970 to 2099. ClickHouse partitions
 * and rolls up by 32-bit dates, which wrap outside it (a 1969 flow fell out of every time-bounded
 * query, where DuckDB found it); a time there is a wrong clock or a mis-scaled epoch.
 */
export function isStorableFlowTime(ms: number): boolean {
  return ms >= 0 && ms < LAST_FLOW_TIME;
}

/** Parses a duration such as `5m`, `1h`, `1d`, `30s`, `250ms` into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms > 0 ? Math.round(ms) : undefined;
}

/** Whether an ISO text's date and clock exist: Date.parse rolls 2024-02-30 over to March 1st. */
function isCalendarDate(iso: string): boolean {
  const [y, m, d] = [Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), Number(iso.slice(8, 10))];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return false;
  const clock = /[T ](\d{2}):(\d{2})(?::(\d{2}))?/.exec(iso);
  return !clock || (Number(clock[1]) <= 23 && Number(clock[2]) <= 59 && Number(clock[3] ?? 0) <= 59);
}

/**
 * Parses a point in time: ISO 8601 (a date alone, or date and time; no zone means UTC),
 * `now`, a relative offset from `now` such as `-24h` or `-7d`, or epoch seconds/milliseconds.
 */
export function parseTime(text: string, now: number = Date.now()): number {
  const t = text.trim();
  if (t === 'now') return now;
  const rel = /^([+-])\s*(.+)$/.exec(t);
  if (rel) {
    const d = parseDuration(rel[2]!);
    if (d !== undefined) return rel[1] === '-' ? now - d : now + d;
  }
  if (/^\d{9,13}$/.test(t)) {
    const n = Number(t);
    return t.length <= 10 ? n * 1000 : n;
  }
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(t);
  if (iso) {
    let s = t.replace(' ', 'T');
    if (!iso[1]) s += 'T00:00:00';
    if (!iso[4]) s += 'Z';
    const ms = Date.parse(s);
    if (!Number.isNaN(ms) && isCalendarDate(t)) return ms;
  }
  throw new VantageError(
    'TIME_FORMAT',
    `cannot read time '${text}': use ISO 8601 (2024-05-01T12:00Z), epoch seconds, 'now' or a relative form like -24h`,
  );
}
