// `vantage alert` run as main.ts runs it, on a DuckDB file: rules added and listed, stored
// findings evaluated (twice: the second run raises nothing), the outbox delivered to a webhook
// receiver on 127.0.0.1 named in a sinks file, and the errors a user sees for bad input.

import { runCli } from '../../test-support/run-cli.js';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Finding } from '../../detect/finding.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import { freePort, testFinding, webhookReceiver, type WebhookReceiver } from '../../monitor/alerts/alert-test-fixtures.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { registerAlert } from './alert.js';

const cli = (args: string[]) => runCli(args, registerAlert);

describe('vantage alert', () => {
  let dir: string;
  let db: string;
  let receiver: WebhookReceiver;
  let sinksFile: string;
  const SECRET = 'cli-secret-0123456789';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-alert-cli-'));
    db = join(dir, 'cli.duckdb');
    const store = new DuckDbStore({ path: db });
    await store.open();
    const repo = new FindingsRepository(store);
    await repo.ensureTables();
    const f = (id: string, kind: string, severity: Finding['severity']) => {
      const { status: _s, watchlists: _w, tags: _t, ...rest } = testFinding(id, kind, severity) as Finding & { watchlists?: string[]; tags?: string[] };
      return { ...rest, subscores: {}, proto: 6, intel: [], entities: [] } as Omit<Finding, 'status' | 'note' | 'runs'>;
    };
    await repo.save([f('aaaa000000000000000a', 'c2', 'high'), f('bbbb000000000000000b', 'scan', 'medium'), f('cccc000000000000000c', 'c2', 'low')]);
    await store.close();
    receiver = webhookReceiver(await freePort(), []);
    await receiver.listen();
    sinksFile = join(dir, 'sinks.json');
    writeFileSync(sinksFile, JSON.stringify({ hook: { type: 'webhook', url: receiver.url, secret: SECRET } }));
  });
  afterAll(async () => {
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('rule add and list', async () => {
    const add = await cli(['alert', 'rule', 'add', 'c2-high', '--db', db, '--sink', 'hook', '--kind', 'c2', '--severity', 'medium', '--rate-max', '5', '--rate-window', '2h']);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const list = await cli(['alert', 'rule', 'list', '--db', db, '--format', 'csv']);
    expect(list.stdout).toBe('name,enabled,kinds,min_severity,min_score,watchlists,tags,sinks,rate_limit\nc2-high,true,c2,medium,0,,,hook,5/120m\n');
  });

  test('evaluate raises one alert per matching finding, once; send delivers it signed', async () => {
    const first = await cli(['alert', 'evaluate', '--db', db, '--ui-base-url', 'https://soc.example.org']);
    expect(first.stdout).toBe('3 findings: 1 alerts raised (0 on findings that got worse), 0 already alerted, 0 held back by rate limits into 0 summaries\n');
    const again = await cli(['alert', 'evaluate', '--db', db]);
    expect(again.stdout).toBe('3 findings: 0 alerts raised (0 on findings that got worse), 1 already alerted, 0 held back by rate limits into 0 summaries\n');
    const pending = await cli(['alert', 'list', '--db', db, '--format', 'json']);
    const [row] = JSON.parse(pending.stdout) as Record<string, unknown>[];
    expect(row).toMatchObject({ rule: 'c2-high', sink: 'hook', finding: 'aaaa000000000000000a', state: 'pending', attempts: 0, finding_url: 'https://soc.example.org/findings/aaaa000000000000000a' });

    const send = await cli(['alert', 'send', '--db', db, '--sinks', sinksFile]);
    expect(send).toMatchObject({ code: 0, stdout: '1 attempted: 1 delivered, 0 failed\n' });
    expect((await cli(['alert', 'send', '--db', db, '--sinks', sinksFile])).stdout).toBe('0 attempted: 0 delivered, 0 failed\n');
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(String(req.headers['x-vantage-signature']))!;
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${req.body}`).digest('hex'));
    const delivered = JSON.parse((await cli(['alert', 'list', '--db', db, '--state', 'delivered', '--format', 'json'])).stdout) as Record<string, unknown>[];
    expect(delivered.map((d) => [d.finding, d.attempts])).toEqual([['aaaa000000000000000a', 1]]);
  });

  test('bad input: a clear message and exit 1', async () => {
    const badName = await cli(['alert', 'rule', 'add', 'Bad Name', '--db', db, '--sink', 'hook']);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/^vantage: alert rule: 'name': a rule name is 1-64 characters/);
    expect((await cli(['alert', 'rule', 'add', 'x', '--db', db, '--sink', 'hook', '--rate-window', 'soon'])).stderr).toMatch(/--rate-window must be minutes/);
    expect((await cli(['alert', 'rule', 'remove', 'nope', '--db', db])).stderr).toBe("vantage: no alert rule named 'nope' [NOT_FOUND]\n");
    const badSinks = join(dir, 'bad-sinks.json');
    writeFileSync(badSinks, JSON.stringify({ hook: { type: 'webhook', url: 'ftp://x' } }));
    const send = await cli(['alert', 'send', '--db', db, '--sinks', badSinks]);
    expect(send.code).toBe(1);
    expect(send.stderr).toMatch(/^vantage: sinks: 'hook\.url': /);
    writeFileSync(badSinks, '{');
    expect((await cli(['alert', 'send', '--db', db, '--sinks', badSinks])).stderr).toMatch(/bad-sinks\.json: the sinks file is not valid/);
  });
});
