// `vantage playbook`: saved sequences of pivot steps. Run one (a file, a saved name or a built-in
// name) from an entity; add, list, show and remove saved ones.

import { Command, Option } from 'commander';
import { VantageError } from '../../core/errors.js';
import { openGeoDatabase } from '../../enrich/geo-database.js';
import { parseEntity } from '../../pivot/entity.js';
import { assertPivotable } from '../../pivot/pivot-graph.js';
import { builtinPlaybooks, PlaybookRepository, readPlaybookFile } from '../../pivot/playbook-repository.js';
import { runPlaybook, type PlaybookResult } from '../../pivot/run-playbook.js';
import type { ResultRow, Store } from '../../store/store.js';
import { withStore } from '../context.js';
import { formatRows, toJson } from '../output.js';
import { pivotText } from './pivot.js';
import { timeFlag, wholeNumberFlag } from '../flag-values.js';

interface RunCli {
  from?: string;
  to?: string;
  limit: string;
  format: 'json' | 'table';
  geo: boolean;
  asnDb?: string;
}

async function repository(store: Store): Promise<PlaybookRepository> {
  const repo = new PlaybookRepository(store);
  await repo.ensureTable();
  return repo;
}

/** The per-step counts, then the graph as `vantage pivot` prints it. */
export function playbookText(r: PlaybookResult): string {
  const steps = r.steps.map((s) => ({ ...s, name: s.name ?? '', follow: s.follow.join(', ') })) as unknown as ResultRow[];
  let out = `playbook ${r.playbook} from ${r.root}\n\nSteps\n`;
  out += formatRows(steps, 'table', ['step', 'name', 'follow', 'expanded', 'found', 'dropped', 'edges', 'nodes', 'truncated']);
  return `${out}\n${pivotText(r)}`;
}

/** Registers `vantage playbook`. */
export function registerPlaybook(program: Command): void {
  const playbook = program.command('playbook').description('saved sequences of pivots and filters, run from an entity');

  playbook
    .command('run')
    .description('run a playbook (a YAML/JSON file, a saved name or a built-in name) from an entity')
    .argument('<playbook>', 'file, saved name or built-in name (c2-infrastructure, domain-siblings, client-siblings)')
    .argument('<entity>', 'an address, a domain, a network, an AS number or a certificate SHA-256')
    .option('--from <time>', 'flows starting at or after (ISO 8601, epoch, or relative like -7d)')
    .option('--to <time>', 'flows starting before')
    .option('--limit <n>', 'edges kept per node and relation when a step sets none', '10')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('json'))
    .option('--no-geo', 'skip the ASN database')
    .option('--asn-db <file>', 'ASN database instead of the bundled one')
    .action(async (ref: string, text: string, cli: RunCli, command: Command) => {
      const entity = parseEntity(text);
      assertPivotable(entity);
      const limit = wholeNumberFlag(cli.limit, '--limit', { max: 1000 });
      const now = Date.now();
      const from = cli.from === undefined ? undefined : timeFlag(cli.from, '--from', now);
      const to = cli.to === undefined ? undefined : timeFlag(cli.to, '--to', now);
      const geo = cli.geo ? openGeoDatabase({ asnDb: cli.asnDb }) : undefined;
      const result = await withStore(command, async (store) => runPlaybook(store, await (await repository(store)).resolve(ref), entity, { limit, from, to, geo }));
      process.stdout.write(cli.format === 'json' ? `${toJson(result)}\n` : playbookText(result));
    });

  playbook
    .command('add')
    .description('save a playbook file under a name (replaces one of that name)')
    .argument('<name>', 'name to save it under')
    .argument('<file>', 'YAML or JSON playbook')
    .action(async (name: string, file: string, _cli: unknown, command: Command) => {
      const definition = readPlaybookFile(file);
      const saved = await withStore(command, async (store) => (await repository(store)).save(name, definition));
      process.stdout.write(`saved playbook ${saved.name} (${saved.steps.length} steps)\n`);
    });

  playbook
    .command('list')
    .description('saved and built-in playbooks')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (cli: { format: 'table' | 'json' }, command: Command) => {
      const saved = await withStore(command, async (store) => (await repository(store)).list());
      const rows = [
        ...saved.map((d) => ({ name: d.name, origin: 'saved', steps: d.body.steps.length, description: d.body.description ?? '' })),
        ...[...builtinPlaybooks()].filter(([n]) => !saved.some((d) => d.name === n)).map(([n, p]) => ({ name: n, origin: 'built-in', steps: p.steps.length, description: p.description ?? '' })),
      ];
      process.stdout.write(cli.format === 'json' ? `${toJson(rows)}\n` : formatRows(rows as unknown as ResultRow[], 'table', ['name', 'origin', 'steps', 'description']));
    });

  playbook
    .command('show')
    .description('a playbook as JSON (a saved name, a built-in name or a file)')
    .argument('<playbook>', 'name or file')
    .action(async (ref: string, _cli: unknown, command: Command) => {
      const p = await withStore(command, async (store) => (await repository(store)).resolve(ref));
      process.stdout.write(`${toJson(p)}\n`);
    });

  playbook
    .command('remove')
    .description('delete a saved playbook')
    .argument('<name>', 'saved name')
    .action(async (name: string, _cli: unknown, command: Command) => {
      const removed = await withStore(command, async (store) => (await repository(store)).remove(name));
      if (!removed) throw new VantageError('NOT_FOUND', `no saved playbook named '${name}'`);
      process.stdout.write(`removed playbook ${name}\n`);
    });
}
