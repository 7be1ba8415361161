// Writes the demo dataset into a store in batches, guarding against mixing it into real data.

import { VantageError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { resolveDemoOptions, type DemoOptions, type ResolvedDemoOptions } from './demo-options.js';
import { demoScenarios, type DemoScenarios } from './demo-scenarios.js';
import { estimateDemoFlows, generateDemoFlows } from './generate-demo-flows.js';

/** What to do when the store already holds flows. */
export type ExistingFlows = 'refuse' | 'append' | 'replace';

/** What was written, for the summary. */
export interface DemoWriteResult {
  readonly flows: number;
  /** Flows the store held before (deleted when replacing). */
  readonly previousFlows: number;
  readonly replaced: boolean;
  readonly elapsedMs: number;
  readonly options: ResolvedDemoOptions;
  readonly scenarios: DemoScenarios;
}

/** Progress after each batch: flows written so far and the expected total. */
export type DemoProgress = (written: number, expected: number) => void;

/**
 * Generates the demo dataset and appends it batch by batch. By default it refuses to touch a
 * store that already holds flows, so a demo never silently mixes with collected telemetry.
 */
export async function writeDemoFlows(
  store: Store,
  options: DemoOptions = {},
  existing: ExistingFlows = 'refuse',
  onProgress?: DemoProgress,
): Promise<DemoWriteResult> {
  const resolved = resolveDemoOptions(options);
  const { flows: previousFlows } = await store.stats();
  if (previousFlows > 0 && existing === 'refuse') {
    throw new VantageError(
      'USAGE',
      `${store.location} already holds ${previousFlows.toLocaleString('en-US')} flows: use --replace to delete them first, or --force to add the demo flows to them`,
    );
  }
  const replaced = previousFlows > 0 && existing === 'replace';
  // Every flow (times are epoch ms, never negative), and on ClickHouse its rollup rows too.
  if (replaced) await store.deleteFlowsSince(0);
  const expected = estimateDemoFlows(resolved);
  const started = performance.now();
  let flows = 0;
  for (const batch of generateDemoFlows(resolved)) {
    await store.appendFlows(batch);
    flows += batch.length;
    onProgress?.(flows, expected);
  }
  return { flows, previousFlows, replaced, elapsedMs: performance.now() - started, options: resolved, scenarios: demoScenarios(resolved) };
}
