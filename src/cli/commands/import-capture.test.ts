import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../collect/capture-file.js';
import type { FlowRecord } from '../../core/columns.js';
import { decodeCapture } from '../../decode/decode-capture.js';
import { createDecoderState } from '../../decode/decoder-state.js';
import { formatIp } from '../../core/ip.js';
import { certificatesOf } from '../../store/certificate-tables.js';
import type { Store } from '../../store/store.js';
import { tlsClientsOf } from '../../store/tls-client-table.js';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { testBackends } from '../../test-support/test-backends.js';
import { tsharkCertificates, tsharkClientHellos, tsharkServerHellos } from '../../test-support/tshark-tls.js';
import { importCaptureFiles, planCaptureImport, type CaptureImportOptions } from './import-capture.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-import-capture-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(files: string[], options: CaptureImportOptions) {
  const records: FlowRecord[] = [];
  const messages: string[] = [];
  const summary = await importCaptureFiles({ appendFlows: async (r) => void records.push(...r) }, files, options, { stderr: { write: (t: string) => messages.push(t) } });
  return { records, summary, stderr: messages.join('') };
}

const malware = sharedDataPath('pcap-malicious/ndpi/malware.pcap'); // a pcapng file
const emotet = sharedDataPath('pcap-malicious/ndpi/emotet.pcap');
const templates = sharedDataPath('flow-export/akvorado/netflow/ipfixprobe-templates.pcap');
const data = sharedDataPath('flow-export/akvorado/netflow/ipfixprobe-data.pcap');
const datagram = sharedDataPath('flow-export/logstash-codec-netflow/netflow5.dat');

describe('import --format pcap', () => {
  it.skipIf(!emotet || !requireTool('editcap'))('reads pcap and pcapng alike (the same capture converted by editcap gives the same flows)', async () => {
    const ng = join(work, 'emotet.pcapng');
    expect(spawnSync('editcap', ['-F', 'pcapng', emotet!, ng]).status).toBe(0);
    const a = await run([emotet!], { format: 'pcap' });
    const b = await run([ng], { format: 'pcap' });
    expect(a.records.length).toBeGreaterThan(0);
    expect(b.records).toEqual(a.records);
    expect(a.stderr).toMatch(/imported 12 flows from .*emotet\.pcap: 169 IP packets in 169 frames/);
  });

  it.skipIf(!malware)('batches appends by --batch and counts ICMP with type/code', async () => {
    const { records, summary } = await run([malware!], { format: 'pcap', batch: 3 });
    expect(summary.flows).toBe(records.length);
    const icmp = records.filter((r) => r.proto === 1);
    expect(icmp.length).toBeGreaterThan(0);
    for (const r of icmp) expect(r.dport).toBe(r.icmp_type! * 256 + r.icmp_code!);
  });

  it.skipIf(!emotet)('counts TLS clients, servers and certificates in the summary line', async () => {
    const { summary, stderr } = await run([emotet!], { format: 'pcap' });
    // tshark -r emotet.pcap -Y 'tls.handshake.type==1' (frames 141, 156), ==2 (143, 158), ==11
    // (143, one certificate).
    expect(stderr).toMatch(/, 2 TLS clients, 2 TLS servers, 1 certificates \(/);
    expect(summary.files[0]).toMatchObject({ tlsClients: 2, tlsServers: 2, certificates: 1 });
    expect(summary.files[0]!.problems).toEqual({});
  });

  it.skipIf(!datagram)('a raw export datagram is not a packet capture: IMPORT_FORMAT pointing at export-pcap', () => {
    expect(() => planCaptureImport([datagram!], { format: 'pcap' })).toThrow(expect.objectContaining({ code: 'IMPORT_FORMAT', message: expect.stringContaining('--format export-pcap') }));
  });

  it.skipIf(!emotet)('a capture whose global header is cut short fails the import, naming why', async () => {
    const cut = join(work, 'cut-header.pcap');
    writeFileSync(cut, readFileSync(emotet!).subarray(0, 10));
    await expect(run([cut], { format: 'pcap' })).rejects.toMatchObject({ code: 'IMPORT_FORMAT', message: `${cut}: no packet could be read: pcap global header is cut short` });
  });

  it.skipIf(!emotet)('a capture of a link type it cannot read fails the import, naming the link type', async () => {
    const bytes = readFileSync(emotet!);
    // The link type is the global header's last field (bytes 20-23; emotet.pcap is little-endian).
    bytes.writeUInt32LE(9999, 20);
    const foreign = join(work, 'link-9999.pcap');
    writeFileSync(foreign, bytes);
    const messages: string[] = [];
    const failure = importCaptureFiles({ appendFlows: async () => undefined }, [foreign], { format: 'pcap' }, { stderr: { write: (t: string) => messages.push(t) } });
    await expect(failure).rejects.toMatchObject({ code: 'IMPORT_FORMAT', message: `${foreign}: no packet of a supported link type (link type 9999)` });
    expect(messages.join('')).toContain('169 of an unsupported link type (9999)');
  });

  it.skipIf(!emotet)('a packet dated outside 1970-2099 is skipped and counted, naming packet and time; --strict stops there', async () => {
    const bytes = readFileSync(emotet!);
    bytes.writeUInt32LE(0xffffffff, 24); // the first record's ts_sec (little-endian file): 2106
    const path = join(work, 'late-clock.pcap');
    writeFileSync(path, bytes);
    const { records, summary, stderr } = await run([path], { format: 'pcap' });
    // 2106-02-07T06:28:15Z, and the record's own microseconds.
    expect(stderr).toContain(`${path}: packet 1 (offset 24): capture time 2106-02-07T06:28:15.121Z is outside 1970-2099: packet skipped [CAPTURE_BAD_TIME]\n`);
    expect(stderr).toMatch(/: 168 IP packets in 168 frames/);
    expect(summary.files[0]!.problems).toEqual({ CAPTURE_BAD_TIME: 1 });
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) expect(r.end).toBeLessThan(Date.UTC(2100, 0, 1));
    await expect(run([path], { format: 'pcap', strict: true })).rejects.toMatchObject({ code: 'IMPORT_RECORD', message: expect.stringMatching(/^packet 1 \(offset 24\): capture time .*\[CAPTURE_BAD_TIME\]$/) });
  });

  it('a missing file fails up front (IMPORT_FILE); stdin is refused (USAGE)', () => {
    expect(() => planCaptureImport([join(work, 'nope.pcap')], { format: 'pcap' })).toThrow(expect.objectContaining({ code: 'IMPORT_FILE' }));
    expect(() => planCaptureImport(['-'], { format: 'pcap' })).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('import --format export-pcap', () => {
  it.skipIf(!templates || !data)('decodes captured IPFIX with templates carried from one file to the next', async () => {
    const { records, summary, stderr } = await run([templates!, data!], { format: 'export-pcap' });
    // The same as decoding both captures in order with one template state.
    const state = createDecoderState();
    const expected: FlowRecord[] = [];
    for (const file of [templates!, data!]) {
      const source = openCaptureFile(file);
      for (const d of decodeCapture(source, state)) expected.push(...d.result.records);
      source.close();
    }
    expect(records.length).toBeGreaterThan(0);
    expect(records).toEqual(expected);
    expect(summary.files.map((f) => [f.packets, f.flows])).toEqual([
      [1, 0],
      [1, records.length],
    ]);
    expect(stderr).not.toContain('DECODE_IPFIX_TEMPLATE_MISSING');
  });

  it.skipIf(!data)('data without its template: counted problems, no flows, no exception', async () => {
    const { records, summary } = await run([data!], { format: 'export-pcap' });
    expect(records).toEqual([]);
    expect(summary.files[0]!.problems.DECODE_IPFIX_TEMPLATE_MISSING).toBeGreaterThan(0);
  });

  it.skipIf(!emotet)('a packet capture holds no export datagram: the import fails and says to use --format pcap', async () => {
    await expect(run([emotet!], { format: 'export-pcap' })).rejects.toMatchObject({
      code: 'IMPORT_FORMAT',
      message: expect.stringMatching(/no NetFlow, IPFIX or sFlow datagram in 169 frames.*--format pcap$/),
    });
  });

  it('locates each bad datagram (packet, offset in the datagram), shows 20 and counts the rest; --strict stops at the first', async () => {
    // 25 Ethernet/IPv4/UDP frames to port 2055, each a NetFlow v5 header announcing one record
    // that is not there.
    const v5 = [0, 5, 0, 1, ...new Array(20).fill(0)];
    const udp = [0x03, 0xe8, 0x08, 0x07, 0, 8 + v5.length, 0, 0, ...v5];
    const ip = [0x45, 0, 0, 20 + udp.length, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, ...udp];
    const frame = [...new Array(12).fill(2), 0x08, 0x00, ...ip];
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(65535, 16);
    header.writeUInt32LE(1, 20);
    const records = Array.from({ length: 25 }, (_, i) => {
      const r = Buffer.alloc(16);
      r.writeUInt32LE(1_700_000_000 + i, 0);
      r.writeUInt32LE(frame.length, 8);
      r.writeUInt32LE(frame.length, 12);
      return Buffer.concat([r, Buffer.from(frame)]);
    });
    const path = join(work, 'short-v5.pcap');
    writeFileSync(path, Buffer.concat([header, ...records]));

    const { summary, stderr } = await run([path], { format: 'export-pcap' });
    const problems = Object.values(summary.files[0]!.problems).reduce((a, b) => a + b, 0);
    expect(problems).toBe(25);
    const lines = stderr.split('\n').filter((l) => l.includes('datagram not decoded'));
    expect(lines).toHaveLength(20);
    expect(lines[0]).toMatch(new RegExp(`^${path}: packet 1(: offset \\d+ of the datagram)?: datagram not decoded \\[DECODE_[A-Z_]+\\]$`));
    expect(lines[19]).toMatch(/: packet 20[:]/);
    expect(stderr).toContain(`${path}: 5 more problems not shown (counted in the summary)`);

    await expect(run([path], { format: 'export-pcap', strict: true })).rejects.toMatchObject({ code: 'IMPORT_RECORD', message: expect.stringMatching(/^packet 1\b.*\[DECODE_[A-Z_]+\]$/) });
  });

  it.skipIf(!datagram)('reads a raw datagram file (.dat)', async () => {
    const { records } = await run([datagram!], { format: 'export-pcap' });
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => (r as { version?: unknown }).version === 5)).toBe(true);
  });
});

describe.skipIf(!malware || !requireTool('tshark')).each(testBackends())('import --format pcap: TLS into the store (%s)', (_name, makeStore) => {
  let store: Store;
  const dir = mkdtempSync(join(work, 'store-'));
  afterAll(async () => store?.close());

  it('malware.pcap: certificates served with SNI and JA3S, client fingerprints, as tshark reads them', async () => {
    store = makeStore(dir);
    await store.open();
    await importCaptureFiles(store, [malware!], { format: 'pcap' }, { stderr: { write: () => true } });
    const clients = tsharkClientHellos(malware!);
    const servers = tsharkServerHellos(malware!);
    const chains = tsharkCertificates(malware!);
    const sha = (hex: string) => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
    for (const server of servers) {
      const hello = clients.find((c) => c.dst === server.src && c.sport === server.dport)!;
      const chain = chains.find((c) => c.src === server.src)!;
      const served = await certificatesOf(store, server.src);
      expect(served.map((s) => [s.port, s.serverName, s.ja3s, s.ref, s.certificate?.sha256])).toEqual([[server.sport, hello.sni, server.ja3s, sha(chain.der[0]!), sha(chain.der[0]!)]]);
      const seen = await tlsClientsOf(store, server.src, { role: 'server' });
      expect(seen.map((c) => [formatIp(c.src), c.dport, c.serverName, c.ja3, c.count])).toEqual([[hello.src, hello.dport, hello.sni, hello.ja3, 1]]);
    }
  });

  it.skipIf(!emotet)('a sink that is not a store (the enriching one): TLS rows go to the store given for HTTP requests', async () => {
    // One store per process for chdb: the Emotet capture goes into the same store, flows elsewhere.
    await importCaptureFiles({ appendFlows: async () => undefined }, [emotet!], { format: 'pcap', httpStore: store }, { stderr: { write: () => true } });
    const hello = tsharkClientHellos(emotet!)[0]!;
    expect((await tlsClientsOf(store, hello.dst)).map((c) => [formatIp(c.src), c.ja3, c.count])).toEqual([[hello.src, hello.ja3, 2]]);
  });
});
