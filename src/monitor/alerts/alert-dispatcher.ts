// Delivers due alerts from the outbox: one attempt per due row, its outcome written back before
// the next row (attempts, next attempt with backoff and jitter, last error, delivered). A new
// dispatcher over the same store carries on from the stored state, so a restart loses nothing
// and resends nothing already marked delivered. The one gap is a crash after a receiver took a
// message and before it was marked: that alert goes again, with the same id (see docs/alerting.md).

import type { AlertMessage } from './alert-message.js';
import type { AlertOutbox } from './alert-outbox.js';
import type { AlertOutboxRow } from './alert-tables.js';
import { DEFAULT_RETRY_POLICY, retryDelay, type RetryPolicy } from './retry-policy.js';
import type { AlertSink } from './sinks/alert-sink.js';

/** What the dispatcher needs. */
export interface AlertDispatcherDeps {
  readonly outbox: AlertOutbox;
  readonly sinks: ReadonlyMap<string, AlertSink>;
  readonly clock?: () => number;
  readonly random?: () => number;
  readonly retry?: RetryPolicy;
  /** Rows read per round (default 100). */
  readonly batchSize?: number;
  /** Told about every failed attempt (for logs and metrics). */
  readonly onFailure?: (row: Readonly<AlertOutboxRow>, error: string) => void;
}

/** What one `deliverDue` did. */
export interface DeliveryReport {
  readonly attempted: number;
  readonly delivered: number;
  readonly failed: number;
  /** Alert delivery ids that failed, with their error and next attempt. */
  readonly failures: readonly { readonly id: string; readonly sink: string; readonly error: string; readonly nextAttemptAt: number }[];
}

const MAX_ERROR = 500;

/** The outbox's delivery loop; call `deliverDue()` on a timer or after an evaluation. */
export class AlertDispatcher {
  private running: Promise<DeliveryReport> | undefined;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly retry: RetryPolicy;

  constructor(private readonly deps: AlertDispatcherDeps) {
    this.clock = deps.clock ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.retry = deps.retry ?? DEFAULT_RETRY_POLICY;
  }

  /**
   * Tries every row due now once, oldest first. Calls overlapping a running one wait for it and
   * return its report (one delivery loop per dispatcher; run one dispatcher per store).
   */
  deliverDue(): Promise<DeliveryReport> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<DeliveryReport> {
    const batch = this.deps.batchSize ?? 100;
    const failures: { id: string; sink: string; error: string; nextAttemptAt: number }[] = [];
    let attempted = 0;
    let delivered = 0;
    const start = this.clock();
    const tried = new Set<string>();
    for (;;) {
      // Rows due at the round's start: a row that failed gets a later next attempt, so it is not re-read.
      const rows = (await this.deps.outbox.due(start, batch)).filter((r) => !tried.has(r.id));
      if (rows.length === 0) break;
      for (const row of rows) {
        tried.add(row.id);
        attempted++;
        const outcome = await this.attempt(row);
        if (outcome === undefined) delivered++;
        else failures.push({ id: row.id, sink: row.sink, ...outcome });
      }
      if (rows.length < batch) break;
    }
    return { attempted, delivered, failed: failures.length, failures };
  }

  /** One attempt; undefined when delivered, else the error and the next attempt's time. */
  private async attempt(row: AlertOutboxRow): Promise<{ error: string; nextAttemptAt: number } | undefined> {
    const attempts = row.attempts + 1;
    const sink = this.deps.sinks.get(row.sink);
    let error: string | undefined;
    if (!sink) error = `no sink named '${row.sink}' is configured`;
    else {
      try {
        await sink.send(JSON.parse(row.body) as AlertMessage, { attempt: attempts });
      } catch (err) {
        error = (err as Error)?.message ?? String(err);
        if (error === '') error = String(err);
      }
    }
    const now = this.clock();
    if (error === undefined) {
      await this.deps.outbox.write([{ ...row, state: 'delivered', attempts, delivered_at: now, last_error: null, version: row.version + 1 }]);
      return undefined;
    }
    const text = error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR - 1)}…` : error;
    const nextAttemptAt = now + Math.max(1, retryDelay(attempts, this.retry, this.random));
    const failed: AlertOutboxRow = { ...row, attempts, next_attempt_at: nextAttemptAt, last_error: text, version: row.version + 1 };
    await this.deps.outbox.write([failed]);
    this.deps.onFailure?.(failed, text);
    return { error: text, nextAttemptAt };
  }
}
