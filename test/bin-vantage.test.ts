// bin/vantage, the installed command: it must become the collector's own process (a signal sent
// to the pid a user or a service manager holds reaches node) with glibc's mmap threshold fixed, and
// keep a threshold the caller chose. A collector started without it says so in its log.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mallocAdvice } from '../src/services/collector/malloc-advice.js';
import { freeUdpPort, stopChild, waitFor } from '../src/test-support/flow-tools.js';
import { repoRoot, requireAll } from '../src/test-support/shared-data.js';

const vantage = join(repoRoot(), 'bin/vantage');
const cli = join(repoRoot(), 'dist/src/cli/main.js');
const built = existsSync(cli);
if (!built) {
  if (requireAll()) throw new Error(`${cli} is missing and VANTAGE_REQUIRE_ALL=1 (run npm run build)`);
  console.warn(`[skip] ${cli} is missing (npm run build): the bin/vantage tests are skipped`);
}
const work = mkdtempSync(join(tmpdir(), 'vantage-bin-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ADVICE = 'MALLOC_MMAP_THRESHOLD_ is not set';

/**
 * Starts `vantage collect` by `command` (bin/vantage, or node on the compiled CLI) and waits for
 * its first stats line, which comes after the start line and any advice.
 */
async function startCollect(name: string, command: string, prefix: string[], env: NodeJS.ProcessEnv) {
  const port = await freeUdpPort();
  const args = [...prefix, '--db', join(work, `${name}.duckdb`), 'collect', '--listen', `udp://127.0.0.1:${port}`, '--spool', join(work, `${name}-spool`), '--no-enrich', '--stats', '--stats-interval', '50'];
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  await waitFor(() => log.includes('\n{') || child.exitCode !== null, 'vantage collect to start');
  return { process: child, log: () => log };
}

/** The environment of a running process, as the kernel has it. */
function environOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

describe.skipIf(!built || process.platform !== 'linux')('bin/vantage', () => {
  const env = { ...process.env };
  delete env.MALLOC_MMAP_THRESHOLD_;
  delete env.GLIBC_TUNABLES;

  it('execs node on the compiled CLI in its own process, with the mmap threshold fixed at 128 KiB', async () => {
    const c = await startCollect('fixed', vantage, [], env);
    try {
      expect(c.process.exitCode, c.log()).toBe(null);
      const cmdline = readFileSync(`/proc/${c.process.pid}/cmdline`, 'latin1').split('\0');
      expect(cmdline[1]).toBe(cli);
      expect(cmdline.slice(2, 3)).toEqual(['--db']);
      expect(environOf(c.process.pid!).get('MALLOC_MMAP_THRESHOLD_')).toBe('131072');
      expect(c.log()).not.toContain(ADVICE);
    } finally {
      // The signal goes to the pid spawn gave: node itself stops gracefully.
      expect(await stopChild(c.process)).toBe(0);
    }
    expect(c.log()).toContain('vantage collect: SIGTERM: stopping');
  });

  it('keeps a threshold the caller set', async () => {
    const c = await startCollect('given', vantage, [], { ...env, MALLOC_MMAP_THRESHOLD_: '262144' });
    try {
      expect(environOf(c.process.pid!).get('MALLOC_MMAP_THRESHOLD_')).toBe('262144');
      expect(c.log()).not.toContain(ADVICE);
    } finally {
      expect(await stopChild(c.process)).toBe(0);
    }
  });

  it('runs through a symbolic link, as npm installs it', () => {
    const link = join(work, 'vantage');
    symlinkSync(vantage, link);
    const run = spawnSync(link, ['help', 'collect'], { encoding: 'utf8', env });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Usage: vantage collect [options]');
  });

  it('a collector started on node directly says in its log that the threshold is not fixed', async () => {
    const c = await startCollect('direct', process.execPath, [cli], env);
    try {
      expect(c.log()).toContain(`vantage collect: ${ADVICE} (the process was not started through bin/vantage)`);
    } finally {
      expect(await stopChild(c.process)).toBe(0);
    }
  });
});

describe('mallocAdvice', () => {
  it('is silent off Linux, with MALLOC_MMAP_THRESHOLD_, or with the glibc tunable', () => {
    expect(mallocAdvice({}, 'darwin')).toBeUndefined();
    expect(mallocAdvice({ MALLOC_MMAP_THRESHOLD_: '131072' }, 'linux')).toBeUndefined();
    expect(mallocAdvice({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072' }, 'linux')).toBeUndefined();
  });

  it('speaks on Linux otherwise, another tunable included', () => {
    expect(mallocAdvice({}, 'linux')).toContain(ADVICE);
    expect(mallocAdvice({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux')).toContain(ADVICE);
  });
});
