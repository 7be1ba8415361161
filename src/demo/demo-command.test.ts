import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerDemo } from '../cli/commands/demo.js';
import { registerStart } from '../cli/commands/start.js';
import { VantageError } from '../core/errors.js';

let dir: string;
let db: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-demo-'));
  db = join(dir, 'demo.duckdb');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(() => vi.restoreAllMocks());

/** Runs the CLI in-process (as main.ts builds it) and returns what it printed. */
async function vantage(...args: string[]): Promise<string> {
  const program = new Command('vantage').option('--store <url>').option('--db <path>').exitOverride();
  registerDemo(program);
  registerStart(program);
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'vantage', '--db', db, ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

const SMALL = ['--days', '1', '--scale', '0.01', '--quiet'];

describe('vantage demo', () => {
  it('writes the dataset and prints flows, period and scenarios', async () => {
    const out = await vantage('demo', ...SMALL, '--end', '2026-05-02');
    expect(out).toMatch(/^Wrote [\d,]+ demo flows to duckdb:/);
    expect(out).toContain('Period: 2026-05-01 00:00 to 2026-05-02 00:00 UTC (1 day), seed 1, scale 0.01');
    for (const address of ['203.0.113.66', '203.0.113.99', '10.20.3.77', '10.20.100.10', '185.220.101.4', '45.155.205.233']) expect(out).toContain(address);
  });

  it('refuses a store that holds flows, and appends or replaces when told', async () => {
    await expect(vantage('demo', ...SMALL)).rejects.toThrow(VantageError);
    expect(await vantage('demo', ...SMALL, '--force')).toMatch(/added to [\d,]+ existing flows/);
    expect(await vantage('demo', ...SMALL, '--replace')).toMatch(/replacing [\d,]+ flows/);
  });

  it('rejects contradictory or malformed options', async () => {
    await expect(vantage('demo', ...SMALL, '--force', '--replace')).rejects.toThrow(/not both/);
    await expect(vantage('demo', '--scale', '1', '--flows', '10')).rejects.toThrow(/not both/);
    await expect(vantage('demo', '--days', 'week')).rejects.toThrow(/--days expects a number/);
  });

  it('sizes the dataset from --flows', async () => {
    const out = await vantage('demo', '--days', '1', '--flows', '150000', '--replace', '--quiet');
    const written = Number(/^Wrote ([\d,]+)/.exec(out)![1]!.replace(/,/g, ''));
    expect(Math.abs(written / 150_000 - 1)).toBeLessThan(0.03);
  });
});

describe('vantage start', () => {
  it('tours a store that already holds flows: each step shows its command and answer', async () => {
    const out = await vantage('start');
    expect(out).toContain('already holds');
    expect(out).toContain("$ vantage query 'dst port 23 and flags S and not flags A | count by src | limit 5'");
    expect(out).toMatch(/203\.0\.113\.66 +\d+/); // the scanner tops its table
    expect(out).toMatch(/198\.51\.100\.23 +\d+/); // the beacon's C2
    expect(out).toContain('10.20.6.9'); // a host that talked to the known C2
    expect(out).not.toContain('vantage: '); // no step failed
  });
});
