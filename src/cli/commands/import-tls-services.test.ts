// Servers that completed a TLS handshake in Zeek's ssl.log become services (source zeek-ssl),
// on both backends; counts per server are taken from the log's `established` field, read here
// as plain JSON.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesOf } from '../../store/services-table.js';
import type { Store } from '../../store/store.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { testBackends } from '../../test-support/test-backends.js';
import { importFiles } from './import.js';

const SSL = sharedDataPath('zeek-logs/slips-test9-mixed/ssl.log');
const quiet = { stderr: { write: () => true } };

describe.skipIf(!SSL).each(testBackends())('services from ssl.log (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-sslsvc-'));
    store = makeStore(dir);
    await store.open();
    await importFiles(store, [SSL!], { format: 'auto', strict: false } as never, quiet);
  }, 60_000);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts each established handshake of a server as an observation of its service', async () => {
    const established = new Map<string, number>();
    for (const line of readFileSync(SSL!, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const r = JSON.parse(line) as Record<string, unknown>;
      if (r.established !== true) continue;
      const key = `${String(r['id.resp_h'])} ${String(r['id.resp_p'])}`;
      established.set(key, (established.get(key) ?? 0) + 1);
    }
    // The busiest server of the log: 25 established handshakes with 172.217.23.226:443.
    const [[busiest, n]] = [...established].sort((a, b) => b[1] - a[1]);
    expect([busiest, n]).toEqual(['172.217.23.226 443', 25]);
    for (const [key, count] of [...established].slice(0, 10)) {
      const [ip, port] = key.split(' ');
      const rows = (await servicesOf(store, ip!)).filter((s) => s.source === 'zeek-ssl');
      expect(rows.map((s) => [s.port, s.transport, s.service, s.count]), key).toEqual([[Number(port), 'tcp', 'ssl', count]]);
    }
  });
});
