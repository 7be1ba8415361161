// `vantage serve`: the HTTP API and web UI over the selected store, until Ctrl+C or SIGTERM.

import type { Command } from 'commander';
import { VantageError } from '../../core/errors.js';
import { serverConfig, type ServerConfig } from '../../services/server-config.js';
import { ensureInitialAdmin, startServer } from '../../services/server.js';
import { createStore, resolveStoreUrl } from '../../services/store-factory.js';
import type { CollectorConfigInput } from '../../services/collector/collector-config.js';
import type { Store } from '../../store/store.js';
import { globalOptions } from '../context.js';

interface ServeOptions {
  port?: string;
  host?: string;
  listen?: string[];
  spool?: string;
  workers?: string;
}

/** The collector settings of `serve --listen` (none without it). */
function serveCollector(options: ServeOptions): CollectorConfigInput | undefined {
  if (!options.listen || options.listen.length === 0) return undefined;
  let workers: number | undefined;
  if (options.workers !== undefined) {
    workers = Number(options.workers);
    if (!/^\d+$/.test(options.workers)) throw new VantageError('USAGE', `--workers expects a whole number, not '${options.workers}'`);
  }
  return { listen: options.listen, spoolDir: options.spool ?? './data/spool', ...(workers !== undefined ? { workers } : {}) };
}

/** Parses --port/--host into server settings (environment and defaults fill the rest). */
export function serveConfig(options: ServeOptions): ServerConfig {
  let port: number | undefined;
  if (options.port !== undefined) {
    port = Number(options.port);
    if (!/^\d+$/.test(options.port) || port > 65535) throw new VantageError('USAGE', `--port expects a number from 0 to 65535, not '${options.port}'`);
  }
  return serverConfig({ port, host: options.host });
}

/** Resolves when the process is asked to stop (SIGINT, SIGTERM). */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * Serves an opened store until a stop signal, printing where and how to sign in; then stops the
 * server gracefully (the caller closes the store). `intro` is printed before the URL.
 */
export async function serveStore(store: Store, storeUrl: string, config: ServerConfig, intro = '', collector?: CollectorConfigInput): Promise<void> {
  const server = await startServer(store, storeUrl, config, collector ? { collector } : {});
  const admin = await ensureInitialAdmin(server.accounts, storeUrl);
  const out = process.stdout;
  out.write(intro);
  out.write(`Vantage is serving ${store.location}\n\n`);
  out.write(`  Web UI:  ${server.url}\n`);
  out.write(`  API:     ${server.url}api/  (OpenAPI 3.1: ${server.url}api/openapi.json, docs/api.md)\n`);
  for (const l of server.collector?.listeners() ?? []) out.write(`  Flows:   NetFlow/IPFIX/sFlow on ${l.url} (port ${l.port})\n`);
  out.write('\n');
  if (admin.password) {
    out.write(`  Sign in as '${admin.user}' with password: ${admin.password}\n`);
    out.write(admin.created ? '  (generated now for this new store' : '  (generated at the first start');
    out.write(admin.file ? `; also kept in ${admin.file} until you delete it` : '');
    out.write('. Change it under Admin > Users.)\n');
  } else {
    out.write("  Sign in with your Vantage user (create one with 'vantage user add NAME --role admin' while the server is stopped).\n");
  }
  out.write('\nPress Ctrl+C to stop.\n');
  const signal = await untilStopped();
  process.stderr.write(`\n${signal}: stopping (in-flight requests get ${config.shutdownGraceSeconds} s)...\n`);
  await server.stop();
}

/** Registers `vantage serve`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API and the web UI over the store (one process owns a DuckDB file)')
    .option('--port <n>', 'TCP port (0 picks a free one); env VANTAGE_PORT', undefined)
    .option('--host <address>', 'address to listen on; env VANTAGE_HOST (default 127.0.0.1: put a TLS proxy in front to expose it)')
    .option('--listen <udp://HOST:PORT>', 'also collect NetFlow/IPFIX/sFlow on this UDP address (repeatable; see vantage collect)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--spool <dir>', 'with --listen: spool directory for batches the store cannot take yet', './data/spool')
    .option('--workers <n>', 'with --listen: decode worker threads (0: on the main thread)')
    .action(async (options: ServeOptions, command: Command) => {
      const config = serveConfig(options);
      const url = resolveStoreUrl(globalOptions(command));
      const store = createStore(url);
      await store.open();
      try {
        await serveStore(store, url, config, '', serveCollector(options));
      } finally {
        await store.close();
      }
    });
}
