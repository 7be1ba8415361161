// The monitor scheduler over both store backends: every cron slot runs exactly once across
// restarts and a crash in the middle of a run, missed slots are caught up oldest first, and a
// saved query's runs report new values and counts outside the robust baseline, worked out from
// the flows the test writes.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/columns.js';
import { parseIp } from '../core/ip.js';
import { FindingsRepository } from '../detect/findings-repository.js';
import type { Store } from '../store/store.js';
import { testBackends } from '../test-support/test-backends.js';
import { MonitorService } from './monitor-service.js';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;

function flow(i: number, dport: number, start: number): FlowRecord {
  return { start, end: start + 1000, src: parseIp(`10.0.${i >> 8}.${i & 255}`)!, dst: parseIp('192.0.2.10')!, sport: 40000 + (i % 20000), dport, proto: 6, tcp_flags: 0x1b, packets: 10, bytes: 1000 };
}

/**
 * Twelve 10-minute windows from T0: 100 flows to port 443 in each (one more in odd windows),
 * 1,000 in the window starting 01:30, and two flows to port 4444 in the window starting 01:40.
 */
function flows(): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (let w = 0; w < 12; w++) {
    const n = w === 9 ? 1000 : 100 + (w % 2);
    for (let i = 0; i < n; i++) out.push(flow(i, 443, T0 + w * 10 * MIN + i * 100));
    if (w === 10) out.push(flow(1, 4444, T0 + w * 10 * MIN + 5), flow(2, 4444, T0 + w * 10 * MIN + 6));
  }
  return out;
}

/** The store, with its first write to monitor_runs failing as if the process died there. */
function crashingOnce(store: Store): Store {
  let armed = true;
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'execute') {
        return async (sql: string, params?: Parameters<Store['execute']>[1]) => {
          if (armed && /INSERT INTO \S*monitor_runs/.test(sql)) {
            armed = false;
            throw new Error('simulated crash before the run was recorded');
          }
          return target.execute(sql, params);
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe.each(testBackends())('monitor scheduler (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;
  let now = T0;
  const clock = () => now;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-monitor-'));
    store = makeStore(dir);
    await store.open();
    await store.appendFlows(flows());
  }, 60_000);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every slot once across restarts and a crash, and reports new values and anomalies', async () => {
    const first = new MonitorService({ store, clock });
    await first.ensureTables();
    await first.add({ name: 'ports', kind: 'query', schedule: '*/10 * * * *', query: 'any | count by dport', minHistory: 3 });
    await expect(first.add({ name: 'bad', kind: 'query', schedule: '61 * * * *', query: 'any' })).rejects.toThrow("schedule '61 * * * *' is not a cron expression");
    await expect(first.add({ name: 'bad', kind: 'pivot', schedule: '* * * * *' })).rejects.toThrow('monitor: entity: a pivot monitor needs the entity');

    now = T0 + 25 * MIN;
    expect((await first.runDue()).runs.map((r) => r.slot)).toEqual([T0 + 10 * MIN, T0 + 20 * MIN]);
    // A restart at the same time finds nothing due.
    const second = new MonitorService({ store, clock });
    expect((await second.runDue()).runs).toEqual([]);
    // The process dies while recording slot 00:30: that slot has no run and is not done.
    now = T0 + 35 * MIN;
    const crashing = new MonitorService({ store: crashingOnce(store), clock });
    await expect(crashing.runDue()).rejects.toThrow('simulated crash');
    // Down until 02:05: the restart catches up 00:30 .. 02:00, oldest first, each once.
    now = T0 + 125 * MIN;
    const third = new MonitorService({ store, clock });
    const caughtUp = (await third.runDue()).runs.map((r) => (r.slot - T0) / MIN);
    expect(caughtUp).toEqual([30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
    expect((await third.runDue()).runs).toEqual([]);

    const history = await third.history('ports', 100);
    expect(history.map((r) => (r.slot - T0) / MIN)).toEqual([120, 110, 100, 90, 80, 70, 60, 50, 40, 30, 20, 10]);
    const at = (m: number) => history.find((r) => r.slot === T0 + m * MIN)!;
    // Each run counts the window before its slot: 100 or 101 flows to 443.
    expect(at(10).result).toEqual([{ dport: 443, flows: 100, packets: 1000, bytes: 100_000 }]);
    expect(at(20).result).toEqual([{ dport: 443, flows: 101, packets: 1010, bytes: 101_000 }]);
    // Slot 01:40 covers 01:30-01:40 with 1,000 flows. Its history (slots 00:10..01:30) is
    // 100,101,100,101,100,101,100,101,100: median 100, MAD 0, so the scale is its floor
    // 0.1*100 = 10 and the range 100 ± 35; 1000 is outside, for the total and for port 443.
    expect(at(100).anomalies).toEqual([
      { key: 'total', metric: 'flows', value: 1000, median: 100, low: 65, high: 135 },
      { key: '443', metric: 'flows', value: 1000, median: 100, low: 65, high: 135 },
    ]);
    expect(at(100).newValues).toEqual([]);
    // Slot 01:50: port 4444 was never seen before.
    expect(at(110).newValues).toEqual(['4444']);
    expect(at(110).anomalies).toEqual([]);
    for (const m of [10, 20, 30, 40, 50, 60, 70, 80, 90, 120]) expect([m, at(m).newValues, at(m).anomalies]).toEqual([m, [], []]);

    // Both raised a finding that points back to the monitor and its window.
    const findings = new FindingsRepository(store);
    const raised = (await findings.list({ kind: ['monitor'] })).sort((a, b) => a.first.localeCompare(b.first));
    expect(raised.map((f) => [f.subkind, f.first, f.last])).toEqual([
      ['anomaly', new Date(T0 + 90 * MIN).toISOString(), new Date(T0 + 100 * MIN - 1).toISOString()],
      ['new-values', new Date(T0 + 100 * MIN).toISOString(), new Date(T0 + 110 * MIN - 1).toISOString()],
    ]);
    expect(raised[1]!.summary).toBe('monitor ports: 1 value never seen before (4444)');
    expect(raised[0]!.evidence.query).toBe('any | count by dport');
  }, 120_000);
});
