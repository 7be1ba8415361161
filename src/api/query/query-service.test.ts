// The query path's limits: a timeout that answers QUERY_TIMEOUT while the backend keeps its slot,
// a cap on concurrent queries, and the vocabulary staying in step with the parser.

import { describe, expect, it } from 'vitest';
import { resolveField } from '../../query/language/parser.js';
import { duckDbDialect } from '../../store/duckdb/duckdb-dialect.js';
import type { CompiledQuery, ResultRow, Store } from '../../store/store.js';
import type { Principal } from '../auth/principal.js';
import { QueryService } from './query-service.js';
import { FIELD_ALIASES } from './query-vocabulary.js';

const viewer: Principal = { name: 'v', kind: 'token', id: 'v', role: 'viewer', scopes: [], ranges: [], via: 'bearer' };

/** A store whose queries take `delayMs` and record what ran. */
function slowStore(delayMs: number) {
  const ran: CompiledQuery[] = [];
  let running = 0;
  let peak = 0;
  const store = {
    dialect: duckDbDialect,
    rollups: [],
    run: async (q: CompiledQuery): Promise<ResultRow[]> => {
      ran.push(q);
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, delayMs));
      running--;
      return [];
    },
  } as unknown as Store;
  return { store, ran, peak: () => peak };
}

describe('QueryService', () => {
  it('times out with QUERY_TIMEOUT', async () => {
    const { store } = slowStore(300);
    const service = new QueryService(store, { timeoutMs: 50, maxRows: 10, maxExportRows: 10, maxConcurrent: 2 });
    await expect(service.run(viewer, { text: 'any', limit: 10 })).rejects.toMatchObject({ code: 'QUERY_TIMEOUT' });
  });

  it('runs at most maxConcurrent queries at once', async () => {
    const { store, peak } = slowStore(30);
    const service = new QueryService(store, { timeoutMs: 5000, maxRows: 10, maxExportRows: 10, maxConcurrent: 2 });
    await Promise.all(Array.from({ length: 7 }, () => service.run(viewer, { text: 'any', limit: 10 })));
    expect(peak()).toBe(2);
  });

  it('binds the scope and the row cap as parameters, never as SQL text', async () => {
    const { store, ran } = slowStore(0);
    const service = new QueryService(store, { timeoutMs: 5000, maxRows: 10, maxExportRows: 10, maxConcurrent: 2 });
    await service.run({ ...viewer, scopes: ['10.1.0.0/24'], ranges: [{ family: 4, first: 0x0a010000, last: 0x0a0100ff }] }, { text: 'port 22', limit: 7 });
    const q = ran[0]!;
    expect(q.sql).not.toContain('10.1.0');
    expect(q.sql).not.toMatch(/LIMIT \d/);
    expect(q.params.map((p) => Number(p.value))).toEqual(expect.arrayContaining([0x0a010000, 0x0a0100ff, 22, 8]));
  });
});

describe('query vocabulary', () => {
  it('every alias resolves in the parser to the field it claims', () => {
    for (const [alias, field] of Object.entries(FIELD_ALIASES)) expect(resolveField(alias), alias).toBe(field);
  });
});
