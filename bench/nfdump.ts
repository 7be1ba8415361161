// Drives the peer: nfcapd as the collector that builds the nfdump file, nfdump as a timed child
// process, and parsers for the nfdump outputs the benchmark compares against.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { udpSocketState } from './netflow-v5.js';

/** A free UDP port on the loopback (free when asked; nfcapd binds it right after). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** A running nfcapd writing into `dir`. */
export interface Nfcapd {
  readonly child: ChildProcess;
  readonly port: number;
  readonly dir: string;
  /** Everything nfcapd printed (it logs to stderr/stdout when not daemonised). */
  log(): string;
}

/** Starts nfcapd on a loopback port and waits until its socket is bound. */
export async function startNfcapd(dir: string, port: number): Promise<Nfcapd> {
  // -t 86400: one file for the whole run (nfcapd rotates on wall-clock interval boundaries).
  const child = spawn('nfcapd', ['-w', dir, '-p', String(port), '-b', '127.0.0.1', '-B', '33554432', '-t', '86400'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!udpSocketState(port)) {
    if (child.exitCode !== null) throw new Error(`nfcapd exited (${child.exitCode}): ${text}`);
    if (Date.now() > deadline) throw new Error(`nfcapd did not bind port ${port}: ${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, port, dir, log: () => text };
}

/** CPU seconds (user + system) a process, or with `tid` one of its threads, has used so far, from /proc. */
export function cpuSeconds(pid: number, tid?: number): number | undefined {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state(0) ... utime(11) stime(12), in clock ticks (100 Hz on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Stops nfcapd with SIGTERM (it flushes and renames its file) and waits for it to exit. */
export async function stopNfcapd(nfcapd: Nfcapd): Promise<void> {
  const { child } = nfcapd;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timeout = setTimeout(() => child.kill('SIGKILL'), 120_000);
  await exited;
  clearTimeout(timeout);
}

/** The finished nfcapd files in a directory (not the `.current` file being written). */
export function nfcapdFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^nfcapd\.\d{12}$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** How one nfdump process run went. */
export interface NfdumpRun {
  readonly ms: number;
  readonly code: number | null;
  /** The last 64 KiB of stdout (or all of it when `keepAll`). */
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs nfdump, timing the whole process from spawn to exit with its output fully consumed.
 * `onData` sees stdout as it streams (for post-processing that is part of the measured time).
 */
export function runNfdump(args: readonly string[], options: { keepAll?: boolean; onData?: (chunk: Buffer) => void } = {}): Promise<NfdumpRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('nfdump', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outLength = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      options.onData?.(chunk);
      out.push(chunk);
      outLength += chunk.length;
      if (!options.keepAll) {
        while (outLength - out[0]!.length >= 65536) outLength -= out.shift()!.length;
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      resolve({ ms, code, stdout: Buffer.concat(out).toString(), stderr });
    });
  });
}

/** Totals of an nfdump run. */
export interface NfdumpTotals {
  readonly flows: number;
  readonly bytes: number;
  readonly packets: number;
}

/** Parses the `flows,bytes,packets,...` summary that `-o csv` prints last. */
export function parseCsvSummary(text: string): NfdumpTotals | undefined {
  const lines = text.trimEnd().split('\n');
  const at = lines.findIndex((l) => l.startsWith('flows,bytes,packets'));
  if (at < 0 || at + 1 >= lines.length) return undefined;
  const [flows, bytes, packets] = lines[at + 1]!.split(',').map(Number);
  return { flows: flows!, bytes: bytes!, packets: packets! };
}

/** Parses the `Summary: total flows: ...` line of `-o null -N`. */
export function parseTextSummary(text: string): NfdumpTotals | undefined {
  const m = /total flows: (\d+), total bytes: (\d+), total packets: (\d+)/.exec(text);
  if (!m) return undefined;
  return { flows: Number(m[1]), bytes: Number(m[2]), packets: Number(m[3]) };
}

/** One row of `-s FIELD/ORDER -o csv`. */
export interface NfdumpStatRow {
  readonly value: string;
  readonly flows: number;
  readonly packets: number;
  readonly bytes: number;
}

/** Parses `-s ... -o csv -q` statistics (header `ts,te,td,pr,val,fl,flP,pkt,pktP,byt,...`). */
export function parseStatCsv(text: string): NfdumpStatRow[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const headerAt = lines.findIndex((l) => l.startsWith('ts,te,'));
  if (headerAt < 0) return [];
  const header = lines[headerAt]!.split(',');
  const col = (name: string): number => header.indexOf(name);
  const [val, fl, pkt, byt] = [col('val'), col('fl'), col('pkt'), col('byt')];
  const rows: NfdumpStatRow[] = [];
  for (const line of lines.slice(headerAt + 1)) {
    if (line.startsWith('Summary') || line.startsWith('flows,')) break;
    const cells = line.split(',');
    if (cells.length < header.length) continue;
    rows.push({ value: cells[val]!.trim(), flows: Number(cells[fl]), packets: Number(cells[pkt]), bytes: Number(cells[byt]) });
  }
  return rows;
}

/**
 * Counts stdout lines per value of one comma-separated column (or the whole trimmed line when
 * `column` is -1), as chunks stream in: the post-processing that turns nfdump's per-pair
 * aggregation into distinct destinations per source.
 */
export class LineCounter {
  readonly counts = new Map<string, number>();
  private rest = '';

  constructor(private readonly column: number) {}

  push(chunk: Buffer): void {
    const text = this.rest + chunk.toString('latin1');
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.rest = text.slice(start);
  }

  finish(): Map<string, number> {
    if (this.rest.length > 0) this.line(this.rest);
    this.rest = '';
    return this.counts;
  }

  private line(line: string): void {
    let key: string;
    if (this.column < 0) key = line.trim();
    else {
      let from = 0;
      for (let i = 0; i < this.column; i++) from = line.indexOf(',', from) + 1;
      const to = line.indexOf(',', from);
      key = line.slice(from, to < 0 ? undefined : to).trim();
    }
    if (key.length === 0) return;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

/** `nfdump -V`, e.g. "nfdump: Version: NSEL-NEL1.7.1". */
export function nfdumpVersion(): string {
  const r = spawnSync('nfdump', ['-V'], { encoding: 'utf8' });
  return (r.stdout || r.stderr || '').trim();
}
