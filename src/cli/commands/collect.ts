// `vantage collect`: receives NetFlow v5/v9, IPFIX and sFlow over UDP and writes the flows to the
// store, spooling to disk when the store cannot keep up; stops gracefully on SIGINT/SIGTERM.

import { Command } from 'commander';
import { VantageError } from '../../core/errors.js';
import { createCollector, type Collector } from '../../services/collector/collector.js';
import { DEFAULT_RCVBUF, defaultWorkers, type CollectorConfigInput } from '../../services/collector/collector-config.js';
import { createCollectorRegistry } from '../../services/collector/collector-metrics.js';
import { mallocAdvice } from '../../services/collector/malloc-advice.js';
import { startMetricsServer, type MetricsServer } from '../../services/collector/metrics-server.js';
import { storeReplayTarget } from '../../services/collector/store-target.js';
import { PREFERRED_BATCH } from '../../store/store.js';
import { globalOptions } from '../context.js';
import { createEnricher } from '../../enrich/create-enricher.js';
import { FlowEnricher } from '../../enrich/enricher.js';
import { openGeoDatabase } from '../../enrich/geo-database.js';
import { createStore, resolveStoreUrl, storeOptionsFromEnv } from '../../services/store-factory.js';
import { toJson } from '../output.js';
import { wholeNumberFlag } from '../flag-values.js';

/**
 * DuckDB's memory limit for `vantage collect` unless VANTAGE_DUCKDB_MEMORY_LIMIT says otherwise.
 * The collector only appends, but DuckDB keeps the blocks it wrote cached up to its limit (its
 * default: 80% of RAM), so the collector's memory grows with what it stored until the limit: at
 * 1M flows/s with enrichment, 256 MB levelled off at 650-700 MB after ~20 s; 32 MB at 413-465
 * (beyond that, DuckDB's per-row-group state grows with what was stored, until the reopen below).
 * Two appends in flight need ~25 MB: appends of 2.5M flows took 16 MB 944 ns a flow of CPU, 24 MB
 * 856, 32 MB 677-770, 256 MB 777-826. A limit an append cannot live with is doubled by the
 * store when DuckDB runs out (see DuckDbStore.growingMemory).
 */
export const COLLECTOR_DUCKDB_MEMORY_LIMIT = '32MB';

/**
 * DuckDB's threads for `vantage collect` unless VANTAGE_DUCKDB_THREADS says otherwise. DuckDB
 * runs an appender's flush as a query: with a second thread, that thread takes a share of its
 * tasks while the flushing thread (the collector's main thread) polls DuckDB's task queue until
 * they are done, which took 15% of the collector's CPU at 850k flows/s for nothing. Its only
 * other query, the indicators read for enrichment, runs once at start (and the file is the
 * collector's own while it runs: no one else queries it).
 */
export const COLLECTOR_DUCKDB_THREADS = 1;

/**
 * Flows after which `vantage collect` reopens its DuckDB store between appends. DuckDB keeps
 * ~0.5 MB of state a million flows appended until the file is closed: 300k flows/s for 10 min
 * took the collector from 328 to 415 MB, and to 348-358 with a reopen every 50M flows (peak
 * 390 MB against 446). A reopen takes ~0.15 s with appends waiting; at 1M flows/s, where this
 * machine has no spare CPU, reopening every 50M flows did not lower the peak over 2 minutes and
 * went with more dropped datagrams, hence every 100M: ~50 MB of growth at most, a reopen every
 * 5.5 min at 300k flows/s and every 100 s at 1M (docs/collector.md, seventeenth session).
 */
const COLLECTOR_DUCKDB_REOPEN_FLOWS = 100_000_000;

/**
 * The niceness of `vantage collect`'s threads other than the receiver. At 2.5M flows/s the
 * receiver alone takes every datagram into the datagram spool, but with the decoder, the store's
 * appends and the garbage collector's helpers on the same two cores it lost 31% of them at equal
 * priority; at nice 10 for the rest it lost none (docs/collector.md, nineteenth session).
 */
const COLLECT_NICE = 10;

interface CliOptions {
  listen: string[];
  rcvbuf: string;
  spool: string;
  spoolMax?: string;
  batch?: string;
  flushMs?: string;
  workers?: string;
  storeQueue?: string;
  decodeQueue?: string;
  datagramSpool: boolean;
  nice?: string;
  stats?: boolean;
  statsInterval: string;
  metricsPort?: string;
  enrich: boolean;
  asnDb?: string;
  geoDb?: string;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Reads a byte size: a whole number with an optional k/M/G/T suffix (powers of 1024; "B"/"iB" allowed). */
export function parseBytes(option: string, text: string): number {
  const m = /^(\d+)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  const n = m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new VantageError('USAGE', `${option} must be a size in bytes such as 33554432, 512M or 2G, got '${text}'`);
  return n;
}

function parseCount(option: string, text: string, min = 1): number {
  return wholeNumberFlag(text, option, { min });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Turns the command line into collector settings (defaults for what is not given). */
export function collectorConfigFromCli(cli: CliOptions): CollectorConfigInput {
  if (cli.listen.length === 0) throw new VantageError('USAGE', 'give at least one --listen udp://HOST:PORT');
  return {
    listen: cli.listen,
    receiveBufferBytes: parseBytes('--rcvbuf', cli.rcvbuf),
    spoolDir: cli.spool,
    spoolMaxBytes: cli.spoolMax === undefined ? undefined : parseBytes('--spool-max', cli.spoolMax),
    batchFlows: cli.batch === undefined ? undefined : parseCount('--batch', cli.batch),
    flushMs: cli.flushMs === undefined ? undefined : parseCount('--flush-ms', cli.flushMs),
    workers: cli.workers === undefined ? undefined : parseCount('--workers', cli.workers, 0),
    storeQueue: cli.storeQueue === undefined ? undefined : parseCount('--store-queue', cli.storeQueue, 0),
    maxOutstanding: cli.decodeQueue === undefined ? undefined : parseCount('--decode-queue', cli.decodeQueue, 0),
    datagramSpool: cli.datagramSpool,
    nice: cli.nice === undefined ? undefined : wholeNumberFlag(cli.nice, '--nice', { min: 0, max: 19 }),
  };
}

function log(message: string): void {
  process.stderr.write(`vantage collect: ${message}\n`);
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once (what is spooled stays spooled). */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log(`${signal}: stopping (receive stopped; flushing to the store; ${signal} again to exit at once)`);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function describeStart(collector: Collector, location: string): string {
  const listeners = collector.listeners().map((l) => `${l.url} (port ${l.port}, SO_RCVBUF ${l.rcvbuf})`).join(', ');
  const workers = collector.threaded ? `a receiver thread and ${collector.config.workers} decode worker(s)` : 'receiving and decoding on the main thread';
  return `listening on ${listeners}; ${workers}; store ${location}; spool ${collector.config.spoolDir}`;
}

/** Registers `vantage collect`. */
export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description('receive NetFlow v5/v9, IPFIX and sFlow over UDP into the store (SIGINT/SIGTERM stop it gracefully)')
    .option('--listen <udp://HOST:PORT>', 'UDP address to listen on; repeat for several (IPv6: udp://[::]:4739)', collect, [])
    .option('--rcvbuf <bytes>', 'SO_RCVBUF per socket (capped by net.core.rmem_max)', String(DEFAULT_RCVBUF))
    .option('--spool <dir>', 'spool directory: batches the store cannot take, and saved templates', './data/spool')
    .option('--spool-max <bytes>', 'most the spool may hold before batches are dropped (default 2G)')
    .option('--batch <n>', `IPv4 flows per store append, IPv6 flows riding along (default ${PREFERRED_BATCH})`)
    .option('--flush-ms <ms>', 'longest a flow waits before its batch is written (default 1000)')
    .option('--workers <n>', `decode worker threads; 0 receives and decodes on the main thread (default ${defaultWorkers()})`)
    .option('--store-queue <n>', 'batches waiting for the store before new ones go to the spool; 0 spools everything first (default 8)')
    .option('--decode-queue <n>', 'batches of datagrams (64 KiB each) a decode worker may have queued before new datagrams go to the datagram spool; 0 sends all through it (default 256)')
    .option('--no-datagram-spool', 'drop datagrams a decode worker cannot take (COLLECT_DECODE_BACKLOG) instead of spooling them')
    .option('--nice <n>', 'niceness of every thread but the receiver, so that under overload receiving wins and the rest catches up from the spool; 0 leaves them alone', String(COLLECT_NICE))
    .option('--stats', 'print counters as JSON lines to stderr periodically and at exit')
    .option('--stats-interval <ms>', 'period of --stats lines', '10000')
    .option('--metrics-port <port>', 'serve Prometheus metrics at http://127.0.0.1:PORT/metrics')
    .option('--no-enrich', 'store flows as decoded: no ASN, country or intelligence tags')
    .option('--asn-db <file>', 'ASN database (.mmdb or ip-location-db CSV) instead of the bundled one')
    .option('--geo-db <file>', 'country database (.mmdb) instead of the bundled one')
    .action(async (cli: CliOptions, command: Command) => {
      const config = collectorConfigFromCli(cli);
      const statsEvery = parseCount('--stats-interval', cli.statsInterval);
      const metricsPort = cli.metricsPort === undefined ? undefined : parseCount('--metrics-port', cli.metricsPort, 0);
      const env = storeOptionsFromEnv();
      const store = createStore(resolveStoreUrl(globalOptions(command)), {
        ...env,
        duckdbMemoryLimit: env.duckdbMemoryLimit ?? COLLECTOR_DUCKDB_MEMORY_LIMIT,
        duckdbThreads: env.duckdbThreads ?? COLLECTOR_DUCKDB_THREADS,
      });
      let enricher: FlowEnricher | undefined;
      const target = storeReplayTarget(store, cli.enrich ? () => enricher : undefined);
      try {
        await target.ensureOpen();
      } catch (err) {
        // Collection goes on: flows wait in the spool and the writer retries the store.
        log(`${err instanceof VantageError ? err.message : String(err)}; spooling flows to ${config.spoolDir} until the store is back`);
      }
      if (cli.enrich) {
        // The indicators live in the store: with the store down at start, tag with ASN/geo only.
        const geo = { asnDb: cli.asnDb, countryDb: cli.geoDb };
        enricher = target.isOpen ? await createEnricher(store, geo) : new FlowEnricher(openGeoDatabase(geo), undefined);
      }
      try {
        const refreshFlows = store.dialect.name === 'duckdb' ? COLLECTOR_DUCKDB_REOPEN_FLOWS : 0;
        const collector = createCollector({ ...config, refreshFlows }, { target, log });
        const signal = untilSignal();
        await collector.start();
        log(describeStart(collector, store.location));
        const advice = mallocAdvice(process.env);
        if (advice) log(advice);
        let metrics: MetricsServer | undefined;
        let statsTimer: NodeJS.Timeout | undefined;
        const printStats = (final: boolean) => process.stderr.write(`${toJson(final ? { ...collector.snapshot(), final: true } : collector.snapshot())}\n`);
        try {
          if (metricsPort !== undefined) {
            metrics = await startMetricsServer(createCollectorRegistry(() => collector.snapshot()), metricsPort);
            log(`metrics at http://127.0.0.1:${metrics.port}/metrics`);
          }
          if (cli.stats) statsTimer = setInterval(() => printStats(false), statsEvery);
          await signal;
        } finally {
          clearInterval(statsTimer);
          await collector.stop();
          await metrics?.close();
          if (cli.stats) printStats(true);
        }
        const s = collector.snapshot();
        log(`stopped: ${s.datagrams} datagrams, ${s.records} flows decoded, ${s.stored + s.replayed} written to the store, ${s.spool.bytes} bytes left in the spool`);
      } finally {
        await target.close();
      }
    });
}
