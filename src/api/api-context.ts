// What every route handler can reach: the shared services (deps) and the per-request variables
// (the authenticated principal, the session, the client address), plus the permission check.

import type { Monitoring } from '../monitor/create-monitoring.js';
import type { Context } from 'hono';
import type { Registry } from 'prom-client';
import type { Store } from '../store/store.js';
import { ApiError } from './api-error.js';
import type { AccountStore } from './auth/account-store.js';
import type { LoginLimiter } from './auth/login-limiter.js';
import { can, type Permission, type Principal } from './auth/principal.js';
import type { Session, SessionStore } from './auth/session-store.js';
import type { AuditEntry, AuditLog } from './audit/audit-log.js';
import type { QueryService } from './query/query-service.js';

/** HTTP settings of the API. */
export interface ApiConfig {
  /** Largest request body accepted, bytes. */
  readonly maxBodyBytes: number;
  /** Secure cookies: always, never, or when the request arrived over TLS (directly or via a trusted proxy). */
  readonly cookieSecure: 'auto' | 'always' | 'never';
  /** Trust X-Forwarded-For/-Proto (only behind a reverse proxy that sets them). */
  readonly trustProxy: boolean;
}

/**
 * Features the UI may show. Sections that other issues will add (pivot graph, findings,
 * watchlists, notebook, intel feeds) report false until their routes exist: the UI hides them.
 */
export interface ApiFeatures {
  readonly query: boolean;
  readonly ipPage: boolean;
  readonly audit: boolean;
  readonly admin: boolean;
  readonly pivot: boolean;
  readonly findings: boolean;
  readonly watchlists: boolean;
  readonly notebook: boolean;
  readonly intel: boolean;
  /** Saved monitors with their run history (the watchlists' routes). */
  readonly monitors: boolean;
  /** Alert rules and the alert outbox. */
  readonly alerts: boolean;
  /** Saved block lists (entries, held-back entries, the EDL). */
  readonly blocklists: boolean;
  /** Sharing: STIX/MISP downloads, TAXII collections, grants, publish and pull, peers and their sightings. */
  readonly sharing: boolean;
}

/** The services routes use. */
export interface ApiDeps {
  readonly store: Store;
  readonly accounts: AccountStore;
  readonly audit: AuditLog;
  readonly sessions: SessionStore;
  readonly loginLimiter: LoginLimiter;
  readonly queries: QueryService;
  readonly registry: Registry;
  readonly config: ApiConfig;
  readonly version: string;
  /** Folder of the built UI (index.html and assets); undefined serves no UI. */
  readonly uiDir?: string;
  readonly features: ApiFeatures;
  /** The server's monitors and alerting (with its sinks); routes build their own without sinks when absent. */
  readonly monitoring?: Monitoring;
  /** Called with unexpected errors (logged by the server, never sent to clients). */
  readonly onError?: (err: unknown) => void;
}

/** Hono environment of the API. */
export interface ApiEnv {
  Variables: {
    principal?: Principal;
    session?: Session;
    sessionId?: string;
    client: string;
    secure: boolean;
  };
}

/** The caller, or AUTH_REQUIRED. */
export function principalOf(c: Context<ApiEnv>): Principal {
  const p = c.get('principal');
  if (!p) throw new ApiError('AUTH_REQUIRED', 'sign in or send Authorization: Bearer <token>');
  return p;
}

/** The caller if they hold the permission; AUTH_REQUIRED / AUTH_FORBIDDEN otherwise. */
export function requirePermission(c: Context<ApiEnv>, permission: Permission): Principal {
  const p = principalOf(c);
  if (!can(p.role, permission)) throw new ApiError('AUTH_FORBIDDEN', `the ${p.role} role may not do this (needs ${permission})`);
  return p;
}

/**
 * Records an audit entry for the caller. Fails closed: when the entry cannot be written the
 * request fails too, so nothing is answered that the trail does not show.
 */
export async function audit(c: Context<ApiEnv>, deps: ApiDeps, entry: Omit<AuditEntry, 'client'>, who?: Principal | { name: string; kind: 'anonymous' }): Promise<void> {
  const actor = who ?? c.get('principal') ?? { name: '', kind: 'anonymous' as const };
  await deps.audit.record(actor, { ...entry, client: c.get('client') });
}
