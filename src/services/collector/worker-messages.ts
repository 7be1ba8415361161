// The messages between the collector's threads: main, the receiver (UDP sockets) and the decode
// workers. Plain structured-clone data; buffers are transferred, never copied.

import type { MessagePort } from 'node:worker_threads';
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

/** Receiver to decode worker. */
export type ReceiverToDecoder =
  | { readonly t: 'batch'; readonly buf: ArrayBuffer; readonly len: number }
  /** Nothing follows: decode what came before, hand everything to the main thread, say 'fenced'. */
  | { readonly t: 'fence' };

/** Decode worker to receiver: a batch buffer given back for reuse. */
export type DecoderToReceiver = { readonly t: 'ret'; readonly buf: ArrayBuffer };

/** Decode worker to main thread. */
export type DecoderToMain =
  /** Encoded flows, with the counters as of their decoding (so counters never lag the flows). */
  | { readonly t: 'flows'; readonly buf: ArrayBuffer; readonly len: number; readonly flows: number; readonly ipv6: number; readonly counters: DecodeCounters }
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
}

/** Counters of the receive side. */
export interface ReceiveCounters {
  readonly datagrams: number;
  readonly bytes: number;
  /** Datagrams and bytes per exporter address (beyond a bound, summed under 'other'). */
  readonly exporters: Record<string, { datagrams: number; bytes: number }>;
  /** COLLECT_DECODE_BACKLOG, COLLECT_WORKER_CRASH, COLLECT_KERNEL_DROP (datagrams). */
  readonly drops: Record<string, number>;
  readonly listeners: readonly ListenerStats[];
}

/** Main thread to receiver. */
export type MainToReceiver =
  /** Close the sockets, send what is batched, fence every decode worker, answer 'stopped'. */
  | { readonly t: 'stop' }
  /** A decode worker was restarted: its new channel end (the old worker's batches are lost). */
  | { readonly t: 'replace'; readonly lane: number; readonly port: MessagePort };

/** Receiver to main thread. */
export type ReceiverToMain =
  | { readonly t: 'started'; readonly listeners: readonly ListenerStats[] }
  | { readonly t: 'failed'; readonly message: string }
  | { readonly t: 'log'; readonly message: string }
  | { readonly t: 'stats'; readonly counters: ReceiveCounters }
  | { readonly t: 'stopped'; readonly counters: ReceiveCounters };
