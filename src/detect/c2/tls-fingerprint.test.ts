// C2 contact by TLS client fingerprint, both backends: the Emotet capture of nDPI (SOURCES.md
// 2.2) with a MISP event listing only the malware client's JA3 (as tshark computes it) finds the
// contact with 138.197.147.101:443; with the maltrail trail that names the address loaded too,
// the contact stays one finding carrying both pieces of intelligence.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCaptureFiles } from '../../cli/commands/import-capture.js';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import { loadFeeds } from '../../intel/load-feeds.js';
import type { Store } from '../../store/store.js';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { testBackends } from '../../test-support/test-backends.js';
import { tsharkClientHellos } from '../../test-support/tshark-tls.js';
import { runDetections } from '../run-detections.js';

const EMOTET = sharedDataPath('pcap-malicious/ndpi/emotet.pcap');
const MALTRAIL = sharedDataPath('threat-intel/maltrail/emotet.txt');
const haveTshark = requireTool('tshark');
const quiet = { stderr: { write: () => true } };
const ALL = { from: Date.UTC(2000, 0, 1), to: Date.UTC(2030, 0, 1) };

describe.skipIf(!EMOTET || !MALTRAIL || !haveTshark).each(testBackends())('c2 by TLS client fingerprint (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;
  let intel: IndicatorRepository;
  let ja3: string;
  let handshakes: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-ja3-'));
    store = makeStore(dir);
    await store.open();
    await importCaptureFiles(store, [EMOTET!], { format: 'pcap' }, quiet);
    const hellos = tsharkClientHellos(EMOTET!).filter((h) => h.src === '10.4.25.101' && h.dst === '138.197.147.101' && h.dport === 443);
    ja3 = hellos[0]!.ja3;
    handshakes = hellos.length;
    const event = { Event: { info: 'Emotet TLS client', uuid: '5f0c7c3e-0000-4000-8000-000000000001', date: '2026-11-28', Attribute: [{ type: 'ja3-fingerprint-md5', category: 'Network activity', value: ja3, to_ids: true, comment: 'Emotet loader' }], Tag: [{ name: 'misp-galaxy:malpedia="Emotet"' }] } };
    const file = join(dir, 'emotet-ja3.json');
    writeFileSync(file, JSON.stringify(event));
    intel = new IndicatorRepository(store);
    await intel.ensureTables();
    await loadFeeds(intel, [file], { source: 'misp:emotet-ja3' }, quiet as never);
  }, 120_000);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the contact from the JA3 alone', async () => {
    expect(ja3).toBe('51c64c77e60f3980eea90869b68c58a8'); // SOURCES.md 2.2
    const { findings } = await runDetections(store, { kinds: ['c2'], ...ALL, save: false });
    expect(findings.map((f) => [f.subkind, f.src, f.dst, f.dport])).toEqual([['tls-fingerprint', '10.4.25.101', '138.197.147.101', 443]]);
    const f = findings[0]!;
    expect(f.evidence.counts).toEqual({ handshakes });
    expect(f.intel.map((i) => [i.value, i.source])).toEqual([[ja3, 'misp:emotet-ja3']]);
  });

  it('with the address listed too, one finding carries both', async () => {
    await loadFeeds(intel, [MALTRAIL!], {}, quiet as never);
    const { findings } = await runDetections(store, { kinds: ['c2'], ...ALL, save: false });
    const contact = findings.filter((f) => f.src === '10.4.25.101' && f.dst === '138.197.147.101' && f.dport === 443);
    expect(contact).toHaveLength(1);
    expect(contact[0]!.subkind).toBe('outbound');
    expect(contact[0]!.intel.map((i) => i.source).sort()).toEqual(['maltrail:emotet', 'misp:emotet-ja3']);
    expect(contact[0]!.evidence.details!.fingerprints).toEqual([`JA3 ${ja3}`]);
  });
});
