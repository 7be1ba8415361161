// Test support: turns packet captures into nfdump CSV the way an analyst's pipeline would
// (softflowd -> nfcapd -> `nfdump -o csv` with TZ=UTC), for the retro-hunt tests on real traffic.

import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The tools the pipeline needs. */
export const PIPELINE_TOOLS = ['softflowd', 'nfcapd', 'nfdump'] as const;

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * Exports the captures' flows with softflowd (NetFlow v9) to an nfcapd started for the purpose
 * (and stopped by its pid), then writes `nfdump -o csv` of the collected file to `work/flows.csv`.
 */
export async function pcapsToNfdumpCsv(pcaps: readonly string[], work: string): Promise<string> {
  const capDir = join(work, 'nfcapd');
  mkdirSync(capDir, { recursive: true });
  const port = await freeUdpPort();
  const nfcapd = spawn('nfcapd', ['-w', capDir, '-p', String(port), '-b', '127.0.0.1'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => nfcapd.once('exit', () => resolve()));
  try {
    await new Promise((r) => setTimeout(r, 700));
    for (const pcap of pcaps) {
      const run = spawnSync('softflowd', ['-r', pcap, '-n', `127.0.0.1:${port}`, '-v', '9', '-a'], { timeout: 60_000 });
      if (run.status !== 0) throw new Error(`softflowd failed on ${pcap}: ${run.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    nfcapd.kill('SIGTERM');
    await exited;
  }
  const files = readdirSync(capDir).filter((f) => /^nfcapd\.\d+$/.test(f));
  if (files.length === 0) throw new Error('nfcapd wrote no file');
  const csv = spawnSync('nfdump', ['-R', capDir, '-o', 'csv'], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, TZ: 'UTC' } });
  if (csv.status !== 0) throw new Error(`nfdump failed: ${csv.stderr}`);
  const out = join(work, 'flows.csv');
  writeFileSync(out, csv.stdout);
  return out;
}
