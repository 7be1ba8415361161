// One run of a saved monitor for one scheduled time: run its query, pivot, detection or asset
// watch over the window ending at that time, then compare the answer with what earlier runs
// returned: values never seen before, and counts outside the robust baseline of earlier runs.

import { VantageError } from '../../core/errors.js';
import type { NewFinding } from '../../detect/detector.js';
import { findingId, isoTime, severityFor } from '../../detect/finding.js';
import { runDetections } from '../../detect/run-detections.js';
import { parseEntity } from '../../pivot/entity.js';
import { pivot } from '../../pivot/pivot-graph.js';
import { runQuery } from '../../query/run-query.js';
import type { Store } from '../../store/store.js';
import type { MonitorAnomaly, MonitorRun } from './monitor-run-table.js';
import { windowOf, type MonitorJob } from './monitor-job.js';
import { judge } from './robust-baseline.js';
import type { WatchIndex } from '../watchlists/watch-index.js';
import { watchFindings } from '../watchlists/watch-findings.js';
import { snapshotWatchedAssets, diffSnapshots, type AssetSnapshot } from '../watch/asset-snapshot.js';

/** What a monitor remembers between runs. */
export interface MonitorState {
  /** The last slot run (epoch ms), null before the first. */
  readonly lastSlot: number | null;
  /** Keys seen in any earlier answer (newest last, capped). */
  readonly seen: readonly string[];
  /** Totals of earlier runs (newest last, capped). */
  readonly totals: readonly number[];
  /** Per-key metric of earlier runs (capped in keys and length). */
  readonly series: Readonly<Record<string, readonly number[]>>;
  /** watch monitors: the assets as the last run saw them. */
  readonly snapshot?: AssetSnapshot;
}

export const EMPTY_STATE: MonitorState = { lastSlot: null, seen: [], totals: [], series: {} };

const SEEN_CAP = 50_000;
const HISTORY_CAP = 100;
const SERIES_KEYS = 500;
const RESULT_ROWS = 1_000;

/** What a run needs besides the store. */
export interface RunMonitorDeps {
  readonly store: Store;
  /** The watch index (detect and watch monitors mark findings and raise partner ones). */
  readonly watch: WatchIndex;
  readonly now: number;
}

/** One keyed answer: each row a key and (when the answer has one) a metric. */
interface Answer {
  readonly rows: number;
  readonly keys: string[];
  readonly metric: string | null;
  readonly values: Map<string, number>;
  readonly total: number;
  readonly result: unknown[];
  readonly findings: NewFinding[];
  readonly snapshot?: AssetSnapshot;
}

/** A run's outcome: its record, the state to keep, and the findings to save and alert on. */
export interface MonitorOutcome {
  readonly run: MonitorRun;
  readonly state: MonitorState;
  readonly findings: readonly NewFinding[];
}

/** Runs a monitor for a slot. Bad input (a query that no longer parses) becomes an `error` run. */
export async function runMonitor(job: MonitorJob, slot: number, state: MonitorState, deps: RunMonitorDeps): Promise<MonitorOutcome> {
  const startedAt = deps.now;
  const from = slot - windowOf(job, slot);
  let answer: Answer;
  try {
    answer = await answerOf(job, from, slot, state, deps);
  } catch (err) {
    if (!(err instanceof VantageError)) throw err;
    const run: MonitorRun = { monitor: job.name, slot, startedAt, finishedAt: Date.now(), status: 'error', rows: 0, newValues: [], anomalies: [], result: null, truncated: false, error: err.message, findings: [] };
    return { run, state: { ...state, lastSlot: slot }, findings: [] };
  }
  const seen = new Set(state.seen);
  // The first run learns what exists; only later runs can call a value new.
  const newValues = state.lastSlot === null && job.kind !== 'detect' ? [] : answer.keys.filter((k) => !seen.has(k));
  const anomalies: MonitorAnomaly[] = [];
  if (job.kind !== 'watch' && state.totals.length >= job.minHistory) {
    const j = judge(state.totals, answer.total, job.threshold);
    if (j.anomalous) anomalies.push({ key: 'total', metric: answer.metric ?? 'rows', value: answer.total, median: j.median, low: j.low, high: j.high });
  }
  if (answer.metric) {
    for (const [key, value] of answer.values) {
      const history = state.series[key];
      if (!history || history.length < job.minHistory) continue;
      const j = judge(history, value, job.threshold);
      if (j.anomalous) anomalies.push({ key, metric: answer.metric, value, median: j.median, low: j.low, high: j.high });
    }
  }
  const findings = [...answer.findings];
  if (job.raise && (job.kind === 'query' || job.kind === 'pivot') && (newValues.length > 0 || anomalies.length > 0)) {
    findings.push(monitorFinding(job, from, slot, newValues, anomalies));
  }
  const run: MonitorRun = {
    monitor: job.name,
    slot,
    startedAt,
    finishedAt: Date.now(),
    status: 'ok',
    rows: answer.rows,
    newValues: newValues.slice(0, RESULT_ROWS),
    anomalies,
    result: answer.result.slice(0, RESULT_ROWS),
    truncated: answer.result.length > RESULT_ROWS,
    findings: findings.map((f) => f.id),
  };
  return { run, state: nextState(state, slot, answer), findings };
}

function nextState(state: MonitorState, slot: number, answer: Answer): MonitorState {
  const seen = new Set(state.seen);
  for (const k of answer.keys) seen.add(k);
  const seenList = [...seen];
  const series: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(state.series)) series[k] = [...v];
  for (const [k, v] of answer.values) series[k] = [...(series[k] ?? []), v].slice(-HISTORY_CAP);
  // Keys that have not appeared for a while go first when the series outgrow the cap.
  const keys = Object.keys(series);
  if (keys.length > SERIES_KEYS) for (const k of keys.filter((k) => !answer.values.has(k)).slice(0, keys.length - SERIES_KEYS)) delete series[k];
  return {
    lastSlot: slot,
    seen: seenList.slice(-SEEN_CAP),
    totals: [...state.totals, answer.total].slice(-HISTORY_CAP),
    series,
    ...(answer.snapshot ? { snapshot: answer.snapshot } : state.snapshot ? { snapshot: state.snapshot } : {}),
  };
}

const METRICS = ['flows', 'packets', 'bytes'];

async function answerOf(job: MonitorJob, from: number, to: number, state: MonitorState, deps: RunMonitorDeps): Promise<Answer> {
  switch (job.kind) {
    case 'query': {
      const { columns, rows } = await runQuery(deps.store, job.query!, { from, to });
      const metric = columns.find((c) => c === 'flows') ?? columns.find((c) => c.startsWith('distinct_')) ?? null;
      const dims = columns.filter((c) => !METRICS.includes(c) && !c.startsWith('distinct_'));
      const listing = dims.includes('start');
      const keyOf = (r: Record<string, unknown>) =>
        listing ? `${String(r.src)} > ${String(r.dst)}:${String(r.dport)}/${String(r.proto)}` : dims.map((d) => String(r[d])).join(' ');
      const values = new Map<string, number>();
      if (metric && !listing) for (const r of rows) values.set(keyOf(r), Number(r[metric]));
      const keys = [...new Set(rows.map(keyOf))];
      const total = metric && !listing ? rows.reduce((n, r) => n + Number(r[metric]), 0) : rows.length;
      const result = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : typeof v === 'number' && (k === 'start' || k === 'end' || k === 'time') ? isoTime(v) : v])));
      return { rows: rows.length, keys, metric: listing ? null : metric, values: listing ? new Map() : values, total, result, findings: [] };
    }
    case 'pivot': {
      const graph = await pivot(deps.store, parseEntity(job.entity!), { depth: job.depth, from, to });
      const keys = graph.nodes.map((n) => n.id);
      return { rows: graph.nodes.length, keys, metric: null, values: new Map(), total: graph.nodes.length, result: [graph], findings: [] };
    }
    case 'detect': {
      const report = await runDetections(deps.store, {
        kinds: job.detectors,
        from,
        to,
        save: false,
        now: deps.now,
        annotate: (found, context) => watchFindings(deps.watch, found, context),
      });
      const keys = report.findings.map((f) => f.id);
      const result = report.findings.map((f) => ({ id: f.id, kind: f.kind, subkind: f.subkind, severity: f.severity, score: f.score, summary: f.summary }));
      return { rows: report.findings.length, keys, metric: null, values: new Map(), total: report.findings.length, result, findings: report.findings };
    }
    case 'watch': {
      const snapshot = await snapshotWatchedAssets(deps.store, deps.watch, { from, to });
      const changes = state.snapshot ? diffSnapshots(state.snapshot, snapshot, deps.watch, to) : { changes: [], findings: [] };
      return { rows: changes.changes.length, keys: [], metric: null, values: new Map(), total: changes.changes.length, result: changes.changes, findings: changes.findings, snapshot };
    }
  }
}

function monitorFinding(job: MonitorJob, from: number, to: number, newValues: readonly string[], anomalies: readonly MonitorAnomaly[]): NewFinding {
  const parts = [...(newValues.length > 0 ? ['new-values'] : []), ...(anomalies.length > 0 ? ['anomaly'] : [])];
  const score = anomalies.length > 0 ? 0.7 : 0.5;
  const said = [
    ...(newValues.length > 0 ? [`${newValues.length} value${newValues.length === 1 ? '' : 's'} never seen before (${newValues.slice(0, 3).join(', ')}${newValues.length > 3 ? ', ...' : ''})`] : []),
    ...anomalies.slice(0, 3).map((a) => `${a.key} ${a.metric} ${a.value} outside ${Math.max(0, Math.round(a.low))}..${Math.round(a.high)}`),
  ];
  return {
    id: findingId('monitor', job.name, to),
    kind: 'monitor',
    subkind: parts.join('+'),
    score,
    subscores: { new: newValues.length > 0 ? 1 : 0, anomaly: anomalies.length > 0 ? 1 : 0 },
    severity: severityFor(score),
    src: null,
    dst: null,
    dport: null,
    proto: null,
    entities: [],
    first: isoTime(from),
    last: isoTime(to - 1),
    summary: `monitor ${job.name}: ${said.join('; ')}`,
    evidence: {
      counts: { newValues: newValues.length, anomalies: anomalies.length },
      query: job.kind === 'query' ? job.query! : `pivot ${job.entity}`,
      from: isoTime(from),
      to: isoTime(to),
      sample: [],
      details: { monitor: job.name, newValues: newValues.slice(0, 100), anomalies },
    },
    intel: [],
  };
}

