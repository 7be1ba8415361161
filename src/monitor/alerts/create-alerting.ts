// The alerting component as the scheduler, the CLI and the API use it: rules, the outbox, and
// two calls, `evaluate(findings)` (findings -> alerts, persisted) and `deliverDue()` (one
// delivery attempt for every alert that is due). Built without I/O; `ensureTables()` creates
// the tables.

import type { Store } from '../../store/store.js';
import { AlertDispatcher, type DeliveryReport } from './alert-dispatcher.js';
import { AlertOutbox } from './alert-outbox.js';
import { AlertRuleRepository } from './alert-rule-repository.js';
import type { AlertableFinding, AlertRule } from './alert-rule.js';
import { evaluateAlerts, type EvaluateReport, type WatchlistsOf } from './evaluate-alerts.js';
import type { RetryPolicy } from './retry-policy.js';
import type { AlertSink } from './sinks/alert-sink.js';
import { createSinks } from './sinks/create-sinks.js';

/** The default base URL of evidence links (the local server). */
export const DEFAULT_UI_BASE_URL = 'http://127.0.0.1:8080';

/** Settings and collaborators of alerting. */
export interface AlertingOptions {
  readonly store: Pick<Store, 'execute' | 'dialect' | 'location'>;
  /** Sinks by name, or sink settings (a sinks file's content) to build them from. */
  readonly sinks?: ReadonlyMap<string, AlertSink> | Record<string, unknown>;
  /** Epoch ms; injectable so tests move time instead of sleeping. */
  readonly clock?: () => number;
  /** 0..1, for the backoff's jitter. */
  readonly random?: () => number;
  readonly retry?: RetryPolicy;
  /** Base URL of the UI in evidence links (default http://127.0.0.1:8080). */
  readonly uiBaseUrl?: string;
  /** Watchlists a finding involves, when findings do not carry `watchlists` themselves. */
  readonly watchlistsOf?: WatchlistsOf;
  /** Rules to use instead of the stored ones (tests, a config file). */
  readonly rules?: readonly AlertRule[];
}

/** Alerting over one store. */
export interface Alerting {
  readonly rules: AlertRuleRepository;
  readonly outbox: AlertOutbox;
  readonly sinks: ReadonlyMap<string, AlertSink>;
  /** Creates the rule and outbox tables when missing. */
  ensureTables(): Promise<void>;
  /** Writes the alerts these findings raise under the (stored) rules; nothing is sent here. */
  evaluate(findings: readonly AlertableFinding[]): Promise<EvaluateReport>;
  /** One delivery attempt for every alert due now. */
  deliverDue(): Promise<DeliveryReport>;
  /** Closes sink connections. */
  close(): Promise<void>;
}

/** Builds alerting (no I/O). */
export function createAlerting(options: AlertingOptions): Alerting {
  const clock = options.clock ?? Date.now;
  const sinks: ReadonlyMap<string, AlertSink> = options.sinks instanceof Map ? options.sinks : createSinks(options.sinks ?? {}, clock);
  const rules = new AlertRuleRepository(options.store);
  const outbox = new AlertOutbox(options.store);
  const dispatcher = new AlertDispatcher({ outbox, sinks, clock, random: options.random, retry: options.retry });
  let ready: Promise<void> | undefined;
  const ensureTables = (): Promise<void> => {
    ready ??= (async () => {
      await rules.ensureTables();
      await outbox.ensureTables();
    })().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    return ready;
  };
  return {
    rules,
    outbox,
    sinks,
    ensureTables,
    async evaluate(findings) {
      await ensureTables();
      const active = options.rules ?? (await rules.list());
      return evaluateAlerts(findings, { outbox, rules: active, now: clock(), uiBaseUrl: options.uiBaseUrl ?? DEFAULT_UI_BASE_URL, watchlistsOf: options.watchlistsOf });
    },
    async deliverDue() {
      await ensureTables();
      return dispatcher.deliverDue();
    },
    async close() {
      for (const s of sinks.values()) await s.close?.();
    },
  };
}
