// Adapts a Store to what the collector writes to: appends, and the flow count with which the
// spool replayer settles an append left in doubt by a crash.

import { runQuery } from '../../query/run-query.js';
import type { Store } from '../../store/store.js';
import type { ReplayTarget } from './spool-replayer.js';

/** The collector's view of a store. */
export function storeReplayTarget(store: Store): ReplayTarget {
  return {
    appendFlows: (records) => store.appendFlows(records),
    async countFlows() {
      const { rows } = await runQuery(store, 'any | count');
      return Number(rows[0]?.flows ?? 0);
    },
  };
}
