// Stored watchlists: create, replace, add or remove members, list and remove, over the document
// table of the flow store (both backends).

import { VantageError } from '../../core/errors.js';
import { DocumentTable, type DocumentStore } from '../../store/document-table.js';
import { parseWatchlist, parseWatchMember, type Watchlist } from './watchlist.js';

/** Table name (in the store's database for ClickHouse). */
export const WATCHLISTS_TABLE = 'watchlists';

/** The watchlists of a store. Call `ensureTables()` once after the store opens. */
export class WatchlistRepository {
  private readonly table: DocumentTable<Watchlist>;

  constructor(store: DocumentStore) {
    this.table = new DocumentTable<Watchlist>(store, WATCHLISTS_TABLE);
  }

  async ensureTables(): Promise<void> {
    await this.table.ensureTable();
  }

  async list(): Promise<Watchlist[]> {
    return (await this.table.list()).map((d) => d.body);
  }

  async get(name: string): Promise<Watchlist | undefined> {
    return (await this.table.get(name))?.body;
  }

  /** The watchlist or a NOT_FOUND error naming it. */
  async require(name: string): Promise<Watchlist> {
    const w = await this.get(name);
    if (!w) throw new VantageError('NOT_FOUND', `no watchlist '${name}'`);
    return w;
  }

  /** Creates or replaces a watchlist (input checked and normalised). */
  async put(input: unknown, now: number = Date.now()): Promise<Watchlist> {
    const watchlist = parseWatchlist(input);
    await this.table.put(watchlist.name, watchlist, now);
    return watchlist;
  }

  /** Adds members (ignoring ones already there). */
  async addMembers(name: string, members: readonly string[], now: number = Date.now()): Promise<Watchlist> {
    const w = await this.require(name);
    const added = members.map((m) => parseWatchMember(m));
    return this.put({ ...w, members: [...w.members, ...added.filter((a) => !w.members.some((m) => m.value === a.value))] }, now);
  }

  /** Removes members given as users write them. */
  async removeMembers(name: string, members: readonly string[], now: number = Date.now()): Promise<Watchlist> {
    const w = await this.require(name);
    const gone = new Set(members.map((m) => parseWatchMember(m).value));
    return this.put({ ...w, members: w.members.filter((m) => !gone.has(m.value)) }, now);
  }

  async remove(name: string, now: number = Date.now()): Promise<boolean> {
    return this.table.remove(name, now);
  }
}
