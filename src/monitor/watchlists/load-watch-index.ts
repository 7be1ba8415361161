// Builds the watch index of a store: its watchlists, the addresses passive DNS saw their watched
// domains resolve to, and (when AS members exist) the enrichment database's AS lookup.

import { parseIp } from '../../core/ip.js';
import type { GeoDatabase } from '../../enrich/geo-database.js';
import { passiveDnsByName } from '../../store/passive-dns-table.js';
import type { Store } from '../../store/store.js';
import { WatchIndex } from './watch-index.js';
import { WatchlistRepository } from './watchlist-repository.js';

/** What loading may use. */
export interface LoadWatchIndexOptions {
  /** Opened only when a watchlist has AS members (opening it reads the bundled databases). */
  readonly geo?: () => GeoDatabase | undefined;
}

/** The store's watch index (empty when no watchlist exists). */
export async function loadWatchIndex(store: Store, options: LoadWatchIndexOptions = {}): Promise<WatchIndex> {
  const repository = new WatchlistRepository(store);
  await repository.ensureTables();
  const watchlists = await repository.list();
  const resolved = new Map<string, string[]>();
  for (const list of watchlists) {
    for (const m of list.members) {
      if (m.type !== 'domain') continue;
      for (const row of await passiveDnsByName(store, m.value, { includeSubdomains: true })) {
        if ((row.rrtype !== 'A' && row.rrtype !== 'AAAA') || parseIp(row.rdata) === undefined) continue;
        const names = resolved.get(row.rdata) ?? [];
        if (!names.includes(row.rrname)) names.push(row.rrname);
        resolved.set(row.rdata, names);
      }
    }
  }
  const needsAsn = watchlists.some((w) => w.members.some((m) => m.type === 'asn'));
  const geo = needsAsn ? options.geo?.() : undefined;
  return new WatchIndex(watchlists, { resolved, ...(geo ? { asnOf: (ip) => geo.lookup(ip).asn } : {}) });
}
