// `vantage store ddl|migrate|stats|copy`: inspect, migrate and move the flow store.

import { Command } from 'commander';
import { duckDbMigrations } from '../../store/duckdb/duckdb-schema.js';
import { clickHouseMigrations, rollupViewUpdates } from '../../store/clickhouse/clickhouse-schema.js';
import { copyFlows } from '../../services/copy-flows.js';
import { createStore, resolveStoreUrl, storeOptionsFromEnv } from '../../services/store-factory.js';
import { globalOptions, withStore } from '../context.js';
import { toJson } from '../output.js';
import { wholeNumberFlag } from '../flag-values.js';

interface SchemaFlags {
  cluster?: string;
  retentionDays?: string;
}

function retention(flags: SchemaFlags): number | undefined {
  if (flags.retentionDays === undefined) return undefined;
  return wholeNumberFlag(flags.retentionDays, '--retention-days');
}

/** Registers the `store` command group. */
export function registerStore(program: Command): void {
  const store = program.command('store').description('inspect, migrate and copy the flow store');

  store
    .command('ddl')
    .description('print the schema statements for the selected store, to review before migrating')
    .option('--cluster <name>', 'ClickHouse cluster: ReplicatedMergeTree local tables and a Distributed table')
    .option('--retention-days <n>', 'drop flows older than this (ClickHouse TTL)')
    .action((flags: SchemaFlags, command: Command) => {
      const url = resolveStoreUrl(globalOptions(command));
      const schema = /^(clickhouse|clickhouses|chdb):/.test(url)
        ? {
            database: url.startsWith('chdb:') ? 'vantage' : new URL(url).pathname.replace(/^\//, '') || 'vantage',
            cluster: flags.cluster ?? storeOptionsFromEnv().cluster,
            retentionDays: retention(flags) ?? storeOptionsFromEnv().retentionDays,
          }
        : undefined;
      const statements = schema ? clickHouseMigrations(schema) : duckDbMigrations();
      process.stdout.write(statements.map((s) => `${s};\n`).join('\n'));
      // Run by `store migrate` only on a store whose view an older version made.
      for (const update of schema ? rollupViewUpdates(schema) : []) {
        process.stdout.write(`\n-- when ${update.view} lacks ${update.markers.map((m) => `'${m}'`).join(', ')} (made by an older version):\n${update.statement};\n`);
      }
    });

  store
    .command('migrate')
    .description('create or bring the schema up to date (idempotent)')
    .option('--cluster <name>', 'ClickHouse cluster name')
    .option('--retention-days <n>', 'drop flows older than this (ClickHouse TTL)')
    .action(async (flags: SchemaFlags, command: Command) => {
      const options = { ...storeOptionsFromEnv(), cluster: flags.cluster ?? storeOptionsFromEnv().cluster, retentionDays: retention(flags) ?? storeOptionsFromEnv().retentionDays };
      const target = createStore(resolveStoreUrl(globalOptions(command)), options);
      await target.open();
      await target.close();
      process.stderr.write(`schema of ${target.location} is up to date\n`);
    });

  store
    .command('stats')
    .description('flows, time span and size on disk')
    .action(async (_flags: unknown, command: Command) => {
      const stats = await withStore(command, (s) => s.stats());
      process.stdout.write(
        `${toJson({
          flows: stats.flows,
          first: stats.firstFlow === undefined ? null : new Date(stats.firstFlow).toISOString(),
          last: stats.lastFlow === undefined ? null : new Date(stats.lastFlow).toISOString(),
          bytes_on_disk: stats.bytesOnDisk ?? null,
          bytes_per_flow: stats.bytesOnDisk && stats.flows ? Number((stats.bytesOnDisk / stats.flows).toFixed(2)) : null,
        })}\n`,
      );
    });

  store
    .command('copy')
    .description('copy every flow from one store to another, window by window; rerun to resume')
    .requiredOption('--from <url>', 'source store URL')
    .requiredOption('--to <url>', 'target store URL')
    .option('--window <hours>', 'hours per copy window', '1')
    .action(async (flags: { from: string; to: string; window: string }) => {
      const windowMs = wholeNumberFlag(flags.window, '--window') * 3_600_000;
      const source = createStore(flags.from);
      const target = createStore(flags.to);
      await source.open();
      try {
        await target.open();
        try {
          const started = Date.now();
          const tty = process.stderr.isTTY;
          const copied = await copyFlows(source, target, {
            windowMs,
            onProgress: ({ copied, total, windowStart }) => {
              if (tty) process.stderr.write(`\rcopied ${copied.toLocaleString('en')} of ${total.toLocaleString('en')} flows (up to ${new Date(windowStart).toISOString().slice(0, 13)}h)`);
            },
          });
          if (tty) process.stderr.write('\n');
          process.stderr.write(`copied ${copied.toLocaleString('en')} flows from ${source.location} to ${target.location} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        } finally {
          await target.close();
        }
      } finally {
        await source.close();
      }
    });
}
