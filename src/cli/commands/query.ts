// `vantage query`: runs the query language against the store and prints the rows.

import { Command, Option } from 'commander';
import { runQuery } from '../../query/run-query.js';
import { withStore } from '../context.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { timeFlag, wholeNumberFlag } from '../flag-values.js';

interface QueryOptions {
  format: OutputFormat;
  from?: string;
  to?: string;
  limit: string;
}

/** Registers `vantage query`. */
export function registerQuery(program: Command): void {
  program
    .command('query')
    .description("query flows with nfdump filter syntax and pipeline stages, e.g. 'dst port 443 | top 10 src by bytes'")
    .argument('<expression...>', 'filter, optionally followed by | count, | top N FIELD by bytes, | timeline 1h ...')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('--from <time>', 'flows starting at or after (ISO 8601, epoch, or relative like -24h)')
    .option('--to <time>', 'flows starting before')
    .option('--limit <n>', 'maximum flows listed when the query has no aggregation or limit (0 = all)', '1000')
    .action(async (expression: string[], options: QueryOptions, command: Command) => {
      const text = expression.join(' ');
      const now = Date.now();
      const bounds = {
        from: options.from === undefined ? undefined : timeFlag(options.from, '--from', now),
        to: options.to === undefined ? undefined : timeFlag(options.to, '--to', now),
        listLimit: wholeNumberFlag(options.limit, '--limit', { min: 0 }) || undefined,
      };
      const result = await withStore(command, (store) => runQuery(store, text, bounds));
      process.stdout.write(formatRows(result.rows, options.format, result.columns));
    });
}
