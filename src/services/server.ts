// `vantage serve`: the HTTP API and web UI over one opened store. Wires the account tables,
// sessions, audit trail, query service and metrics; listens; shuts down gracefully.

import { createCollector, type Collector } from './collector/collector.js';
import { mallocAdvice } from './collector/malloc-advice.js';
import type { CollectorConfigInput } from './collector/collector-config.js';
import { sharedStoreTarget } from './collector/store-target.js';
import { createEnricher } from '../enrich/create-enricher.js';
import { readSinksFile } from '../monitor/alerts/sinks/read-sinks-file.js';
import { createMonitoring } from '../monitor/create-monitoring.js';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { VantageError } from '../core/errors.js';
import type { ApiFeatures } from '../api/api-context.js';
import { accountTables } from '../api/auth/account-schema.js';
import { AccountStore, type AccountStoreOptions } from '../api/auth/account-store.js';
import { LoginLimiter, type LoginLimiterOptions } from '../api/auth/login-limiter.js';
import { generatePassword } from '../api/auth/password.js';
import { SessionStore } from '../api/auth/session-store.js';
import { AuditLog } from '../api/audit/audit-log.js';
import { createApi } from '../api/create-api.js';
import { QueryService } from '../api/query/query-service.js';
import type { Store } from '../store/store.js';
import type { ServerConfig } from './server-config.js';

/** The installation root: the nearest folder above this module with a package.json. */
export function installRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/** The version in package.json. */
export function vantageVersion(): string {
  try {
    return String((JSON.parse(readFileSync(join(installRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0');
  } catch {
    return '0.0.0';
  }
}

/** Where the built UI lives (dist/web), or undefined when it has not been built. */
export function defaultUiDir(): string | undefined {
  const dir = join(installRoot(), 'dist', 'web');
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}

/**
 * The ClickHouse database a store URL names (account tables live beside the flows), or
 * undefined for DuckDB, whose file holds a single schema. Mirrors store-factory.ts.
 */
export function accountDatabase(storeUrl: string): string | undefined {
  if (storeUrl.startsWith('chdb:')) return 'vantage';
  if (storeUrl.startsWith('clickhouse:') || storeUrl.startsWith('clickhouses:')) {
    try {
      return new URL(storeUrl).pathname.replace(/^\//, '') || 'vantage';
    } catch {
      return 'vantage';
    }
  }
  return undefined;
}

/** The account store of an opened store (tables created when missing). */
export async function openAccounts(store: Store, storeUrl: string, options: AccountStoreOptions = {}): Promise<AccountStore> {
  const accounts = new AccountStore(store, accountTables(store.dialect, accountDatabase(storeUrl)), options);
  await accounts.migrate();
  return accounts;
}


/** Sections of the UI that exist in this build (see ApiFeatures for the extension points). */
export const FEATURES: ApiFeatures = {
  query: true,
  ipPage: true,
  audit: true,
  admin: true,
  pivot: true,
  findings: true,
  watchlists: true,
  notebook: true,
  intel: true,
  monitors: true,
  alerts: true,
  blocklists: true,
  sharing: true,
};

/** A running server. */
export interface VantageServer {
  readonly url: string;
  readonly port: number;
  readonly accounts: AccountStore;
  /** The collector running in this process, when flow exports are received here. */
  readonly collector?: Collector;
  /** Stops accepting connections, lets in-flight requests finish (up to the grace period), then closes them. */
  stop(): Promise<void>;
}

/** Test and embedding hooks. */
export interface ServerOptions {
  /** Also receive flow exports in this process (one process owns a DuckDB file), written to the same store. */
  readonly collector?: CollectorConfigInput;
  readonly accountOptions?: AccountStoreOptions;
  readonly loginLimits?: LoginLimiterOptions;
  readonly log?: (line: string) => void;
}

/** Starts the API and UI over an opened store. The caller keeps ownership of the store. */
export async function startServer(store: Store, storeUrl: string, config: ServerConfig, options: ServerOptions = {}): Promise<VantageServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const accounts = await openAccounts(store, storeUrl, options.accountOptions);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vantage_' });
  const queries = new QueryService(
    store,
    { timeoutMs: config.queryTimeoutMs, maxRows: config.maxRows, maxExportRows: config.maxExportRows, maxConcurrent: config.maxConcurrentQueries },
    {
      queries: new Counter({ name: 'vantage_queries_total', help: 'Queries run through the API, by outcome code', labelNames: ['status'], registers: [registry] }),
      duration: new Histogram({ name: 'vantage_query_duration_seconds', help: 'Query time through the API', labelNames: ['status'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60], registers: [registry] }),
      rows: new Counter({ name: 'vantage_query_rows_total', help: 'Rows returned by API queries', registers: [registry] }),
    },
  );
  const sinks = config.alertSinksFile ? readSinksFile(config.alertSinksFile) : undefined;
  const uiBase = config.uiBaseUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const monitoring = await createMonitoring(store, { ...(sinks ? { sinks } : {}), uiBaseUrl: uiBase, log });
  const app = createApi({
    monitoring,
    store,
    accounts,
    audit: new AuditLog(store, accounts),
    sessions: new SessionStore({ idleMs: config.sessionIdleMinutes * 60_000, maxAgeMs: config.sessionMaxHours * 3_600_000 }),
    loginLimiter: new LoginLimiter(options.loginLimits),
    queries,
    registry,
    config: { maxBodyBytes: config.maxBodyBytes, cookieSecure: config.cookieSecure, trustProxy: config.trustProxy },
    version: vantageVersion(),
    uiDir: config.uiDir ?? defaultUiDir(),
    features: FEATURES,
    onError: (err) => log(`vantage serve: unexpected error: ${(err as Error)?.stack ?? String(err)}`),
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }) as Server;
    s.once('listening', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the port is in use: pick another with --port' : err.message;
      reject(new VantageError('USAGE', `cannot listen on ${config.host}:${config.port}: ${why}`));
    });
  });
  // Slow clients may not hold connections open forever.
  server.requestTimeout = Math.max(60_000, config.queryTimeoutMs + 30_000);
  server.headersTimeout = 30_000;
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  // The scheduler runs saved monitors in this process (one process owns a DuckDB file).
  if (config.monitorIntervalSeconds > 0) monitoring.monitors.start(config.monitorIntervalSeconds * 1000);
  let collector: Collector | undefined;
  if (options.collector) {
    const enricher = await createEnricher(store);
    collector = createCollector(options.collector, { target: sharedStoreTarget(store, () => enricher), log: (line) => log(`collector: ${line}`) });
    try {
      await collector.start();
      const advice = mallocAdvice(process.env);
      if (advice) log(`collector: ${advice}`);
    } catch (err) {
      await monitoring.monitors.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw err;
    }
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), config.shutdownGraceSeconds * 1000);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        void Promise.resolve(collector?.stop())
          .then(() => monitoring.monitors.stop())
          .then(() => monitoring.close())
          .finally(resolve);
      });
      server.closeIdleConnections();
    }));

  return { url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/`, port, accounts, stop, collector };
}

/** What `ensureInitialAdmin` did. */
export interface InitialAdmin {
  readonly created: boolean;
  readonly user?: string;
  /** The password, when it is known: just generated, or still in the first-start file. */
  readonly password?: string;
  /** File holding the generated password (DuckDB file stores only). */
  readonly file?: string;
}

/**
 * Creates an `admin` user with a generated password when the store has no user at all, so a
 * fresh install can be signed into. The password is printed once and, for a DuckDB file store,
 * kept in `initial-admin-password` (mode 0600) beside it until the admin deletes that file.
 */
export async function ensureInitialAdmin(accounts: AccountStore, storeUrl: string): Promise<InitialAdmin> {
  const file = storeUrl.startsWith('duckdb:') && !storeUrl.endsWith(':memory:') ? join(dirname(storeUrl.slice('duckdb:'.length).replace(/^\/\//, '')), 'initial-admin-password') : undefined;
  if ((await accounts.countUsers()) > 0) {
    if (file && existsSync(file)) {
      const password = readFileSync(file, 'utf8').trim();
      // Shown again only while it still works: once the admin changes it, the file is stale.
      if (await accounts.authenticatePassword('admin', password)) return { created: false, user: 'admin', password, file };
    }
    return { created: false };
  }
  const password = generatePassword();
  await accounts.addUser({ name: 'admin', role: 'admin', password }, 'vantage (first start)');
  if (file) {
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { created: true, user: 'admin', password, file };
}
