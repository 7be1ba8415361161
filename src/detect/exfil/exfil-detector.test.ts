// The exfiltration detector on real data, both backends: the AndroidTester RAT capture of
// CTU-003 (SOURCES.md 3.1) uploads tens of megabytes to its C2 on port 1337. The byte counts are
// summed here from the raw conn.log (orig_ip_bytes and resp_ip_bytes), not from Vantage.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../cli/commands/import.js';
import type { Store } from '../../store/store.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { testBackends } from '../../test-support/test-backends.js';
import { runDetections } from '../run-detections.js';

const CONN = sharedDataPath('labeled-flows/stratosphere-security-datasets/003-zeek-scenario-malicious/conn.log');
const quiet = { stderr: { write: () => true } };

/** IP bytes each way between a client and a server port, read from the conn.log. */
function bytesBetween(file: string, client: string, server: string, port: string): { sent: number; received: number; connections: number } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
  const at = (n: string) => fields.indexOf(n);
  let sent = 0;
  let received = 0;
  let connections = 0;
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue;
    const c = line.split('\t');
    if (c[at('id.orig_h')] !== client || c[at('id.resp_h')] !== server || c[at('id.resp_p')] !== port) continue;
    sent += Number(c[at('orig_ip_bytes')]);
    received += Number(c[at('resp_ip_bytes')]);
    connections++;
  }
  return { sent, received, connections };
}

describe.skipIf(!CONN).each(testBackends())('exfil detector on the AndroidTester RAT (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-exfil-'));
    store = makeStore(dir);
    await store.open();
    await importFiles(store, [CONN!], { format: 'auto', strict: false } as never, quiet);
  }, 60_000);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the upload channel to the C2 and nothing else', async () => {
    const truth = bytesBetween(CONN!, '10.8.0.61', '147.32.83.234', '1337');
    expect(truth.connections).toBe(12);
    const { findings } = await runDetections(store, { kinds: ['exfil'], from: Date.UTC(2020, 0, 1), to: Date.UTC(2021, 0, 1), save: false });
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f).toMatchObject({ kind: 'exfil', subkind: 'unusual-port', src: '10.8.0.61', dst: '147.32.83.234', dport: 1337, proto: 6 });
    expect(f.evidence.counts).toMatchObject({ sent: truth.sent, received: truth.received, clients: 1 });
    // score.ts works this example from the same byte counts; the detector blends sub-scores
    // rounded to 3 decimals (volume 0.321, asymmetry 0.947): 0.6605 * 0.947 = 0.62549 -> 0.625.
    expect(f.subscores).toEqual({ volume: 0.321, asymmetry: 0.947, port: 1, rarity: 1 });
    expect(f.score).toBe(0.625);
  });

  it('a threshold above the upload finds nothing', async () => {
    const { findings } = await runDetections(store, { kinds: ['exfil'], from: Date.UTC(2020, 0, 1), to: Date.UTC(2021, 0, 1), save: false, config: { exfil: { minBytes: 50_000_000 } } });
    expect(findings).toEqual([]);
  });
});
