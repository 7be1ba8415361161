// `npm run eval`: imports every labeled dataset of ../shared/data into a store of its own, runs
// every detector, and prints per detector the recall on the cases SOURCES.md names, the
// precision of all findings (against the labels where the data has them, else against the
// named cases), and the run time. Exits 1 when a detector falls below the thresholds recorded
// in bench/eval/thresholds.json (or a named dataset is missing while VANTAGE_REQUIRE_ALL=1).

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importCaptureFiles } from '../../src/cli/commands/import-capture.js';
import { importFiles, type ImportFormat } from '../../src/cli/commands/import.js';
import { DETECTORS } from '../../src/detect/detectors.js';
import { createEnricher } from '../../src/enrich/create-enricher.js';
import { enrichingSink } from '../../src/enrich/enricher.js';
import { openGeoDatabase, type GeoDatabase } from '../../src/enrich/geo-database.js';
import type { Finding } from '../../src/detect/finding.js';
import { runDetections } from '../../src/detect/run-detections.js';
import { IndicatorRepository } from '../../src/intel/indicator-repository.js';
import { loadFeeds } from '../../src/intel/load-feeds.js';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { repoRoot, sharedDataRoot } from '../../src/test-support/shared-data.js';
import { renderTable } from '../report.js';
import { EVAL_DATASETS, type EvalDataset, type ExpectedFinding } from './eval-cases.js';
import { labeledTruth, type LabelTruth } from './labels.js';

const quiet = { stderr: { write: () => true } };
const ALL_TIME = { from: Date.UTC(1970, 0, 1), to: Date.UTC(2100, 0, 1) };

interface CaseResult {
  readonly dataset: string;
  readonly expected: ExpectedFinding;
  readonly found: boolean;
}

interface Tally {
  tp: number;
  fp: number;
  ms: number;
}

function matches(f: Finding, e: ExpectedFinding): boolean {
  if (!e.kinds.includes(f.kind)) return false;
  if (e.src !== undefined && f.src !== e.src && !f.entities.some((x) => x.value === e.src && x.role !== 'victim' && x.role !== 'target')) return false;
  if (e.dst !== undefined && f.dst !== e.dst) return false;
  if (e.dport !== undefined && f.dport !== e.dport) return false;
  return true;
}

/** True positive: the finding names a named case's actors, or traffic the dataset labels malicious. */
function truePositive(f: Finding, dataset: EvalDataset, truth: LabelTruth | undefined): boolean {
  const named = dataset.expect.flatMap((e) => [e.src, e.dst]).filter((x): x is string => x !== undefined);
  const ips = [f.src, f.dst, ...f.entities.map((e) => e.value)].filter((x): x is string => x !== null);
  if (dataset.expect.some((e) => e.src === undefined && e.dst === undefined && e.kinds.includes(f.kind))) return true;
  if (ips.some((ip) => named.includes(ip)) && (f.src === null || named.includes(f.src) || (f.dst !== null && named.includes(f.dst)))) return true;
  if (!truth) return false;
  if (f.src !== null && f.dst !== null && truth.pairs.has(`${f.src} ${f.dst}`)) return true;
  if (f.src !== null && f.dst === null && truth.sources.has(f.src)) return true;
  if (f.src === null && f.dst !== null && truth.destinations.has(f.dst)) return true;
  if (f.src !== null && truth.sources.has(f.src) && f.dst !== null && truth.destinations.has(f.dst)) return true;
  return false;
}

let geo: GeoDatabase | undefined;
/** The default ASN/geo database, opened once for every dataset. */
function geoDatabase(): GeoDatabase {
  geo ??= openGeoDatabase();
  return geo;
}

async function runDataset(dataset: EvalDataset, root: string, tally: Map<string, Tally>): Promise<{ results: CaseResult[]; problem?: string; findings: Finding[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-eval-'));
  const store = new DuckDbStore({ path: join(dir, 'eval.duckdb') });
  await store.open();
  try {
    // Imported as `vantage import` does by default: enriched with AS numbers and countries.
    const enricher = await createEnricher(store, { geo: geoDatabase() });
    for (const file of dataset.files) {
      const path = join(root, file.path);
      if (file.format === 'pcap') await importCaptureFiles(enrichingSink(store, enricher), [path], { format: 'pcap', httpStore: store, arpStore: store, tlsStore: store }, quiet);
      else await importFiles(store, [path], { format: file.format as ImportFormat, strict: false, sampling: file.sampling, enrich: (records) => enricher.enrich(records) }, quiet);
    }
    if (dataset.intel) {
      const repo = new IndicatorRepository(store);
      await repo.ensureTables();
      await loadFeeds(repo, dataset.intel.map((p) => join(root, p)), {}, quiet);
    }
    const report = await runDetections(store, { kinds: ['all'], ...ALL_TIME, sampleSize: 0, save: false });
    const truth = dataset.zeekLabels || dataset.cicLabels ? labeledTruth(dataset.files.map((f) => join(root, f.path)), dataset.cicLabels ? 'cic' : 'zeek') : undefined;
    for (const run of report.detectors) {
      const t = tally.get(run.kind) ?? { tp: 0, fp: 0, ms: 0 };
      t.ms += run.ms;
      tally.set(run.kind, t);
    }
    for (const f of report.findings) {
      const t = tally.get(f.kind)!;
      if (truePositive(f, dataset, truth)) t.tp++;
      else t.fp++;
    }
    return { results: dataset.expect.map((e) => ({ dataset: dataset.name, expected: e, found: report.findings.some((f) => matches(f, e)) })), findings: report.findings };
  } catch (err) {
    return { results: dataset.expect.map((e) => ({ dataset: dataset.name, expected: e, found: false })), problem: (err as Error).message, findings: [] };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Thresholds {
  readonly [kind: string]: { readonly recall: number; readonly precision: number };
}

async function main(): Promise<number> {
  const root = sharedDataRoot();
  const verbose = process.argv.includes('--verbose');
  const strict = process.env.VANTAGE_REQUIRE_ALL === '1';
  const thresholds = JSON.parse(readFileSync(join(repoRoot(), 'bench', 'eval', 'thresholds.json'), 'utf8')) as Thresholds;
  const tally = new Map<string, Tally>(DETECTORS.map((d) => [d.kind, { tp: 0, fp: 0, ms: 0 }]));
  const cases: CaseResult[] = [];
  let missingData = 0;
  for (const dataset of EVAL_DATASETS) {
    if (!dataset.files.every((f) => existsSync(join(root, f.path)))) {
      missingData++;
      process.stderr.write(`[eval] ${dataset.name}: data missing under ${root}, skipped\n`);
      continue;
    }
    const started = performance.now();
    const { results, problem, findings } = await runDataset(dataset, root, tally);
    cases.push(...results);
    const hit = results.filter((r) => r.found).length;
    process.stderr.write(`[eval] ${dataset.name}: ${hit}/${results.length} named cases found, ${findings.length} findings${problem ? `; FAILED: ${problem}` : ''} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    if (verbose) for (const f of findings) process.stderr.write(`        ${f.kind}/${f.subkind} ${f.score} ${f.summary}\n`);
  }
  const rows: string[][] = [];
  let failed = false;
  for (const d of DETECTORS) {
    const own = cases.filter((c) => c.expected.kinds[0] === d.kind);
    const found = own.filter((c) => c.found).length;
    const t = tally.get(d.kind)!;
    const recall = own.length === 0 ? 1 : found / own.length;
    const precision = t.tp + t.fp === 0 ? 1 : t.tp / (t.tp + t.fp);
    const limit = thresholds[d.kind] ?? { recall: 1, precision: 0.9 };
    const ok = recall >= limit.recall && precision >= limit.precision;
    if (!ok) failed = true;
    rows.push([d.kind, `${found}/${own.length}`, recall.toFixed(3), `${t.tp}/${t.tp + t.fp}`, precision.toFixed(3), `${limit.recall}/${limit.precision}`, `${(t.ms / 1000).toFixed(2)} s`, ok ? 'ok' : 'BELOW']);
  }
  process.stdout.write(renderTable(['detector', 'named found', 'recall', 'true/all findings', 'precision', 'threshold r/p', 'run time', 'status'], rows) + '\n');
  const missed = cases.filter((c) => !c.found);
  if (missed.length > 0) {
    process.stdout.write('\nmissed named cases:\n');
    for (const c of missed) process.stdout.write(`  ${c.dataset}: ${c.expected.kinds.join('|')} ${c.expected.src ?? ''}${c.expected.dst ? ` -> ${c.expected.dst}` : ''}${c.expected.dport ? `:${c.expected.dport}` : ''} — ${c.expected.what}\n`);
  }
  for (const kind of Object.keys(thresholds)) if (!DETECTORS.some((d) => d.kind === kind)) {
    process.stdout.write(`detector '${kind}' has thresholds but is not registered\n`);
    failed = true;
  }
  if (missingData > 0 && strict) {
    process.stdout.write(`${missingData} datasets missing and VANTAGE_REQUIRE_ALL=1\n`);
    failed = true;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`eval: ${err.message}\n`);
    process.exit(1);
  },
);
