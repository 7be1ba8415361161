// Indicators in the store: saving a parsed feed (update, expire, never duplicate), reading the
// active set for the index, and the per-feed bookkeeping behind `intel list` and `intel stats`.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VantageError } from '../core/errors.js';
import { singleRange } from '../core/ip.js';
import type { Store } from '../store/store.js';
import type { FeedParseResult } from './feed-parser.js';
import { parseValue, type FeedKind, type Indicator, type IndicatorKind, type IndicatorType, type StoredIndicator } from './indicator.js';
import { encodeRows, indicatorSql, ipColumnText, storeDatabase, type FeedRow, type IndicatorRow, type IndicatorSql } from './indicator-table.js';

/** What saving one feed did. */
export interface SaveSummary {
  readonly source: string;
  readonly feed: FeedKind;
  readonly file: string;
  /** Entries read, indicators this load listed (now active), and rejected entries. */
  readonly entries: number;
  readonly active: number;
  readonly rejected: number;
  /** New keys, keys seen before (refreshed), and keys the reload no longer lists. */
  readonly added: number;
  readonly updated: number;
  readonly expired: number;
}

/** Rows per upsert statement: a JSON parameter of a few MB, which both engines take in stride. */
const UPSERT_ROWS = 20_000;

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  return Number(v);
}

function list(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  const items = (v as { items?: unknown[] } | null)?.items;
  return Array.isArray(items) ? items.map(String) : [];
}

/** A stored row back to an indicator. */
function fromRow(r: Record<string, unknown>): StoredIndicator {
  let attrs: Record<string, string> = {};
  try {
    attrs = JSON.parse(String(r.attrs ?? '{}')) as Record<string, string>;
  } catch {
    // A row written by hand with bad JSON keeps its other provenance.
  }
  return {
    source: String(r.source),
    type: String(r.type) as IndicatorType,
    value: String(r.value),
    kind: String(r.kind) as IndicatorKind,
    feed: String(r.feed) as FeedKind,
    family: r.family === null || r.family === undefined ? null : String(r.family),
    tags: list(r.tags),
    confidence: num(r.confidence),
    reference: r.reference === null || r.reference === undefined ? null : String(r.reference),
    attrs,
    detect: r.detect === true || r.detect === 1 || r.detect === 'true',
    file: String(r.file ?? ''),
    line: Number(r.line ?? 0),
    raw: String(r.raw ?? ''),
    firstSeen: num(r.first_seen),
    lastSeen: num(r.last_seen),
    validUntil: num(r.valid_until),
    loadedFirst: Number(r.loaded_first),
    loadedLast: Number(r.loaded_last),
    expiredAt: num(r.expired_at),
  };
}

const SELECT_COLUMNS =
  'source, type, value, kind, feed, family, tags, confidence, reference, attrs, detect, file, line, raw, first_seen, last_seen, valid_until, loaded_first, loaded_last, expired_at';

/** The indicator store over a flow store. Call `ensureTables()` once after the store opens. */
export class IndicatorRepository {
  private readonly sql: IndicatorSql;

  constructor(private readonly store: Store) {
    this.sql = indicatorSql(store.dialect, storeDatabase(store));
  }

  /** Creates the indicator and feed tables if they are missing. */
  async ensureTables(): Promise<void> {
    for (const statement of this.sql.ddl) await this.store.execute(statement);
  }

  private row(i: Indicator, loadedFirst: number, now: number): IndicatorRow {
    const v = parseValue(i.type, i.value);
    let range: { first: number | bigint; last: number | bigint; family: 4 | 6 } | undefined;
    let port: number | null = null;
    if (v && 'range' in v) range = v.range;
    if (v && v.type === 'ip-port') port = v.port;
    if (v && v.type === 'url' && v.hostIp !== undefined) range = singleRange(v.hostIp);
    const dialect = this.store.dialect;
    return {
      source: i.source,
      type: i.type,
      value: i.value,
      kind: i.kind,
      feed: i.feed,
      family: i.family,
      tags: [...i.tags],
      confidence: i.confidence,
      reference: i.reference,
      attrs: JSON.stringify(i.attrs),
      detect: i.detect,
      file: i.file,
      line: i.line,
      raw: i.raw.length > 4000 ? `${i.raw.slice(0, 4000)}…` : i.raw,
      first_seen: i.firstSeen,
      last_seen: i.lastSeen,
      valid_until: i.validUntil,
      loaded_first: loadedFirst,
      loaded_last: now,
      expired_at: null,
      updated_at: now,
      ip_family: range ? range.family : 0,
      ip_first: range ? ipColumnText(dialect, range.first) : null,
      ip_last: range ? ipColumnText(dialect, range.last) : null,
      port,
    };
  }

  /**
   * Saves a parsed feed under its source: every indicator is upserted (key: source, type,
   * value; `loaded_first` kept from earlier loads), and the source's indicators that this load
   * no longer lists are marked expired, unless the feed was not read in full (`incomplete`: what
   * it did not list may only have been cut off). `now` must grow from one load to the next.
   */
  async save(result: FeedParseResult, now: number = Date.now()): Promise<SaveSummary> {
    const existing = await this.store.execute(`SELECT type, value, loaded_first, loaded_last, expired_at FROM ${this.sql.indicators} WHERE source = ${this.param(1)}`, [
      { kind: 'string', value: result.source },
    ]);
    const before = new Map(existing.map((r) => [`${String(r.type)} ${String(r.value)}`, { first: Number(r.loaded_first), active: r.expired_at === null || r.expired_at === undefined }]));
    const latest = existing.reduce((m, r) => Math.max(m, Number(r.loaded_last)), 0);
    // Expiry compares load times: a load in the same millisecond as an earlier one would expire nothing.
    if (now <= latest) now = latest + 1;
    let added = 0;
    let updated = 0;
    const rows: IndicatorRow[] = [];
    const seen = new Set<string>();
    for (const i of result.indicators) {
      const key = `${i.type} ${i.value}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const prior = before.get(key);
      if (prior) updated++;
      else added++;
      rows.push(this.row(i, prior?.first ?? now, now));
    }
    const expires = result.incomplete === undefined;
    const unlisted = [...before].filter(([key, b]) => b.active && !seen.has(key)).length;
    const expired = expires ? unlisted : 0;
    const feedRow: FeedRow = {
      source: result.source,
      feed: result.feed,
      file: result.indicators[0]?.file ?? '',
      title: result.meta.title ?? '',
      generated_at: result.meta.generatedAt ?? null,
      loaded_at: now,
      entries: result.entries,
      // An incomplete load keeps what it did not list: the source still has those entries.
      active: expires ? rows.length : rows.length + unlisted,
      rejected: result.problems.length,
      added,
      updated,
      expired,
    };
    const tx = this.sql.transactional;
    if (tx) await this.store.execute('BEGIN TRANSACTION');
    try {
      if (this.sql.rowsVia === 'file') await this.writeViaFile(rows, result.source);
      else {
        for (let at = 0; at < rows.length; at += UPSERT_ROWS) {
          await this.store.execute(this.sql.upsert, [{ kind: 'string', value: encodeRows(this.store.dialect, rows.slice(at, at + UPSERT_ROWS)) }]);
        }
      }
      if (expires) {
        await this.store.execute(this.sql.expire, [
          { kind: 'i64', value: now },
          { kind: 'string', value: result.source },
        ]);
      }
      await this.store.execute(this.sql.upsertFeed, [{ kind: 'string', value: encodeRows(this.store.dialect, [feedRow]) }]);
      if (tx) await this.store.execute('COMMIT');
    } catch (err) {
      if (tx) await this.store.execute('ROLLBACK').catch(() => undefined);
      throw err instanceof VantageError ? err : new VantageError('STORE_QUERY', `cannot save indicators of ${result.source}: ${(err as Error).message}`);
    }
    return { source: result.source, feed: result.feed, file: feedRow.file, entries: result.entries, active: rows.length, rejected: result.problems.length, added, updated, expired };
  }

  /** Stages rows through a JSON-lines file (DuckDB reads it much faster than a bound string). */
  private async writeViaFile(rows: readonly IndicatorRow[], source: string): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'vantage-intel-'));
    try {
      const file = join(dir, 'rows.jsonl');
      writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
      const [create, fill] = this.sql.stage;
      await this.store.execute(create!);
      await this.store.execute(fill!, [{ kind: 'string', value: file }]);
      for (const statement of this.sql.replace) await this.store.execute(statement, statement.includes('$1') ? [{ kind: 'string', value: source }] : []);
      await this.store.execute(this.sql.dropStage);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private param(n: number): string {
    return this.store.dialect.name === 'duckdb' ? `$${n}` : `{p${n}:String}`;
  }

  /** How many active indicators a source has. */
  async activeCount(source: string): Promise<number> {
    const [row] = await this.store.execute(`SELECT COUNT(*) AS n FROM ${this.sql.indicators} WHERE source = ${this.param(1)} AND expired_at IS NULL`, [{ kind: 'string', value: source }]);
    return Number(row?.n ?? 0);
  }

  /** Every indicator not expired, for building the index. */
  async active(): Promise<StoredIndicator[]> {
    const rows = await this.store.execute(`SELECT ${SELECT_COLUMNS} FROM ${this.sql.indicators} WHERE expired_at IS NULL`);
    return rows.map(fromRow);
  }

  /** Expired entries with exactly this value (what feeds used to say about it). */
  async history(type: string, value: string): Promise<StoredIndicator[]> {
    const rows = await this.store.execute(
      `SELECT ${SELECT_COLUMNS} FROM ${this.sql.indicators} WHERE type = ${this.param(1)} AND value = ${this.param(2)} AND expired_at IS NOT NULL ORDER BY expired_at DESC`,
      [
        { kind: 'string', value: type },
        { kind: 'string', value },
      ],
    );
    return rows.map(fromRow);
  }

  /** The feeds loaded, newest first. */
  async feeds(): Promise<FeedRow[]> {
    const rows = await this.store.execute(`SELECT * FROM ${this.sql.feeds} ORDER BY loaded_at DESC, source`);
    return rows.map((r) => ({
      source: String(r.source),
      feed: String(r.feed),
      file: String(r.file),
      title: String(r.title ?? ''),
      generated_at: num(r.generated_at),
      loaded_at: Number(r.loaded_at),
      entries: Number(r.entries),
      active: Number(r.active),
      rejected: Number(r.rejected),
      added: Number(r.added),
      updated: Number(r.updated),
      expired: Number(r.expired),
    }));
  }

  /** Indicator counts per source, type and kind, active and expired. */
  async counts(): Promise<{ source: string; type: string; kind: string; active: number; expired: number }[]> {
    const rows = await this.store.execute(
      `SELECT source, type, kind, SUM(CASE WHEN expired_at IS NULL THEN 1 ELSE 0 END) AS active, SUM(CASE WHEN expired_at IS NULL THEN 0 ELSE 1 END) AS expired ` +
        `FROM ${this.sql.indicators} GROUP BY source, type, kind ORDER BY source, type, kind`,
    );
    return rows.map((r) => ({ source: String(r.source), type: String(r.type), kind: String(r.kind), active: Number(r.active), expired: Number(r.expired) }));
  }
}
