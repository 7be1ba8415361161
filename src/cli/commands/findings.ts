// `vantage findings`: the triage queue. List stored findings, show one with its evidence, and
// record verdicts: acknowledge, mark a false positive (which allow-lists the accused
// addresses), reopen, or annotate.

import { Command, Option } from 'commander';
import { VantageError } from '../../core/errors.js';
import { FINDING_STATUSES, SEVERITIES, type FindingStatus, type Severity } from '../../detect/finding.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import type { Store } from '../../store/store.js';
import { withStore } from '../context.js';
import { OUTPUT_FORMATS, toJson, type OutputFormat } from '../output.js';
import { formatFindings } from './detect.js';
import { timeFlag, wholeNumberFlag } from '../flag-values.js';

interface ListCli {
  kind?: string[];
  status?: FindingStatus;
  severity?: Severity;
  since?: string;
  limit: string;
  format: OutputFormat;
}

async function repository(store: Store): Promise<FindingsRepository> {
  const repo = new FindingsRepository(store);
  await repo.ensureTables();
  return repo;
}

function parseLimit(text: string): number {
  return wholeNumberFlag(text, '--limit');
}

/** Registers `vantage findings` and its verbs. */
export function registerFindings(program: Command): void {
  const findings = program.command('findings').description('list stored findings and record verdicts (ack, false positive, notes)');

  findings
    .command('list', { isDefault: true })
    .description('stored findings, highest score first')
    .option('--kind <kind...>', 'only these detector kinds')
    .addOption(new Option('--status <status>', 'only findings with this verdict').choices(FINDING_STATUSES))
    .addOption(new Option('--severity <severity>', 'at least this severity').choices(SEVERITIES))
    .option('--since <time>', 'active at or after (ISO 8601, epoch, or relative like -7d)')
    .option('--limit <n>', 'at most this many', '100')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (cli: ListCli, command: Command) => {
      const filter = {
        kind: cli.kind,
        status: cli.status,
        minSeverity: cli.severity,
        since: cli.since === undefined ? undefined : timeFlag(cli.since, '--since'),
        limit: parseLimit(cli.limit),
      };
      const list = await withStore(command, async (store) => (await repository(store)).list(filter));
      process.stdout.write(formatFindings(list, cli.format));
    });

  findings
    .command('show')
    .description('one finding with its scores, evidence and intelligence (JSON)')
    .argument('<id>', 'finding id or a unique prefix of it')
    .action(async (id: string, _cli: unknown, command: Command) => {
      const finding = await withStore(command, async (store) => (await repository(store)).get(id));
      process.stdout.write(`${JSON.stringify(JSON.parse(toJson(finding)), null, 2)}\n`);
    });

  const verdict = (name: string, status: FindingStatus | null, description: string, noteRequired: boolean) =>
    findings
      .command(name)
      .description(description)
      .argument('<id>', 'finding id or a unique prefix of it')
      .option('--note <text>', noteRequired ? 'why (required)' : 'a note to keep with the verdict')
      .action(async (id: string, cli: { note?: string }, command: Command) => {
        if (noteRequired && (cli.note === undefined || cli.note.trim() === '')) throw new VantageError('USAGE', `${name} needs --note saying why`);
        const updated = await withStore(command, async (store) => {
          const repo = await repository(store);
          const current = await repo.get(id);
          return repo.setVerdict(current.id, status ?? current.status, cli.note ?? null);
        });
        process.stdout.write(`${updated.id.slice(0, 10)} ${updated.kind} ${updated.status}${updated.note ? `: ${updated.note}` : ''}\n`);
      });
  verdict('ack', 'acknowledged', 'acknowledge a finding (seen, being handled)', false);
  verdict('fp', 'false-positive', "mark a false positive: its accused addresses join the allow-list 'analyst:false-positives'", true);
  verdict('reopen', 'open', 'reopen a finding (undoes ack or false positive)', false);
  verdict('note', null, 'add or replace the note of a finding', true);
}
