// Small response helpers shared by the routes: exact JSON (64-bit counts kept), time bounds.

import type { Context } from 'hono';
import { parseTime } from '../../core/time.js';
import type { ApiEnv } from '../api-context.js';
import { toJson } from '../query/row-format.js';

/**
 * A JSON response written with `toJson`, so counts beyond 2^53 keep every digit. Typed as `never`
 * so it satisfies any route's declared response (the schema documents the shape).
 */
export function exactJson(c: Context<ApiEnv>, body: unknown, status = 200): never {
  return c.body(toJson(body), status as 200, { 'content-type': 'application/json; charset=utf-8' }) as never;
}

/** Parses optional from/to bounds (TIME_FORMAT errors become 400s). */
export function timeBounds(from: string | undefined, to: string | undefined, now = Date.now()): { from?: number; to?: number } {
  return {
    from: from === undefined || from === '' ? undefined : parseTime(from, now),
    to: to === undefined || to === '' ? undefined : parseTime(to, now),
  };
}
