// Runs the query language for API callers: the caller's network scope AND-ed into the AST, a row
// cap added as a `limit` stage, time bounds, a per-query timeout and a cap on concurrent queries.
// Every route that reads flows goes through `run`, so none can bypass the scope.

import type { Histogram, Counter } from 'prom-client';
import { VantageError } from '../../core/errors.js';
import { compileQuery } from '../../query/compile/compile.js';
import type { Query } from '../../query/language/ast.js';
import { parseQuery } from '../../query/language/parser.js';
import type { ColumnKind } from '../../core/columns.js';
import type { ResultRow, Store } from '../../store/store.js';
import { ApiError } from '../api-error.js';
import { applyScope } from '../auth/network-scope.js';
import type { Principal } from '../auth/principal.js';

/** Limits of the query path. */
export interface QueryLimits {
  /** Per-query timeout, ms. */
  readonly timeoutMs: number;
  /** Rows returned by POST /api/query at most. */
  readonly maxRows: number;
  /** Rows streamed or exported at most. */
  readonly maxExportRows: number;
  /** Queries running at once; more wait (their wait counts against the timeout). */
  readonly maxConcurrent: number;
}

/** One query request. */
export interface QueryRequest {
  readonly text: string;
  /** The query already parsed (routes that build queries from parts); `text` is then for messages only. */
  readonly ast?: Query;
  readonly from?: number;
  readonly to?: number;
  /** Row cap for this request (at most the service's limit). */
  readonly limit: number;
  readonly timeoutMs?: number;
}

/** A column of the answer. */
export interface ResultColumn {
  readonly name: string;
  readonly kind: ColumnKind | 'count';
}

/** The answer. */
export interface QueryAnswer {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly ResultRow[];
  /** True when more rows matched than the cap allowed. */
  readonly truncated: boolean;
  readonly elapsedMs: number;
}

/** Metrics the service updates. */
export interface QueryMetrics {
  readonly queries: Counter<'status'>;
  readonly duration: Histogram<'status'>;
  readonly rows: Counter<string>;
}

/** Parses, scopes, caps, compiles and runs queries. */
export class QueryService {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    readonly limits: QueryLimits,
    private readonly metrics?: QueryMetrics,
  ) {}

  /** Parses and compiles without running: the columns, or the coded error with its column. */
  check(principal: Principal, text: string): readonly ResultColumn[] {
    return this.compile(principal, { text, limit: 1 }).compiled.outputs.map((o) => ({ name: o.name, kind: o.kind }));
  }

  private compile(principal: Principal, request: QueryRequest) {
    if (request.text.length > 10_000) throw new ApiError('REQUEST_INVALID', 'queries are at most 10,000 characters', { field: 'query' });
    if (request.from !== undefined && request.to !== undefined && request.from >= request.to) {
      throw new ApiError('REQUEST_INVALID', "'from' must be before 'to'", { field: 'from' });
    }
    const parsed: Query = request.ast ?? parseQuery(request.text);
    const scoped = applyScope(parsed, principal.ranges);
    // The cap travels as one more `limit` stage: the compiler keeps the smaller of it and the query's own.
    const capped: Query = { ...scoped, stages: [...scoped.stages, { type: 'limit', n: request.limit + 1, column: parsed.source.length + 1 }] };
    const compiled = compileQuery(capped, this.store.dialect, { rollups: this.store.rollups, from: request.from, to: request.to });
    return { compiled };
  }

  /** Runs a query for a caller; throws coded errors (QUERY_*, QUERY_TIMEOUT, QUERY_BUSY). */
  async run(principal: Principal, request: QueryRequest): Promise<QueryAnswer> {
    const started = performance.now();
    const timeoutMs = Math.min(request.timeoutMs ?? this.limits.timeoutMs, this.limits.timeoutMs);
    let status = 'ok';
    try {
      const { compiled } = this.compile(principal, request);
      const rows = await this.withSlot(timeoutMs, () => this.store.run(compiled));
      const truncated = rows.length > request.limit;
      if (truncated) rows.length = request.limit;
      this.metrics?.rows.inc(rows.length);
      return { columns: compiled.outputs.map((o) => ({ name: o.name, kind: o.kind })), rows, truncated, elapsedMs: Math.round(performance.now() - started) };
    } catch (err) {
      status = err instanceof VantageError || err instanceof ApiError ? err.code : 'INTERNAL';
      throw err;
    } finally {
      this.metrics?.queries.inc({ status });
      this.metrics?.duration.observe({ status }, (performance.now() - started) / 1000);
    }
  }

  /**
   * Runs `work` when a slot is free, failing with QUERY_TIMEOUT after `timeoutMs`. The store
   * call cannot be cancelled through the Store interface, so a timed-out query keeps its slot
   * until the backend finishes: the cap on concurrency also caps abandoned work.
   */
  private async withSlot<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new ApiError('QUERY_TIMEOUT', `the query took longer than ${timeoutMs} ms: narrow the time range or the filter`));
      }, timeoutMs);
    });
    const acquire = new Promise<void>((resolve) => {
      if (this.running < this.limits.maxConcurrent) {
        this.running++;
        resolve();
      } else {
        if (this.waiting.length >= this.limits.maxConcurrent * 16) {
          throw new ApiError('QUERY_BUSY', 'too many queries are waiting: try again shortly');
        }
        this.waiting.push(() => {
          this.running++;
          resolve();
        });
      }
    });
    const release = (): void => {
      this.running--;
      const next = this.waiting.shift();
      if (next) next();
    };
    try {
      const job = acquire.then(() => {
        if (timedOut) {
          release();
          throw new ApiError('QUERY_TIMEOUT', `the query waited longer than ${timeoutMs} ms for a free slot`);
        }
        const p = work();
        p.then(release, release);
        return p;
      });
      job.catch(() => undefined);
      return await Promise.race([job, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
