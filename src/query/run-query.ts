// Runs query-language text against a store: parse, compile for the store's dialect, execute.

import type { ResultRow, Store } from '../store/store.js';
import { compileQuery, type CompileOptions } from './compile/compile.js';
import { parseQuery } from './language/parser.js';

/** A query's answer: the column order and the rows. */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly ResultRow[];
}

/** Parses, compiles and runs a query; syntax errors are VantageErrors with the column. */
export async function runQuery(store: Store, text: string, options: CompileOptions = {}): Promise<QueryResult> {
  const compiled = compileQuery(parseQuery(text), store.dialect, { rollups: store.rollups, ...options });
  const rows = await store.run(compiled);
  return { columns: compiled.outputs.map((o) => o.name), rows };
}
