// `node dist/bench/collector-bench.js`: the collector benchmarks, measured on this machine in one
// run. (1) Decode rate: the real captures' datagrams of each protocol decoded in a loop on one
// core, records per second of CPU time. (2) Loopback load test: IPFIX with a real template
// (softflowd's, from logstash's ipfix.dat) sent to 127.0.0.1 at increasing rates, first to
// `vantage collect` writing a DuckDB store, then to nfcapd, the same datagrams at the same rates;
// the highest rate each takes with zero loss, and the collector's peak memory. (3) Memory run:
// 1M flows/s with enrichment for 30 s, then again with every core kept busy for 3 s of it.

import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COLLECTOR_DUCKDB_MEMORY_LIMIT, COLLECTOR_DUCKDB_THREADS } from '../src/cli/commands/collect.js';
import { openCaptureFile } from '../src/collect/capture-file.js';
import { RAW_DATAGRAM_LINKTYPE } from '../src/collect/capture-frame.js';
import { FlowChunkEncoder } from '../src/collect/flow-codec.js';
import type { Ip } from '../src/core/ip.js';
import { decodeExportDatagram } from '../src/decode/decode-export-datagram.js';
import { createDecoderState } from '../src/decode/decoder-state.js';
import { UdpDatagramExtractor } from '../src/decode/packet/udp-datagram-extractor.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { PREFERRED_BATCH } from '../src/store/store.js';
import { repoRoot, sharedDataRoot } from '../src/test-support/shared-data.js';
import { udpSocketState } from './netflow-v5.js';
import { cpuSeconds, freeUdpPort, nfcapdFiles, parseTextSummary, runNfdump, startNfcapd, stopNfcapd } from './nfdump.js';
import { grouped, log, renderTable } from './report.js';

const USAGE = `usage: node dist/bench/collector-bench.js [--rates LIST] [--seconds N] [--sustained-seconds N] [--memory-seconds N] [--overload-seconds N] [--skip-load] [--enrich] [--json]
  --rates LIST         flows/s of the load test's steps (default 100000,200000,400000,700000,1000000,1400000,2000000,2500000,3000000,4000000,5000000,6000000; a tool stops at its first loss)
  --seconds N          length of each step (default 4)
  --sustained-seconds N both tools again at nfcapd's zero-loss rate for N s (default 30; 0 skips it)
  --memory-seconds N   length of the memory run: 1M flows/s with enrichment on (default 30; 0 skips it)
  --overload-seconds N the memory run once more, with every core kept busy for N s from 8 s in (default 3; 0 skips it)
  --skip-load          decode rates only
  --enrich             run the load test's collector with enrichment (its default; the bench's is --no-enrich, as nfcapd enriches nothing)
  --json               print the results as JSON on stdout
  --collect-args ARGS  more arguments for vantage collect in the load test (space-separated), e.g. --collect-args="--store-queue 0"`;

const { values: opts } = parseArgs({
  options: {
    rates: { type: 'string', default: '100000,200000,400000,700000,1000000,1400000,2000000,2500000,3000000,4000000,5000000,6000000' },
    seconds: { type: 'string', default: '4' },
    'sustained-seconds': { type: 'string', default: '30' },
    'memory-seconds': { type: 'string', default: '30' },
    'overload-seconds': { type: 'string', default: '3' },
    'skip-load': { type: 'boolean', default: false },
    enrich: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'collect-args': { type: 'string', default: '' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}

// ---- 1. decode rate, one core ----

/** Captures per protocol (flow-export/, SOURCES.md); the first file's templates serve the rest. */
const DECODE_SETS: readonly { name: string; files: readonly string[] }[] = [
  { name: 'NetFlow v5 (akvorado nfv5)', files: ['akvorado/netflow/nfv5.pcap'] },
  { name: 'NetFlow v9 IPv4, 19 fields (akvorado data+templates)', files: ['akvorado/netflow/data+templates.pcap'] },
  { name: 'IPFIX IPv4, 29 fields (akvorado physicalinterfaces)', files: ['akvorado/netflow/physicalinterfaces.pcap'] },
  { name: 'IPFIX IPv4, softflowd (logstash ipfix.dat)', files: ['logstash-codec-netflow/ipfix.dat'] },
  { name: 'sFlow v5, raw headers decoded (akvorado data-1140)', files: ['akvorado/sflow/data-1140.pcap'] },
];

interface Datagram {
  readonly bytes: Uint8Array;
  readonly exporter: Ip;
}

/** The UDP payloads of a capture (a raw datagram file's datagrams as they are). */
function datagramsOf(path: string): Datagram[] {
  const source = openCaptureFile(path);
  const extractor = new UdpDatagramExtractor();
  const out: Datagram[] = [];
  try {
    for (const frame of source.frames()) {
      if (frame.linkType === RAW_DATAGRAM_LINKTYPE) {
        out.push({ bytes: frame.data.slice(), exporter: 0 });
        continue;
      }
      const d = extractor.extract(frame.data, frame.linkType, frame.timestamp);
      if (d) out.push({ bytes: d.payload.slice(), exporter: d.src });
    }
  } finally {
    source.close();
  }
  return out;
}

interface DecodeRate {
  readonly capture: string;
  readonly datagrams: number;
  readonly recordsPerDatagram: number;
  readonly recordsPerSecond: number;
}

/** Records per CPU second decoding a capture's data datagrams again and again, best of 7 rounds of 300 ms. */
function decodeRate(name: string, files: readonly string[]): DecodeRate {
  return timedDecode(name, files.flatMap((file) => datagramsOf(join(sharedDataRoot(), 'flow-export', file))));
}

function timedDecode(name: string, datagrams: readonly Datagram[]): DecodeRate {
  const state = createDecoderState();
  const data: Datagram[] = [];
  let records = 0;
  for (const d of datagrams) {
    // The first pass learns the templates; datagrams with records are the ones timed.
    const n = decodeExportDatagram(d.bytes, d.exporter, 0, state).records.length;
    if (n > 0) {
      data.push(d);
      records += n;
    }
  }
  if (data.length === 0) throw new Error(`${name}: no datagram with records`);
  let best = 0;
  for (let round = 0; round < 7; round++) {
    const before = process.cpuUsage();
    const started = performance.now();
    let decoded = 0;
    while (performance.now() - started < 300) {
      for (const d of data) decoded += decodeExportDatagram(d.bytes, d.exporter, 0, state).records.length;
    }
    const cpu = process.cpuUsage(before);
    best = Math.max(best, decoded / ((cpu.user + cpu.system) / 1e6));
  }
  return { capture: name, datagrams: data.length, recordsPerDatagram: records / data.length, recordsPerSecond: Math.round(best) };
}

// ---- 2. loopback load test ----

const RECORDS_PER_DATAGRAM = 30;

/**
 * The memory target's rate. A 4 s step ends before the collector's memory levels off (DuckDB
 * caches what it wrote up to its limit, ~20 s at 1M flows/s with the old 256 MB one), so memory
 * is measured over a run of its own.
 */
const MEMORY_RUN_RATE = 1_000_000;

/**
 * softflowd's IPFIX templates and a data datagram of RECORDS_PER_DATAGRAM of its flows, built
 * from logstash's ipfix.dat (one message: templates, options, and six 44-byte records of 1024).
 */
function softflowdStream(): { templates: Buffer; data: Buffer; recordBytes: number } {
  const message = readFileSync(join(sharedDataRoot(), 'flow-export/logstash-codec-netflow/ipfix.dat'));
  const length = message.readUInt16BE(2);
  const templateSets: Buffer[] = [];
  let records: Buffer | undefined;
  let recordBytes = 0;
  for (let p = 16; p + 4 <= length; ) {
    const id = message.readUInt16BE(p);
    const setLength = message.readUInt16BE(p + 2);
    if (id === 2 || id === 3) templateSets.push(message.subarray(p, p + setLength));
    if (id === 1024) {
      recordBytes = 44;
      records = message.subarray(p + 4, p + 4 + 6 * recordBytes);
    }
    p += setLength;
  }
  if (!records) throw new Error('ipfix.dat: no data set of template 1024');
  // The capture's export time: softflowd's flow times are relative to it, and a message at time 0
  // would put them before 1970, where the decoder drops them (DECODE_BAD_TIME).
  const exportTime = message.readUInt32BE(4);
  const header = (bodyLength: number) => {
    const h = Buffer.alloc(16);
    h.writeUInt16BE(10, 0);
    h.writeUInt16BE(16 + bodyLength, 2);
    h.writeUInt32BE(exportTime, 4);
    return h;
  };
  const templateBody = Buffer.concat(templateSets);
  const setHeader = Buffer.alloc(4);
  setHeader.writeUInt16BE(1024, 0);
  setHeader.writeUInt16BE(4 + RECORDS_PER_DATAGRAM * recordBytes, 2);
  const repeated = Buffer.concat(Array.from({ length: RECORDS_PER_DATAGRAM }, (_, i) => records.subarray((i % 6) * recordBytes, ((i % 6) + 1) * recordBytes)));
  const dataBody = Buffer.concat([setHeader, repeated]);
  return { templates: Buffer.concat([header(templateBody.length), templateBody]), data: Buffer.concat([header(dataBody.length), dataBody]), recordBytes };
}

/** Prepared copies of the data datagram the sender cycles through (each is sent long before it is rewritten). */
const SEND_RING = 1024;

/**
 * Sends the templates, then `datagrams` copies of the data datagram (sequence numbers counting
 * the records, as an exporter's) paced at `perSecond`, in 1 ms slices. The sender shares the two
 * cores with the tool measured, so it sends as an exporter does: from a connected socket, out of
 * prepared buffers, without a promise per datagram (a copy, an address and a callback per
 * datagram cost it ~20% more CPU). Both tools get the same sender.
 */
async function sendStream(port: number, stream: { templates: Buffer; data: Buffer }, datagrams: number, perSecond: number): Promise<{ seconds: number; cpuSeconds: number }> {
  const socket = createSocket('udp4');
  let failed: Error | undefined;
  socket.on('error', (err) => (failed = err));
  const settled = (fn: (done: (err?: Error | null) => void) => void) => new Promise<void>((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
  const ring = Array.from({ length: SEND_RING }, () => Buffer.from(stream.data));
  const tick = () => new Promise((r) => setTimeout(r, 1));
  try {
    await settled((done) => socket.connect(port, '127.0.0.1', () => done()));
    await settled((done) => socket.send(stream.templates, done));
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    const cpu = process.cpuUsage();
    let sent = 0;
    while (sent < datagrams) {
      const due = Math.min(datagrams, Math.floor(((performance.now() - started) / 1000) * perSecond));
      const now = Math.floor(Date.now() / 1000);
      for (; sent < due; sent++) {
        const b = ring[sent % SEND_RING]!;
        b.writeUInt32BE(now, 4);
        b.writeUInt32BE((sent * RECORDS_PER_DATAGRAM) >>> 0, 8);
        socket.send(b);
      }
      if (failed) throw failed;
      // A buffer still queued in the socket must not be rewritten: wait while the queue is long.
      while (socket.getSendQueueCount() > SEND_RING / 2) await tick();
      if (sent < datagrams) await tick();
    }
    while (socket.getSendQueueCount() > 0) await tick();
    if (failed) throw failed;
    // On loopback the kernel delivers each datagram to the receiving socket in the sender's send
    // call, so the sender's CPU includes that part of receiving.
    const { user, system } = process.cpuUsage(cpu);
    return { seconds: (performance.now() - started) / 1000, cpuSeconds: (user + system) / 1e6 };
  } finally {
    socket.close();
  }
}

/** A Node process that only counts the datagrams it receives: what receiving costs in Node. */
const BARE_RECEIVER = `
const socket = require('node:dgram').createSocket({ type: 'udp4', recvBufferSize: 1 << 25 });
let datagrams = 0;
socket.on('message', () => datagrams++);
socket.bind(Number(process.argv[1]), '127.0.0.1', () => console.log('ready'));
process.stdin.on('end', () => { console.log(datagrams); process.exit(0); }).resume();`;

/** The CPU a flow of Node's own receiving (a datagram's event, no work), at a rate every tool takes. */
async function nodeReceiveCost(rate = 1_000_000, seconds = 3): Promise<{ nsPerFlow: number; lost: number }> {
  const port = await freeUdpPort();
  const child = spawn(process.execPath, ['-e', BARE_RECEIVER, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const deadline = Date.now() + 10_000;
    while (!out.includes('ready')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`bare receiver did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const before = cpuSeconds(child.pid!) ?? NaN;
    const datagrams = Math.round((rate / RECORDS_PER_DATAGRAM) * seconds);
    await sendStream(port, softflowdStream(), datagrams, rate / RECORDS_PER_DATAGRAM);
    await settle(() => udpSocketState(port)?.rxQueue ?? 0, 300, 10_000);
    const cpu = (cpuSeconds(child.pid!) ?? NaN) - before;
    child.stdin!.end();
    await waitExit(child, 5000);
    const received = Number(out.trim().split('\n').pop()) - 1; // less the templates' datagram
    return { nsPerFlow: Math.round((cpu / (datagrams * RECORDS_PER_DATAGRAM)) * 1e9), lost: (datagrams - received) * RECORDS_PER_DATAGRAM };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

interface StepResult {
  readonly rate: number;
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  /** Flows that went through the disk spool because the store did not keep up (vantage only). */
  readonly spooled?: number;
  readonly sendSeconds: number;
  /** CPU seconds of the sender (this process) while it sent. */
  readonly senderCpuSeconds: number;
  /** CPU seconds the tool used from its first datagram until its last flow was stored. */
  readonly cpuSeconds?: number;
  /** Of those, vantage's main thread: batching and DuckDB's appends (its commits run on other threads). */
  readonly mainThreadCpuSeconds?: number;
  readonly peakRssMb?: number;
  readonly note?: string;
}

/** Waits until `value()` has not changed for `quietMs`, or `maxMs` passed; returns when it last changed (epoch ms). */
async function settle(value: () => number, quietMs: number, maxMs: number): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = value();
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const now = value();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) break;
  }
  return since;
}

/** CPU seconds so far of a process and of its main thread. */
function processAndMainThreadCpu(pid: number): (number | undefined)[] {
  return [cpuSeconds(pid), cpuSeconds(pid, pid)];
}

/** Peak resident memory of a process (VmHWM), MB. */
function peakRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

async function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** One step against `vantage collect` (a process of its own, DuckDB store, default settings). */
async function vantageStep(dir: string, stream: ReturnType<typeof softflowdStream>, rate: number, seconds: number, enrich = opts.enrich, sending?: () => void): Promise<StepResult> {
  const port = await freeUdpPort();
  const db = join(dir, `vantage-${rate}.duckdb`);
  // As installed: bin/vantage sets glibc's malloc up for the collector, then becomes node.
  const vantage = join(repoRoot(), 'bin/vantage');
  const child = spawn(vantage, ['collect', '--listen', `udp://127.0.0.1:${port}`, '--db', db, '--spool', join(dir, `spool-${rate}`), ...(enrich ? [] : ['--no-enrich']), ...opts['collect-args']!.split(' ').filter(Boolean), '--stats', '--stats-interval', '250'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stats: { records?: number; stored?: number; replayed?: number; spooled?: number; drops?: Record<string, number>; datagram_spool?: { datagrams: number; replayed: number } } = {};
  let text = '';
  child.stderr!.on('data', (d: Buffer) => {
    text += d.toString();
    const lines = text.split('\n');
    text = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) stats = JSON.parse(line) as typeof stats;
  });
  const deadline = Date.now() + 15_000;
  while (!udpSocketState(port)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`vantage collect did not start: ${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const datagrams = Math.round((rate / RECORDS_PER_DATAGRAM) * seconds);
  const pid = child.pid!;
  const cpuAtStart = processAndMainThreadCpu(pid);
  sending?.();
  const sent = await sendStream(port, stream, datagrams, rate / RECORDS_PER_DATAGRAM);
  const sentAt = Date.now();
  // Until both spools are read back too (the datagram spool's flows go through the flow spool).
  // The counters come every 250 ms: when they last moved is when the store had its last flows,
  // and the CPU used by then is what the step cost (not the quiet wait after it).
  let cpuAtEnd = cpuAtStart;
  let progress = -1;
  const caughtUp = await settle(() => {
    const now = (stats.stored ?? 0) + (stats.spooled ?? 0) + (stats.replayed ?? 0) + (stats.datagram_spool?.replayed ?? 0);
    if (now !== progress) [progress, cpuAtEnd] = [now, processAndMainThreadCpu(pid)];
    return now;
  }, 5000, 120_000);
  const [cpu, mainThreadCpu] = cpuAtEnd.map((end, i) => (end ?? NaN) - (cpuAtStart[i] ?? NaN));
  const rss = peakRssMb(pid);
  child.kill('SIGTERM');
  await waitExit(child, 300_000);
  const flowsSent = datagrams * RECORDS_PER_DATAGRAM;
  const store = new DuckDbStore({ path: db });
  await store.open();
  const { flows } = await store.stats();
  await store.close();
  // The last stats line is the one printed at exit: what the spools still hold counts as kept
  // (the datagram spool's datagrams hold RECORDS_PER_DATAGRAM flows each).
  const spooled = stats.spooled ?? 0;
  const datagramsSpooled = stats.datagram_spool?.datagrams ?? 0;
  const leftInDatagramSpool = Math.max(0, datagramsSpooled - (stats.datagram_spool?.replayed ?? 0)) * RECORDS_PER_DATAGRAM;
  const leftInSpool = Math.max(0, spooled - (stats.replayed ?? 0)) + leftInDatagramSpool;
  const drops = Object.entries(stats.drops ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
  const note = [
    datagramsSpooled > 0 ? `${grouped(datagramsSpooled * RECORDS_PER_DATAGRAM)} via the datagram spool` : '',
    spooled > 0 ? `${grouped(spooled)} via the flow spool` : '',
    leftInSpool > 0 ? `${grouped(leftInSpool)} still spooled` : '',
    datagramsSpooled + spooled > 0 && leftInSpool === 0 ? `all in the store ${Math.max(0, (caughtUp - sentAt) / 1000).toFixed(1)} s after the last datagram` : '',
    drops,
  ].filter(Boolean).join('; ');
  // Flows read back from the datagram spool pass through the flow spool too: not added twice.
  return {
    rate,
    sent: flowsSent,
    received: flows,
    lost: flowsSent - flows - leftInSpool,
    spooled: Math.max(spooled, datagramsSpooled * RECORDS_PER_DATAGRAM),
    sendSeconds: sent.seconds,
    senderCpuSeconds: sent.cpuSeconds,
    cpuSeconds: cpu,
    mainThreadCpuSeconds: mainThreadCpu,
    peakRssMb: rss,
    note: note || undefined,
  };
}

/** The same step against nfcapd; received = the flows nfdump reads from its file. */
async function nfcapdStep(dir: string, stream: ReturnType<typeof softflowdStream>, rate: number, seconds: number): Promise<StepResult> {
  const port = await freeUdpPort();
  const out = join(dir, `nfcapd-${rate}`);
  mkdirSync(out, { recursive: true });
  const nfcapd = await startNfcapd(out, port);
  const datagrams = Math.round((rate / RECORDS_PER_DATAGRAM) * seconds);
  const cpuAtStart = cpuSeconds(nfcapd.child.pid!) ?? NaN;
  const sent = await sendStream(port, stream, datagrams, rate / RECORDS_PER_DATAGRAM);
  await settle(() => udpSocketState(port)?.rxQueue ?? 0, 500, 60_000);
  const cpu = (cpuSeconds(nfcapd.child.pid!) ?? NaN) - cpuAtStart;
  const rss = peakRssMb(nfcapd.child.pid!);
  await stopNfcapd(nfcapd);
  const files = nfcapdFiles(out);
  let received = 0;
  for (const file of files) {
    const run = await runNfdump(['-r', file, '-o', 'null', '-N'], { keepAll: true });
    received += parseTextSummary(run.stdout)?.flows ?? 0;
  }
  const flows = datagrams * RECORDS_PER_DATAGRAM;
  return { rate, sent: flows, received, lost: flows - received, sendSeconds: sent.seconds, senderCpuSeconds: sent.cpuSeconds, cpuSeconds: cpu, peakRssMb: rss };
}

async function loadTest(rates: readonly number[], seconds: number): Promise<{ vantage: StepResult[]; nfcapd: StepResult[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-collector-bench-'));
  const stream = softflowdStream();
  const results = { vantage: [] as StepResult[], nfcapd: [] as StepResult[] };
  try {
    for (const [tool, step] of [
      ['vantage', vantageStep],
      ['nfcapd', nfcapdStep],
    ] as const) {
      for (const rate of rates) {
        const r = await step(dir, stream, rate, seconds);
        results[tool].push(r);
        log(`${tool} at ${grouped(rate)} flows/s: sent ${grouped(r.sent)} in ${r.sendSeconds.toFixed(2)} s, ${stepText(r)}`);
        // Beyond the first rate that loses flows, higher ones lose more.
        if (r.lost > 0) break;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/**
 * Both tools at `rate` (nfcapd's zero-loss rate) for `seconds`: what a 4 s step does not show,
 * whether a tool keeps that rate up, or only takes a burst of it into its spools.
 */
async function sustainedRun(rate: number, seconds: number): Promise<{ vantage: StepResult; nfcapd: StepResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-collector-sustained-'));
  const stream = softflowdStream();
  try {
    const vantage = await vantageStep(dir, stream, rate, seconds);
    const nfcapd = await nfcapdStep(dir, stream, rate, seconds);
    for (const [tool, r] of [
      ['vantage', vantage],
      ['nfcapd', nfcapd],
    ] as const) {
      log(`sustained, ${tool} at ${grouped(rate)} flows/s for ${seconds} s: ${stepText(r)}`);
    }
    return { vantage, nfcapd };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** When the overload of the memory run starts, seconds after the first datagram. */
const OVERLOAD_AT_SECONDS = 8;

/** The overload, as the log line and the table name it. */
const overloadText = (seconds: number) => `every core busy for ${seconds} s from ${OVERLOAD_AT_SECONDS} s in`;

/**
 * Keeps every core busy for `seconds` (processes of their own at normal priority, each ending
 * itself): what another busy program on the collector's machine does to it.
 */
function overload(seconds: number): void {
  for (let i = 0; i < cpus().length; i++) {
    spawn(process.execPath, ['-e', `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end);`], { stdio: 'ignore' });
  }
}

/**
 * The memory run: the collector as deployed (enrichment on) at 1M flows/s, long enough for its
 * memory to level off. With `overloadSeconds`, the cores are kept busy that long from
 * OVERLOAD_AT_SECONDS in: the collector falls behind, the datagram spool takes the excess, and
 * the run shows the memory it holds while it catches up.
 */
async function memoryRun(seconds: number, overloadSeconds = 0): Promise<StepResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-collector-memory-'));
  try {
    const sending = overloadSeconds > 0 ? () => void setTimeout(() => overload(overloadSeconds), OVERLOAD_AT_SECONDS * 1000) : undefined;
    const r = await vantageStep(dir, softflowdStream(), MEMORY_RUN_RATE, seconds, true, sending);
    const what = overloadSeconds > 0 ? `, ${overloadText(overloadSeconds)}` : '';
    log(`memory run, vantage with enrichment at ${grouped(r.rate)} flows/s for ${seconds} s${what}: stored ${grouped(r.received)}, lost ${grouped(r.lost)}, peak RSS ${r.peakRssMb} MB${r.note ? ` (${r.note})` : ''}; load ${loadavg()[0]!.toFixed(2)}`);
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU a flow sent, ns, of a step's tool (and of vantage's main thread) and of the sender. */
function cpuPerFlow(step: StepResult): { tool: number; mainThread?: number; sender: number } {
  const ns = (seconds: number) => Math.round((seconds / step.sent) * 1e9);
  return { tool: ns(step.cpuSeconds ?? NaN), mainThread: step.mainThreadCpuSeconds === undefined ? undefined : ns(step.mainThreadCpuSeconds), sender: ns(step.senderCpuSeconds) };
}

/** A step's outcome for its log line: what was stored and lost, peak memory, CPU a flow, how it went, the load. */
function stepText(r: StepResult): string {
  const { tool, mainThread, sender } = cpuPerFlow(r);
  const cpu = `CPU a flow ${tool} ns${mainThread === undefined ? '' : ` (main thread ${mainThread})`}, sender ${sender} ns`;
  return `stored ${grouped(r.received)}, lost ${grouped(r.lost)}${r.peakRssMb ? `, peak RSS ${r.peakRssMb} MB` : ''}, ${cpu}${r.note ? ` (${r.note})` : ''}; load ${loadavg()[0]!.toFixed(2)}`;
}

/**
 * The rate at which a tool and the sender, at what a flow cost them in `step`, keep every core
 * of this machine busy: what no tuning of the tool's threads or queues takes it past.
 */
function coreBound(step: StepResult): number {
  const { tool, sender } = cpuPerFlow(step);
  return Math.round((cpus().length * 1e9) / (tool + sender) / 1000) * 1000;
}

function highestZeroLoss(steps: readonly StepResult[]): number {
  return steps.filter((s) => s.lost <= 0).reduce((m, s) => Math.max(m, s.rate), 0);
}

/**
 * The steps the collector took straight: zero loss with nothing spooled. A step the spool
 * absorbed loses nothing either, but only because it is short: at that rate for long the spool
 * fills (the sustained run shows it).
 */
function straightSteps(steps: readonly StepResult[]): StepResult[] {
  return steps.filter((s) => s.lost <= 0 && (s.spooled ?? 0) === 0);
}

/**
 * DuckDB's CPU a flow on the collector's path, alone: the load test's flows, encoded as the
 * decode workers encode them, appended in batches of a row group, two in flight, to a store
 * set up as `vantage collect` sets it up. Best of 3 rounds of 30 batches (3.7M flows).
 */
async function duckDbAppendCost(): Promise<{ nsPerFlow: number; mainThreadNsPerFlow: number }> {
  const stream = softflowdStream();
  const state = createDecoderState();
  decodeExportDatagram(stream.templates, 0, Date.now(), state);
  const records = decodeExportDatagram(stream.data, 0, Date.now(), state).records;
  const chunkFlows = 4096;
  const batch: Uint8Array[] = [];
  for (let rows = 0; rows < PREFERRED_BATCH; rows += chunkFlows) {
    const encoder = new FlowChunkEncoder();
    for (let i = 0; i < chunkFlows; i++) encoder.add(records[i % records.length]!);
    batch.push(encoder.finish());
  }
  const flowsPerBatch = batch.length * chunkFlows;
  const dir = mkdtempSync(join(tmpdir(), 'vantage-append-cost-'));
  const store = new DuckDbStore({ path: join(dir, 'append.duckdb'), memoryLimit: COLLECTOR_DUCKDB_MEMORY_LIMIT, threads: COLLECTOR_DUCKDB_THREADS });
  const pid = process.pid;
  try {
    await store.open();
    let best = { nsPerFlow: Infinity, mainThreadNsPerFlow: Infinity };
    for (let round = 0; round < 4; round++) {
      const batches = round === 0 ? 4 : 30; // the first round warms up
      const before = processAndMainThreadCpu(pid);
      const inFlight: Promise<void>[] = [];
      for (let b = 0; b < batches; b++) {
        inFlight.push(store.appendEncodedFlows(batch));
        if (inFlight.length >= store.appendConcurrency) await inFlight.shift();
      }
      await Promise.all(inFlight);
      const [all, main] = processAndMainThreadCpu(pid).map((after, i) => (((after ?? NaN) - (before[i] ?? NaN)) / (batches * flowsPerBatch)) * 1e9);
      if (round > 0 && all! < best.nsPerFlow) best = { nsPerFlow: Math.round(all!), mainThreadNsPerFlow: Math.round(main!) };
    }
    return best;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The load test's stream decoded the same way: softflowd's template, 30 records a datagram as a busy exporter fills them. */
function streamDecodeRate(): DecodeRate {
  const stream = softflowdStream();
  return timedDecode(`IPFIX IPv4, softflowd, ${RECORDS_PER_DATAGRAM} records a datagram (the load test's stream)`, [stream.templates, stream.data].map((bytes) => ({ bytes, exporter: 0 })));
}

async function main(): Promise<void> {
  log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const streamDecode = streamDecodeRate();
  const decode = [...DECODE_SETS.map((s) => decodeRate(s.name, s.files)), streamDecode];
  for (const d of decode) log(`decode ${d.capture}: ${grouped(d.recordsPerSecond)} records/s (${d.datagrams} datagrams, ${d.recordsPerDatagram.toFixed(1)} records each)`);
  const append = await duckDbAppendCost();
  log(`DuckDB appends alone, the load test's flows: CPU ${append.nsPerFlow} ns a flow (main thread ${append.mainThreadNsPerFlow})`);
  const rates = opts.rates!.split(',').map(Number);
  const load = opts['skip-load'] ? undefined : await loadTest(rates, Number(opts.seconds));
  const sustainedSeconds = Number(opts['sustained-seconds']);
  const nfcapdRate = load ? highestZeroLoss(load.nfcapd) : 0;
  const longRun = load && sustainedSeconds > 0 && nfcapdRate > 0 ? await sustainedRun(nfcapdRate, sustainedSeconds) : undefined;
  const receive = opts['skip-load'] ? undefined : await nodeReceiveCost();
  if (receive) log(`Node's own receiving (a process that counts datagrams) at 1M flows/s: CPU ${receive.nsPerFlow} ns a flow${receive.lost > 0 ? `, lost ${grouped(receive.lost)}` : ''}`);
  const memorySeconds = Number(opts['memory-seconds']);
  const memory = opts['skip-load'] || !(memorySeconds > 0) ? undefined : await memoryRun(memorySeconds);
  const overloadSeconds = Number(opts['overload-seconds']);
  const overloaded = memory && overloadSeconds > 0 ? await memoryRun(memorySeconds, overloadSeconds) : undefined;
  const rows: string[][] = decode.map((d) => {
    // The target is set for the template protocols only.
    const targeted = d.capture.startsWith('NetFlow v9') || d.capture.startsWith('IPFIX');
    return [`decode: ${d.capture}`, `${grouped(d.recordsPerSecond)} records/s (1 core)`, targeted ? '>= 2,000,000' : '', targeted ? (d.recordsPerSecond >= 2_000_000 ? 'ok' : 'MISSED') : ''];
  });
  rows.push([`store: DuckDB appends alone, the load test's flows`, `CPU ${append.nsPerFlow} ns a flow (main thread ${append.mainThreadNsPerFlow})`, '', '']);
  if (load) {
    const direct = straightSteps(load.vantage);
    const v = highestZeroLoss(direct);
    const burst = highestZeroLoss(load.vantage);
    const n = highestZeroLoss(load.nfcapd);
    const rss = Math.max(...direct.map((s) => s.peakRssMb ?? 0), 0);
    const burstRss = Math.max(...load.vantage.filter((s) => s.lost <= 0).map((s) => s.peakRssMb ?? 0), 0);
    // A tool lossless at the top step could take more: its rate is a floor, and a ratio over it a ceiling.
    const top = Math.max(...rates);
    const floor = (rate: number) => `${rate === top ? 'at least ' : ''}${grouped(rate)} flows/s`;
    const ratio = (a: number): string => {
      if (n <= 0) return '-';
      const value = (a / n).toFixed(2);
      if (a === top && n === top) return `${value} (both at the top step)`;
      return `${a === top ? 'at least ' : n === top ? 'at most ' : ''}${value}`;
    };
    rows.push(['load test: highest zero-loss rate straight into DuckDB (vantage collect)', floor(v), '>= 1,000,000', v >= 1_000_000 ? 'ok' : 'MISSED']);
    // What a flow cost at those rates says how far each could go on these cores at all.
    const costRows = (what: string, step: StepResult | undefined) => {
      if (!step) return;
      const { tool, mainThread, sender } = cpuPerFlow(step);
      rows.push([`  CPU a flow at ${grouped(step.rate)} flows/s: ${what} + the sender`, `${tool} ns${mainThread === undefined ? '' : ` (main thread ${mainThread})`} + ${sender} ns`, '', '']);
      rows.push([`  rate at which that keeps the ${cpus().length} cores busy`, `${grouped(coreBound(step))} flows/s`, '', '']);
    };
    costRows('vantage collect', direct.find((s) => s.rate === v));
    rows.push(['load test: highest zero-loss rate, nfcapd', floor(n), '', '']);
    const nfcapdAtN = load.nfcapd.find((s) => s.rate === n && s.lost <= 0);
    costRows('nfcapd', nfcapdAtN);
    // The parts of vantage's path measured alone, at nfcapd's rate: a floor no tuning goes under.
    if (receive && nfcapdAtN) {
      const decodeNs = Math.round(1e9 / streamDecode.recordsPerSecond);
      const sender = cpuPerFlow(nfcapdAtN).sender;
      const floor = append.nsPerFlow + receive.nsPerFlow + decodeNs + sender;
      rows.push([
        `  at ${grouped(n)} flows/s, DuckDB's appends + Node's receiving + decoding + the sender, each alone`,
        `${append.nsPerFlow} + ${receive.nsPerFlow} + ${decodeNs} + ${sender} ns: ${((floor * n) / 1e9).toFixed(2)} of ${cpus().length} cores`,
        '',
        '',
      ]);
    }
    rows.push(['vantage / nfcapd zero-loss rate', ratio(v), '>= 1', n > 0 && v >= n ? 'ok' : 'MISSED']);
    // With no lossless step there is no rate to hold the memory target at.
    rows.push(['collector peak RSS at those rates', direct.length > 0 ? `${rss} MB` : '-', '< 500 MB', direct.length === 0 ? '-' : rss < 500 ? 'ok' : 'MISSED']);
    rows.push([`  zero loss with the spools taking the excess (${opts.seconds} s steps)`, `${floor(burst)}, peak ${burstRss} MB`, '', '']);
    rows.push(['  vantage / nfcapd, that rate', ratio(burst), '', '']);
    if (longRun) {
      const lostText = (r: StepResult) => `lost ${grouped(r.lost)} (${((100 * r.lost) / r.sent).toFixed(1)}%)${(r.spooled ?? 0) > 0 ? `, ${grouped(r.spooled!)} through the spools` : ''}`;
      rows.push([`sustained: ${grouped(longRun.vantage.rate)} flows/s for ${sustainedSeconds} s, vantage collect`, lostText(longRun.vantage), '', '']);
      rows.push([`sustained: ${grouped(longRun.nfcapd.rate)} flows/s for ${sustainedSeconds} s, nfcapd`, lostText(longRun.nfcapd), '', '']);
    }
  }
  for (const [run, label] of [
    [memory, ''],
    [overloaded, `, ${overloadText(overloadSeconds)}`],
  ] as const) {
    if (!run) continue;
    const lost = run.lost > 0 ? `, lost ${grouped(run.lost)}` : '';
    const spooled = (run.spooled ?? 0) > 0 ? `, ${grouped(run.spooled!)} via the spool` : '';
    rows.push([`collector peak RSS, ${grouped(MEMORY_RUN_RATE)} flows/s for ${memorySeconds} s, enrichment on${label}`, `${run.peakRssMb ?? '?'} MB${lost}${spooled}`, '< 500 MB', (run.peakRssMb ?? Infinity) < 500 ? 'ok' : 'MISSED']);
  }
  const table = renderTable(['metric', 'value', 'target', 'result'], rows);
  if (opts.json) {
    process.stderr.write(`${table}\n`);
    console.log(JSON.stringify({ decode, append, load, receive, sustained: longRun, memory, overloaded }, null, 2));
  } else console.log(table);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
