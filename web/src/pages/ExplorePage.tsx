// Explore: the query bar, the time range, and the answer as a table or a chart (time series for
// `| timeline`, bars for `| top` and `| count by`), with audited CSV/JSON downloads.

import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiFailure, type Me, type QueryResult, type TimeRange, type Vocabulary } from '../api';
import { PinToCase } from '../components/PinToCase';
import { QueryBar, type QueryProblem } from '../components/QueryBar';
import { ResultsTable } from '../components/ResultsTable';
import { TopBars } from '../components/TopBars';
import { explorePath, navigate, useLocation } from '../router';

const TimeSeriesChart = lazy(() => import('../components/TimeSeriesChart'));

const EXAMPLES = [
  'any | top 10 src by bytes',
  'dst port 23 and flags S and not flags A | count by src | limit 20',
  'proto udp and dst port 443 | timeline 1h',
  'dst port 443 | top 10 dst by flows',
  'bytes > 1m | sort bytes desc | limit 100',
];

interface Props {
  me: Me;
  vocabulary?: Vocabulary;
  range: TimeRange;
  rangeKey: string;
  /** Offer "Pin to case" (the notebook exists and the caller is an analyst). */
  canPin?: boolean;
  /** Offer "Save as monitor". */
  canMonitor?: boolean;
}

export function ExplorePage({ me, vocabulary, range, rangeKey, canPin = false, canMonitor = false }: Props) {
  const { search } = useLocation();
  const urlQuery = search.get('q') ?? '';
  const [text, setText] = useState(urlQuery || EXAMPLES[0]!);
  const [result, setResult] = useState<QueryResult>();
  const [ran, setRan] = useState<string>('');
  const [error, setError] = useState<QueryProblem>();
  const [busy, setBusy] = useState(false);
  const [view, setView] = useState<'table' | 'chart'>('table');
  const abort = useRef<AbortController>(undefined);

  const run = useCallback(
    async (query: string, push = true) => {
      // A new query goes into the address; the effect on the address runs it (once: running it
      // here too would start a second identical scan the server cannot cancel).
      if (push && query !== new URLSearchParams(location.search).get('q')) {
        navigate(explorePath(query), false);
        return;
      }
      abort.current?.abort();
      const ctl = new AbortController();
      abort.current = ctl;
      setBusy(true);
      setError(undefined);
      try {
        const r = await api.query(query, range, ctl.signal);
        setResult(r);
        setRan(query);
        setView(r.columns.some((c) => c.name === 'time' && c.kind === 'time') && r.columns.length <= 4 ? 'chart' : 'table');
      } catch (err) {
        if ((err as Error).name === 'AbortError') return;
        setResult(undefined);
        setError(err instanceof ApiFailure ? { code: err.code, message: err.message, column: err.column } : { code: 'NETWORK', message: String(err) });
      } finally {
        if (abort.current === ctl) setBusy(false);
      }
    },
    [range],
  );

  // Run on arrival (and when the URL's query or the time range changes).
  useEffect(() => {
    const q = urlQuery || text;
    setText(q);
    void run(q, false);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [urlQuery, rangeKey]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey) return;
      if (e.key === '1') setView('table');
      if (e.key === '2') setView('chart');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const isTimeline = !!result?.columns.some((c) => c.name === 'time' && c.kind === 'time');
  const canBars = !!result && result.columns.some((c) => c.kind !== 'count') && result.columns.some((c) => c.kind === 'count') && !isTimeline;
  const canExport = me.permissions.includes('export');

  return (
    <main className="page">
      <QueryBar value={text} onChange={setText} onRun={(q) => void run(q)} vocabulary={vocabulary} range={range} runError={error} busy={busy} />
      <div className="examples">
        <span className="muted small">Try:</span>
        {EXAMPLES.map((q) => (
          <button key={q} className="chip mono" onClick={() => navigate(explorePath(q))}>
            {q}
          </button>
        ))}
      </div>
      {result && (
        <section className="card results">
          <header className="results-head">
            <div className="tabs" role="tablist">
              <button role="tab" aria-selected={view === 'table'} className={view === 'table' ? 'tab on' : 'tab'} onClick={() => setView('table')} title="Alt+1">
                Table
              </button>
              <button role="tab" aria-selected={view === 'chart'} className={view === 'chart' ? 'tab on' : 'tab'} onClick={() => setView('chart')} disabled={!isTimeline && !canBars} title="Alt+2">
                Chart
              </button>
            </div>
            <span className="muted small" data-testid="result-summary">
              {result.rowCount.toLocaleString('en-US')} row{result.rowCount === 1 ? '' : 's'}
              {result.truncated ? ` (first ${result.limit.toLocaleString('en-US')}: narrow the query or export)` : ''} · {result.elapsedMs} ms
              {result.scoped ? ' · limited to your networks' : ''}
            </span>
            <span className="spacer" />
            {canPin && <PinToCase pin={{ type: 'query', value: ran, ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) }} />}
            {canMonitor && (
              <button className="chip" onClick={() => navigate(`/monitors/new?${new URLSearchParams({ query: ran }).toString()}`)} data-testid="save-monitor" title="run this query on a schedule, keeping each answer">
                ⏱ Save as monitor
              </button>
            )}
            {canExport && (
              <>
                <button className="chip" onClick={() => void api.exportQuery(ran, range, 'csv').catch((e: Error) => alert(e.message))}>
                  ⇩ CSV
                </button>
                <button className="chip" onClick={() => void api.exportQuery(ran, range, 'json').catch((e: Error) => alert(e.message))}>
                  ⇩ JSON
                </button>
              </>
            )}
          </header>
          {view === 'table' || (!isTimeline && !canBars) ? (
            <ResultsTable columns={result.columns} rows={result.rows} height={560} />
          ) : isTimeline ? (
            <Suspense fallback={<p className="muted">Loading chart…</p>}>
              <TimeSeriesChart rows={result.rows} />
            </Suspense>
          ) : (
            <TopBars columns={result.columns} rows={result.rows} />
          )}
        </section>
      )}
      {!result && !error && busy && <p className="muted">Running…</p>}
    </main>
  );
}
