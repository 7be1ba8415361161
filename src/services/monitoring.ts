// Composition of the monitoring side: the monitor scheduler over a store, with the enrichment
// database opened on demand and the alerting hooks (rules, outbox, sinks) wired in.

import { openGeoDatabase, type GeoDatabase } from '../enrich/geo-database.js';
import { MonitorService } from '../monitor/monitor-service.js';
import type { Store } from '../store/store.js';

/** Settings of the monitoring components. */
export interface MonitoringOptions {
  readonly log?: (line: string) => void;
  readonly clock?: () => number;
}

/** The monitor service of a store, tables ensured. */
export async function createMonitoring(store: Store, options: MonitoringOptions = {}): Promise<MonitorService> {
  let geo: GeoDatabase | undefined;
  const service = new MonitorService({
    store,
    geo: () => (geo ??= openGeoDatabase()),
    ...(options.log ? { log: options.log } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await service.ensureTables();
  return service;
}
