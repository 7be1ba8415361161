// Alerts (/alerts): the rules that send findings to sinks (webhook, syslog, e-mail), added and
// removed by admins, and the outbox: every alert with its delivery state, attempts, next try and
// last error, linked to the finding it reports. Analysts read; scoped accounts see only the alerts
// on findings in their networks.

import { useCallback, useEffect, useState } from 'react';
import { api, type Alert, type AlertRule } from '../api';
import { Problem } from '../components/Problem';
import type { SectionProps } from '../extensions';
import { utc } from '../format';
import { Link } from '../router';
import './Workspace.css';

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
const STATES = ['pending', 'delivered', 'suppressed'];
const STATE_CLASS: Record<string, string> = { delivered: 'accent', pending: 'warn', suppressed: '' };

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

interface Draft {
  name: string;
  kinds: string;
  minSeverity: string;
  minScore: string;
  watchlists: string;
  tags: string;
  sinks: string;
}

const EMPTY: Draft = { name: '', kinds: '', minSeverity: 'high', minScore: '', watchlists: '', tags: '', sinks: '' };

export default function AlertsPage({ me }: SectionProps) {
  const isAdmin = me.permissions.includes('admin');
  const [rules, setRules] = useState<AlertRule[]>();
  const [alerts, setAlerts] = useState<Alert[]>();
  const [scoped, setScoped] = useState(false);
  const [state, setState] = useState('');
  const [error, setError] = useState<unknown>();
  const [draft, setDraft] = useState<Draft>();
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    const ctl = new AbortController();
    Promise.all([api.alertRules(ctl.signal), api.alerts({ state: state || undefined, limit: 500 }, ctl.signal)])
      .then(([r, a]) => {
        setRules(r.rules);
        setAlerts(a.alerts);
        setScoped(a.scoped);
        setError(undefined);
      })
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(e));
    return () => ctl.abort();
  }, [state, tick]);

  const save = async () => {
    if (!draft) return;
    setError(undefined);
    try {
      const rule: AlertRule = { name: draft.name.trim(), sinks: list(draft.sinks), minSeverity: draft.minSeverity };
      if (list(draft.kinds).length) rule.kinds = list(draft.kinds);
      if (list(draft.watchlists).length) rule.watchlists = list(draft.watchlists);
      if (list(draft.tags).length) rule.tags = list(draft.tags);
      if (draft.minScore.trim()) rule.minScore = Number(draft.minScore);
      await api.putAlertRule(rule);
      setDraft(undefined);
      refresh();
    } catch (e) {
      setError(e);
    }
  };

  const remove = async (name: string) => {
    if (!confirm(`Remove the alert rule ${name}? Alerts it already queued are still delivered.`)) return;
    try {
      await api.deleteAlertRule(name);
      refresh();
    } catch (e) {
      setError(e);
    }
  };

  const set = (k: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => (d ? { ...d, [k]: e.target.value } : d));

  return (
    <main className="page alerts-page stack" data-testid="alerts-page">
      <header className="page-head">
        <h1>Alerts</h1>
        <p className="muted small">
          Rules send findings to sinks (webhook, syslog, e-mail; configured on the server): one alert per finding and severity episode, rate limited per rule, retried with backoff until
          delivered. {scoped ? 'Limited to alerts on findings in your networks.' : ''}
        </p>
      </header>
      <Problem error={error} what="Alerts" />
      <section className="card">
        <div className="toolbar">
          <h2 style={{ margin: 0 }}>Rules</h2>
          <span className="spacer" />
          {isAdmin && !draft && (
            <button className="primary" onClick={() => setDraft({ ...EMPTY })} data-testid="rule-new">
              Add rule
            </button>
          )}
        </div>
        {rules && rules.length === 0 && <p className="muted small">No rules: findings are stored but nobody is told.</p>}
        {rules && rules.length > 0 && (
          <table className="simple small" data-testid="alert-rules">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kinds</th>
                <th>Severity ≥</th>
                <th>Score ≥</th>
                <th>Watchlists</th>
                <th>Tags</th>
                <th>Sinks</th>
                <th>Rate limit</th>
                {isAdmin && <th />}
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => (
                <tr key={r.name} className={r.enabled === false ? 'dim' : ''}>
                  <td className="mono">{r.name}</td>
                  <td>{r.kinds?.length ? r.kinds.join(', ') : 'any'}</td>
                  <td>{r.minSeverity ?? 'info'}</td>
                  <td className="mono">{r.minScore ?? 0}</td>
                  <td>{r.watchlists?.join(', ') ?? ''}</td>
                  <td>{r.tags?.join(', ') ?? ''}</td>
                  <td className="mono">{r.sinks.join(', ')}</td>
                  <td className="small">{r.rateLimit ? `${r.rateLimit.max} per ${r.rateLimit.windowMinutes} min` : ''}</td>
                  {isAdmin && (
                    <td>
                      <button className="chip danger" onClick={() => void remove(r.name)}>
                        Remove
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {draft && (
          <form
            className="inline-form form-grid"
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
            data-testid="rule-form"
          >
            <label className="field">
              <span className="small muted">Name</span>
              <input value={draft.name} onChange={set('name')} required placeholder="partners-c2" data-testid="rule-name" />
            </label>
            <label className="field">
              <span className="small muted">Sinks (comma-separated, as configured)</span>
              <input value={draft.sinks} onChange={set('sinks')} required placeholder="soc-webhook" data-testid="rule-sinks" />
            </label>
            <label className="field">
              <span className="small muted">Finding kinds (empty: any)</span>
              <input value={draft.kinds} onChange={set('kinds')} placeholder="c2, beacon, partner-compromised" />
            </label>
            <label className="field">
              <span className="small muted">At least severity</span>
              <select value={draft.minSeverity} onChange={set('minSeverity')}>
                {SEVERITIES.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </label>
            <label className="field">
              <span className="small muted">At least score (0–1)</span>
              <input value={draft.minScore} onChange={set('minScore')} inputMode="decimal" placeholder="0.5" />
            </label>
            <label className="field">
              <span className="small muted">Watchlists (“*”: any)</span>
              <input value={draft.watchlists} onChange={set('watchlists')} placeholder="acme, *" />
            </label>
            <label className="field wide">
              <span className="small muted">Tags (a finding's tags, intelligence tags or kind)</span>
              <input value={draft.tags} onChange={set('tags')} placeholder="partner-compromised" />
            </label>
            <div className="form-actions wide">
              <button type="submit" className="primary" data-testid="rule-save">
                Save rule
              </button>
              <button type="button" onClick={() => setDraft(undefined)}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </section>

      <section className="card">
        <div className="toolbar">
          <h2 style={{ margin: 0 }}>Outbox</h2>
          <select aria-label="delivery state" value={state} onChange={(e) => setState(e.target.value)} data-testid="alert-state">
            <option value="">any state</option>
            {STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          <button className="chip" onClick={refresh}>
            ↻ Refresh
          </button>
          <span className="muted small">{alerts ? `${alerts.length} alert${alerts.length === 1 ? '' : 's'}` : ''}</span>
        </div>
        {alerts && alerts.length === 0 ? (
          <p className="muted small">Nothing in the outbox{state ? ` in state ${state}` : ''}.</p>
        ) : (
          <table className="simple small" data-testid="alert-outbox">
            <thead>
              <tr>
                <th>Created</th>
                <th>State</th>
                <th>Rule</th>
                <th>Sink</th>
                <th>Severity</th>
                <th>Finding</th>
                <th className="num">Attempts</th>
                <th>Next try / delivered</th>
                <th>Last error</th>
              </tr>
            </thead>
            <tbody>
              {(alerts ?? []).map((a) => (
                <tr key={`${a.alert}-${a.sink}`}>
                  <td className="mono nowrap">{utc(a.created).slice(0, 19)}</td>
                  <td>
                    <span className={`badge ${STATE_CLASS[a.state] ?? ''}`}>{a.state}</span>
                  </td>
                  <td className="mono">{a.rule}</td>
                  <td className="mono">{a.sink}</td>
                  <td>{a.severity}</td>
                  <td>
                    {a.finding ? (
                      <Link to={`/findings/${a.finding}`} className="mono" title={String(a.message.summary ?? '')}>
                        {a.finding.slice(0, 8)}
                      </Link>
                    ) : (
                      <span className="muted">summary</span>
                    )}
                  </td>
                  <td className="num mono">{a.attempts}</td>
                  <td className="mono nowrap">{a.delivered ? utc(a.delivered).slice(0, 19) : a.nextAttempt ? `next ${utc(a.nextAttempt).slice(0, 19)}` : ''}</td>
                  <td className="error small">{a.lastError ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}
