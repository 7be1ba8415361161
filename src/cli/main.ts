#!/usr/bin/env node
// The `vantage` command line: parses global options and hands each verb to its command module.

import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { reportError } from './context.js';

const program = new Command('vantage')
  .description('Vantage: threat investigation over network telemetry')
  .option('--store <url>', 'flow store URL (duckdb:PATH); env VANTAGE_STORE')
  .option('--db <path>', 'shorthand for --store duckdb:PATH; env VANTAGE_DB')
  .showHelpAfterError()
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 1;
  else process.exitCode = reportError(err);
}
