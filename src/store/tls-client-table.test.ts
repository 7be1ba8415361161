// The tls_clients table on every backend: idempotent DDL, merged appends (counts add, first/last
// widen, also across separate appends), reads by address and role and by JA3 or JA4, IPv4 and
// IPv6 alike. Rows are written by hand with their merged values worked out in the comments.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatIp, parseIp } from '../core/ip.js';
import type { TlsClientObservation } from '../decode/tls/tls-observation.js';
import { testBackends } from '../test-support/test-backends.js';
import type { Store } from './store.js';
import { aggregateTlsClients, appendTlsClients, ensureTlsClientTable, TlsClientWriter, tlsClientsNaming, tlsClientsOf, tlsClientsWithFingerprint, type TlsClientRow } from './tls-client-table.js';

const ip = (s: string) => parseIp(s)!;
const JA3 = '51c64c77e60f3980eea90869b68c58a8';
const JA4 = 't12i190600_d83cc789557e_2dae41c691ec';
const GO_JA4 = 't13i190800_9dc949149365_97f8aa674fd9';

const row = (src: string, dst: string, dport: number, serverName: string, ja3: string, ja4: string, first: number, last: number, count = 1): TlsClientObservation => ({
  src: ip(src),
  dst: ip(dst),
  dport,
  serverName,
  ja3,
  ja4,
  firstSeen: first,
  lastSeen: last,
  count,
});

const show = (rows: readonly TlsClientRow[]) => rows.map((r) => [formatIp(r.src), formatIp(r.dst), r.dport, r.serverName, r.ja3, r.ja4, r.firstSeen, r.lastSeen, r.count]);

test('aggregateTlsClients merges equal keys only', () => {
  const merged = aggregateTlsClients([row('10.0.0.1', '10.0.0.2', 443, '', JA3, JA4, 5, 5), row('10.0.0.1', '10.0.0.2', 443, '', JA3, JA4, 3, 3), row('10.0.0.1', '10.0.0.2', 8443, '', JA3, JA4, 4, 4)]);
  expect(show(merged)).toEqual([
    ['10.0.0.1', '10.0.0.2', 443, '', JA3, JA4, 3, 5, 2],
    ['10.0.0.1', '10.0.0.2', 8443, '', JA3, JA4, 4, 4, 1],
  ]);
});

describe.each(testBackends())('tls_clients on %s', (_name, make) => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-tls-clients-'));
    store = make(dir);
    await store.open();
    await ensureTlsClientTable(store);
    await ensureTlsClientTable(store);
    // The Emotet victim's two hellos to its C2 (one batch), a third in a later append; a Go
    // client over IPv6; another client with the same JA3 elsewhere.
    await appendTlsClients(store, [
      row('10.4.25.101', '138.197.147.101', 443, '', JA3, JA4, 1650905467666, 1650905467666),
      row('10.4.25.101', '138.197.147.101', 443, '', JA3, JA4, 1650905469856, 1650905469856),
      row('2001:db8::5', '2001:db8::443', 443, 'go.example', 'aa'.repeat(16), GO_JA4, 2000, 2500, 3),
    ]);
    const writer = new TlsClientWriter(store, 2);
    await writer.add([row('10.4.25.101', '138.197.147.101', 443, '', JA3, JA4, 1650905400000, 1650905400000)]);
    await writer.add([row('10.9.9.9', '192.0.2.1', 8443, 'other.example', JA3, JA4, 10, 20, 2)]);
    await writer.flush();
    expect(writer.written).toBe(2);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('by address: both roles, merged over appends (3 hellos, earliest 1650905400000, latest 1650905469856)', async () => {
    expect(show(await tlsClientsOf(store, '138.197.147.101'))).toEqual([['10.4.25.101', '138.197.147.101', 443, '', JA3, JA4, 1650905400000, 1650905469856, 3]]);
    expect(show(await tlsClientsOf(store, ip('10.4.25.101'), { role: 'client' }))).toEqual(show(await tlsClientsOf(store, '138.197.147.101', { role: 'server' })));
    expect(await tlsClientsOf(store, '10.4.25.101', { role: 'server' })).toEqual([]);
    expect(await tlsClientsOf(store, 'not an address')).toEqual([]);
  });

  test('IPv6 addresses', async () => {
    expect(show(await tlsClientsOf(store, '2001:DB8::443'))).toEqual([['2001:db8::5', '2001:db8::443', 443, 'go.example', 'aa'.repeat(16), GO_JA4, 2000, 2500, 3]]);
  });

  test('by fingerprint: JA3 or JA4, any case, most seen first', async () => {
    const byJa3 = show(await tlsClientsWithFingerprint(store, JA3.toUpperCase()));
    expect(byJa3).toEqual([
      ['10.4.25.101', '138.197.147.101', 443, '', JA3, JA4, 1650905400000, 1650905469856, 3],
      ['10.9.9.9', '192.0.2.1', 8443, 'other.example', JA3, JA4, 10, 20, 2],
    ]);
    expect(show(await tlsClientsWithFingerprint(store, ` ${JA4} `))).toEqual(byJa3);
    expect(show(await tlsClientsWithFingerprint(store, GO_JA4, 1))).toEqual([['2001:db8::5', '2001:db8::443', 443, 'go.example', 'aa'.repeat(16), GO_JA4, 2000, 2500, 3]]);
    expect(await tlsClientsWithFingerprint(store, 'ffffffffffffffffffffffffffffffff')).toEqual([]);
    expect(await tlsClientsWithFingerprint(store, '')).toEqual([]);
  });

  test('by server name: the name and names below it, not look-alikes', async () => {
    expect(show(await tlsClientsNaming(store, 'Example.')).map((r) => r[3])).toEqual(['go.example', 'other.example']);
    expect(show(await tlsClientsNaming(store, 'go.example')).map((r) => r[0])).toEqual(['2001:db8::5']);
    expect(await tlsClientsNaming(store, 'o.example')).toEqual([]);
    expect(await tlsClientsNaming(store, '')).toEqual([]);
  });
});
