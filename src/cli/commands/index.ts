// Registers every command module with the program.

import type { Command } from 'commander';
import { registerQuery } from './query.js';

/** Adds all verbs to the program. */
export function registerCommands(program: Command): void {
  registerQuery(program);
}
