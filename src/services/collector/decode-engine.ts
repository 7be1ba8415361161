// The work of one decode worker: datagram batches in, encoded flow chunks out, with the template
// state of the exporters routed to it and counters of what it saw. Runs in a worker thread, or
// inline on the main thread when --workers 0.

import { forEachDatagram } from '../../collect/datagram-batch.js';
import { FlowChunkEncoder } from '../../collect/flow-codec.js';
import { formatIp, type Ip } from '../../core/ip.js';
import { decodeExportDatagram } from '../../decode/decode-export-datagram.js';
import { createDecoderState, restoreTemplates, snapshotTemplates, type DecoderOptions, type DecoderState, type TemplateSnapshot } from '../../decode/decoder-state.js';

/** Counters of one exporter, as one worker saw it. */
export interface ExporterDecodeCounters {
  datagrams: number;
  records: number;
  /** Decode problems, all codes together (the per-code split is global). */
  errors: number;
  templateMisses: number;
}

/** Cumulative counters of one decode worker. Plain data: posted to the main thread as is. */
export interface DecodeCounters {
  datagrams: number;
  records: number;
  /** Template and options-template records learned, and IPFIX withdrawals. */
  templates: number;
  withdrawn: number;
  optionsRecords: number;
  counterSamples: number;
  /** Data sets kept aside for a missing template, and records decoded from them later. */
  deferred: number;
  replayed: number;
  templateMisses: number;
  /** Decode problems by DECODE_* code. */
  errors: Record<string, number>;
  /** Per exporter address (text); beyond {@link MAX_EXPORTERS} they are summed under 'other'. */
  exporters: Record<string, ExporterDecodeCounters>;
  /** Templates currently held. */
  templatesHeld: number;
  pendingSets: number;
}

/** Distinct exporters counted separately; more would let spoofed sources blow up metric labels. */
export const MAX_EXPORTERS = 1000;

/** A new, zeroed counter set. */
export function newDecodeCounters(): DecodeCounters {
  return {
    datagrams: 0,
    records: 0,
    templates: 0,
    withdrawn: 0,
    optionsRecords: 0,
    counterSamples: 0,
    deferred: 0,
    replayed: 0,
    templateMisses: 0,
    errors: {},
    exporters: {},
    templatesHeld: 0,
    pendingSets: 0,
  };
}

/** Decoded records kept for reuse: more than a datagram's worth, so a datagram allocates none. */
const MAX_FREE_RECORDS = 1024;

/** A chunk of encoded flows ready to hand over. */
export interface EncodedFlows {
  readonly bytes: Uint8Array;
  readonly flows: number;
  /** Flows with an IPv6 address (see FlowChunkEncoder.ipv6Count). */
  readonly ipv6: number;
}

/** Decoding for one worker. Not thread-aware: the worker entry or the inline lane drives it. */
export class DecodeEngine {
  readonly state: DecoderState;
  readonly counters = newDecodeCounters();
  private readonly encoder = new FlowChunkEncoder(1 << 18);
  private readonly exporterCounters = new Map<Ip, ExporterDecodeCounters>();
  private exporterCount = 0;
  /** Set when templates changed since the last snapshot: the main thread then saves them. */
  templatesChanged = false;

  /**
   * `onChunk` receives the encoded flows each time `chunkFlows` of them are ready (the caller
   * also takes the rest on a timer with {@link takeFlows}).
   */
  constructor(
    options: DecoderOptions = {},
    private readonly chunkFlows = Infinity,
    private readonly onChunk: (chunk: EncodedFlows) => void = () => {},
  ) {
    this.state = createDecoderState(options);
  }

  private exporterOf(exporter: Ip): ExporterDecodeCounters {
    let c = this.exporterCounters.get(exporter);
    if (c) return c;
    const key = this.exporterCount < MAX_EXPORTERS ? formatIp(exporter) : 'other';
    if (key !== 'other') this.exporterCount++;
    c = this.counters.exporters[key] ??= { datagrams: 0, records: 0, errors: 0, templateMisses: 0 };
    this.exporterCounters.set(exporter, c);
    return c;
  }

  /** Decodes every datagram of a batch (see datagram-batch), encoding the flows. */
  decodeBatch(buffer: ArrayBuffer, length: number): void {
    forEachDatagram(buffer, length, (payload, exporter, receivedAt) => this.decodeDatagram(payload, exporter, receivedAt));
  }

  /** Decodes one datagram. */
  decodeDatagram(payload: Uint8Array, exporter: Ip, receivedAt: number): void {
    const c = this.counters;
    const e = this.exporterOf(exporter);
    const result = decodeExportDatagram(payload, exporter, receivedAt, this.state);
    c.datagrams++;
    e.datagrams++;
    const records = result.records;
    // Counters first: a chunk handed over below carries them, and they must cover its flows.
    c.records += records.length;
    e.records += records.length;
    if (result.templates > 0 || result.withdrawn > 0) {
      c.templates += result.templates;
      c.withdrawn += result.withdrawn;
      this.templatesChanged = true;
    }
    c.templatesHeld = this.state.templateCount;
    c.pendingSets = this.state.pendingSets;
    c.optionsRecords += result.optionsRecords;
    c.counterSamples += result.counterSamples;
    c.deferred += result.deferred;
    c.replayed += result.replayed;
    const errors = result.errors;
    if (errors.length > 0) {
      e.errors += errors.length;
      for (const err of errors) {
        c.errors[err.code] = (c.errors[err.code] ?? 0) + 1;
        if (err.code === 'DECODE_V9_TEMPLATE_MISSING' || err.code === 'DECODE_IPFIX_TEMPLATE_MISSING') {
          c.templateMisses++;
          e.templateMisses++;
        }
      }
    }
    // Encoded, the records are handed back to the decoders for reuse (the free list stays small).
    const free = this.state.freeRecords;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      this.encoder.add(record);
      if (free.length < MAX_FREE_RECORDS) free.push(record);
      if (this.encoder.count >= this.chunkFlows) this.onChunk(this.takeFlows()!);
    }
  }

  /** Flows encoded so far and not yet taken. */
  get bufferedFlows(): number {
    return this.encoder.count;
  }

  /** The encoded flows so far, or undefined when there are none. */
  takeFlows(): EncodedFlows | undefined {
    const flows = this.encoder.count;
    if (flows === 0) return undefined;
    const ipv6 = this.encoder.ipv6Count;
    return { bytes: this.encoder.finish(), flows, ipv6 };
  }

  /** Gives back the buffers of chunks handed over before, for reuse (see FlowChunkEncoder.recycle). */
  recycle(buffers: readonly ArrayBuffer[]): void {
    for (const buffer of buffers) this.encoder.recycle(buffer);
  }

  /** Loads persisted templates (those of exporters routed here). */
  restore(snapshots: readonly TemplateSnapshot[]): number {
    const n = restoreTemplates(this.state, snapshots);
    this.counters.templatesHeld = this.state.templateCount;
    return n;
  }

  /** The templates held, for persisting; clears the changed flag. */
  snapshot(): TemplateSnapshot[] {
    this.templatesChanged = false;
    return snapshotTemplates(this.state);
  }
}
