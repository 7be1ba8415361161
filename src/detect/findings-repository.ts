// Stored findings: saving a run's findings (a finding raised again updates the stored one, its
// verdict kept), listing them for triage, and the analyst's verdicts. A false positive feeds
// the allow-list: its attacker-side addresses become `allow` indicators of the source
// `analyst:false-positives`, with the finding and the note as provenance.

import { VantageError } from '../core/errors.js';
import { parseIp } from '../core/ip.js';
import type { Indicator } from '../intel/indicator.js';
import { IndicatorRepository } from '../intel/indicator-repository.js';
import type { Store } from '../store/store.js';
import type { NewFinding } from './detector.js';
import { type Finding, type FindingStatus, type Severity } from './finding.js';
import { findingsSql, type FindingRow, type FindingsSql } from './findings-table.js';

/** The allow-list source analysts' false-positive verdicts feed. */
export const FALSE_POSITIVE_SOURCE = 'analyst:false-positives';

/** Roles whose address a false-positive verdict allow-lists (the side the finding accused). */
export const ACCUSED_ROLES: ReadonlySet<string> = new Set(['attacker', 'scanner', 'c2', 'reflector', 'server']);

/** What a save did. */
export interface SaveFindingsSummary {
  readonly added: number;
  readonly updated: number;
  /** Raised again but kept quiet: an analyst marked them false positives. */
  readonly suppressed: number;
}

/** Filters for listing. */
export interface FindingFilter {
  readonly kind?: readonly string[];
  readonly status?: FindingStatus;
  readonly minSeverity?: Severity;
  /** Findings active (last) at or after this time, epoch ms. */
  readonly since?: number;
  readonly limit?: number;
}

const WRITE_CHUNK = 2_000;

/** The findings store over a flow store. Call `ensureTables()` once after the store opens. */
export class FindingsRepository {
  private readonly sql: FindingsSql;

  constructor(private readonly store: Store) {
    this.sql = findingsSql(store);
  }

  async ensureTables(): Promise<void> {
    for (const statement of this.sql.ddl) await this.store.execute(statement);
  }

  /**
   * Saves a run's findings. One already stored (same id) keeps its verdict, note and creation
   * time; its span widens, its score and evidence are the latest, and its run count grows.
   */
  async save(findings: readonly NewFinding[], now: number = Date.now()): Promise<SaveFindingsSummary> {
    const existing = await this.byIds(findings.map((f) => f.id));
    let added = 0;
    let updated = 0;
    let suppressed = 0;
    const rows: FindingRow[] = [];
    for (const f of findings) {
      const old = existing.get(f.id);
      let merged: Finding;
      if (old) {
        updated++;
        if (old.finding.status === 'false-positive') suppressed++;
        merged = {
          ...f,
          first: old.finding.first < f.first ? old.finding.first : f.first,
          last: old.finding.last > f.last ? old.finding.last : f.last,
          status: old.finding.status,
          note: old.finding.note,
          runs: old.finding.runs + 1,
        };
      } else {
        added++;
        merged = { ...f, status: 'open', note: null, runs: 1 };
      }
      rows.push(this.row(merged, old?.createdAt ?? now, now));
    }
    await this.write(rows);
    return { added, updated, suppressed };
  }

  /** Findings matching the filter, most severe and most recent first. */
  async list(filter: FindingFilter = {}): Promise<Finding[]> {
    const d = this.store.dialect;
    const params = d.newParams();
    const where: string[] = [];
    if (filter.kind && filter.kind.length > 0) where.push(`kind IN (${filter.kind.map((k) => params.bind('string', k)).join(', ')})`);
    if (filter.status) where.push(`status = ${params.bind('string', filter.status)}`);
    if (filter.since !== undefined) where.push(`last_ms >= ${params.bind('i64', filter.since)}`);
    if (filter.minSeverity) {
      const order = ['info', 'low', 'medium', 'high', 'critical'];
      const allowed = order.slice(order.indexOf(filter.minSeverity));
      where.push(`severity IN (${allowed.map((s) => params.bind('string', s)).join(', ')})`);
    }
    const limit = filter.limit ?? 1000;
    const sql =
      `SELECT body, status, runs FROM ${this.sql.from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ` +
      `ORDER BY score DESC, last_ms DESC, id LIMIT ${Math.max(1, Math.floor(limit))}`;
    return (await this.store.execute(sql, params.params)).map((r) => this.parse(r));
  }

  /** One finding by id, or by a unique id prefix (as `git` takes short hashes). */
  async get(idOrPrefix: string): Promise<Finding> {
    if (!/^[0-9a-f]{4,20}$/.test(idOrPrefix)) throw new VantageError('USAGE', `'${idOrPrefix}' is not a finding id (4 to 20 hex digits)`);
    const d = this.store.dialect;
    const params = d.newParams();
    const rows = await this.store.execute(
      `SELECT body, status, runs FROM ${this.sql.from} WHERE substring(id, 1, ${idOrPrefix.length}) = ${params.bind('string', idOrPrefix)} LIMIT 2`,
      params.params,
    );
    if (rows.length === 0) throw new VantageError('NOT_FOUND', `no finding with id ${idOrPrefix}`);
    if (rows.length > 1) throw new VantageError('USAGE', `id prefix ${idOrPrefix} names more than one finding: give more digits`);
    return this.parse(rows[0]!);
  }

  /**
   * Records an analyst's verdict. Marking a false positive allow-lists the accused addresses
   * (the allow-list is rebuilt from all false-positive findings, so undoing one removes its entries).
   */
  async setVerdict(idOrPrefix: string, status: FindingStatus, note: string | null, now: number = Date.now()): Promise<Finding> {
    const current = await this.get(idOrPrefix);
    const [stored] = (await this.byIds([current.id])).values();
    const next: Finding = { ...current, status, note: note ?? current.note };
    await this.write([this.row(next, stored?.createdAt ?? now, now)]);
    if (status === 'false-positive' || current.status === 'false-positive') await this.rebuildAllowList(now);
    return next;
  }

  private async rebuildAllowList(now: number): Promise<void> {
    const fps = await this.list({ status: 'false-positive', limit: 100_000 });
    const indicators: Indicator[] = [];
    const seen = new Set<string>();
    for (const f of fps) {
      for (const e of f.entities) {
        if (e.type !== 'ip' || !ACCUSED_ROLES.has(e.role) || parseIp(e.value) === undefined || seen.has(e.value)) continue;
        seen.add(e.value);
        indicators.push({
          source: FALSE_POSITIVE_SOURCE,
          type: 'ip',
          value: e.value,
          kind: 'allow',
          feed: 'list',
          family: null,
          tags: [`finding:${f.kind}`],
          confidence: null,
          reference: f.id,
          attrs: { finding: f.id, kind: f.kind, summary: f.summary, ...(f.note ? { note: f.note } : {}) },
          detect: false,
          file: 'findings',
          line: 0,
          raw: f.note ?? f.summary,
          firstSeen: Date.parse(f.first),
          lastSeen: Date.parse(f.last),
          validUntil: null,
        });
      }
    }
    const repo = new IndicatorRepository(this.store);
    await repo.ensureTables();
    await repo.save({ feed: 'list', source: FALSE_POSITIVE_SOURCE, indicators, problems: [], meta: { title: 'addresses of findings marked false positive' }, entries: indicators.length }, now);
  }

  /** Stored findings by id, with when each was first stored. */
  async byIds(ids: readonly string[]): Promise<Map<string, { finding: Finding; createdAt: number }>> {
    const out = new Map<string, { finding: Finding; createdAt: number }>();
    const unique = [...new Set(ids)];
    for (let at = 0; at < unique.length; at += WRITE_CHUNK) {
      const d = this.store.dialect;
      const params = d.newParams();
      const list = unique.slice(at, at + WRITE_CHUNK).map((id) => params.bind('string', id));
      const rows = await this.store.execute(`SELECT body, status, runs, created_at FROM ${this.sql.from} WHERE id IN (${list.join(', ')})`, params.params);
      for (const r of rows) {
        const finding = this.parse(r);
        out.set(finding.id, { finding, createdAt: Number(r.created_at) });
      }
    }
    return out;
  }

  private parse(r: Record<string, unknown>): Finding {
    const body = JSON.parse(String(r.body)) as Finding;
    return { ...body, status: String(r.status) as FindingStatus, runs: Number(r.runs) };
  }

  private row(f: Finding, createdAt: number, now: number): FindingRow {
    return {
      id: f.id,
      kind: f.kind,
      subkind: f.subkind,
      status: f.status,
      severity: f.severity,
      score: f.score,
      src: f.src,
      dst: f.dst,
      dport: f.dport,
      first_ms: Date.parse(f.first),
      last_ms: Date.parse(f.last),
      runs: f.runs,
      created_at: createdAt,
      updated_at: now,
      body: JSON.stringify(f),
    };
  }

  private async write(rows: readonly FindingRow[]): Promise<void> {
    for (let at = 0; at < rows.length; at += WRITE_CHUNK) {
      const text = this.sql.encode(rows.slice(at, at + WRITE_CHUNK));
      for (const statement of this.sql.write) await this.store.execute(statement, [{ kind: 'string', value: text }]);
    }
  }
}


