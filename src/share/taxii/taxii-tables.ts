// The TAXII server's tables, DuckDB and ClickHouse side by side: collections, the objects in
// them (one row per object version), per-token read/write grants, and POST status resources.
// As with findings: DuckDB replaces a row (delete then insert); ClickHouse appends to a
// ReplacingMergeTree versioned by `updated_at` and reads with FINAL. Deletes are tombstones
// (`deleted` = 1) on both, so one set of SELECTs serves both engines.

import { storeDatabase } from '../../intel/indicator-table.js';
import type { Store } from '../../store/store.js';

type Logical = 'text' | 'int' | 'flag';

/** Each table: its columns and the key a newer row replaces. */
export const TAXII_TABLES = {
  taxii_collections: {
    columns: { id: 'text', title: 'text', description: 'text', alias: 'text', media_types: 'text', deleted: 'flag', updated_at: 'int' },
    key: ['id'],
  },
  taxii_objects: {
    columns: {
      collection_id: 'text', object_id: 'text', version: 'text', object_type: 'text', spec_version: 'text', date_added: 'int', body: 'text',
      deleted: 'flag', updated_at: 'int',
    },
    key: ['collection_id', 'object_id', 'version'],
  },
  taxii_grants: {
    columns: { token_id: 'text', collection_id: 'text', can_read: 'flag', can_write: 'flag', updated_at: 'int' },
    key: ['token_id', 'collection_id'],
  },
  taxii_status: {
    columns: { id: 'text', owner: 'text', body: 'text', updated_at: 'int' },
    key: ['id'],
  },
} as const satisfies Record<string, { columns: Record<string, Logical>; key: readonly string[] }>;

export type TaxiiTable = keyof typeof TAXII_TABLES;
export type TaxiiRow = Record<string, string | number>;

/** The SQL of one backend. */
export interface TaxiiSql {
  readonly ddl: readonly string[];
  /** The table as FROM names it (FINAL on ClickHouse). */
  from(table: TaxiiTable): string;
  /** Statements writing rows given as one bound JSON text (`encode`). */
  write(table: TaxiiTable): readonly string[];
  encode(rows: readonly TaxiiRow[]): string;
}

const DUCK: Record<Logical, string> = { text: 'VARCHAR', int: 'BIGINT', flag: 'UTINYINT' };
const CH: Record<Logical, string> = { text: 'String', int: 'Int64', flag: 'UInt8' };

/** The TAXII SQL for a store's backend. */
export function taxiiSql(store: Pick<Store, 'dialect' | 'location'>): TaxiiSql {
  const tables = Object.entries(TAXII_TABLES) as [TaxiiTable, (typeof TAXII_TABLES)[TaxiiTable]][];
  if (store.dialect.name === 'duckdb') {
    const struct = (t: TaxiiTable) => JSON.stringify([Object.fromEntries(Object.entries(TAXII_TABLES[t].columns).map(([c, l]) => [c, DUCK[l as Logical]]))]);
    const rows = (t: TaxiiTable) => `(SELECT unnest(from_json($1, '${struct(t)}'), recursive := true))`;
    return {
      ddl: tables.map(([t, d]) => `CREATE TABLE IF NOT EXISTS ${t} (${Object.entries(d.columns).map(([c, l]) => `${c} ${DUCK[l as Logical]} NOT NULL`).join(', ')})`),
      from: (t) => t,
      write: (t) => {
        const key = TAXII_TABLES[t].key;
        const cols = Object.keys(TAXII_TABLES[t].columns).join(', ');
        return [
          `DELETE FROM ${t} WHERE EXISTS (SELECT 1 FROM ${rows(t)} AS r WHERE ${key.map((k) => `r.${k} = ${t}.${k}`).join(' AND ')})`,
          `INSERT INTO ${t} SELECT ${cols} FROM ${rows(t)}`,
        ];
      },
      encode: (r) => JSON.stringify(r),
    };
  }
  const db = storeDatabase(store);
  return {
    ddl: tables.map(
      ([t, d]) =>
        `CREATE TABLE IF NOT EXISTS ${db}.${t} (${Object.entries(d.columns).map(([c, l]) => `${c} ${CH[l as Logical]}`).join(', ')}) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (${d.key.join(', ')})`,
    ),
    from: (t) => `${db}.${t} FINAL`,
    write: (t) => {
      const d = TAXII_TABLES[t];
      const structure = Object.entries(d.columns).map(([c, l]) => `${c} ${CH[l as Logical]}`).join(', ');
      return [`INSERT INTO ${db}.${t} SELECT ${Object.keys(d.columns).join(', ')} FROM format(JSONEachRow, '${structure}', {p1:String})`];
    },
    encode: (r) => r.map((row) => JSON.stringify(row)).join('\n'),
  };
}
