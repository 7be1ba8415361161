// What every command needs: the global options, the store opened for the command's duration,
// and the error reporting that turns coded errors into messages and exit codes.

import type { Command } from 'commander';
import { exitCodeFor, VantageError } from '../core/errors.js';
import { createStore, resolveStoreUrl } from '../services/store-factory.js';
import type { Store } from '../store/store.js';

/** Options shared by every command. */
export interface GlobalOptions {
  store?: string;
  db?: string;
}

/** The global options of a command, wherever on the command line they were given. */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

/** Opens the selected store, runs `work`, and always closes the store. */
export async function withStore<T>(command: Command, work: (store: Store) => Promise<T>): Promise<T> {
  const store = createStore(resolveStoreUrl(globalOptions(command)));
  await store.open();
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Text for a coded error: the message, where it happened, and a caret under the column. */
export function describeError(err: VantageError): string {
  const { file, line, column, source } = err.location;
  let where = '';
  if (file) where = `${file}${line ? `:${line}` : ''}${column && !source ? `:${column}` : ''}: `;
  else if (line) where = `line ${line}: `;
  let text = `vantage: ${where}${err.message} [${err.code}]`;
  if (source !== undefined && column !== undefined) {
    text += `\n  ${source}\n  ${' '.repeat(Math.max(0, column - 1))}^`;
  }
  return text;
}

/** Prints an error the way users should see it and sets the exit code; no stack traces. */
export function reportError(err: unknown): number {
  if (err instanceof VantageError) {
    process.stderr.write(`${describeError(err)}\n`);
    return exitCodeFor(err.code);
  }
  const e = err as Error;
  if (process.env.VANTAGE_DEBUG) process.stderr.write(`${e?.stack ?? String(err)}\n`);
  process.stderr.write(`vantage: unexpected error: ${e?.message ?? String(err)} (set VANTAGE_DEBUG=1 for details)\n`);
  return 1;
}
