// The IP entity page: totals, first and last seen, activity over time, top peers each way, ports
// and the latest flows from queries (every panel shows the query behind it, one click from
// Explore: the evidence is always reproducible), the profile's sections (AS, intelligence,
// passive DNS, services, certificates, findings), the way into the pivot graph, and (analysts,
// when peers are set up) what our peers have seen of the address.

import { lazy, Suspense, useEffect, useState } from 'react';
import { api, ApiFailure, type QueryResult, type TimeRange } from '../api';
import { ResultsTable } from '../components/ResultsTable';
import { TopBars } from '../components/TopBars';
import { bytes, compact, utc } from '../format';
import { PinToCase } from '../components/PinToCase';
import { ProfileSections } from '../components/ProfileSections';
import { explorePath, Link, pivotPath } from '../router';

const TimeSeriesChart = lazy(() => import('../components/TimeSeriesChart'));
const AskPeers = lazy(() => import('../components/AskPeers'));

/** The queries of the page for an address (the language's `ip`, `src ip`, `dst ip` filters). */
export function ipQueries(ip: string, bucket: string) {
  return {
    totals: `ip ${ip} | count`,
    first: `ip ${ip} | sort start asc | limit 1 | fields start`,
    last: `ip ${ip} | sort start desc | limit 1 | fields start`,
    timeline: `ip ${ip} | timeline ${bucket}`,
    talksTo: `src ip ${ip} | top 10 dst by bytes`,
    heardFrom: `dst ip ${ip} | top 10 src by bytes`,
    services: `dst ip ${ip} | top 10 dport by flows`,
    connectsTo: `src ip ${ip} | top 10 dport by flows`,
    recent: `ip ${ip} | sort start desc | limit 200`,
  };
}

type Key = keyof ReturnType<typeof ipQueries>;

function Panel({ title, query, range, children, testId }: { title: string; query: string; range: TimeRange; children: React.ReactNode; testId?: string }) {
  return (
    <section className="card panel" data-testid={testId}>
      <header>
        <h2>{title}</h2>
        <Link className="query-link mono small" to={explorePath(query, range)} title="open this query in Explore">
          {query}
        </Link>
      </header>
      {children}
    </section>
  );
}

export function IpPage({ ip, range, rangeKey, canPin = false, canAskPeers = false }: { ip: string; range: TimeRange; rangeKey: string; canPin?: boolean; canAskPeers?: boolean }) {
  const [asking, setAsking] = useState(false);
  const [results, setResults] = useState<Partial<Record<Key, QueryResult>>>({});
  const [error, setError] = useState<string>();
  const span = range.from && range.to ? Date.parse(range.to) - Date.parse(range.from) : 7 * 86_400_000;
  const bucket = span <= 6 * 3_600_000 ? '5m' : span <= 2 * 86_400_000 ? '15m' : '1h';
  const queries = ipQueries(ip, bucket);

  useEffect(() => {
    const ctl = new AbortController();
    setResults({});
    setError(undefined);
    for (const [key, q] of Object.entries(queries) as [Key, string][]) {
      api
        .query(q, range, ctl.signal)
        .then((r) => setResults((prev) => ({ ...prev, [key]: r })))
        .catch((err: unknown) => {
          if ((err as Error).name !== 'AbortError') setError(err instanceof ApiFailure ? `${err.code}: ${err.message}` : String(err));
        });
    }
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ip, rangeKey]);

  const totals = results.totals?.rows[0];
  const first = results.first?.rows[0]?.start as string | undefined;
  const last = results.last?.rows[0]?.start as string | undefined;
  const empty = results.totals && Number(totals?.flows ?? 0) === 0;

  return (
    <main className="page ip-page" data-testid="ip-page">
      <header className="entity-head">
        <div>
          <div className="muted small">IP address</div>
          <h1 className="mono">{ip}</h1>
        </div>
        <dl className="facts">
          <div>
            <dt>Flows</dt>
            <dd data-testid="ip-flows">{totals ? compact(Number(totals.flows)) : '…'}</dd>
          </div>
          <div>
            <dt>Bytes</dt>
            <dd>{totals ? bytes(Number(totals.bytes)) : '…'}</dd>
          </div>
          <div>
            <dt>Packets</dt>
            <dd>{totals ? compact(Number(totals.packets)) : '…'}</dd>
          </div>
          <div>
            <dt>First seen</dt>
            <dd className="mono small">{first ? utc(first) : results.first ? '—' : '…'}</dd>
          </div>
          <div>
            <dt>Last seen</dt>
            <dd className="mono small">{last ? utc(last) : results.last ? '—' : '…'}</dd>
          </div>
        </dl>
        <Link className="chip pivot-button" to={pivotPath(ip)} data-testid="ip-pivot" title="the graph of what this address connects to">
          Pivot ⇢
        </Link>
        {canPin && <PinToCase pin={{ type: 'entity', value: ip }} className="chip pivot-button" />}
        {canAskPeers && (
          <button className="chip pivot-button" onClick={() => setAsking(true)} data-testid="ip-ask-peers" title="ask our peers whether they have seen this address (counts only)">
            Ask peers
          </button>
        )}
      </header>
      {asking && (
        <Suspense fallback={<p className="muted">Asking peers…</p>}>
          <AskPeers value={ip} range={range} onClose={() => setAsking(false)} />
        </Suspense>
      )}
      {error && <p className="error">{error}</p>}
      {empty && <p className="muted">No flows touch {ip} in this time range{results.totals?.scoped ? ' and your networks' : ''}.</p>}
      <ProfileSections entity={ip} range={range} rangeKey={rangeKey} showPeers={false} />
      <Panel title="Activity" query={queries.timeline} range={range} testId="ip-timeline">
        {results.timeline ? (
          <Suspense fallback={<p className="muted">Loading chart…</p>}>
            <TimeSeriesChart rows={results.timeline.rows} height={200} />
          </Suspense>
        ) : (
          <p className="muted">…</p>
        )}
      </Panel>
      <div className="grid2">
        <Panel title="Talks to (top peers as source)" query={queries.talksTo} range={range} testId="ip-peers-out">
          {results.talksTo ? <TopBars columns={results.talksTo.columns} rows={results.talksTo.rows} metric="bytes" /> : <p className="muted">…</p>}
        </Panel>
        <Panel title="Heard from (top peers as destination)" query={queries.heardFrom} range={range} testId="ip-peers-in">
          {results.heardFrom ? <TopBars columns={results.heardFrom.columns} rows={results.heardFrom.rows} metric="bytes" /> : <p className="muted">…</p>}
        </Panel>
        <Panel title="Ports it answers on" query={queries.services} range={range}>
          {results.services ? <TopBars columns={results.services.columns} rows={results.services.rows} metric="flows" /> : <p className="muted">…</p>}
        </Panel>
        <Panel title="Ports it connects to" query={queries.connectsTo} range={range}>
          {results.connectsTo ? <TopBars columns={results.connectsTo.columns} rows={results.connectsTo.rows} metric="flows" /> : <p className="muted">…</p>}
        </Panel>
      </div>
      <Panel title="Latest flows" query={queries.recent} range={range}>
        {results.recent ? <ResultsTable columns={results.recent.columns} rows={results.recent.rows} height={360} testId="ip-flows-table" /> : <p className="muted">…</p>}
      </Panel>
    </main>
  );
}
