// `npm run bench`: Vantage on embedded DuckDB and on embedded ClickHouse (chdb) against nfdump 1.7
// on the same generated flows: import rate, bytes on disk, and three queries timed side by side,
// with every backend's answers cross-checked against nfdump.

import { spawnSync } from 'node:child_process';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chooseRollup } from '../src/query/compile/compile.js';
import { parseQuery } from '../src/query/language/parser.js';
import { runQuery } from '../src/query/run-query.js';
import { PREFERRED_BATCH, type ResultRow, type Store } from '../src/store/store.js';
import {
  BACKEND_LABEL,
  BACKEND_NAMES,
  BACKEND_SHORT,
  backendPath,
  chdbVersion,
  clickHouseParts,
  directoryBytes,
  engineVersion,
  newStore,
  settleClickHouse,
  type BackendName,
  type PartsRow,
} from './backends.js';
import { DEFAULT_DAY_START, FlowGenerator } from './flow-generator.js';
import { PacedSender, encodeV5, udpSocketState } from './netflow-v5.js';
import {
  LineCounter,
  cpuSeconds,
  freeUdpPort,
  nfcapdFiles,
  nfdumpVersion,
  parseCsvSummary,
  parseStatCsv,
  parseTextSummary,
  runNfdump,
  startNfcapd,
  stopNfcapd,
  type Nfcapd,
  type NfdumpTotals,
} from './nfdump.js';
import { duration, grouped, log, median, renderTable } from './report.js';

const CHDB_VERSION = chdbVersion();

const USAGE = `usage: npm run bench -- [--flows N] [--seed N] [--batch N] [--runs N] [--backends LIST] [--json]
                          [--keep DIR] [--no-compress] [--vantage-only]
  --flows N         flows to generate (default 20000000)
  --seed N          PRNG seed (default 1)
  --batch N         flows per appendFlows call and per generated batch (default ${PREFERRED_BATCH}, the
                    store's PREFERRED_BATCH: DuckDB's row-group size)
  --runs N          timed runs per query after one warm-up; the median is reported (default 3)
  --backends LIST   Vantage backends, comma-separated: duckdb, clickhouse (embedded chdb)
                    (default duckdb,clickhouse when chdb is installed - npm run setup:chdb - else duckdb)
  --json            print the results as JSON on stdout (the table then goes to stderr)
  --keep DIR        work in DIR and keep the files (nfdump file, store files, v5 datagrams)
  --no-compress     skip producing LZ4/LZO copies of the nfdump file
  --vantage-only    skip nfdump entirely (for profiling Vantage's import and queries)`;

const { values: opts } = parseArgs({
  options: {
    flows: { type: 'string', default: '20000000' },
    seed: { type: 'string', default: '1' },
    batch: { type: 'string', default: String(PREFERRED_BATCH) },
    runs: { type: 'string', default: '3' },
    backends: { type: 'string' },
    json: { type: 'boolean', default: false },
    keep: { type: 'string' },
    'no-compress': { type: 'boolean', default: false },
    'vantage-only': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const intOpt = (name: string, text: string): number => {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, not '${text}'\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const N = intOpt('flows', opts.flows!);
const SEED = intOpt('seed', opts.seed!);
const BATCH = intOpt('batch', opts.batch!);
const RUNS = intOpt('runs', opts.runs!);
const VANTAGE_ONLY = opts['vantage-only']!;

const BACKENDS: readonly BackendName[] = ((): BackendName[] => {
  if (opts.backends === undefined) return CHDB_VERSION ? ['duckdb', 'clickhouse'] : ['duckdb'];
  const names = [...new Set(opts.backends.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
  const unknown = names.filter((n) => !(BACKEND_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    console.error(`--backends takes duckdb and/or clickhouse, not '${opts.backends}'\n${USAGE}`);
    process.exit(2);
  }
  if (names.includes('clickhouse') && !CHDB_VERSION) {
    console.error(`--backends clickhouse needs the chdb package: run 'npm run setup:chdb' first`);
    process.exit(2);
  }
  return BACKEND_NAMES.filter((n) => names.includes(n));
})();

// Targets from the project brief.
const TARGET_IMPORT = 1_000_000;
const TARGET_BYTES_PER_FLOW = 25;
const TARGET_RATIO = { a: 0.5, b: 0.1, c: 0.5 } as const;

/** The exporter "booted" an hour before the generated day, so v5 uptimes stay far below 2^32 ms. */
const BOOT_MS = DEFAULT_DAY_START - 3_600_000;
/** Longest wait for ClickHouse's background merges before disk and queries are measured. */
const SETTLE_MAX_MS = 600_000;

const QUERY_A = 'any | top 20 src by bytes';
const FILTER_B = 'dst port 443 and src net 10.0.0.0/8';
const QUERY_B = `${FILTER_B} | count`;
const QUERY_C = 'any | count distinct dst by src';
const QUERY_C_LIMIT = `${QUERY_C} | limit 20`;
const QUERY_TOTALS = 'any | count';

interface Timing {
  readonly medianMs: number;
  readonly runsMs: number[];
  readonly warmupMs: number;
}
type QueryTiming = Timing & { value: readonly ResultRow[] };

async function timed<T>(runs: number, fn: () => Promise<{ ms: number; value: T }>, warmup = true): Promise<Timing & { value: T }> {
  const warm = warmup ? await fn() : { ms: NaN, value: undefined as T };
  const runsMs: number[] = [];
  let value = warm.value;
  for (let i = 0; i < runs; i++) {
    const r = await fn();
    runsMs.push(r.ms);
    value = r.value;
  }
  return { medianMs: median(runsMs), runsMs, warmupMs: warm.ms, value };
}

async function vantageTimed(store: Store, text: string): Promise<QueryTiming> {
  return timed(RUNS, async () => {
    const t0 = performance.now();
    const result = await runQuery(store, text);
    return { ms: performance.now() - t0, value: result.rows };
  });
}

/** The table a query reads on this store: a rollup when the planner picks one, else `flows`. */
function tableFor(store: Store, text: string): string {
  return chooseRollup(parseQuery(text), { rollups: store.rollups })?.table ?? 'flows';
}

/** Outcome of one cross-check. */
interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? NaN));

function loud(message: string): void {
  const bar = '!'.repeat(Math.min(100, message.length + 8));
  process.stderr.write(`\n${bar}\n!!! ${message}\n${bar}\n\n`);
}

function totalsEqual(a: NfdumpTotals, b: NfdumpTotals): boolean {
  return a.flows === b.flows && a.bytes === b.bytes && a.packets === b.packets;
}

function fmtTotals(t: NfdumpTotals): string {
  return `${grouped(t.flows)} flows, ${grouped(t.bytes)} bytes, ${grouped(t.packets)} packets`;
}

function rowTotals(row: Record<string, unknown> | undefined): NfdumpTotals {
  return { flows: num(row?.flows), bytes: num(row?.bytes), packets: num(row?.packets) };
}

function machine(): Record<string, string | number> {
  const cpuInfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.*)/.exec(cpuInfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return {
    cpus: cpus().length,
    cpuModel: model.trim(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    nfdump: VANTAGE_ONLY ? 'not run' : nfdumpVersion(),
  };
}

const load1 = (): string => loadavg()[0]!.toFixed(2);

/** How ClickHouse's background merges ended after the last insert. */
function settleText(s: { ms: number; timedOut: boolean }): string {
  if (s.timedOut) return `merges still running ${duration(SETTLE_MAX_MS)} after the last insert`;
  return s.ms < 1 ? 'no merge running after the last insert' : `merges settled ${duration(s.ms)} after the last insert`;
}

/** Everything measured for one Vantage backend. */
interface BackendRun {
  readonly name: BackendName;
  readonly label: string;
  readonly short: string;
  readonly path: string;
  store?: Store;
  version: string;
  /** Sum of the `appendFlows` calls. */
  appendMs: number;
  /** Work after the last append that is charged to the import: DuckDB's CHECKPOINT. */
  finishMs: number;
  importMs: number;
  rate: number;
  bytes: number;
  /** ClickHouse: wait for background merges (not charged), parts right after the inserts and after it. */
  settle?: { ms: number; waitedMs: number; timedOut: boolean; partsAfterInsert: PartsRow[]; partsSettled: PartsRow[]; directoryBytes: number };
  queries?: { a: QueryTiming; b: QueryTiming; c: QueryTiming; cLimit: QueryTiming; tables: Record<string, string> };
}

async function main(): Promise<void> {
  const work = opts.keep ? resolve(opts.keep) : mkdtempSync(join(tmpdir(), 'vantage-bench-'));
  mkdirSync(work, { recursive: true });
  const v5Path = join(work, 'flows.netflow-v5');
  const runs: BackendRun[] = BACKENDS.map((name) => ({
    name,
    label: BACKEND_LABEL[name],
    short: BACKEND_SHORT[name],
    path: backendPath(name, work),
    version: '?',
    appendMs: 0,
    finishMs: 0,
    importMs: NaN,
    rate: NaN,
    bytes: NaN,
  }));
  const byName = (name: BackendName): BackendRun | undefined => runs.find((r) => r.name === name);
  let nfcapd: Nfcapd | undefined;
  const onSignal = (): void => {
    // Only the nfcapd this run started, by its PID.
    if (nfcapd?.child.pid && nfcapd.child.exitCode === null) process.kill(nfcapd.child.pid, 'SIGTERM');
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const info = machine();
  if (opts.backends === undefined && !CHDB_VERSION) {
    log(`NOTICE: chdb is not installed, so only DuckDB is benchmarked; 'npm run setup:chdb' adds the embedded ClickHouse column`);
  }
  log(`${grouped(N)} flows, seed ${SEED}, batches of ${grouped(BATCH)}, backends ${runs.map((r) => r.label).join(' + ')}, work dir ${work}`);
  log(`machine: ${info.cpus} CPUs (${info.cpuModel}), ${info.memoryGiB} GiB, Node ${info.node}, ${info.nfdump}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const loadStart = loadavg()[0]!;
  const loadSamples: { phase: string; load1: number }[] = [{ phase: 'start', load1: loadStart }];
  const sampleLoad = (phase: string): void => {
    loadSamples.push({ phase, load1: loadavg()[0]! });
  };

  const checks: Check[] = [];
  try {
    // ---- 1. Generate once; feed every backend's store and the v5 datagram file batch by batch. ----
    for (const r of runs) {
      r.store = newStore(r.name, r.path);
      await r.store.open();
      r.version = await engineVersion(r.name, r.store);
    }
    const generator = new FlowGenerator({ flows: N, seed: SEED, dayStart: DEFAULT_DAY_START, internalHosts: 10_000, externalHosts: 300_000 });
    const v5fd = VANTAGE_ONLY ? -1 : openSync(v5Path, 'w');
    let generateMs = 0;
    let encodeMs = 0;
    let sequence = 0;
    const generated = { flows: 0, bytes: 0, packets: 0 };
    let nextReport = N / 10;
    while (generator.remaining > 0) {
      let t = performance.now();
      const batch = generator.nextBatch(BATCH);
      for (const f of batch) {
        generated.bytes += f.bytes;
        generated.packets += f.packets;
      }
      generated.flows += batch.length;
      generateMs += performance.now() - t;

      // The same batch object goes to every store; each store's appendFlows is timed on its own.
      for (const r of runs) {
        t = performance.now();
        await r.store!.appendFlows(batch);
        r.appendMs += performance.now() - t;
      }

      if (v5fd >= 0) {
        t = performance.now();
        const { buffer } = encodeV5(batch, BOOT_MS, sequence);
        writeSync(v5fd, buffer);
        sequence += batch.length;
        encodeMs += performance.now() - t;
      }
      if (generated.flows >= nextReport) {
        const appends = runs.map((r) => `${r.short} append ${duration(r.appendMs)}`).join(', ');
        log(`generated ${grouped(generated.flows)} (generate ${duration(generateMs)}, ${appends}, v5 encode ${duration(encodeMs)}; load ${load1()})`);
        nextReport += N / 10;
      }
    }
    if (v5fd >= 0) closeSync(v5fd);
    sampleLoad('after generation + appends');

    for (const r of runs) {
      const store = r.store!;
      if (r.name === 'duckdb') {
        const t = performance.now();
        await store.execute('CHECKPOINT');
        r.finishMs = performance.now() - t;
        const stats = await store.stats();
        await store.close();
        const walBytes = existsSync(`${r.path}.wal`) ? statSync(`${r.path}.wal`).size : 0;
        r.bytes = statSync(r.path).size + walBytes;
        r.importMs = r.appendMs + r.finishMs;
        r.rate = N / (r.importMs / 1000);
        log(`DuckDB import: ${duration(r.importMs)} (append ${duration(r.appendMs)} + checkpoint ${duration(r.finishMs)}) = ${grouped(r.rate)} flows/s; ${grouped(r.bytes)} bytes on disk (stats(): ${grouped(stats.bytesOnDisk ?? 0)}); ${grouped(stats.flows)} flows`);
        if (stats.flows !== N) {
          loud(`MISMATCH: the DuckDB store holds ${stats.flows} flows, expected ${N}`);
          checks.push({ name: '[DuckDB] store holds N flows', ok: false, detail: `${stats.flows} of ${N}` });
        }
      } else {
        // Every insert is a set of durable parts when appendFlows returns: nothing more is charged.
        r.importMs = r.appendMs;
        r.rate = N / (r.importMs / 1000);
        const partsAfterInsert = await clickHouseParts(store);
        log(`ClickHouse insert: ${duration(r.appendMs)} = ${grouped(r.rate)} flows/s; active parts right after: ${partsAfterInsert.map((p) => `${p.table} ${p.parts}`).join(', ')}; waiting for background merges (not charged)`);
        let lastLog = 0;
        const settled = await settleClickHouse(store, SETTLE_MAX_MS, (parts, merges) => {
          if (performance.now() - lastLog > 10_000) {
            log(`  ClickHouse: ${parts} active parts, ${merges} merges running; load ${load1()}`);
            lastLog = performance.now();
          }
        });
        const partsSettled = await clickHouseParts(store);
        const stats = await store.stats();
        r.bytes = stats.bytesOnDisk ?? NaN;
        await store.close();
        r.settle = { ...settled, partsAfterInsert, partsSettled, directoryBytes: directoryBytes(r.path) };
        log(
          `ClickHouse ${settleText(settled)}: ` +
            `${partsSettled.map((p) => `${p.table} ${p.parts} parts ${grouped(p.rows)} rows ${grouped(p.bytesOnDisk)} B`).join('; ')}; ` +
            `flows bytesOnDisk ${grouped(r.bytes)} (${(r.bytes / N).toFixed(1)} B/flow); data directory ${grouped(r.settle.directoryBytes)} B`,
        );
        if (stats.flows !== N) {
          loud(`MISMATCH: the ClickHouse store holds ${stats.flows} flows, expected ${N}`);
          checks.push({ name: '[ClickHouse] store holds N flows', ok: false, detail: `${stats.flows} of ${N}` });
        }
      }
      r.store = undefined;
    }
    sampleLoad('after import finished');

    // ---- 2. nfdump: replay the v5 datagrams into nfcapd. ----
    let nfdumpFile = '';
    let nfdumpImport: Record<string, number | string> = {};
    let nfdumpTotals: NfdumpTotals | undefined;
    const compressed: Record<string, { bytes: number; ms: number }> = {};
    if (!VANTAGE_ONLY) {
      if (process.getuid?.() === 0) spawnSync('sysctl', ['-w', 'net.core.rmem_max=33554432'], { stdio: 'ignore' });
      const v5Bytes = statSync(v5Path).size;
      // Pause sending while nfcapd's socket queue holds more than this (kernel accounting, ~1.6x payload).
      const queueLimits = [8 << 20, 1 << 20];
      for (let attempt = 0; attempt < queueLimits.length; attempt++) {
        const dir = join(work, `nfcapd-${attempt}`);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        const port = await freeUdpPort();
        nfcapd = await startNfcapd(dir, port);
        const cpuBefore = cpuSeconds(nfcapd.child.pid!) ?? 0;
        const sender = new PacedSender(port, queueLimits[attempt]!);
        log(`nfcapd (pid ${nfcapd.child.pid}) on 127.0.0.1:${port}: sending ${grouped(v5Bytes)} bytes of v5 datagrams (attempt ${attempt + 1})`);
        const t0 = performance.now();
        await sender.replayFile(v5Path);
        await sender.waitBelow(0);
        const sendMs = performance.now() - t0;
        const cpu = (cpuSeconds(nfcapd.child.pid!) ?? NaN) - cpuBefore;
        const drops = udpSocketState(port)?.drops ?? -1;
        sender.close();
        await stopNfcapd(nfcapd);
        let importMs = performance.now() - t0;
        const nfcapdLog = nfcapd.log();
        nfcapd = undefined;
        const files = nfcapdFiles(dir);
        if (files.length === 0) throw new Error(`nfcapd wrote no file in ${dir}:\n${nfcapdLog}`);
        nfdumpFile = files[0]!;
        if (files.length > 1) {
          // nfcapd rotated at a wall-clock boundary: merge, and charge the merge to the import.
          nfdumpFile = join(work, 'merged.nfcapd');
          const merge = await runNfdump(['-R', dir, '-w', nfdumpFile]);
          importMs += merge.ms;
          log(`nfcapd wrote ${files.length} files; merged in ${duration(merge.ms)}`);
        }
        const verify = await runNfdump(['-r', nfdumpFile, '-o', 'null', '-N']);
        nfdumpTotals = parseTextSummary(verify.stdout);
        const seqErrors = /Sequence Errors: (\d+)/.exec(nfcapdLog)?.[1] ?? '?';
        nfdumpImport = {
          ms: importMs,
          sendMs,
          flowsPerSecond: N / (importMs / 1000),
          nfcapdCpuSeconds: cpu,
          nfcapdCpuFlowsPerSecond: N / cpu,
          socketDrops: drops,
          sequenceErrors: seqErrors,
          senderWaits: sender.waits,
          datagrams: sender.datagrams,
          attempt: attempt + 1,
        };
        log(`nfdump import: ${duration(importMs)} = ${grouped(N / (importMs / 1000))} flows/s (nfcapd CPU ${cpu.toFixed(2)} s, socket drops ${drops}, sequence errors ${seqErrors}); file holds ${nfdumpTotals ? fmtTotals(nfdumpTotals) : '?'}`);
        if (nfdumpTotals?.flows === N) break;
        loud(`nfdump LOST FLOWS: the file holds ${nfdumpTotals?.flows ?? '?'} of ${N} flows (socket drops ${drops})${attempt + 1 < queueLimits.length ? ' - retrying slower' : ' - comparing on what each side holds'}`);
      }
      checks.push({
        name: 'nfdump file = generated flows',
        ok: !!nfdumpTotals && totalsEqual(nfdumpTotals, generated),
        detail: `generated ${fmtTotals(generated)}; nfdump ${nfdumpTotals ? fmtTotals(nfdumpTotals) : '?'}`,
      });
      if (!opts['no-compress']) {
        for (const [name, flag] of [['lz4', '-y'], ['lzo', '-z']] as const) {
          const out = join(work, `nfcapd.${name}`);
          const r = await runNfdump(['-r', nfdumpFile, flag, '-w', out]);
          if (r.code !== 0 || !existsSync(out)) {
            log(`nfdump ${flag} failed: ${r.stderr.trim()}`);
            continue;
          }
          compressed[name] = { bytes: statSync(out).size, ms: r.ms };
          log(`nfdump ${name}: ${grouped(compressed[name]!.bytes)} bytes (${(compressed[name]!.bytes / N).toFixed(1)} bytes/flow), rewritten in ${duration(r.ms)}`);
          if (!opts.keep) rmSync(out, { force: true });
        }
      }
      if (!opts.keep) rmSync(v5Path, { force: true });
    }
    const nfdumpBytes = nfdumpFile ? statSync(nfdumpFile).size : NaN;
    sampleLoad('after nfdump import');

    // ---- 3. Queries: each backend's store reopened once after the import, then nfdump. ----
    for (const r of runs) {
      const store = newStore(r.name, r.path);
      r.store = store;
      await store.open();
      const tables = Object.fromEntries([QUERY_TOTALS, QUERY_A, QUERY_B, QUERY_C].map((q) => [q, tableFor(store, q)]));
      const totals = rowTotals((await runQuery(store, QUERY_TOTALS)).rows[0]);
      checks.push({ name: `[${r.short}] '${QUERY_TOTALS}' (from ${tables[QUERY_TOTALS]}) = generated flows`, ok: totalsEqual(totals, generated), detail: fmtTotals(totals) });
      if (tables[QUERY_TOTALS] !== 'flows') {
        // The rollup answered: check the raw table as well.
        const [raw] = await store.execute('SELECT count() AS flows, sum(bytes) AS bytes, sum(packets) AS packets FROM flows');
        const rawTotals = rowTotals(raw);
        checks.push({ name: `[${r.short}] raw flows table = generated flows`, ok: totalsEqual(rawTotals, generated), detail: fmtTotals(rawTotals) });
      }
      log(`(a) ${r.short}: ${QUERY_A}  [reads ${tables[QUERY_A]}]`);
      const a = await vantageTimed(store, QUERY_A);
      log(`(b) ${r.short}: ${QUERY_B}  [reads ${tables[QUERY_B]}]`);
      const b = await vantageTimed(store, QUERY_B);
      log(`(c) ${r.short}: ${QUERY_C}  [reads ${tables[QUERY_C]}]`);
      const c = await vantageTimed(store, QUERY_C);
      const cLimit = await vantageTimed(store, QUERY_C_LIMIT);
      r.queries = { a, b, c, cLimit, tables };
      log(`${r.short} medians: (a) ${duration(a.medianMs)}, (b) ${duration(b.medianMs)}, (c) ${duration(c.medianMs)}; load ${load1()}`);
      await store.close();
      r.store = undefined;
    }
    sampleLoad('after Vantage queries');

    type NfdumpTiming = Timing & { args: string; value: unknown };
    const nf: Record<string, NfdumpTiming> = {};
    if (nfdumpFile) {
      const F = nfdumpFile;
      // Variants that only inform (10x slower than the best) run once, without warm-up.
      const plain = async (key: string, args: string[], parse: (out: string) => unknown, once = false): Promise<void> => {
        log(`nfdump ${key}: nfdump ${args.join(' ')}${once ? ' (1 run)' : ''}`);
        const r = await timed(once ? 1 : RUNS, async () => {
          const run = await runNfdump(args);
          if (run.code !== 0) throw new Error(`nfdump ${args.join(' ')} failed (${run.code}): ${run.stderr}`);
          return { ms: run.ms, value: parse(run.stdout) };
        }, !once);
        nf[key] = { ...r, args: `nfdump ${args.join(' ')}` };
      };
      const counted = async (key: string, args: string[], column: number, how: string, once = false): Promise<void> => {
        log(`nfdump ${key}: nfdump ${args.join(' ')} ${how}${once ? ' (1 run)' : ''}`);
        const r = await timed(once ? 1 : RUNS, async () => {
          const counter = new LineCounter(column);
          const run = await runNfdump(args, { onData: (chunk) => counter.push(chunk) });
          const counts = counter.finish();
          if (run.code !== 0) throw new Error(`nfdump ${args.join(' ')} failed (${run.code}): ${run.stderr}`);
          return { ms: run.ms, value: counts };
        }, !once);
        nf[key] = { ...r, args: `nfdump ${args.join(' ')} ${how}` };
      };
      await plain('a', ['-r', F, '-s', 'srcip/bytes', '-n', '20', '-o', 'csv', '-q'], parseStatCsv);
      await plain('b-null', ['-r', F, '-o', 'null', '-N', FILTER_B], parseTextSummary);
      await plain('b-csv', ['-r', F, '-o', 'csv', FILTER_B], parseCsvSummary, true);
      await counted('c-fmt', ['-r', F, '-A', 'srcip,dstip', '-o', 'fmt:%sa', '-q'], -1, '(lines counted per source in Node)');
      await counted('c-csv', ['-r', F, '-A', 'srcip,dstip', '-o', 'csv', '-q'], 3, '(lines counted per source, column sa, in Node)', true);
    }
    sampleLoad('after nfdump queries');

    // ---- 4. Cross-checks: every backend against nfdump. ----
    if (nfdumpFile) {
      for (const r of runs) {
        const { a: va, b: vb, c: vc } = r.queries!;
        const tag = `[${r.short}]`;
        // (a) the top-20 lists: same addresses in the same order (ties may swap), same totals.
        const nfTop = nf.a!.value as ReturnType<typeof parseStatCsv>;
        const vTop = va.value;
        const problems: string[] = [];
        if (nfTop.length !== vTop.length) problems.push(`${vTop.length} rows vs ${nfTop.length}`);
        for (let i = 0; i < Math.min(nfTop.length, vTop.length); i++) {
          const v = vTop[i]!;
          const n = nfTop[i]!;
          if (String(v.src) !== n.value && num(v.bytes) !== n.bytes) problems.push(`#${i + 1}: ${v.src} ${num(v.bytes)} vs ${n.value} ${n.bytes}`);
          else if (num(v.bytes) !== n.bytes || num(v.flows) !== n.flows || num(v.packets) !== n.packets) {
            problems.push(`#${i + 1} ${v.src}: bytes/flows/packets ${num(v.bytes)}/${num(v.flows)}/${num(v.packets)} vs ${n.bytes}/${n.flows}/${n.packets}`);
          }
        }
        const vSum = vTop.reduce((s, row) => s + num(row.bytes), 0);
        const nSum = nfTop.reduce((s, row) => s + row.bytes, 0);
        if (vSum !== nSum) problems.push(`top-20 byte totals ${vSum} vs ${nSum}`);
        checks.push({
          name: `${tag} (a) top-20 sources by bytes`,
          ok: problems.length === 0,
          detail: problems.length ? problems.slice(0, 5).join('; ') : `20 sources match, top-20 bytes ${grouped(vSum)}; #1 ${vTop[0]?.src} ${grouped(num(vTop[0]?.bytes))}`,
        });

        // (b) the counts (and byte/packet totals) of the filter.
        const vbTotals = rowTotals(vb.value[0]);
        for (const key of ['b-null', 'b-csv']) {
          const n = nf[key]!.value as NfdumpTotals | undefined;
          checks.push({ name: `${tag} (b) filter count vs ${key}`, ok: !!n && totalsEqual(n, vbTotals), detail: `${r.short} ${fmtTotals(vbTotals)}; nfdump ${n ? fmtTotals(n) : 'unparsed'}` });
        }

        // (c) distinct destinations per source, every source compared.
        const vMap = new Map(vc.value.map((row) => [String(row.src), num(row.distinct_dst)]));
        for (const key of ['c-fmt', 'c-csv']) {
          const nMap = nf[key]!.value as Map<string, number>;
          const bad: string[] = [];
          for (const [src, count] of vMap) if (nMap.get(src) !== count) bad.push(`${src}: ${count} vs ${nMap.get(src) ?? 'absent'}`);
          for (const src of nMap.keys()) if (!vMap.has(src)) bad.push(`${src}: absent vs ${nMap.get(src)}`);
          const samples = [...vc.value.slice(0, 3), ...[0.25, 0.5, 0.75, 0.999].map((q) => vc.value[Math.floor(q * (vc.value.length - 1))]!)]
            .map((row) => `${row.src}=${num(row.distinct_dst)}/${nMap.get(String(row.src)) ?? '-'}`)
            .join(' ');
          checks.push({
            name: `${tag} (c) distinct dst per src vs ${key}`,
            ok: bad.length === 0 && vMap.size > 0,
            detail: bad.length
              ? `${bad.length} sources differ, e.g. ${bad.slice(0, 5).join('; ')}`
              : `all ${grouped(vMap.size)} sources match (${grouped([...vMap.values()].reduce((x, y) => x + y, 0))} pairs); ${r.short}/nfdump e.g. ${samples}`,
          });
        }
      }
    } else if (runs.length > 1) {
      // Without nfdump, the backends are still checked against each other.
      const [first, ...rest] = runs;
      for (const r of rest) {
        for (const key of ['a', 'b', 'c'] as const) {
          const x = JSON.stringify(first!.queries![key].value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
          const y = JSON.stringify(r.queries![key].value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
          checks.push({ name: `(${key}) ${r.short} = ${first!.short}`, ok: x === y, detail: x === y ? `${r.queries![key].value.length} rows identical` : 'results differ' });
        }
      }
    }
    for (const c of checks) if (!c.ok) loud(`MISMATCH ${c.name}: ${c.detail}`);

    // ---- 5. The table: one value, ratio and result column per backend. ----
    const best = (keys: string[]): { key: string; t: NfdumpTiming } | undefined => {
      const present = keys.filter((k) => nf[k]);
      if (present.length === 0) return undefined;
      const key = present.reduce((a, b) => (nf[a]!.medianMs <= nf[b]!.medianMs ? a : b));
      return { key, t: nf[key]! };
    };
    const nfA = nf.a ? { key: 'a', t: nf.a } : undefined;
    const nfB = best(['b-null', 'b-csv']);
    const nfC = best(['c-fmt', 'c-csv']);
    const pass = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
    const hasNf = !!nfdumpFile;
    const nfImportMs = typeof nfdumpImport.ms === 'number' ? nfdumpImport.ms : NaN;
    const nfRate = N / (nfImportMs / 1000);
    const nBpf = nfdumpBytes / N;
    const header = [
      'metric',
      ...runs.map((r) => r.label),
      ...(hasNf ? ['nfdump', ...runs.map((r) => `${r.short}/nfdump`)] : []),
      'target',
      ...runs.map((r) => `${r.short} result`),
    ];
    /** One table line: per-backend value, ratio to nfdump and PASS/MISS. */
    const row = (
      metric: string,
      value: (r: BackendRun) => string,
      nfdump: string,
      ratio: (r: BackendRun) => string,
      target: string,
      result: (r: BackendRun) => string,
    ): string[] => [metric, ...runs.map(value), ...(hasNf ? [nfdump, ...runs.map(ratio)] : []), target, ...runs.map(result)];
    const bpf = (r: BackendRun): number => r.bytes / N;
    type QueryKey = 'a' | 'b' | 'c' | 'cLimit';
    const queryRow = (label: string, key: QueryKey, n: { t: NfdumpTiming } | undefined, target: number, infoOnly = false): string[] =>
      row(
        label,
        (r) => duration(r.queries![key].medianMs),
        n ? duration(n.t.medianMs) : '-',
        (r) => (n ? (r.queries![key].medianMs / n.t.medianMs).toFixed(3) : '-'),
        infoOnly ? '(info)' : `ratio <= ${target}`,
        (r) => (infoOnly || !n ? '' : pass(r.queries![key].medianMs / n.t.medianMs <= target)),
      );
    const rows: string[][] = [
      row(
        'import: appendFlows rate (flows/s)',
        (r) => grouped(r.rate),
        hasNf ? grouped(nfRate) : '-',
        (r) => (hasNf ? (r.rate / nfRate).toFixed(2) : '-'),
        `>= ${grouped(TARGET_IMPORT)}/s`,
        (r) => pass(r.rate >= TARGET_IMPORT),
      ),
      row('import time', (r) => duration(r.importMs), hasNf ? duration(nfImportMs) : '-', (r) => (hasNf ? (r.importMs / nfImportMs).toFixed(2) : '-'), '', () => ''),
      row(
        'bytes on disk per flow',
        (r) => bpf(r).toFixed(1),
        hasNf ? `${nBpf.toFixed(1)} (uncompr.)` : '-',
        (r) => (hasNf ? (bpf(r) / nBpf).toFixed(3) : '-'),
        `<= ${TARGET_BYTES_PER_FLOW}`,
        (r) => pass(bpf(r) <= TARGET_BYTES_PER_FLOW),
      ),
      ...Object.entries(compressed).map(([name, c]) =>
        row(`  vs nfdump -${name === 'lz4' ? 'y' : 'z'} (${name.toUpperCase()}) bytes/flow`, (r) => bpf(r).toFixed(1), (c.bytes / N).toFixed(1), (r) => (bpf(r) / (c.bytes / N)).toFixed(3), '', () => ''),
      ),
      queryRow('(a) top 20 src by bytes', 'a', nfA, TARGET_RATIO.a),
      queryRow(`(b) ${FILTER_B} | count`, 'b', nfB, TARGET_RATIO.b),
      ...(nf['b-csv'] && nfB?.key !== 'b-csv' ? [queryRow('    vs nfdump -o csv (all flows printed)', 'b', { t: nf['b-csv'] }, TARGET_RATIO.b, true)] : []),
      queryRow('(c) count distinct dst by src', 'c', nfC, TARGET_RATIO.c),
      ...(nf['c-csv'] && nfC?.key !== 'c-csv' ? [queryRow('    vs nfdump -A ... -o csv', 'c', { t: nf['c-csv'] }, TARGET_RATIO.c, true)] : []),
      queryRow('    Vantage with | limit 20', 'cLimit', nfC, TARGET_RATIO.c, true),
    ];
    const table = renderTable(header, rows);
    const duck = byName('duckdb');
    const ch = byName('clickhouse');
    const partsLine = (parts: PartsRow[]): string => parts.map((p) => `${p.table} ${p.parts} parts/${grouped(p.rows)} rows/${grouped(p.bytesOnDisk)} B`).join(', ');
    const lines: string[] = [
      '',
      `Vantage (${runs.map((r) => r.label).join(', ')}) vs nfdump, ${grouped(N)} flows (seed ${SEED}), batches of ${grouped(BATCH)}; median of ${RUNS} run(s) after 1 warm-up`,
      `machine: ${info.cpus} CPUs ${info.cpuModel}, ${info.memoryGiB} GiB; Node ${info.node}; ${runs.map((r) => r.version).join('; ')}; ${info.nfdump}`,
      `load average (1 min): ${loadSamples.map((s) => `${s.phase} ${s.load1.toFixed(2)}`).join(', ')}, end ${load1()}: other work on the machine skews timings`,
      '',
      table,
      '',
      `generation ${grouped(N / (generateMs / 1000))} flows/s${encodeMs > 0 ? `, v5 encoding ${grouped(N / (encodeMs / 1000))} flows/s` : ''} (charged to no side)`,
      ...(duck ? [`DuckDB import: appendFlows ${duration(duck.appendMs)} + CHECKPOINT ${duration(duck.finishMs)}; file ${grouped(duck.bytes)} bytes`] : []),
      ...(ch
        ? [
            `ClickHouse import: appendFlows ${duration(ch.appendMs)} (a Native block per batch, staged in a file and read with file() in chdb; flows table + the flows_1m and flows_1h rollup MVs); nothing charged after the last insert`,
            `ClickHouse disk: flows ${grouped(ch.bytes)} bytes = store.stats().bytesOnDisk (system.parts, active), as-is without OPTIMIZE ... FINAL; ` +
              `${settleText(ch.settle!)} (not charged)`,
            `  parts right after the inserts: ${partsLine(ch.settle!.partsAfterInsert)}`,
            `  parts when settled:            ${partsLine(ch.settle!.partsSettled)}; data directory ${grouped(ch.settle!.directoryBytes)} bytes`,
            `  tables read: ${Object.entries(ch.queries!.tables).map(([q, t]) => `'${q}' -> ${t}`).join(', ')}`,
          ]
        : []),
      hasNf
        ? `nfdump import: v5 datagrams replayed to nfcapd from a file, ${grouped(Number(nfdumpImport.datagrams))} datagrams, send ${duration(Number(nfdumpImport.sendMs))}; nfcapd CPU ${Number(nfdumpImport.nfcapdCpuSeconds).toFixed(2)} s (${grouped(Number(nfdumpImport.nfcapdCpuFlowsPerSecond))} flows per CPU-second); socket drops ${nfdumpImport.socketDrops}; sequence errors ${nfdumpImport.sequenceErrors}; sender pauses ${nfdumpImport.senderWaits}; file ${grouped(nfdumpBytes)} bytes`
        : 'nfdump not run (--vantage-only)',
      '',
      'query runs (ms):',
      ...runs.map((r) => `  ${r.short.padEnd(10)} ${(['a', 'b', 'c', 'cLimit'] as const).map((k) => `(${k}) ${r.queries![k].runsMs.map((ms) => ms.toFixed(0)).join('/')}`).join('  ')}`),
      ...Object.entries(nf).map(([k, t]) => `  nfdump ${k.padEnd(6)} ${duration(t.medianMs).padStart(9)}${t.runsMs.length === 1 ? ' (1 run)' : `         `}  ${t.runsMs.map((ms) => ms.toFixed(0)).join('/')}  ${t.args.replace(nfdumpFile, 'FILE')}`),
      '',
      'cross-checks:',
      ...checks.map((c) => `  ${c.ok ? 'OK      ' : 'MISMATCH'} ${c.name}: ${c.detail}`),
      '',
    ];
    const noValue = <T extends { value: unknown }>(t: T): Omit<T, 'value'> => {
      const { value: _value, ...rest } = t;
      return rest;
    };
    const result = {
      flows: N,
      seed: SEED,
      batch: BATCH,
      runs: RUNS,
      backends: runs.map((r) => r.name),
      machine: { ...info, engines: Object.fromEntries(runs.map((r) => [r.name, r.version])), loadAverage: loadSamples, loadAverageEnd: loadavg()[0] },
      generation: { ms: generateMs, flowsPerSecond: N / (generateMs / 1000), v5EncodeMs: encodeMs, totals: generated },
      vantage: Object.fromEntries(
        runs.map((r) => [
          r.name,
          {
            label: r.label,
            version: r.version,
            import: { ms: r.importMs, appendMs: r.appendMs, finishMs: r.finishMs, flowsPerSecond: r.rate, target: TARGET_IMPORT, pass: r.rate >= TARGET_IMPORT, ratioToNfdump: hasNf ? r.rate / nfRate : null },
            disk: { bytes: r.bytes, bytesPerFlow: bpf(r), target: TARGET_BYTES_PER_FLOW, pass: bpf(r) <= TARGET_BYTES_PER_FLOW, ...(r.settle ? { clickhouse: r.settle } : {}) },
            queries: {
              tables: r.queries!.tables,
              a: { query: QUERY_A, ...noValue(r.queries!.a), ratio: nfA ? r.queries!.a.medianMs / nfA.t.medianMs : null, target: TARGET_RATIO.a },
              b: { query: QUERY_B, ...noValue(r.queries!.b), ratio: nfB ? r.queries!.b.medianMs / nfB.t.medianMs : null, target: TARGET_RATIO.b },
              c: { query: QUERY_C, ...noValue(r.queries!.c), ratio: nfC ? r.queries!.c.medianMs / nfC.t.medianMs : null, target: TARGET_RATIO.c },
              cLimit20: { query: QUERY_C_LIMIT, ...noValue(r.queries!.cLimit) },
            },
          },
        ]),
      ),
      nfdump: hasNf
        ? {
            import: nfdumpImport,
            disk: { bytes: nfdumpBytes, bytesPerFlow: nBpf, compressed: Object.fromEntries(Object.entries(compressed).map(([k, c]) => [k, { ...c, bytesPerFlow: c.bytes / N }])) },
            queries: {
              best: { a: nfA?.key ?? null, b: nfB?.key ?? null, c: nfC?.key ?? null },
              variants: Object.fromEntries(Object.entries(nf).map(([k, t]) => [k, { args: t.args.replace(nfdumpFile, 'FILE'), medianMs: t.medianMs, runsMs: t.runsMs, warmupMs: t.warmupMs }])),
            },
          }
        : null,
      checks,
    };
    if (opts.json) {
      process.stderr.write(lines.join('\n'));
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(lines.join('\n'));
    }
    if (checks.some((c) => !c.ok)) process.exitCode = 1;
  } finally {
    if (nfcapd) await stopNfcapd(nfcapd);
    for (const r of runs) if (r.store) await r.store.close().catch(() => undefined);
    if (opts.keep) log(`kept files in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
