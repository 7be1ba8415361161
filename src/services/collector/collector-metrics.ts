// Prometheus metrics of the collector (prom-client), read from the stats snapshot at scrape
// time so that the receive loop never touches a metric object.

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CollectorStatsSnapshot } from './collector-stats.js';

/** Metric name prefix. */
export const METRIC_PREFIX = 'vantage_collector_';

/**
 * A registry whose metrics are filled from `snapshot()` on every scrape (one snapshot per
 * scrape, shared by all metrics). See docs/collector.md for the list.
 */
export function createCollectorRegistry(snapshot: () => CollectorStatsSnapshot): Registry {
  const registry = new Registry();
  let cached: CollectorStatsSnapshot | undefined;
  let cachedAt = 0;
  const current = (): CollectorStatsSnapshot => {
    const now = Date.now();
    if (!cached || now - cachedAt > 200) {
      cached = snapshot();
      cachedAt = now;
    }
    return cached;
  };

  const counter = (name: string, help: string, read: (s: CollectorStatsSnapshot) => number) =>
    new Counter({
      name: METRIC_PREFIX + name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(current()));
      },
    });
  const gauge = (name: string, help: string, read: (s: CollectorStatsSnapshot) => number) =>
    new Gauge({
      name: METRIC_PREFIX + name,
      help,
      registers: [registry],
      collect() {
        this.set(read(current()));
      },
    });
  const perExporter = (name: string, help: string, read: (e: CollectorStatsSnapshot['exporters'][string]) => number) =>
    new Counter({
      name: METRIC_PREFIX + name,
      help,
      labelNames: ['exporter'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [exporter, e] of Object.entries(current().exporters)) this.inc({ exporter }, read(e));
      },
    });

  perExporter('datagrams_total', 'UDP datagrams received, per exporter address', (e) => e.datagrams);
  perExporter('datagram_bytes_total', 'UDP payload bytes received, per exporter address', (e) => e.bytes);
  perExporter('records_total', 'flow records decoded, per exporter address', (e) => e.records);
  perExporter('decode_errors_total', 'decode problems (all codes), per exporter address', (e) => e.errors);
  perExporter('template_misses_total', 'v9/IPFIX data sets that arrived before their template, per exporter address', (e) => e.template_misses);
  new Counter({
    name: `${METRIC_PREFIX}drops_total`,
    help: 'drops and counted problems by stable reason code: DECODE_* (decode problems), COLLECT_KERNEL_DROP/COLLECT_DECODE_BACKLOG/COLLECT_WORKER_CRASH/COLLECT_DATAGRAM_SPOOL_FULL/COLLECT_DATAGRAM_SPOOL_IO (datagrams), COLLECT_SPOOL_FULL/COLLECT_SPOOL_IO (flows), COLLECT_SPOOL_TORN/COLLECT_SPOOL_CORRUPT (spool records)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(current().drops)) this.inc({ reason }, n);
    },
  });
  counter('flows_received_total', 'flows handed over by the decode workers', (s) => s.records);
  counter('flows_stored_total', 'flows appended to the store directly', (s) => s.stored);
  counter('flows_spooled_total', 'flows written to the disk spool', (s) => s.spooled);
  counter('flows_replayed_total', 'flows moved from the disk spool to the store', (s) => s.replayed);
  counter('store_appends_total', 'store appends that succeeded', (s) => s.store.appends);
  counter('store_append_errors_total', 'store operations that failed (each sends the batch to the spool)', (s) => s.store.errors);
  counter('store_append_seconds_total', 'time spent in store appends', (s) => s.store.append_seconds);
  gauge('store_up', '1 while the store takes appends, 0 while flows go to the spool', (s) => (s.store.up ? 1 : 0));
  gauge('store_queue_batches', 'batches waiting for the store', (s) => s.store.queued_batches);
  gauge('spool_bytes', 'bytes in the disk spool', (s) => s.spool.bytes);
  gauge('spool_segments', 'segment files in the disk spool', (s) => s.spool.segments);
  counter('datagrams_spooled_total', 'datagrams written to the datagram spool because their decode worker was behind', (s) => s.datagram_spool?.datagrams ?? 0);
  counter('datagrams_spool_replayed_total', 'datagrams read back from the datagram spool to the decode workers', (s) => s.datagram_spool?.replayed ?? 0);
  gauge('datagram_spool_bytes', 'bytes in the datagram spool', (s) => s.datagram_spool?.bytes ?? 0);
  gauge('templates', 'v9/IPFIX templates held', (s) => s.templates);
  gauge('pending_sets', 'data sets waiting for their template', (s) => s.pending_sets);
  new Gauge({
    name: `${METRIC_PREFIX}socket_receive_buffer_bytes`,
    help: 'SO_RCVBUF granted by the kernel, per listener',
    labelNames: ['listener'],
    registers: [registry],
    collect() {
      this.reset();
      for (const l of current().listeners) this.set({ listener: l.url }, l.rcvbuf);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}socket_queue_bytes`,
    help: 'bytes waiting in the kernel receive queue, per listener',
    labelNames: ['listener'],
    registers: [registry],
    collect() {
      this.reset();
      for (const l of current().listeners) this.set({ listener: l.url }, l.queued_bytes);
    },
  });
  // The process's own: resident memory (all threads: receiver, decode workers, DuckDB), CPU
  // seconds, heap, GC and event-loop lag; named as `vantage serve` names them.
  collectDefaultMetrics({ register: registry, prefix: 'vantage_' });
  return registry;
}
