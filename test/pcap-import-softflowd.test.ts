// The pcap importer against softflowd: the same captures turned into flows by `vantage import
// --format pcap` and by softflowd (exported as NetFlow v9 into nfcapd, summed by nfdump).
//
// Tolerances, and why:
// - softflowd -r never expires flows on time while it reads a file (only at its end), and counts
//   a packet's bytes as the frame length after the link header (Ethernet padding included). With
//   the same settings (timeouts off, octets=link) our flows, packets and bytes are EQUAL to
//   softflowd's, except for IP fragments: softflowd counts every fragment as a packet and puts the
//   later fragments in a port-less flow; we count a fragmented datagram once, in its own flow. So
//   on fragmented captures bytes are equal, packets differ by exactly (later fragments - fragment
//   sets without a first fragment), and the flows differ by exactly the port-less UDP flows.
// - With our defaults (softflowd's live timeouts, IP-length bytes) flows can only be split by a
//   timeout that fired: flows lie between the equal-settings count and that count plus two records
//   per fired timeout; packets are unchanged; bytes drop by the link-layer padding only.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importCaptureFiles, type CaptureImportOptions } from '../src/cli/commands/import-capture.js';
import type { FlowRecord } from '../src/core/columns.js';
import { NO_IDLE_TIMEOUTS } from '../src/decode/flow-assembly/flow-timeouts.js';
import { runQuery } from '../src/query/run-query.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { freeUdpPort, nfdumpTotals, runSoftflowd, startNfcapd, stopChild, waitUdpDrained, type FlowTotals } from '../src/test-support/flow-tools.js';
import { repoRoot, requireTool, sharedDataPath } from '../src/test-support/shared-data.js';

const CAPTURES = [
  'pcap-malicious/ndpi/emotet.pcap',
  'pcap-malicious/ndpi/log4j-webapp-exploit.pcap', // Linux cooked capture
  'pcap-malicious/ndpi/malware.pcap',
  'pcap-malicious/ndpi/synscan.pcap',
  'pcap-malicious/slips/test8-malicious.pcap',
  'pcap-malicious/zeek/nmap-vsn.pcap',
  'pcap-malicious/fox-it-log4shell/ldap-basic-auth-ev0.pcap',
  'pcap-malicious/stopddos/amp.dns.RRSIG.fragmented.pcap', // IPv4 fragments and some IPv6
];

const tools = requireTool('softflowd') && requireTool('nfcapd') && requireTool('nfdump');
const files = CAPTURES.map((c) => [c, sharedDataPath(c)] as const).filter((e): e is readonly [string, string] => e[1] !== undefined);
const work = mkdtempSync(join(tmpdir(), 'vantage-pcap-sf-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** softflowd's flows for a capture, as nfdump sums them (all, and the port-less UDP ones). */
async function softflowd(pcap: string, name: string): Promise<{ all: FlowTotals; portless: FlowTotals }> {
  const dir = join(work, name.replace(/\W/g, '_'));
  const port = await freeUdpPort();
  const nfcapd = await startNfcapd(dir, port);
  try {
    runSoftflowd(pcap, port, 9);
    await waitUdpDrained(port);
  } finally {
    await stopChild(nfcapd);
  }
  return { all: nfdumpTotals(dir), portless: nfdumpTotals(dir, 'proto udp and src port 0 and dst port 0') };
}

async function ours(pcap: string, options: Omit<CaptureImportOptions, 'format'>) {
  const records: FlowRecord[] = [];
  const sink = { appendFlows: async (r: readonly FlowRecord[]) => void records.push(...r) };
  const summary = await importCaptureFiles(sink, [pcap], { format: 'pcap', batch: 1000, ...options }, { stderr: { write: () => true } });
  const sum = (rs: FlowRecord[]) => ({ flows: rs.length, packets: rs.reduce((n, r) => n + r.packets, 0), bytes: rs.reduce((n, r) => n + r.bytes, 0) });
  return { all: sum(records), portless: sum(records.filter((r) => r.proto === 17 && r.sport === 0 && r.dport === 0)), summary: summary.files[0]! };
}

describe.skipIf(!tools || files.length === 0)('pcap importer vs softflowd', () => {
  it.each(files)('%s: same flows, packets and bytes with softflowd -r settings; bounded differences with live timeouts', async (name, pcap) => {
    const sf = await softflowd(pcap, name);
    const same = await ours(pcap, { timeouts: NO_IDLE_TIMEOUTS, octets: 'link' });
    const frag = await fragmentCounts(pcap);
    expect(same.all.bytes).toBe(sf.all.bytes);
    expect(same.all.packets).toBe(sf.all.packets - frag.later + frag.orphans);
    expect(same.all.flows - same.portless.flows).toBe(sf.all.flows - sf.portless.flows);
    if (frag.later === 0) expect(same.all).toEqual(sf.all);

    const live = await ours(pcap, {});
    const fired = await firedTimeouts(pcap);
    expect(live.all.packets).toBe(same.all.packets);
    expect(live.all.flows).toBeGreaterThanOrEqual(same.all.flows);
    expect(live.all.flows).toBeLessThanOrEqual(same.all.flows + 2 * fired);
    expect(live.all.bytes).toBeLessThanOrEqual(same.all.bytes);
    // Padding: an Ethernet payload is at least 46 bytes, an IP packet at least 20 (+4 for an FCS).
    expect(same.all.bytes - live.all.bytes).toBeLessThanOrEqual(30 * same.all.packets);
  });

  it('vantage import --format pcap writes the flows to the store (CLI)', async () => {
    const [, pcap] = files[0]!;
    const db = join(work, 'cli.duckdb');
    const cli = join(repoRoot(), 'dist/src/cli/main.js');
    const r = spawnSync(process.execPath, [cli, '--db', db, 'import', '--format', 'pcap', '--json', pcap], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toMatch(/imported \d+ flows from/);
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout) as { flows: number };
    const store = new DuckDbStore({ path: db });
    await store.open();
    try {
      const { rows } = await runQuery(store, 'any | count');
      const expected = (await ours(pcap, {})).all;
      expect({ flows: Number(rows[0]!.flows), packets: Number(rows[0]!.packets), bytes: Number(rows[0]!.bytes) }).toEqual(expected);
      expect(summary.flows).toBe(expected.flows);
    } finally {
      await store.close();
    }
  });
});

/** Later fragments and first-less fragment sets in a capture, as the assembler counts them. */
async function fragmentCounts(pcap: string): Promise<{ later: number; orphans: number }> {
  const { summary } = await oursWithStats(pcap);
  return { later: summary.laterFragments, orphans: summary.orphanFragments };
}

/** Conversations our default settings ended on a timeout (idle, active, after FIN/RST). */
async function firedTimeouts(pcap: string): Promise<number> {
  const { summary } = await oursWithStats(pcap, true);
  return summary.ended.idle + summary.ended.active + summary.ended.endDetected + summary.ended.resources;
}

async function oursWithStats(pcap: string, live = false) {
  const { FlowAssembler } = await import('../src/decode/flow-assembly/flow-assembler.js');
  const { openCaptureFile } = await import('../src/collect/capture-file.js');
  const assembler = new FlowAssembler(live ? {} : { timeouts: NO_IDLE_TIMEOUTS, octets: 'link' });
  const source = openCaptureFile(pcap);
  try {
    for (const frame of source.frames()) assembler.addFrame(frame);
  } finally {
    source.close();
  }
  assembler.flush();
  return { summary: assembler.stats };
}
