// Test helper: a real server on 127.0.0.1 (ephemeral port) over a temporary DuckDB store with a
// small known dataset, plus users and tokens of every role and a network-scoped partner account.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowRecord } from '../core/columns.js';
import { parseIp } from '../core/ip.js';
import { serverConfig, type ServerConfig } from '../services/server-config.js';
import { startServer, type VantageServer } from '../services/server.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';

/** The partner's network: the scoped accounts see only flows touching it. */
export const PARTNER_NET = '10.1.0.0/24';
/** An address that only ever talks outside the partner's network: it must never reach a scoped caller. */
export const CANARY = '10.2.0.99';
/** Fixture start: 2026-10-31T00:00Z. */
export const T0 = Date.UTC(2026, 9, 31);

const ip = (text: string) => parseIp(text)!;

/**
 * The fixture: 300 flows. 100 from 10.1.0.x (partner) to 198.51.100.x port 443, 100 from
 * 203.0.113.x to 10.1.0.x port 22, 100 from the canary's 10.2.0.x net (incl. the canary) to
 * 198.51.100.x port 80. Plus one IPv6 flow inside 2001:db8:1::/48.
 */
export function fixtureFlows(): FlowRecord[] {
  const flows: FlowRecord[] = [];
  const flow = (i: number, src: string, dst: string, sport: number, dport: number, proto = 6): FlowRecord => ({
    start: T0 + i * 60_000,
    end: T0 + i * 60_000 + 500,
    src: ip(src),
    dst: ip(dst),
    sport,
    dport,
    proto,
    tcp_flags: 27,
    packets: 10 + (i % 7),
    bytes: 1000 + i,
    exporter: ip('192.0.2.1'),
  });
  for (let i = 0; i < 100; i++) flows.push(flow(i, `10.1.0.${i % 50}`, `198.51.100.${i % 20}`, 40000 + i, 443));
  for (let i = 0; i < 100; i++) flows.push(flow(100 + i, `203.0.113.${i % 30}`, `10.1.0.${i % 10}`, 50000 + i, 22));
  for (let i = 0; i < 100; i++) flows.push(flow(200 + i, i % 4 === 0 ? CANARY : `10.2.0.${i % 40}`, `198.51.100.${i % 20}`, 30000 + i, 80));
  flows.push(flow(300, '2001:db8:1::5', '2001:db8:99::1', 1234, 443, 17));
  return flows;
}

/** Flows of the fixture touching the partner's network. */
export const PARTNER_FLOWS = 200;

/** A running test server with credentials for every kind of caller. */
export interface TestServer {
  readonly base: string;
  readonly server: VantageServer;
  readonly store: DuckDbStore;
  readonly dir: string;
  readonly password: string;
  readonly tokens: { viewer: string; analyst: string; admin: string; partner: string; partnerAnalyst: string };
  close(): Promise<void>;
}

/**
 * Starts the server; `config` overrides settings (the environment is ignored); `load` fills the
 * store (default: the fixture flows).
 */
export async function startTestServer(config: Partial<ServerConfig> = {}, load?: (store: DuckDbStore) => Promise<void>): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-api-'));
  const path = join(dir, 'flows.duckdb');
  const store = new DuckDbStore({ path });
  await store.open();
  if (load) await load(store);
  else await store.appendFlows(fixtureFlows());
  const server = await startServer(store, `duckdb:${path}`, serverConfig({ port: 0, host: '127.0.0.1', monitorIntervalSeconds: 0, ...config }, {}), {
    accountOptions: { passwordCost: { N: 1024, r: 8, p: 1 }, cacheMs: 0 },
    loginLimits: { maxPerAccount: 5, maxPerClient: 50 },
    log: () => undefined,
  });
  const password = 'correct horse battery';
  const a = server.accounts;
  await a.addUser({ name: 'alice', role: 'admin', password }, 'test');
  await a.addUser({ name: 'victor', role: 'viewer', password }, 'test');
  await a.addUser({ name: 'partner', role: 'analyst', password, scopes: [PARTNER_NET, '2001:db8:1::/48'] }, 'test');
  const token = async (name: string, role: 'viewer' | 'analyst' | 'admin', scopes: string[] = []) => (await a.createToken({ name, role, scopes }, 'test')).token;
  const tokens = {
    viewer: await token('viewer', 'viewer'),
    analyst: await token('analyst', 'analyst'),
    admin: await token('admin', 'admin'),
    partner: await token('partner', 'viewer', [PARTNER_NET]),
    partnerAnalyst: await token('partner-analyst', 'analyst', [PARTNER_NET]),
  };
  return {
    base: server.url.replace(/\/$/, ''),
    server,
    store,
    dir,
    password,
    tokens,
    close: async () => {
      await server.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** fetch with a bearer token and an optional JSON body. */
export async function call(base: string, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  return fetch(`${base}${path}`, { method, headers, body });
}
