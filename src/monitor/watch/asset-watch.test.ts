// A watch monitor over both backends: the first run records what the watched assets look like,
// the next reports each change (a new service, a changed product, a passive-DNS answer that
// moved, a contact with a listed threat) as an asset-change finding with before and after.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIp } from '../../core/ip.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import { loadFeeds } from '../../intel/load-feeds.js';
import { appendPassiveDns } from '../../store/passive-dns-table.js';
import { appendServices } from '../../store/services-table.js';
import type { Store } from '../../store/store.js';
import { testBackends } from '../../test-support/test-backends.js';
import { MonitorService } from '../monitor-service.js';
import { WatchlistRepository } from '../watchlists/watchlist-repository.js';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const quiet = { stderr: { write: () => true } };

const service = (port: number, service: string, product: string, at: number) => ({ ip: '192.0.2.10', port, transport: 'tcp' as const, source: 'nmap', service, product, banner: '', firstSeen: at, lastSeen: at, count: 1 });
const answer = (rdata: string, at: number) => ({ rrname: 'www.acme.example', rrtype: 'A', rdata, firstSeen: at, lastSeen: at, count: 1, sensor: 'zeek' });

describe.each(testBackends())('watch monitor (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;
  let now = T0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-assets-'));
    store = makeStore(dir);
    await store.open();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a baseline, then reports each change with before and after', async () => {
    const watchlists = new WatchlistRepository(store);
    await watchlists.ensureTables();
    await watchlists.put({ name: 'acme', kind: 'partner', members: ['192.0.2.0/24', 'acme.example'] });
    const intel = new IndicatorRepository(store);
    await intel.ensureTables();
    const feed = join(dir, 'c2.txt');
    writeFileSync(feed, '203.0.113.66\n');
    await loadFeeds(intel, [feed], { source: 'test:c2' }, quiet as never);

    // Before 01:00: SSH on the partner's host, and its web name answering 192.0.2.80.
    await appendServices(store, [service(22, 'ssh', 'OpenSSH 8.9p1', T0 + 0.2 * HOUR)]);
    await appendPassiveDns(store, [answer('192.0.2.80', T0 + 0.5 * HOUR)]);
    const monitors = new MonitorService({ store, clock: () => now });
    await monitors.ensureTables();
    await monitors.add({ name: 'assets', kind: 'watch', schedule: '0 * * * *' });
    now = T0 + 1.1 * HOUR;
    const [baseline] = (await monitors.runDue()).runs;
    expect(baseline).toMatchObject({ status: 'ok', rows: 0, findings: [] });

    // Between 01:00 and 02:00 (services in address and port order; the threat named by its intelligence tag): RDP opens, SSH is upgraded, the name moves, the host calls a C2.
    await appendServices(store, [service(3389, 'ms-wbt-server', 'Microsoft Terminal Services', T0 + 1.2 * HOUR), service(22, 'ssh', 'OpenSSH 9.6p1', T0 + 1.3 * HOUR)]);
    await appendPassiveDns(store, [answer('198.51.100.5', T0 + 1.4 * HOUR)]);
    await store.appendFlows([{ start: T0 + 1.5 * HOUR, end: T0 + 1.5 * HOUR + 1000, src: parseIp('192.0.2.10')!, dst: parseIp('203.0.113.66')!, sport: 50000, dport: 443, proto: 6, tcp_flags: 0x1b, packets: 10, bytes: 1000 }]);
    now = T0 + 2.1 * HOUR;
    const [changed] = (await monitors.runDue()).runs;
    expect(changed!.result).toEqual([
      { category: 'service', change: 'changed', asset: '192.0.2.10:22/tcp', before: 'OpenSSH 8.9p1 ssh', after: 'OpenSSH 9.6p1 ssh', watchlists: ['acme'] },
      { category: 'service', change: 'new', asset: '192.0.2.10:3389/tcp', before: null, after: 'Microsoft Terminal Services ms-wbt-server', watchlists: ['acme'] },
      { category: 'dns', change: 'changed', asset: 'www.acme.example A', before: '192.0.2.80', after: '198.51.100.5', watchlists: ['acme'] },
      { category: 'threat-peer', change: 'new', asset: '192.0.2.10 203.0.113.66', before: null, after: 'list:c2', watchlists: ['acme'] },
    ]);
    const findings = await new FindingsRepository(store).list({ kind: ['asset-change'] });
    expect(findings.map((f) => f.subkind).sort()).toEqual(['dns-changed', 'service-changed', 'service-new', 'threat-peer-new']);
    expect(findings.find((f) => f.subkind === 'dns-changed')!.summary).toBe('[acme] passive-DNS answer of www.acme.example A changed: 192.0.2.80 -> 198.51.100.5');

    // Nothing changes in the next hour (nobody looks the name up: that is not a change either).
    now = T0 + 3.1 * HOUR;
    const [quietRun] = (await monitors.runDue()).runs;
    expect(quietRun!.result).toEqual([]);
  }, 120_000);
});
