// Entry point of the receiver thread: runs the receive loop and forwards filled batches straight
// to the decode workers through their channels (or to the datagram spool while they are behind);
// the main thread only sees counters and says which spooled batches are done with.

import { readlinkSync } from 'node:fs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { DatagramSpool } from '../../collect/datagram-spool.js';
import { ReceiveLoop } from './receive-loop.js';
import type { DecoderToReceiver, MainToReceiver, ReceiveCounters, ReceiverToDecoder, ReceiverToMain, ReceiverWorkerData } from './worker-messages.js';

const main = parentPort;
if (!main) throw new Error('receiver-worker.js runs as a worker thread');
const data = workerData as ReceiverWorkerData;
const ports: MessagePort[] = [...data.ports];

function toMain(message: ReceiverToMain): void {
  main!.postMessage(message);
}

/** Damaged datagram spool records, merged into the loop's counters. */
const drops: Record<string, number> = {};
const spoolSettings = data.datagramSpool;
const spool =
  spoolSettings &&
  new DatagramSpool({ dir: spoolSettings.dir, maxBytes: spoolSettings.maxBytes, segmentBytes: spoolSettings.segmentBytes }, spoolSettings.resumeAfter, (code, records) => {
    drops[code] = (drops[code] ?? 0) + records;
  });

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

function counters(): ReceiveCounters {
  const c = loop.counters();
  for (const [code, n] of Object.entries(drops)) c.drops[code] = (c.drops[code] ?? 0) + n;
  return c;
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
    toMain({ t: 'stopped', counters: counters() });
  })();
});

try {
  spool?.open();
  await loop.start();
  toMain({ t: 'started', listeners: loop.listeners(), thread: threadId() });
  stats = setInterval(() => toMain({ t: 'stats', counters: counters() }), data.statsMs);
} catch (err) {
  toMain({ t: 'failed', message: (err as Error).message });
}
