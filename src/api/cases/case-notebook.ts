// The investigation notebook's storage: cases (named, with an owner) holding pinned entities,
// queries, findings and notes, kept as JSON documents in the flow store (both backends).

import { VantageError } from '../../core/errors.js';
import { DocumentTable, type DocumentStore } from '../../store/document-table.js';

/** Table name (in the store's database for ClickHouse). */
export const CASES_TABLE = 'cases';

/** What can be pinned to a case. */
export const CASE_ITEM_TYPES = ['entity', 'query', 'finding', 'note'] as const;
export type CaseItemType = (typeof CASE_ITEM_TYPES)[number];

/** Case names: as monitor and watchlist names, safe in a URL path and a file name. */
export const CASE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** One pinned thing. */
export interface CaseItem {
  /** 1, 2, 3... in pinning order: one more than the highest id the case holds. */
  readonly id: number;
  readonly type: CaseItemType;
  /** An address, network, domain or AS; a query's text; a finding id; a note's text. */
  readonly value: string;
  /** The analyst's note on it ('' when none). */
  readonly note: string;
  /** A query's time window, as the analyst ran it. */
  readonly from?: string;
  readonly to?: string;
  /** A finding's kind, severity and summary when pinned (so an export reads without the store). */
  readonly finding?: { readonly kind: string; readonly subkind: string; readonly severity: string; readonly summary: string };
  readonly addedBy: string;
  /** ISO 8601 UTC. */
  readonly addedAt: string;
}

/** A case as stored. */
export interface InvestigationCase {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** Who opened it (a user or token name) and whether that caller was limited to some networks. */
  readonly owner: string;
  readonly ownerKind: 'user' | 'token';
  readonly ownerScoped: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly items: readonly CaseItem[];
}

/** Who acts on a case. */
export interface CaseActor {
  readonly name: string;
  readonly kind: 'user' | 'token';
  /** True for a caller limited to some networks: it sees only the cases it opened. */
  readonly scoped: boolean;
}

/** A pin as requested (checked by the caller for its type's rules). */
export interface CasePin {
  readonly type: CaseItemType;
  readonly value: string;
  readonly note?: string;
  readonly from?: string;
  readonly to?: string;
  readonly finding?: CaseItem['finding'];
}

/** Items a case may hold: a notebook, not a data store. */
export const MAX_CASE_ITEMS = 500;

/** True when the actor may see (and so change) the case: unscoped callers see every case. */
export function caseVisibleTo(c: InvestigationCase, actor: CaseActor): boolean {
  return !actor.scoped || (c.owner === actor.name && c.ownerKind === actor.kind);
}

/**
 * The cases of a store. Changes to one case are read-modify-write: they are serialised within
 * the process (the API server is the only writer of a store).
 */
export class CaseNotebook {
  private readonly table: DocumentTable<InvestigationCase>;
  private ready: Promise<void> | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(store: DocumentStore) {
    this.table = new DocumentTable<InvestigationCase>(store, CASES_TABLE);
  }

  private async open(): Promise<DocumentTable<InvestigationCase>> {
    this.ready ??= this.table.ensureTable().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    await this.ready;
    return this.table;
  }

  /** Runs changes one after another, so two pins never overwrite each other. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The cases the actor may see, by name. */
  async list(actor: CaseActor): Promise<InvestigationCase[]> {
    return (await (await this.open()).list()).map((d) => d.body).filter((c) => caseVisibleTo(c, actor));
  }

  /** One case, or NOT_FOUND (also for a case the actor may not see, so its existence does not leak). */
  async get(name: string, actor: CaseActor): Promise<InvestigationCase> {
    const found = (await (await this.open()).get(name))?.body;
    if (!found || !caseVisibleTo(found, actor)) throw new VantageError('NOT_FOUND', `no case '${name}'`);
    return found;
  }

  /**
   * Opens a case, or changes the title and description of one the actor may see (its items stay).
   * A name taken by a case the actor may not see is a USAGE error that says only that.
   */
  async put(input: { name: string; title?: string; description?: string }, actor: CaseActor, now: number = Date.now()): Promise<{ case: InvestigationCase; created: boolean }> {
    if (!CASE_NAME.test(input.name)) throw new VantageError('USAGE', `case name '${input.name}': letters, digits, . _ - (at most 64, starting with a letter or digit)`);
    return this.serial(async () => {
      const table = await this.open();
      const old = (await table.get(input.name))?.body;
      if (old && !caseVisibleTo(old, actor)) throw new VantageError('USAGE', `the case name '${input.name}' is taken: choose another`);
      const at = new Date(now).toISOString();
      const next: InvestigationCase = old
        ? { ...old, title: input.title ?? old.title, description: input.description ?? old.description, updatedAt: at }
        : {
            name: input.name,
            title: input.title ?? input.name,
            description: input.description ?? '',
            owner: actor.name,
            ownerKind: actor.kind,
            ownerScoped: actor.scoped,
            createdAt: at,
            updatedAt: at,
            items: [],
          };
      await table.put(next.name, next, now);
      return { case: next, created: !old };
    });
  }

  /** Pins an item; answers the case and the new item. */
  async pin(name: string, pin: CasePin, actor: CaseActor, now: number = Date.now()): Promise<{ case: InvestigationCase; item: CaseItem }> {
    return this.serial(async () => {
      const old = await this.get(name, actor);
      if (old.items.length >= MAX_CASE_ITEMS) throw new VantageError('USAGE', `case '${name}' holds ${MAX_CASE_ITEMS} items, the most a case may: open another case`);
      const at = new Date(now).toISOString();
      const item: CaseItem = {
        id: old.items.reduce((m, i) => Math.max(m, i.id), 0) + 1,
        type: pin.type,
        value: pin.value,
        note: pin.note ?? '',
        ...(pin.from ? { from: pin.from } : {}),
        ...(pin.to ? { to: pin.to } : {}),
        ...(pin.finding ? { finding: pin.finding } : {}),
        addedBy: actor.name,
        addedAt: at,
      };
      const next: InvestigationCase = { ...old, items: [...old.items, item], updatedAt: at };
      await (await this.open()).put(name, next, now);
      return { case: next, item };
    });
  }

  /** Removes an item by id; NOT_FOUND when the case has none of that id. */
  async unpin(name: string, id: number, actor: CaseActor, now: number = Date.now()): Promise<{ case: InvestigationCase; item: CaseItem }> {
    return this.serial(async () => {
      const old = await this.get(name, actor);
      const item = old.items.find((i) => i.id === id);
      if (!item) throw new VantageError('NOT_FOUND', `case '${name}' has no item ${id}`);
      const next: InvestigationCase = { ...old, items: old.items.filter((i) => i.id !== id), updatedAt: new Date(now).toISOString() };
      await (await this.open()).put(name, next, now);
      return { case: next, item };
    });
  }

  /** Removes a case the actor may see; NOT_FOUND otherwise. */
  async remove(name: string, actor: CaseActor, now: number = Date.now()): Promise<InvestigationCase> {
    return this.serial(async () => {
      const old = await this.get(name, actor);
      await (await this.open()).remove(name, now);
      return old;
    });
  }
}
