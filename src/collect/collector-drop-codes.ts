// Stable codes for what the collector drops or discards outside the decoders (which have their
// own DECODE_* codes): logs, metrics labels and --stats key on them, so never rename one.

/** Drop and discard reasons of the collector, with the unit each one counts. */
export const COLLECTOR_DROP_CODES = {
  /** Datagrams the kernel dropped because the socket buffer was full (from /proc/net/udp). */
  COLLECT_KERNEL_DROP: 'datagrams',
  /** Datagrams dropped on receive because their decode worker had too many batches queued (with the datagram spool off). */
  COLLECT_DECODE_BACKLOG: 'datagrams',
  /** Datagrams dropped on receive because their decode worker was behind and the datagram spool was at --spool-max. */
  COLLECT_DATAGRAM_SPOOL_FULL: 'datagrams',
  /** Datagrams dropped because writing them to the datagram spool failed (disk error). */
  COLLECT_DATAGRAM_SPOOL_IO: 'datagrams',
  /** Datagrams lost in a decode worker that crashed (it is restarted with its saved templates). */
  COLLECT_WORKER_CRASH: 'datagrams',
  /** Flows dropped because the store could not take them and the spool was at --spool-max. */
  COLLECT_SPOOL_FULL: 'flows',
  /** Flows dropped because writing them to the spool failed (disk error). */
  COLLECT_SPOOL_IO: 'flows',
  /** Spool records found cut short at the end of a segment (a crash while writing): never acknowledged. */
  COLLECT_SPOOL_TORN: 'records',
  /** Spool records skipped because their checksum or framing was wrong (disk corruption). */
  COLLECT_SPOOL_CORRUPT: 'records',
} as const;

/** One of {@link COLLECTOR_DROP_CODES}. */
export type CollectorDropCode = keyof typeof COLLECTOR_DROP_CODES;
