// The durable outbox: alerts are written here before any delivery is tried, and each delivery
// attempt's outcome (attempts, next attempt, last error, delivered) is written back before the
// next one starts, so a restarted process picks up exactly where the last one stopped.

import type { BoundParam, Store } from '../../store/store.js';
import { alertOutboxSql, ALERT_STATES, type AlertOutboxRow, type AlertState, type KeyedTableSql } from './alert-tables.js';
import type { AlertMessage } from './alert-message.js';

/** Filters for listing. */
export interface AlertListFilter {
  readonly state?: AlertState;
  readonly rule?: string;
  readonly findingId?: string;
  readonly limit?: number;
}

/** An outbox row as callers read it. */
export interface OutboxEntry extends Omit<AlertOutboxRow, 'body'> {
  readonly message: AlertMessage;
}

const CHUNK = 1_000;

/** The outbox table over a store. Call `ensureTables()` once after the store opens. */
export class AlertOutbox {
  private readonly sql: KeyedTableSql;

  constructor(private readonly store: Pick<Store, 'execute' | 'dialect' | 'location'>) {
    this.sql = alertOutboxSql(store);
  }

  async ensureTables(): Promise<void> {
    await this.store.execute(this.sql.ddl);
  }

  /** Writes rows (new or changed; a changed row must carry a higher version). */
  async write(rows: readonly AlertOutboxRow[]): Promise<void> {
    for (let at = 0; at < rows.length; at += CHUNK) {
      const text = this.sql.encode(rows.slice(at, at + CHUNK));
      for (const statement of this.sql.write) await this.store.execute(statement, [{ kind: 'string', value: text }]);
    }
  }

  /** Every row of one rule about these findings (for de-duplication). */
  async ofFindings(rule: string, findingIds: readonly string[]): Promise<AlertOutboxRow[]> {
    const out: AlertOutboxRow[] = [];
    const unique = [...new Set(findingIds)];
    for (let at = 0; at < unique.length; at += CHUNK) {
      const params = this.store.dialect.newParams();
      const ids = unique.slice(at, at + CHUNK).map((id) => params.bind('string', id));
      out.push(...(await this.select(`rule = ${params.bind('string', rule)} AND finding_id IN (${ids.join(', ')})`, params.params)));
    }
    return out;
  }

  /** Distinct alerts of a rule delivered or due (not held back) raised at or after `since`. */
  async countSince(rule: string, since: number): Promise<number> {
    const params = this.store.dialect.newParams();
    const rows = await this.store.execute(
      `SELECT count(DISTINCT alert_id) AS n FROM ${this.sql.from} WHERE rule = ${params.bind('string', rule)} AND type = 'finding' AND state <> 'suppressed' AND created_at >= ${params.bind('i64', since)}`,
      params.params,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Rows by delivery id. */
  async byIds(ids: readonly string[]): Promise<AlertOutboxRow[]> {
    if (ids.length === 0) return [];
    const params = this.store.dialect.newParams();
    return this.select(`id IN (${[...new Set(ids)].map((id) => params.bind('string', id)).join(', ')})`, params.params);
  }

  /** Pending rows whose next attempt is due at `now`, oldest due first. */
  async due(now: number, limit: number): Promise<AlertOutboxRow[]> {
    const params = this.store.dialect.newParams();
    return this.select(`state = 'pending' AND next_attempt_at <= ${params.bind('i64', now)}`, params.params, `ORDER BY next_attempt_at, created_at, id LIMIT ${Math.max(1, Math.floor(limit))}`);
  }

  /**
   * Makes every pending finding alert waiting on backoff due at `now` (an operator's "send now";
   * summaries keep waiting for their window to close). Returns how many.
   */
  async expedite(now: number): Promise<number> {
    const params = this.store.dialect.newParams();
    const waiting = await this.select(`state = 'pending' AND type = 'finding' AND next_attempt_at > ${params.bind('i64', now)}`, params.params);
    await this.write(waiting.map((r) => ({ ...r, next_attempt_at: now, version: r.version + 1 })));
    return waiting.length;
  }

  /** Rows for display, newest first. */
  async list(filter: AlertListFilter = {}): Promise<OutboxEntry[]> {
    const params = this.store.dialect.newParams();
    const where: string[] = [];
    if (filter.state) where.push(`state = ${params.bind('string', filter.state)}`);
    if (filter.rule) where.push(`rule = ${params.bind('string', filter.rule)}`);
    if (filter.findingId) where.push(`finding_id = ${params.bind('string', filter.findingId)}`);
    const rows = await this.select(where.length ? where.join(' AND ') : '1 = 1', params.params, `ORDER BY created_at DESC, id LIMIT ${Math.max(1, Math.floor(filter.limit ?? 200))}`);
    return rows.map(({ body, ...rest }) => ({ ...rest, message: JSON.parse(body) as AlertMessage }));
  }

  /** Rows per state. */
  async counts(): Promise<Record<AlertState, number>> {
    const rows = await this.store.execute(`SELECT state, count(*) AS n FROM ${this.sql.from} GROUP BY state`);
    const out = Object.fromEntries(ALERT_STATES.map((s) => [s, 0])) as Record<AlertState, number>;
    for (const r of rows) out[String(r.state) as AlertState] = Number(r.n);
    return out;
  }

  private async select(where: string, params: readonly BoundParam[], tail = ''): Promise<AlertOutboxRow[]> {
    const rows = await this.store.execute(`SELECT * FROM ${this.sql.from} WHERE ${where} ${tail}`, params);
    return rows.map(toRow);
  }
}

function toRow(r: Record<string, unknown>): AlertOutboxRow {
  const num = (v: unknown) => Number(v);
  const opt = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(r.id),
    alert_id: String(r.alert_id),
    rule: String(r.rule),
    sink: String(r.sink),
    finding_id: String(r.finding_id),
    episode: String(r.episode),
    type: String(r.type) as AlertOutboxRow['type'],
    state: String(r.state) as AlertState,
    severity: String(r.severity),
    attempts: num(r.attempts),
    next_attempt_at: num(r.next_attempt_at),
    last_error: r.last_error === null || r.last_error === undefined ? null : String(r.last_error),
    created_at: num(r.created_at),
    delivered_at: opt(r.delivered_at),
    summary_id: r.summary_id === null || r.summary_id === undefined ? null : String(r.summary_id),
    version: num(r.version),
    body: String(r.body),
  };
}
