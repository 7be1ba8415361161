// Publishing our STIX export into a TAXII collection: open findings and active threat
// indicators, exported as STIX 2.1, added as object versions (unchanged ones are not added again).

import { FindingsRepository } from '../../detect/findings-repository.js';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import type { Store } from '../../store/store.js';
import { exportStix, type StixExportOptions } from '../stix/stix-export.js';
import { TaxiiRepository } from './taxii-repository.js';
import { formatMicros } from './taxii-time.js';

/** What a publish did. */
export interface PublishSummary {
  readonly collection: string;
  readonly objects: number;
  readonly added: number;
  readonly unchanged: number;
  readonly indicators: number;
  readonly sightings: number;
}

/**
 * Exports the store's findings (all but false positives) and active threat indicators and adds
 * them to the collection (id or alias).
 */
export async function publishStix(store: Store, collection: string, options: StixExportOptions & { findingLimit?: number }): Promise<PublishSummary> {
  const taxii = new TaxiiRepository(store);
  await taxii.ensureTables();
  const target = await taxii.collection(collection);
  const findingsRepo = new FindingsRepository(store);
  await findingsRepo.ensureTables();
  const intel = new IndicatorRepository(store);
  await intel.ensureTables();
  const findings = (await findingsRepo.list({ limit: options.findingLimit ?? 10_000 })).filter((f) => f.status !== 'false-positive');
  const indicators = (await intel.active()).filter((i) => i.kind === 'threat' && i.detect);
  const report = exportStix({ findings, indicators }, options);
  const results = await taxii.addObjects(target.id, report.bundle.objects, formatMicros);
  const added = results.filter((r) => r.added).length;
  return { collection: target.id, objects: results.length, added, unchanged: results.length - added, indicators: report.indicators, sightings: report.sightings };
}
