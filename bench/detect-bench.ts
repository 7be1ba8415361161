// Detector benchmark: a day of generated enterprise flows (20M by default) with injected
// attacks, every detector run over the day, and the time each takes against the target (all
// detectors over 24 h of 20M flows in under 60 s on the reference 2-core machine). The
// injected events must all be found.
//
//   node dist/bench/detect-bench.js [--flows N]   (env VANTAGE_BENCH_DETECT_FLOWS also sets N)

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowRecord } from '../src/core/columns.js';
import { parseIp } from '../src/core/ip.js';
import { runDetections } from '../src/detect/run-detections.js';
import { IndicatorRepository } from '../src/intel/indicator-repository.js';
import { loadFeeds } from '../src/intel/load-feeds.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { PREFERRED_BATCH } from '../src/store/store.js';
import { DAY_MS, DEFAULT_DAY_START, FlowGenerator } from './flow-generator.js';
import { duration, grouped, log, renderTable } from './report.js';

const ip = (text: string) => parseIp(text)!;
const TARGET_MS = 60_000;

function flow(start: number, src: string, dst: string, sport: number, dport: number, proto: number, flags: number, packets: number, bytes: number, durationMs = 0): FlowRecord {
  return { start, end: start + durationMs, src: ip(src), dst: ip(dst), sport, dport, proto, tcp_flags: flags, packets, bytes } as FlowRecord;
}

/** The injected attacks and what each detector must report about them. */
function injectedEvents(day: number): { flows: FlowRecord[]; expect: { kind: string; src?: string; dst?: string; dport?: number; what: string }[] } {
  const flows: FlowRecord[] = [];
  // Horizontal scan of 2,000 addresses on 445 (SYN only), at 09:00, and again the day before.
  for (let i = 0; i < 2000; i++) flows.push(flow(day + 9 * 3600_000 + i * 500, '203.0.113.66', `10.99.${i >> 8}.${i & 255}`, 40000 + (i % 1000), 445, 6, 2, 1, 40));
  for (let i = 0; i < 200; i++) flows.push(flow(day - DAY_MS + 15 * 3600_000 + i * 500, '203.0.113.66', `10.98.${i >> 8}.${i & 255}`, 40000, 23, 6, 2, 1, 40));
  // SSH brute force: 300 connections in 5 minutes.
  for (let i = 0; i < 300; i++) flows.push(flow(day + 11 * 3600_000 + i * 1000, '198.51.100.77', '10.0.5.5', 30000 + i, 22, 6, 2 | 16 | 8 | 1, 12, 3000, 800));
  // Contacts with a listed C2 (an indicator is loaded for it).
  for (let i = 0; i < 50; i++) flows.push(flow(day + 13 * 3600_000 + i * 60_000, '10.0.7.7', '185.220.101.4', 50000 + i, 8080, 6, 2 | 16 | 8 | 1, 10, 2400, 2000));
  // Beacon every 60 s (±1 s) for the whole day, 1 kB each.
  for (let i = 0; i < 1440; i++) flows.push(flow(day + i * 60_000 + ((i * 7919) % 2000) - 1000 + 1000, '10.0.8.8', '198.51.100.23', 49152 + (i % 10000), 443, 6, 2 | 16 | 8 | 1, 8, 1100, 300));
  // NTP reflection: 500 reflectors, one flow per reflector per minute for 10 minutes, 468-byte answers.
  for (let m = 0; m < 10; m++) for (let r = 0; r < 500; r++) flows.push(flow(day + 15 * 3600_000 + m * 60_000 + r * 100, `198.18.${r >> 8}.${r & 255}`, '10.0.9.9', 123, 40000 + r, 17, 0, 1000, 468_000, 59_000));
  return {
    flows,
    expect: [
      { kind: 'scan', src: '203.0.113.66', dport: 445, what: 'horizontal scan of 2,000 hosts on 445/tcp' },
      { kind: 'repeat', src: '203.0.113.66', what: 'the same scanner the day before' },
      { kind: 'bruteforce', src: '198.51.100.77', dst: '10.0.5.5', dport: 22, what: 'SSH brute force, 300 connections' },
      { kind: 'c2', src: '10.0.7.7', dst: '185.220.101.4', dport: 8080, what: 'contacts with a listed C2' },
      { kind: 'beacon', src: '10.0.8.8', dst: '198.51.100.23', dport: 443, what: '60 s beacon all day' },
      { kind: 'ddos', dst: '10.0.9.9', what: 'NTP reflection from 500 reflectors' },
    ],
  };
}

async function main(): Promise<void> {
  const arg = process.argv.indexOf('--flows');
  const n = Number(arg > 0 ? process.argv[arg + 1] : (process.env.VANTAGE_BENCH_DETECT_FLOWS ?? 20_000_000));
  const day = DEFAULT_DAY_START;
  const work = mkdtempSync(join(tmpdir(), 'vantage-detect-bench-'));
  const store = new DuckDbStore({ path: join(work, 'bench.duckdb') });
  await store.open();
  try {
    const { flows: injected, expect } = injectedEvents(day);
    log(`generating and storing ${grouped(n)} flows + ${grouped(injected.length)} injected`);
    const generator = new FlowGenerator({ flows: n, seed: 7, dayStart: day, internalHosts: 10_000, externalHosts: 300_000 });
    await store.appendFlows(injected);
    while (generator.remaining > 0) await store.appendFlows(generator.nextBatch(Math.min(PREFERRED_BATCH, generator.remaining)));
    const list = join(work, 'c2.txt');
    writeFileSync(list, '# bench C2 list\n185.220.101.4\n');
    const repo = new IndicatorRepository(store);
    await repo.ensureTables();
    await loadFeeds(repo, [list], { source: 'list:bench-c2' } as never, { stderr: { write: () => true } } as never);
    log('running every detector over the day');
    const started = performance.now();
    const report = await runDetections(store, { kinds: ['all'], from: day, to: day + DAY_MS, sampleSize: 3 });
    const total = performance.now() - started;
    const rows = report.detectors.map((d) => [d.kind, grouped(d.findings), duration(d.ms)]);
    rows.push(['all detectors', grouped(report.findings.length), duration(total)]);
    process.stdout.write(`\nDetectors over one day of ${grouped(n)} generated flows (DuckDB)\n\n${renderTable(['detector', 'findings', 'time'], rows)}\n`);
    process.stdout.write(`\ntarget: all detectors under 60 s: ${duration(total)} = ${(total / TARGET_MS).toFixed(2)}x the target (${total <= TARGET_MS ? 'met' : 'MISSED'})\n\ninjected events:\n`);
    let missed = 0;
    for (const e of expect) {
      const hit = report.findings.some((f) => f.kind === e.kind && (e.src === undefined || f.src === e.src) && (e.dst === undefined || f.dst === e.dst) && (e.dport === undefined || f.dport === e.dport));
      if (!hit) missed++;
      process.stdout.write(`  ${hit ? 'found ' : 'MISSED'}  ${e.kind.padEnd(10)} ${e.what}\n`);
    }
    if (missed > 0) process.exitCode = 1;
  } finally {
    await store.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`detect-bench: ${err.message}\n`);
  process.exit(1);
});
