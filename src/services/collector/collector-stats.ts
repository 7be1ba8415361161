// The collector's counters in one JSON-ready snapshot: what `--stats` prints and what the
// Prometheus metrics are read from.

import type { DecodeCounters } from './decode-engine.js';
import type { FlowWriterCounters } from './flow-writer.js';
import type { ReceiveCounters } from './worker-messages.js';

/** Counters of one exporter. */
export interface ExporterStats {
  datagrams: number;
  bytes: number;
  records: number;
  errors: number;
  template_misses: number;
}

/** One listener's socket. */
export interface ListenerStats {
  readonly url: string;
  readonly port: number;
  /** SO_RCVBUF granted (usable bytes). */
  readonly rcvbuf: number;
  /** Bytes waiting in the kernel queue now, and datagrams the kernel dropped since start. */
  readonly queued_bytes: number;
  readonly kernel_drops: number;
}

/** Everything the collector counts, at one moment. Counts are since this process started. */
export interface CollectorStatsSnapshot {
  readonly ts: string;
  readonly uptime_s: number;
  /** Datagrams and payload bytes received by the listeners. */
  readonly datagrams: number;
  readonly bytes: number;
  /** Datagrams decoded and flow records they yielded. */
  readonly decoded_datagrams: number;
  readonly records: number;
  /** Flows appended to the store directly, written to the spool, and moved from spool to store. */
  readonly stored: number;
  readonly spooled: number;
  readonly replayed: number;
  /** stored + spooled: flows this run has made durable (in the store, or in the spool for replay). */
  readonly acknowledged: number;
  readonly template_misses: number;
  readonly templates: number;
  readonly pending_sets: number;
  /** Drops and counted problems by stable code (DECODE_* from the decoders, COLLECT_* from the collector). */
  readonly drops: Record<string, number>;
  readonly store: { readonly up: boolean; readonly appends: number; readonly errors: number; readonly append_seconds: number; readonly queued_batches: number };
  readonly spool: { readonly bytes: number; readonly segments: number };
  /**
   * Datagrams written to the datagram spool (their decode worker was behind) and read back to
   * the workers since start; what the spool holds (absent with --workers 0).
   */
  readonly datagram_spool?: { readonly datagrams: number; readonly replayed: number; readonly bytes: number; readonly segments: number };
  readonly listeners: readonly ListenerStats[];
  readonly exporters: Record<string, ExporterStats>;
}

/** What the snapshot is built from. */
export interface StatsInputs {
  readonly startedAt: number;
  readonly receive: ReceiveCounters;
  readonly decoders: readonly DecodeCounters[];
  readonly writer: FlowWriterCounters;
  readonly storeUp: boolean;
  readonly queuedBatches: number;
  readonly spoolBytes: number;
  readonly spoolSegments: number;
}

/** Sums the parts into one snapshot. */
export function buildStatsSnapshot(inputs: StatsInputs, now = Date.now()): CollectorStatsSnapshot {
  const { receive } = inputs;
  const drops: Record<string, number> = { ...receive.drops };
  const add = (code: string, n: number) => {
    if (n > 0) drops[code] = (drops[code] ?? 0) + n;
  };
  const exporters: Record<string, ExporterStats> = {};
  const exporter = (key: string) => (exporters[key] ??= { datagrams: 0, bytes: 0, records: 0, errors: 0, template_misses: 0 });
  for (const [key, r] of Object.entries(receive.exporters)) {
    const e = exporter(key);
    e.datagrams += r.datagrams;
    e.bytes += r.bytes;
  }
  let decoded = 0;
  let records = 0;
  let misses = 0;
  let templates = 0;
  let pending = 0;
  for (const d of inputs.decoders) {
    decoded += d.datagrams;
    records += d.records;
    misses += d.templateMisses;
    templates += d.templatesHeld;
    pending += d.pendingSets;
    for (const [code, n] of Object.entries(d.errors)) add(code, n);
    for (const [key, c] of Object.entries(d.exporters)) {
      const e = exporter(key);
      e.records += c.records;
      e.errors += c.errors;
      e.template_misses += c.templateMisses;
    }
  }
  for (const [code, n] of Object.entries(inputs.writer.drops)) add(code, n ?? 0);
  const w = inputs.writer;
  const ds = receive.datagramSpool;
  return {
    ts: new Date(now).toISOString(),
    uptime_s: Math.round((now - inputs.startedAt) / 100) / 10,
    datagrams: receive.datagrams,
    bytes: receive.bytes,
    decoded_datagrams: decoded,
    records,
    stored: w.stored,
    spooled: w.spooled,
    replayed: w.replayed,
    acknowledged: w.stored + w.spooled,
    template_misses: misses,
    templates,
    pending_sets: pending,
    drops,
    store: { up: inputs.storeUp, appends: w.appends, errors: w.appendErrors, append_seconds: Math.round(w.appendSeconds * 1000) / 1000, queued_batches: inputs.queuedBatches },
    spool: { bytes: inputs.spoolBytes, segments: inputs.spoolSegments },
    ...(ds && { datagram_spool: { datagrams: ds.spooled, replayed: ds.replayed, bytes: ds.bytes, segments: ds.segments } }),
    listeners: receive.listeners,
    exporters,
  };
}
