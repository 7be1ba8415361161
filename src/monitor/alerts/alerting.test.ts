// Alerting end to end on both store backends: rules stored and matched, findings evaluated into
// the outbox (de-duplicated across repeated runs, re-alerting only when a finding gets worse),
// the per-rule rate limit with its summary, and delivery to a real webhook receiver on 127.0.0.1
// that refuses, then fails, then recovers, across a dispatcher restart. Time is a test clock;
// the signature is checked here with node:crypto, not with the code under test.

import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../store/store.js';
import { testBackends } from '../../test-support/test-backends.js';
import { freePort, RecordingSink, testFinding, webhookReceiver } from './alert-test-fixtures.js';
import type { AlertMessage } from './alert-message.js';
import { createAlerting, type Alerting } from './create-alerting.js';
import type { RetryPolicy } from './retry-policy.js';
import { WebhookSink } from './sinks/webhook-sink.js';

const SECRET = 'test-secret-0123456789abcdef';
// Delays with random() = 0.5 and jitter 0.5: 0.75 of 1000 * 2^(n-1) -> 750, 1500, 3000 ms.
const RETRY: RetryPolicy = { baseMs: 1000, factor: 2, maxMs: 60_000, jitter: 0.5 };
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const UI = 'https://vantage.example.org/';

describe.each(testBackends())('alerting on %s', (_name, make) => {
  let dir: string;
  let store: Store;
  let now = T0;
  const clock = () => now;
  const build = (sinks: Map<string, import('./sinks/alert-sink.js').AlertSink>): Alerting =>
    createAlerting({ store, sinks, clock, random: () => 0.5, retry: RETRY, uiBaseUrl: UI });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-alerts-'));
    store = make(dir);
    await store.open();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores, lists, replaces and removes rules; bad rules name the field', async () => {
    const a = build(new Map());
    await a.ensureTables();
    await a.rules.put({ name: 'zz-test', sinks: ['x'] }, now);
    await a.rules.put({ name: 'zz-test', sinks: ['y'], kinds: ['scan'], minSeverity: 'high' }, now);
    expect(await a.rules.get('zz-test')).toEqual({
      name: 'zz-test', kinds: ['scan'], minSeverity: 'high', minScore: 0, watchlists: [], tags: [], sinks: ['y'], rateLimit: { max: 20, windowMinutes: 60 }, enabled: true,
    });
    await a.rules.remove('zz-test', now);
    await expect(a.rules.get('zz-test')).rejects.toThrow("no alert rule named 'zz-test'");
    expect((await a.rules.list()).map((r) => r.name)).not.toContain('zz-test');
    await expect(a.rules.put({ name: 'Bad Name', sinks: ['x'] })).rejects.toThrow(/'name'/);
    await expect(a.rules.put({ name: 'ok', sinks: [] })).rejects.toThrow(/'sinks'/);
    await expect(a.rules.put({ name: 'ok', sinks: ['x'], minSeverity: 'severe' })).rejects.toThrow(/'minSeverity'/);
  });

  it('matches on kind, severity, score, watchlist and tag; repeated runs alert once, a worse finding once more', async () => {
    const sink = new RecordingSink('rec');
    const a = build(new Map([['rec', sink]]));
    await a.ensureTables();
    await a.rules.put({ name: 'partners', kinds: ['beacon', 'c2'], minSeverity: 'medium', minScore: 0.4, watchlists: ['partners'], sinks: ['rec'] });
    await a.rules.put({ name: 'compromised', tags: ['partner-compromised'], sinks: ['rec'] });
    const match = testFinding('f-match', 'beacon', 'medium', { watchlists: ['partners'] });
    const findings = [
      match,
      testFinding('f-kind', 'scan', 'high', { watchlists: ['partners'] }),
      testFinding('f-low', 'beacon', 'low', { watchlists: ['partners'] }),
      testFinding('f-score', 'beacon', 'high', { watchlists: ['partners'], score: 0.3 }),
      testFinding('f-unwatched', 'c2', 'critical', { watchlists: ['suppliers'] }),
      testFinding('f-fp', 'c2', 'critical', { watchlists: ['partners'], status: 'false-positive' }),
      testFinding('f-tag', 'scan', 'info', { tags: ['partner-compromised'] }),
      // Watchlist hits as the watchlists module marks them; the kind counts as a tag.
      { ...testFinding('f-watched', 'c2', 'high'), watched: [{ watchlist: 'partners', kind: 'partner', criticality: 'high', value: '192.0.2.10', member: '192.0.2.0/24' }] },
      // Text that must survive both engines' JSON round trip unchanged.
      testFinding('f-partner', 'partner-compromised', 'critical', { summary: 'Partner host überall — "quoted" \\ back\\slash\nnew line' }),
    ];
    const first = await a.evaluate(findings);
    expect(first).toMatchObject({ raised: 4, escalated: 0, duplicates: 0, suppressed: 0 });
    // Persisted before any delivery: both pending, never tried.
    const pending = await a.outbox.list({ state: 'pending' });
    expect(pending.map((p) => [p.rule, p.finding_id, p.attempts]).sort()).toEqual([
      ['compromised', 'f-partner', 0],
      ['compromised', 'f-tag', 0],
      ['partners', 'f-match', 0],
      ['partners', 'f-watched', 0],
    ]);

    // The same findings from the next three detector runs: nothing new.
    for (let run = 0; run < 3; run++) {
      now += 60_000;
      expect(await a.evaluate(findings)).toMatchObject({ raised: 0, duplicates: 4 });
    }
    expect((await a.deliverDue()).delivered).toBe(4);
    expect(sink.sent.map((m) => m.finding?.id).sort()).toEqual(['f-match', 'f-partner', 'f-tag', 'f-watched']);
    expect(sink.sent.find((m) => m.finding?.id === 'f-partner')!.finding!.summary).toBe('Partner host überall — "quoted" \\ back\\slash\nnew line');
    now += 60_000;
    expect(await a.evaluate(findings)).toMatchObject({ raised: 0, duplicates: 4 });

    // Severity rises: one more alert, with a new id; then quiet again.
    const worse = { ...match, severity: 'critical' as const, score: 0.95 };
    expect(await a.evaluate([worse])).toMatchObject({ raised: 1, escalated: 1 });
    expect(await a.evaluate([worse, match])).toMatchObject({ raised: 0, duplicates: 1 });
    // Back down to medium: not worse than what was alerted.
    expect(await a.evaluate([match])).toMatchObject({ raised: 0, duplicates: 1 });
    expect((await a.deliverDue()).delivered).toBe(1);
    const partners = sink.sent.filter((m) => m.rule === 'partners' && m.finding?.id === 'f-match');
    expect(partners.map((m) => [m.finding?.id, m.severity])).toEqual([['f-match', 'medium'], ['f-match', 'critical']]);
    expect(partners[0]!.id).not.toBe(partners[1]!.id);

    // Evidence links: the finding id, its query and range, and UI URLs under the configured base.
    const m = sink.sent.find((s) => s.finding?.id === 'f-match')!;
    expect(m.evidence).toEqual({
      findingId: 'f-match',
      query: 'src 192.0.2.10 and dst 198.51.100.7',
      from: '2026-03-01T10:00:00.000Z',
      to: '2026-03-01T11:00:00.000Z',
      findingUrl: 'https://vantage.example.org/findings/f-match',
      queryUrl: 'https://vantage.example.org/?q=src+192.0.2.10+and+dst+198.51.100.7&from=2026-03-01T10%3A00%3A00.000Z&to=2026-03-01T11%3A00%3A00.000Z',
    });
    expect(m.finding?.watchlists).toEqual(['partners']);
    await a.rules.remove('partners');
    await a.rules.remove('compromised');
  });

  it('a rate limit sends the first N alerts of a window and gathers the rest into one summary at the window end', async () => {
    now = Date.UTC(2026, 2, 2, 9, 10, 0); // window 09:00-10:00 for a 60-minute limit
    const sink = new RecordingSink('rate');
    const a = build(new Map([['rate', sink]]));
    await a.ensureTables();
    await a.rules.put({ name: 'limited', kinds: ['ddos'], sinks: ['rate'], rateLimit: { max: 2, windowMinutes: 60 } });
    const batch = [
      testFinding('d1', 'ddos', 'low', { score: 0.41 }),
      testFinding('d2', 'ddos', 'critical', { score: 0.99 }),
      testFinding('d3', 'ddos', 'medium', { score: 0.7 }),
      testFinding('d4', 'ddos', 'high', { score: 0.91 }),
      testFinding('d5', 'ddos', 'medium', { score: 0.75 }),
    ];
    // Most severe first: d2 (critical) and d4 (high) go out; d5, d3, d1 are held back.
    expect(await a.evaluate(batch)).toMatchObject({ raised: 2, suppressed: 3, summaries: 1 });
    now += 5 * 60_000;
    expect(await a.evaluate([testFinding('d6', 'ddos', 'info', { score: 0.1 })])).toMatchObject({ raised: 0, suppressed: 1, summaries: 1 });
    expect((await a.deliverDue()).delivered).toBe(2);
    expect(sink.sent.map((m) => m.finding?.id).sort()).toEqual(['d2', 'd4']);
    // Nothing more until the window closes at 10:00.
    now = Date.UTC(2026, 2, 2, 9, 59, 59);
    expect((await a.deliverDue()).attempted).toBe(0);
    now = Date.UTC(2026, 2, 2, 10, 0, 0);
    expect((await a.deliverDue()).delivered).toBe(1);
    const summary = sink.sent[2]!;
    expect(summary).toMatchObject({ type: 'summary', rule: 'limited', severity: 'medium', window: { from: '2026-03-02T09:00:00.000Z', to: '2026-03-02T10:00:00.000Z', limit: 2 } });
    expect(summary.suppressed?.map((s) => s.findingId)).toEqual(['d5', 'd3', 'd1', 'd6']);
    expect(summary.suppressed?.[0]?.findingUrl).toBe('https://vantage.example.org/findings/d5');
    // Held-back findings stay de-duplicated; a new window has room again.
    expect(await a.evaluate(batch)).toMatchObject({ raised: 0, duplicates: 5 });
    expect(await a.evaluate([testFinding('d7', 'ddos', 'low')])).toMatchObject({ raised: 1, suppressed: 0 });
    expect((await a.deliverDue()).delivered).toBe(1);
    expect((await a.outbox.counts()).suppressed).toBe(4);
    await a.rules.remove('limited');
  });

  it('a webhook that refuses, then fails, then recovers gets the alert exactly once, signed, after growing delays', async () => {
    now = Date.UTC(2026, 2, 3, 8, 0, 0);
    const port = await freePort();
    const receiver = webhookReceiver(port, [500]);
    const hook = () => new WebhookSink('hook', { type: 'webhook', url: receiver.url, secret: SECRET, timeoutMs: 5000, headers: {} }, clock);
    let a = build(new Map([['hook', hook()]]));
    await a.ensureTables();
    await a.rules.put({ name: 'hooked', kinds: ['c2'], sinks: ['hook'] });
    const finding = testFinding('c2-one', 'c2', 'high');
    expect((await a.evaluate([finding])).raised).toBe(1);

    // 1: nothing listens -> refused; next try 750 ms later.
    const t1 = now;
    let report = await a.deliverDue();
    expect(report).toMatchObject({ attempted: 1, delivered: 0, failed: 1 });
    expect(report.failures[0]!.error).toMatch(/ECONNREFUSED/);
    let [row] = await a.outbox.list({ rule: 'hooked' });
    expect(row).toMatchObject({ state: 'pending', attempts: 1, next_attempt_at: t1 + 750 });
    expect(row!.last_error).toMatch(/ECONNREFUSED/);
    // Not due yet: not tried.
    now = t1 + 749;
    expect((await a.deliverDue()).attempted).toBe(0);

    // 2: the receiver is up but answers 500; next try 1500 ms later (the delay grew).
    await receiver.listen();
    try {
      now = t1 + 750;
      report = await a.deliverDue();
      expect(report.failures[0]?.error).toMatch(/HTTP 500/);
      [row] = await a.outbox.list({ rule: 'hooked' });
      expect(row).toMatchObject({ state: 'pending', attempts: 2, next_attempt_at: now + 1500, last_error: 'webhook hook: HTTP 500 try later' });

      // Restart: a new dispatcher over the same store picks the alert up from its stored state.
      await a.close();
      a = build(new Map([['hook', hook()]]));
      now += 1499;
      expect((await a.deliverDue()).attempted).toBe(0);
      now += 1;
      expect(await a.deliverDue()).toMatchObject({ attempted: 1, delivered: 1 });
      [row] = await a.outbox.list({ rule: 'hooked' });
      expect(row).toMatchObject({ state: 'delivered', attempts: 3, delivered_at: now, last_error: null });

      // Later rounds and repeated detector runs send nothing more.
      now += 3_600_000;
      expect((await a.deliverDue()).attempted).toBe(0);
      expect((await a.evaluate([finding])).raised).toBe(0);
      expect((await a.deliverDue()).attempted).toBe(0);

      expect(receiver.requests.map((r) => r.status)).toEqual([500, 200]);
      const ok = receiver.requests[1]!;
      expect(ok.headers['x-vantage-delivery-attempt']).toBe('3');
      // The signature, checked independently: HMAC-SHA256 over "<t>.<raw body>".
      const header = String(ok.headers['x-vantage-signature']);
      const parsed = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
      expect(parsed).not.toBeNull();
      expect(Number(parsed![1])).toBe(Math.floor(now / 1000) - 3600);
      expect(parsed![2]).toBe(createHmac('sha256', SECRET).update(`${parsed![1]}.${ok.body}`).digest('hex'));
      expect(createHmac('sha256', 'another-secret-000000').update(`${parsed![1]}.${ok.body}`).digest('hex')).not.toBe(parsed![2]);
      const body = JSON.parse(ok.body) as AlertMessage;
      expect(ok.headers['x-vantage-alert-id']).toBe(body.id);
      expect(body).toMatchObject({ type: 'finding', rule: 'hooked', severity: 'high', finding: { id: 'c2-one', kind: 'c2' }, evidence: { findingId: 'c2-one', findingUrl: 'https://vantage.example.org/findings/c2-one' } });
    } finally {
      await receiver.close();
      await a.close();
      await a.rules.remove('hooked');
    }
  });

  it('a dispatcher restart in the middle of a backlog loses nothing and sends nothing twice', async () => {
    now = Date.UTC(2026, 2, 4, 8, 0, 0);
    const port = await freePort();
    // The first two deliveries fail, every later one succeeds.
    const receiver = webhookReceiver(port, [500, 503]);
    await receiver.listen();
    const hook = () => new WebhookSink('hook', { type: 'webhook', url: receiver.url, timeoutMs: 5000, headers: {} }, clock);
    let a = build(new Map([['hook', hook()]]));
    try {
      await a.ensureTables();
      await a.rules.put({ name: 'backlog', kinds: ['beacon'], sinks: ['hook'] });
      expect((await a.evaluate(['b1', 'b2', 'b3', 'b4'].map((id) => testFinding(id, 'beacon', 'medium'))))).toMatchObject({ raised: 4 });
      const first = await a.deliverDue();
      expect(first).toMatchObject({ attempted: 4, delivered: 2, failed: 2 });

      // "Restart": the old instance is dropped, a fresh one reads the same tables.
      await a.close();
      a = build(new Map([['hook', hook()]]));
      expect((await a.evaluate(['b1', 'b2', 'b3', 'b4'].map((id) => testFinding(id, 'beacon', 'medium'))))).toMatchObject({ raised: 0, duplicates: 4 });
      now += 750;
      expect(await a.deliverDue()).toMatchObject({ attempted: 2, delivered: 2 });
      now += 3_600_000;
      expect((await a.deliverDue()).attempted).toBe(0);

      const accepted = receiver.requests.filter((r) => r.status === 200).map((r) => (JSON.parse(r.body) as AlertMessage).finding!.id);
      expect(accepted.sort()).toEqual(['b1', 'b2', 'b3', 'b4']);
      expect(receiver.requests).toHaveLength(6);
      expect((await a.outbox.list({ rule: 'backlog' })).map((r) => r.state)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    } finally {
      await receiver.close();
      await a.close();
    }
  });
});
