// The collector's settings: one schema with a default for everything but the listeners.

import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { PREFERRED_BATCH } from '../../store/store.js';

/** Default SO_RCVBUF: 32 MiB, enough for ~20k full-size datagrams of burst. */
export const DEFAULT_RCVBUF = 33_554_432;

/** Decode workers by default: one core is left to the receive loop and the store. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** The collector configuration schema (zod), with its defaults. */
export const collectorConfigSchema = z.object({
  /** udp://HOST:PORT addresses to listen on. */
  listen: z.array(z.string()).min(1),
  receiveBufferBytes: z.number().int().positive().default(DEFAULT_RCVBUF),
  spoolDir: z.string().default('./data/spool'),
  /** Bytes the spool may hold; beyond, batches are dropped and counted (COLLECT_SPOOL_FULL). */
  spoolMaxBytes: z.number().int().positive().default(2 * 1024 ** 3),
  spoolSegmentBytes: z.number().int().positive().default(32 * 1024 ** 2),
  /** IPv4 flows per store append (the store's preferred size: a DuckDB row group); IPv6 flows ride along (see FlowWriter.add). */
  batchFlows: z.number().int().positive().default(PREFERRED_BATCH),
  /** A batch goes to the store at most this long after its first flow arrived. */
  flushMs: z.number().int().positive().default(1000),
  /** Decode worker threads; 0 decodes on the main thread. */
  workers: z.number().int().min(0).max(64).default(defaultWorkers),
  /** Batches waiting for the store beyond which new batches go to the spool (0: spool everything first). */
  storeQueue: z.number().int().min(0).default(8),
  /** Flows into the store after which it is reopened between appends (0: never; see FlowWriterOptions). */
  refreshFlows: z.number().int().min(0).default(0),
  /** How often templates are saved when they changed. */
  templateSaveMs: z.number().int().positive().default(10_000),
  /** At shutdown, how long the spool may still be replayed into the store. */
  drainMs: z.number().int().min(0).default(10_000),
  retryMs: z.number().int().positive().default(1000),
  maxRetryMs: z.number().int().positive().default(30_000),
  /** Datagram batch buffers: size, bytes at which a batch is sent, and the send tick. */
  /** A batch is sent once it holds `sendBytes`, so it never needs more than that plus one largest datagram (65,507 bytes and its header). */
  batchBufferBytes: z.number().int().min(70_000).default(139_264),
  sendBytes: z.number().int().positive().default(65_536),
  tickMs: z.number().int().positive().default(10),
  /**
   * Batches a decode worker may have queued before datagrams for it go to the datagram spool (or,
   * without it, are dropped): ~16 MB of datagrams, 0.35 s at 1M flows/s, so that a store append
   * slower than the rest does not send a sustainable rate through the spool.
   */
  maxOutstanding: z.number().int().min(0).default(256),
  /** Keep datagrams a decode worker cannot take yet in the datagram spool (false: drop them, COLLECT_DECODE_BACKLOG). Threaded decoding only. */
  datagramSpool: z.boolean().default(true),
  /**
   * Niceness given to every thread of the process but the receiver (Linux; 0 leaves them alone).
   * Under overload the receiver then keeps reading the sockets into the datagram spool and the
   * rest catches up afterwards; for a process of its own (vantage collect), not one shared with
   * other work (vantage serve).
   */
  nice: z.number().int().min(0).max(19).default(0),
  /** Flows per chunk a worker hands back, and the longest a flow waits in a worker. */
  chunkFlows: z.number().int().positive().default(4096),
  chunkMs: z.number().int().positive().default(50),
  /** Flow chunks a worker may have sent and the main thread not yet taken, before it pauses. */
  maxChunksInFlight: z.number().int().positive().default(64),
  decoder: z
    .object({
      maxPendingSets: z.number().int().positive().optional(),
      maxPendingPerTemplate: z.number().int().positive().optional(),
      pendingMaxAgeMs: z.number().int().positive().optional(),
      maxTemplates: z.number().int().positive().optional(),
      decapsulateVxlan: z.boolean().optional(),
      decapsulateIpInIp: z.boolean().optional(),
    })
    .default({}),
});

/** Collector settings as given (defaults may be left out). */
export type CollectorConfigInput = z.input<typeof collectorConfigSchema>;
/** Collector settings with every default filled in. */
export type CollectorConfig = z.output<typeof collectorConfigSchema>;

/** Fills in defaults and checks ranges; throws a ZodError on bad values. */
export function parseCollectorConfig(input: CollectorConfigInput): CollectorConfig {
  return collectorConfigSchema.parse(input);
}
