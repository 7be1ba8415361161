// Pulling a peer's TAXII collection into intelligence: page through it, read the indicators
// with the STIX loader, and save them under one source. An incremental pull (added_after) holds
// only what is new, so the source keeps what it already had; a full pull that finds nothing
// would expire the whole source and is refused unless asked for.

import { VantageError } from '../../core/errors.js';
import { parseTime } from '../../core/time.js';
import { isBadInput } from '../../intel/feed-parser.js';
import { stixFeed } from '../../intel/feeds/stix-feed.js';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import type { Store } from '../../store/store.js';
import { TaxiiClient } from './taxii-client.js';
import { formatMicros, parseMicros } from './taxii-time.js';

/** What to pull. */
export interface PullRequest {
  readonly url: string;
  readonly collection: string;
  readonly token?: string;
  /** A time as users write it, or the `lastAdded` of the previous pull (microseconds kept). */
  readonly addedAfter?: string;
  /** Intelligence source name (default taxii:<host>:<collection>). */
  readonly source?: string;
  /** Accept a full pull with no indicators (which expires everything the source had). */
  readonly allowEmpty?: boolean;
  readonly timeoutMs?: number;
}

/** What a pull did. */
export interface PullSummary {
  readonly source: string;
  readonly objects: number;
  readonly pages: number;
  /** Give it back as `addedAfter` next time. */
  readonly lastAdded: string | null;
  readonly active: number;
  readonly added: number;
  readonly updated: number;
  readonly expired: number;
  /** Objects the STIX loader could not use. */
  readonly problems: number;
  /** Of those, the bad ones (the others use patterns Vantage cannot match: INTEL_UNSUPPORTED). */
  readonly rejected: number;
  /** What was wrong with each, in object order (the first 100). */
  readonly problemDetails: readonly { readonly code: string; readonly message: string }[];
}

/** A TAXII added_after value: a previous pull's timestamp as is, else a time parsed as users write it. */
export function addedAfterParam(text: string | undefined, now: number = Date.now()): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const us = parseMicros(text.trim());
  if (us !== undefined) return formatMicros(us);
  return new Date(parseTime(text, now)).toISOString();
}

/** The default source name of a pull; a URL that is not one is a USAGE error. */
export function pullSource(url: string, collection: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VantageError('USAGE', `'${url}' is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new VantageError('USAGE', `'${url}' is not an http or https URL`);
  return `taxii:${parsed.host}:${collection}`;
}

/** Pulls a collection into the store's intelligence. */
export async function pullIntoIntel(store: Store, request: PullRequest): Promise<PullSummary> {
  const source = request.source ?? pullSource(request.url, request.collection);
  const addedAfter = addedAfterParam(request.addedAfter);
  const pulled = await new TaxiiClient(request.url, { token: request.token, ...(request.timeoutMs ? { timeoutMs: request.timeoutMs } : {}) }).pull(request.collection, addedAfter);
  const bundle = { type: 'bundle', id: `bundle--${request.collection}`, objects: pulled.objects };
  const parsed = stixFeed.parse({ file: request.url, text: JSON.stringify(bundle), kind: 'threat', source });
  const intel = new IndicatorRepository(store);
  await intel.ensureTables();
  let indicators = parsed.indicators;
  if (addedAfter !== undefined) {
    const seen = new Set(indicators.map((i) => `${i.type} ${i.value}`));
    indicators = [...indicators, ...(await intel.active()).filter((i) => i.source === source && !seen.has(`${i.type} ${i.value}`))];
  } else if (indicators.length === 0 && !request.allowEmpty) {
    const active = await intel.activeCount(source);
    if (active > 0) throw new VantageError('IMPORT_FORMAT', `the peer's collection holds no loadable indicators: loading it would expire all ${active} entries of ${source}; allow an empty pull to do that`);
  }
  const saved = await intel.save({ ...parsed, indicators });
  return { source: saved.source, objects: pulled.objects.length, pages: pulled.pages, lastAdded: pulled.lastAdded, active: saved.active, added: saved.added, updated: saved.updated, expired: saved.expired,
    problems: parsed.problems.length,
    rejected: parsed.problems.filter(isBadInput).length,
    problemDetails: [...parsed.problems].sort((a, b) => a.line - b.line).slice(0, 100).map(({ code, message }) => ({ code, message })),
  };
}
