// The contract every detection meets: a kind, a config schema with documented defaults, and a
// run over a window of stored flows that returns findings. Detectors read the store through its
// Dialect only, so each one's SQL is written once for DuckDB and ClickHouse side by side.

import type { z } from 'zod';
import type { StoredIndicator } from '../intel/indicator.js';
import type { IntelIndex } from '../intel/intel-index.js';
import type { Store } from '../store/store.js';
import type { Finding } from './finding.js';

/** What a detector runs against. */
export interface DetectionContext {
  readonly store: Store;
  /** Flows starting at or after (epoch ms). */
  readonly from: number;
  /** Flows starting before (epoch ms). */
  readonly to: number;
  /** Active indicators (threats and allow-list entries), for corroboration and for C2 contact. */
  readonly intel: IntelIndex<StoredIndicator>;
  /** Flows shown as evidence per finding. */
  readonly sampleSize: number;
  /**
   * Findings of this run that still get sample flows (each sample is one query): a noisy run
   * stays fast, and the findings past the budget keep their counts and reproducing query.
   */
  readonly sampleBudget?: { left: number };
}

/** A finding before the store has seen it: no verdict, no run count yet. */
export type NewFinding = Omit<Finding, 'status' | 'note' | 'runs'>;

/** Counts a detector reports about its own run (rows scanned, candidates...), for the report. */
export type DetectorStats = Record<string, number>;

/** One detection. `C` is its config, parsed by `config` (defaults filled in). */
export interface Detector<C = unknown> {
  readonly kind: string;
  /** One line for `vantage detect --help` and the docs. */
  readonly description: string;
  readonly config: z.ZodType<C>;
  run(context: DetectionContext, config: C): Promise<{ findings: NewFinding[]; stats?: DetectorStats }>;
}
