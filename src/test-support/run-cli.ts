// Test helper: runs `vantage` commands in-process (stdout and stderr captured, the exit code as
// the CLI would set it, errors reported as the CLI reports them).

import { Command } from 'commander';
import { vi } from 'vitest';
import { reportError } from '../cli/context.js';

/** Runs `args` against a program with the given command modules registered. */
export async function runCli(args: readonly string[], ...register: ((program: Command) => void)[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((t) => ((stdout += String(t)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((t) => ((stderr += String(t)), true));
  const program = new Command('vantage').option('--store <url>').option('--db <path>').exitOverride();
  for (const r of register) r(program);
  let code = 0;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'vantage', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (err) {
    code = reportError(err);
  } finally {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  }
  return { code, stdout, stderr };
}
