// Builds the ingest enricher for a store: the active indicators read from the store into the
// index, and the ASN/geo database opened (from its cache when it has been built before).

import { IndicatorRepository } from '../intel/indicator-repository.js';
import { IntelIndex } from '../intel/intel-index.js';
import type { StoredIndicator } from '../intel/indicator.js';
import type { Store } from '../store/store.js';
import { FlowEnricher } from './enricher.js';
import { GeoDatabase, openGeoDatabase, type GeoDatabaseOptions } from './geo-database.js';

/** Options for `createEnricher`. */
export interface CreateEnricherOptions extends GeoDatabaseOptions {
  /** Skip the ASN/geo database (tags only). */
  readonly noGeo?: boolean;
  /** A database already opened (shared between commands in one process). */
  readonly geo?: GeoDatabase;
}

/** Reads the store's active indicators into an index (creating the tables on first use). */
export async function loadIntelIndex(store: Store, now: number = Date.now()): Promise<IntelIndex<StoredIndicator>> {
  const repository = new IndicatorRepository(store);
  await repository.ensureTables();
  return new IntelIndex(await repository.active(), { now });
}

/** An enricher for flows going into `store`. */
export async function createEnricher(store: Store, options: CreateEnricherOptions = {}): Promise<FlowEnricher> {
  const index = await loadIntelIndex(store);
  const geo = options.geo ?? (options.noGeo ? undefined : openGeoDatabase(options));
  return new FlowEnricher(geo ?? GeoDatabase.empty(), index.indicators.length > 0 ? index : undefined);
}
