// Coded errors: one stable code per failure, shared by logs, metrics, the CLI and the API.

/** Stable error codes. Add new ones here; never rename an existing one. */
export type ErrorCode =
  | 'USAGE'
  | 'QUERY_SYNTAX'
  | 'QUERY_FIELD'
  | 'QUERY_VALUE'
  | 'TIME_FORMAT'
  | 'STORE_URL'
  | 'STORE_OPEN'
  | 'STORE_QUERY'
  | 'IMPORT_FORMAT'
  | 'IMPORT_RECORD'
  | 'IMPORT_FILE'
  | 'COLLECT_LISTEN'
  | 'COLLECT_SPOOL'
  | 'DETECT_CONFIG'
  | 'NOT_FOUND';

/** Where in an input a problem was found, so the user can go straight to it. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  /** 1-based column in a line or a query expression. */
  column?: number;
  /** The text the column refers to (a query expression, a source line). */
  source?: string;
}

/** An expected failure: printed without a stack trace, mapped to an exit code and HTTP status. */
export class VantageError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly location: ErrorLocation = {},
  ) {
    super(message);
    this.name = 'VantageError';
  }
}

/** Exit status per code: 2 for a bad query (as grep and nfdump do for bad expressions), else 1. */
export function exitCodeFor(code: ErrorCode): number {
  return code === 'QUERY_SYNTAX' || code === 'QUERY_FIELD' || code === 'QUERY_VALUE' ? 2 : 1;
}

/** HTTP status per code, for the API. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'USAGE':
    case 'QUERY_SYNTAX':
    case 'QUERY_FIELD':
    case 'QUERY_VALUE':
    case 'TIME_FORMAT':
    case 'IMPORT_FORMAT':
    case 'IMPORT_RECORD':
    case 'DETECT_CONFIG':
      return 400;
    case 'NOT_FOUND':
      return 404;
    default:
      return 500;
  }
}
