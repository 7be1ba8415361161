import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeFlowChunk } from '../../collect/flow-codec.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { storeReplayTarget } from './store-target.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-store-target-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A chunk of `n` flows with source ports first..first+n-1. */
function chunk(first: number, n: number): Uint8Array {
  return encodeFlowChunk(Array.from({ length: n }, (_, i) => ({ start: 0, end: 0, src: 1, dst: 2, sport: first + i, dport: 0, proto: 17, tcp_flags: 0, packets: 1, bytes: 1 })));
}

describe('storeReplayTarget', () => {
  it('reopens a DuckDB store on refresh: what was appended stays, and appends go on', async () => {
    const store = new DuckDbStore({ path: join(work, 'refresh.duckdb') });
    const target = storeReplayTarget(store);
    await target.ensureOpen();
    try {
      await target.appendEncoded!([chunk(0, 100)]);
      await target.refresh!();
      expect(target.isOpen).toBe(true);
      await target.appendEncoded!([chunk(100, 50)]);
      expect(await target.countFlows()).toBe(150);
      const rows = await store.execute('SELECT count(DISTINCT sport) AS n, min(sport) AS lo, max(sport) AS hi FROM flows');
      expect(rows.map((r) => [Number(r.n), Number(r.lo), Number(r.hi)])).toEqual([[150, 0, 149]]);
    } finally {
      await target.close();
    }
  });
});
