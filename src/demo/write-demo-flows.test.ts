import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VantageError } from '../core/errors.js';
import { parseIp } from '../core/ip.js';
import { runQuery } from '../query/run-query.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import { demoScenarios } from './demo-scenarios.js';
import { generateDemoFlows } from './generate-demo-flows.js';
import { writeDemoFlows } from './write-demo-flows.js';

// Two days at 2% keep this quick; every scenario is still squeezed into them.
const OPTIONS = { days: 2, scale: 0.02, seed: 3 } as const;
const truth = demoScenarios(OPTIONS);

let store: DuckDbStore;

beforeEach(async () => {
  store = new DuckDbStore({ path: ':memory:' });
  await store.open();
});

afterEach(async () => {
  await store.close();
});

async function countFlows(): Promise<number> {
  const [row] = await store.execute('SELECT COUNT(*) AS n FROM flows');
  return Number(row!.n);
}

describe('writeDemoFlows into DuckDB', () => {
  it('appends every generated flow', async () => {
    let expected = 0;
    for (const batch of generateDemoFlows(OPTIONS)) expected += batch.length;
    const progress: number[] = [];
    const result = await writeDemoFlows(store, OPTIONS, 'refuse', (written) => progress.push(written));
    expect(result.flows).toBe(expected);
    expect(await countFlows()).toBe(expected);
    expect(progress.at(-1)).toBe(expected);
    const stats = await store.stats();
    expect(stats.firstFlow).toBeGreaterThanOrEqual(truth.range.start);
    expect(stats.lastFlow).toBeLessThan(truth.range.end);
  });

  it('refuses a store that holds flows unless told to append or replace', async () => {
    const first = await writeDemoFlows(store, OPTIONS);
    await expect(writeDemoFlows(store, OPTIONS)).rejects.toThrow(VantageError);
    expect(await countFlows()).toBe(first.flows);
    const replaced = await writeDemoFlows(store, OPTIONS, 'replace');
    expect(replaced.replaced).toBe(true);
    expect(await countFlows()).toBe(first.flows);
    await writeDemoFlows(store, OPTIONS, 'append');
    expect(await countFlows()).toBe(2 * first.flows);
  });

  it('keeps the scenarios findable in SQL: the scanner reaches every documented address', async () => {
    await writeDemoFlows(store, OPTIONS);
    const scanner = parseIp(truth.horizontalScan.scanner) as number;
    const [row] = await store.execute(`SELECT COUNT(DISTINCT dst4) AS n FROM flows WHERE src4 = ${scanner} AND dport = 23`);
    expect(Number(row!.n)).toBe(truth.horizontalScan.addressesPerSweep);
  });

  it("answers the walk-through's queries with the scenario on top", async () => {
    await writeDemoFlows(store, OPTIONS);
    const top = async (query: string) => (await runQuery(store, query)).rows[0]!;
    expect((await top(truth.horizontalScan.query)).src).toBe(truth.horizontalScan.scanner);
    expect((await top(truth.verticalScan.query)).src).toBe(truth.verticalScan.scanner);
    expect((await top(truth.beacon.query)).dst).toBe(truth.beacon.c2);
    const c2 = await runQuery(store, truth.c2Contacts.query);
    const sources = c2.rows.map((r) => r.src).filter((s) => s !== truth.c2Contacts.c2);
    expect(new Set(sources)).toEqual(new Set(truth.c2Contacts.sessions.map((s) => s.host)));
    const timeline = await runQuery(store, truth.ddos.query);
    expect(timeline.rows).toHaveLength(truth.ddos.minuteProfile.length);
    const log4j = await runQuery(store, truth.log4j.query);
    expect(log4j.rows.find((r) => r.dport === 1389)?.flows).toBe(truth.log4j.callbacks.length);
  });
});
