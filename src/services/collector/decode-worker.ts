// Entry point of a decode worker thread: decodes the datagram batches the receiver routes here,
// gives the buffers back to the receiver, and sends encoded flow chunks, counters and template
// snapshots to the main thread.

import { parentPort, workerData } from 'node:worker_threads';
import { DecodeEngine, type EncodedFlows } from './decode-engine.js';
import type { DecodeWorkerData, DecoderToMain, DecoderToReceiver, MainToDecoder, ReceiverToDecoder, ReplayTag } from './worker-messages.js';

const main = parentPort;
if (!main) throw new Error('decode-worker.js runs as a worker thread');
const { settings, templates, port } = workerData as DecodeWorkerData;
const engine: DecodeEngine = new DecodeEngine(settings.decoder, settings.chunkFlows, (chunk) => postFlows(chunk));
let lastTemplatesPost = 0;
let countersDirty = false;
/** Chunks the main thread has not taken yet, and batches held back meanwhile. */
let chunksInFlight = 0;
const held: ReceiverToDecoder[] = [];
/** The datagram spool batch being decoded: its flows are sent apart from live ones. */
let replaying: ReplayTag | undefined;

function toMain(message: DecoderToMain, transfer: ArrayBuffer[] = []): void {
  main!.postMessage(message, transfer);
}

function postFlows(chunk: EncodedFlows): void {
  const buf = chunk.bytes.buffer as ArrayBuffer;
  toMain({ t: 'flows', buf, len: chunk.bytes.byteLength, flows: chunk.flows, ipv6: chunk.ipv6, counters: engine.counters, replay: replaying?.n }, [buf]);
  countersDirty = false;
  chunksInFlight++;
}

function sendFlows(): void {
  const chunk = engine.takeFlows();
  if (chunk) postFlows(chunk);
}

function sendTemplates(): void {
  const now = Date.now();
  if (!engine.templatesChanged || now - lastTemplatesPost < settings.templatesMs) return;
  lastTemplatesPost = now;
  toMain({ t: 'templates', templates: engine.snapshot() });
}

function handle(m: ReceiverToDecoder): void {
  if (m.t === 'batch') {
    if (m.replay) {
      // Its flows in chunks of their own, then word that they are all sent: the main thread spools
      // them in batches that end on a spooled batch's boundary (see DatagramReplay).
      sendFlows();
      replaying = m.replay;
      engine.decodeBatch(m.buf, m.len);
      sendFlows();
      replaying = undefined;
      toMain({ t: 'replayed', tag: m.replay, counters: engine.counters });
    } else engine.decodeBatch(m.buf, m.len);
    countersDirty = true;
    port.postMessage({ t: 'ret', buf: m.buf } satisfies DecoderToReceiver, [m.buf]);
    sendTemplates();
    return;
  }
  // The fence comes after the receiver's last batch on this same channel: all is decoded.
  sendFlows();
  toMain({ t: 'fenced', counters: engine.counters, templates: engine.snapshot() });
}

port.on('message', (m: ReceiverToDecoder) => {
  if (chunksInFlight >= settings.maxChunksInFlight || held.length > 0) held.push(m);
  else handle(m);
});

main.on('message', (m: MainToDecoder) => {
  if (m.t === 'spare') return engine.recycle(m.bufs);
  chunksInFlight--;
  while (held.length > 0 && chunksInFlight < settings.maxChunksInFlight) handle(held.shift()!);
});

if (templates.length > 0) {
  engine.restore(templates);
  toMain({ t: 'stats', counters: engine.counters });
}

setInterval(sendFlows, settings.chunkMs).unref();
setInterval(() => {
  if (countersDirty) toMain({ t: 'stats', counters: engine.counters });
  countersDirty = false;
  sendTemplates();
}, settings.statsMs).unref();
