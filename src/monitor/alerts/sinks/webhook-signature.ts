// The webhook signature, Stripe-style: `X-Vantage-Signature: t=<unix seconds>,v1=<hex>` where
// v1 = HMAC-SHA256(secret, "<t>.<raw body>"). Signing the timestamp with the body lets a receiver
// refuse replays older than its tolerance. Receivers in other languages follow docs/alerting.md.

import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying the signature. */
export const SIGNATURE_HEADER = 'X-Vantage-Signature';

/** The header value for a body sent at `timestampSec`. */
export function signWebhook(secret: string, timestampSec: number, body: string): string {
  const t = Math.floor(timestampSec);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * Checks a signature header against the raw body: a v1 value must match and the timestamp lie
 * within `toleranceSec` of `nowSec`. Returns the reason when it does not.
 */
export function verifyWebhookSignature(secret: string, header: string | null | undefined, body: string, nowSec: number, toleranceSec = 300): { ok: true } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: 'no signature header' };
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.split('=', 2).map((s) => s.trim());
    if (k === 't' && v !== undefined && /^\d+$/.test(v)) t = Number(v);
    else if (k === 'v1' && v) v1.push(v);
  }
  if (t === undefined || v1.length === 0) return { ok: false, reason: 'malformed signature header' };
  if (Math.abs(nowSec - t) > toleranceSec) return { ok: false, reason: 'timestamp outside the tolerance' };
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex'));
  const match = v1.some((s) => {
    const given = Buffer.from(s);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return match ? { ok: true } : { ok: false, reason: 'signature does not match' };
}
