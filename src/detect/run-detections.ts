// Runs detectors over a window of stored flows, saves their findings (de-duplicated against
// earlier runs) and returns them with per-detector counts and times.

import { performance } from 'node:perf_hooks';
import { VantageError } from '../core/errors.js';
import { loadIntelIndex } from '../enrich/create-enricher.js';
import type { StoredIndicator } from '../intel/indicator.js';
import type { IntelIndex } from '../intel/intel-index.js';
import type { Store } from '../store/store.js';
import { allowListed } from './corroborate.js';
import type { DetectionContext, DetectorStats, NewFinding } from './detector.js';
import { DETECTORS } from './detectors.js';
import type { Finding } from './finding.js';
import { ACCUSED_ROLES, FindingsRepository, type SaveFindingsSummary } from './findings-repository.js';

const DAY_MS = 86_400_000;

/** What to run. */
export interface DetectionOptions {
  /** Detector kinds; `all` or an empty list runs every one. */
  readonly kinds: readonly string[];
  /** Window start (epoch ms); default: 24 hours before `to`. */
  readonly from?: number;
  /** Window end (epoch ms, exclusive); default: just after the newest stored flow. */
  readonly to?: number;
  /** Per-kind settings (`{ scan: { minHosts: 10 } }`), checked against each detector's schema. */
  readonly config?: Record<string, unknown>;
  /** Flows shown as evidence per finding (default 5). */
  readonly sampleSize?: number;
  /** Findings per run that get sample flows (default 50). */
  readonly sampleFindings?: number;
  /** Keep findings in the store (default true). */
  readonly save?: boolean;
  /** The intelligence index, when the caller holds one already. */
  readonly intel?: IntelIndex<StoredIndicator>;
  /**
   * Sees the run's findings before they are saved: marks them and may add findings they imply
   * (the monitor marks watched entities and raises "partner likely compromised").
   */
  readonly annotate?: (findings: readonly NewFinding[], context: DetectionContext) => Promise<NewFinding[]>;
  readonly now?: number;
}

/** One detector's part of a run. */
export interface DetectorRun {
  readonly kind: string;
  readonly findings: number;
  readonly ms: number;
  readonly stats: DetectorStats;
}

/** A run's outcome. */
export interface DetectionReport {
  readonly from: number;
  readonly to: number;
  readonly findings: Finding[];
  readonly detectors: DetectorRun[];
  readonly saved?: SaveFindingsSummary;
}

/** Resolves `all` and checks the kinds. */
export function resolveKinds(kinds: readonly string[]): string[] {
  const known = DETECTORS.map((d) => d.kind);
  if (kinds.length === 0 || kinds.includes('all')) return known;
  for (const k of kinds) {
    if (!known.includes(k)) throw new VantageError('USAGE', `unknown detector '${k}': expected ${[...known, 'all'].join(', ')}`);
  }
  return [...new Set(kinds)];
}

/** Parses one detector's settings, naming the detector and the setting that is wrong. */
export function detectorConfig(kind: string, raw: unknown): unknown {
  const detector = DETECTORS.find((d) => d.kind === kind);
  if (!detector) throw new VantageError('DETECT_CONFIG', `no detector '${kind}' to configure`);
  const parsed = detector.config.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new VantageError('DETECT_CONFIG', `${kind}.${issue.path.join('.') || '(settings)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Runs the detectors and (by default) saves their findings. */
export async function runDetections(store: Store, options: DetectionOptions): Promise<DetectionReport> {
  const kinds = resolveKinds(options.kinds);
  for (const key of Object.keys(options.config ?? {})) {
    if (!DETECTORS.some((d) => d.kind === key)) throw new VantageError('DETECT_CONFIG', `settings for unknown detector '${key}'`);
  }
  const configs = new Map(kinds.map((k) => [k, detectorConfig(k, options.config?.[k])]));
  const now = options.now ?? Date.now();
  let to = options.to;
  if (to === undefined) {
    const stats = await store.stats();
    to = stats.lastFlow !== undefined ? stats.lastFlow + 1 : now;
  }
  const from = options.from ?? to - DAY_MS;
  if (from >= to) throw new VantageError('USAGE', `the window is empty: --from ${new Date(from).toISOString()} is not before --to ${new Date(to).toISOString()}`);
  const intel = options.intel ?? (await loadIntelIndex(store, now));
  const context: DetectionContext = { store, from, to, intel, sampleSize: options.sampleSize ?? 5, sampleBudget: { left: options.sampleFindings ?? 50 } };
  const findings: Finding[] = [];
  const runs: DetectorRun[] = [];
  for (const kind of kinds) {
    const detector = DETECTORS.find((d) => d.kind === kind)!;
    const started = performance.now();
    const result = await detector.run(context, configs.get(kind));
    runs.push({ kind, findings: result.findings.length, ms: performance.now() - started, stats: result.stats ?? {} });
    let suppressed = 0;
    for (const f of result.findings) {
      // Addresses an analyst allow-listed (a false-positive verdict, a warninglist) are not accused again.
      const accused = f.entities.filter((e) => e.type === 'ip' && ACCUSED_ROLES.has(e.role));
      if (accused.length > 0 && accused.every((e) => allowListed(intel, e.value))) {
        suppressed++;
        continue;
      }
      findings.push({ ...f, status: 'open', note: null, runs: 1 });
    }
    if (suppressed > 0) runs[runs.length - 1] = { ...runs[runs.length - 1]!, stats: { ...runs[runs.length - 1]!.stats, allowListed: suppressed } };
  }
  if (options.annotate) {
    const annotated = await options.annotate(findings, context);
    findings.splice(0, findings.length, ...annotated.map((f) => ({ ...f, status: 'open' as const, note: null, runs: 1 })));
  }
  let saved: SaveFindingsSummary | undefined;
  let out = findings;
  if (options.save !== false) {
    const repository = new FindingsRepository(store);
    await repository.ensureTables();
    saved = await repository.save(findings, now);
    // Report each finding as stored: its verdict, note, run count and widened span.
    const stored = await repository.byIds(findings.map((f) => f.id));
    out = findings.map((f) => stored.get(f.id)?.finding ?? f);
  }
  out = out.filter((f) => f.status !== 'false-positive');
  out.sort((a, b) => b.score - a.score || (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  return { from, to, findings: out, detectors: runs, saved };
}
