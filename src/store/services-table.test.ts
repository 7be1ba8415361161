// The services table on every backend: which text wins when a service is seen again.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ServiceObservation } from '../decode/services/service-observation.js';
import { testBackends } from '../test-support/test-backends.js';
import { appendServices, servicesOf } from './services-table.js';
import { asSideTableStore, type SideTableStore } from './side-table-rows.js';
import type { Store } from './store.js';

const T = Date.UTC(2024, 4, 1, 12);

function seen(ip: string, banner: string, at: number): ServiceObservation {
  return { ip, port: 22, transport: 'tcp', source: 'masscan', service: 'ssh', product: '', banner, firstSeen: at, lastSeen: at, count: 1 };
}

describe.each(testBackends())('services on %s', (_name, make) => {
  let dir: string;
  let store: Store;
  let side: SideTableStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-services-table-'));
    store = make(dir);
    await store.open();
    side = asSideTableStore(store)!;
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a later sighting replaces the banner; at the same time the larger text wins, whatever the import order', async () => {
    await appendServices(side, [seen('192.0.2.1', 'SSH-2.0-OpenSSH_9.6', T)]);
    await appendServices(side, [seen('192.0.2.1', 'SSH-2.0-Dropbear_2022.83', T)]);
    await appendServices(side, [seen('192.0.2.2', 'SSH-2.0-Dropbear_2022.83', T)]);
    await appendServices(side, [seen('192.0.2.2', 'SSH-2.0-OpenSSH_9.6', T)]);
    // Both in one batch, in either order.
    await appendServices(side, [seen('192.0.2.3', 'SSH-2.0-OpenSSH_9.6', T), seen('192.0.2.3', 'SSH-2.0-Dropbear_2022.83', T)]);
    await appendServices(side, [seen('192.0.2.4', 'SSH-2.0-Dropbear_2022.83', T), seen('192.0.2.4', 'SSH-2.0-OpenSSH_9.6', T)]);
    // Seen later: the newer banner, though smaller.
    await appendServices(side, [seen('192.0.2.5', 'SSH-2.0-OpenSSH_9.6', T), seen('192.0.2.5', 'SSH-2.0-Dropbear_2022.83', T + 1000)]);
    const banners = await Promise.all(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'].map(async (ip) => (await servicesOf(side, ip))[0]!.banner));
    expect(banners).toEqual(['SSH-2.0-OpenSSH_9.6', 'SSH-2.0-OpenSSH_9.6', 'SSH-2.0-OpenSSH_9.6', 'SSH-2.0-OpenSSH_9.6', 'SSH-2.0-Dropbear_2022.83']);
  });
});
