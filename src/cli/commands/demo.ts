// `vantage demo`: fills the store with a synthetic week of border traffic and injected attacks.

import type { Command } from 'commander';
import { VantageError } from '../../core/errors.js';
import { DEFAULT_DEMO_OPTIONS, type DemoOptions } from '../../demo/demo-options.js';
import { scenarioList, type TimeWindow } from '../../demo/demo-scenarios.js';
import { scaleForFlows } from '../../demo/generate-demo-flows.js';
import { writeDemoFlows, type DemoProgress, type DemoWriteResult, type ExistingFlows } from '../../demo/write-demo-flows.js';
import { withStore } from '../context.js';
import { timeFlag } from '../flag-values.js';

interface DemoCliOptions {
  days?: string;
  end?: string;
  seed?: string;
  scale?: string;
  flows?: string;
  force?: boolean;
  replace?: boolean;
  quiet?: boolean;
}

function number(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.replace(/_/g, ''));
  if (text.trim() === '' || !Number.isFinite(n)) throw new VantageError('USAGE', `demo: ${flag} expects a number, not '${text}'`);
  return n;
}

/** Turns the command-line flags into generator options and the policy for a non-empty store. */
export function demoOptionsFromCli(cli: DemoCliOptions): { options: DemoOptions; existing: ExistingFlows } {
  if (cli.force && cli.replace) throw new VantageError('USAGE', 'demo: choose --force (append) or --replace (delete first), not both');
  if (cli.scale !== undefined && cli.flows !== undefined) throw new VantageError('USAGE', 'demo: choose --scale or --flows, not both');
  const base: DemoOptions = {
    days: number(cli.days, '--days'),
    end: cli.end === undefined ? undefined : timeFlag(cli.end, '--end'),
    seed: number(cli.seed, '--seed'),
  };
  const flows = number(cli.flows, '--flows');
  const scale = flows === undefined ? number(cli.scale, '--scale') : scaleForFlows(flows, base);
  return { options: { ...base, scale }, existing: cli.replace ? 'replace' : cli.force ? 'append' : 'refuse' };
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

function minute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

function windowText(w: TimeWindow): string {
  if (w.end - w.start < 120_000) return `${new Date(w.start).toISOString().slice(0, 19).replace('T', ' ')} (${Math.round((w.end - w.start) / 1000)} s)`;
  const sameDay = minute(w.start).slice(0, 10) === minute(w.end).slice(0, 10);
  return `${minute(w.start)}–${sameDay ? minute(w.end).slice(11) : minute(w.end)}`;
}

/** The summary printed after writing the demo data: volume, period, and each scenario with a query to try. */
export function formatDemoSummary(result: DemoWriteResult, location: string): string {
  const { options: o, scenarios } = result;
  const seconds = result.elapsedMs / 1000;
  const lines = [
    `Wrote ${count(result.flows)} demo flows to ${location} in ${seconds.toFixed(1)} s (${count(result.flows / Math.max(seconds, 1e-3))} flows/s)` +
      (result.replaced ? `, replacing ${count(result.previousFlows)} flows` : result.previousFlows > 0 ? `, added to ${count(result.previousFlows)} existing flows` : ''),
    `Period: ${minute(o.start)} to ${minute(o.end)} UTC (${o.days} day${o.days === 1 ? '' : 's'}), seed ${o.seed}, scale ${o.scale}`,
    'Exporters 192.0.2.1 and 192.0.2.2; inside: 10.20.0.0/16 and 2001:db8:20::/48 (web 10.20.100.10, mail .25, DNS .53/.54)',
    '',
    'Injected scenarios (ground truth: docs/demo.md, DEMO_SCENARIOS in src/demo/demo-scenarios.ts):',
  ];
  for (const s of scenarioList(scenarios)) {
    const windows = s.windows.length > 3 ? `${s.windows.length} windows from ${minute(s.windows[0]!.start)}` : s.windows.map(windowText).join(', ');
    lines.push(`  ${s.title}: ${s.summary}`, `    when: ${windows}`, `    try:  vantage query '${s.query}'`);
  }
  return `${lines.join('\n')}\n`;
}

/** A progress line on stderr, redrawn in place when stderr is a terminal. */
export function progressReporter(quiet: boolean | undefined): DemoProgress | undefined {
  if (quiet || !process.stderr.isTTY) return undefined;
  return (written, expected) => process.stderr.write(`\r  generating demo flows: ${count(written)} of ~${count(expected)}`);
}

/** Registers `vantage demo`. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('fill the store with a synthetic week of border traffic with scans, a beacon, a DDoS, C2 contacts and Log4Shell (see docs/demo.md)')
    .option('--days <n>', `days of traffic (default ${DEFAULT_DEMO_OPTIONS.days})`)
    .option('--end <time>', 'end of the period, rounded down to midnight UTC (default 2026-11-01)')
    .option('--seed <n>', `seed of the random generator: same seed, same flows (default ${DEFAULT_DEMO_OPTIONS.seed})`)
    .option('--scale <x>', 'multiply the background traffic (default 1: about 1.5 million flows a week)')
    .option('--flows <n>', 'about this many flows in total (sets --scale)')
    .option('--force', 'add the demo flows even though the store already holds flows')
    .option('--replace', 'delete every flow in the store first')
    .option('--quiet', 'no progress line')
    .action(async (cli: DemoCliOptions, command: Command) => {
      const { options, existing } = demoOptionsFromCli(cli);
      await withStore(command, async (store) => {
        const progress = progressReporter(cli.quiet);
        const result = await writeDemoFlows(store, options, existing, progress);
        if (progress) process.stderr.write('\r\x1b[K');
        process.stdout.write(formatDemoSummary(result, store.location));
      });
    });
}
