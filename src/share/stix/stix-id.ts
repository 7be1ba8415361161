// Deterministic STIX identifiers: UUIDv5 (RFC 9562, SHA-1 name-based) over an object's defining
// content, so exporting the same finding or indicator again yields the same id and peers update
// one object instead of collecting copies.

import { createHash } from 'node:crypto';

/** The namespace STIX 2.1 (section 2.9) fixes for the deterministic ids of cyber observables. */
export const STIX_SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

/** Vantage's own namespace for the ids of the domain and relationship objects it exports. */
export const VANTAGE_NAMESPACE = 'b7a1c3e2-5d4f-5a60-9b8c-7d6e5f4a3b21';

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

/** A version-5 UUID of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50; // version 5
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * JSON with object keys sorted at every level: the canonical text the ids are computed over
 * (STIX asks for RFC 8785 canonical JSON for SCO ids; for the strings and small integers of the
 * properties used here, sorted keys with JSON.stringify's escaping is that form).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The id of a cyber observable from its id-contributing properties (STIX 2.1 section 2.9). */
export function scoId(type: string, contributing: Record<string, unknown>): string {
  return `${type}--${uuidV5(STIX_SCO_NAMESPACE, canonicalJson(contributing))}`;
}

/** The id of an exported domain or relationship object from the content that makes it the same object. */
export function sdoId(type: string, key: unknown): string {
  return `${type}--${uuidV5(VANTAGE_NAMESPACE, `${type}\u0000${canonicalJson(key)}`)}`;
}
