// The detectors' shared SQL on both backends, where the engines differ: a flow without a known
// sampling rate stands for one flow. ClickHouse servers before 24.12 return NULL from GREATEST
// when any argument is NULL (DuckDB, and ClickHouse since 24.12, skip NULLs), so
// `GREATEST(sampling, 1)` was NULL there for such flows; the embedded ClickHouse is newer, and
// is asked for the old behaviour with its `least_greatest_legacy_null_behavior` setting.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/columns.js';
import { parseIp } from '../core/ip.js';
import type { Store } from '../store/store.js';
import { testBackends } from '../test-support/test-backends.js';
import { samplingRate, TCP } from './flow-sql.js';
import { runDetections } from './run-detections.js';

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);

function flow(src: string, dst: string, dport: number, at: number, fields: Partial<FlowRecord> = {}): FlowRecord {
  return {
    start: at,
    end: at,
    src: parseIp(src)!,
    dst: parseIp(dst)!,
    sport: 40000,
    dport,
    proto: 6,
    tcp_flags: TCP.SYN,
    packets: 1,
    bytes: 60,
    ...fields,
  };
}

describe.each(testBackends())('samplingRate (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-flow-sql-'));
    store = makeStore(dir);
    await store.open();
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the flow sampling rate, and 1 where it is unknown (null) or 0', async () => {
    await store.appendFlows([
      flow('192.0.2.1', '198.51.100.1', 80, T0, { sport: 1, sampling: undefined }),
      flow('192.0.2.1', '198.51.100.1', 80, T0, { sport: 2, sampling: 0 }),
      flow('192.0.2.1', '198.51.100.1', 80, T0, { sport: 3, sampling: 4 }),
    ]);
    const d = store.dialect;
    const legacy = d.name === 'clickhouse' ? ' SETTINGS least_greatest_legacy_null_behavior = 1' : '';
    const rows = await store.execute(`SELECT ${samplingRate(d)} AS rate FROM flows WHERE ${d.quote('dport')} = 80 ORDER BY ${d.quote('sport')}${legacy}`);
    expect(rows.map((r) => Number(r.rate))).toEqual([1, 1, 4]);
  });

  it('scan: one-packet SYN-ACK probes without a sampling rate are failed contacts (a horizontal sweep)', async () => {
    // 30 hosts probed once each on port 8443 with SYN+ACK (an ACK-flagged probe): only the
    // one-packet rule (packets <= the sampling rate) makes them failed handshakes.
    const probes = Array.from({ length: 30 }, (_, i) => flow('203.0.113.9', `198.51.100.${10 + i}`, 8443, T0 + i * 1000, { tcp_flags: TCP.SYN | TCP.ACK }));
    await store.appendFlows(probes);
    const { findings } = await runDetections(store, { kinds: ['scan'], from: T0 - 3_600_000, to: T0 + 3_600_000, save: false });
    const sweep = findings.filter((f) => f.src === '203.0.113.9');
    expect(sweep).toHaveLength(1);
    expect(sweep[0]).toMatchObject({ subkind: 'horizontal', dport: 8443 });
    expect(sweep[0]!.evidence.counts.hosts).toBe(30);
  });
});
