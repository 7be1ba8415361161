// Fills DuckDB data chunks from flow records through typed arrays: the ingest hot path.
// The generic node-api vector setters convert every value (and use BigInt for validity bits),
// which caps appends near 200k rows/s. Here one generated function reads each record once and
// fills every fixed-width column's typed array, which is then copied into the chunk's vector
// (the bindings hand out copies of vector memory, not views, so it cannot be written in place).
// The collector's batches take a second way in: a function generated the same way reads the
// decoders' encoded rows (collect/flow-codec.ts) straight into those arrays, with no record per
// flow, and enrichment then runs over the arrays.

import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api';
import { countryCode, FLOW_COLUMNS, type FlowRecord } from '../../core/columns.js';
import { BITMAP_BYTES, rowHas, rowIpv6, rowLocal, rowReadCode, rowTextReaders, type ChunkHeader } from '../../collect/flow-codec.js';
import type { AddressLookups } from '../../enrich/enricher.js';
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
 * How the generated code reads a field: from a record (`r.name`, a country as its text), or
 * from the locals the encoded-row reader filled ('typed': numbers always numbers, a country
 * already as its code, -1 for no code).
 */
interface FieldSource {
  /** An expression true when the field holds a number; `number` is then its value. */
  hasNumber(field: string): string;
  number(field: string): string;
  /** After `hasNumber` was false: an expression true when the field holds a bigint (then in `v`). */
  hasBigint(field: string): string;
  /** The field's value, whatever it holds (an IPv6 address, tags). */
  value(field: string): string;
  /** Sets `c` to a country's code, or undefined. */
  country(field: string): string;
}

const FROM_RECORD: FieldSource = {
  hasNumber: (field) => `typeof (v = r.${field}) === 'number'`,
  number: () => 'v',
  hasBigint: () => `typeof v === 'bigint'`,
  value: (field) => `r.${field}`,
  country: (field) => `v = r.${field}; c = typeof v === 'string' ? code(v) : undefined;`,
};

const FROM_ENCODED: FieldSource = {
  hasNumber: (field) => rowHas(field),
  number: (field) => rowLocal(field),
  hasBigint: () => 'false',
  value: (field) => rowLocal(field),
  country: (field) => `c = ${rowLocal(field)}; if (c === null || c < 0) c = undefined;`,
};

/** Whether value `c` fits a narrow slot: an AS number its bits hold plus one, a country of two capital letters. */
function fitsNarrow(f: PackedField, c: string): string {
  if (f.encoding.kind === 'letters') return `((${c} >> 8) - 65) >>> 0 < 26 && ((${c} & 255) - 65) >>> 0 < 26`;
  return `${c} <= ${2 ** f.width - 2}`;
}

/** What a narrow slot stores for a country code of two capital letters: their places in the alphabet (1-26), 5 bits each. */
function letterPlaces(c: string): string {
  return `((((${c} >> 8) - 64) << 5) | ((${c} & 255) - 64))`;
}

/** For each field with two slots, its narrow one: the wide slot takes the values it cannot hold. */
function narrowSlots(packs: readonly (readonly PackedField[] | undefined)[]): Map<string, PackedField> {
  return new Map(packs.flatMap((p) => p ?? []).filter((f) => f.slot === 'narrow').map((f) => [f.source.name, f]));
}

/** The local a two-slot field's value is read into once a row (a number, a country as its code; undefined: none). */
const twoSlotLocal = (field: string) => `X_${field}`;

/** The locals of a generated fill: scratch values, and each two-slot field's value read once a row. */
function fillLocals(narrow: ReadonlyMap<string, PackedField>): string {
  return `let v, c, lo, hi, any${[...narrow.keys()].map((f) => `, ${twoSlotLocal(f)}`).join('')};`;
}

/** Per row, each two-slot field read once: both its columns test the same value. */
function twoSlotReads(narrow: ReadonlyMap<string, PackedField>, from: FieldSource): string[] {
  return [...narrow.values()].map((f) =>
    f.source.kind === 'country'
      ? `${from.country(f.source.name)} ${twoSlotLocal(f.source.name)} = c;`
      : `${twoSlotLocal(f.source.name)} = ${from.hasNumber(f.source.name)} ? ${from.number(f.source.name)} : undefined;`,
  );
}

/**
 * The per-row code for column `j`: on a value, store it in `D[j]` and count it in `P[j]`; on a
 * missing value, clear its bit in the scratch validity `V[j]` (and store 0, so compression sees a
 * constant rather than stale memory). Each property is read with a constant name, which keeps
 * V8's inline caches monomorphic: `row[name]` with a variable name is several times slower.
 */
function rowCode(j: number, field: string, layout: Layout, packs: readonly PackedField[] | undefined, narrow: ReadonlyMap<string, PackedField>, from: FieldSource): string {
  // IPv6 addresses and tags are read whole into `v` (numbers are tested where they are read); a
  // packed column has no field of its own: its fields are read one by one below.
  const read = layout === 'ipv6' || layout === 'tags' ? `v = ${from.value(field)};` : '';
  const none = `V${j}[i >>> 3] &= ~(1 << (i & 7));`;
  switch (layout) {
    case 'packed': {
      // Each present field ORs its bits into the low or high word and marks itself present (a
      // presence bit, or a stored value that is not 0); no field present leaves the column null.
      const fields = packs!.map((f) => {
        const word = f.word === 0 ? 'lo' : 'hi';
        const mask = 2 ** f.width - 1;
        const encoding = f.encoding;
        let set =
          encoding.kind === 'plusOne'
            ? `c = (c + 1) & ${mask}; if (c !== 0) { ${word} |= c << ${f.shift}; any = true; }`
            : encoding.kind === 'letters'
              ? `${word} |= ${letterPlaces('c')} << ${f.shift}; any = true;`
              : `${word} |= (c & ${mask}) << ${f.shift}; hi |= ${1 << encoding.bit}; any = true;`;
        // A field with two slots: each takes its share of the values.
        if (f.slot === 'narrow') set = `if (${fitsNarrow(f, 'c')}) { ${set} }`;
        if (f.slot === 'wide') set = `if (!(${fitsNarrow(narrow.get(f.source.name)!, 'c')})) { ${set} }`;
        if (f.slot !== undefined) return `c = ${twoSlotLocal(f.source.name)}; if (c !== undefined) { ${set} }`;
        // A country is stored as its code (two letters as a 16-bit number).
        if (f.source.kind === 'country') return `${from.country(f.source.name)} if (c !== undefined) { ${set} }`;
        return `if (${from.hasNumber(f.source.name)}) { c = ${from.number(f.source.name)}; ${set} }`;
      });
      return `lo = 0; hi = 0; any = false; ${fields.join(' ')} if (any) { D${j}[2 * i] = lo; D${j}[2 * i + 1] = hi; P${j}++; } else { D${j}[2 * i] = 0; D${j}[2 * i + 1] = 0; ${none} }`;
    }
    case 'u8':
    case 'u16':
    case 'u32':
    case 'ipv4':
      return `if (${from.hasNumber(field)}) { D${j}[i] = ${from.number(field)}; P${j}++; } else { D${j}[i] = 0; ${none} }`;
    case 'int64': {
      // Two 32-bit words per value: no BigInt per value unless it is negative or a bigint.
      const n = from.number(field);
      return (
        `if (${from.hasNumber(field)}) { if (${n} >= 0) { D${j}[2 * i] = ${n} >>> 0; D${j}[2 * i + 1] = (${n} / 4294967296) >>> 0; } else S${j}[i] = BigInt(${n}); P${j}++; } ` +
        `else if (${from.hasBigint(field)}) { S${j}[i] = v; P${j}++; } ` +
        `else { D${j}[2 * i] = 0; D${j}[2 * i + 1] = 0; ${none} }`
      );
    }
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
  const narrow = narrowSlots(packs);
  lines.push(fillLocals(narrow));
  lines.push('for (let i = 0; i < count; i++) {');
  lines.push('  const r = rows[offset + i];');
  lines.push(...twoSlotReads(narrow, FROM_RECORD).map((l) => `  ${l}`));
  for (let j = 0; j < n; j++) lines.push(`  ${rowCode(j, fields[j]!, layouts[j]!, packs[j], narrow, FROM_RECORD)}`);
  lines.push('}');
  for (let j = 0; j < n; j++) lines.push(`P[${j}] = P${j};`);
  return new Function('rows', 'offset', 'count', 'D', 'S', 'V', 'P', 'code', lines.join('\n')) as FillFunction;
}

/**
 * Rows of encoded flow chunks (collect/flow-codec.ts, this build's columns) waiting to be
 * filled into data chunks: where the next row is and how many are left. Rows with an IPv6
 * address belong to the other row table; the fill skips them and notes where they are.
 */
export class EncodedRows {
  /** Where each skipped IPv6 row starts (its bitmap), in `bytes`. */
  readonly v6: number[] = [];
  p: number;
  rows: number;
  readonly text: (p: number) => string;
  readonly tags: (p: number) => string[];
  readonly next: { p: number };

  constructor(
    readonly bytes: Uint8Array,
    readonly view: DataView,
    header: ChunkHeader,
  ) {
    this.p = header.rowsAt;
    this.rows = header.rows;
    ({ text: this.text, tags: this.tags, next: this.next } = rowTextReaders(bytes, view));
  }
}

/**
 * Fills the views from encoded rows, as `FillFunction` does from records, from row `i` of the
 * chunk until it is full or `rows` has none left; returns the new row count. `T` receives each
 * row's tags, and `F` which of its AS numbers and countries enrichment may fill (bits 1, 2: source
 * and destination AS; 4, 8: countries), as `FlowEnricher.enrich` would: those the flow lacks or
 * has falsy.
 */
type EncodedFillFunction = (rows: EncodedRows, i: number, D: readonly (ArrayBufferView | undefined)[], S: readonly (ArrayBufferView | undefined)[], V: Uint8Array[], P: Int32Array, T: unknown[], F: Uint8Array) => number;

function compileEncodedFill(fields: readonly string[], layouts: readonly Layout[], packs: readonly (readonly PackedField[] | undefined)[]): EncodedFillFunction {
  const n = fields.length;
  const L = rowLocal;
  // The 'typed' reader keeps only an IPv6 address's family: its rows go to the other table, read again whole.
  if (layouts.includes('ipv6')) throw new Error('encoded rows fill tables of IPv4 addresses only');
  const tagsColumn = layouts.indexOf('tags');
  const lines: string[] = ['const bytes = rows.bytes, view = rows.view, text = rows.text, tags = rows.tags, next = rows.next;', 'let p = rows.p, left = rows.rows;'];
  for (let j = 0; j < n; j++) lines.push(`const D${j} = D[${j}], S${j} = S[${j}], V${j} = V[${j}]; let P${j} = P[${j}];`);
  const narrow = narrowSlots(packs);
  lines.push(fillLocals(narrow));
  lines.push(`while (left > 0 && i < ${CHUNK_ROWS}) {`);
  lines.push('  const b = p;', `  p += ${BITMAP_BYTES};`, ...rowReadCode('typed').map((l) => `  ${l}`), '  left--;');
  // Every address column of this table is an IPv4 half: a row with an IPv6 address waits for the other table.
  const ips = FLOW_COLUMNS.filter((c) => c.kind === 'ip').map((c) => rowIpv6(c.name));
  lines.push(`  if (${ips.join(' || ')}) { rows.v6.push(b); continue; }`);
  lines.push(...twoSlotReads(narrow, FROM_ENCODED).map((l) => `  ${l}`));
  for (let j = 0; j < n; j++) lines.push(`  ${rowCode(j, fields[j]!, layouts[j]!, packs[j], narrow, FROM_ENCODED)}`);
  if (tagsColumn >= 0) lines.push(`  T[i] = ${L(fields[tagsColumn]!)};`);
  const lacks = (field: string) => `!(${rowHas(field)} && ${L(field)} !== 0)`;
  lines.push(`  F[i] = (${lacks('src_as')} ? 1 : 0) | (${lacks('dst_as')} ? 2 : 0) | (${L('src_country')} === null ? 4 : 0) | (${L('dst_country')} === null ? 8 : 0);`);
  lines.push('  i++;', '}');
  lines.push('if (p > bytes.length) throw new RangeError("row is cut short");');
  for (let j = 0; j < n; j++) lines.push(`P[${j}] = P${j};`);
  lines.push('rows.p = p;', 'rows.rows = left;', 'return i;');
  return new Function(`return function fillEncoded(rows, i, D, S, V, P, T, F) {\n${lines.join('\n')}\n};`)() as EncodedFillFunction;
}

/**
 * Enriches rows [0, count) of a filled chunk in place: AS numbers and countries into their packed
 * columns where `F` allows, tags into `T`. Its own loop, after the fill: the lookups miss the
 * processor's caches, and a short loop lets it overlap the misses of several rows, where inside
 * the fill's long loop body they wait one after the other (appends with enrichment took 1.97-2.03
 * µs a flow with it inside the fill, 1.70-1.93 µs with this pass; 1.26-1.50 µs without).
 */
type EnrichFunction = (count: number, D: readonly (ArrayBufferView | undefined)[], V: Uint8Array[], P: Int32Array, T: unknown[], F: Uint8Array, E: AddressLookups) => void;

/** The enrichment pass for a table, or undefined when its columns are not laid out as it expects. */
function compileEnrichPass(fields: readonly string[], layouts: readonly Layout[], packs: readonly (readonly PackedField[] | undefined)[]): EnrichFunction | undefined {
  const column = (name: string, layout: Layout) => fields.findIndex((f, k) => f === name && layouts[k] === layout);
  type Slot = { j: number; f: PackedField };
  const slot = (name: string, which: 'narrow' | 'wide'): Slot | undefined => {
    for (let j = 0; j < packs.length; j++) {
      const f = packs[j]?.find((x) => x.source.name === name && x.slot === which);
      if (f) return { j, f };
    }
    return undefined;
  };
  const [src, dst, sport, dport, tags] = [column('src', 'ipv4'), column('dst', 'ipv4'), column('sport', 'u16'), column('dport', 'u16'), layouts.indexOf('tags')];
  const names = ['src_as', 'dst_as', 'src_country', 'dst_country'] as const;
  const slots = names.map((name) => ({ narrow: slot(name, 'narrow'), wide: slot(name, 'wide') }));
  if (src < 0 || dst < 0 || sport < 0 || dport < 0 || tags < 0 || slots.some((x) => !x.narrow || !x.wide)) return undefined;
  const [srcAs, dstAs, srcCountry, dstCountry] = slots as { narrow: Slot; wide: Slot }[];
  // AS numbers are stored plus one (the wide slot a whole word), countries as letters or with a presence bit.
  const asLike = ({ narrow, wide }: { narrow: Slot; wide: Slot }) => narrow.f.encoding.kind === 'plusOne' && wide.f.encoding.kind === 'plusOne' && wide.f.width === 32 && wide.f.shift === 0;
  const countryLike = ({ narrow, wide }: { narrow: Slot; wide: Slot }) => narrow.f.encoding.kind === 'letters' && wide.f.encoding.kind === 'presence';
  if (!asLike(srcAs!) || !asLike(dstAs!) || !countryLike(srcCountry!) || !countryLike(dstCountry!)) return undefined;
  // The local the pass edits a narrow slot's word in, and the stored word (what a value is read back from).
  const wordVar = ({ j, f }: Slot) => (f.word === 0 ? `lo${j}` : `hi${j}`);
  const wordAt = ({ j, f }: Slot) => `D${j}[2 * i + ${f.word}]`;
  // A field enrichment may fill is missing, or an AS number 0 (which its narrow slot holds): its
  // wide slot is empty, so only the narrow slot is cleared, and a value that does not fit there is
  // ORed into the wide column's stored words (rare: the pass keeps only narrow words in locals).
  const clearNarrow = (p: Slot) => `${wordVar(p)} &= ${~((2 ** p.f.width - 1) << p.f.shift)};`;
  const orWide = ({ j, f }: Slot, bits: string) =>
    `{ w = D${j}[2 * i] === 0 && D${j}[2 * i + 1] === 0; D${j}[2 * i + ${f.word}] |= ${bits}; ` +
    `${f.encoding.kind === 'presence' ? `D${j}[2 * i + 1] |= ${1 << f.encoding.bit}; ` : ''}if (w && (D${j}[2 * i] !== 0 || D${j}[2 * i + 1] !== 0)) { P${j}++; V${j}[i >>> 3] |= 1 << (i & 7); } }`;
  const setAs = ({ narrow, wide }: { narrow: Slot; wide: Slot }, value: string) =>
    `c = ${value}; ${clearNarrow(narrow)} if (c >= 0) { if (${fitsNarrow(narrow.f, 'c')}) ${wordVar(narrow)} |= (c + 1) << ${narrow.f.shift}; else ${orWide(wide, '(c + 1) >>> 0')} }`;
  const setCountry = ({ narrow, wide }: { narrow: Slot; wide: Slot }, value: string) =>
    `c = ${value}; ${clearNarrow(narrow)} if (c >= 0) { if (${fitsNarrow(narrow.f, 'c')}) ${wordVar(narrow)} |= ${letterPlaces('c')} << ${narrow.f.shift}; ` +
    `else ${orWide(wide, `(c & ${2 ** wide.f.width - 1}) << ${wide.f.shift}`)} }`;
  // An AS number as stored: in its narrow slot, else in its whole wide word, else none.
  const readAs = ({ narrow, wide }: { narrow: Slot; wide: Slot }) =>
    `w = (${wordAt(narrow)} >>> ${narrow.f.shift}) & ${2 ** narrow.f.width - 1}; if (w === 0) w = ${wordAt(wide)};`;
  const columns = [...new Set(slots.map((x) => x.narrow!.j))];
  const wideColumns = [...new Set(slots.map((x) => x.wide!.j))];
  // Wide slots are written in place, narrow ones through locals written back: never one column for both.
  if (wideColumns.some((j) => columns.includes(j))) return undefined;
  const lines: string[] = [
    'const rows = E.rows, asNumbers = E.asNumbers, codes = E.countryCodes, checksAsns = E.checksAsns;',
    `const Ds = D[${src}], Vs = V[${src}], Dd = D[${dst}], Vd = V[${dst}], Dsp = D[${sport}], Ddp = D[${dport}];`,
    ...columns.map((j) => `const D${j} = D[${j}], V${j} = V[${j}]; let P${j} = P[${j}], lo${j}, hi${j}, was${j}, now${j};`),
    ...wideColumns.map((j) => `const D${j} = D[${j}], V${j} = V[${j}]; let P${j} = P[${j}];`),
    `let P${tags} = P[${tags}];`,
    'let at, sa, sc, ss, da, dc, ds, f, c, t, w, own;',
    'for (let i = 0; i < count; i++) {',
    '  f = F[i];',
    '  if ((Vs[i >>> 3] & (1 << (i & 7))) !== 0) { at = E.rowV4(Ds[i]); sa = rows[at]; sc = rows[at + 1]; ss = rows[at + 2]; } else { sa = -1; sc = -1; ss = -1; }',
    '  if ((Vd[i >>> 3] & (1 << (i & 7))) !== 0) { at = E.rowV4(Dd[i]); da = rows[at]; dc = rows[at + 1]; ds = rows[at + 2]; } else { da = -1; dc = -1; ds = -1; }',
    ...columns.map((j) => `  lo${j} = D${j}[2 * i]; hi${j} = D${j}[2 * i + 1]; was${j} = lo${j} !== 0 || hi${j} !== 0;`),
    `  if ((f & 1) !== 0) { ${setAs(srcAs!, 'sa >= 0 ? asNumbers[sa] : -1')} }`,
    `  if ((f & 2) !== 0) { ${setAs(dstAs!, 'da >= 0 ? asNumbers[da] : -1')} }`,
    `  if ((f & 4) !== 0) { ${setCountry(srcCountry!, 'sc >= 0 ? codes[sc] : -1')} }`,
    `  if ((f & 8) !== 0) { ${setCountry(dstCountry!, 'dc >= 0 ? codes[dc] : -1')} }`,
    // A packed column is null when none of its fields is present: every present field leaves a bit set.
    ...columns.map(
      (j) =>
        `  now${j} = lo${j} !== 0 || hi${j} !== 0; D${j}[2 * i] = lo${j}; D${j}[2 * i + 1] = hi${j}; ` +
        `if (now${j} !== was${j}) { if (now${j}) { P${j}++; V${j}[i >>> 3] |= 1 << (i & 7); } else { P${j}--; V${j}[i >>> 3] &= ~(1 << (i & 7)); } }`,
    ),
    '  if (ss >= 0 || ds >= 0 || checksAsns) {',
    `    ${readAs(srcAs!)} sa = w !== 0 ? w - 1 : null; ${readAs(dstAs!)} da = w !== 0 ? w - 1 : null;`,
    '    own = T[i];',
    `    t = E.flowTags(ss, ds, Dsp[i], Ddp[i], sa, da, own); if (t !== undefined) { T[i] = t; if (!Array.isArray(own) || own.length === 0) P${tags}++; }`,
    '  }',
    '}',
    ...[...columns, ...wideColumns, tags].map((j) => `P[${j}] = P${j};`),
  ];
  return new Function(`return function enrichRows(count, D, V, P, T, F, E) {\n${lines.join('\n')}\n};`)() as EnrichFunction;
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
  private readonly packs: (readonly PackedField[] | undefined)[];
  /** The list column's index (-1: none), and its values per row of the chunk being built. */
  private readonly tagsColumn: number;
  private readonly rowTags: unknown[] = new Array(CHUNK_ROWS).fill(null);
  private encodedFill?: EncodedFillFunction;
  private enrichPass?: EnrichFunction;
  /** Per row of the chunk being built from encoded flows: which values enrichment may fill. */
  private readonly enrichable = new Uint8Array(CHUNK_ROWS);

  /** A list vector's entries for a chunk: (offset, length) as uint64 pairs, in 32-bit words. */
  private readonly listEntries = new Uint32Array(CHUNK_ROWS * 4);

  constructor(
    private readonly types: readonly DuckDBType[],
    columns: readonly PhysicalColumn[],
  ) {
    this.layouts = columns.map(layoutOf);
    this.fields = columns.map((c) => c.source?.name ?? c.name);
    this.packs = columns.map((c) => c.packs);
    this.fill = compileFill(this.fields, this.layouts, this.packs);
    this.tagsColumn = this.layouts.indexOf('tags');
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
    const rows = records as unknown as readonly Row[];
    this.fill(rows, offset, count, this.data, this.other, this.validity, this.present, countryCode);
    const tags = this.tagsColumn;
    if (tags >= 0 && this.present[tags]! > 0) for (let i = 0; i < count; i++) this.rowTags[i] = rows[offset + i]![this.fields[tags]!];
    return this.finish(count);
  }

  /** Rows filled from encoded flows into the chunk being built (see `fillEncoded`). */
  private encodedCount = 0;

  /**
   * Fills rows from `rows` into the chunk being built, enriching them with `lookups` when given.
   * Returns the chunk once it is full (append it before the next call, which starts a new one),
   * else undefined; `takeEncoded` returns the last, partly filled one. After anything throws
   * while a chunk is being built, call `discardEncoded`.
   */
  fillEncoded(rows: EncodedRows, lookups: AddressLookups | undefined): DuckDBDataChunk | undefined {
    this.encodedFill ??= compileEncodedFill(this.fields, this.layouts, this.packs);
    this.encodedCount = this.encodedFill(rows, this.encodedCount, this.data, this.other, this.validity, this.present, this.rowTags, this.enrichable);
    return this.encodedCount < CHUNK_ROWS ? undefined : this.takeEncoded(lookups);
  }

  /** The chunk being built from encoded rows, if it has any; the next `fillEncoded` starts a new one. */
  takeEncoded(lookups: AddressLookups | undefined): DuckDBDataChunk | undefined {
    const count = this.encodedCount;
    if (count === 0) return undefined;
    this.encodedCount = 0;
    if (lookups) {
      this.enrichPass ??= compileEnrichPass(this.fields, this.layouts, this.packs);
      if (!this.enrichPass) throw new Error('this table cannot be enriched from encoded flows');
      this.enrichPass(count, this.data, this.validity, this.present, this.rowTags, this.enrichable, lookups);
      lookups.count(count);
    }
    return this.finish(count);
  }

  /** Forgets the rows filled so far (after a bad encoded row): the scratch masks and counts start clean. */
  discardEncoded(): void {
    this.encodedCount = 0;
    this.present.fill(0);
    for (const v of this.validity) v.fill(0xff);
  }

  /** Copies the filled staging arrays (rows [0, count)) into the reused chunk. */
  private finish(count: number): DuckDBDataChunk {
    const chunk = (this.reused ??= DuckDBDataChunk.create(this.types));
    chunk.reset();
    chunk.rowCount = count;
    const n = this.layouts.length;
    const maskBytes = Math.ceil(count / 64) * 8;
    for (let c = 0; c < n; c++) {
      const present = this.present[c]!;
      this.present[c] = 0;
      const vector = duckdb.data_chunk_get_vector(chunk.chunk, c);
      const data = this.data[c];
      if (data && present > 0) duckdb.copy_data_to_vector(vector, 0, data.buffer as ArrayBuffer, 0, count * BYTES[this.layouts[c]!]);
      if (this.layouts[c] === 'tags') {
        if (present > 0) this.writeTags(vector, c, count, maskBytes);
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
  private writeTags(vector: duckdb.Vector, columnIndex: number, count: number, maskBytes: number): void {
    const rowTags = this.rowTags;
    const entries = this.listEntries;
    const validity = this.validity[columnIndex]!;
    let total = 0;
    let nulls = 0;
    for (let i = 0; i < count; i++) {
      const v = rowTags[i];
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
      for (const tag of rowTags[i] as string[]) duckdb.vector_assign_string_element(child, k++, String(tag));
    }
    duckdb.copy_data_to_vector(vector, 0, entries.buffer, 0, count * 16);
    rowTags.fill(null, 0, count);
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
