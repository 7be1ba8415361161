// `vantage decode`: decodes captured flow exports (pcap, pcapng, raw .dat datagrams) in order,
// carrying template state across files, and prints one JSON object per flow record.

import { Command, Option } from 'commander';
import { openCaptureFile, type CaptureSource } from '../../collect/capture-file.js';
import { VantageError } from '../../core/errors.js';
import { parseIp, type Ip } from '../../core/ip.js';
import { decodeCapture } from '../../decode/decode-capture.js';
import { decodedFlowToJson } from '../../decode/decoded-flow.js';
import { createDecoderState, type DecoderOptions } from '../../decode/decoder-state.js';
import { UdpDatagramExtractor } from '../../decode/packet/udp-datagram-extractor.js';
import { malformedInputCount } from '../../decode/decode-errors.js';

/** Output formats of `vantage decode`. */
export const DECODE_FORMATS = ['jsonl'] as const;
export type DecodeFormat = (typeof DECODE_FORMATS)[number];

/** Error lines printed per file before the rest are only counted in the summary. */
export const MAX_ERROR_LINES_PER_FILE = 50;

/** What to decode and how. */
export interface DecodeOptions {
  readonly format: DecodeFormat;
  /** Exporter address for every datagram (raw .dat files carry none: 0.0.0.0 otherwise). */
  readonly exporter?: Ip;
  /** Only UDP datagrams from or to these ports. */
  readonly ports?: ReadonlySet<number>;
  readonly decoder?: DecoderOptions;
  readonly maxErrorLines?: number;
}

/** Where output goes: process streams in the CLI, buffers in tests. */
export interface DecodeIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Counts for a whole run. */
export interface DecodeSummary {
  files: number;
  datagrams: number;
  /** Datagrams by recognised protocol (5, 9, 10, sflow5, unknown). */
  byVersion: Record<string, number>;
  records: number;
  templates: number;
  optionsRecords: number;
  counterSamples: number;
  /** Data sets kept until their template arrived, and records decoded from them later. */
  deferred: number;
  replayed: number;
  /** Decode errors by code, plus capture-container problems by their codes. */
  errors: Record<string, number>;
  /** Frames that carried no UDP datagram (non-IP, non-UDP, cut by the snap length...). */
  skippedFrames: number;
}

const FLUSH_AT = 1 << 16;

/** Opens every file first, so that a typo or a foreign file fails before any output. */
function openAll(files: readonly string[]): CaptureSource[] {
  const sources: CaptureSource[] = [];
  try {
    for (const file of files) sources.push(openCaptureFile(file));
  } catch (err) {
    for (const s of sources) s.close();
    throw err;
  }
  return sources;
}

/**
 * Decodes `files` in order with one template state and writes records (JSON lines) to stdout,
 * problems and a summary to stderr. Throws VantageError (IMPORT_FILE / IMPORT_FORMAT) for a file
 * that cannot be read or is not a capture; bad datagrams are reported and counted, never thrown.
 */
export function decodeFiles(files: readonly string[], options: DecodeOptions, io: DecodeIo): DecodeSummary {
  const sources = openAll(files);
  const state = createDecoderState(options.decoder);
  const extractor = new UdpDatagramExtractor();
  const maxErrors = options.maxErrorLines ?? MAX_ERROR_LINES_PER_FILE;
  const summary: DecodeSummary = {
    files: sources.length,
    datagrams: 0,
    byVersion: {},
    records: 0,
    templates: 0,
    optionsRecords: 0,
    counterSamples: 0,
    deferred: 0,
    replayed: 0,
    errors: {},
    skippedFrames: 0,
  };
  let out = '';
  const flush = () => {
    if (out.length > 0) io.stdout.write(out);
    out = '';
  };
  try {
    for (const source of sources) {
      let errorLines = 0;
      let hidden = 0;
      const framesBefore = extractor.stats.frames;
      const datagramsBefore = extractor.stats.datagrams;
      for (const d of decodeCapture(source, state, { exporter: options.exporter, ports: options.ports, extractor })) {
        const r = d.result;
        summary.datagrams++;
        const version = r.version === null ? 'unknown' : String(r.version);
        summary.byVersion[version] = (summary.byVersion[version] ?? 0) + 1;
        summary.records += r.records.length;
        summary.templates += r.templates;
        summary.optionsRecords += r.optionsRecords;
        summary.counterSamples += r.counterSamples;
        summary.deferred += r.deferred;
        summary.replayed += r.replayed;
        for (const flow of r.records) {
          out += `${JSON.stringify(decodedFlowToJson(flow))}\n`;
          if (out.length >= FLUSH_AT) flush();
        }
        for (const e of r.errors) {
          summary.errors[e.code] = (summary.errors[e.code] ?? 0) + 1;
          if (errorLines < maxErrors) {
            errorLines++;
            const where = e.offset === undefined ? '' : ` offset ${e.offset}:`;
            const template = e.templateId === undefined ? '' : ` (template ${e.templateId})`;
            io.stderr.write(`vantage: ${source.name}: packet ${d.packetNumber}:${where} ${e.code}${template}\n`);
          } else {
            hidden++;
          }
        }
      }
      if (source.kind !== 'datagram') summary.skippedFrames += extractor.stats.frames - framesBefore - (extractor.stats.datagrams - datagramsBefore);
      for (const p of source.problems) {
        summary.errors[p.code] = (summary.errors[p.code] ?? 0) + 1;
        io.stderr.write(`vantage: ${source.name}: packet ${p.packetNumber}: offset ${p.offset}: ${p.code}: ${p.message}\n`);
      }
      if (hidden > 0) io.stderr.write(`vantage: ${source.name}: ${hidden} more decode errors not shown (counted in the summary)\n`);
    }
  } finally {
    flush();
    for (const s of sources) s.close();
  }
  io.stderr.write(`${summaryLine(summary)}\n`);
  return summary;
}

/** The one-line summary printed on stderr. */
export function summaryLine(s: DecodeSummary): string {
  const versions = Object.entries(s.byVersion)
    .map(([v, n]) => `${v === '10' ? 'ipfix' : v === 'sflow5' ? 'sflow5' : v === 'unknown' ? 'unknown' : `v${v}`} ${n}`)
    .join(', ');
  const errors = Object.entries(s.errors)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const parts = [
    `decoded ${s.files} file${s.files === 1 ? '' : 's'}: ${s.datagrams} datagrams${versions ? ` (${versions})` : ''}`,
    `${s.records} records`,
    `${s.templates} templates`,
    `${s.optionsRecords} options records`,
  ];
  if (s.counterSamples > 0) parts.push(`${s.counterSamples} counter samples`);
  if (s.deferred > 0) parts.push(`${s.deferred} sets waited for a template (${s.replayed} records decoded later)`);
  if (s.skippedFrames > 0) parts.push(`${s.skippedFrames} frames without a UDP datagram`);
  parts.push(`errors: ${errors || 'none'}`);
  return `vantage: ${parts.join('; ')}`;
}

interface CliOptions {
  format: DecodeFormat;
  exporter?: string;
  port?: string[];
  templateWait: string;
}

function parsePorts(values: readonly string[] | undefined): Set<number> | undefined {
  if (!values || values.length === 0) return undefined;
  const ports = new Set<number>();
  for (const v of values.flatMap((x) => x.split(','))) {
    const n = Number(v);
    if (!/^\d{1,5}$/.test(v) || n > 65535) throw new VantageError('USAGE', `--port: ${v} is not a UDP port`);
    ports.add(n);
  }
  return ports;
}

/** Adds `vantage decode` to the program. */
export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description('decode captured NetFlow v5/v9, IPFIX and sFlow v5 exports (pcap, pcapng, raw datagram files) to JSON lines')
    .argument('<files...>', 'capture files, decoded in order with one template state (templates first)')
    .addOption(new Option('--format <format>', 'output format').choices(DECODE_FORMATS).default('jsonl'))
    .option('--exporter <address>', 'exporter address to use for every datagram (raw .dat files have none)')
    .option('--port <ports...>', 'only UDP datagrams from or to these ports (default: every UDP datagram)')
    .option('--template-wait <seconds>', 'how long (capture time) data may wait for its template before it is dropped', '60')
    .action((files: string[], cli: CliOptions) => {
      let exporter: Ip | undefined;
      if (cli.exporter !== undefined) {
        exporter = parseIp(cli.exporter);
        if (exporter === undefined) throw new VantageError('USAGE', `--exporter: ${cli.exporter} is not an IP address`);
      }
      const wait = Number(cli.templateWait);
      if (!Number.isFinite(wait) || wait < 0) throw new VantageError('USAGE', `--template-wait: ${cli.templateWait} is not a number of seconds`);
      const decoder: DecoderOptions = { pendingMaxAgeMs: wait * 1000 };
      // `vantage decode ... | head`: a reader that has seen enough is not an error.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err;
        process.exit(0);
      });
      const summary = decodeFiles(files, { format: cli.format, exporter, ports: parsePorts(cli.port), decoder }, { stdout: process.stdout, stderr: process.stderr });
      const malformed = malformedInputCount(summary.errors);
      if (malformed > 0) throw new VantageError('IMPORT_RECORD', `${malformed} ${malformed === 1 ? 'problem' : 'problems'} of malformed input (listed above); the other ${summary.records} records were decoded`);
    });
}
