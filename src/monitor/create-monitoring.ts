// The monitoring side as one component: the monitor scheduler over a store, with the enrichment
// database opened on demand and alerting (rules, outbox, sinks) wired in: each run's findings
// are evaluated against the alert rules, and after each pass the due alerts are delivered.

import { openGeoDatabase, type GeoDatabase } from '../enrich/geo-database.js';
import { createAlerting, type Alerting } from './alerts/create-alerting.js';
import { MonitorService } from './monitor-service.js';
import type { Store } from '../store/store.js';

/** Settings of the monitoring components. */
export interface MonitoringOptions {
  /** Sink name -> settings (a sinks file's content). Without sinks, alerts wait in the outbox. */
  readonly sinks?: Record<string, unknown>;
  /** Base URL of the UI in alerts' evidence links. */
  readonly uiBaseUrl?: string;
  readonly log?: (line: string) => void;
  readonly clock?: () => number;
  readonly random?: () => number;
}

/** The monitor service and the alerting it feeds, tables ensured. */
export interface Monitoring {
  readonly monitors: MonitorService;
  readonly alerting: Alerting;
  close(): Promise<void>;
}

/** Builds monitoring over a store. */
export async function createMonitoring(store: Store, options: MonitoringOptions = {}): Promise<Monitoring> {
  let geo: GeoDatabase | undefined;
  const alerting = createAlerting({
    store,
    ...(options.sinks ? { sinks: options.sinks } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.uiBaseUrl ? { uiBaseUrl: options.uiBaseUrl } : {}),
  });
  await alerting.ensureTables();
  const monitors = new MonitorService({
    store,
    geo: () => (geo ??= openGeoDatabase()),
    onFindings: async (findings) => {
      await alerting.evaluate(findings);
    },
    ...(options.sinks ? { afterPass: async () => void (await alerting.deliverDue()) } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await monitors.ensureTables();
  return { monitors, alerting, close: () => alerting.close() };
}
