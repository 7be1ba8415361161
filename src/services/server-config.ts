// Configuration of `vantage serve`: a schema with defaults, read from flags and environment here
// (services/ is the only layer that reads the environment).

import { z } from 'zod';
import { VantageError } from '../core/errors.js';

/** Server settings; every field has a default. */
export const ServerConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** Per-query timeout, ms. */
  queryTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
  /** Rows a JSON query answer carries at most. */
  maxRows: z.number().int().min(1).max(1_000_000).default(10_000),
  /** Rows a stream or an export carries at most. */
  maxExportRows: z.number().int().min(1).max(100_000_000).default(1_000_000),
  maxConcurrentQueries: z.number().int().min(1).max(64).default(4),
  maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  cookieSecure: z.enum(['auto', 'always', 'never']).default('auto'),
  trustProxy: z.boolean().default(false),
  sessionIdleMinutes: z.number().int().min(1).default(120),
  sessionMaxHours: z.number().int().min(1).default(12),
  /** Folder of the built UI; default: dist/web of the installation. */
  uiDir: z.string().optional(),
  /** Seconds in-flight requests get to finish at shutdown. */
  shutdownGraceSeconds: z.number().min(0).max(600).default(10),
  /** Seconds between monitor scheduler passes (0: no scheduler in this process). */
  monitorIntervalSeconds: z.number().min(0).max(3600).default(30),
  /** JSON file of alert sink name -> settings (docs/alerting.md); without it alerts wait in the outbox. */
  alertSinksFile: z.string().optional(),
  /** Base URL of the UI in alerts' evidence links (default: the URL this server listens on). */
  uiBaseUrl: z.string().url().optional(),
});

/** Server settings with defaults applied. */
export type ServerConfig = z.infer<typeof ServerConfigSchema>;

const ENV: Record<string, [keyof ServerConfig, 'number' | 'string' | 'boolean']> = {
  VANTAGE_HOST: ['host', 'string'],
  VANTAGE_PORT: ['port', 'number'],
  VANTAGE_QUERY_TIMEOUT_MS: ['queryTimeoutMs', 'number'],
  VANTAGE_MAX_ROWS: ['maxRows', 'number'],
  VANTAGE_MAX_EXPORT_ROWS: ['maxExportRows', 'number'],
  VANTAGE_MAX_CONCURRENT_QUERIES: ['maxConcurrentQueries', 'number'],
  VANTAGE_MAX_BODY_BYTES: ['maxBodyBytes', 'number'],
  VANTAGE_COOKIE_SECURE: ['cookieSecure', 'string'],
  VANTAGE_TRUST_PROXY: ['trustProxy', 'boolean'],
  VANTAGE_SESSION_IDLE_MINUTES: ['sessionIdleMinutes', 'number'],
  VANTAGE_SESSION_MAX_HOURS: ['sessionMaxHours', 'number'],
  VANTAGE_UI_DIR: ['uiDir', 'string'],
  VANTAGE_MONITOR_INTERVAL: ['monitorIntervalSeconds', 'number'],
  VANTAGE_ALERT_SINKS: ['alertSinksFile', 'string'],
  VANTAGE_UI_BASE_URL: ['uiBaseUrl', 'string'],
};

/** Builds the configuration: explicit values (flags) win over the environment, then defaults. */
export function serverConfig(overrides: Partial<ServerConfig> = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const fromEnv: Record<string, unknown> = {};
  for (const [name, [key, type]] of Object.entries(ENV)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    fromEnv[key] = type === 'number' ? Number(text) : type === 'boolean' ? ['1', 'true', 'yes'].includes(text.toLowerCase()) : text;
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const parsed = ServerConfigSchema.safeParse({ ...fromEnv, ...defined });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new VantageError('USAGE', `server setting '${issue.path.join('.')}': ${issue.message}`);
  }
  return parsed.data;
}
