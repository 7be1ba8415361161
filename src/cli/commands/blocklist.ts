// `vantage blocklist`: build a block list now from findings and intelligence (plain, CSV, JSON,
// nftables or ipset), with the entries the safety check held back explained on stderr; save a
// list's criteria under a name, list, show (build) and remove saved lists.

import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { VantageError } from '../../core/errors.js';
import { BLOCK_ROLES, BLOCKLIST_FORMATS, parseCriteria, type BlocklistCriteriaInput, type BlocklistFormat } from '../../share/blocklist/blocklist-criteria.js';
import { formatBlocklist } from '../../share/blocklist/blocklist-format.js';
import { BlocklistRepository } from '../../share/blocklist/blocklist-repository.js';
import type { BlockList } from '../../share/blocklist/blocklist.js';
import { buildBlocklist } from '../../share/blocklist/build-blocklist.js';
import type { Store } from '../../store/store.js';
import { withStore } from '../context.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { timeFlag } from '../flag-values.js';

interface CriteriaCli {
  fromFindings?: boolean;
  kinds?: string[];
  roles?: string[];
  minScore?: string;
  fromIntel?: boolean;
  feeds?: string[];
  tags?: string[];
  minConfidence?: string;
  seen?: boolean;
  expire?: string;
  lookback?: string;
  minPeers?: string;
  minFlows?: string;
  minBytes?: string;
  internal?: string[];
  allowReserved?: boolean;
  allowBroad?: boolean;
}

interface OutputCli {
  format: BlocklistFormat;
  table?: string;
  set?: string;
  explain?: boolean;
  out?: string;
  now?: string;
}

function number(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new VantageError('USAGE', `${option} takes a number, not '${text}'`);
  return n;
}

/** The criteria the flags give (only what was given: a saved list keeps the user's choices, defaults apply at build time). */
export function criteriaFromFlags(cli: CriteriaCli): BlocklistCriteriaInput {
  const fromIntel = cli.fromIntel === true;
  const safety: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    if (value !== undefined) safety[key] = value;
  };
  put('lookback', cli.lookback);
  put('minPeers', number(cli.minPeers, '--min-peers'));
  put('minFlows', number(cli.minFlows, '--min-flows'));
  put('minBytes', number(cli.minBytes, '--min-bytes'));
  put('internalNetworks', cli.internal);
  if (cli.allowReserved) safety.allowReserved = true;
  if (cli.allowBroad) safety.allowBroad = true;
  const out: Record<string, unknown> = {
    // Neither source named: findings. --from-intel alone: intelligence alone.
    fromFindings: cli.fromFindings === true || !fromIntel,
    fromIntel,
  };
  if (cli.kinds) out.kinds = cli.kinds;
  if (cli.roles) out.roles = cli.roles;
  if (cli.minScore !== undefined) out.minScore = number(cli.minScore, '--min-score');
  if (cli.feeds) out.feeds = cli.feeds;
  if (cli.tags) out.tags = cli.tags;
  if (cli.minConfidence !== undefined) out.minConfidence = number(cli.minConfidence, '--min-confidence');
  if (cli.seen) out.seenOnly = true;
  if (cli.expire !== undefined) out.expire = cli.expire;
  if (Object.keys(safety).length > 0) out.safety = safety;
  parseCriteria(out);
  return out as BlocklistCriteriaInput;
}

/** The criteria options, shared by `build` and `save`. */
function criteriaOptions(c: Command): Command {
  return c
    .option('--from-findings', 'attacker-side addresses of stored findings (the default source)')
    .option('--kinds <kind...>', 'finding kinds (scan, bruteforce, c2, beacon, ddos, repeat, log4j, partner-compromised); default all')
    .addOption(new Option('--roles <role...>', `finding roles blocked (default all: ${BLOCK_ROLES.join(', ')})`).choices(BLOCK_ROLES))
    .option('--min-score <0..1>', 'leave out findings scoring below this')
    .option('--from-intel', 'address, network and address:port indicators of threat feeds')
    .option('--feeds <source...>', 'feed sources or prefixes (ipsum, maltrail, spamhaus:drop); default every threat feed')
    .option('--tags <tag...>', 'indicators carrying one of these tags')
    .option('--min-confidence <0..100>', 'leave out indicators below this confidence (and those stating none)')
    .option('--seen', 'only indicators seen in stored flows over the lookback')
    .option('--expire <duration>', "an entry leaves the list this long after its last activity (default 7d), or 'never'")
    .option('--lookback <duration>', 'two-way traffic counted over this span before the newest flow (default 30d)')
    .option('--min-peers <n>', 'internal peers with established two-way TCP that protect an address (default 10)')
    .option('--min-flows <n>', 'or this many two-way flows (default 20)...')
    .option('--min-bytes <n>', '...with this many bytes each way (default 10000)')
    .option('--internal <cidr...>', 'our networks for the two-way count (default: the perimeter watchlists)')
    .option('--allow-reserved', 'let private, loopback, multicast and documentation space through')
    .option('--allow-broad', 'let networks broader than /16 (IPv4) or /32 (IPv6) through');
}

function outputOptions(c: Command): Command {
  return c
    .addOption(new Option('--format <format>', 'plain (one value per line), csv, json, nft (nftables script), ipset (ipset restore)').choices(BLOCKLIST_FORMATS).default('plain'))
    .option('--table <name>', 'nftables table (family inet)', 'vantage')
    .option('--set <name>', 'set name stem: <set>_v4 and <set>_v6', 'vantage_block')
    .option('--explain', 'print the entries held back, with every reason, on stderr')
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--now <time>', 'build as of this time (expiry is judged against it; default now)');
}

/** Writes the list and, with --explain, the held entries. */
function emit(list: BlockList, cli: OutputCli): void {
  const text = formatBlocklist(list, cli.format, { table: cli.table, set: cli.set });
  if (cli.out) writeFileSync(cli.out, text);
  else process.stdout.write(text);
  if (cli.explain) {
    for (const h of list.held) process.stderr.write(`held ${h.value}: ${h.held.map((r) => `${r.rule}: ${r.detail}`).join('; ')}\n`);
  }
  if (cli.explain || cli.out) process.stderr.write(`${list.entries.length} entries, ${list.held.length} held back${cli.out ? `, written to ${cli.out}` : ''}\n`);
}

async function repository(store: Store): Promise<BlocklistRepository> {
  const repo = new BlocklistRepository(store);
  await repo.ensureTables();
  return repo;
}

/** Registers `vantage blocklist`. */
export function registerBlocklist(program: Command): void {
  const blocklist = program.command('blocklist').description('block lists from findings and intelligence, safety-checked (plain, CSV, JSON, nftables, ipset; saved lists for the EDL URL)');

  outputOptions(criteriaOptions(blocklist.command('build').description('build a block list now'))).action(async (cli: CriteriaCli & OutputCli, command: Command) => {
    const criteria = parseCriteria(criteriaFromFlags(cli));
    const now = cli.now === undefined ? undefined : timeFlag(cli.now, '--now');
    const list = await withStore(command, (store) => buildBlocklist(store, criteria, { now }));
    emit(list, cli);
  });

  criteriaOptions(blocklist.command('save').description('save a block list (its criteria) under a name; GET /api/blocklists/NAME/edl serves it'))
    .argument('<name>', 'list name (letters, digits, . _ -)')
    .option('--description <text>', 'what the list is for')
    .action(async (name: string, cli: CriteriaCli & { description?: string }, command: Command) => {
      const criteria = criteriaFromFlags(cli);
      const saved = await withStore(command, async (store) => (await repository(store)).save({ name, description: cli.description, criteria, savedBy: 'cli' }));
      process.stdout.write(`block list ${saved.name} saved: ${JSON.stringify(saved.criteria)}\n`);
    });

  blocklist
    .command('list')
    .description('the saved block lists')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (cli: { format: OutputFormat }, command: Command) => {
      const lists = await withStore(command, async (store) => (await repository(store)).list());
      if (cli.format === 'json') {
        process.stdout.write(`${JSON.stringify(lists, null, 2)}\n`);
        return;
      }
      const rows = lists.map((l) => ({ name: l.name, description: l.description, criteria: JSON.stringify(l.criteria), saved_by: l.savedBy, saved_at: l.savedAt }));
      process.stdout.write(formatRows(rows, cli.format, ['name', 'description', 'criteria', 'saved_by', 'saved_at']));
    });

  outputOptions(blocklist.command('show').description('build a saved block list now').argument('<name>', 'list name')).action(async (name: string, cli: OutputCli, command: Command) => {
    const now = cli.now === undefined ? undefined : timeFlag(cli.now, '--now');
    const list = await withStore(command, async (store) => {
      const saved = await (await repository(store)).require(name);
      return buildBlocklist(store, parseCriteria(saved.criteria), { name, now });
    });
    emit(list, cli);
  });

  blocklist
    .command('remove')
    .description('delete a saved block list')
    .argument('<name>', 'list name')
    .action(async (name: string, _cli: unknown, command: Command) => {
      const gone = await withStore(command, async (store) => (await repository(store)).remove(name));
      if (!gone) throw new VantageError('NOT_FOUND', `no block list '${name}'`);
      process.stdout.write(`block list ${name} removed\n`);
    });
}
