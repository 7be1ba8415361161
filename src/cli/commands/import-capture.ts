// `vantage import --format pcap|export-pcap`: packet captures turned into flows (5-tuple
// assembly with softflowd-like timeouts), the HTTP requests their TCP payloads carry, the TLS
// handshakes (client fingerprints, server sightings, certificates) and the ARP requests (which
// flows cannot hold), or captured NetFlow/IPFIX/sFlow datagrams decoded.

import { performance } from 'node:perf_hooks';
import { openCaptureFile, type CaptureSource } from '../../collect/capture-file.js';
import type { FlowRecord } from '../../core/columns.js';
import { VantageError } from '../../core/errors.js';
import { isStorableFlowTime } from '../../core/time.js';
import { decodeCapture } from '../../decode/decode-capture.js';
import { formatTime } from '../../decode/decoded-flow.js';
import { createDecoderState } from '../../decode/decoder-state.js';
import { FlowAssembler, type OctetCount } from '../../decode/flow-assembly/flow-assembler.js';
import { SOFTFLOWD_TIMEOUTS, type FlowTimeouts } from '../../decode/flow-assembly/flow-timeouts.js';
import { isSupportedLinkType } from '../../decode/packet/decode-packet.js';
import { UdpDatagramExtractor } from '../../decode/packet/udp-datagram-extractor.js';
import { HttpRequestExtractor } from '../../decode/http/http-request-extractor.js';
import { ArpRequestExtractor } from '../../decode/arp/arp-request-extractor.js';
import { TlsHandshakeExtractor } from '../../decode/tls/tls-handshake-extractor.js';
import { CertificateWriter, SightingWriter } from '../../store/certificate-tables.js';
import { asSideTableStore, type SideTableStore } from '../../store/side-table-rows.js';
import { TlsClientWriter } from '../../store/tls-client-table.js';
import { ArpRequestWriter, asArpRequestStore, type ArpRequestStore } from '../../store/arp-request-table.js';
import { asHttpRequestStore, HttpRequestWriter, type HttpRequestStore } from '../../store/http-request-table.js';
import { FlowBatchCutter } from '../../store/flow-batches.js';
import { PREFERRED_BATCH, type Store } from '../../store/store.js';

/** `--format` values read from captures rather than text logs. */
export const CAPTURE_FORMATS = ['pcap', 'export-pcap'] as const;
export type CaptureFormat = (typeof CAPTURE_FORMATS)[number];

/** True for a capture format. */
export function isCaptureFormat(format: string): format is CaptureFormat {
  return (CAPTURE_FORMATS as readonly string[]).includes(format);
}

/** How to import captures. */
export interface CaptureImportOptions {
  readonly format: CaptureFormat;
  /** Flows per store append. */
  readonly batch?: number;
  /** Stop (IMPORT_RECORD) at the first damaged part of a capture instead of importing what precedes it. */
  readonly strict?: boolean;
  /** pcap: flow expiry (default softflowd's). */
  readonly timeouts?: FlowTimeouts;
  /** pcap: what `bytes` counts (default the IP length). */
  readonly octets?: OctetCount;
  /** pcap: where HTTP requests read from TCP payloads go (default: the sink, when it is a store). */
  readonly httpStore?: HttpRequestStore;
  /** pcap: where ARP requests go, grouped per sender, target and minute (default: the sink when it is a store). */
  readonly arpStore?: ArpRequestStore;
  /**
   * pcap: where TLS clients (tls_clients), server sightings and certificates go (default: the
   * sink when it is a store, else the HTTP request store: side tables live in one store).
   */
  readonly tlsStore?: SideTableStore;
}

/** Counts for one capture. */
export interface CaptureFileSummary {
  readonly file: string;
  readonly format: CaptureFormat;
  readonly frames: number;
  /** pcap: IP packets accounted; export-pcap: UDP datagrams decoded as flow exports. */
  readonly packets: number;
  readonly flows: number;
  /** pcap: HTTP requests read from TCP payloads (stored in http_requests when there is a store). */
  readonly httpRequests?: number;
  /** pcap: ARP requests seen (stored grouped in arp_requests when there is a store). */
  readonly arpRequests?: number;
  /** pcap: TLS ClientHellos read (stored merged in tls_clients when there is a store). */
  readonly tlsClients?: number;
  /** pcap: TLS ServerHellos read (stored as certificate_sightings). */
  readonly tlsServers?: number;
  /** pcap: distinct certificates read from TLS <= 1.2 Certificate messages (stored in certificates). */
  readonly certificates?: number;
  /** Problems by code: capture damage (CAPTURE_*) and, for export-pcap, decode problems (DECODE_*). */
  readonly problems: Record<string, number>;
  readonly seconds: number;
  /** Why nothing in the file could be used, when nothing could (a damaged header, foreign frames, no export datagram). */
  readonly unusable?: string;
}

/** Where messages go. */
export interface CaptureImportIo {
  readonly stderr: { write(text: string): unknown };
}

/** Opens every file before anything is written: a missing or foreign file fails the import up front. */
export function planCaptureImport(files: readonly string[], options: CaptureImportOptions): void {
  for (const file of files) {
    if (file === '-') throw new VantageError('USAGE', `--format ${options.format} reads files, not stdin`);
    const source = openCaptureFile(file);
    try {
      if (options.format === 'pcap' && source.kind === 'datagram') {
        throw new VantageError('IMPORT_FORMAT', 'a raw flow-export datagram, not a packet capture: use --format export-pcap', { file });
      }
    } finally {
      source.close();
    }
  }
}

/** Problem lines printed per file; the rest are counted in the summary, as text imports do. */
const MAX_PROBLEM_LINES = 20;

/** Prints a file's problems up to MAX_PROBLEM_LINES, then how many more there were. */
class ProblemReport {
  private shown = 0;
  private hidden = 0;

  constructor(
    private readonly file: string,
    private readonly io: CaptureImportIo,
  ) {}

  add(location: string, message: string, code: string): void {
    if (this.shown >= MAX_PROBLEM_LINES) {
      this.hidden++;
      return;
    }
    this.shown++;
    this.io.stderr.write(`${this.file}: ${location}: ${message} [${code}]\n`);
  }

  end(): void {
    if (this.hidden > 0) this.io.stderr.write(`${this.file}: ${this.hidden} more problems not shown (counted in the summary)\n`);
  }
}

/** Where a container problem is: the packet and its offset in the file. */
function inFile(packetNumber: number, fileOffset: number): string {
  return `packet ${packetNumber} (offset ${fileOffset})`;
}

/** Where a decode problem is: the packet and the offset inside its datagram, as `vantage decode` says it. */
function inDatagram(packetNumber: number, offset: number | undefined): string {
  return offset === undefined ? `packet ${packetNumber}` : `packet ${packetNumber}: offset ${offset} of the datagram`;
}

function noteProblems(source: CaptureSource, problems: Record<string, number>, options: CaptureImportOptions, report: ProblemReport): void {
  for (const p of source.problems) {
    if (options.strict) throw new VantageError('IMPORT_RECORD', `${inFile(p.packetNumber, p.offset)}: ${p.message} [${p.code}]`, { file: source.name });
    problems[p.code] = (problems[p.code] ?? 0) + 1;
    report.add(inFile(p.packetNumber, p.offset), p.message, p.code);
  }
}

async function importPcap(sink: Pick<Store, 'appendFlows'>, file: string, options: CaptureImportOptions, io: CaptureImportIo): Promise<CaptureFileSummary> {
  const started = performance.now();
  const batches = new FlowBatchCutter(options.batch ?? PREFERRED_BATCH);
  const source = openCaptureFile(file);
  const assembler = new FlowAssembler({ timeouts: options.timeouts ?? SOFTFLOWD_TIMEOUTS, octets: options.octets });
  const http = new HttpRequestExtractor();
  const httpStore = options.httpStore ?? asHttpRequestStore(sink);
  const httpWriter = httpStore ? new HttpRequestWriter(httpStore) : undefined;
  const arp = new ArpRequestExtractor();
  const arpStore = options.arpStore ?? asArpRequestStore(sink);
  const arpWriter = arpStore ? new ArpRequestWriter(arpStore) : undefined;
  const tls = new TlsHandshakeExtractor();
  const tlsStore = options.tlsStore ?? asSideTableStore(sink) ?? options.httpStore;
  const tlsWriters = tlsStore ? { clients: new TlsClientWriter(tlsStore), sightings: new SightingWriter(tlsStore), certificates: new CertificateWriter(tlsStore) } : undefined;
  const certificateRefs = new Set<string>();
  const takeTls = async () => {
    const out = tls.takeOutput();
    for (const c of out.certificates) certificateRefs.add(c.ref);
    if (!tlsWriters) return;
    await tlsWriters.clients.add(out.clients);
    await tlsWriters.sightings.add(out.sightings);
    await tlsWriters.certificates.add(out.certificates);
  };
  let flows = 0;
  const problems: Record<string, number> = {};
  const report = new ProblemReport(file, io);
  const foreignLinks = new Set<number>();
  try {
    for (const frame of source.frames()) {
      if (!isStorableFlowTime(frame.timestamp)) {
        // A wrong capture clock: its flows could not be stored alike on both backends.
        const where = inFile(frame.packetNumber, frame.fileOffset);
        const message = `capture time ${formatTime(frame.timestamp) ?? `${frame.timestamp} ms`} is outside 1970-2099: packet skipped`;
        if (options.strict) throw new VantageError('IMPORT_RECORD', `${where}: ${message} [CAPTURE_BAD_TIME]`, { file });
        problems.CAPTURE_BAD_TIME = (problems.CAPTURE_BAD_TIME ?? 0) + 1;
        report.add(where, message, 'CAPTURE_BAD_TIME');
        continue;
      }
      if (!isSupportedLinkType(frame.linkType)) foreignLinks.add(frame.linkType);
      assembler.addFrame(frame);
      http.addFrame(frame);
      arp.addFrame(frame);
      tls.addFrame(frame);
      for (let full; (full = batches.take(assembler.output)); ) {
        await sink.appendFlows(full);
        flows += full.length;
      }
      if (http.output.length >= 1000) await httpWriter?.add(http.takeOutput());
      if (arp.output.length >= 1000) await arpWriter?.add(arp.takeOutput());
      if (tls.pending >= 1000) await takeTls();
    }
    noteProblems(source, problems, options, report);
    report.end();
    assembler.flush();
    const out = assembler.takeOutput();
    if (out.length > 0) await sink.appendFlows(out);
    flows += out.length;
    http.flush();
    await httpWriter?.add(http.takeOutput());
    await httpWriter?.flush();
    arp.flush();
    await arpWriter?.add(arp.takeOutput());
    await arpWriter?.flush();
    tls.flush();
    await takeTls();
    await tlsWriters?.clients.flush();
    await tlsWriters?.sightings.flush();
    await tlsWriters?.certificates.flush();
  } finally {
    source.close();
  }
  const s = assembler.stats;
  if (s.unsupportedLink > 0) problems.CAPTURE_LINK_TYPE = s.unsupportedLink;
  for (const [code, n] of Object.entries(arp.stats.problems)) problems[code] = n;
  for (const [code, n] of Object.entries(tls.stats.problems)) problems[code] = n;
  const t = tls.stats;
  const seconds = (performance.now() - started) / 1000;
  io.stderr.write(
    `imported ${flows} flows from ${file}: ${s.packets} IP packets in ${s.frames} frames` +
      (s.notIp > 0 ? `, ${s.notIp} not IP` : '') +
      (s.unsupportedLink > 0 ? `, ${s.unsupportedLink} of an unsupported link type (${[...foreignLinks].join(', ')})` : '') +
      (s.fragments > 0 ? `, ${s.fragments} fragments` : '') +
      (http.stats.requests > 0 ? `, ${http.stats.requests} HTTP requests` : '') +
      (arp.stats.requests > 0 ? `, ${arp.stats.requests} ARP requests` : '') +
      (t.clientHellos > 0 ? `, ${t.clientHellos} TLS clients` : '') +
      (t.serverHellos > 0 ? `, ${t.serverHellos} TLS servers` : '') +
      (certificateRefs.size > 0 ? `, ${certificateRefs.size} certificates` : '') +
      ` (${seconds.toFixed(1)} s)\n`,
  );
  const unusable =
    s.frames === 0 && source.problems.length > 0
      ? `no packet could be read: ${source.problems[0]!.message}`
      : s.frames > 0 && s.unsupportedLink === s.frames
        ? `no packet of a supported link type (link type ${[...foreignLinks].join(', ')})`
        : undefined;
  return { file, format: 'pcap', frames: s.frames, packets: s.packets, flows, unusable, httpRequests: http.stats.requests,
    arpRequests: arp.stats.requests,
    tlsClients: t.clientHellos,
    tlsServers: t.serverHellos,
    certificates: certificateRefs.size,
    problems,
    seconds,
  };
}

async function importExportPcap(
  sink: Pick<Store, 'appendFlows'>,
  file: string,
  state: ReturnType<typeof createDecoderState>,
  options: CaptureImportOptions,
  io: CaptureImportIo,
): Promise<CaptureFileSummary> {
  const started = performance.now();
  const batches = new FlowBatchCutter(options.batch ?? PREFERRED_BATCH);
  const source = openCaptureFile(file);
  const extractor = new UdpDatagramExtractor();
  const problems: Record<string, number> = {};
  const out: FlowRecord[] = [];
  let flows = 0;
  let datagrams = 0;
  let foreign = 0;
  const report = new ProblemReport(file, io);
  try {
    for (const d of decodeCapture(source, state, { extractor })) {
      const { result } = d;
      if (result.version === null) foreign++;
      else datagrams++;
      for (const err of result.errors) {
        // Other UDP traffic in the capture is skipped and counted, not a problem.
        if (err.code === 'DECODE_BAD_VERSION') continue;
        const message =
          err.code === 'DECODE_BAD_TIME'
            ? 'flow record dropped: dated outside 1970-2099'
            : err.templateId === undefined
              ? 'datagram not decoded'
              : `datagram not decoded (template ${err.templateId})`;
        if (options.strict) throw new VantageError('IMPORT_RECORD', `${inDatagram(d.packetNumber, err.offset)}: ${message} [${err.code}]`, { file });
        problems[err.code] = (problems[err.code] ?? 0) + 1;
        report.add(inDatagram(d.packetNumber, err.offset), message, err.code);
      }
      for (const r of result.records) out.push(r);
      for (let full; (full = batches.take(out)); ) {
        await sink.appendFlows(full);
        flows += full.length;
      }
    }
    noteProblems(source, problems, options, report);
    report.end();
    if (out.length > 0) await sink.appendFlows(out);
    flows += out.length;
  } finally {
    source.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const listed = Object.entries(problems).map(([code, n]) => `${code}=${n}`);
  io.stderr.write(
    `imported ${flows} flows from ${file}: ${datagrams} flow-export datagrams` +
      (foreign > 0 ? `, ${foreign} other UDP datagrams skipped` : '') +
      (listed.length > 0 ? `; problems: ${listed.join(' ')}` : '') +
      ` (${seconds.toFixed(1)} s)\n`,
  );
  const frames = source.kind === 'datagram' ? 1 : extractor.stats.frames;
  const unusable =
    frames === 0 && source.problems.length > 0
      ? `no packet could be read: ${source.problems[0]!.message}`
      : datagrams === 0 && frames > 0
        ? `no NetFlow, IPFIX or sFlow datagram in ${frames} frames${foreign > 0 ? ` (${foreign} other UDP datagrams)` : ''}: a packet capture is imported with --format pcap`
        : undefined;
  return { file, format: 'export-pcap', frames: extractor.stats.frames, packets: datagrams, flows, problems, seconds, unusable };
}

/**
 * Imports captures in order. pcap: each file is assembled into flows on its own (flows open at
 * its end are exported). export-pcap: template state carries across files, as for one stream.
 */
export async function importCaptureFiles(
  sink: Pick<Store, 'appendFlows'>,
  files: readonly string[],
  options: CaptureImportOptions,
  io: CaptureImportIo = { stderr: process.stderr },
): Promise<{ files: CaptureFileSummary[]; flows: number }> {
  const summaries: CaptureFileSummary[] = [];
  const state = createDecoderState();
  for (const file of files) {
    summaries.push(options.format === 'pcap' ? await importPcap(sink, file, options, io) : await importExportPcap(sink, file, state, options, io));
  }
  const flows = summaries.reduce((n, s) => n + s.flows, 0);
  if (summaries.length > 1) io.stderr.write(`imported ${flows} flows from ${summaries.length} files\n`);
  // Every file was read (nothing else is lost), but one that gave nothing usable fails the import.
  const unusable = summaries.flatMap((s) => (s.unusable ? [`${s.file}: ${s.unusable}`] : []));
  if (unusable.length > 0) throw new VantageError('IMPORT_FORMAT', unusable.join('; '));
  return { files: summaries, flows };
}
