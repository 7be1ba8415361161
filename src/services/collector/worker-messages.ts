// The messages between the collector's threads: main, the receiver (UDP sockets) and the decode
// workers. Plain structured-clone data; buffers are transferred, never copied.

import type { MessagePort } from 'node:worker_threads';
import type { DatagramPosition } from '../../collect/datagram-spool.js';
import type { ListenAddress } from '../../collect/listen-address.js';
import type { DecoderOptions, TemplateSnapshot } from '../../decode/decoder-state.js';
import type { ListenerStats } from './collector-stats.js';
import type { DecodeCounters } from './decode-engine.js';

/** Settings of a decode worker. */
export interface DecodeWorkerSettings {
  readonly decoder: DecoderOptions;
  /** Flows per chunk handed back; a chunk is also sent every `chunkMs`. */
  readonly chunkFlows: number;
  readonly chunkMs: number;
  /** How often counters are posted. */
  readonly statsMs: number;
  /** Least time between two template snapshots posted on change. */
  readonly templatesMs: number;
  /**
   * Flow chunks sent to the main thread and not yet taken by it, beyond which the worker stops
   * decoding (and stops giving batch buffers back, so the receiver's own bound applies): memory
   * stays bounded when the main thread falls behind.
   */
  readonly maxChunksInFlight: number;
}

/** What a decode worker starts with. */
export interface DecodeWorkerData {
  readonly settings: DecodeWorkerSettings;
  /** Saved templates of the exporters routed to this worker. */
  readonly templates: readonly TemplateSnapshot[];
  /** Where datagram batches come from (the receiver thread's end of a channel). */
  readonly port: MessagePort;
}

/** Main thread to decode worker. */
export type MainToDecoder =
  /** One flow chunk was taken. */
  | { readonly t: 'ack' }
  /** Buffers of flow chunks the store or the spool has taken, for the encoder to reuse. */
  | { readonly t: 'spare'; readonly bufs: ArrayBuffer[] };

/** A batch read back from the datagram spool: its place there, and its number in this run's replay order. */
export interface ReplayTag {
  readonly n: number;
  readonly position: DatagramPosition;
}

/** Receiver to decode worker. */
export type ReceiverToDecoder =
  | { readonly t: 'batch'; readonly buf: ArrayBuffer; readonly len: number; readonly replay?: ReplayTag }
  /** Nothing follows: decode what came before, hand everything to the main thread, say 'fenced'. */
  | { readonly t: 'fence' };

/** Decode worker to receiver: a batch buffer given back for reuse. */
export type DecoderToReceiver = { readonly t: 'ret'; readonly buf: ArrayBuffer };

/** Decode worker to main thread. */
export type DecoderToMain =
  /** Encoded flows, with the counters as of their decoding (so counters never lag the flows). */
  | {
      readonly t: 'flows';
      readonly buf: ArrayBuffer;
      readonly len: number;
      readonly flows: number;
      readonly ipv6: number;
      readonly counters: DecodeCounters;
      /** Decoded from the datagram spool's batch number `replay` (see ReplayTag). */
      readonly replay?: number;
    }
  /** Every flow of a batch from the datagram spool was sent (in 'flows' messages before this one). */
  | { readonly t: 'replayed'; readonly tag: ReplayTag; readonly counters: DecodeCounters }
  | { readonly t: 'stats'; readonly counters: DecodeCounters }
  | { readonly t: 'templates'; readonly templates: TemplateSnapshot[] }
  | { readonly t: 'fenced'; readonly counters: DecodeCounters; readonly templates: TemplateSnapshot[] };

/** What the receiver thread starts with. */
export interface ReceiverWorkerData {
  readonly addresses: readonly ListenAddress[];
  readonly receiveBufferBytes: number;
  readonly bufferBytes: number;
  readonly sendBytes: number;
  readonly tickMs: number;
  readonly maxOutstanding: number;
  readonly statsMs: number;
  /** One channel end per decode worker, in lane order. */
  readonly ports: readonly MessagePort[];
  /** Where datagrams go that a decode worker cannot take yet (absent: they are dropped, COLLECT_DECODE_BACKLOG). */
  readonly datagramSpool?: {
    readonly dir: string;
    readonly maxBytes: number;
    readonly segmentBytes: number;
    /** Records up to here are in the flow spool or the store already (see DatagramJournal). */
    readonly resumeAfter?: DatagramPosition;
  };
}

/** The datagram spool's counters (datagrams, and the spool's size). */
export interface DatagramSpoolCounters {
  readonly spooled: number;
  readonly replayed: number;
  readonly bytes: number;
  readonly segments: number;
}

/** Counters of the receive side. */
export interface ReceiveCounters {
  readonly datagrams: number;
  readonly bytes: number;
  /** Datagrams and bytes per exporter address (beyond a bound, summed under 'other'). */
  readonly exporters: Record<string, { datagrams: number; bytes: number }>;
  /** COLLECT_DECODE_BACKLOG, COLLECT_WORKER_CRASH, COLLECT_KERNEL_DROP, COLLECT_DATAGRAM_SPOOL_* (datagrams); COLLECT_SPOOL_TORN/CORRUPT (records). */
  readonly drops: Record<string, number>;
  readonly listeners: readonly ListenerStats[];
  readonly datagramSpool?: DatagramSpoolCounters;
}

/** Main thread to receiver. */
export type MainToReceiver =
  /** Close the sockets, send what is batched, fence every decode worker, answer 'stopped'. */
  | { readonly t: 'stop' }
  /** A decode worker was restarted: its new channel end (the old worker's batches are lost). */
  | { readonly t: 'replace'; readonly lane: number; readonly port: MessagePort }
  /** The flows of every datagram spool record up to here are in the flow spool: its segments may go. */
  | { readonly t: 'completed'; readonly position: DatagramPosition }
  /** Stop (or go on) reading the datagram spool back: the flow spool is behind the store (or no longer). */
  | { readonly t: 'pace'; readonly pause: boolean };

/** Receiver to main thread. */
export type ReceiverToMain =
  /** `thread`: the receiver's kernel thread id, where the system has one. */
  | { readonly t: 'started'; readonly listeners: readonly ListenerStats[]; readonly thread?: number }
  | { readonly t: 'failed'; readonly message: string }
  | { readonly t: 'log'; readonly message: string }
  | { readonly t: 'stats'; readonly counters: ReceiveCounters }
  /** Datagram spool batches lost with a crashed decode worker (counted as COLLECT_WORKER_CRASH): they will not be 'replayed'. */
  | { readonly t: 'replay-lost'; readonly n: readonly number[] }
  | { readonly t: 'stopped'; readonly counters: ReceiveCounters };
