// What an export shares: the stored findings (not those judged false positives) and the active
// threat indicators that detect, optionally limited to what was active since a time.

import type { Finding } from '../detect/finding.js';
import { FindingsRepository } from '../detect/findings-repository.js';
import type { StoredIndicator } from '../intel/indicator.js';
import { IndicatorRepository } from '../intel/indicator-repository.js';
import type { Store } from '../store/store.js';

/** The findings and indicators to export. */
export interface ShareInputs {
  readonly findings: Finding[];
  readonly indicators: StoredIndicator[];
}

/** Reads them from the store. */
export async function shareInputs(store: Store, options: { readonly since?: number; readonly indicators: boolean }): Promise<ShareInputs> {
  const findingsRepo = new FindingsRepository(store);
  await findingsRepo.ensureTables();
  const intel = new IndicatorRepository(store);
  await intel.ensureTables();
  const since = options.since;
  const findings = (await findingsRepo.list({ since, limit: 100_000 })).filter((f) => f.status !== 'false-positive');
  const indicators = options.indicators ? (await intel.active()).filter((i) => i.kind === 'threat' && i.detect && (since === undefined || (i.lastSeen ?? i.loadedLast) >= since)) : [];
  return { findings, indicators };
}
