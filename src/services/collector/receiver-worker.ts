// Entry point of the receiver thread: runs the receive loop and forwards filled batches straight
// to the decode workers through their channels; the main thread only sees counters.

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ReceiveLoop } from './receive-loop.js';
import type { DecoderToReceiver, MainToReceiver, ReceiverToDecoder, ReceiverToMain, ReceiverWorkerData } from './worker-messages.js';

const main = parentPort;
if (!main) throw new Error('receiver-worker.js runs as a worker thread');
const data = workerData as ReceiverWorkerData;
const ports: MessagePort[] = [...data.ports];

function toMain(message: ReceiverToMain): void {
  main!.postMessage(message);
}

const loop = new ReceiveLoop({
  ...data,
  lanes: ports.length,
  send: (lane, buf, len) => ports[lane]!.postMessage({ t: 'batch', buf, len } satisfies ReceiverToDecoder, [buf]),
  log: (message) => toMain({ t: 'log', message }),
});

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
  void (async () => {
    clearInterval(stats);
    await loop.stop();
    for (const port of ports) port.postMessage({ t: 'fence' } satisfies ReceiverToDecoder);
    toMain({ t: 'stopped', counters: loop.counters() });
  })();
});

try {
  await loop.start();
  toMain({ t: 'started', listeners: loop.listeners() });
  stats = setInterval(() => toMain({ t: 'stats', counters: loop.counters() }), data.statsMs);
} catch (err) {
  toMain({ t: 'failed', message: (err as Error).message });
}
