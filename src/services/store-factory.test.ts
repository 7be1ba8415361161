import { describe, expect, it } from 'vitest';
import { VantageError } from '../core/errors.js';
import { createStore, storeOptionsFromEnv } from './store-factory.js';

describe('store options from the environment', () => {
  it('reads VANTAGE_DUCKDB_THREADS and hands it to DuckDB, which reports it', async () => {
    expect(storeOptionsFromEnv({ VANTAGE_DUCKDB_THREADS: '3' }).duckdbThreads).toBe(3);
    expect(storeOptionsFromEnv({}).duckdbThreads).toBeUndefined();
    const store = createStore('duckdb::memory:', { duckdbThreads: 3 }); // not this machine's core count
    await store.open();
    try {
      const rows = await store.execute("SELECT current_setting('threads') AS threads");
      expect(Number(rows[0]!.threads)).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('refuses a thread count or retention that is not a positive whole number, naming the variable', () => {
    for (const [name, text] of [
      ['VANTAGE_DUCKDB_THREADS', '0'],
      ['VANTAGE_DUCKDB_THREADS', 'two'],
      ['VANTAGE_RETENTION_DAYS', '1.5'],
    ] as const) {
      const err = (() => {
        try {
          storeOptionsFromEnv({ [name]: text });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(VantageError);
      expect((err as VantageError).message).toContain(`${name} must be a positive whole number`);
      expect((err as VantageError).message).toContain(`'${text}'`);
    }
  });
});
