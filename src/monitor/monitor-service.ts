// The monitor scheduler: saved monitors, their state and run history in the store, and the loop
// that runs every slot their cron schedules name, in order, each exactly once. A slot is done
// when its run row exists (written last), so a restart neither runs a finished slot again nor
// skips one that was missed while the process was down: it catches up, oldest first.

import { VantageError } from '../core/errors.js';
import type { NewFinding } from '../detect/detector.js';
import type { Finding } from '../detect/finding.js';
import { FindingsRepository } from '../detect/findings-repository.js';
import type { GeoDatabase } from '../enrich/geo-database.js';
import { DocumentTable } from '../store/document-table.js';
import type { Store } from '../store/store.js';
import { parseMonitor, slotsBetween, type MonitorJob } from './jobs/monitor-job.js';
import { MonitorRunTable, type MonitorRun } from './jobs/monitor-run-table.js';
import { EMPTY_STATE, runMonitor, type MonitorState } from './jobs/run-monitor.js';
import { loadWatchIndex } from './watchlists/load-watch-index.js';

/** Table names (in the store's database for ClickHouse). */
export const MONITORS_TABLE = 'monitors';
export const MONITOR_STATE_TABLE = 'monitor_state';

/** What the scheduler works with. */
export interface MonitorServiceDeps {
  readonly store: Store;
  /** The enrichment database, opened on demand (AS members, originating-AS watch). */
  readonly geo?: () => GeoDatabase | undefined;
  /** Called with the stored findings of each run (alerting evaluates them and queues alerts). */
  readonly onFindings?: (findings: readonly Finding[]) => Promise<void>;
  /** Called once per pass after all runs (alerting delivers what is due). */
  readonly afterPass?: () => Promise<void>;
  readonly clock?: () => number;
  readonly log?: (line: string) => void;
  /** Slots run per monitor per pass (a long outage catches up over several passes). */
  readonly maxSlotsPerPass?: number;
}

/** A pass's outcome: the runs it made. */
export interface PassReport {
  readonly runs: MonitorRun[];
}

/** Saved monitors and their scheduler over one store. */
export class MonitorService {
  private readonly monitors: DocumentTable<MonitorJob>;
  private readonly states: DocumentTable<MonitorState>;
  private readonly runs: MonitorRunTable;
  private readonly findings: FindingsRepository;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly deps: MonitorServiceDeps) {
    this.monitors = new DocumentTable(deps.store, MONITORS_TABLE);
    this.states = new DocumentTable(deps.store, MONITOR_STATE_TABLE);
    this.runs = new MonitorRunTable(deps.store);
    this.findings = new FindingsRepository(deps.store);
    this.clock = deps.clock ?? Date.now;
  }

  async ensureTables(): Promise<void> {
    await this.monitors.ensureTable();
    await this.states.ensureTable();
    await this.runs.ensureTable();
    await this.findings.ensureTables();
  }

  /** Saves a monitor (replacing one of the same name keeps its state and history). Its first slot is after now. */
  async add(input: unknown): Promise<MonitorJob> {
    const now = this.clock();
    const old = await this.monitors.get(String((input as { name?: unknown })?.name ?? ''));
    const job = parseMonitor(input, old?.body.createdAt ?? now);
    await this.monitors.put(job.name, job, now);
    return job;
  }

  async list(): Promise<MonitorJob[]> {
    return (await this.monitors.list()).map((d) => d.body);
  }

  async get(name: string): Promise<MonitorJob> {
    const d = await this.monitors.get(name);
    if (!d) throw new VantageError('NOT_FOUND', `no monitor '${name}'`);
    return d.body;
  }

  async remove(name: string): Promise<boolean> {
    const gone = await this.monitors.remove(name, this.clock());
    if (gone) {
      await this.states.remove(name, this.clock());
      await this.runs.removeMonitor(name);
    }
    return gone;
  }

  /** A monitor's runs, newest first. */
  async history(name: string, limit = 50): Promise<MonitorRun[]> {
    await this.get(name);
    return this.runs.history(name, limit);
  }

  /** Runs every slot that is due (all monitors, or the named ones), oldest first. */
  async runDue(names?: readonly string[]): Promise<PassReport> {
    const now = this.clock();
    const jobs = (await this.list()).filter((j) => j.enabled && (!names || names.includes(j.name)));
    const watch = await loadWatchIndex(this.deps.store, { geo: this.deps.geo });
    const out: MonitorRun[] = [];
    for (const job of jobs) {
      let state = (await this.states.get(job.name))?.body ?? EMPTY_STATE;
      const slots = slotsBetween(job.schedule, state.lastSlot ?? job.createdAt, now, this.deps.maxSlotsPerPass ?? 1_000);
      for (const slot of slots) {
        if (await this.runs.has(job.name, slot)) {
          // Finished before a crash cut the state write short: never run it twice.
          state = { ...state, lastSlot: slot };
          await this.states.put(job.name, state, this.clock());
          continue;
        }
        const outcome = await runMonitor(job, slot, state, { store: this.deps.store, watch, now: this.clock() });
        await this.keepFindings(outcome.findings);
        await this.runs.insert(outcome.run);
        state = outcome.state;
        await this.states.put(job.name, state, this.clock());
        out.push(outcome.run);
        this.deps.log?.(`monitor ${job.name} @ ${new Date(slot).toISOString()}: ${outcome.run.status}, ${outcome.run.rows} rows, ${outcome.run.newValues.length} new, ${outcome.run.anomalies.length} anomalies`);
      }
    }
    await this.deps.afterPass?.();
    return { runs: out };
  }

  /**
   * Runs one monitor now, outside its schedule: the run is kept (slot = now) and teaches the
   * baseline, but the schedule's own slots still run.
   */
  async runNow(name: string): Promise<MonitorRun> {
    const job = await this.get(name);
    const watch = await loadWatchIndex(this.deps.store, { geo: this.deps.geo });
    const state = (await this.states.get(job.name))?.body ?? EMPTY_STATE;
    const slot = this.clock();
    const outcome = await runMonitor(job, slot, state, { store: this.deps.store, watch, now: slot });
    await this.keepFindings(outcome.findings);
    await this.runs.insert(outcome.run);
    await this.states.put(job.name, { ...outcome.state, lastSlot: state.lastSlot }, this.clock());
    await this.deps.afterPass?.();
    return outcome.run;
  }

  /** Runs due slots every `everyMs` until stopped (passes never overlap). */
  start(everyMs = 30_000): void {
    if (this.timer) return;
    const tick = () => {
      if (this.running) return;
      this.running = this.runDue()
        .catch((err: Error) => this.deps.log?.(`monitor pass failed: ${err.message}`))
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, everyMs);
    this.timer.unref();
    tick();
  }

  /** Stops the loop and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async keepFindings(found: readonly NewFinding[]): Promise<void> {
    if (found.length === 0) return;
    await this.findings.save(found, this.clock());
    const stored = await this.findings.byIds(found.map((f) => f.id));
    const findings = [...stored.values()].map((s) => s.finding).filter((f) => f.status !== 'false-positive');
    await this.deps.onFindings?.(findings);
  }
}
