// A saved monitor: a query, a pivot, a detection run or a watch of our watched assets, run on a
// cron schedule, each run's answer kept so the next one can say what is new and what is unusual.

import { Cron } from 'croner';
import { z } from 'zod';
import { VantageError } from '../../core/errors.js';

/** What a monitor runs. */
export const MONITOR_KINDS = ['query', 'pivot', 'detect', 'watch'] as const;
export type MonitorKind = (typeof MONITOR_KINDS)[number];

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A monitor as users define it (CLI flags, API body, JSON file). */
export const monitorInput = z
  .object({
    name: z.string().regex(NAME, 'a name of letters, digits, . _ - (at most 64)'),
    kind: z.enum(MONITOR_KINDS),
    /** Cron syntax (5 or 6 fields, UTC): `*\/15 * * * *` runs every quarter hour. */
    schedule: z.string().min(1),
    /** query: the query-language text; pivot: the entity. */
    query: z.string().max(10_000).optional(),
    entity: z.string().max(500).optional(),
    depth: z.number().int().min(1).max(3).default(1),
    /** detect: the detector kinds (all when empty). */
    detectors: z.array(z.string()).default([]),
    /** How far back each run looks from its scheduled time, in ms (default: the interval between two runs). */
    windowMs: z.number().int().positive().optional(),
    /** Raise a finding when a run has new values or anomalies. */
    raise: z.boolean().default(true),
    /** Robust-baseline width: a value is anomalous beyond this many scaled MADs from the median. */
    threshold: z.number().positive().default(3.5),
    /** Runs of history before anomalies are judged. */
    minHistory: z.number().int().min(2).default(5),
    description: z.string().max(2000).default(''),
    enabled: z.boolean().default(true),
  })
  .superRefine((m, ctx) => {
    if (m.kind === 'query' && !m.query) ctx.addIssue({ code: 'custom', path: ['query'], message: 'a query monitor needs the query text' });
    if (m.kind === 'pivot' && !m.entity) ctx.addIssue({ code: 'custom', path: ['entity'], message: 'a pivot monitor needs the entity to pivot from' });
  });

/** A stored monitor. */
export type MonitorJob = z.infer<typeof monitorInput> & { readonly createdAt: number };

/** Checks a monitor definition and its schedule; errors name the field. */
export function parseMonitor(input: unknown, createdAt: number): MonitorJob {
  const parsed = monitorInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new VantageError('USAGE', `monitor: ${issue.path.join('.') || '(definition)'}: ${issue.message}`);
  }
  cronOf(parsed.data.schedule);
  return { ...parsed.data, createdAt };
}

/** The schedule as a cron (UTC); a bad expression is a USAGE error quoting it. */
export function cronOf(schedule: string): Cron {
  try {
    return new Cron(schedule, { timezone: 'UTC', paused: true });
  } catch (err) {
    throw new VantageError('USAGE', `schedule '${schedule}' is not a cron expression: ${(err as Error).message.replace(/^CronPattern: /, '')}`);
  }
}

/** The scheduled times (epoch ms) after `after` and at or before `until`, oldest first, at most `max`. */
export function slotsBetween(schedule: string, after: number, until: number, max: number): number[] {
  const cron = cronOf(schedule);
  const out: number[] = [];
  let next = cron.nextRun(new Date(after));
  while (next && next.getTime() <= until && out.length < max) {
    out.push(next.getTime());
    next = cron.nextRun(next);
  }
  return out;
}

/** The interval a run covers: the job's window, else the time since the previous slot. */
export function windowOf(job: MonitorJob, slot: number): number {
  if (job.windowMs) return job.windowMs;
  const cron = cronOf(job.schedule);
  const next = cron.nextRun(new Date(slot));
  return next ? next.getTime() - slot : 3_600_000;
}
