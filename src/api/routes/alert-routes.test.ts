// The alert routes over a real server: rules added, listed and removed by role, the audit trail,
// and the outbox as analysts (and a network-scoped analyst) see it after findings are evaluated.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testFinding } from '../../monitor/alerts/alert-test-fixtures.js';
import { createAlerting } from '../../monitor/alerts/index.js';
import { call, startTestServer, type TestServer } from '../test-server.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}
interface AlertRow {
  alert: string;
  type: string;
  rule: string;
  sink: string;
  finding: string | null;
  state: string;
  attempts: number;
  nextAttempt: string | null;
  message: { evidence?: { findingUrl: string; query: string } };
}

describe('alert routes', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  }, 60_000);
  afterAll(async () => t?.close());

  const rule = { name: 'partners-c2', kinds: ['c2'], minSeverity: 'medium', sinks: ['soc'] };

  it('admins add and remove rules; analysts read them; viewers see nothing', async () => {
    expect((await call(t.base, 'POST', '/api/alerts/rules', { token: t.tokens.analyst, body: rule })).status).toBe(403);
    const added = await call(t.base, 'POST', '/api/alerts/rules', { token: t.tokens.admin, body: rule });
    expect(added.status).toBe(200);
    expect(await added.json()).toEqual({ ...rule, minScore: 0, watchlists: [], tags: [], rateLimit: { max: 20, windowMinutes: 60 }, enabled: true });

    const bad = await call(t.base, 'POST', '/api/alerts/rules', { token: t.tokens.admin, body: { ...rule, sinks: [] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error).toMatchObject({ code: 'REQUEST_INVALID' });
    expect((await call(t.base, 'POST', '/api/alerts/rules', { token: t.tokens.admin, body: { ...rule, minSeverity: 'severe' } })).status).toBe(400);

    expect((await call(t.base, 'GET', '/api/alerts/rules', { token: t.tokens.viewer })).status).toBe(403);
    const list = await call(t.base, 'GET', '/api/alerts/rules', { token: t.tokens.analyst });
    expect(((await list.json()) as { rules: { name: string }[] }).rules.map((r) => r.name)).toEqual(['partners-c2']);

    await call(t.base, 'POST', '/api/alerts/rules', { token: t.tokens.admin, body: { name: 'temp', sinks: ['soc'] } });
    expect((await call(t.base, 'DELETE', '/api/alerts/rules/temp', { token: t.tokens.analyst })).status).toBe(403);
    expect((await call(t.base, 'DELETE', '/api/alerts/rules/temp', { token: t.tokens.admin })).status).toBe(200);
    const again = await call(t.base, 'DELETE', '/api/alerts/rules/temp', { token: t.tokens.admin });
    expect(again.status).toBe(404);
    expect(((await again.json()) as ErrorBody).error.code).toBe('NOT_FOUND');

    const audit = (await (await call(t.base, 'GET', '/api/audit?action=alert.rule.remove', { token: t.tokens.admin })).json()) as { entries: { target: string; status: string }[] };
    expect(audit.entries.map((e) => [e.target, e.status])).toEqual([
      ['temp', 'error'],
      ['temp', 'ok'],
    ]);
  });

  it('lists the outbox; a scoped analyst sees only alerts on findings in its networks', async () => {
    const alerting = createAlerting({ store: t.store, uiBaseUrl: 'https://soc.example.org' });
    const inside = testFinding('f-inside', 'c2', 'high', { src: '10.1.0.5', dst: '198.51.100.7' });
    const outside = testFinding('f-outside', 'c2', 'critical', { src: '10.2.0.99', dst: '198.51.100.8' });
    expect((await alerting.evaluate([inside, outside, testFinding('f-low', 'c2', 'low')])).raised).toBe(2);

    expect((await call(t.base, 'GET', '/api/alerts', { token: t.tokens.viewer })).status).toBe(403);
    const all = (await (await call(t.base, 'GET', '/api/alerts?state=pending', { token: t.tokens.analyst })).json()) as { alerts: AlertRow[]; scoped: boolean };
    expect(all.scoped).toBe(false);
    expect(all.alerts.map((a) => [a.finding, a.rule, a.sink, a.state, a.attempts]).sort()).toEqual([
      ['f-inside', 'partners-c2', 'soc', 'pending', 0],
      ['f-outside', 'partners-c2', 'soc', 'pending', 0],
    ]);
    expect(all.alerts.find((a) => a.finding === 'f-inside')!.message.evidence).toMatchObject({ findingUrl: 'https://soc.example.org/findings/f-inside', query: 'src 192.0.2.10 and dst 198.51.100.7' });

    const scoped = (await (await call(t.base, 'GET', '/api/alerts', { token: t.tokens.partnerAnalyst })).json()) as { alerts: AlertRow[]; scoped: boolean };
    expect(scoped.scoped).toBe(true);
    expect(scoped.alerts.map((a) => a.finding)).toEqual(['f-inside']);
  });
});
