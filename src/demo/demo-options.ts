// Options of the demo dataset (period, seed, size) with their documented defaults and checks.

import { VantageError } from '../core/errors.js';
import { PREFERRED_BATCH } from '../store/store.js';

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

/** Default end of the dataset: 2026-11-01T00:00Z (a Sunday), so the default week is Sun 25 Oct .. Sat 31 Oct 2026. */
export const DEMO_DEFAULT_END = Date.UTC(2026, 10, 1);

/** What a caller may choose; everything has a default. */
export interface DemoOptions {
  /** End of the dataset (exclusive), epoch ms UTC; rounded down to midnight UTC. */
  readonly end?: number;
  /** Number of whole days, ending at `end`. Default 7. */
  readonly days?: number;
  /** PRNG seed: the same seed and options always give the same flows. Default 1. */
  readonly seed?: number;
  /** Multiplies the background traffic and the horizontal scan's reach. Default 1 (about 1.6M flows a week). */
  readonly scale?: number;
  /** Flows per yielded batch. Default 50,000. */
  readonly batchSize?: number;
}

/** Options with every default applied and the period worked out. */
export interface ResolvedDemoOptions {
  readonly start: number;
  readonly end: number;
  readonly days: number;
  readonly seed: number;
  readonly scale: number;
  readonly batchSize: number;
}

/** The defaults, as documented in docs/demo.md. */
export const DEFAULT_DEMO_OPTIONS = {
  end: DEMO_DEFAULT_END,
  days: 7,
  seed: 1,
  scale: 1,
  batchSize: PREFERRED_BATCH,
} as const satisfies Required<DemoOptions>;

function usage(message: string): never {
  throw new VantageError('USAGE', message);
}

/** Applies defaults and checks ranges; throws a USAGE error a user can act on. */
export function resolveDemoOptions(options: DemoOptions = {}): ResolvedDemoOptions {
  const o = { ...DEFAULT_DEMO_OPTIONS, ...stripUndefined(options) };
  if (!Number.isFinite(o.end)) usage('demo: --end must be a time');
  if (!Number.isInteger(o.days) || o.days < 1 || o.days > 366) usage('demo: --days must be a whole number from 1 to 366');
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) usage('demo: --seed must be a whole number from 0 to 4294967295');
  if (!Number.isFinite(o.scale) || o.scale <= 0 || o.scale > 500) usage('demo: --scale must be above 0 and at most 500');
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1 || o.batchSize > 1_000_000) usage('demo: batch size must be 1..1000000');
  // Whole UTC days keep the office-hours pattern and the scenario clock times meaningful.
  const end = Math.floor(o.end / DAY_MS) * DAY_MS;
  return { start: end - o.days * DAY_MS, end, days: o.days, seed: o.seed, scale: o.scale, batchSize: o.batchSize };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
