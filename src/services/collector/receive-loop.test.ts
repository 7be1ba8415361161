import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forEachDatagram } from '../../collect/datagram-batch.js';
import { DatagramSpool } from '../../collect/datagram-spool.js';
import { parseListenAddress } from '../../collect/listen-address.js';
import { waitFor } from '../../test-support/flow-tools.js';
import { DatagramSender } from '../../test-support/netflow-v5-datagrams.js';
import { ReceiveLoop } from './receive-loop.js';
import type { ReplayTag } from './worker-messages.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-receive-loop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Posted {
  readonly buffer: ArrayBuffer;
  /** Given back to the loop (as a decode worker does once it decoded the batch). */
  returned?: boolean;
  /** The first byte of each datagram in the batch: the test numbers its datagrams so. */
  readonly ids: number[];
  readonly replay?: ReplayTag;
}

function loopWith(maxOutstanding: number) {
  const posted: Posted[] = [];
  const spool = new DatagramSpool({ dir: join(work, `d${maxOutstanding}-${Date.now()}`), maxBytes: 1 << 24, segmentBytes: 1 << 20 }, undefined, () => {});
  spool.open();
  const loop = new ReceiveLoop({
    addresses: [parseListenAddress('udp://127.0.0.1:0')],
    receiveBufferBytes: 1 << 20,
    lanes: 1,
    bufferBytes: 139_264,
    sendBytes: 2048,
    tickMs: 5,
    maxOutstanding,
    spool,
    send: (_lane, buffer, length, replay) => {
      const ids: number[] = [];
      forEachDatagram(buffer, length, (payload) => ids.push(payload[0]!));
      posted.push({ buffer, ids, replay });
    },
    log: () => {},
  });
  /** Gives back every batch the lane holds (a worker that keeps up); the count of datagrams posted so far. */
  const take = (): number => {
    for (const p of posted) {
      if (p.returned) continue;
      p.returned = true;
      loop.returned(0, p.buffer);
    }
    return posted.reduce((n, p) => n + p.ids.length, 0);
  };
  return { loop, posted, spool, take };
}

/** Datagrams of 200 bytes whose first byte is their number (mod 256). */
const numbered = (from: number, n: number) => Array.from({ length: n }, (_, i) => Uint8Array.from({ length: 200 }, (_, k) => (k === 0 ? (from + i) & 0xff : 7)));

describe('ReceiveLoop with a datagram spool', () => {
  it('queue 0: every batch goes through the spool, is read back in order, tagged, and read-back can be held', async () => {
    const { loop, posted, spool, take } = loopWith(0);
    await loop.start();
    const port = loop.listeners()[0]!.port;
    const sender = new DatagramSender(port);
    try {
      await sender.sendAll(numbered(0, 100), 10, 2);
      await waitFor(() => take() === 100, 'read back');
      expect(posted.flatMap((p) => p.ids)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      // Each batch read back carries its replay number and its place in the spool, in order.
      expect(posted.map((p) => p.replay?.n)).toEqual(posted.map((_, i) => i));
      const positions = posted.map((p) => p.replay!.position);
      expect(positions).toEqual([...positions].sort((a, b) => a.segment - b.segment || a.record - b.record));
      expect(spool.spooledDatagrams).toBe(100);
      posted.splice(0);
      // Held: datagrams keep going to the spool, nothing is read back.
      loop.pauseReplay(true);
      await sender.sendAll(numbered(100, 50), 10, 2);
      await waitFor(() => spool.spooledDatagrams === 150, 'spooled');
      await new Promise((r) => setTimeout(r, 200));
      expect(posted).toEqual([]);
      loop.pauseReplay(false);
      await waitFor(() => take() === 50, 'read back after the hold');
      expect(posted.flatMap((p) => p.ids)).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
    } finally {
      sender.close();
      await loop.stop();
    }
  });

  it('a lane that is behind sends later batches to the spool, and they reach it after the ones it holds', async () => {
    const { loop, posted, spool, take } = loopWith(2);
    await loop.start();
    const sender = new DatagramSender(loop.listeners()[0]!.port);
    try {
      // The lane never gives a buffer back: two batches go to it, the rest to the spool.
      await sender.sendAll(numbered(0, 120), 10, 2);
      await waitFor(() => spool.spooledDatagrams + posted.reduce((n, p) => n + p.ids.length, 0) === 120, 'all received');
      expect(posted.filter((p) => !p.replay)).toHaveLength(2);
      const live = posted.filter((p) => !p.replay).reduce((n, p) => n + p.ids.length, 0);
      expect(spool.spooledDatagrams).toBe(120 - live);
      // The lane gives one batch back: it has room again, but what comes now goes behind the spool.
      posted[0]!.returned = true;
      loop.returned(0, posted[0]!.buffer);
      await sender.sendAll(numbered(120, 10), 10, 2);
      await waitFor(() => spool.spooledDatagrams + live === 130, 'spooled behind');
      // The lane catches up: the spool is read back behind the batches it held, then batches go live again.
      await waitFor(() => take() === 130, 'read back');
      expect(posted.flatMap((p) => p.ids)).toEqual(Array.from({ length: 130 }, (_, i) => i));
      await waitFor(() => spool.replayedDatagrams === 130 - live && !spool.unread, 'the spool read to its end');
      await sender.sendAll(numbered(130, 10), 10, 2);
      await waitFor(() => take() === 140, 'live again');
      expect(posted.at(-1)!.replay).toBeUndefined();
      expect(spool.spooledDatagrams).toBe(130 - live);
    } finally {
      sender.close();
      await loop.stop();
    }
  });
});
