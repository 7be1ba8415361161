// The findings inbox: stored findings filtered by kind, status and severity; a finding's detail
// (sub-scores, evidence counts, the reproducing query one click from Explore, sample flows,
// intelligence); verdicts (acknowledge, false positive with a note, reopen) and detection runs
// for analysts. Filters live in the query string and the open finding in the path
// (/findings/ID), so a view can be linked and survives a reload.

import { useCallback, useEffect, useState } from 'react';
import { api, ApiFailure, type Column, type DetectReport, type Finding, type FindingStatus, type FindingWatch } from '../api';
import { PinToCase } from '../components/PinToCase';
import { ResultsTable } from '../components/ResultsTable';
import type { SectionProps } from '../extensions';
import { compact, protocol, utc } from '../format';
import { explorePath, ipPath, Link, navigate, useLocation } from '../router';
import './FindingsPage.css';

const STATUSES: FindingStatus[] = ['open', 'acknowledged', 'false-positive'];
const SEVERITIES = ['low', 'medium', 'high', 'critical'];

const SAMPLE_COLUMNS: Column[] = [
  { name: 'start', kind: 'time' },
  { name: 'src', kind: 'ip' },
  { name: 'sport', kind: 'u16' },
  { name: 'dst', kind: 'ip' },
  { name: 'dport', kind: 'u16' },
  { name: 'proto', kind: 'u8' },
  { name: 'tcp_flags', kind: 'u8' },
  { name: 'packets', kind: 'count' },
  { name: 'bytes', kind: 'count' },
];

const message = (e: unknown) => (e instanceof ApiFailure ? `${e.code}: ${e.message}` : String(e));

/** TCP flags as letters (nfdump's order), e.g. 18 -> "AS". */
function flags(value: unknown): string {
  if (typeof value !== 'number') return '';
  return [[32, 'U'], [16, 'A'], [8, 'P'], [4, 'R'], [2, 'S'], [1, 'F']].map(([bit, letter]) => ((value & (bit as number)) !== 0 ? letter : '.')).join('');
}

function SeverityBadge({ severity }: { severity: string }) {
  return <span className={`severity sev-${severity}`}>{severity}</span>;
}

function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`finding-status st-${status}`} data-testid="finding-status">
      {status}
    </span>
  );
}

/** The watchlists a finding's entities are on, one badge per list (the value and member in its title). */
function WatchBadges({ watched }: { watched?: FindingWatch[] }) {
  if (!watched?.length) return null;
  const lists = new Map<string, FindingWatch[]>();
  for (const w of watched) lists.set(w.watchlist, [...(lists.get(w.watchlist) ?? []), w]);
  return (
    <>
      {[...lists.entries()].map(([name, hits]) => (
        <Link
          key={name}
          to={`/watchlists/${encodeURIComponent(name)}`}
          className={`watch-badge crit-${hits[0]!.criticality}`}
          title={`${hits[0]!.kind} watchlist ${name} (${hits[0]!.criticality}): ${hits.map((h) => (h.value === h.member ? h.value : `${h.value} in ${h.member}`)).join(', ')}`}
          onClick={(e) => e.stopPropagation()}
          data-testid="watch-badge"
        >
          👁 {name}
        </Link>
      ))}
    </>
  );
}

function Address({ ip }: { ip: string | null }) {
  return ip ? (
    <Link to={ipPath(ip)} className="ip-link mono" onClick={(e) => e.stopPropagation()}>
      {ip}
    </Link>
  ) : (
    <span className="muted">—</span>
  );
}

/** The findings page (section `findings`). */
export default function FindingsPage({ me, range, subpath, features }: SectionProps) {
  const { search } = useLocation();
  const kind = search.get('kind') ?? '';
  const status = search.get('status') ?? '';
  const severity = search.get('severity') ?? '';
  const selected = decodeURIComponent(subpath.replace(/^\//, ''));
  const canJudge = me.role === 'analyst' || me.role === 'admin';
  const canPin = canJudge && !!features.notebook;

  const [kinds, setKinds] = useState<string[]>([]);
  const [findings, setFindings] = useState<Finding[]>();
  const [scoped, setScoped] = useState(false);
  const [detail, setDetail] = useState<Finding>();
  const [error, setError] = useState<string>();
  const [report, setReport] = useState<DetectReport>();
  const [running, setRunning] = useState(false);
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);

  const go = (id: string, change: Record<string, string> = {}) => {
    const p = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(change)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    const qs = p.toString();
    navigate(`/findings${id ? `/${encodeURIComponent(id)}` : ''}${qs ? `?${qs}` : ''}`, Object.keys(change).length > 0);
  };

  useEffect(() => {
    const ctl = new AbortController();
    api
      .findings({ kind: kind || undefined, status: status || undefined, severity: severity || undefined, limit: 1000 }, ctl.signal)
      .then((r) => {
        setFindings(r.findings);
        setKinds(r.kinds);
        setScoped(r.scoped);
        setError(undefined);
      })
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(message(e)));
    return () => ctl.abort();
  }, [kind, status, severity, tick]);

  useEffect(() => {
    if (!selected) {
      setDetail(undefined);
      return;
    }
    const ctl = new AbortController();
    api
      .finding(selected, ctl.signal)
      .then(setDetail)
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setDetail(undefined);
        setError(message(e));
      });
    return () => ctl.abort();
  }, [selected, tick]);

  const judge = async (f: Finding, next: FindingStatus) => {
    let note: string | undefined;
    if (next === 'false-positive') {
      const text = prompt(`Why is this ${f.kind} finding a false positive? (required; its accused addresses join the allow-list)`, f.note ?? '');
      if (text === null) return;
      if (!text.trim()) {
        setError('A false positive needs a note saying why.');
        return;
      }
      note = text.trim();
    }
    try {
      setDetail(await api.verdict(f.id, next, note));
      setError(undefined);
      refresh();
    } catch (e) {
      setError(message(e));
    }
  };

  const runDetections = async () => {
    setRunning(true);
    setError(undefined);
    try {
      setReport(await api.detect({ from: range.from, to: range.to }));
      refresh();
    } catch (e) {
      setError(message(e));
    } finally {
      setRunning(false);
    }
  };

  return (
    <main className="page findings-page" data-testid="findings-page">
      <header className="page-head">
        <h1>Findings</h1>
        <p className="muted small">
          What the detectors found, highest score first. Open one for its scores and evidence; every finding carries the query that reproduces it.
          {scoped ? ' Limited to findings whose source or destination is in your networks.' : ''}
        </p>
      </header>
      <div className="toolbar">
        <select aria-label="kind" value={kind} onChange={(e) => go(selected, { kind: e.target.value })} data-testid="filter-kind">
          <option value="">all kinds</option>
          {kinds.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
        <select aria-label="status" value={status} onChange={(e) => go(selected, { status: e.target.value })} data-testid="filter-status">
          <option value="">any status</option>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <select aria-label="severity" value={severity} onChange={(e) => go(selected, { severity: e.target.value })} data-testid="filter-severity">
          <option value="">any severity</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {s === 'critical' ? s : `${s} and above`}
            </option>
          ))}
        </select>
        <button className="chip" onClick={refresh}>
          ↻ Refresh
        </button>
        <span className="muted small">{findings ? `${findings.length.toLocaleString('en-US')} finding${findings.length === 1 ? '' : 's'}` : ''}</span>
        <span className="spacer" />
        {canJudge && (
          <button
            className="primary"
            onClick={() => void runDetections()}
            disabled={running}
            data-testid="run-detections"
            title="Run every detector over the selected time range (All data: the last 24 hours of data)"
          >
            {running ? 'Running…' : 'Run detections'}
          </button>
        )}
      </div>
      {report && (
        <p className="small muted" data-testid="detect-report" title={report.detectors.map((d) => `${d.kind}: ${d.findings} in ${(d.ms / 1000).toFixed(2)} s`).join('\n')}>
          Detections over {utc(report.from)} – {utc(report.to)} UTC: {report.findings.length} finding{report.findings.length === 1 ? '' : 's'}
          {report.saved ? ` (${report.saved.added} new, ${report.saved.updated} updated)` : ''} ·{' '}
          {report.detectors.map((d) => `${d.kind} ${d.findings}`).join(', ')}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className={detail ? 'findings-layout with-detail' : 'findings-layout'}>
        <section className="card findings-list">
          {findings && findings.length === 0 ? (
            <p className="muted">No findings{kind || status || severity ? ' match these filters' : canJudge ? ' yet: run the detections' : ' yet'}.</p>
          ) : (
            <div className="findings-scroll">
              <table className="simple findings-table" data-testid="findings-table">
                <thead>
                  <tr>
                    <th>Severity</th>
                    <th>Kind</th>
                    <th className="num">Score</th>
                    <th>Src</th>
                    <th>Dst</th>
                    <th className="num">Dport</th>
                    <th>Last</th>
                    <th>Summary</th>
                    <th>Status</th>
                  </tr>
                </thead>
                <tbody>
                  {(findings ?? []).map((f) => (
                    <tr
                      key={f.id}
                      data-id={f.id}
                      className={f.id === detail?.id ? 'selected' : f.status === 'false-positive' ? 'dim' : ''}
                      tabIndex={0}
                      onClick={() => go(f.id)}
                      onKeyDown={(e) => e.key === 'Enter' && go(f.id)}
                      aria-selected={f.id === detail?.id}
                    >
                      <td>
                        <SeverityBadge severity={f.severity} />
                      </td>
                      <td className="mono small">
                        {f.kind}
                        <span className="muted">/{f.subkind}</span>
                      </td>
                      <td className="num mono">{f.score.toFixed(3)}</td>
                      <td>
                        <Address ip={f.src} />
                      </td>
                      <td>
                        <Address ip={f.dst} />
                      </td>
                      <td className="num mono">{f.dport ?? ''}</td>
                      <td className="mono small nowrap">{utc(f.last).slice(0, 19)}</td>
                      <td className="summary" title={f.summary}>
                        <WatchBadges watched={f.watched} />
                        {f.summary}
                      </td>
                      <td>
                        <StatusBadge status={f.status} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        {detail && <FindingDetail f={detail} canJudge={canJudge} canPin={canPin} onJudge={(next) => void judge(detail, next)} onClose={() => go('')} />}
      </div>
    </main>
  );
}

function FindingDetail({ f, canJudge, canPin, onJudge, onClose }: { f: Finding; canJudge: boolean; canPin: boolean; onJudge: (s: FindingStatus) => void; onClose: () => void }) {
  const subscores = Object.entries(f.subscores);
  const counts = Object.entries(f.evidence.counts);
  const sample = f.evidence.sample.map((r) => ({ ...r, tcp_flags: flags(r.tcp_flags) }));
  return (
    <section className="card finding-detail" data-testid="finding-detail" aria-label={`finding ${f.id}`}>
      <header className="finding-head">
        <SeverityBadge severity={f.severity} />
        <h2 className="mono">
          {f.kind}
          <span className="muted">/{f.subkind}</span>
        </h2>
        <StatusBadge status={f.status} />
        <span className="spacer" />
        <button className="icon" onClick={onClose} aria-label="close the finding" title="Close">
          ✕
        </button>
      </header>
      <p className="finding-summary">{f.summary}</p>
      {f.watched && f.watched.length > 0 && (
        <p className="small finding-watched" data-testid="finding-watched">
          On watchlists: <WatchBadges watched={f.watched} />
        </p>
      )}
      {f.note && (
        <p className="small finding-note" data-testid="finding-note">
          Note: {f.note}
        </p>
      )}
      {canJudge && (
        <div className="verdicts" role="group" aria-label="verdict">
          {f.status !== 'acknowledged' && (
            <button className="chip" onClick={() => onJudge('acknowledged')} data-testid="verdict-ack">
              ✓ Acknowledge
            </button>
          )}
          {f.status !== 'false-positive' && (
            <button className="chip danger" onClick={() => onJudge('false-positive')} data-testid="verdict-fp">
              False positive…
            </button>
          )}
          {f.status !== 'open' && (
            <button className="chip" onClick={() => onJudge('open')} data-testid="verdict-reopen">
              ↺ Reopen
            </button>
          )}
          {canPin && <PinToCase pin={{ type: 'finding', value: f.id }} />}
        </div>
      )}
      {f.kind === 'partner-compromised' && f.evidence.details && <PartnerDetails details={f.evidence.details} />}

      <dl className="finding-facts">
        <div>
          <dt>Score</dt>
          <dd className="mono">{f.score.toFixed(3)}</dd>
        </div>
        <div>
          <dt>Source</dt>
          <dd>
            <Address ip={f.src} />
          </dd>
        </div>
        <div>
          <dt>Destination</dt>
          <dd>
            <Address ip={f.dst} />
          </dd>
        </div>
        {(f.dport !== null || f.proto !== null) && (
          <div>
            <dt>Service</dt>
            <dd className="mono">
              {f.dport ?? ''}
              {f.dport !== null && f.proto !== null ? '/' : ''}
              {f.proto !== null ? protocol(f.proto).toLowerCase() : ''}
            </dd>
          </div>
        )}
        <div>
          <dt>First</dt>
          <dd className="mono small">{utc(f.first)}</dd>
        </div>
        <div>
          <dt>Last</dt>
          <dd className="mono small">{utc(f.last)}</dd>
        </div>
        <div>
          <dt>Runs</dt>
          <dd className="mono">{f.runs}</dd>
        </div>
      </dl>

      <h3>Sub-scores</h3>
      <div className="bars" data-testid="finding-subscores">
        {subscores.map(([name, value]) => (
          <div className="bar-row" key={name}>
            <div className="bar-label">{name}</div>
            <div className="bar-track">
              <div className="bar-fill" style={{ width: `${Math.max(0, Math.min(1, value)) * 100}%` }} />
            </div>
            <div className="bar-value">{value.toFixed(3)}</div>
          </div>
        ))}
      </div>

      <h3>Evidence</h3>
      <dl className="evidence-counts" data-testid="finding-counts">
        {counts.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd className="mono" title={value.toLocaleString('en-US')}>
              {compact(value)}
            </dd>
          </div>
        ))}
      </dl>
      <div className="finding-query">
        <code className="mono small" data-testid="finding-query">
          {f.evidence.query}
        </code>
        <span className="muted small">
          {utc(f.evidence.from)} – {utc(f.evidence.to)} UTC
        </span>
        <button className="chip" onClick={() => navigate(explorePath(f.evidence.query, { from: f.evidence.from, to: f.evidence.to }))} data-testid="open-query">
          Open in Explore
        </button>
      </div>
      {f.evidence.details && Object.keys(f.evidence.details).length > 0 && (
        <details className="finding-details">
          <summary className="small">Detector details</summary>
          <pre className="mono small">{JSON.stringify(f.evidence.details, null, 2)}</pre>
        </details>
      )}

      <h3>Sample flows</h3>
      {sample.length > 0 ? (
        <ResultsTable columns={SAMPLE_COLUMNS} rows={sample} height={220} testId="finding-sample" />
      ) : (
        <p className="muted small">No sample kept: open the query to see the flows.</p>
      )}

      <h3>Entities</h3>
      <ul className="entities small">
        {f.entities.map((e) => (
          <li key={`${e.role}:${e.value}`}>
            <span className="muted">{e.role}</span> {e.type === 'ip' ? <Address ip={e.value} /> : <span className="mono">{e.value}</span>}
          </li>
        ))}
      </ul>

      <h3>Intelligence</h3>
      {f.intel.length > 0 ? (
        <table className="simple small" data-testid="finding-intel">
          <thead>
            <tr>
              <th>Address</th>
              <th>Indicator</th>
              <th>Source</th>
              <th>Tag</th>
              <th>Family</th>
              <th className="num">Confidence</th>
            </tr>
          </thead>
          <tbody>
            {f.intel.map((i) => (
              <tr key={`${i.source}:${i.indicator}:${i.value}`}>
                <td className="mono">{i.value}</td>
                <td className="mono">{i.indicator}</td>
                <td>{i.source}</td>
                <td>{i.tag}</td>
                <td>{i.family ?? ''}</td>
                <td className="num">{i.confidence ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted small">No loaded intelligence names these addresses.</p>
      )}
      <p className="muted small mono finding-id">id {f.id}</p>
    </section>
  );
}

interface PartnerConnection {
  peer: string;
  direction: 'out' | 'in';
  port: number;
  proto: number;
  flows: number;
  bytes: number;
  ours: string[];
}

interface PartnerTrigger {
  id: string;
  kind: string;
  subkind: string;
  score: number;
  summary: string;
  query: string;
}

/** A partner-compromised finding's details: whose host, whom to call, what it did, what it talked to. */
function PartnerDetails({ details }: { details: Record<string, unknown> }) {
  const text = (k: string) => (typeof details[k] === 'string' ? (details[k] as string) : '');
  const contacts = Array.isArray(details.contacts) ? (details.contacts as string[]) : [];
  const triggers = Array.isArray(details.triggers) ? (details.triggers as PartnerTrigger[]) : [];
  const connections = Array.isArray(details.connections) ? (details.connections as PartnerConnection[]) : [];
  return (
    <div className="partner-details" data-testid="partner-details">
      <h3>Watched partner</h3>
      <dl className="finding-facts">
        <div>
          <dt>Watchlist</dt>
          <dd>
            <Link to={`/watchlists/${encodeURIComponent(text('watchlist'))}`} className="mono" data-testid="partner-watchlist">
              {text('watchlist')}
            </Link>{' '}
            <span className="muted small">{text('watchlistKind')}</span>
          </dd>
        </div>
        <div>
          <dt>Owner</dt>
          <dd data-testid="partner-owner">{text('owner') || '—'}</dd>
        </div>
        <div>
          <dt>Criticality</dt>
          <dd>{text('criticality')}</dd>
        </div>
        <div>
          <dt>Member</dt>
          <dd className="mono">{text('member')}</dd>
        </div>
        <div>
          <dt>Contacts</dt>
          <dd data-testid="partner-contacts">{contacts.length ? contacts.join(', ') : '—'}</dd>
        </div>
      </dl>
      <h3>What it did</h3>
      <table className="simple small" data-testid="partner-triggers">
        <thead>
          <tr>
            <th>Finding</th>
            <th className="num">Score</th>
            <th>Summary</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {triggers.map((t) => (
            <tr key={t.id}>
              <td className="mono nowrap">
                <Link to={`/findings/${t.id}`}>
                  {t.kind}/{t.subkind}
                </Link>
              </td>
              <td className="num mono">{t.score.toFixed(3)}</td>
              <td>{t.summary}</td>
              <td>
                <Link to={explorePath(t.query)} className="small">
                  query
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Its connections (ours first)</h3>
      {connections.length === 0 ? (
        <p className="muted small">No other traffic with this host in the lookback.</p>
      ) : (
        <table className="simple small" data-testid="partner-connections">
          <thead>
            <tr>
              <th>Peer</th>
              <th>Direction</th>
              <th className="num">Port</th>
              <th className="num">Flows</th>
              <th className="num">Bytes</th>
              <th>Ours</th>
            </tr>
          </thead>
          <tbody>
            {connections.map((c) => (
              <tr key={`${c.peer}-${c.direction}-${c.port}-${c.proto}`}>
                <td>
                  <Address ip={c.peer} />
                </td>
                <td>{c.direction === 'out' ? 'partner → peer' : 'peer → partner'}</td>
                <td className="num mono">
                  {c.port}/{protocol(c.proto).toLowerCase()}
                </td>
                <td className="num mono">{compact(c.flows)}</td>
                <td className="num mono">{compact(c.bytes)}</td>
                <td>{c.ours.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
