// Test helpers that drive the reference flow tools: nfcapd (collector), softflowd (exporter that
// replays pcaps), nfdump (reader); every child is started here and stopped by its own pid.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { readUdpSocketState } from '../collect/udp-socket-drops.js';

/** A free UDP port on 127.0.0.1 (free when asked; bind it right after). */
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

/** Waits until `check` is true, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A running child with its output gathered. */
export interface Child {
  readonly process: ChildProcess;
  output(): string;
}

function gather(child: ChildProcess): Child {
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  return { process: child, output: () => text };
}

/**
 * Starts nfcapd on 127.0.0.1:port writing into `dir` with a 32 MiB socket buffer (its default
 * buffer drops softflowd's end-of-capture burst), optionally repeating every datagram to
 * `repeatTo` (-R), and waits until its socket is bound.
 */
export async function startNfcapd(dir: string, port: number, repeatTo?: number): Promise<Child> {
  mkdirSync(dir, { recursive: true });
  const args = ['-w', dir, '-p', String(port), '-b', '127.0.0.1', '-B', '33554432', '-t', '86400'];
  if (repeatTo !== undefined) args.push('-R', `127.0.0.1/${repeatTo}`);
  const child = gather(spawn('nfcapd', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  await waitFor(() => {
    if (child.process.exitCode !== null) throw new Error(`nfcapd exited: ${child.output()}`);
    return readUdpSocketState(port, 'udp4') !== undefined;
  }, `nfcapd on port ${port}`);
  return child;
}

/**
 * Waits until the UDP socket bound to `port` has read everything queued to it (its kernel receive
 * queue is empty twice in a row): a receiver stopped earlier would lose what is still queued.
 */
export async function waitUdpDrained(port: number, family: 'udp4' | 'udp6' = 'udp4'): Promise<void> {
  let empty = 0;
  await waitFor(() => {
    const state = readUdpSocketState(port, family);
    empty = !state || state.rxQueue === 0 ? empty + 1 : 0;
    return empty >= 2;
  }, `the socket on port ${port} to drain`, 20_000, 50);
}

/** Sends SIGTERM (or `signal`) to a child we started, by its pid, and waits for it to exit. */
export async function stopChild(child: Child | ChildProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 60_000): Promise<number | null> {
  const p = 'process' in child ? child.process : child;
  if (p.exitCode !== null || p.signalCode !== null) return p.exitCode;
  const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
  process.kill(p.pid!, signal);
  const timer = setTimeout(() => p.pid && p.exitCode === null && process.kill(p.pid, 'SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/**
 * Replays a pcap with softflowd to 127.0.0.1:port as NetFlow `version` (5, 9, or 10 for IPFIX with
 * millisecond times). softflowd -r exports every flow when the file ends and exits.
 */
export function runSoftflowd(pcap: string, port: number, version: 5 | 9 | 10): void {
  const args = ['-r', pcap, '-n', `127.0.0.1:${port}`, '-v', String(version), '-m', '2000000', '-d'];
  if (version === 10) args.push('-A', 'milli');
  const r = spawnSync('softflowd', args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`softflowd failed (${r.status}): ${r.stderr}${r.stdout}`);
}

/** Totals as nfdump sums them. */
export interface FlowTotals {
  readonly flows: number;
  readonly packets: number;
  readonly bytes: number;
}

/** nfdump's summary (`-o csv` ends with `flows,bytes,packets,...`) of every file in `dir`, optionally filtered, read in UTC. */
export function nfdumpTotals(dir: string, filter?: string): FlowTotals {
  const args = ['-R', dir, '-o', 'csv'];
  if (filter) args.push(filter);
  const r = spawnSync('nfdump', args, { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`nfdump failed: ${r.stderr}`);
  const lines = r.stdout.trimEnd().split('\n');
  const at = lines.findIndex((l) => l.startsWith('flows,bytes,packets'));
  if (at < 0 || at + 1 >= lines.length) throw new Error(`no summary in nfdump output: ${r.stdout.slice(-300)}`);
  const [flows, bytes, packets] = lines[at + 1]!.split(',').map(Number);
  return { flows: flows!, packets: packets!, bytes: bytes! };
}
