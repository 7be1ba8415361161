// Encodes a batch of flow records as one ClickHouse Native block: the embedded (chdb) insert path.
// Native is columnar and binary, so ClickHouse copies columns instead of parsing text (parsing
// TabSeparated was about half the insert time), and JS fills typed arrays instead of strings.

import { FLOW_COLUMNS, type ColumnKind } from '../../core/columns.js';

type Row = Record<string, unknown>;

/** How a column is laid out in the block. */
type Layout = 'u8' | 'u16' | 'u32' | 'int64' | 'ip' | 'string' | 'tags';

interface BlockColumn {
  readonly name: string;
  readonly layout: Layout;
  readonly nullable: boolean;
  /** The type written in the block header; the INSERT ... SELECT casts it to the table's type. */
  readonly type: string;
}

const LAYOUT: Record<ColumnKind, Layout> = { time: 'int64', ip: 'ip', u8: 'u8', u16: 'u16', u32: 'u32', u64: 'int64', string: 'string', country: 'string', tags: 'tags' };
const BASE_TYPE: Record<ColumnKind, string> = {
  time: "DateTime64(3, 'UTC')",
  ip: 'IPv6',
  u8: 'UInt8',
  u16: 'UInt16',
  u32: 'UInt32',
  u64: 'UInt64',
  string: 'String',
  country: 'String',
  tags: 'Array(String)',
};
/** Bytes per value of the fixed-width layouts. */
const WIDTH: Record<Layout, number> = { u8: 1, u16: 2, u32: 4, int64: 8, ip: 16, string: 0, tags: 0 };

const COLUMNS: readonly BlockColumn[] = FLOW_COLUMNS.map((c) => {
  const required = 'required' in c && c.required;
  const nullable = !required && c.kind !== 'tags';
  return { name: c.name, layout: LAYOUT[c.kind], nullable, type: nullable ? `Nullable(${BASE_TYPE[c.kind]})` : BASE_TYPE[c.kind] };
});

/**
 * Per-row code for column `j`: fixed-width values go to `D[j]` (a typed array), a missing value
 * sets the row's byte in the null map `N[j]`; `P[j]` counts values. Property names are constants
 * so V8's inline caches stay monomorphic. IPv4 numbers become IPv4-mapped IPv6 addresses in
 * network byte order (the words are written little-endian, hence the byte swap).
 */
function rowCode(j: number, column: BlockColumn): string {
  const read = `v = r.${column.name};`;
  const none = column.nullable ? `N${j}[i] = 1;` : '';
  switch (column.layout) {
    case 'u8':
    case 'u16':
    case 'u32':
      return `${read} if (typeof v === 'number') { D${j}[i] = v; P${j}++; } else { D${j}[i] = 0; ${none} }`;
    case 'int64':
      return (
        `${read} if (typeof v === 'number' && v >= 0) { D${j}[2 * i] = v >>> 0; D${j}[2 * i + 1] = (v / 4294967296) >>> 0; P${j}++; } ` +
        `else if (typeof v === 'number' || typeof v === 'bigint') { S${j}[i] = BigInt(v); P${j}++; } ` +
        `else { D${j}[2 * i] = 0; D${j}[2 * i + 1] = 0; ${none} }`
      );
    case 'ip':
      return (
        `${read} if (typeof v === 'number') { D${j}[4 * i] = 0; D${j}[4 * i + 1] = 0; D${j}[4 * i + 2] = 0xffff0000; ` +
        `D${j}[4 * i + 3] = ((v & 0xff) << 24 | (v & 0xff00) << 8 | (v >>> 8) & 0xff00 | v >>> 24) >>> 0; P${j}++; } ` +
        `else if (typeof v === 'bigint') { ip6(S${j}, i, v); P${j}++; } ` +
        `else { D${j}[4 * i] = 0; D${j}[4 * i + 1] = 0; D${j}[4 * i + 2] = 0; D${j}[4 * i + 3] = 0; ${none} }`
      );
    case 'string':
      return `${read} if (typeof v === 'string') P${j}++; else { ${none} }`;
    case 'tags':
      return `${read} if (Array.isArray(v) && v.length > 0) P${j}++;`;
  }
}

/** An IPv6 address (a 128-bit number) as 16 bytes in network order. */
function ip6(view: DataView, row: number, value: bigint): void {
  view.setBigUint64(16 * row, BigInt.asUintN(64, value >> 64n), false);
  view.setBigUint64(16 * row + 8, BigInt.asUintN(64, value), false);
}

type Fill = (rows: readonly Row[], count: number, D: readonly unknown[], S: readonly unknown[], N: readonly Uint8Array[], P: Int32Array, ip: typeof ip6) => void;

function compileFill(columns: readonly BlockColumn[]): Fill {
  for (const c of columns) if (!/^[a-z_][a-z0-9_]*$/.test(c.name)) throw new Error(`bad column name ${c.name}`);
  const lines: string[] = [];
  columns.forEach((_, j) => lines.push(`const D${j} = D[${j}], S${j} = S[${j}], N${j} = N[${j}]; let P${j} = 0;`));
  lines.push('let v;', 'for (let i = 0; i < count; i++) {', '  const r = rows[i];');
  columns.forEach((c, j) => lines.push(`  ${rowCode(j, c)}`));
  lines.push('}');
  columns.forEach((_, j) => lines.push(`P[${j}] = P${j};`));
  return new Function('rows', 'count', 'D', 'S', 'N', 'P', 'ip6', lines.join('\n')) as Fill;
}

/** ClickHouse's variable-length unsigned integer (LEB128). */
function varUInt(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** A ClickHouse String: length, then UTF-8 bytes. */
function stringBytes(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(varUInt(body.length)), body]);
}

/** One encoded block: the pieces to write in order, and the columns it holds, in block order. */
export interface NativeBlock {
  readonly pieces: Uint8Array[];
  readonly columns: string[];
}

/**
 * Encodes flow batches as Native blocks. Columns no record of the batch fills are left out, so
 * the INSERT gives them their default (NULL, or [] for tags) without reading a null map.
 * The typed arrays are reused from one batch to the next: a block is valid until the next call.
 */
export class NativeBlockEncoder {
  private readonly fill = compileFill(COLUMNS);
  private capacity = 0;
  private data: unknown[] = [];
  private other: unknown[] = [];
  private nulls: Uint8Array[] = [];
  private readonly present = new Int32Array(COLUMNS.length);
  private readonly headers = COLUMNS.map((c) => Buffer.concat([stringBytes(c.name), stringBytes(c.type)]));

  private ensure(rows: number): void {
    if (rows <= this.capacity) return;
    this.capacity = Math.max(rows, 2 * this.capacity);
    this.data = COLUMNS.map((c) => {
      const width = WIDTH[c.layout];
      if (width === 0) return undefined;
      return c.layout === 'u8' ? new Uint8Array(this.capacity) : c.layout === 'u16' ? new Uint16Array(this.capacity) : new Uint32Array((this.capacity * width) / 4);
    });
    this.other = COLUMNS.map((c, j) => {
      const d = this.data[j] as Uint32Array | undefined;
      if (c.layout === 'int64') return new BigInt64Array(d!.buffer);
      if (c.layout === 'ip') return new DataView(d!.buffer);
      return undefined;
    });
    this.nulls = COLUMNS.map(() => new Uint8Array(this.capacity));
  }

  /** The batch as one Native block. */
  encode(records: readonly Row[]): NativeBlock {
    const n = records.length;
    this.ensure(n);
    for (let j = 0; j < COLUMNS.length; j++) if (COLUMNS[j]!.nullable) this.nulls[j]!.fill(0, 0, n);
    this.fill(records, n, this.data, this.other, this.nulls, this.present, ip6);
    const body: Uint8Array[] = [];
    const names: string[] = [];
    for (let j = 0; j < COLUMNS.length; j++) {
      const column = COLUMNS[j]!;
      // A required column is always written: the table has no default for it.
      if (this.present[j] === 0 && column.nullable) continue;
      if (this.present[j] === 0 && column.layout === 'tags') continue;
      names.push(column.name);
      body.push(this.headers[j]!);
      if (column.nullable) body.push(this.nulls[j]!.subarray(0, n));
      if (column.layout === 'string') body.push(encodeStrings(records, column.name, n));
      else if (column.layout === 'tags') body.push(...encodeTags(records, column.name, n));
      else {
        const d = this.data[j] as Uint8Array | Uint16Array | Uint32Array;
        body.push(new Uint8Array(d.buffer, 0, n * WIDTH[column.layout]));
      }
    }
    return { pieces: [Buffer.from([...varUInt(names.length), ...varUInt(n)]), ...body], columns: names };
  }
}

/** A String column (a missing value is written as an empty string under its null-map byte). */
function encodeStrings(records: readonly Row[], name: string, n: number): Buffer {
  const parts: Buffer[] = new Array(n);
  const empty = Buffer.from([0]);
  for (let i = 0; i < n; i++) {
    const v = records[i]![name];
    parts[i] = typeof v === 'string' ? stringBytes(v) : empty;
  }
  return Buffer.concat(parts);
}

/** An Array(String) column: cumulative UInt64 end offsets, then every string. */
function encodeTags(records: readonly Row[], name: string, n: number): Uint8Array[] {
  const offsets = new BigUint64Array(n);
  const parts: Buffer[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = records[i]![name];
    if (Array.isArray(v)) {
      for (const tag of v) parts.push(stringBytes(String(tag)));
      total += v.length;
    }
    offsets[i] = BigInt(total);
  }
  return [new Uint8Array(offsets.buffer), Buffer.concat(parts)];
}
