// Fills DuckDB data chunks from flow records through typed arrays: the ingest hot path.
// The generic node-api vector setters convert every value (and use BigInt for validity bits),
// which caps appends near 200k rows/s. Here one generated function reads each record once and
// fills every fixed-width column's typed array, which is then copied into the chunk's vector
// (the bindings hand out copies of vector memory, not views, so it cannot be written in place).

import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api';
import { countryCode, type FlowRecord } from '../../core/columns.js';
import type { PackedField, PhysicalColumn } from './duckdb-dialect.js';

/** DuckDB's vector size: a data chunk holds at most this many rows. */
export const CHUNK_ROWS = 2048;

/** Bytes of a validity mask for a full chunk (uint64 words, bit set = value present). */
const VALIDITY_BYTES = (CHUNK_ROWS / 64) * 8;
const NO_VALUES = new Uint8Array(VALIDITY_BYTES);

type Row = Record<string, unknown>;

/** How one physical column is read from a record and stored in its vector. */
type Layout = 'u8' | 'u16' | 'u32' | 'int64' | 'ipv4' | 'ipv6' | 'tags' | 'packed';

const BYTES: Record<Layout, number> = { u8: 1, u16: 2, u32: 4, int64: 8, ipv4: 4, ipv6: 16, tags: 0, packed: 8 };

function layoutOf(column: PhysicalColumn): Layout {
  if (column.packs) return 'packed';
  if (column.family === 4) return 'ipv4';
  if (column.family === 6) return 'ipv6';
  switch (column.sqlType) {
    case 'UTINYINT':
      return 'u8';
    case 'USMALLINT':
      // Countries are strings in records; the packed columns store their codes.
      if (column.source?.kind === 'country') throw new Error(`country column ${column.name} is not packed`);
      return 'u16';
    case 'UINTEGER':
      return 'u32';
    case 'BIGINT':
    case 'UBIGINT':
      return 'int64';
    case 'VARCHAR[]':
      return 'tags';
    default:
      throw new Error(`no chunk writer for ${column.sqlType}`);
  }
}

/**
 * The per-row code for column `j`: on a value, store it in `D[j]` and count it in `P[j]`; on a
 * missing value, clear its bit in the scratch validity `V[j]` (and store 0, so compression sees a
 * constant rather than stale memory). Each property is read with a constant name, which keeps
 * V8's inline caches monomorphic: `row[name]` with a variable name is several times slower.
 */
function rowCode(j: number, field: string, layout: Layout, packs: readonly PackedField[] | undefined): string {
  const read = `v = r.${field};`;
  const none = `V${j}[i >>> 3] &= ~(1 << (i & 7));`;
  switch (layout) {
    case 'packed': {
      // Each present field ORs its bits into the low or high word and marks itself present (a
      // presence bit, or its value stored plus one); no field present leaves the column null.
      const fields = packs!.map((f) => {
        const word = f.word === 0 ? 'lo' : 'hi';
        const mask = 2 ** f.width - 1;
        const set =
          f.presenceBit === undefined
            ? `c = (c + 1) & ${mask}; if (c !== 0) { ${word} |= c << ${f.shift}; any = true; }`
            : `${word} |= (c & ${mask}) << ${f.shift}; hi |= ${1 << f.presenceBit}; any = true;`;
        // A country is stored as its code (two letters as a 16-bit number).
        if (f.source.kind === 'country') return `v = r.${f.source.name}; c = typeof v === 'string' ? code(v) : undefined; if (c !== undefined) { ${set} }`;
        return `v = r.${f.source.name}; if (typeof v === 'number') { c = v; ${set} }`;
      });
      return `lo = 0; hi = 0; any = false; ${fields.join(' ')} if (any) { D${j}[2 * i] = lo; D${j}[2 * i + 1] = hi; P${j}++; } else { D${j}[2 * i] = 0; D${j}[2 * i + 1] = 0; ${none} }`;
    }
    case 'u8':
    case 'u16':
    case 'u32':
    case 'ipv4':
      return `${read} if (typeof v === 'number') { D${j}[i] = v; P${j}++; } else { D${j}[i] = 0; ${none} }`;
    case 'int64':
      // Two 32-bit words per value: no BigInt per value unless it is negative or a bigint.
      return (
        `${read} if (typeof v === 'number' && v >= 0) { D${j}[2 * i] = v >>> 0; D${j}[2 * i + 1] = (v / 4294967296) >>> 0; P${j}++; } ` +
        `else if (typeof v === 'number' || typeof v === 'bigint') { S${j}[i] = BigInt(v); P${j}++; } ` +
        `else { D${j}[2 * i] = 0; D${j}[2 * i + 1] = 0; ${none} }`
      );
    case 'ipv6':
      // UHUGEINT: low 64 bits first, little-endian.
      return `${read} if (typeof v === 'bigint') { D${j}[2 * i] = BigInt.asUintN(64, v); D${j}[2 * i + 1] = v >> 64n; P${j}++; } else { S${j}[4 * i] = 0; S${j}[4 * i + 1] = 0; S${j}[4 * i + 2] = 0; S${j}[4 * i + 3] = 0; ${none} }`;
    case 'tags':
      // Only counted here: a chunk with any tags writes them through the node-api setters.
      return `${read} if (Array.isArray(v) && v.length > 0) P${j}++;`;
  }
}

/** Fills the views `D` (and `S`, see `otherView`) and the scratch validity `V` for rows [offset, offset+count), counting values per column into `P`. */
type FillFunction = (rows: readonly Row[], offset: number, count: number, D: readonly (ArrayBufferView | undefined)[], S: readonly (ArrayBufferView | undefined)[], V: Uint8Array[], P: Int32Array, code: (text: string) => number | undefined) => void;

function compileFill(fields: readonly string[], layouts: readonly Layout[], packs: readonly (readonly PackedField[] | undefined)[]): FillFunction {
  const names = [...fields, ...packs.flatMap((p) => (p ?? []).map((f) => f.source.name))];
  for (const f of names) if (!/^[a-z_][a-z0-9_]*$/.test(f)) throw new Error(`bad column name ${f}`);
  const n = fields.length;
  const lines: string[] = [];
  for (let j = 0; j < n; j++) lines.push(`const D${j} = D[${j}], S${j} = S[${j}], V${j} = V[${j}]; let P${j} = 0;`);
  lines.push('let v, c, lo, hi, any;');
  lines.push('for (let i = 0; i < count; i++) {');
  lines.push('  const r = rows[offset + i];');
  for (let j = 0; j < n; j++) lines.push(`  ${rowCode(j, fields[j]!, layouts[j]!, packs[j])}`);
  lines.push('}');
  for (let j = 0; j < n; j++) lines.push(`P[${j}] = P${j};`);
  return new Function('rows', 'offset', 'count', 'D', 'S', 'V', 'P', 'code', lines.join('\n')) as FillFunction;
}

/** A column's staging array for the layout (copied into the vector after filling), or undefined for list columns. */
function stagingArray(layout: Layout): ArrayBufferView | undefined {
  switch (layout) {
    case 'tags':
      return undefined;
    case 'u8':
      return new Uint8Array(CHUNK_ROWS);
    case 'u16':
      return new Uint16Array(CHUNK_ROWS);
    case 'u32':
    case 'ipv4':
      return new Uint32Array(CHUNK_ROWS);
    case 'int64':
    case 'packed':
      return new Uint32Array(CHUNK_ROWS * 2);
    case 'ipv6':
      return new BigUint64Array(CHUNK_ROWS * 2);
  }
}

/**
 * A second view of the same memory: signed 64-bit for an int64 column (the rare negative or
 * bigint value), 32-bit words for an IPv6 column (zeroing a missing value without a BigInt).
 */
function otherView(data: ArrayBufferView | undefined, layout: Layout): ArrayBufferView | undefined {
  if (!data || (layout !== 'int64' && layout !== 'ipv6')) return undefined;
  const { buffer, byteOffset, byteLength } = data;
  return layout === 'int64' ? new BigInt64Array(buffer, byteOffset, byteLength / 8) : new Uint32Array(buffer, byteOffset, byteLength / 4);
}

/** Builds data chunks of up to CHUNK_ROWS flows for a fixed physical layout. */
export class ChunkWriter {
  private readonly layouts: Layout[];
  private readonly fill: FillFunction;
  private readonly validity: Uint8Array[];
  private readonly present: Int32Array;
  private readonly fields: string[];
  private readonly data: (ArrayBufferView | undefined)[];
  private readonly other: (ArrayBufferView | undefined)[];

  /** A list vector's entries for a chunk: (offset, length) as uint64 pairs, in 32-bit words. */
  private readonly listEntries = new Uint32Array(CHUNK_ROWS * 4);

  constructor(
    private readonly types: readonly DuckDBType[],
    columns: readonly PhysicalColumn[],
  ) {
    this.layouts = columns.map(layoutOf);
    this.fields = columns.map((c) => c.source?.name ?? c.name);
    this.fill = compileFill(this.fields, this.layouts, columns.map((c) => c.packs));
    this.validity = columns.map(() => new Uint8Array(VALIDITY_BYTES).fill(0xff));
    this.present = new Int32Array(columns.length);
    this.data = this.layouts.map(stagingArray);
    this.other = this.data.map((d, c) => otherView(d, this.layouts[c]!));
  }

  /**
   * The one data chunk this writer fills, again for every call. The bindings free a chunk's
   * native memory (a few hundred KB for a full chunk of these columns) only when V8 collects its
   * wrapper, and V8 does not count that memory. A fresh chunk per call left the collector's peak
   * 150-220 MB higher at 550k flows/s, and a 2M-flow import's resident size ~280 MB higher.
   * Resetting clears the validity masks and list sizes.
   */
  private reused?: DuckDBDataChunk;

  /**
   * A chunk holding rows [offset, offset+count) of `records`; count <= CHUNK_ROWS. The same
   * chunk is refilled by the next call: append it first (the appender copies it).
   */
  chunk(records: readonly FlowRecord[], offset: number, count: number): DuckDBDataChunk {
    const chunk = (this.reused ??= DuckDBDataChunk.create(this.types));
    chunk.reset();
    chunk.rowCount = count;
    const rows = records as unknown as readonly Row[];
    const n = this.layouts.length;
    this.fill(rows, offset, count, this.data, this.other, this.validity, this.present, countryCode);
    const maskBytes = Math.ceil(count / 64) * 8;
    for (let c = 0; c < n; c++) {
      const present = this.present[c]!;
      const vector = duckdb.data_chunk_get_vector(chunk.chunk, c);
      const data = this.data[c];
      if (data && present > 0) duckdb.copy_data_to_vector(vector, 0, data.buffer as ArrayBuffer, 0, count * BYTES[this.layouts[c]!]);
      if (this.layouts[c] === 'tags') {
        if (present > 0) this.writeTags(vector, c, rows, offset, count, maskBytes);
        else writeAllNull(vector, maskBytes);
      } else if (present === 0) {
        writeAllNull(vector, maskBytes);
        this.validity[c]!.fill(0xff);
      } else if (present < count) {
        duckdb.vector_ensure_validity_writable(vector);
        duckdb.copy_data_to_vector_validity(vector, 0, this.validity[c]!.buffer as ArrayBuffer, 0, maskBytes);
        this.validity[c]!.fill(0xff);
      }
    }
    return chunk;
  }

  /**
   * A list column written straight into the vector: the (offset, length) entries, the strings
   * into the child vector, and nulls for rows without tags. (The node-api value setters took
   * a third of the append time of a batch where a few flows carry tags.)
   */
  private writeTags(vector: duckdb.Vector, columnIndex: number, rows: readonly Row[], offset: number, count: number, maskBytes: number): void {
    const field = this.fields[columnIndex]!;
    const entries = this.listEntries;
    const validity = this.validity[columnIndex]!;
    let total = 0;
    let nulls = 0;
    for (let i = 0; i < count; i++) {
      const v = rows[offset + i]![field];
      const n = Array.isArray(v) ? v.length : 0;
      entries[4 * i] = total;
      entries[4 * i + 1] = 0;
      entries[4 * i + 2] = n;
      entries[4 * i + 3] = 0;
      total += n;
      if (n === 0) {
        validity[i >>> 3]! &= ~(1 << (i & 7));
        nulls++;
      }
    }
    duckdb.list_vector_reserve(vector, total);
    duckdb.list_vector_set_size(vector, total);
    const child = duckdb.list_vector_get_child(vector);
    let k = 0;
    for (let i = 0; i < count; i++) {
      if (entries[4 * i + 2] === 0) continue;
      for (const tag of rows[offset + i]![field] as string[]) duckdb.vector_assign_string_element(child, k++, String(tag));
    }
    duckdb.copy_data_to_vector(vector, 0, entries.buffer, 0, count * 16);
    if (nulls > 0) {
      duckdb.vector_ensure_validity_writable(vector);
      duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer as ArrayBuffer, 0, maskBytes);
      validity.fill(0xff);
    }
  }
}

/** Marks every row of a vector null without touching its data: optional columns are often empty. */
function writeAllNull(vector: duckdb.Vector, maskBytes: number): void {
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, NO_VALUES.buffer, 0, maskBytes);
}
