// Backoff delays worked by hand, and the webhook signature against a value computed with
// `openssl dgst -sha256 -hmac`.

import { describe, expect, it } from 'vitest';
import { retryDelay, type RetryPolicy } from './retry-policy.js';
import { signWebhook, verifyWebhookSignature } from './sinks/webhook-signature.js';

describe('retryDelay', () => {
  const policy: RetryPolicy = { baseMs: 5000, factor: 2, maxMs: 60_000, jitter: 0.5 };
  it.each([
    // failures, random, delay: d = min(60000, 5000 * 2^(n-1)); delay = d/2 + random * d/2
    [1, 0, 2500],
    [1, 1, 5000],
    [2, 0, 5000], // the shortest second delay equals the longest first one: delays never shrink
    [2, 0.5, 7500],
    [3, 0.25, 12500], // d = 20000: 10000 + 0.25 * 10000
    [4, 0, 20000],
    [5, 0.5, 45000], // d = 60000 (80000 capped)
    [50, 1, 60000],
  ])('after %i failures with random %f waits %i ms', (failures, random, delay) => {
    expect(retryDelay(failures, policy, () => random)).toBe(delay);
  });
  it('without jitter is plain exponential', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, { ...policy, jitter: 0 }))).toEqual([5000, 10000, 20000, 40000]);
  });
});

describe('webhook signature', () => {
  // printf '%s' '1767225600.{"id":"a1"}' | openssl dgst -sha256 -hmac 'whsec_test_0123456789'
  const expected = '5c8b5fcfe07c799a95748f279bddcb2d04a658ecd1a7ba2f2bbbed43592254a8';
  it('is t=<seconds>,v1=HMAC-SHA256(secret, "<t>.<body>")', () => {
    expect(signWebhook('whsec_test_0123456789', 1767225600.9, '{"id":"a1"}')).toBe(`t=1767225600,v1=${expected}`);
  });
  it('verifies, and refuses a changed body, a wrong secret, an old timestamp and a malformed header', () => {
    const header = `t=1767225600,v1=${expected}`;
    expect(verifyWebhookSignature('whsec_test_0123456789', header, '{"id":"a1"}', 1767225600 + 10)).toEqual({ ok: true });
    expect(verifyWebhookSignature('whsec_test_0123456789', header, '{"id":"a2"}', 1767225600)).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verifyWebhookSignature('whsec_other_0123456789', header, '{"id":"a1"}', 1767225600)).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verifyWebhookSignature('whsec_test_0123456789', header, '{"id":"a1"}', 1767225600 + 301)).toEqual({ ok: false, reason: 'timestamp outside the tolerance' });
    expect(verifyWebhookSignature('whsec_test_0123456789', 'v1=abc', '{"id":"a1"}', 1767225600)).toEqual({ ok: false, reason: 'malformed signature header' });
  });
});
