// The audit trail (admins): who did what, when, on what, how many rows. Read-only, filterable,
// downloadable as CSV or JSON (the download is itself audited).

import { useEffect, useState } from 'react';
import { api, ApiFailure, type AuditEntry, type Column, type Row } from '../api';
import { ResultsTable } from '../components/ResultsTable';
import { explorePath, Link } from '../router';

const COLUMNS: Column[] = [
  { name: 'time', kind: 'time' },
  { name: 'actor', kind: 'string' },
  { name: 'role', kind: 'u8' },
  { name: 'action', kind: 'string' },
  { name: 'status', kind: 'u8' },
  { name: 'rows', kind: 'count' },
  { name: 'ms', kind: 'count' },
  { name: 'client', kind: 'string' },
  { name: 'target', kind: 'tags' },
];

const ACTIONS = ['', 'query', 'query.stream', 'query.values', 'export', 'login', 'login.failed', 'logout', 'user.create', 'user.update', 'token.create', 'token.revoke', 'audit.export', 'finding.verdict', 'detect', 'intel.load', 'profile', 'pivot', 'alert.rule.add', 'alert.rule.remove', 'watchlist.put', 'watchlist.remove', 'monitor.add', 'monitor.remove', 'monitor.run', 'taxii.add', 'taxii.delete', 'sighting', 'case.put', 'case.remove', 'case.pin', 'case.unpin', 'case.export', 'blocklist.save', 'blocklist.remove'];

export function AuditPage() {
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [entries, setEntries] = useState<AuditEntry[]>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);

  useEffect(() => {
    api
      .audit({ actor: actor || undefined, action: action || undefined, limit: 2000 })
      .then((r) => setEntries(r.entries))
      .catch((e: unknown) => setError(e instanceof ApiFailure ? e.message : String(e)));
  }, [actor, action, tick]);

  const rows: Row[] = (entries ?? []).map((e) => ({
    time: new Date(e.at).toISOString(),
    actor: `${e.actor}${e.actorKind === 'token' ? ' (token)' : e.actorKind === 'cli' ? '' : ''}`,
    role: e.role,
    action: e.action,
    status: e.errorCode ? `${e.status} ${e.errorCode}` : e.status,
    rows: e.rows,
    ms: e.elapsedMs,
    client: e.client,
    target: e.target,
  }));
  const filter = { actor: actor || undefined, action: action || undefined };
  return (
    <main className="page">
      <header className="page-head">
        <h1>Audit trail</h1>
        <p className="muted small">Every query, export, sign-in and admin action, newest first. Entries cannot be changed or deleted through the API.</p>
      </header>
      <div className="toolbar">
        <input aria-label="actor" placeholder="actor (exact)" value={actor} onChange={(e) => setActor(e.target.value)} />
        <select aria-label="action" value={action} onChange={(e) => setAction(e.target.value)}>
          {ACTIONS.map((a) => (
            <option key={a} value={a}>
              {a || 'all actions'}
            </option>
          ))}
        </select>
        <button className="chip" onClick={() => setTick((t) => t + 1)}>
          ↻ Refresh
        </button>
        <span className="spacer" />
        <a className="chip" href={api.auditExportUrl(filter, 'csv')} download>
          ⇩ CSV
        </a>
        <a className="chip" href={api.auditExportUrl(filter, 'json')} download>
          ⇩ JSON
        </a>
      </div>
      {error && <p className="error">{error}</p>}
      {entries && (
        <section className="card">
          <ResultsTable
            columns={COLUMNS}
            rows={rows}
            height={620}
            testId="audit-table"
            render={{
              target: (r) => {
                const a = String(r.action);
                const t = String(r.target ?? '');
                return a.startsWith('query') || a === 'export' ? (
                  <Link className="mono" to={explorePath(t)}>
                    {t}
                  </Link>
                ) : (
                  <span className="mono">{t}</span>
                );
              },
            }}
          />
        </section>
      )}
    </main>
  );
}
