// The API's error contract: the stable core codes plus the few that only HTTP has (auth, limits),
// one status per code, and the JSON body every error response carries.

import { httpStatusFor, VantageError, type ErrorCode } from '../core/errors.js';

/** Codes only the HTTP API produces; the core codes keep their meaning and status. */
export type ApiOnlyCode =
  | 'AUTH_REQUIRED'
  | 'AUTH_FAILED'
  | 'AUTH_FORBIDDEN'
  | 'AUTH_CSRF'
  | 'AUTH_RATE_LIMITED'
  | 'REQUEST_INVALID'
  | 'REQUEST_TOO_LARGE'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'QUERY_TIMEOUT'
  | 'QUERY_BUSY'
  | 'INTERNAL';

/** Every code an API error body may carry. */
export type ApiErrorCode = ErrorCode | ApiOnlyCode;

const API_STATUS: Record<ApiOnlyCode, number> = {
  AUTH_REQUIRED: 401,
  AUTH_FAILED: 401,
  AUTH_FORBIDDEN: 403,
  AUTH_CSRF: 403,
  AUTH_RATE_LIMITED: 429,
  REQUEST_INVALID: 400,
  REQUEST_TOO_LARGE: 413,
  NOT_FOUND: 404,
  CONFLICT: 409,
  QUERY_TIMEOUT: 504,
  QUERY_BUSY: 503,
  INTERNAL: 500,
};

/** HTTP status of a code: API codes from the table above, core codes from core/errors.ts. */
export function apiStatusFor(code: ApiErrorCode): number {
  return (API_STATUS as Record<string, number>)[code] ?? httpStatusFor(code as ErrorCode);
}

/** An expected API failure: becomes a JSON error response with its code's status. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Extra fields for the body (the request field at fault, a retry delay...). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The `error` object of every error response. */
export interface ApiErrorBody {
  readonly code: ApiErrorCode;
  readonly message: string;
  /** 1-based column in the query text (query errors). */
  readonly column?: number;
  /** The query text the column refers to. */
  readonly source?: string;
  readonly line?: number;
  /** The request field at fault (validation errors), as a dotted path. */
  readonly field?: string;
  readonly [key: string]: unknown;
}

/** Turns any thrown value into a status and body; unknown errors become INTERNAL (no details leak). */
export function errorResponse(err: unknown): { status: number; body: { error: ApiErrorBody } } {
  if (err instanceof ApiError) {
    return { status: apiStatusFor(err.code), body: { error: { code: err.code, message: err.message, ...err.extra } } };
  }
  if (err instanceof VantageError) {
    const { column, source, line } = err.location;
    const error: ApiErrorBody = {
      code: err.code,
      message: err.message,
      ...(column !== undefined ? { column } : {}),
      ...(source !== undefined ? { source } : {}),
      ...(line !== undefined ? { line } : {}),
    };
    return { status: apiStatusFor(err.code), body: { error } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error (see the server log)' } } };
}
