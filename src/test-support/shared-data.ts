// Test helpers that find the shared third-party data (../shared/data) and system tools: absent
// ones skip their tests with a printed notice, unless VANTAGE_REQUIRE_ALL=1 (CI) makes that a failure.

import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file holding package.json (works from src/ and dist/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test helpers');
    dir = parent;
  }
  return dir;
}

/** The shared data folder, ../shared/data from the repository root. */
export function sharedDataRoot(): string {
  return resolve(repoRoot(), '../shared/data');
}

/** True when the environment demands every data file and tool (CI). */
export function requireAll(): boolean {
  return process.env.VANTAGE_REQUIRE_ALL === '1';
}

function missing(what: string): undefined {
  if (requireAll()) throw new Error(`${what} is missing and VANTAGE_REQUIRE_ALL=1`);
  console.warn(`[skip] ${what} is missing: its tests are skipped`);
  return undefined;
}

/**
 * The absolute path of a file under ../shared/data, or undefined (after a printed notice) when
 * it is absent; throws instead when VANTAGE_REQUIRE_ALL=1. Use with `describe.skipIf(!path)`.
 */
export function sharedDataPath(rel: string): string | undefined {
  const path = join(sharedDataRoot(), rel);
  return existsSync(path) ? path : missing(`shared data file ${path}`);
}

const toolCache = new Map<string, boolean>();

/**
 * True when a system tool can be started; otherwise false after a printed
 * notice, or a throw when VANTAGE_REQUIRE_ALL=1. Use with `describe.skipIf(!requireTool('nfdump'))`.
 */
export function requireTool(tool: string): boolean {
  let ok = toolCache.get(tool);
  if (ok === undefined) {
    // Looked up on PATH rather than run: tools disagree on version flags (softflowd exits
    // non-zero on -V, tshark -V starts a live capture).
    ok = (process.env.PATH ?? '').split(delimiter).some((dir) => {
      try {
        accessSync(join(dir, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    toolCache.set(tool, ok);
  }
  if (!ok) missing(`system tool '${tool}'`);
  return ok;
}
