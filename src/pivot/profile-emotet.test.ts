// Acceptance (issue 7): "From the nDPI emotet capture: the C2 address's profile shows its
// certificate, the intelligence that names it, the victim that talked to it and when." The
// capture is imported as `vantage import --format pcap` does it (flows, TLS handshakes and
// certificates into the store), the maltrail Emotet trail is loaded with the intel loader, and
// every expected value is read independently: tshark for times, addresses and JA3, openssl for
// the certificate tshark extracts, the trail file's own lines for the indicator.

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCaptureFiles } from '../cli/commands/import-capture.js';
import { IndicatorRepository } from '../intel/indicator-repository.js';
import { loadFeeds } from '../intel/load-feeds.js';
import type { Store } from '../store/store.js';
import { requireTool, sharedDataPath } from '../test-support/shared-data.js';
import { testBackends } from '../test-support/test-backends.js';
import { tsharkCertificates, tsharkClientHellos } from '../test-support/tshark-tls.js';
import { parseEntity } from './entity.js';
import { buildProfile } from './profile.js';

const EMOTET = sharedDataPath('pcap-malicious/ndpi/emotet.pcap');
const TRAIL = sharedDataPath('threat-intel/maltrail/emotet.txt');
const ready = EMOTET !== undefined && TRAIL !== undefined && requireTool('tshark') && requireTool('openssl');
const C2 = '138.197.147.101';
const quiet = { stderr: { write: () => true } };

/** The independent view: tshark and openssl over the capture, and the trail's own text. */
function expected() {
  const tshark = (args: string[]) => spawnSync('tshark', ['-r', EMOTET!, ...args], { encoding: 'utf8' }).stdout.trim();
  // The frames of the C2 conversation and the Certificate message, with their capture times.
  const times = tshark(['-Y', `ip.addr==${C2}`, '-T', 'fields', '-e', 'frame.time_epoch']).split('\n').map((t) => Math.floor(Number(t) * 1000));
  const chain = tsharkCertificates(EMOTET!).find((c) => c.src === C2)!;
  const certTime = Math.floor(Number(tshark(['-Y', `frame.number==${chain.frame}`, '-T', 'fields', '-e', 'frame.time_epoch'])) * 1000);
  const der = Buffer.from(chain.der[0]!, 'hex');
  const dir = mkdtempSync(join(tmpdir(), 'vantage-emotet-cert-'));
  try {
    const file = join(dir, 'c2.der');
    writeFileSync(file, der);
    const out = spawnSync('openssl', ['x509', '-inform', 'DER', '-in', file, '-noout', '-subject', '-issuer', '-serial', '-enddate', '-nameopt', 'RFC2253', '-dateopt', 'iso_8601'], { encoding: 'utf8' }).stdout;
    const line = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(out)![1]!;
    const hellos = tsharkClientHellos(EMOTET!).filter((h) => h.dst === C2);
    const trailLine = readFileSync(TRAIL!, 'utf8')
      .split('\n')
      .find((l) => l.trim().startsWith(`${C2}:`))!
      .trim();
    return {
      first: times[0]!,
      last: times.at(-1)!,
      cert: {
        sha256: createHash('sha256').update(der).digest('hex'),
        subject: line('subject'),
        issuer: line('issuer'),
        serial: line('serial'),
        notAfter: new Date(Date.parse(line('notAfter').replace(' ', 'T'))).toISOString(),
        port: chain.sport,
        time: certTime,
      },
      hellos,
      trailLine,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!ready).each(testBackends())('the Emotet C2 profile from the capture (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;
  const want = ready ? expected() : undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-profile-emotet-'));
    store = makeStore(dir);
    await store.open();
    const summary = await importCaptureFiles(store, [EMOTET!], { format: 'pcap' }, quiet);
    // tshark: two ClientHellos and two ServerHellos to/from the C2, one certificate (frame 143).
    expect(summary.files[0]).toMatchObject({ tlsClients: 2, tlsServers: 2, certificates: 1 });
    const repo = new IndicatorRepository(store);
    await repo.ensureTables();
    await loadFeeds(repo, [TRAIL!], {}, quiet as never);
  }, 240_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows its certificate, the intelligence naming it, and the victim with times', async () => {
    const p = await buildProfile(store, parseEntity(C2));
    const w = want!;

    // Its certificate: the one tshark extracts from the Certificate message, as openssl reads it,
    // presented on port 443 without SNI (SOURCES.md: self-signed, no SNI), at that frame's time.
    expect(p.certificates).toEqual([
      {
        ref: w.cert.sha256,
        sha256: w.cert.sha256,
        subject: w.cert.subject,
        issuer: w.cert.issuer,
        serial: w.cert.serial,
        names: ['example.com'],
        notAfter: w.cert.notAfter,
        port: w.cert.port,
        serverName: '',
        first: new Date(w.cert.time).toISOString(),
        last: new Date(w.cert.time).toISOString(),
        count: 1,
      },
    ]);
    expect(w.cert.subject).toBe(w.cert.issuer);

    // The intelligence: the trail's line for the address, with its provenance.
    expect(w.trailLine).toBe(`${C2}:443`);
    expect(p.intel.map((i) => ({ indicator: i.indicator, source: i.source, family: i.family, how: i.how }))).toEqual([
      { indicator: w.trailLine, source: 'maltrail:emotet', family: 'emotet', how: 'address-port' },
    ]);

    // The victim: both ClientHellos tshark sees, from 10.4.25.101 (SOURCES.md 2.2), with tshark's
    // JA3 and the times of the two hello frames; a JA4 whose cipher hash is the Windows schannel
    // list FoxIO's mapping gives (d83cc789557e).
    expect(w.hellos.map((h) => h.src)).toEqual(['10.4.25.101', '10.4.25.101']);
    expect(p.tlsClients).toEqual([
      {
        client: '10.4.25.101',
        server: C2,
        port: 443,
        serverName: '',
        ja3: w.hellos[0]!.ja3,
        ja4: expect.stringMatching(/^t12i190600_d83cc789557e_[0-9a-f]{12}$/),
        role: 'server',
        first: new Date(w.hellos[0]!.timeMs).toISOString(),
        last: new Date(w.hellos[1]!.timeMs).toISOString(),
        count: 2,
      },
    ]);
    expect(w.hellos[0]!.ja3).toBe('51c64c77e60f3980eea90869b68c58a8'); // SOURCES.md 2.2

    // And the flows agree on who and when: the conversation's first and last packet.
    expect(p.peers.asDestination.map((x) => [x.peer, x.ports])).toEqual([['10.4.25.101', [443]]]);
    expect([p.flows.first, p.flows.last]).toEqual([new Date(w.first).toISOString(), new Date(w.last).toISOString()]);
  });

  it("the victim's profile shows the same hellos from its side", async () => {
    const p = await buildProfile(store, parseEntity('10.4.25.101'));
    expect(p.tlsClients.map((c) => [c.role, c.server, c.port, c.ja3, c.count])).toEqual([['client', C2, 443, want!.hellos[0]!.ja3, 2]]);
    // It served no certificate itself.
    expect(p.certificates).toEqual([]);
  });
});
