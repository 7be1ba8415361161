import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../collect/capture-file.js';
import { DatagramBatchWriter } from '../../collect/datagram-batch.js';
import { DatagramSpool } from '../../collect/datagram-spool.js';
import { parseIp } from '../../core/ip.js';
import type { FlowRecord } from '../../core/columns.js';
import { UdpDatagramExtractor } from '../../decode/packet/udp-datagram-extractor.js';
import { DatagramSender, encodeV5, flowNumber, numberedFlow } from '../../test-support/netflow-v5-datagrams.js';
import { waitFor } from '../../test-support/flow-tools.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { createCollector, type Collector } from './collector.js';
import { DATAGRAM_JOURNAL } from './datagram-replay.js';
import type { CollectorConfigInput } from './collector-config.js';
import { createCollectorRegistry } from './collector-metrics.js';
import { startMetricsServer } from './metrics-server.js';
import { TEMPLATE_FILE } from './template-file.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-collector-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;

/** A store double: keeps appended flows; while `down`, every append and count fails. */
function storeDouble() {
  const rows: FlowRecord[] = [];
  const store = {
    rows,
    down: false,
    appends: 0,
    async appendFlows(records: readonly FlowRecord[]) {
      if (store.down) throw new Error('connection refused');
      store.appends++;
      rows.push(...records);
    },
    async countFlows() {
      if (store.down) throw new Error('connection refused');
      return rows.length;
    },
  };
  return store;
}

const logs: string[] = [];

async function startCollector(target: ReturnType<typeof storeDouble>, extra: Partial<CollectorConfigInput> = {}): Promise<{ collector: Collector; port: number; spool: string }> {
  const spool = extra.spoolDir ?? join(work, `spool-${++dirs}`);
  const collector = createCollector(
    { listen: ['udp://127.0.0.1:0'], spoolDir: spool, flushMs: 50, batchFlows: 300, retryMs: 100, maxRetryMs: 200, workers: 1, ...extra },
    { target, log: (m) => logs.push(m) },
  );
  await collector.start();
  return { collector, port: collector.listeners()[0]!.port, spool };
}

/** Flow numbers in the store, checked unique. */
function numbers(rows: readonly FlowRecord[]): Set<number> {
  const seen = new Set<number>();
  for (const r of rows) {
    const n = flowNumber(r.src as number, r.sport);
    expect(seen.has(n), `flow ${n} stored twice`).toBe(false);
    seen.add(n);
  }
  return seen;
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => numberedFlow(from + i));

describe('collector', () => {
  it.each([
    ['in worker threads', 1],
    ['inline (--workers 0)', 0],
  ])('decodes v5 datagrams %s and appends them in batches, counting per exporter', async (_, workers) => {
    const store = storeDouble();
    const { collector, port } = await startCollector(store, { workers });
    expect(collector.threaded).toBe(workers > 0);
    const sender = new DatagramSender(port);
    try {
      await sender.sendAll(encodeV5(range(0, 1500)));
      // Receive counters come from the receiver thread a few times a second.
      await waitFor(() => collector.snapshot().stored === 1500 && collector.snapshot().datagrams === 50, 'flows stored');
      const s = collector.snapshot();
      expect(s).toMatchObject({ datagrams: 50, records: 1500, spooled: 0, acknowledged: 1500, drops: {} });
      expect(s.exporters['127.0.0.1']).toMatchObject({ datagrams: 50, records: 1500, errors: 0 });
      expect(store.appends).toBeGreaterThanOrEqual(5); // batches of ~300 flows
      expect(numbers(store.rows).size).toBe(1500);
      const first = store.rows.find((r) => flowNumber(r.src as number, r.sport) === 0)!;
      const expected = numberedFlow(0);
      expect(first).toMatchObject({ src: expected.src, dst: expected.dst, sport: expected.sport, dport: 443, proto: 6, packets: expected.packets, bytes: expected.bytes, start: expected.start, end: expected.end });
    } finally {
      sender.close();
      await collector.stop();
    }
  });

  it('store outage: flows go to the spool, are replayed once appends succeed again, each exactly once', async () => {
    const store = storeDouble();
    const { collector, port } = await startCollector(store, { storeQueue: 2 });
    const sender = new DatagramSender(port);
    try {
      await sender.sendAll(encodeV5(range(0, 600)));
      await waitFor(() => collector.snapshot().stored === 600, 'direct appends');
      store.down = true;
      await sender.sendAll(encodeV5(range(600, 3000)));
      await waitFor(() => collector.snapshot().acknowledged === 3600, 'flows spooled');
      let s = collector.snapshot();
      expect(s.store.up).toBe(false);
      expect(s.spooled).toBeGreaterThan(0);
      expect(s.spool.bytes).toBeGreaterThan(0);
      expect(store.rows).toHaveLength(600);
      // While the store is down, new flows keep going to the spool (in order behind the others).
      store.down = false;
      await waitFor(() => collector.snapshot().replayed === collector.snapshot().spooled && collector.snapshot().spool.bytes === 0, 'spool replayed', 30_000);
      s = collector.snapshot();
      expect(s.store.up).toBe(true);
      expect(s.store.errors).toBeGreaterThan(0);
      // Store up again: new flows go straight to the store.
      await sender.sendAll(encodeV5(range(3600, 300)));
      await waitFor(() => collector.snapshot().acknowledged === 3900 && collector.snapshot().spool.bytes === 0 && store.rows.length === 3900, 'after recovery');
      const seen = numbers(store.rows);
      expect(seen.size).toBe(3900);
      expect(logs.some((l) => l.includes('store append failed'))).toBe(true);
    } finally {
      sender.close();
      await collector.stop();
    }
  });

  it('a spool left by a stopped collector is replayed first by the next one', async () => {
    const store = storeDouble();
    store.down = true;
    const first = await startCollector(store, { drainMs: 0 });
    const sender = new DatagramSender(first.port);
    await sender.sendAll(encodeV5(range(0, 900)));
    await waitFor(() => first.collector.snapshot().spooled === 900, 'spooled');
    sender.close();
    await first.collector.stop(); // the store is still down: everything stays spooled
    expect(store.rows).toHaveLength(0);
    store.down = false;
    const second = await startCollector(store, { spoolDir: first.spool });
    try {
      await waitFor(() => second.collector.snapshot().replayed === 900, 'replayed at start');
      expect(numbers(store.rows).size).toBe(900);
    } finally {
      await second.collector.stop();
    }
  });

  const templates = sharedDataPath('flow-export/akvorado/netflow/ipfixprobe-templates.pcap');
  const data = sharedDataPath('flow-export/akvorado/netflow/ipfixprobe-data.pcap');
  const payloads = (file: string) => {
    const source = openCaptureFile(file);
    const extractor = new UdpDatagramExtractor();
    const out: Uint8Array[] = [];
    for (const frame of source.frames()) {
      const d = extractor.extract(frame.data, frame.linkType, frame.timestamp);
      if (d) out.push(d.payload.slice());
    }
    source.close();
    return out;
  };

  it.skipIf(!templates || !data)('--decode-queue 0: every datagram through the datagram spool, in order (templates before their data), the same flows as straight, each once', async () => {
    const run = async (extra: Partial<CollectorConfigInput>) => {
      const store = storeDouble();
      const { collector, port } = await startCollector(store, extra);
      const sender = new DatagramSender(port);
      try {
        for (const d of [...payloads(templates!), ...payloads(data!)]) await sender.send(d);
        await sender.sendAll(encodeV5(range(0, 3000)));
        const done = () => {
          const s = collector.snapshot();
          return s.records > 3000 && s.stored + s.replayed === s.records && s.spool.bytes === 0 && (s.datagram_spool?.bytes ?? 0) === 0 && s.datagrams === s.decoded_datagrams;
        };
        await waitFor(done, 'every flow stored', 30_000);
        const s = collector.snapshot();
        expect(s).toMatchObject({ template_misses: 0, drops: {} });
        const rows = store.rows.map((r) => `${String(r.src)} ${String(r.dst)} ${r.sport} ${r.dport} ${r.proto} ${r.packets} ${r.bytes} ${r.start}`).sort();
        return { s, rows };
      } finally {
        sender.close();
        await collector.stop();
      }
    };
    const straight = await run({});
    const spooled = await run({ maxOutstanding: 0 });
    expect(straight.s.datagram_spool).toMatchObject({ datagrams: 0, replayed: 0 });
    expect(spooled.s.datagram_spool).toMatchObject({ datagrams: spooled.s.datagrams, replayed: spooled.s.datagrams, bytes: 0 });
    expect(spooled.s.records).toBe(straight.s.records);
    expect(spooled.rows).toEqual(straight.rows);
  });

  it.each([
    { kept: 'the flows of its first four batches', journal: { done: { segment: 1, record: 3 } }, first: 360 },
    { kept: 'those and the first 50 flows of the fifth (a batch cut inside it)', journal: { done: { segment: 1, record: 3 }, partial: 50 }, first: 410 },
  ])('a datagram spool left by an earlier run is read first, from where its journal says the flow spool got: $kept', async ({ journal, first }) => {
    // Ten batches of three v5 datagrams (90 flows) in the datagram spool, as a run killed after
    // keeping some of their flows would leave them.
    const spool = join(work, `spool-${++dirs}`);
    const datagrams = new DatagramSpool({ dir: join(spool, 'datagrams'), maxBytes: 1 << 20, segmentBytes: 1 << 20 }, undefined, () => {});
    datagrams.open();
    const encoded = encodeV5(range(0, 900));
    for (let b = 0; b < 10; b++) {
      const writer = new DatagramBatchWriter(() => new ArrayBuffer(1 << 16));
      for (const d of encoded.slice(3 * b, 3 * b + 3)) writer.add(d, parseIp('127.0.0.1')!, Date.now());
      const { buffer, length } = writer.take();
      datagrams.append(new Uint8Array(buffer, 0, length), 3);
    }
    await datagrams.close();
    writeFileSync(join(spool, DATAGRAM_JOURNAL), JSON.stringify(journal));
    const store = storeDouble();
    const { collector } = await startCollector(store, { spoolDir: spool });
    try {
      await waitFor(() => collector.snapshot().datagram_spool?.replayed === 18 && collector.snapshot().stored + collector.snapshot().replayed === 900 - first, 'the spool read back');
      // The six batches after the fourth are decoded whole; what the journal says was kept is passed over.
      expect(collector.snapshot()).toMatchObject({ records: 540, drops: {} });
    } finally {
      await collector.stop();
    }
    expect([...numbers(store.rows)].sort((a, b) => a - b)).toEqual(Array.from({ length: 900 - first }, (_, i) => first + i));
    expect(readdirSync(join(spool, 'datagrams')).filter((f) => f.endsWith('.spool'))).toEqual([]);
  });

  it.skipIf(!templates || !data)('saves IPFIX templates and restores them after a restart: data decodes without its template being resent', async () => {
    const store = storeDouble();
    const first = await startCollector(store);
    let sender = new DatagramSender(first.port);
    for (const d of payloads(templates!)) await sender.send(d);
    await waitFor(() => first.collector.snapshot().templates > 0, 'templates learned');
    sender.close();
    await first.collector.stop();
    const saved = JSON.parse(readFileSync(join(first.spool, TEMPLATE_FILE), 'utf8')) as { templates: { exporter: string }[] };
    expect(saved.templates.length).toBeGreaterThan(0);
    expect(saved.templates[0]!.exporter).toBe('127.0.0.1');

    const second = await startCollector(store, { spoolDir: first.spool });
    sender = new DatagramSender(second.port);
    try {
      await waitFor(() => second.collector.snapshot().templates === saved.templates.length, 'templates restored in the worker');
      for (const d of payloads(data!)) await sender.send(d);
      await waitFor(() => second.collector.snapshot().stored > 0 && second.collector.snapshot().stored === second.collector.snapshot().records, 'data decoded with restored templates');
      expect(second.collector.snapshot()).toMatchObject({ template_misses: 0, drops: {} });
    } finally {
      sender.close();
      await second.collector.stop();
    }
    // Control: a collector without the saved templates counts a miss for the same data.
    const fresh = await startCollector(storeDouble());
    sender = new DatagramSender(fresh.port);
    try {
      for (const d of payloads(data!)) await sender.send(d);
      await waitFor(() => fresh.collector.snapshot().template_misses > 0, 'template miss counted');
      expect(fresh.collector.snapshot().records).toBe(0);
    } finally {
      sender.close();
      await fresh.collector.stop();
    }
  });

  const sflow = sharedDataPath('flow-export/akvorado/sflow/data-1140.pcap');
  it.skipIf(!sflow)('recognises sFlow on the same socket as NetFlow, by header', async () => {
    const source = openCaptureFile(sflow!);
    const extractor = new UdpDatagramExtractor();
    const datagrams: Uint8Array[] = [];
    for (const frame of source.frames()) {
      const d = extractor.extract(frame.data, frame.linkType, frame.timestamp);
      if (d) datagrams.push(d.payload.slice());
    }
    source.close();
    const store = storeDouble();
    const { collector, port } = await startCollector(store);
    const sender = new DatagramSender(port);
    try {
      for (const d of datagrams) await sender.send(d);
      await sender.sendAll(encodeV5(range(0, 30)));
      await waitFor(() => collector.snapshot().decoded_datagrams === datagrams.length + 1 && collector.snapshot().stored === collector.snapshot().records, 'decoded');
      expect(collector.snapshot().records).toBeGreaterThan(30);
      expect(store.rows.filter((r) => (r.sampling ?? 1) > 1).length).toBe(collector.snapshot().records - 30); // sFlow samples carry their rate
      expect(collector.snapshot().drops).toEqual({});
    } finally {
      sender.close();
      await collector.stop();
    }
  });

  it('serves Prometheus metrics on 127.0.0.1, with drops by reason code', async () => {
    const store = storeDouble();
    const { collector, port } = await startCollector(store);
    const metrics = await startMetricsServer(createCollectorRegistry(() => collector.snapshot()), 0);
    const sender = new DatagramSender(port);
    try {
      await sender.sendAll(encodeV5(range(0, 60)));
      await sender.send(Uint8Array.from([0, 7, 0, 0, 1, 2, 3, 4])); // version 7: not an export
      await waitFor(() => collector.snapshot().stored === 60 && collector.snapshot().decoded_datagrams === 3 && collector.snapshot().datagrams === 3, 'decoded');
      const text = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
      expect(text).toContain('vantage_collector_datagrams_total{exporter="127.0.0.1"} 3');
      expect(text).toContain('vantage_collector_records_total{exporter="127.0.0.1"} 60');
      expect(text).toContain('vantage_collector_flows_stored_total 60');
      expect(text).toContain('vantage_collector_drops_total{reason="DECODE_BAD_VERSION"} 1');
      expect(text).toContain('vantage_collector_store_up 1');
      expect(text).toMatch(/vantage_collector_socket_receive_buffer_bytes\{listener="udp:\/\/127\.0\.0\.1:0"\} \d+/);
      // The process's standard metrics, resident memory within a factor of what Node reports.
      const rss = Number(/^vantage_process_resident_memory_bytes (\d+)/m.exec(text)?.[1]);
      expect(rss).toBeGreaterThan(process.memoryUsage().rss / 2);
      expect(rss).toBeLessThan(process.memoryUsage().rss * 2);
      expect(text).toMatch(/^vantage_process_cpu_seconds_total \d/m);
      expect(text).toMatch(/^vantage_nodejs_heap_size_used_bytes \d+/m);
      expect((await fetch(`http://127.0.0.1:${metrics.port}/other`)).status).toBe(404);
    } finally {
      sender.close();
      await metrics.close();
      await collector.stop();
    }
  });

  it('refuses a bad listen address (USAGE) and a port already bound (COLLECT_LISTEN)', async () => {
    expect(() => createCollector({ listen: ['tcp://1.2.3.4:5'] }, { target: storeDouble(), log: () => {} })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    const store = storeDouble();
    const { collector, port } = await startCollector(store);
    try {
      const second = createCollector({ listen: [`udp://127.0.0.1:${port}`], spoolDir: join(work, 'busy'), workers: 1 }, { target: store, log: () => {} });
      await expect(second.start()).rejects.toMatchObject({ code: 'COLLECT_LISTEN' });
      // It released what it took: the spool directory can be opened again.
      const third = createCollector({ listen: ['udp://127.0.0.1:0'], spoolDir: join(work, 'busy'), workers: 1 }, { target: store, log: () => {} });
      await third.start();
      await third.stop();
    } finally {
      await collector.stop();
    }
  });
});
