// Who is calling: roles, what each may do, and the networks a scoped account is confined to.

import type { IpRange } from '../../core/ip.js';

/**
 * Roles, least to most privileged. `peer` is for other organisations' Vantage instances: it may
 * ask for sightings (aggregate counts about an indicator) and nothing else.
 */
export const ROLES = ['peer', 'viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a request may do. peer: sightings only (GET /api/sightings); viewer: read (query, stats,
 * IP pages) and sightings; analyst: also export (and, when they land, run detections and manage
 * watchlists); admin: also users, tokens, the audit log.
 */
export type Permission = 'read' | 'export' | 'admin' | 'sightings';

const GRANTS: Record<Role, readonly Permission[]> = {
  peer: ['sightings'],
  viewer: ['read', 'sightings'],
  analyst: ['read', 'export', 'sightings'],
  admin: ['read', 'export', 'admin', 'sightings'],
};

/** True when `role` holds `permission`. */
export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

/** True for a known role name. */
export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

/** The authenticated caller of a request. */
export interface Principal {
  /** User name, or the token's name. */
  readonly name: string;
  readonly kind: 'user' | 'token';
  /** Token id for tokens (shown in the audit log), user name for users. */
  readonly id: string;
  readonly role: Role;
  /** Networks the caller may see; empty means unrestricted. Kept as the CIDR text the admin wrote. */
  readonly scopes: readonly string[];
  /** `scopes` parsed. */
  readonly ranges: readonly IpRange[];
  /** How this request authenticated: a UI session cookie or a bearer token. */
  readonly via: 'session' | 'bearer';
}
