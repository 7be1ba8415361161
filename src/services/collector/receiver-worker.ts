// Entry point of the receiver thread: runs the receive loop and forwards filled batches straight
// to the decode workers through their channels (or to the datagram spool while they are behind);
// the main thread only sees counters and says which spooled batches are done with.

import { readlinkSync } from 'node:fs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { DatagramSpool } from '../../collect/datagram-spool.js';
import { ReceiveLoop } from './receive-loop.js';
import type { DecoderToReceiver, MainToReceiver, ReceiverToDecoder, ReceiverToMain, ReceiverWorkerData } from './worker-messages.js';

const main = parentPort;
if (!main) throw new Error('receiver-worker.js runs as a worker thread');
const data = workerData as ReceiverWorkerData;
const ports: MessagePort[] = [...data.ports];

function toMain(message: ReceiverToMain): void {
  main!.postMessage(message);
}

const spoolSettings = data.datagramSpool;
// Damaged records are counted with the loop's drops (the callback runs once the loop exists).
const spool =
  spoolSettings &&
  new DatagramSpool({ dir: spoolSettings.dir, maxBytes: spoolSettings.maxBytes, segmentBytes: spoolSettings.segmentBytes }, spoolSettings.resumeAfter, (code, records) =>
    loop.count(code, records),
  );

const loop = new ReceiveLoop({
  ...data,
  lanes: ports.length,
  spool,
  send: (lane, buf, len, replay) => ports[lane]!.postMessage({ t: 'batch', buf, len, replay } satisfies ReceiverToDecoder, [buf]),
  replayLost: (n) => toMain({ t: 'replay-lost', n }),
  log: (message) => toMain({ t: 'log', message }),
});

/** This thread's kernel id (Linux), for the main thread to leave its priority alone. */
function threadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || undefined;
  } catch {
    return undefined;
  }
}

function listen(lane: number, port: MessagePort): void {
  port.on('message', (m: DecoderToReceiver) => {
    if (m.t === 'ret') loop.returned(lane, m.buf);
  });
}
ports.forEach((port, lane) => listen(lane, port));

let stats: NodeJS.Timeout | undefined;

main.on('message', (m: MainToReceiver) => {
  if (m.t === 'replace') {
    ports[m.lane]!.close();
    ports[m.lane] = m.port;
    loop.lost(m.lane);
    listen(m.lane, m.port);
    return;
  }
  if (m.t === 'completed') {
    loop.completed(m.position);
    return;
  }
  if (m.t === 'pace') {
    loop.pauseReplay(m.pause);
    return;
  }
  void (async () => {
    clearInterval(stats);
    await loop.stop();
    for (const port of ports) port.postMessage({ t: 'fence' } satisfies ReceiverToDecoder);
    toMain({ t: 'stopped', counters: loop.counters() });
  })();
});

try {
  spool?.open();
  await loop.start();
  toMain({ t: 'started', listeners: loop.listeners(), thread: threadId() });
  stats = setInterval(() => toMain({ t: 'stats', counters: loop.counters() }), data.statsMs);
} catch (err) {
  toMain({ t: 'failed', message: (err as Error).message });
}
