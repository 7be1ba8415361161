// Adapts a Store to what the collector writes to: appends, and the flow count with which the
// spool replayer settles an append left in doubt by a crash. The store may be down when the
// collector starts: it is opened on first use and again after each failure, while the flow
// writer spools and backs off, so an unreachable store never stops collection.

import { runQuery } from '../../query/run-query.js';
import type { FlowRecord } from '../../core/columns.js';
import type { Store } from '../../store/store.js';
import type { ReplayTarget } from './spool-replayer.js';

/** The collector's view of a store, plus closing it if it was ever opened. */
export interface StoreTarget extends ReplayTarget {
  readonly isOpen: boolean;
  /** Opens the store now if it is not open; throws what opening threw. */
  ensureOpen(): Promise<void>;
  close(): Promise<void>;
}

/** Wraps a store that is not yet open (or may fail to open); `enrich` runs on each batch appended. */
export function storeReplayTarget(store: Store, enrich?: (records: FlowRecord[]) => void): StoreTarget {
  let open = false;
  let opening: Promise<void> | undefined;
  const ensureOpen = async (): Promise<void> => {
    if (open) return;
    opening ??= store.open().then(
      () => {
        open = true;
        opening = undefined;
      },
      (err: unknown) => {
        opening = undefined;
        throw err;
      },
    );
    await opening;
  };
  return {
    get isOpen() {
      return open;
    },
    ensureOpen,
    async appendFlows(records) {
      await ensureOpen();
      // Enriched here, as the batch enters the store: spooled flows get the intelligence known
      // when they are replayed.
      enrich?.(records as FlowRecord[]);
      await store.appendFlows(records);
    },
    async countFlows() {
      await ensureOpen();
      const { rows } = await runQuery(store, 'any | count');
      return Number(rows[0]?.flows ?? 0);
    },
    async close() {
      if (open) await store.close();
      open = false;
    },
  };
}

/**
 * A store the caller has opened and keeps (the server's): the collector appends to it but
 * never opens or closes it.
 */
export function sharedStoreTarget(store: Store, enrich?: (records: FlowRecord[]) => void): StoreTarget {
  return {
    isOpen: true,
    async ensureOpen() {},
    async appendFlows(records) {
      enrich?.(records as FlowRecord[]);
      await store.appendFlows(records);
    },
    async countFlows() {
      const { rows } = await runQuery(store, 'any | count');
      return Number(rows[0]?.flows ?? 0);
    },
    async close() {},
  };
}
