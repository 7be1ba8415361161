// When a failed delivery is tried again: exponential backoff with "equal jitter" (half the
// delay fixed, half random), capped. With a factor of 2 or more each retry waits at least as
// long as the one before could have, so delays grow while retries of many alerts spread out.

import { z } from 'zod';

/** Backoff settings. */
export const RetryPolicySchema = z
  .object({
    /** Delay after the first failure, ms. */
    baseMs: z.number().int().min(1).default(5_000),
    factor: z.number().min(1).max(10).default(2),
    /** Longest delay, ms (an alert is never given up: it keeps being retried at this pace). */
    maxMs: z.number().int().min(1).default(3_600_000),
    /** Share of each delay that is random, 0..1 (0.5: equal jitter). */
    jitter: z.number().min(0).max(1).default(0.5),
  })
  .strict();

export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/** The default policy: 5 s, 10 s, 20 s ... up to 1 h, half of each random. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = RetryPolicySchema.parse({});

/**
 * Delay before the next attempt after `failures` failed attempts (1 after the first failure):
 * d = min(maxMs, baseMs * factor^(failures-1)), then d * (1 - jitter) + random() * d * jitter.
 */
export function retryDelay(failures: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * policy.factor ** Math.max(0, failures - 1));
  return Math.round(exp * (1 - policy.jitter) + random() * exp * policy.jitter);
}
