// `vantage watchlist`: the partners, suppliers, peers and our own perimeter that findings are
// checked against. Add or replace a watchlist (from flags or a JSON file), add and remove
// members, list and show them.

import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { VantageError } from '../../core/errors.js';
import { CRITICALITIES, WATCHLIST_KINDS } from '../../monitor/watchlists/watchlist.js';
import { WatchlistRepository } from '../../monitor/watchlists/watchlist-repository.js';
import type { Store } from '../../store/store.js';
import { withStore } from '../context.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';

async function repository(store: Store): Promise<WatchlistRepository> {
  const repo = new WatchlistRepository(store);
  await repo.ensureTables();
  return repo;
}

/** A JSON file of one watchlist or an array of them; errors name the file. */
function readWatchlistFile(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new VantageError('IMPORT_FILE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file });
  }
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? value : [value];
  } catch (err) {
    throw new VantageError('IMPORT_FORMAT', `${file} is not JSON: ${(err as Error).message}`, { file });
  }
}

interface AddCli {
  kind: string;
  owner?: string;
  criticality: string;
  contact?: string[];
  description?: string;
  file?: string;
}

/** Registers `vantage watchlist`. */
export function registerWatchlist(program: Command): void {
  const watchlist = program.command('watchlist').description('watched partners, suppliers, peers and our perimeter (networks, hosts, AS numbers, domains)');

  watchlist
    .command('add')
    .description('create or replace a watchlist with its members (or load watchlists from --file)')
    .argument('[name]', 'watchlist name')
    .argument('[members...]', 'networks (CIDR), addresses, AS numbers (AS64500) or domains')
    .addOption(new Option('--kind <kind>', 'what it watches').choices(WATCHLIST_KINDS).default('partner'))
    .option('--owner <text>', 'who the watched organisation is, or who owns the list')
    .addOption(new Option('--criticality <level>', 'how much it matters').choices(CRITICALITIES).default('medium'))
    .option('--contact <text>', 'who to call (repeat the option for several)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--description <text>', 'free text')
    .option('--file <json>', 'a JSON watchlist or an array of them ({name, kind, owner, criticality, contacts, members})')
    .action(async (name: string | undefined, members: string[], cli: AddCli, command: Command) => {
      const inputs = cli.file
        ? readWatchlistFile(cli.file)
        : [{ name, kind: cli.kind, owner: cli.owner, criticality: cli.criticality, contacts: cli.contact, description: cli.description, members }];
      if (!cli.file && !name) throw new VantageError('USAGE', 'watchlist add needs a name (or --file)');
      const saved = await withStore(command, async (store) => {
        const repo = await repository(store);
        const out = [];
        for (const input of inputs) out.push(await repo.put(input));
        return out;
      });
      for (const w of saved) process.stdout.write(`watchlist ${w.name}: ${w.kind}, ${w.criticality}, ${w.members.length} members\n`);
    });

  watchlist
    .command('members')
    .description('add or remove members of a watchlist')
    .argument('<name>', 'watchlist name')
    .option('--add <member...>', 'members to add')
    .option('--remove <member...>', 'members to remove')
    .action(async (name: string, cli: { add?: string[]; remove?: string[] }, command: Command) => {
      if (!cli.add && !cli.remove) throw new VantageError('USAGE', 'give --add or --remove members');
      const w = await withStore(command, async (store) => {
        const repo = await repository(store);
        let out = await repo.require(name);
        if (cli.add) out = await repo.addMembers(name, cli.add);
        if (cli.remove) out = await repo.removeMembers(name, cli.remove);
        return out;
      });
      process.stdout.write(`watchlist ${w.name}: ${w.members.length} members\n`);
    });

  watchlist
    .command('list', { isDefault: true })
    .description('the watchlists')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (cli: { format: OutputFormat }, command: Command) => {
      const lists = await withStore(command, async (store) => (await repository(store)).list());
      if (cli.format === 'json') {
        process.stdout.write(`${JSON.stringify(lists, null, 2)}\n`);
        return;
      }
      const rows = lists.map((w) => ({ name: w.name, kind: w.kind, criticality: w.criticality, owner: w.owner, members: w.members.length, contacts: w.contacts.join(', ') }));
      process.stdout.write(formatRows(rows, cli.format, ['name', 'kind', 'criticality', 'owner', 'members', 'contacts']));
    });

  watchlist
    .command('show')
    .description('one watchlist with its members (JSON)')
    .argument('<name>', 'watchlist name')
    .action(async (name: string, _cli: unknown, command: Command) => {
      const w = await withStore(command, async (store) => (await repository(store)).require(name));
      process.stdout.write(`${JSON.stringify(w, null, 2)}\n`);
    });

  watchlist
    .command('remove')
    .description('delete a watchlist')
    .argument('<name>', 'watchlist name')
    .action(async (name: string, _cli: unknown, command: Command) => {
      const gone = await withStore(command, async (store) => (await repository(store)).remove(name));
      if (!gone) throw new VantageError('NOT_FOUND', `no watchlist '${name}'`);
      process.stdout.write(`watchlist ${name} removed\n`);
    });
}
