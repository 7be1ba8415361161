// Issue 9's acceptance: a watched partner's host beaconing to a C2 address in imported real
// traffic (the NjRAT capture of CTU-Malware-Capture-Botnet-001, SOURCES.md 3.1) produces one
// "partner likely compromised" alert, delivered to a local webhook receiver with its evidence,
// exactly once across repeated monitor runs, a restart and a failing first delivery. The C2
// address comes from the capture's own labels (CC), read here independently of Vantage.

import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../cli/commands/import.js';
import { FindingsRepository } from '../detect/findings-repository.js';
import { IndicatorRepository } from '../intel/indicator-repository.js';
import { loadFeeds } from '../intel/load-feeds.js';
import { createMonitoring } from './create-monitoring.js';
import type { Store } from '../store/store.js';
import { sharedDataPath } from '../test-support/shared-data.js';
import { testBackends } from '../test-support/test-backends.js';
import { WatchlistRepository } from './watchlists/watchlist-repository.js';

const CONN = sharedDataPath('labeled-flows/stratosphere-security-datasets/001-zeek-scenario-malicious/labeled-conn.log');
const quiet = { stderr: { write: () => true } };
const MIN = 60_000;
const SECRET = 'a-shared-secret-of-the-soc';

/** The labelled C&C conversations of the log: connections per client, server and port of rows labelled CC. */
function labelledC2(file: string): Map<string, number> {
  const lines = readFileSync(file, 'utf8').split('\n');
  const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
  const at = (name: string) => fields.indexOf(name);
  const out = new Map<string, number>();
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split('\t');
    if (cols[at('label')] !== 'CC' && cols[at('detailedlabel')] !== 'CC') continue;
    const key = `${cols[at('id.orig_h')]} ${cols[at('id.resp_h')]} ${cols[at('id.resp_p')]}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

interface Received {
  readonly signature: string;
  readonly body: string;
  readonly status: number;
}

describe.skipIf(!CONN).each(testBackends())('partner likely compromised, alerted once (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;
  let server: Server;
  let url: string;
  const received: Received[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-partner-'));
    store = makeStore(dir);
    await store.open();
    await importFiles(store, [CONN!], { format: 'zeek-tsv', strict: false } as never, quiet);
    // The receiver refuses the first delivery (503), then accepts.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = received.length === 0 ? 503 : 200;
        received.push({ signature: String(req.headers['x-vantage-signature'] ?? ''), body: Buffer.concat(chunks).toString('utf8'), status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }, 120_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises one partner-compromised finding and delivers one signed alert with its evidence', async () => {
    // SOURCES.md 3.1: the NjRAT C2 is 192.168.1.115 -> 41.108.179.197:1177, 237 flows; the
    // labels agree and mark a few HTTPS connections CC as well. All of them become indicators.
    const c2 = labelledC2(CONN!);
    const busiest = [...c2].sort((a, b) => b[1] - a[1])[0]!;
    expect(busiest).toEqual(['192.168.1.115 41.108.179.197 1177', 237]);
    const servers = [...new Set([...c2.keys()].map((k) => k.split(' ')[1]!))];
    const list = join(dir, 'njrat-c2.txt');
    writeFileSync(list, servers.map((s) => `${s} # C&C per the capture's labels\n`).join(''));
    const indicators = new IndicatorRepository(store);
    await indicators.ensureTables();
    await loadFeeds(indicators, [list], { source: 'labels:ctu-001', family: 'njrat' }, quiet as never);
    const watchlists = new WatchlistRepository(store);
    await watchlists.ensureTables();
    await watchlists.put({ name: 'acme', kind: 'partner', owner: 'ACME Payments', criticality: 'high', contacts: ['soc@acme.example'], members: ['192.168.1.0/24'] });

    // The capture's clock starts at the epoch; its traffic ends before 00:51.
    let now = 55 * MIN;
    const clock = () => now;
    const open = () => createMonitoring(store, { sinks: { soc: { type: 'webhook', url, secret: SECRET } }, clock, random: () => 0, uiBaseUrl: 'https://vantage.bank.example' });
    let monitoring = await open();
    await monitoring.alerting.rules.put({ name: 'partners', kinds: ['partner-compromised'], sinks: ['soc'] }, now);
    await monitoring.monitors.add({ name: 'hunt', kind: 'detect', schedule: '*/10 * * * *', windowMs: 60 * MIN });

    // Pass 1 (01:05): slot 01:00 covers the whole capture; the alert's first delivery fails.
    now = 65 * MIN;
    expect((await monitoring.monitors.runDue()).runs.map((r) => r.slot)).toEqual([60 * MIN]);
    expect(received.map((r) => r.status)).toEqual([503]);
    await monitoring.close();

    // Restart; pass 2 (01:25): slots 01:10 and 01:20 raise the same finding again, and the
    // queued alert is retried (its backoff has passed) and accepted.
    now = 85 * MIN;
    monitoring = await open();
    expect((await monitoring.monitors.runDue()).runs.map((r) => r.slot)).toEqual([70 * MIN, 80 * MIN]);
    expect(received.map((r) => r.status)).toEqual([503, 200]);
    // Pass 3 and a manual run: nothing new to send.
    now = 105 * MIN;
    expect((await monitoring.monitors.runDue()).runs).toHaveLength(2);
    await monitoring.monitors.runNow('hunt');
    await monitoring.close();
    expect(received.map((r) => r.status)).toEqual([503, 200]);

    // One finding, updated by every run that saw the beacon.
    const findings = await new FindingsRepository(store).list({ kind: ['partner-compromised'] });
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f).toMatchObject({ src: '192.168.1.115', dst: '41.108.179.197', dport: 1177, severity: 'critical', subkind: 'beacon+c2' });
    expect(f.runs).toBeGreaterThanOrEqual(3);
    const details = f.evidence.details as { watchlist: string; contacts: string[]; triggers: { kind: string }[]; connections: { peer: string }[] };
    expect(details.watchlist).toBe('acme');
    expect(details.contacts).toEqual(['soc@acme.example']);
    expect(details.triggers.map((t) => t.kind).sort()).toEqual(['beacon', 'c2']);
    expect(details.connections.length).toBeGreaterThan(0);
    // Its other conversations (the C2's excluded): the NjRAT host's HTTP and HTTPS peers.
    expect(details.connections.some((c) => c.peer === '85.31.204.81')).toBe(true);
    expect(details.connections.every((c) => c.peer !== '41.108.179.197')).toBe(true);

    // The two deliveries are the same alert; the accepted one is signed and carries the evidence.
    const bodies = received.map((r) => JSON.parse(r.body) as Record<string, any>);
    expect(bodies[0]!.id).toBe(bodies[1]!.id);
    const sent = bodies[1]!;
    expect(sent.finding).toMatchObject({ id: f.id, kind: 'partner-compromised', src: '192.168.1.115', dst: '41.108.179.197', watchlists: ['acme'] });
    expect(sent.evidence.findingId).toBe(f.id);
    expect(sent.evidence.query.startsWith('host 192.168.1.115 and not host 41.108.179.197')).toBe(true);
    expect(sent.evidence.findingUrl).toContain(f.id);
    expect(sent.evidence.findingUrl.startsWith('https://vantage.bank.example/')).toBe(true);
    const [t, v1] = received[1]!.signature.split(',').map((p) => p.split('=')[1]!);
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${received[1]!.body}`).digest('hex'));
  }, 240_000);
});
