// End to end with a real exporter: softflowd replays malicious-traffic captures as NetFlow v5, v9
// and IPFIX to nfcapd, whose repeater (-R) forwards the very same datagrams to `vantage collect`
// (in-process, DuckDB store). After both stop gracefully, the flows, packets and bytes Vantage
// stored must equal nfdump's summary of nfcapd's files, in total and per protocol.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowTotals } from '../src/test-support/flow-tools.js';
import { runQuery } from '../src/query/run-query.js';
import { createCollector } from '../src/services/collector/collector.js';
import { storeReplayTarget } from '../src/services/collector/store-target.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { freeUdpPort, nfdumpTotals, runSoftflowd, startNfcapd, stopChild, waitFor, waitUdpDrained } from '../src/test-support/flow-tools.js';
import { requireTool, sharedDataPath } from '../src/test-support/shared-data.js';

const CAPTURES = [
  'pcap-malicious/ndpi/emotet.pcap',
  'pcap-malicious/ndpi/malware.pcap', // ICMP
  'pcap-malicious/ndpi/synscan.pcap', // 2000 one-packet flows
  'pcap-malicious/ndpi/log4j-webapp-exploit.pcap', // Linux cooked capture
  'pcap-malicious/zeek/nmap-vsn.pcap',
  'pcap-malicious/slips/test8-malicious.pcap',
  'pcap-malicious/stopddos/amp.dns.RRSIG.fragmented.pcap', // fragments, a little IPv6 (v9/IPFIX only)
];

const tools = requireTool('softflowd') && requireTool('nfcapd') && requireTool('nfdump');
const pcaps = CAPTURES.map((c) => sharedDataPath(c)).filter((p): p is string => p !== undefined);
const work = mkdtempSync(join(tmpdir(), 'vantage-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PROTOCOLS: [name: string, number: number][] = [
  ['tcp', 6],
  ['udp', 17],
  ['icmp', 1],
];

describe.skipIf(!tools || pcaps.length === 0)('collector end to end: softflowd -> nfcapd (repeater) -> vantage collect', () => {
  it.each([5, 9, 10] as const)('NetFlow v%i: Vantage stores exactly the flows, packets and bytes nfdump reads', async (version) => {
    const dir = join(work, `v${version}`);
    const store = new DuckDbStore({ path: join(dir, 'flows.duckdb') });
    await store.open();
    const logs: string[] = [];
    const collector = createCollector(
      { listen: ['udp://127.0.0.1:0'], spoolDir: join(dir, 'spool'), workers: 1, flushMs: 200 },
      { target: storeReplayTarget(store), log: (m) => logs.push(m) },
    );
    await collector.start();
    const collectorPort = collector.listeners()[0]!.port;
    const nfcapdPort = await freeUdpPort();
    const nfcapd = await startNfcapd(join(dir, 'nfcapd'), nfcapdPort, collectorPort);
    try {
      for (const pcap of pcaps) runSoftflowd(pcap, nfcapdPort, version);
      // Everything softflowd sent is read by nfcapd (and so repeated), then read and decoded by us.
      await waitUdpDrained(nfcapdPort);
      await waitUdpDrained(collectorPort);
      // Receive counters arrive from the receiver thread every 200 ms: wait for a stable match.
      let matches = 0;
      await waitFor(() => {
        const s = collector.snapshot();
        matches = s.datagrams > 0 && s.decoded_datagrams === s.datagrams ? matches + 1 : 0;
        return matches >= 3;
      }, 'all datagrams decoded', 30_000, 250);
    } finally {
      expect(await stopChild(nfcapd)).toBe(0);
      await collector.stop();
    }
    const stats = collector.snapshot();
    try {
      expect(stats.drops).toEqual({});
      expect(stats.spooled).toBe(0);
      expect(stats.stored).toBe(stats.records);
      const nf = nfdumpTotals(join(dir, 'nfcapd'));
      expect(nf.flows).toBeGreaterThan(2000);
      const total = await runQuery(store, 'any | count');
      expect(totals(total.rows[0])).toEqual(nf);
      console.log(`NetFlow v${version}: nfdump and Vantage both count ${nf.flows} flows, ${nf.packets} packets, ${nf.bytes} bytes (${stats.datagrams} datagrams)`);
      const byProto = await runQuery(store, 'any | count by proto');
      for (const [name, number] of PROTOCOLS) {
        const row = byProto.rows.find((r) => Number(r.proto) === number);
        expect(row ? totals(row) : { flows: 0, packets: 0, bytes: 0 }, name).toEqual(nfdumpTotals(join(dir, 'nfcapd'), `proto ${name}`));
      }
    } finally {
      await store.close();
    }
  });
});

function totals(row: Record<string, unknown> | undefined): FlowTotals {
  return { flows: Number(row?.flows ?? 0), packets: Number(row?.packets ?? 0), bytes: Number(row?.bytes ?? 0) };
}
