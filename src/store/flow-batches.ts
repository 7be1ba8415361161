// Store batches that fill whole row groups of a DuckDB store's IPv4 table: exactly `size` flows
// without an IPv6 address each, the flows with one riding along (DuckDB keeps them in a table of
// their own). DuckDB writes an append of whole row groups once, compressed; a part of one it
// copies again at commit and compresses at the next checkpoint, which cost its threads 0.3-0.6
// µs a flow more (docs/collector.md, "Whole row groups"). The collector cuts its encoded chunks
// the same way (FlowWriter.add).

import { FLOW_COLUMNS, type FlowRecord } from '../core/columns.js';

/** Whether a flow has an IPv6 address in any address column. */
export const hasIpv6Address = new Function(
  'r',
  // Generated so that each field is read under a constant name (see the chunk writer).
  `return ${FLOW_COLUMNS.filter((c) => c.kind === 'ip').map((c) => `typeof r.${c.name} === 'bigint'`).join(' || ')};`,
) as (record: FlowRecord) => boolean;

/** Cuts batches off the front of a list of flows that keeps growing (the same list every call). */
export class FlowBatchCutter {
  /** Flows at the front of the list already looked at, and how many of them have no IPv6 address. */
  private counted = 0;
  private ipv4 = 0;

  constructor(readonly size: number) {}

  /**
   * Removes the first full batch from `pending` and returns it, or undefined while there is
   * none: `size` flows without an IPv6 address, with the IPv6 flows among them; twice `size`
   * flows in all at most (IPv6 traffic alone).
   */
  take(pending: FlowRecord[]): FlowRecord[] | undefined {
    const most = 2 * this.size;
    while (this.counted < pending.length) {
      if (!hasIpv6Address(pending[this.counted++]!)) this.ipv4++;
      if (this.ipv4 === this.size || this.counted === most) {
        const batch = pending.splice(0, this.counted);
        this.counted = 0;
        this.ipv4 = 0;
        return batch;
      }
    }
    return undefined;
  }
}
