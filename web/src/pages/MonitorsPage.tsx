// Saved monitors (/monitors, /monitors/NAME, /monitors/new?query=…): queries, pivots, detection
// runs and asset watches on cron schedules (UTC). Each run's answer is kept: the history shows what
// was new since the run before and which counts fell outside the learned baseline. Create, run now,
// delete (analysts; organisation-wide, so a network-scoped account is refused with the reason).

import { useCallback, useEffect, useState } from 'react';
import { api, MONITOR_KINDS, type Monitor, type MonitorInput, type MonitorRun } from '../api';
import { Problem } from '../components/Problem';
import type { SectionProps } from '../extensions';
import { compact } from '../format';
import { explorePath, Link, navigate, pivotPath, useLocation } from '../router';
import './Workspace.css';

interface Draft {
  name: string;
  kind: (typeof MONITOR_KINDS)[number];
  schedule: string;
  query: string;
  entity: string;
  depth: string;
  detectors: string;
  window: string;
  description: string;
  raise: boolean;
}

const SCHEDULES: [string, string][] = [
  ['*/15 * * * *', 'every 15 minutes'],
  ['0 * * * *', 'hourly'],
  ['0 */6 * * *', 'every 6 hours'],
  ['0 6 * * *', 'daily at 06:00 UTC'],
  ['0 6 * * 1', 'Mondays at 06:00 UTC'],
];

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90m", "6h", "7d" as milliseconds; '' is undefined; anything else an error. */
function windowMs(text: string): number | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const m = /^(\d+)\s*([mhd])$/.exec(t);
  if (!m) throw new Error(`window '${t}': write a number of minutes, hours or days (90m, 6h, 7d)`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

function windowText(ms: number | undefined): string {
  if (!ms) return '';
  for (const [u, f] of [['d', UNITS.d!], ['h', UNITS.h!], ['m', UNITS.m!]] as const) if (ms % f === 0) return `${ms / f}${u}`;
  return `${Math.round(ms / 60_000)}m`;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** What a monitor watches, in a line. */
function subject(m: Monitor) {
  switch (m.kind) {
    case 'query':
      return (
        <Link to={explorePath(m.query ?? '')} className="mono small" onClick={(e) => e.stopPropagation()}>
          {m.query}
        </Link>
      );
    case 'pivot':
      return (
        <Link to={pivotPath(m.entity ?? '')} className="mono small" onClick={(e) => e.stopPropagation()}>
          {m.entity} (depth {m.depth ?? 1})
        </Link>
      );
    case 'detect':
      return <span className="small">{m.detectors?.length ? m.detectors.join(', ') : 'every detector'}</span>;
    case 'watch':
      return <span className="small">the watched assets (services, certificates, passive DNS, peers)</span>;
  }
}

export default function MonitorsPage({ subpath }: SectionProps) {
  const { search } = useLocation();
  const selected = decodeURIComponent(subpath.replace(/^\//, ''));
  const [monitors, setMonitors] = useState<Monitor[]>();
  const [error, setError] = useState<unknown>();
  const [draft, setDraft] = useState<Draft>();
  const [runs, setRuns] = useState<MonitorRun[]>();
  const [fresh, setFresh] = useState<number>();
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState<string>();
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  const monitor = monitors?.find((m) => m.name === selected);

  useEffect(() => {
    const ctl = new AbortController();
    api
      .monitors(ctl.signal)
      .then((r) => {
        setMonitors(r.monitors);
        setError(undefined);
      })
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(e));
    return () => ctl.abort();
  }, [tick]);

  // /monitors/new?query=… (Explore's "Save as monitor") opens the form filled in.
  useEffect(() => {
    if (selected !== 'new') {
      setDraft(undefined);
      return;
    }
    const query = search.get('query') ?? '';
    setDraft({ name: '', kind: query ? 'query' : ((search.get('kind') as Draft['kind']) ?? 'query'), schedule: '0 * * * *', query, entity: search.get('entity') ?? '', depth: '1', detectors: '', window: '', description: '', raise: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected]);

  useEffect(() => {
    setRuns(undefined);
    if (!selected || selected === 'new') return;
    const ctl = new AbortController();
    api
      .monitorRuns(selected, 50, ctl.signal)
      .then((r) => setRuns(r.runs))
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(e));
    return () => ctl.abort();
  }, [selected, tick]);

  const save = async () => {
    if (!draft) return;
    setBusy(true);
    setError(undefined);
    try {
      const body: MonitorInput = { name: draft.name.trim(), kind: draft.kind, schedule: draft.schedule.trim(), raise: draft.raise };
      if (draft.description.trim()) body.description = draft.description.trim();
      const w = windowMs(draft.window);
      if (w) body.windowMs = w;
      if (draft.kind === 'query') body.query = draft.query.trim();
      if (draft.kind === 'pivot') {
        body.entity = draft.entity.trim();
        body.depth = Number(draft.depth) || 1;
      }
      if (draft.kind === 'detect')
        body.detectors = draft.detectors
          .split(',')
          .map((d) => d.trim())
          .filter(Boolean);
      const stored = await api.putMonitor(body);
      setSaid(`Saved ${stored.name} (${stored.schedule}, UTC).`);
      navigate(`/monitors/${encodeURIComponent(stored.name)}`, true);
      refresh();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const runNow = async (name: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const run = await api.runMonitor(name);
      setFresh(run.startedAt);
      setSaid(
        run.status === 'ok'
          ? `Ran ${name}: ${run.rows.toLocaleString('en-US')} row${run.rows === 1 ? '' : 's'}, ${run.newValues.length} new value${run.newValues.length === 1 ? '' : 's'}, ${run.anomalies.length} anomal${run.anomalies.length === 1 ? 'y' : 'ies'}.`
          : `${name} failed: ${run.error ?? 'error'}`,
      );
      refresh();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (name: string) => {
    if (!confirm(`Remove the monitor ${name} and its run history?`)) return;
    try {
      await api.deleteMonitor(name);
      setSaid(`Removed ${name}.`);
      navigate('/monitors', true);
      refresh();
    } catch (e) {
      setError(e);
    }
  };

  const set = (k: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => (d ? { ...d, [k]: e.target.value } : d));

  return (
    <main className="page monitors-page" data-testid="monitors-page">
      <header className="page-head">
        <h1>Monitors</h1>
        <p className="muted small">
          Saved queries, pivots, detection runs and asset watches on a schedule (cron, UTC). Every run's answer is kept: each run reports the values not seen before and the counts outside the
          baseline learned from earlier runs, and can raise a finding for them.
        </p>
      </header>
      <div className="toolbar">
        <button className="primary" onClick={() => navigate('/monitors/new')} data-testid="monitor-new">
          New monitor
        </button>
        <button className="chip" onClick={refresh}>
          ↻ Refresh
        </button>
        {said && (
          <span className="small muted" data-testid="monitor-said">
            {said}
          </span>
        )}
      </div>
      <Problem error={error} what="Monitors" />
      <section className="card">
        {monitors && monitors.length === 0 ? (
          <p className="muted">No monitors yet. Save a query from Explore (“Save as monitor”), or create one here.</p>
        ) : (
          <table className="simple pickable" data-testid="monitors-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Schedule (UTC)</th>
                <th>Watches</th>
                <th>Window</th>
                <th>Raises findings</th>
                <th>Description</th>
              </tr>
            </thead>
            <tbody>
              {(monitors ?? []).map((m) => (
                <tr key={m.name} data-name={m.name} className={`${m.name === selected ? 'selected' : ''} ${m.enabled === false ? 'dim' : ''}`} tabIndex={0} onClick={() => navigate(`/monitors/${encodeURIComponent(m.name)}`)} onKeyDown={(e) => e.key === 'Enter' && navigate(`/monitors/${encodeURIComponent(m.name)}`)}>
                  <td className="mono">{m.name}</td>
                  <td>
                    <span className="badge">{m.kind}</span>
                  </td>
                  <td className="mono small" title={SCHEDULES.find(([c]) => c === m.schedule)?.[1]}>
                    {m.schedule}
                  </td>
                  <td>{subject(m)}</td>
                  <td className="mono small">{windowText(m.windowMs) || 'since the last run'}</td>
                  <td>{m.raise === false ? 'no' : 'yes'}</td>
                  <td className="small">{m.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      {draft && (
        <form
          className="card"
          data-testid="monitor-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <h2>New monitor</h2>
          <div className="form-grid">
            <label className="field">
              <span className="small muted">Name</span>
              <input value={draft.name} onChange={set('name')} required placeholder="smb-outbound" data-testid="mon-name" />
            </label>
            <label className="field">
              <span className="small muted">Kind</span>
              <select value={draft.kind} onChange={set('kind')} data-testid="mon-kind">
                {MONITOR_KINDS.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </label>
            <label className="field">
              <span className="small muted">Schedule (cron, UTC)</span>
              <input value={draft.schedule} onChange={set('schedule')} list="cron-presets" className="mono" required data-testid="mon-schedule" />
              <datalist id="cron-presets">
                {SCHEDULES.map(([c, what]) => (
                  <option key={c} value={c}>
                    {what}
                  </option>
                ))}
              </datalist>
            </label>
            <label className="field">
              <span className="small muted">Window (default: since the previous run)</span>
              <input value={draft.window} onChange={set('window')} placeholder="1h, 24h, 7d" data-testid="mon-window" />
            </label>
            {draft.kind === 'query' && (
              <label className="field wide">
                <span className="small muted">Query</span>
                <textarea value={draft.query} onChange={set('query')} rows={2} className="mono" required placeholder="dst port 445 | count by src" data-testid="mon-query" />
              </label>
            )}
            {draft.kind === 'pivot' && (
              <>
                <label className="field">
                  <span className="small muted">Entity</span>
                  <input value={draft.entity} onChange={set('entity')} required placeholder="192.0.2.7, evil.example, AS64500" data-testid="mon-entity" />
                </label>
                <label className="field">
                  <span className="small muted">Depth</span>
                  <select value={draft.depth} onChange={set('depth')}>
                    {['1', '2', '3'].map((d) => (
                      <option key={d}>{d}</option>
                    ))}
                  </select>
                </label>
              </>
            )}
            {draft.kind === 'detect' && (
              <label className="field wide">
                <span className="small muted">Detectors (comma-separated; empty: all)</span>
                <input value={draft.detectors} onChange={set('detectors')} placeholder="scan, beacon, c2" />
              </label>
            )}
            <label className="field wide">
              <span className="small muted">Description</span>
              <input value={draft.description} onChange={set('description')} />
            </label>
            <label className="wide small">
              <input type="checkbox" checked={draft.raise} onChange={(e) => setDraft({ ...draft, raise: e.target.checked })} /> raise a finding when a run has new values or anomalies
            </label>
          </div>
          <div className="form-actions">
            <button type="submit" className="primary" disabled={busy} data-testid="mon-save">
              Save
            </button>
            <button type="button" onClick={() => navigate('/monitors')}>
              Cancel
            </button>
          </div>
        </form>
      )}

      {monitor && (
        <section className="card" data-testid="monitor-detail">
          <div className="toolbar">
            <h2 className="mono" style={{ margin: 0 }}>
              {monitor.name}
            </h2>
            <span className="badge">{monitor.kind}</span>
            <span className="mono small muted">{monitor.schedule}</span>
            <span className="spacer" />
            <button className="primary" onClick={() => void runNow(monitor.name)} disabled={busy} data-testid="monitor-run">
              {busy ? 'Running…' : '▶ Run now'}
            </button>
            <button className="chip danger" onClick={() => void remove(monitor.name)} data-testid="monitor-delete">
              Delete
            </button>
          </div>
          <h3 className="small muted">History, newest first (new values and anomalies highlighted)</h3>
          {runs && runs.length === 0 ? (
            <p className="muted small">No runs yet: the scheduler runs it at its next slot, or run it now.</p>
          ) : (
            <table className="simple small" data-testid="monitor-runs">
              <thead>
                <tr>
                  <th>Slot (UTC)</th>
                  <th>Ran</th>
                  <th>Status</th>
                  <th className="num">Rows</th>
                  <th>New values</th>
                  <th>Anomalies</th>
                  <th>Findings</th>
                </tr>
              </thead>
              <tbody>
                {(runs ?? []).map((r) => (
                  <tr key={`${r.slot}-${r.startedAt}`} className={`${r.newValues.length || r.anomalies.length ? 'hot' : ''} ${r.startedAt === fresh ? 'fresh' : ''}`} data-testid="monitor-run-row">
                    <td className="mono nowrap">{iso(r.slot)}</td>
                    <td className="mono nowrap" title={`${r.finishedAt - r.startedAt} ms`}>
                      {iso(r.startedAt)}
                    </td>
                    <td>{r.status === 'ok' ? <span className="badge accent">ok</span> : <span className="badge bad" title={r.error}>error</span>}</td>
                    <td className="num mono" title={r.truncated ? 'truncated' : undefined}>
                      {compact(r.rows)}
                      {r.truncated ? '+' : ''}
                    </td>
                    <td data-testid="run-new-values">
                      {r.newValues.slice(0, 12).map((v) => (
                        <span key={v} className="badge accent mono">
                          {v}
                        </span>
                      ))}
                      {r.newValues.length > 12 && <span className="muted">+{r.newValues.length - 12} more</span>}
                    </td>
                    <td data-testid="run-anomalies">
                      {r.anomalies.map((a) => (
                        <span key={`${a.key}-${a.metric}`} className="badge warn mono" title={`median ${a.median}, expected ${a.low} – ${a.high}`}>
                          {a.key} {a.metric} {compact(a.value)} (≈{compact(a.median)})
                        </span>
                      ))}
                      {r.error && <span className="error">{r.error}</span>}
                    </td>
                    <td>
                      {r.findings.map((id) => (
                        <Link key={id} to={`/findings/${id}`} className="mono">
                          {id.slice(0, 8)}
                        </Link>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </main>
  );
}
