// `vantage start`: loads the demo data into an empty store, then walks a new user through a few
// investigations, each with the command to type and its answer. `vantage start --serve` (what
// `npm start` runs) serves the web UI on that data instead, with the queries to try there.

import type { Command } from 'commander';
import { VantageError } from '../../core/errors.js';
import { DEMO_SCENARIOS, type DemoScenarios } from '../../demo/demo-scenarios.js';
import { writeDemoFlows } from '../../demo/write-demo-flows.js';
import { runWatchedDetections } from '../../monitor/watched-detections.js';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import { runQuery } from '../../query/run-query.js';
import type { Store } from '../../store/store.js';
import { describeError, withStore } from '../context.js';
import { formatRows } from '../output.js';
import { formatDemoSummary, progressReporter } from './demo.js';
import { serveConfig, serveStore } from './serve.js';
import { createStore, resolveStoreUrl } from '../../services/store-factory.js';
import { globalOptions } from '../context.js';

/** One step of the walk-through. */
export interface Investigation {
  readonly title: string;
  /** Why an analyst runs it and what to look for in the answer. */
  readonly explain: string;
  readonly query: string;
}

const s = DEMO_SCENARIOS;

/** The walk-through, in the order an analyst might go: overview first, then each lead. */
export const WALKTHROUGH: readonly Investigation[] = [
  {
    title: 'Top talkers',
    explain: 'Who sent the most bytes this week? Our web server, CDNs and the mail server: normal traffic, the kind an allow-list keeps flowing.',
    query: 'any | top 10 src by bytes',
  },
  {
    title: 'The scanner',
    explain: `Single SYN packets to telnet, counted by source: ${s.horizontalScan.scanner} stands out far above the internet's background noise (it came back on ${s.horizontalScan.windows.length} days).`,
    query: `${s.horizontalScan.query} | limit 5`,
  },
  {
    title: 'The beacon',
    explain: `HTTPS destinations of workstation ${s.beacon.host}: one address gets a connection every minute, day and night.`,
    query: `${s.beacon.query} | limit 5`,
  },
  {
    title: 'The DDoS victim',
    explain: `UDP towards the web server, minute by minute: a ${s.ddos.minuteProfile.length}-minute reflection flood from ${s.ddos.groups.reduce((n, g) => n + g.reflectors, 0).toLocaleString('en-US')} NTP and DNS servers.`,
    query: s.ddos.query,
  },
  {
    title: 'Contacts with a known C2',
    explain: `Everything that talked to ${s.c2Contacts.c2}, a known C2 server: each internal source is a host to check.`,
    query: s.c2Contacts.query,
  },
];

/** Commands of the scenarios the walk-through leaves for the user to find. */
const MORE = [
  { what: 'the vertical scan of the web server', query: `${s.verticalScan.query} | limit 5` },
  { what: 'Log4Shell probes and the LDAP callbacks that followed', query: s.log4j.query },
];

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

async function runStep(store: Store, step: Investigation, index: number): Promise<string> {
  let answer: string;
  try {
    const result = await runQuery(store, step.query);
    answer = formatRows(result.rows, 'table', result.columns);
  } catch (err) {
    // One broken step should not end the tour: show the error where the answer would be.
    answer = `${err instanceof VantageError ? describeError(err) : `error: ${(err as Error).message}`}\n`;
  }
  return `${index + 1}. ${step.title}\n   ${step.explain}\n\n   $ vantage query ${shellQuote(step.query)}\n\n${answer.replace(/^(?=.)/gm, '   ')}\n`;
}

/** Registers `vantage start`. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('guided tour: load the demo data into an empty store and run a few investigations on it')
    .option('--quiet', 'no progress line while the demo data is generated')
    .option('--serve', 'then serve the web UI and API on the data (what `npm start` does) instead of printing the tour')
    .option('--port <n>', 'with --serve: TCP port (default 8080)')
    .option('--host <address>', 'with --serve: address to listen on (default 127.0.0.1)')
    .action(async (cli: { quiet?: boolean; serve?: boolean; port?: string; host?: string }, command: Command) => {
      if (cli.serve) {
        const config = serveConfig(cli);
        const url = resolveStoreUrl(globalOptions(command));
        const store = createStore(url);
        await store.open();
        try {
          const intro = await loadDemoIfEmpty(store, cli.quiet);
          await serveStore(store, url, config, `${intro}${suggestions()}\n`);
        } finally {
          await store.close();
        }
        return;
      }
      await withStore(command, async (store) => {
        const out = process.stdout;
        out.write(await loadDemoIfEmpty(store, cli.quiet));
        out.write('A short tour. Each step shows the command to type and its answer.\n\n');
        for (const [i, step] of WALKTHROUGH.entries()) out.write(await runStep(store, step, i));
        out.write('Still hidden in the data, for you to find:\n');
        for (const m of MORE) out.write(`  ${m.what}:\n    vantage query ${shellQuote(m.query)}\n`);
        out.write('\nThe ground truth of every scenario is in docs/demo.md. Run any query with --format json|csv, or --from/--to to narrow the time.\n');
        out.write("To explore it in the browser: 'npm start' (or 'vantage start --serve').\n");
      });
    });
}

/** Loads the demo dataset into an empty store; returns what to tell the user either way. */
async function loadDemoIfEmpty(store: Store, quiet: boolean | undefined): Promise<string> {
  const { flows } = await store.stats();
  if (flows === 0) {
    process.stdout.write(`The store ${store.location} is empty: loading the demo dataset (a synthetic week of border traffic).\n`);
    const progress = progressReporter(quiet);
    const result = await writeDemoFlows(store, {}, 'refuse', progress);
    if (progress) process.stderr.write('\r\x1b[K');
    return `${formatDemoSummary(result, store.location)}\n${await detectOnDemo(store, result.scenarios)}`;
  }
  return (
    `The store ${store.location} already holds ${flows.toLocaleString('en-US')} flows; the tour runs on them.\n` +
    `(The explanations describe the demo data: 'vantage demo --replace' resets the store to it.)\n\n`
  );
}

/**
 * Gives the demo's known C2 to the intelligence store (as the feed an analyst would have) and
 * runs every detector over the demo week, so the Findings page and `vantage findings` have
 * something to triage on first start.
 */
async function detectOnDemo(store: Store, scenarios: DemoScenarios): Promise<string> {
  const c2 = scenarios.c2Contacts;
  const repository = new IndicatorRepository(store);
  await repository.ensureTables();
  await repository.save({
    feed: 'list',
    source: 'demo:known-c2',
    indicators: [
      {
        source: 'demo:known-c2', type: 'ip', value: c2.c2, kind: 'threat', feed: 'list', family: null, tags: ['c2'], confidence: 90,
        reference: 'docs/demo.md', attrs: {}, detect: true, file: 'demo', line: 1, raw: c2.c2, firstSeen: null, lastSeen: null, validUntil: null,
      },
    ],
    problems: [],
    meta: { title: "the demo's known C2 server" },
    entries: 1,
  });
  const report = await runWatchedDetections(store, { kinds: ['all'], from: scenarios.range.start, to: scenarios.range.end });
  const byKind = new Map<string, number>();
  for (const f of report.findings) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  const counts = [...byKind.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
  return `Detections over the week: ${report.findings.length} findings (${counts}); list them with 'vantage findings' or on the Findings page.\n`;
}

/** The walk-through's queries, to paste into the UI's query bar. */
function suggestions(): string {
  const lines = ['Queries to try in the UI (paste one into the query bar and press Enter):'];
  for (const step of WALKTHROUGH) lines.push(`  ${step.title}: ${step.query}`);
  for (const m of MORE) lines.push(`  ${m.what}: ${m.query}`);
  return `${lines.join('\n')}\n`;
}
