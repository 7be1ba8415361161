// API tokens: `vtk_<id>_<secret>`. The id finds the record; only a SHA-256 of the secret is stored,
// so a leaked store does not leak usable tokens (the secret has 256 bits: no slow hash needed).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'vtk';

/** A freshly minted token: the text to hand out once, and what to store. */
export interface MintedToken {
  readonly id: string;
  readonly token: string;
  readonly hash: string;
}

/** SHA-256 of a token secret, hex. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Mints a new token. */
export function mintToken(): MintedToken {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${PREFIX}_${id}_${secret}`, hash: hashSecret(secret) };
}

/** Splits token text into id and secret; undefined when it is not a Vantage token. */
export function parseToken(text: string): { id: string; secret: string } | undefined {
  const m = /^vtk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(text.trim());
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** Constant-time check of a secret against its stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
