// `vantage hunt`: the retro-hunt over stored flows against every active indicator, reporting
// sightings (indicator, source, family, src, dst, dport, first, last, flows, bytes).

import { Command, Option } from 'commander';
import { loadIntelIndex } from '../../enrich/create-enricher.js';
import { retroHunt } from '../../intel/retro-hunt.js';
import type { ResultRow } from '../../store/store.js';
import { withStore } from '../context.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { timeFlag } from '../flag-values.js';

interface HuntCli {
  since?: string;
  until?: string;
  source?: string;
  format: OutputFormat;
}

const COLUMNS = ['indicator', 'type', 'source', 'family', 'tag', 'side', 'src', 'dst', 'dport', 'proto', 'first', 'last', 'flows', 'bytes', 'packets', 'allowed'];

/** Registers `vantage hunt`. */
export function registerHunt(program: Command): void {
  program
    .command('hunt')
    .description('match the stored flows against all indicators, including ones loaded after the traffic: sightings per indicator and conversation')
    .option('--since <time>', 'flows starting at or after (ISO 8601, epoch, or relative like -7d)')
    .option('--until <time>', 'flows starting before')
    .option('--source <text>', 'only indicators whose source name contains this (e.g. maltrail:emotet)')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (cli: HuntCli, command: Command) => {
      const now = Date.now();
      const options = {
        since: cli.since === undefined ? undefined : timeFlag(cli.since, '--since', now),
        until: cli.until === undefined ? undefined : timeFlag(cli.until, '--until', now),
        source: cli.source,
      };
      const { sightings, stats } = await withStore(command, async (store) => retroHunt(store, await loadIntelIndex(store, now), options));
      const rows = sightings.map((s) => ({ ...s, allowed: [...s.allowed] })) as unknown as ResultRow[];
      process.stdout.write(formatRows(rows, cli.format, COLUMNS));
      process.stderr.write(
        `hunt: ${stats.addresses} distinct addresses, ${stats.matchedAddresses} matched, ${stats.conversations} conversations, ${stats.sightings} sightings in ${(stats.ms / 1000).toFixed(1)} s\n`,
      );
    });
}
