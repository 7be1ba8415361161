// `vantage import`: reads flow logs (nfdump CSV/JSON, Zeek conn.log TSV/JSON, CSV, JSON lines)
// into the store in batches, reporting bad lines by file and line without losing the good ones.
// A Zeek http.log (TSV or JSON, told apart before the flow formats) fills http_requests instead;
// a Zeek dns.log or passive-DNS COF JSON lines fill passive_dns; nmap XML and masscan JSON fill
// services.

import { Command, Option } from 'commander';
import { performance } from 'node:perf_hooks';
import { checkReadable, MAX_LINE_CHARS, readHeadLines, readLineBatches, STDIN_NAME, TruncatedInputError, type LineBatch } from '../../collect/line-reader.js';
import type { FlowRecord } from '../../core/columns.js';
import { VantageError } from '../../core/errors.js';
import { wholeNumberFlag } from '../flag-values.js';
import { malformedInputCount } from '../../decode/decode-errors.js';
import { parseMapSpec, type ColumnOverrides } from '../../decode/logs/column-mapping.js';
import { createLogParser, isMappedFormat } from '../../decode/logs/create-log-parser.js';
import { detectFormat } from '../../decode/logs/detect-format.js';
import { LOG_FORMATS, longLineProblem, resultList, type LineProblem, type LineResults, type LogFormat } from '../../decode/logs/log-parser.js';
import type { HttpRequest } from '../../decode/http/http-request.js';
import { detectZeekHttp, ZEEK_HTTP_FORMAT, ZeekHttpParser, type ZeekHttpLayout } from '../../decode/http/zeek-http-parser.js';
import { asHttpRequestStore, HttpRequestWriter, type HttpRequestStore } from '../../store/http-request-table.js';
import { createPassiveDnsParser, detectPassiveDns, type PassiveDnsFormat, type PassiveDnsInput } from '../../decode/dns/passive-dns-input.js';
import type { PassiveDnsObservation } from '../../decode/dns/passive-dns-observation.js';
import { PassiveDnsWriter } from '../../store/passive-dns-table.js';
import { createServiceParser, detectServiceInput, type ServiceFormat, type ServiceInput } from '../../decode/services/service-input.js';
import type { ServiceObservation } from '../../decode/services/service-observation.js';
import { ServicesWriter } from '../../store/services-table.js';
import { detectZeekTls, TlsFileImport, tlsSummaryWords, type ZeekTlsFormat, type ZeekTlsInput } from './import-tls.js';
import { asSideTableStore, type SideTableStore } from '../../store/side-table-rows.js';
import { isNfcapdInput, nfcapdLineBatches } from '../../decode/logs/nfcapd-input.js';
import { FlowBatchCutter } from '../../store/flow-batches.js';
import { PREFERRED_BATCH, type Store } from '../../store/store.js';
import { createEnricher } from '../../enrich/create-enricher.js';
import { enrichingSink } from '../../enrich/enricher.js';
import { withStore } from '../context.js';
import { CAPTURE_FORMATS, importCaptureFiles, isCaptureFormat, planCaptureImport, type CaptureFormat } from './import-capture.js';
import { parseFlowTimeouts } from '../../decode/flow-assembly/flow-timeouts.js';
import { toJson } from '../output.js';

/** `--format` values: a log format or `auto` (told from the first lines). */
export const IMPORT_FORMATS = ['auto', ...LOG_FORMATS] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Default records per `appendFlows` call: large enough for fast appends, small enough for memory. */
export const DEFAULT_BATCH = PREFERRED_BATCH;
/** Bad-line messages printed per file before the rest are only counted. */
export const MAX_MESSAGES_PER_FILE = 20;

/** What to import and how. */
export interface ImportOptions {
  readonly format: ImportFormat;
  /** Stop at the first bad line with an `IMPORT_RECORD` error. */
  readonly strict?: boolean;
  /** `--map` column choices for csv and jsonl. */
  readonly overrides?: ColumnOverrides;
  /** Flows per store append. */
  readonly batch?: number;
  readonly maxMessages?: number;
  /**
   * Declared 1-in-N sampling of the input (`--sampling`): records without a rate of their own
   * get `sampling` = N and their packets and bytes scaled by N, as decoders scale sampled exports.
   */
  readonly sampling?: number;
  /** Applied to each batch before it is appended (ASN/geo/intelligence enrichment at ingest). */
  readonly enrich?: (records: FlowRecord[]) => void;
  /** Where requests of Zeek http.log files go (default: the sink, when it is a store). */
  readonly httpStore?: HttpRequestStore;
  /** Where observations of Zeek dns.log and COF files go (default: the sink, when it is a store). */
  readonly dnsStore?: SideTableStore;
  /** Where observations of nmap XML and masscan JSON files go (default: the sink, when it is a store). */
  readonly servicesStore?: SideTableStore;
}

/**
 * Gives records without a sampling rate the declared one, scaling their packets and bytes to
 * estimated totals (the column table's rule). Records that carry a rate keep it and their counts:
 * the exporter or nfcapd has applied it already.
 */
export function declareSampling(records: FlowRecord[], rate: number): void {
  for (const r of records) {
    if (r.sampling !== undefined && r.sampling !== null) continue;
    r.sampling = rate;
    r.packets *= rate;
    r.bytes *= rate;
  }
}

/** Where messages go: stderr in the CLI, a buffer in tests. */
export interface ImportIo {
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  /** Gets the totals once every file was read, also when a damaged file then fails the import. */
  readonly summary?: (summary: ImportSummary) => void;
}

/** One file ready to import: its format, when known before reading (not for stdin). */
export interface ImportPlan {
  readonly file: string;
  readonly format?: LogFormat;
  /** Set for a Zeek http.log: its layout (read into http_requests, not flows). */
  readonly http?: ZeekHttpLayout;
  /** Set for a Zeek dns.log or COF file (read into passive_dns, not flows). */
  readonly dns?: PassiveDnsInput;
  /** Set for an nmap XML or masscan JSON file (read into services, not flows). */
  readonly services?: ServiceInput;
  /** Set for a Zeek x509.log or ssl.log (read into certificates / certificate_sightings, not flows). */
  readonly tls?: ZeekTlsInput;
}

/** Counts for one file. `read` input records = `imported` + `rejected`; `flows` written (a Zeek row is up to two). */
export interface FileSummary {
  readonly file: string;
  readonly format: LogFormat | typeof ZEEK_HTTP_FORMAT | PassiveDnsFormat | ServiceFormat | ZeekTlsFormat;
  readonly read: number;
  readonly imported: number;
  readonly rejected: number;
  readonly flows: number;
  /** Zeek http.log: HTTP requests read (stored in http_requests when there is a store). */
  readonly requests?: number;
  /** Zeek dns.log or COF: passive-DNS observations found, and the distinct names they are for. */
  readonly observations?: number;
  readonly names?: number;
  /** nmap XML or masscan JSON: service observations found (an address's open port), and the distinct addresses. */
  readonly services?: number;
  readonly hosts?: number;
  /** Zeek x509.log: certificates read; ssl.log: TLS sightings read and the distinct servers (address, port). */
  readonly certificates?: number;
  readonly sightings?: number;
  readonly servers?: number;
  readonly seconds: number;
}

/** Counts for the whole import. */
export interface ImportSummary {
  readonly files: FileSummary[];
  readonly read: number;
  readonly imported: number;
  readonly rejected: number;
  readonly flows: number;
}

function displayName(file: string): string {
  return file === '-' ? STDIN_NAME : file;
}

/** Picks the format of a file from its first lines, or fails naming the file. */
function resolveFormat(file: string, head: readonly string[], requested: ImportFormat): LogFormat {
  if (head.some((l) => l.includes('\u0000'))) {
    throw new VantageError(
      'IMPORT_FORMAT',
      'binary data, not a text log (an nfcapd file? convert it with: nfdump -r FILE -o csv > FILE.csv; a packet capture? use --format pcap, or export-pcap for captured NetFlow/IPFIX/sFlow)',
      { file },
    );
  }
  if (requested !== 'auto') return requested;
  const format = detectFormat(head);
  if (!format) {
    const first = head.find((l) => l.trim() !== '') ?? '';
    throw new VantageError(
      'IMPORT_FORMAT',
      `cannot tell the format from the first lines ('${first.slice(0, 40)}'): give --format (${LOG_FORMATS.join(', ')})`,
      { file },
    );
  }
  return format;
}

/** True when the first lines hold nothing but blanks: there is no format to tell. */
function isEmpty(head: readonly string[]): boolean {
  return head.every((l) => l.trim() === '');
}

/**
 * The header problem a fresh parser finds in the first lines, if any; `whole` when they are the
 * whole file, so that what the parser says at its end counts too (a short file of other records).
 */
function headerProblem(
  parser: { parseLine(text: string, line: number, out: never[]): LineResults; finish(lastLine: number): LineProblem | undefined },
  head: readonly string[],
  whole: boolean,
): LineProblem | undefined {
  for (let i = 0; i < head.length; i++) {
    const problem = formatProblemIn(parser.parseLine(head[i]!, i + 1, []));
    if (problem) return problem;
  }
  return whole ? formatProblemIn(parser.finish(head.length)) : undefined;
}

function formatProblemIn(r: LineResults | undefined): LineProblem | undefined {
  for (const one of resultList(r ?? false)) if (typeof one === 'object' && one.code === 'IMPORT_FORMAT') return one;
  return undefined;
}

/** True when `head` (from `readHeadLines` with its defaults) holds the whole file. */
function isWholeFile(head: readonly string[]): boolean {
  return head.length < HEAD_LINES && head.reduce((n, l) => n + l.length, 0) < HEAD_CHARS;
}

/** What `readHeadLines` reads by default: the planning look at a file. */
const HEAD_LINES = 64;
const HEAD_CHARS = 256 * 1024;

function formatError(file: string, format: string, problem: LineProblem): VantageError {
  return new VantageError('IMPORT_FORMAT', `${problem.message} (read as ${format}; --format picks another)`, { file, line: problem.line });
}

/**
 * Checks every file before anything is written: readable, of a known format, with a header the
 * parser accepts. A missing file or an unknown header so fails the whole import up front.
 */
export async function planImport(files: readonly string[], options: ImportOptions, io: ImportIo): Promise<ImportPlan[]> {
  if (files.filter((f) => f === '-').length > 1) throw new VantageError('USAGE', "stdin ('-') can be imported once only");
  if (options.overrides && options.format !== 'auto' && !isMappedFormat(options.format)) {
    throw new VantageError('USAGE', `--map applies to csv and jsonl only; ${options.format} has fixed columns`);
  }
  const plans: ImportPlan[] = [];
  for (const file of files) {
    if (file === '-') {
      plans.push({ file, format: options.format === 'auto' ? undefined : options.format });
      continue;
    }
    await checkReadable(file);
    if (await isNfcapdInput(file, options.format)) {
      plans.push({ file, format: 'nfcapd' }); // binary: read through nfdump, no text head to check
      continue;
    }
    const head = await readHeadLines(file, HEAD_LINES, HEAD_CHARS);
    if (options.format === 'auto' && isEmpty(head)) {
      io.stderr.write(`vantage: ${file} is empty: skipped\n`);
      continue;
    }
    const http = options.format === 'auto' ? detectZeekHttp(head) : undefined;
    if (http) {
      plans.push({ file, http });
      continue;
    }
    const dns = options.format === 'auto' ? detectPassiveDns(head) : undefined;
    if (dns) {
      plans.push({ file, dns });
      continue;
    }
    const tls = options.format === 'auto' ? detectZeekTls(head) : undefined;
    if (tls) {
      plans.push({ file, tls });
      continue;
    }
    const services = options.format === 'auto' ? detectServiceInput(head) : undefined;
    if (services) {
      // A file that only looks like a scan (`<nmaprun` in garbage) is refused before any write.
      const problem = headerProblem(createServiceParser(services), head, isWholeFile(head));
      if (problem) throw formatError(file, services, problem);
      plans.push({ file, services });
      continue;
    }
    const format = resolveFormat(file, head, options.format);
    if (options.overrides && !isMappedFormat(format)) {
      io.stderr.write(`vantage: --map ignored for ${file}: ${format} has fixed columns\n`);
    }
    const problem = headerProblem(createLogParser(format, { overrides: options.overrides }), head, isWholeFile(head));
    if (problem) throw formatError(file, format, problem);
    plans.push({ file, format });
  }
  return plans;
}

/** A throttled progress line for terminals: records and rate, a few times a second at most. */
class Progress {
  private last = 0;
  private shown = false;

  constructor(
    private readonly io: ImportIo,
    private readonly name: string,
    private readonly started: number,
  ) {}

  update(records: number): void {
    if (!this.io.stderr.isTTY) return;
    const now = performance.now();
    if (now - this.last < 250) return;
    this.last = now;
    const rate = records / Math.max((now - this.started) / 1000, 1e-3);
    this.io.stderr.write(`\r\x1b[Kimporting ${this.name}: ${records.toLocaleString('en-US')} records (${Math.round(rate).toLocaleString('en-US')}/s)`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.io.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

async function* chain(first: readonly LineBatch[], rest: AsyncIterator<LineBatch>): AsyncGenerator<LineBatch> {
  yield* first;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

/**
 * What the import feeds lines to: a flow log parser, or an adapter over a side-table parser.
 * Parsers whose records span lines may return several results for a line, and say what a
 * skipped (too long) line costs their open record (`skipLine`); for the others it is rejected.
 */
interface LineParser {
  readonly format: FileSummary['format'];
  parseLine(text: string, line: number, out: FlowRecord[]): LineResults;
  finish(lastLine: number): LineProblem | undefined;
  skipLine?(problem: LineProblem): LineResults;
}

/** One file's counts, and the damage that cut its reading short, reported after its summary. */
interface FileOutcome {
  readonly summary: FileSummary;
  readonly damage?: TruncatedInputError;
}

/** Imports one planned file into the sink; returns its counts (undefined for empty stdin). */
async function importOne(
  sink: Pick<Store, 'appendFlows'>,
  plan: ImportPlan,
  options: ImportOptions,
  io: ImportIo,
): Promise<FileOutcome | undefined> {
  const name = displayName(plan.file);
  const started = performance.now();
  const batchSize = options.batch ?? DEFAULT_BATCH;
  const maxMessages = options.maxMessages ?? MAX_MESSAGES_PER_FILE;
  const batches = plan.format === 'nfcapd' ? nfcapdLineBatches(plan.file) : readLineBatches(plan.file);
  const iterator = batches[Symbol.asyncIterator]();
  const buffered: LineBatch[] = [];
  let format = plan.format;
  let http = plan.http;
  let dns = plan.dns;
  let services = plan.services;
  let tls = plan.tls;
  if (!format && !http && !dns && !services && !tls) {
    // stdin cannot be read twice: hold the first batches while the format is told.
    const head: string[] = [];
    while (head.length < 64) {
      const r = await iterator.next();
      if (r.done) break;
      buffered.push(r.value);
      head.push(...r.value.lines.slice(0, 64 - head.length));
    }
    if (isEmpty(head)) {
      io.stderr.write(`vantage: ${name} is empty: skipped\n`);
      return undefined;
    }
    http = options.format === 'auto' ? detectZeekHttp(head) : undefined;
    dns = options.format === 'auto' && !http ? detectPassiveDns(head) : undefined;
    services = options.format === 'auto' && !http && !dns ? detectServiceInput(head) : undefined;
    tls = options.format === 'auto' && !http && !dns && !services ? detectZeekTls(head) : undefined;
    if (!http && !dns && !services && !tls) format = resolveFormat(name, head, options.format);
  }
  // A Zeek http.log yields requests, kept aside and written to http_requests after each batch.
  const requests: HttpRequest[] = [];
  const httpStore = options.httpStore ?? asHttpRequestStore(sink);
  const httpWriter = http && httpStore ? new HttpRequestWriter(httpStore) : undefined;
  const httpParser = http ? new ZeekHttpParser(http) : undefined;
  // A passive-DNS file yields observations, written to passive_dns after each batch; the
  // sensor that saw them is the file, by its name.
  const observations: PassiveDnsObservation[] = [];
  const dnsStore = options.dnsStore ?? asSideTableStore(sink);
  const dnsWriter = dns && dnsStore ? new PassiveDnsWriter(dnsStore) : undefined;
  const dnsParser = dns ? createPassiveDnsParser(dns, name) : undefined;
  const names = new Set<string>();
  let observed = 0;
  // An nmap or masscan file yields services, written to services after each batch.
  const scanned: ServiceObservation[] = [];
  const servicesStore = options.servicesStore ?? asSideTableStore(sink);
  const servicesWriter = services && servicesStore ? new ServicesWriter(servicesStore) : undefined;
  const servicesParser = services ? createServiceParser(services) : undefined;
  const hosts = new Set<string>();
  let served = 0;
  // A Zeek x509.log or ssl.log yields certificates or sightings, written after each batch.
  const tlsImport = tls ? new TlsFileImport(tls, asSideTableStore(sink)) : undefined;
  const parser: LineParser = tlsImport
    ? { format: tlsImport.format, parseLine: (text, line) => tlsImport.parseLine(text, line), finish: (last) => tlsImport.finish(last) }
    : httpParser
    ? { format: httpParser.format, parseLine: (text, line) => httpParser.parseLine(text, line, requests), finish: (last) => httpParser.finish(last) }
    : dnsParser
      ? { format: dnsParser.format, parseLine: (text, line) => dnsParser.parseLine(text, line, observations), finish: (last) => dnsParser.finish(last) }
      : servicesParser
        ? { format: servicesParser.format, parseLine: (text, line) => servicesParser.parseLine(text, line, scanned), finish: (last) => servicesParser.finish(last), skipLine: (problem) => servicesParser.skipLine(problem) }
        : createLogParser(format!, { overrides: isMappedFormat(format!) ? options.overrides : undefined });
  const takeObservations = async (): Promise<void> => {
    if (observations.length === 0) return;
    const found = observations.splice(0);
    observed += found.length;
    for (const o of found) names.add(o.rrname);
    await dnsWriter?.add(found);
  };
  const takeServices = async (): Promise<void> => {
    if (scanned.length === 0) return;
    const taken = scanned.splice(0);
    served += taken.length;
    for (const o of taken) hosts.add(o.ip);
    await servicesWriter?.add(taken);
  };
  const progress = new Progress(io, name, started);
  const out: FlowRecord[] = [];
  const cutter = new FlowBatchCutter(batchSize);
  let read = 0;
  let rejected = 0;
  let flows = 0;
  let lastLine = 0;

  const append = async (records: FlowRecord[]): Promise<void> => {
    if (options.sampling !== undefined) declareSampling(records, options.sampling);
    options.enrich?.(records);
    await sink.appendFlows(records);
    flows += records.length;
  };

  const reject = (problem: LineProblem): void => {
    if (problem.code === 'IMPORT_FORMAT') throw formatError(name, parser.format, problem);
    if (options.strict) throw new VantageError('IMPORT_RECORD', problem.message, { file: name, line: problem.line });
    read++;
    rejected++;
    if (rejected <= maxMessages) {
      progress.clear();
      io.stderr.write(`${name}:${problem.line}: ${problem.message} [IMPORT_RECORD]\n`);
    }
  };

  /** Counts what a line gave: a record read, nothing, a problem, or several of these. */
  const take = (r: LineResults): void => {
    for (const one of resultList(r)) {
      if (one === true) read++;
      else if (one !== false) reject(one);
    }
  };

  let damage: TruncatedInputError | undefined;
  try {
    try {
      for await (const batch of chain(buffered, iterator)) {
        const { lines, firstLine, tooLong } = batch;
        let long = tooLong ? 0 : -1;
        for (let i = 0; i < lines.length; i++) {
          if (long >= 0 && tooLong![long] === i) {
            // Skipped unread by the reader: rejected by number, or folded into the open record.
            const problem = longLineProblem(firstLine + i, MAX_LINE_CHARS);
            take(parser.skipLine ? parser.skipLine(problem) : problem);
            long = long + 1 < tooLong!.length ? long + 1 : -1;
          } else {
            const r = parser.parseLine(lines[i]!, firstLine + i, out);
            if (r === true) read++;
            else if (r !== false) take(r);
          }
          // Every append is exactly --batch IPv4 flows (a row can yield two flows: the excess waits).
          const full = cutter.take(out);
          if (full) await append(full);
        }
        lastLine = firstLine + lines.length - 1;
        progress.update(read);
        if (requests.length > 0) await httpWriter?.add(requests.splice(0));
        await takeObservations();
        await takeServices();
        await tlsImport?.take();
      }
    } catch (err) {
      // Damaged gzip data ends the file where the damage starts: what was read before it is
      // kept, counted and summed up, and the damage reported after the summary.
      if (!(err instanceof TruncatedInputError) || options.strict) throw err;
      damage = err;
      lastLine = err.lastLine;
    }
    const end = parser.finish(lastLine);
    if (end) reject(end);
    if (out.length > 0) await append(out);
    await httpWriter?.add(requests.splice(0));
    await httpWriter?.flush();
    await takeObservations();
    await dnsWriter?.flush();
    await takeServices();
    await servicesWriter?.flush();
    await tlsImport?.flush();
  } finally {
    progress.clear();
    await iterator.return?.(undefined);
  }
  if (rejected > maxMessages) io.stderr.write(`${name}: ${rejected - maxMessages} more rejected lines not shown\n`);
  const seconds = (performance.now() - started) / 1000;
  const summary: FileSummary = { file: name, format: parser.format, read, imported: read - rejected, rejected, flows, ...(httpParser ? { requests: read - rejected } : {}), ...(dnsParser ? { observations: observed, names: names.size } : {}), ...(servicesParser ? { services: served, hosts: hosts.size } : {}), ...(tlsImport ? tlsImport.counts() : {}), seconds };
  return { summary, damage };
}

function summaryLine(s: { read: number; imported: number; rejected: number; flows: number; requests?: number; observations?: number; names?: number; services?: number; hosts?: number; certificates?: number; sightings?: number; servers?: number; seconds: number }, from: string): string {
  const asFlows =
    s.requests !== undefined
      ? ' as HTTP requests'
      : s.observations !== undefined
        ? ` as ${s.observations} passive-DNS observations${s.names !== undefined ? ` of ${s.names} names` : ''}`
        : s.services !== undefined
          ? ` as ${s.services} service observations${s.hosts !== undefined ? ` of ${s.hosts} hosts` : ''}`
          : s.flows !== s.imported
          ? ` as ${s.flows} flows`
          : '';
  const words = tlsSummaryWords(s) ?? asFlows;
  return `imported ${s.imported} of ${s.read} records${words} from ${from} (${s.rejected} rejected) in ${s.seconds.toFixed(1)} s\n`;
}

/**
 * Imports planned files in order, appending flows to the sink in batches, and prints one
 * summary line per file (and a total for several). Bad lines are reported and counted; with
 * `strict` the first one throws `IMPORT_RECORD` (batches already appended stay in the store).
 */
export async function runImport(
  sink: Pick<Store, 'appendFlows'>,
  plans: readonly ImportPlan[],
  options: ImportOptions,
  io: ImportIo,
): Promise<ImportSummary> {
  const started = performance.now();
  const files: FileSummary[] = [];
  const damaged: TruncatedInputError[] = [];
  for (const plan of plans) {
    const outcome = await importOne(sink, plan, options, io);
    if (!outcome) continue;
    const { summary, damage } = outcome;
    files.push(summary);
    io.stderr.write(summaryLine(summary, summary.file));
    // The other files are still imported; the damage makes the whole import fail at the end.
    if (damage) damaged.push(damage);
  }
  const total = {
    files,
    read: files.reduce((n, f) => n + f.read, 0),
    imported: files.reduce((n, f) => n + f.imported, 0),
    rejected: files.reduce((n, f) => n + f.rejected, 0),
    flows: files.reduce((n, f) => n + f.flows, 0),
  };
  // Passive-DNS files alone total their observations (names may repeat across files: not summed).
  const dnsOnly = files.length > 0 && files.every((f) => f.observations !== undefined);
  const observations = dnsOnly ? { observations: files.reduce((n, f) => n + f.observations!, 0) } : {};
  // Likewise scan files alone total their service observations.
  const servicesOnly = files.length > 0 && files.every((f) => f.services !== undefined);
  const services = servicesOnly ? { services: files.reduce((n, f) => n + f.services!, 0) } : {};
  if (files.length > 1) io.stderr.write(summaryLine({ ...total, ...observations, ...services, seconds: (performance.now() - started) / 1000 }, `${files.length} files`));
  io.summary?.(total);
  for (const damage of damaged.slice(0, -1)) io.stderr.write(`vantage: ${damage.location.file}: ${damage.message} [${damage.code}]\n`);
  if (damaged.length > 0) throw damaged[damaged.length - 1]!;
  return total;
}

/** Plans and runs an import into a sink (tests use a plain array sink; the CLI the store). */
export async function importFiles(
  sink: Pick<Store, 'appendFlows'>,
  files: readonly string[],
  options: ImportOptions,
  io: ImportIo = { stderr: process.stderr },
): Promise<ImportSummary> {
  return runImport(sink, await planImport(files, options, io), options, io);
}

interface CliOptions {
  format: ImportFormat | CaptureFormat;
  timeouts?: string;
  strict?: boolean;
  map?: string;
  batch: string;
  sampling?: string;
  json?: boolean;
  enrich: boolean;
  asnDb?: string;
  geoDb?: string;
}

function parseBatch(text: string): number {
  return wholeNumberFlag(text, '--batch');
}

/** `--sampling N`: a whole number from 1 (1 declares the records unsampled). */
export function parseSampling(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 1 || n > 0xffffffff) {
    throw new VantageError('USAGE', `--sampling must be a whole number from 1 (1 in N flows or packets), got '${text}'`);
  }
  return n;
}

/** Registers `vantage import`. */
export function registerImport(program: Command): void {
  program
    .command('import')
    .description('import flow logs: nfdump CSV/JSON, Zeek conn.log (TSV or JSON), CSV or JSON lines (.gz is read directly); Zeek http.log as HTTP requests; Zeek dns.log and passive-DNS COF JSON lines as passive DNS; nmap XML and masscan JSON as services; packet captures (pcap, pcapng) as flows and HTTP requests; captured NetFlow/IPFIX/sFlow')
    .argument('<files...>', "log files ('-' for stdin)")
    .addOption(new Option('--format <format>', 'input format (auto tells it from the first lines)').choices([...IMPORT_FORMATS, ...CAPTURE_FORMATS]).default('auto'))
    .option('--strict', 'stop with exit status 1 at the first malformed line instead of skipping it')
    .option('--map <spec>', 'csv/jsonl: which column feeds a field, e.g. dst=target_ip,src=source_ip')
    .option('--batch <n>', 'IPv4 flows per store append, IPv6 flows riding along', String(DEFAULT_BATCH))
    .option('--sampling <n>', 'the input is sampled 1 in N: records without their own rate get sampling N, packets and bytes x N')
    .option('--json', 'print a JSON summary to stdout')
    .option('--no-enrich', 'store flows as read: no ASN, country or intelligence tags')
    .option('--asn-db <file>', 'ASN database (.mmdb or ip-location-db CSV) instead of the bundled one')
    .option('--geo-db <file>', 'country database (.mmdb: GeoLite2/DB-IP Country or City) instead of the bundled one')
    .option('--timeouts <spec>', "pcap: flow timeouts in seconds, softflowd names (tcp=3600,tcp.rst=120,tcp.fin=300,udp=300,icmp=300,general=3600,maxlife=604800), or 'off'")
    .action(async (files: string[], cli: CliOptions, command: Command) => {
      if (isCaptureFormat(cli.format)) {
        if (cli.map !== undefined) throw new VantageError('USAGE', `--map applies to csv and jsonl only, not --format ${cli.format}`);
        if (cli.sampling !== undefined) throw new VantageError('USAGE', `--sampling applies to flow logs, not --format ${cli.format} (flows assembled from packets are unsampled; captured exports carry their own rate)`);
        const options = { format: cli.format, strict: cli.strict === true, batch: parseBatch(cli.batch), timeouts: cli.timeouts === undefined ? undefined : parseFlowTimeouts(cli.timeouts) };
        // Checked before the store opens: a typo in a file name creates no database.
        planCaptureImport(files, options);
        const summary = await withStore(command, async (store) =>
          importCaptureFiles(cli.enrich ? enrichingSink(store, await createEnricher(store, { asnDb: cli.asnDb, countryDb: cli.geoDb })) : store, files, { ...options, httpStore: store, arpStore: store, tlsStore: store }),
        );
        if (cli.json) process.stdout.write(`${toJson(summary)}\n`);
        const malformed = summary.files.reduce((n, f) => n + malformedInputCount(f.problems), 0);
        if (malformed > 0) throw new VantageError('IMPORT_RECORD', `${malformed} ${malformed === 1 ? 'problem' : 'problems'} of malformed input (listed above); the other ${summary.flows} flows were imported`);
        return;
      }
      if (cli.timeouts !== undefined) throw new VantageError('USAGE', '--timeouts applies to --format pcap only');
      const format = cli.format;
      // The JSON totals go out before a damaged file fails the import: what was imported is known.
      const printJson = (summary: ImportSummary) => {
        const files = summary.files.map(({ file, format, read, imported, rejected, flows, observations, names, services, hosts }) => ({ file, format, read, imported, rejected, flows, ...(observations !== undefined ? { observations, names } : {}), ...(services !== undefined ? { services, hosts } : {}) }));
        process.stdout.write(`${toJson({ ...summary, files })}\n`);
      };
      const io: ImportIo = { stderr: process.stderr, ...(cli.json ? { summary: printJson } : {}) };
      const options: ImportOptions = {
        format,
        strict: cli.strict === true,
        overrides: cli.map === undefined ? undefined : parseMapSpec(cli.map),
        batch: parseBatch(cli.batch),
        sampling: cli.sampling === undefined ? undefined : parseSampling(cli.sampling),
      };
      // Checked before the store opens: a typo in a file name creates no database.
      const plans = await planImport(files, options, io);
      const summary = await withStore(command, async (store) => {
        if (!cli.enrich) return runImport(store, plans, options, io);
        const enricher = await createEnricher(store, { asnDb: cli.asnDb, countryDb: cli.geoDb });
        return runImport(store, plans, { ...options, enrich: (records) => enricher.enrich(records) }, io);
      });
      // Bad input exits 1, with everything else imported: scripts see that lines were dropped.
      if (summary.rejected > 0) {
        throw new VantageError('IMPORT_RECORD', `${summary.rejected} of ${summary.read} records rejected (listed above); the other ${summary.imported} were imported`);
      }
    });
}
