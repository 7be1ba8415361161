// `vantage monitor`: saved queries, pivots, detection runs and asset watches on a cron schedule,
// each run's answer kept; `run` runs what is due (or one monitor now) and reports what is new
// and what is outside the expected range.

import { readSinksFile } from '../../monitor/alerts/sinks/read-sinks-file.js';
import { Command, Option } from 'commander';
import { VantageError } from '../../core/errors.js';
import { parseDuration } from '../../core/time.js';
import { MONITOR_KINDS } from '../../monitor/jobs/monitor-job.js';
import type { MonitorRun } from '../../monitor/jobs/monitor-run-table.js';
import { createMonitoring } from '../../monitor/create-monitoring.js';
import { withStore } from '../context.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { wholeNumberFlag } from '../flag-values.js';

interface AddCli {
  kind: string;
  schedule: string;
  query?: string;
  entity?: string;
  depth: string;
  detectors?: string[];
  window?: string;
  raise: boolean;
  threshold: string;
  description?: string;
  disabled?: boolean;
}


function runRow(r: MonitorRun): Record<string, string | number> {
  return {
    monitor: r.monitor,
    slot: new Date(r.slot).toISOString(),
    status: r.status,
    rows: r.rows,
    new: r.newValues.length,
    anomalies: r.anomalies.length,
    findings: r.findings.length,
    note: r.error ?? [...r.newValues.slice(0, 3), ...r.anomalies.slice(0, 2).map((a) => `${a.key}: ${a.value} (${Math.round(a.low)}..${Math.round(a.high)})`)].join('; '),
  };
}

function printRuns(runs: readonly MonitorRun[], format: OutputFormat): void {
  if (format === 'json') process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
  else process.stdout.write(formatRows(runs.map(runRow), format, ['monitor', 'slot', 'status', 'rows', 'new', 'anomalies', 'findings', 'note']));
}

/** Registers `vantage monitor`. */
export function registerMonitor(program: Command): void {
  const monitor = program.command('monitor').description('saved queries, pivots and detections on a schedule, with memory of earlier answers');

  monitor
    .command('add')
    .description('save a monitor (replacing one of the same name keeps its history)')
    .argument('<name>', 'monitor name')
    .addOption(new Option('--kind <kind>', 'what it runs').choices(MONITOR_KINDS).default('query'))
    .requiredOption('--schedule <cron>', "cron expression, UTC ('*/15 * * * *' = every quarter hour)")
    .option('--query <text>', 'query: the query-language text')
    .option('--entity <entity>', 'pivot: the entity to pivot from')
    .option('--depth <n>', 'pivot: steps from the entity', '1')
    .option('--detectors <kind...>', 'detect: detector kinds (default all)')
    .option('--window <duration>', 'how far back each run looks (default: the interval between runs), e.g. 1h, 1d')
    .option('--no-raise', 'do not raise findings for new values and anomalies')
    .option('--threshold <k>', 'anomaly threshold in scaled MADs from the median', '3.5')
    .option('--description <text>', 'free text')
    .option('--disabled', 'save it without scheduling it')
    .action(async (name: string, cli: AddCli, command: Command) => {
      let windowMs: number | undefined;
      if (cli.window !== undefined) {
        windowMs = parseDuration(cli.window);
        if (windowMs === undefined || windowMs <= 0) throw new VantageError('USAGE', `--window '${cli.window}' is not a duration (e.g. 15m, 1h, 7d)`);
      }
      const job = await withStore(command, async (store) =>
        (await createMonitoring(store)).monitors.add({
          name,
          kind: cli.kind,
          schedule: cli.schedule,
          query: cli.query,
          entity: cli.entity,
          depth: Number(cli.depth),
          detectors: cli.detectors ?? [],
          windowMs,
          raise: cli.raise,
          threshold: Number(cli.threshold),
          description: cli.description ?? '',
          enabled: !cli.disabled,
        }),
      );
      process.stdout.write(`monitor ${job.name}: ${job.kind} on '${job.schedule}'${job.enabled ? '' : ' (disabled)'}\n`);
    });

  monitor
    .command('list', { isDefault: true })
    .description('saved monitors')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (cli: { format: OutputFormat }, command: Command) => {
      const jobs = await withStore(command, async (store) => (await createMonitoring(store)).monitors.list());
      if (cli.format === 'json') {
        process.stdout.write(`${JSON.stringify(jobs, null, 2)}\n`);
        return;
      }
      const rows = jobs.map((j) => ({ name: j.name, kind: j.kind, schedule: j.schedule, enabled: String(j.enabled), what: j.query ?? j.entity ?? (j.detectors.join(' ') || (j.kind === 'detect' ? 'all' : 'watched assets')) }));
      process.stdout.write(formatRows(rows, cli.format, ['name', 'kind', 'schedule', 'enabled', 'what']));
    });

  monitor
    .command('run')
    .description('run every scheduled slot that is due (oldest first, each once), or --now one monitor immediately')
    .argument('[names...]', 'only these monitors')
    .option('--now', 'run the named monitors now, outside their schedule')
    .option('--sinks <file>', 'JSON file of alert sink name -> settings (docs/alerting.md): due alerts are delivered after the runs')
    .option('--ui-base-url <url>', 'base URL of the UI in alert evidence links')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (names: string[], cli: { now?: boolean; sinks?: string; uiBaseUrl?: string; format: OutputFormat }, command: Command) => {
      if (cli.now && names.length === 0) throw new VantageError('USAGE', 'monitor run --now needs the monitor names');
      const sinks = cli.sinks ? readSinksFile(cli.sinks) : undefined;
      const runs = await withStore(command, async (store) => {
        const monitoring = await createMonitoring(store, { ...(sinks ? { sinks } : {}), ...(cli.uiBaseUrl ? { uiBaseUrl: cli.uiBaseUrl } : {}) });
        try {
          if (cli.now) {
            const out: MonitorRun[] = [];
            for (const n of names) out.push(await monitoring.monitors.runNow(n));
            return out;
          }
          for (const n of names) await monitoring.monitors.get(n);
          return (await monitoring.monitors.runDue(names.length > 0 ? names : undefined)).runs;
        } finally {
          await monitoring.close();
        }
      });
      printRuns(runs, cli.format);
    });

  monitor
    .command('history')
    .description("a monitor's runs, newest first")
    .argument('<name>', 'monitor name')
    .option('--limit <n>', 'at most this many runs', '20')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (name: string, cli: { limit: string; format: OutputFormat }, command: Command) => {
      const limit = wholeNumberFlag(cli.limit, '--limit');
      const runs = await withStore(command, async (store) => (await createMonitoring(store)).monitors.history(name, limit));
      printRuns(runs, cli.format);
    });

  monitor
    .command('remove')
    .description('delete a monitor with its state and history')
    .argument('<name>', 'monitor name')
    .action(async (name: string, _cli: unknown, command: Command) => {
      const gone = await withStore(command, async (store) => (await createMonitoring(store)).monitors.remove(name));
      if (!gone) throw new VantageError('NOT_FOUND', `no monitor '${name}'`);
      process.stdout.write(`monitor ${name} removed\n`);
    });
}
