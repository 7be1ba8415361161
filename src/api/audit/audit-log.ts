// The audit trail: who did what, when, on what, with how many rows. Rows are appended to the
// store's vantage_audit table and never changed; the API offers no route that edits them.

import type { BoundParam, Store } from '../../store/store.js';
import type { AccountStore } from '../auth/account-store.js';
import { newId } from '../auth/account-store.js';
import type { Principal } from '../auth/principal.js';

/** Actions recorded. Query-like reads carry the query text as `target`. */
export type AuditAction =
  | 'query'
  | 'query.stream'
  | 'query.values'
  | 'export'
  | 'login'
  | 'login.failed'
  | 'logout'
  | 'user.create'
  | 'user.update'
  | 'token.create'
  | 'token.revoke'
  | 'audit.export'
  | 'finding.verdict'
  | 'detect'
  | 'intel.load'
  | 'alert.rule.add'
  | 'alert.rule.remove'
  | 'profile'
  | 'pivot'
  | 'sighting'
  | 'taxii.add'
  | 'taxii.delete'
  | 'watchlist.put'
  | 'watchlist.remove'
  | 'monitor.add'
  | 'monitor.remove'
  | 'monitor.run'
  | 'share.export'
  | 'case.put'
  | 'case.remove'
  | 'case.pin'
  | 'case.unpin'
  | 'case.export'
  | 'blocklist.save'
  | 'blocklist.remove'
  | 'taxii.collection.add'
  | 'taxii.grant'
  | 'taxii.publish'
  | 'taxii.pull'
  | 'peer.add'
  | 'peer.remove'
  | 'peer.ask';

/** One audit entry as written. */
export interface AuditEntry {
  readonly action: AuditAction;
  /** What was acted on: the query text, a user name, a token id. */
  readonly target: string;
  /** Extra facts as JSON-able data (time range, format, limits, the caller's scope). */
  readonly detail?: Record<string, unknown>;
  readonly rows?: number;
  readonly status: 'ok' | 'error' | 'denied';
  readonly errorCode?: string;
  /** Client address (as the server sees it, or X-Forwarded-For when trusted). */
  readonly client?: string;
  readonly elapsedMs?: number;
}

/** An audit entry as read back. */
export interface AuditRecord extends Required<Omit<AuditEntry, 'detail' | 'errorCode'>> {
  readonly id: string;
  readonly at: number;
  readonly actor: string;
  readonly actorKind: string;
  readonly actorId: string;
  readonly role: string;
  readonly detail: Record<string, unknown>;
  readonly errorCode: string | null;
}

/** What to list. */
export interface AuditFilter {
  readonly from?: number;
  readonly to?: number;
  readonly actor?: string;
  readonly action?: string;
  readonly limit?: number;
}

/** Writes and reads the audit trail. */
export class AuditLog {
  constructor(
    private readonly store: Store,
    private readonly accounts: AccountStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Appends an entry for a caller: an API principal, `anonymous` (a failed sign-in, with the name
   * tried) or `cli` (an admin command run on the server's machine, with the OS user).
   */
  async record(who: Pick<Principal, 'name' | 'kind' | 'id' | 'role'> | { name: string; kind: 'anonymous' | 'cli' }, entry: AuditEntry): Promise<void> {
    await this.accounts.insertRow('audit', {
      id: newId(),
      at: this.now(),
      actor: who.name,
      actor_kind: who.kind,
      actor_id: 'id' in who ? who.id : '',
      role: 'role' in who ? who.role : '',
      action: entry.action,
      target: entry.target.slice(0, 8192),
      detail: JSON.stringify(entry.detail ?? {}),
      row_count: entry.rows ?? 0,
      status: entry.status,
      error_code: entry.errorCode ?? '',
      client: entry.client ?? '',
      elapsed_ms: Math.round(entry.elapsedMs ?? 0),
    });
  }

  /** Entries matching the filter, newest first. */
  async list(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    const q = this.store.dialect.quote;
    const params = this.store.dialect.newParams();
    const where: string[] = [];
    if (filter.from !== undefined) where.push(`${q('at')} >= ${params.bind('i64', filter.from)}`);
    if (filter.to !== undefined) where.push(`${q('at')} < ${params.bind('i64', filter.to)}`);
    if (filter.actor) where.push(`${q('actor')} = ${params.bind('string', filter.actor)}`);
    if (filter.action) where.push(`${q('action')} = ${params.bind('string', filter.action)}`);
    const limit = params.bind('i64', Math.min(Math.max(filter.limit ?? 1000, 1), 100_000));
    const sql = `SELECT * FROM ${this.accounts.tables.audit}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${q('at')} DESC, ${q('id')} DESC LIMIT ${limit}`;
    const rows = await this.store.execute(sql, params.params as BoundParam[]);
    return rows.map((r) => ({
      id: String(r.id),
      at: Number(r.at),
      actor: String(r.actor),
      actorKind: String(r.actor_kind),
      actorId: String(r.actor_id),
      role: String(r.role),
      action: String(r.action) as AuditAction,
      target: String(r.target),
      detail: parseDetail(r.detail),
      rows: Number(r.row_count),
      status: String(r.status) as AuditRecord['status'],
      errorCode: r.error_code ? String(r.error_code) : null,
      client: String(r.client),
      elapsedMs: Number(r.elapsed_ms),
    }));
  }
}

function parseDetail(value: unknown): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(String(value ?? '{}'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
