// `vantage alert`: alert rules (rule add|list|remove), the outbox (list), evaluating stored
// findings against the rules (evaluate), and delivering what is due (send, with the sinks from a
// JSON file). See docs/alerting.md.

import { readSinksFile } from '../../monitor/alerts/sinks/read-sinks-file.js';
import { Command, Option } from 'commander';
import { VantageError } from '../../core/errors.js';
import { SEVERITIES } from '../../detect/finding.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import { ALERT_STATES, createAlerting, DEFAULT_UI_BASE_URL, type AlertRule, type AlertState } from '../../monitor/alerts/index.js';
import type { ResultRow } from '../../store/store.js';
import { withStore } from '../context.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { timeFlag, wholeNumberFlag } from '../flag-values.js';

interface RuleAddCli {
  sink: string[];
  kind?: string[];
  severity?: string;
  minScore?: string;
  watchlist?: string[];
  tag?: string[];
  rateMax?: string;
  rateWindow?: string;
  disabled?: boolean;
}

function wholeNumber(text: string, flag: string): number {
  return wholeNumberFlag(text, flag);
}

/** Minutes from "90", "90m", "2h" or "1d". */
export function parseWindowMinutes(text: string): number {
  const m = /^(\d+)\s*(m|h|d)?$/.exec(text.trim());
  if (!m) throw new VantageError('USAGE', `--rate-window must be minutes or a duration like 30m, 1h, 1d; got '${text}'`);
  const n = Number(m[1]) * (m[2] === 'h' ? 60 : m[2] === 'd' ? 1440 : 1);
  if (n < 1) throw new VantageError('USAGE', `--rate-window must be at least one minute, got '${text}'`);
  return n;
}


const RULE_COLUMNS = ['name', 'enabled', 'kinds', 'min_severity', 'min_score', 'watchlists', 'tags', 'sinks', 'rate_limit'];

function ruleRow(r: AlertRule): ResultRow {
  return {
    name: r.name,
    enabled: r.enabled,
    kinds: r.kinds.join(',') || '*',
    min_severity: r.minSeverity,
    min_score: r.minScore,
    watchlists: r.watchlists.join(','),
    tags: r.tags.join(','),
    sinks: r.sinks.join(','),
    rate_limit: `${r.rateLimit.max}/${r.rateLimit.windowMinutes}m`,
  };
}

/** Registers `vantage alert` and its verbs. */
export function registerAlert(program: Command): void {
  const alert = program.command('alert').description('alert rules on findings, the alert outbox, and delivery to webhook, syslog and e-mail sinks');
  const rule = alert.command('rule').description('add, list and remove alert rules');

  rule
    .command('add')
    .description('add a rule (or replace the rule of that name)')
    .argument('<name>', 'rule name: a-z, 0-9, ".", "_", "-"')
    .requiredOption('--sink <name...>', 'sinks that receive its alerts (names in the sinks file)')
    .option('--kind <kind...>', 'only findings of these kinds (default: any)')
    .addOption(new Option('--severity <severity>', 'at least this severity').choices(SEVERITIES))
    .option('--min-score <score>', 'at least this score, 0..1')
    .option('--watchlist <name...>', 'only findings involving one of these watchlists ("*": any)')
    .option('--tag <tag...>', 'only findings carrying one of these tags (e.g. partner-compromised)')
    .option('--rate-max <n>', 'at most this many alerts per window (default 20); the rest go into a summary')
    .option('--rate-window <duration>', 'rate-limit window: minutes, or 30m, 1h, 1d (default 1h)')
    .option('--disabled', 'store it switched off')
    .action(async (name: string, cli: RuleAddCli, command: Command) => {
      const minScore = cli.minScore === undefined ? undefined : Number(cli.minScore);
      if (minScore !== undefined && !(minScore >= 0 && minScore <= 1)) throw new VantageError('USAGE', `--min-score must be a number from 0 to 1, got '${cli.minScore}'`);
      const input = {
        name,
        sinks: cli.sink,
        ...(cli.kind ? { kinds: cli.kind } : {}),
        ...(cli.severity ? { minSeverity: cli.severity } : {}),
        ...(minScore !== undefined ? { minScore } : {}),
        ...(cli.watchlist ? { watchlists: cli.watchlist } : {}),
        ...(cli.tag ? { tags: cli.tag } : {}),
        rateLimit: {
          max: cli.rateMax === undefined ? 20 : wholeNumber(cli.rateMax, '--rate-max'),
          windowMinutes: cli.rateWindow === undefined ? 60 : parseWindowMinutes(cli.rateWindow),
        },
        enabled: !cli.disabled,
      };
      const stored = await withStore(command, async (store) => {
        const a = createAlerting({ store });
        await a.ensureTables();
        return a.rules.put(input);
      });
      process.stdout.write(formatRows([ruleRow(stored)], 'table'));
    });

  rule
    .command('list', { isDefault: true })
    .description('the stored rules')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (cli: { format: OutputFormat }, command: Command) => {
      const rules = await withStore(command, async (store) => {
        const a = createAlerting({ store });
        await a.ensureTables();
        return a.rules.list();
      });
      process.stdout.write(cli.format === 'json' ? `${JSON.stringify(rules, null, 2)}\n` : formatRows(rules.map(ruleRow), cli.format, RULE_COLUMNS));
    });

  rule
    .command('remove')
    .description('remove a rule (its alerts already in the outbox are still delivered)')
    .argument('<name>', 'rule name')
    .action(async (name: string, _cli: unknown, command: Command) => {
      await withStore(command, async (store) => {
        const a = createAlerting({ store });
        await a.ensureTables();
        await a.rules.remove(name);
      });
      process.stdout.write(`removed alert rule ${name}\n`);
    });

  alert
    .command('list')
    .description('alerts in the outbox with their delivery state, newest first')
    .addOption(new Option('--state <state>', 'only alerts in this state').choices(ALERT_STATES))
    .option('--rule <name>', 'only alerts of this rule')
    .option('--finding <id>', 'only alerts on this finding')
    .option('--limit <n>', 'at most this many', '100')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (cli: { state?: AlertState; rule?: string; finding?: string; limit: string; format: OutputFormat }, command: Command) => {
      const limit = wholeNumber(cli.limit, '--limit');
      const entries = await withStore(command, async (store) => {
        const a = createAlerting({ store });
        await a.ensureTables();
        return a.outbox.list({ state: cli.state, rule: cli.rule, findingId: cli.finding, limit });
      });
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
      const rows: ResultRow[] = entries.map((e) => ({
        alert: e.alert_id,
        type: e.type,
        rule: e.rule,
        sink: e.sink,
        finding: e.finding_id || null,
        severity: e.severity,
        state: e.state,
        attempts: e.attempts,
        created: iso(e.created_at),
        next_attempt: e.state === 'pending' ? iso(e.next_attempt_at) : null,
        delivered: iso(e.delivered_at),
        last_error: e.last_error,
        ...(cli.format === 'table' ? {} : { title: e.message.title, finding_url: e.message.evidence?.findingUrl ?? null }),
      }));
      process.stdout.write(formatRows(rows, cli.format));
    });

  alert
    .command('evaluate')
    .description('raise alerts for stored findings under the stored rules (repeat runs raise nothing twice)')
    .option('--since <time>', 'findings active at or after (ISO 8601, epoch, or relative like -1d)')
    .option('--ui-base-url <url>', `base URL of the UI in evidence links (default ${DEFAULT_UI_BASE_URL})`)
    .action(async (cli: { since?: string; uiBaseUrl?: string }, command: Command) => {
      if (cli.uiBaseUrl !== undefined && !/^https?:\/\/\S+$/.test(cli.uiBaseUrl)) throw new VantageError('USAGE', `--ui-base-url must be an http(s) URL, got '${cli.uiBaseUrl}'`);
      const report = await withStore(command, async (store) => {
        const findings = new FindingsRepository(store);
        await findings.ensureTables();
        const list = await findings.list({ since: cli.since === undefined ? undefined : timeFlag(cli.since, '--since'), limit: 100_000 });
        const a = createAlerting({ store, uiBaseUrl: cli.uiBaseUrl });
        return { findings: list.length, ...(await a.evaluate(list)) };
      });
      process.stdout.write(
        `${report.findings} findings: ${report.raised} alerts raised (${report.escalated} on findings that got worse), ${report.duplicates} already alerted, ${report.suppressed} held back by rate limits into ${report.summaries} summaries\n`,
      );
    });

  alert
    .command('send')
    .description('deliver the alerts that are due, once each, to the sinks of a sinks file')
    .requiredOption('--sinks <file>', 'JSON file of sink name -> settings (docs/alerting.md)')
    .option('--now', 'also retry alerts waiting on backoff now (summaries still wait for their window)')
    .action(async (cli: { sinks: string; now?: boolean }, command: Command) => {
      const sinks = readSinksFile(cli.sinks);
      const { report, expedited } = await withStore(command, async (store) => {
        const a = createAlerting({ store, sinks });
        try {
          await a.ensureTables();
          const expedited = cli.now ? await a.outbox.expedite(Date.now()) : 0;
          return { report: await a.deliverDue(), expedited };
        } finally {
          await a.close();
        }
      });
      const lines = [`${report.attempted} attempted${expedited ? ` (${expedited} brought forward)` : ''}: ${report.delivered} delivered, ${report.failed} failed`];
      for (const f of report.failures) lines.push(`  ${f.id} to ${f.sink}: ${f.error} (next attempt ${new Date(f.nextAttemptAt).toISOString()})`);
      process.stdout.write(`${lines.join('\n')}\n`);
      if (report.failed > 0) process.exitCode = 1;
    });
}
