// Saved block lists: a name, a description and the criteria (never the entries: a saved list is
// rebuilt from the store each time it is read, so it follows new findings, feeds and verdicts),
// over the document table of the flow store (both backends).

import { VantageError } from '../../core/errors.js';
import { DocumentTable, type DocumentStore } from '../../store/document-table.js';
import { parseCriteria, type BlocklistCriteriaInput } from './blocklist-criteria.js';

/** Table name (in the store's database for ClickHouse). */
export const BLOCKLISTS_TABLE = 'blocklists';

/** Block list names: short, safe in URLs, file names and firewall configuration. */
export const BLOCKLIST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A saved block list. */
export interface SavedBlocklist {
  readonly name: string;
  readonly description: string;
  /** The criteria as given (defaults are applied when the list is built). */
  readonly criteria: BlocklistCriteriaInput;
  /** Who saved it (a user, a token, `cli`). */
  readonly savedBy: string;
  /** ISO 8601 UTC. */
  readonly savedAt: string;
}

/** Checks a block list name; the error says what a name may hold. */
export function checkBlocklistName(name: string): string {
  if (!BLOCKLIST_NAME.test(name)) throw new VantageError('USAGE', `'${name}' is not a block list name: letters, digits, . _ - (at most 64, not starting with . _ -)`);
  return name;
}

/** The saved block lists of a store. Call `ensureTables()` once after the store opens. */
export class BlocklistRepository {
  private readonly table: DocumentTable<SavedBlocklist>;

  constructor(store: DocumentStore) {
    this.table = new DocumentTable<SavedBlocklist>(store, BLOCKLISTS_TABLE);
  }

  async ensureTables(): Promise<void> {
    await this.table.ensureTable();
  }

  async list(): Promise<SavedBlocklist[]> {
    return (await this.table.list()).map((d) => d.body);
  }

  /** The saved list or a NOT_FOUND error naming it. */
  async require(name: string): Promise<SavedBlocklist> {
    const doc = await this.table.get(name);
    if (!doc) throw new VantageError('NOT_FOUND', `no block list '${name}'`);
    return doc.body;
  }

  /** Saves (or replaces) a list; the criteria are checked first, so a saved list always builds. */
  async save(input: { name: string; description?: string; criteria: BlocklistCriteriaInput; savedBy: string }, now: number = Date.now()): Promise<SavedBlocklist> {
    checkBlocklistName(input.name);
    parseCriteria(input.criteria);
    const saved: SavedBlocklist = { name: input.name, description: input.description ?? '', criteria: input.criteria, savedBy: input.savedBy, savedAt: new Date(now).toISOString() };
    await this.table.put(input.name, saved, now);
    return saved;
  }

  async remove(name: string, now: number = Date.now()): Promise<boolean> {
    return this.table.remove(name, now);
  }
}
