// Adapts a Store to what the collector writes to: appends, and the flow count with which the
// spool replayer settles an append left in doubt by a crash. The store may be down when the
// collector starts: it is opened on first use and again after each failure, while the flow
// writer spools and backs off, so an unreachable store never stops collection.

import { decodeFlowChunks } from '../../collect/flow-codec.js';
import type { FlowRecord } from '../../core/columns.js';
import type { AddressLookups, Enricher } from '../../enrich/enricher.js';
import { runQuery } from '../../query/run-query.js';
import type { Store } from '../../store/store.js';
import type { ReplayTarget } from './spool-replayer.js';

/** The collector's view of a store, plus closing it if it was ever opened. */
export interface StoreTarget extends ReplayTarget {
  readonly isOpen: boolean;
  /** Opens the store now if it is not open; throws what opening threw. */
  ensureOpen(): Promise<void>;
  close(): Promise<void>;
}

/** The enricher batches go through as they enter the store (asked each time: it may be replaced), if any. */
export type CurrentEnricher = () => (Enricher & AddressLookups) | undefined;

/**
 * Appends records, enriched as they enter the store: spooled flows get the intelligence known
 * when they are replayed.
 */
async function appendRecords(store: Store, enricher: CurrentEnricher | undefined, records: readonly FlowRecord[]): Promise<void> {
  enricher?.()?.enrich(records as FlowRecord[]);
  await store.appendFlows(records);
}

/** Appends encoded chunks straight into a store that reads them (enriched on the way), else as records. */
async function appendChunks(store: Store, enricher: CurrentEnricher | undefined, chunks: readonly Uint8Array[]): Promise<void> {
  if (store.appendEncodedFlows) return store.appendEncodedFlows(chunks, enricher?.());
  const records: FlowRecord[] = [];
  for (const chunk of chunks) decodeFlowChunks(chunk, records);
  await appendRecords(store, enricher, records);
}

/** Encoded batches the store takes at once (records go one at a time). */
function encodedConcurrency(store: Store): number {
  return store.appendEncodedFlows ? (store.appendConcurrency ?? 1) : 1;
}

/** Wraps a store that is not yet open (or may fail to open). */
export function storeReplayTarget(store: Store, enricher?: CurrentEnricher): StoreTarget {
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
    appendConcurrency: encodedConcurrency(store),
    // The collector opened this store: a DuckDB file is then its alone (one process per file); a
    // ClickHouse table may have other collectors writing to it.
    soleWriter: store.dialect.name === 'duckdb',
    ensureOpen,
    async appendFlows(records) {
      await ensureOpen();
      await appendRecords(store, enricher, records);
    },
    async appendEncoded(chunks) {
      await ensureOpen();
      await appendChunks(store, enricher, chunks);
    },
    async countFlows() {
      await ensureOpen();
      const { rows } = await runQuery(store, 'any | count');
      return Number(rows[0]?.flows ?? 0);
    },
    async refresh() {
      if (!open) return;
      open = false;
      await store.close();
      await ensureOpen();
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
export function sharedStoreTarget(store: Store, enricher?: CurrentEnricher): StoreTarget {
  return {
    isOpen: true,
    appendConcurrency: encodedConcurrency(store),
    async ensureOpen() {},
    appendFlows: (records) => appendRecords(store, enricher, records),
    appendEncoded: (chunks) => appendChunks(store, enricher, chunks),
    async countFlows() {
      const { rows } = await runQuery(store, 'any | count');
      return Number(rows[0]?.flows ?? 0);
    },
    async close() {},
  };
}
