// Threat intelligence (/intel): look an indicator up in the loaded feeds (GET /api/intel/match,
// with provenance: source, feed, how it matched, file and line), and the loaded feeds with their
// freshness and counts (GET /api/intel/feeds). The value looked up lives in the query string.

import { useEffect, useState } from 'react';
import { api, ApiFailure, type IntelFeed, type IntelMatch, type IntelRecord } from '../api';
import type { SectionProps } from '../extensions';
import { utc } from '../format';
import { navigate, pivotPath, profilePath, Link, useLocation } from '../router';

const message = (e: unknown) => (e instanceof ApiFailure ? `${e.code}: ${e.message}` : String(e));

/** How long ago, in words, from an ISO time. */
function age(iso: string | null): string {
  if (!iso) return '—';
  const h = (Date.now() - Date.parse(iso)) / 3_600_000;
  if (h < 1) return `${Math.max(0, Math.round(h * 60))} min ago`;
  if (h < 48) return `${Math.round(h)} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

function Records({ rows, testId, expired = false }: { rows: IntelRecord[]; testId: string; expired?: boolean }) {
  return (
    <table className="simple" data-testid={testId}>
      <thead>
        <tr>
          <th>indicator</th>
          <th>type</th>
          <th>how</th>
          <th>source</th>
          <th>family</th>
          <th>confidence</th>
          <th>first seen</th>
          <th>last seen</th>
          <th>{expired ? 'expired' : 'from'}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={`${r.source}-${r.indicator}-${i}`}>
            <td className="mono">{r.reference ? <a href={r.reference} rel="noreferrer noopener" target="_blank">{r.indicator}</a> : r.indicator}</td>
            <td>{r.type}</td>
            <td>{r.how}</td>
            <td>{r.source}</td>
            <td>{r.family ?? ''}</td>
            <td>{r.confidence ?? ''}</td>
            <td className="mono small">{utc(r.first_seen)}</td>
            <td className="mono small">{utc(r.last_seen)}</td>
            <td className="mono small">{expired ? utc(r.expired_at) : `${r.file}:${r.line}`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default function IntelPage(_: SectionProps) {
  const { search } = useLocation();
  const value = search.get('value') ?? '';
  const [match, setMatch] = useState<IntelMatch>();
  const [feeds, setFeeds] = useState<IntelFeed[]>();
  const [error, setError] = useState<string>();
  const [feedError, setFeedError] = useState<string>();

  useEffect(() => {
    const ctl = new AbortController();
    api
      .intelFeeds(ctl.signal)
      .then((r) => setFeeds(r.feeds))
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setFeedError(message(e)));
    return () => ctl.abort();
  }, []);

  useEffect(() => {
    setMatch(undefined);
    setError(undefined);
    if (!value) return;
    const ctl = new AbortController();
    api
      .intelMatch(value, ctl.signal)
      .then(setMatch)
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(message(e)));
    return () => ctl.abort();
  }, [value]);

  const canPivot = match && (match.type === 'ip' || match.type === 'domain');
  return (
    <main className="page intel-page" data-testid="intel-page">
      <header className="page-head">
        <h1>Intelligence</h1>
        <p className="muted small">What the loaded feeds say about an address, network, address:port, domain, URL, hash or AS number, with where each entry came from.</p>
      </header>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          const v = String(new FormData(e.currentTarget).get('value') ?? '').trim();
          if (v) navigate(`/intel?${new URLSearchParams({ value: v }).toString()}`);
        }}
      >
        <input name="value" key={value} defaultValue={value} placeholder="indicator: 138.197.147.101, evil.example, AS64500…" aria-label="indicator" size={48} data-testid="intel-value" />
        <button className="primary" type="submit">
          Look up
        </button>
      </form>
      {error && <p className="error">{error}</p>}
      {match && (
        <section className="card" data-testid="intel-result">
          <h2>
            <span className="mono">{match.query}</span> <span className="muted small">{match.type ? `read as ${match.type}` : 'not an indicator'}</span>
          </h2>
          {match.note && <p className="muted small">{match.note}</p>}
          {match.allowed && <p className="notice">An allow-list covers this value: it must not be blocked.</p>}
          <p data-testid="intel-verdict">
            {match.matches.length === 0 ? 'No active feed entry names it.' : `${match.matches.length} active feed ${match.matches.length === 1 ? 'entry names' : 'entries name'} it.`}{' '}
            {canPivot && (
              <>
                <Link className="chip" to={profilePath(match.query)}>
                  Profile
                </Link>{' '}
                <Link className="chip" to={pivotPath(match.query)}>
                  Pivot
                </Link>
              </>
            )}
          </p>
          {match.matches.length > 0 && <Records rows={match.matches} testId="intel-matches" />}
          {match.allow.length > 0 && (
            <>
              <h3 className="small muted">Allow-list entries</h3>
              <Records rows={match.allow} testId="intel-allow" />
            </>
          )}
          {match.expired.length > 0 && (
            <>
              <h3 className="small muted">Listed before (expired)</h3>
              <Records rows={match.expired} testId="intel-expired" expired />
            </>
          )}
        </section>
      )}
      <section className="card" data-testid="intel-feeds">
        <h2>Loaded feeds</h2>
        {feedError && <p className="error">{feedError}</p>}
        {feeds && feeds.length === 0 && <p className="muted">No feeds loaded yet: `vantage intel load FILE`, or POST /api/intel/feeds (admins).</p>}
        {feeds && feeds.length > 0 && (
          <table className="simple">
            <thead>
              <tr>
                <th>source</th>
                <th>format</th>
                <th>title</th>
                <th className="num">active</th>
                <th className="num">entries</th>
                <th className="num">rejected</th>
                <th className="num">expired</th>
                <th>generated</th>
                <th>loaded</th>
              </tr>
            </thead>
            <tbody>
              {feeds.map((f) => (
                <tr key={f.source}>
                  <td className="mono">{f.source}</td>
                  <td>{f.feed}</td>
                  <td>{f.title}</td>
                  <td className="num">{f.active.toLocaleString('en-US')}</td>
                  <td className="num">{f.entries.toLocaleString('en-US')}</td>
                  <td className="num">{f.rejected.toLocaleString('en-US')}</td>
                  <td className="num">{f.expired.toLocaleString('en-US')}</td>
                  <td className="small" title={utc(f.generated_at)}>
                    {age(f.generated_at)}
                  </td>
                  <td className="small" title={utc(f.loaded_at)}>
                    {age(f.loaded_at)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}
