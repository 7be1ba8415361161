// The demo dataset generator: a pure, seeded iterator of flow batches in time order (background
// traffic plus the injected scenarios), usable by `vantage demo`, tests and benchmarks alike.

import type { FlowRecord } from '../core/columns.js';
import { VantageError } from '../core/errors.js';
import { BackgroundTraffic, SLOT_MS, expectedBackgroundFlows } from './background-traffic.js';
import { resolveDemoOptions, type DemoOptions } from './demo-options.js';
import { demoScenarios } from './demo-scenarios.js';
import { FlowFactory } from './flow-factory.js';
import { scenarioSources } from './scenario-traffic.js';
import { SeededRandom } from './seeded-random.js';

/**
 * Yields the demo flows in batches of `batchSize` (the last one may be smaller), ordered by start
 * time within each 5-minute slot. Only one slot and one batch are held in memory. The same options
 * always yield the same records; the ground truth is `demoScenarios(options)`.
 */
export function* generateDemoFlows(options: DemoOptions = {}): Generator<FlowRecord[], void, undefined> {
  const o = resolveDemoOptions(options);
  const root = new SeededRandom(o.seed);
  const factory = new FlowFactory();
  // The address pools come from a stream of their own, so the scale does not reshuffle them.
  const sources = [
    new BackgroundTraffic(o, root.fork('background'), root.fork('world'), factory),
    ...scenarioSources(demoScenarios(o), root.fork('scenarios'), factory),
  ];
  let batch: FlowRecord[] = [];
  const slot: FlowRecord[] = [];
  for (let from = o.start; from < o.end; from += SLOT_MS) {
    const to = Math.min(from + SLOT_MS, o.end);
    slot.length = 0;
    for (const source of sources) source.emit(from, to, slot);
    slot.sort((a, b) => a.start - b.start);
    for (const flow of slot) {
      batch.push(flow);
      if (batch.length === o.batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** About how many flows `generateDemoFlows(options)` yields (within a percent or so at scale >= 0.1). */
export function estimateDemoFlows(options: DemoOptions = {}): number {
  const o = resolveDemoOptions(options);
  const s = demoScenarios(o);
  const scenarioFlows =
    s.horizontalScan.flowsPerSweep * s.horizontalScan.windows.length +
    s.verticalScan.flowsPerSweep * s.verticalScan.windows.length +
    2 * (s.beacon.expectedBeats + 1) +
    s.ddos.flows +
    2 * s.c2Contacts.sessions.reduce((n, x) => n + x.times.length, 0) +
    2 * (s.log4j.probes.length + s.log4j.callbacks.length);
  return expectedBackgroundFlows(o) + scenarioFlows;
}

/** The scale at which the dataset has about `flows` flows (for `vantage demo --flows N`). */
export function scaleForFlows(flows: number, options: Omit<DemoOptions, 'scale'> = {}): number {
  if (!Number.isFinite(flows) || flows <= 0) throw new VantageError('USAGE', 'demo: --flows must be a positive number');
  let lo = 1e-4;
  let hi = 500;
  if (estimateDemoFlows({ ...options, scale: hi }) < flows) return hi;
  if (estimateDemoFlows({ ...options, scale: lo }) > flows) return lo;
  // The estimate grows with the scale, so bisection converges; 40 halvings are far below a flow.
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (estimateDemoFlows({ ...options, scale: mid }) < flows) lo = mid;
    else hi = mid;
  }
  return hi;
}
