// Stored alert rules: add (or replace) by name, list, get, remove (a tombstone, so ClickHouse's
// newest version is the removal).

import { VantageError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import { parseAlertRule, type AlertRule } from './alert-rule.js';
import { alertRulesSql, type AlertRuleRow, type KeyedTableSql } from './alert-tables.js';

/** The rules table over a store. Call `ensureTables()` once after the store opens. */
export class AlertRuleRepository {
  private readonly sql: KeyedTableSql;

  constructor(private readonly store: Pick<Store, 'execute' | 'dialect' | 'location'>) {
    this.sql = alertRulesSql(store);
  }

  async ensureTables(): Promise<void> {
    await this.store.execute(this.sql.ddl);
  }

  /** Stores a rule (validated), replacing one of the same name; returns it with defaults applied. */
  async put(input: unknown, now: number = Date.now()): Promise<AlertRule> {
    const rule = parseAlertRule(input);
    const version = (await this.latestVersion(rule.name)) + 1;
    await this.write({ name: rule.name, version, deleted: 0, updated_at: now, body: JSON.stringify(rule) });
    return rule;
  }

  /** Every live rule, by name. */
  async list(): Promise<AlertRule[]> {
    const rows = await this.store.execute(`SELECT body FROM ${this.sql.from} WHERE deleted = 0 ORDER BY name`);
    return rows.map((r) => parseAlertRule(JSON.parse(String(r.body)), 'stored alert rule'));
  }

  /** One rule, or NOT_FOUND. */
  async get(name: string): Promise<AlertRule> {
    const params = this.store.dialect.newParams();
    const rows = await this.store.execute(`SELECT body FROM ${this.sql.from} WHERE deleted = 0 AND name = ${params.bind('string', name)}`, params.params);
    if (rows.length === 0) throw new VantageError('NOT_FOUND', `no alert rule named '${name}'`);
    return parseAlertRule(JSON.parse(String(rows[0]!.body)), 'stored alert rule');
  }

  /** Removes a rule (its past alerts stay in the outbox); NOT_FOUND when there is none. */
  async remove(name: string, now: number = Date.now()): Promise<AlertRule> {
    const rule = await this.get(name);
    await this.write({ name, version: (await this.latestVersion(name)) + 1, deleted: 1, updated_at: now, body: JSON.stringify(rule) });
    return rule;
  }

  private async latestVersion(name: string): Promise<number> {
    const params = this.store.dialect.newParams();
    const rows = await this.store.execute(`SELECT max(version) AS v FROM ${this.sql.from} WHERE name = ${params.bind('string', name)}`, params.params);
    const v = rows[0]?.v;
    return v === null || v === undefined ? 0 : Number(v);
  }

  private async write(row: AlertRuleRow): Promise<void> {
    const text = this.sql.encode([row]);
    for (const statement of this.sql.write) await this.store.execute(statement, [{ kind: 'string', value: text }]);
  }
}
