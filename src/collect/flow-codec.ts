// A compact binary form of FlowRecord batches: what decode workers hand to the main thread and
// what the disk spool stores. Self-describing (column names and kinds in each chunk), so a spool
// written before a column was added still replays after it.

import { FLOW_COLUMNS, type ColumnKind, type FlowRecord } from '../core/columns.js';
import type { Ip } from '../core/ip.js';

/** First four bytes of every chunk ('VFC1'). */
export const FLOW_CHUNK_MAGIC = 0x56464331;

// A country travels as its text, like any string: the same code keeps older spools readable.
const KIND_CODES: Record<ColumnKind, number> = { time: 1, ip: 2, u8: 3, u16: 4, u32: 5, u64: 6, string: 7, country: 7, tags: 8 };
const KIND_BY_CODE: ColumnKind[] = [];
for (const [kind, code] of Object.entries(KIND_CODES)) KIND_BY_CODE[code] = kind as ColumnKind;

const MASK64 = (1n << 64n) - 1n;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The header every chunk of this build starts with (magic, columns), built once. */
function buildHeader(): Uint8Array {
  const parts: number[] = [];
  const push32 = (v: number) => parts.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  push32(FLOW_CHUNK_MAGIC);
  parts.push(FLOW_COLUMNS.length >> 8, FLOW_COLUMNS.length & 255);
  for (const c of FLOW_COLUMNS) {
    parts.push(KIND_CODES[c.kind], c.name.length);
    for (let i = 0; i < c.name.length; i++) parts.push(c.name.charCodeAt(i));
  }
  return Uint8Array.from(parts);
}

const HEADER = buildHeader();
const NAMES: readonly string[] = FLOW_COLUMNS.map((c) => c.name);
const KINDS = FLOW_COLUMNS.map((c) => KIND_CODES[c.kind]);
/** Bytes of a row's presence bitmap (one bit per column, in column order). */
export const BITMAP_BYTES = Math.ceil(FLOW_COLUMNS.length / 8);
/** Columns of variable length (strings, tags), encoded before a row is written. */
const VARIABLE = KINDS.flatMap((k, i) => (k === 7 || k === 8 ? [i] : []));
/** Most bytes the fixed-size values of one row can take (an IPv6 address is the largest). */
const FIXED_MAX = 17 * NAMES.length;
/** Every column of this build, null: records of other schemas are spread from it, so they share one shape. */
const BLANK: Readonly<Record<string, unknown>> = Object.fromEntries(NAMES.map((n) => [n, null]));

/** Column names become code below: they come from the column table, and are checked anyway. */
for (const name of NAMES) if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`column name '${name}' cannot be compiled`);

/** Counts kept while rows are written: `ipv6`, rows with an IPv6 address in any address column. */
interface RowTally {
  ipv6: number;
}

type RowWriter = (r: Record<string, unknown>, buf: Uint8Array, view: DataView, at: number, texts: Uint8Array[] | undefined, tally: RowTally) => number;
type RowReader = (bytes: Uint8Array, view: DataView, p: number, rows: number, out: unknown[], text: (p: number) => string, tags: (p: number) => string[], next: { p: number }) => number;

/**
 * One row's writer for this build's columns, compiled once: straight-line code per column reads
 * each property once, where a loop over column names would look them up by a variable key.
 */
function compileRowWriter(): RowWriter {
  const lines = ['let p = at + ' + BITMAP_BYTES + ';', 'let t = 0;', 'let v;', 'let six = 0;'];
  for (let i = 0; i < BITMAP_BYTES; i++) lines.push(`buf[at + ${i}] = 0;`);
  NAMES.forEach((name, c) => {
    const mark = `buf[at + ${c >> 3}] |= ${1 << (c & 7)};`;
    let write: string;
    switch (KINDS[c]) {
      case 1:
      case 6:
        write = 'view.setFloat64(p, v); p += 8;';
        break;
      case 2:
        write = "if (typeof v === 'number') { buf[p] = 4; view.setUint32(p + 1, v); p += 5; } else { buf[p] = 6; view.setBigUint64(p + 1, (v >> 64n) & MASK64); view.setBigUint64(p + 9, v & MASK64); p += 17; six = 1; }";
        break;
      case 3:
        write = 'buf[p++] = v;';
        break;
      case 4:
        write = 'view.setUint16(p, v); p += 2;';
        break;
      case 5:
        write = 'view.setUint32(p, v >>> 0); p += 4;';
        break;
      case 7:
        write = 'p = putText(buf, view, p, texts[t++]);';
        break;
      default:
        write = 'view.setUint16(p, v.length); p += 2; for (let k = 0; k < v.length; k++) p = putText(buf, view, p, texts[t++]);';
    }
    lines.push(`v = r.${name};`, `if (v !== null && v !== undefined) { ${mark} ${write} }`);
  });
  lines.push('tally.ipv6 += six;', 'return p;');
  const putText = (buf: Uint8Array, view: DataView, p: number, bytes: Uint8Array): number => {
    view.setUint32(p, bytes.length);
    buf.set(bytes, p + 4);
    return p + 4 + bytes.length;
  };
  return new Function('MASK64', 'putText', `return function writeRow(r, buf, view, at, texts, tally) {\n${lines.join('\n')}\n};`)(MASK64, putText) as RowWriter;
}

/**
 * How `rowReadCode` reads a row. 'values': each column into the local `v0`, `v1`... as a record
 * holds it (null when absent). 'typed', for a store that fills typed arrays: a number column
 * into a local that is always a number (0 when absent; `rowHas` tells), so that V8 keeps it
 * unboxed (a local that is null or a number boxes every number beyond 31 bits: 55 MB a second of
 * garbage on the collector's main thread at 850k flows/s); an address the same way if IPv4, only
 * its family if IPv6 (`rowIpv6` tells); a country as its `countryCode` number, null when absent
 * or empty, -1 when it is not two ASCII letters (present, but no code). Text and tags as values.
 */
export type RowReadMode = 'values' | 'typed';

/** Number kinds: time, u8, u16, u32, u64. */
const NUMERIC = new Set([1, 3, 4, 5, 6]);

/**
 * Code that reads one row of this build's columns at `p` (after its bitmap at `b`) into locals
 * (see `RowReadMode`), advancing `p`. It expects `bytes`, `view`, `text`, `tags` and `next` in
 * scope, as `readRows` has them.
 */
export function rowReadCode(mode: RowReadMode): string[] {
  const typed = mode === 'typed';
  const lines: string[] = [];
  NAMES.forEach((_, c) => {
    const present = `(bytes[b + ${c >> 3}] & ${1 << (c & 7)}) !== 0`;
    if (typed && NUMERIC.has(KINDS[c]!)) {
      const read = KINDS[c] === 3 ? `v${c} = bytes[p++];` : KINDS[c] === 4 ? `v${c} = view.getUint16(p); p += 2;` : KINDS[c] === 5 ? `v${c} = view.getUint32(p); p += 4;` : `v${c} = view.getFloat64(p); p += 8;`;
      lines.push(`const h${c} = ${present};`, `let v${c} = 0;`, `if (h${c}) { ${read} }`);
      return;
    }
    if (typed && KINDS[c] === 2) {
      // f: the address family (0: none); an IPv6 row is read again later, whole.
      lines.push(
        `let v${c} = 0, f${c} = 0;`,
        `if (${present}) { f${c} = bytes[p]; if (f${c} === 4) { v${c} = view.getUint32(p + 1); p += 5; } else if (f${c} === 6) p += 17; else throw new RangeError('bad address family ' + f${c}); }`,
      );
      return;
    }
    let read: string;
    switch (KINDS[c]) {
      case 1:
      case 6:
        read = `v${c} = view.getFloat64(p); p += 8;`;
        break;
      case 2:
        read = `if (bytes[p] === 4) { v${c} = view.getUint32(p + 1); p += 5; } else if (bytes[p] === 6) { v${c} = (view.getBigUint64(p + 1) << 64n) | view.getBigUint64(p + 9); p += 17; } else throw new RangeError('bad address family ' + bytes[p]);`;
        break;
      case 3:
        read = `v${c} = bytes[p++];`;
        break;
      case 4:
        read = `v${c} = view.getUint16(p); p += 2;`;
        break;
      case 5:
        read = `v${c} = view.getUint32(p); p += 4;`;
        break;
      case 7:
        read =
          typed && FLOW_COLUMNS[c]!.kind === 'country'
            ? `{ const n = view.getUint32(p); const a = bytes[p + 4], z = bytes[p + 5]; v${c} = n === 0 ? null : n === 2 && a < 128 && z < 128 ? (a << 8) | z : -1; p += 4 + n; }`
            : `v${c} = text(p); p = next.p;`;
        break;
      default:
        read = `v${c} = tags(p); p = next.p;`;
    }
    lines.push(`let v${c} = null;`, `if (${present}) { ${read} }`);
  });
  return lines;
}

function columnIndex(name: string): number {
  const c = NAMES.indexOf(name);
  if (c < 0) throw new Error(`no column ${name}`);
  return c;
}

/** The local that `rowReadCode` reads a column into. */
export function rowLocal(name: string): string {
  return `v${columnIndex(name)}`;
}

/** 'typed' reads: an expression true when the row has a number in the column (an IPv4 address for an address column). */
export function rowHas(name: string): string {
  const c = columnIndex(name);
  if (KINDS[c] === 2) return `(f${c} === 4)`;
  if (!NUMERIC.has(KINDS[c]!)) throw new Error(`column ${name} is not read as a number`);
  return `h${c}`;
}

/** 'typed' reads: an expression true when the row has an IPv6 address in the address column. */
export function rowIpv6(name: string): string {
  const c = columnIndex(name);
  if (KINDS[c] !== 2) throw new Error(`column ${name} is not an address`);
  return `(f${c} === 6)`;
}

/**
 * The reader of `rows` rows written by this build (the usual case: same columns), compiled once:
 * each record is one object literal, so all share one hidden class and the store reads them fast.
 */
function compileRowReader(): RowReader {
  const lines = ['for (let r = 0; r < rows; r++) {', 'const b = p;', `p += ${BITMAP_BYTES};`, ...rowReadCode('values')];
  lines.push(`out.push({ ${NAMES.map((n, c) => `${n}: v${c}`).join(', ')} });`, '}', 'if (p > bytes.length) throw new RangeError("row is cut short");', 'return p;');
  return new Function(`return function readRows(bytes, view, p, rows, out, text, tags, next) {\n${lines.join('\n')}\n};`)() as RowReader;
}

const writeRow = compileRowWriter();

/**
 * A record's variable-length values (VARIABLE order), or undefined when it has none: the usual
 * case, since decoders fill no text. Compiled, so that each is read under a constant name, as
 * the row writer reads the others, rather than as `r[name]` in a loop.
 */
const variableValues = new Function(
  'r',
  `const ${VARIABLE.map((c, i) => `v${i} = r.${NAMES[c]}`).join(', ')};\n` +
    `if (${VARIABLE.map((_, i) => `v${i} == null`).join(' && ')}) return undefined;\n` +
    `return [${VARIABLE.map((_, i) => `v${i}`).join(', ')}];`,
) as (r: Record<string, unknown>) => unknown[] | undefined;
const readRows = compileRowReader();
/** The header bytes as text: a chunk whose header equals it is read with the compiled reader. */
const HEADER_KEY = String.fromCharCode(...HEADER.subarray(6));

/**
 * Accumulates records into one chunk. `finish()` hands the bytes over and starts a new chunk, so
 * the returned buffer can be transferred to another thread without copying.
 */
export class FlowChunkEncoder {
  private buffer: Uint8Array;
  private view: DataView;
  private at = 0;
  private rows = 0;
  private readonly tally: RowTally = { ipv6: 0 };

  private readonly initialBytes: number;
  /** Buffers of finished chunks given back by their reader (`recycle`), taken by `finish()`. */
  private readonly spares: ArrayBuffer[] = [];

  constructor(initialBytes = 1 << 16) {
    this.initialBytes = Math.max(initialBytes, HEADER.length + 4 + BITMAP_BYTES + FIXED_MAX);
    this.buffer = new Uint8Array(this.initialBytes);
    this.view = new DataView(this.buffer.buffer);
    this.start();
  }

  /** Records in the current chunk. */
  get count(): number {
    return this.rows;
  }

  /** Records in the current chunk with an IPv6 address (a store may keep them apart). */
  get ipv6Count(): number {
    return this.tally.ipv6;
  }

  /** Bytes in the current chunk. */
  get byteLength(): number {
    return this.at;
  }

  private start(): void {
    this.buffer.set(HEADER, 0);
    this.at = HEADER.length + 4;
    this.rows = 0;
    this.tally.ipv6 = 0;
  }

  private reserve(n: number): void {
    if (this.at + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.at));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  /** Appends one record; values of columns it lacks are written as absent. */
  add(record: FlowRecord): void {
    const r = record as unknown as Record<string, unknown>;
    // Text values are encoded first so that one reservation covers the whole row.
    let texts: Uint8Array[] | undefined;
    let extra = 0;
    const values = variableValues(r);
    for (let i = 0; values !== undefined && i < VARIABLE.length; i++) {
      const c = VARIABLE[i]!;
      const value = values[i];
      if (value === null || value === undefined) continue;
      texts ??= [];
      if (KINDS[c] === 7) {
        const bytes = utf8.encode(String(value));
        texts.push(bytes);
        extra += 4 + bytes.length;
      } else {
        extra += 2;
        for (const tag of value as readonly string[]) {
          const bytes = utf8.encode(tag);
          texts.push(bytes);
          extra += 4 + bytes.length;
        }
      }
    }
    this.reserve(BITMAP_BYTES + FIXED_MAX + extra);
    this.at = writeRow(r, this.buffer, this.view, this.at, texts, this.tally);
    this.rows++;
  }

  /** The finished chunk (its own buffer, safe to transfer); the encoder starts a new one. */
  finish(): Uint8Array {
    this.view.setUint32(HEADER.length, this.rows);
    const out = this.buffer.subarray(0, this.at);
    const size = this.nextSize();
    let next: ArrayBuffer | undefined;
    while (next === undefined && this.spares.length > 0) {
      const spare = this.spares.pop()!;
      if (spare.byteLength >= size) next = spare;
    }
    this.buffer = new Uint8Array(next ?? new ArrayBuffer(size));
    this.view = new DataView(this.buffer.buffer);
    this.start();
    return out;
  }

  /** The size of the next chunk's buffer: the last one's, within bounds. */
  private nextSize(): number {
    return Math.max(this.initialBytes, Math.min(this.buffer.length, 1 << 22));
  }

  /**
   * Gives back the buffer of a chunk `finish()` returned, once its reader is done with it (the
   * collector's main thread, after the store or the spool took the chunk). Reusing it spares the
   * allocation of a new buffer per chunk: at 1M flows/s, zeroing and faulting in ~60 MB a second
   * took the decode worker a third of its time, and the main thread, which received them, a major
   * GC every few hundred ms for the external memory. A buffer smaller than the encoder now uses,
   * or one too many, is left to the GC.
   */
  recycle(buffer: ArrayBuffer): void {
    if (this.spares.length < MAX_SPARE_BUFFERS && buffer.byteLength >= this.nextSize()) this.spares.push(buffer);
  }
}

/** Recycled chunk buffers an encoder keeps: a store batch's worth of chunks (122,880 flows in chunks of 4,096). */
const MAX_SPARE_BUFFERS = 32;

/** Encodes records as one chunk. */
export function encodeFlowChunk(records: readonly FlowRecord[]): Uint8Array {
  const encoder = new FlowChunkEncoder(Math.max(1024, records.length * 96));
  for (const r of records) encoder.add(r);
  return encoder.finish();
}

/** Thrown when bytes are not a well-formed chunk (the spool checks a CRC first, so this means a bug or foreign data). */
export class FlowChunkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlowChunkError';
  }
}

interface ChunkSchema {
  /** Per chunk column: index into FLOW_COLUMNS, or -1 when this build has no such column. */
  readonly target: Int16Array;
  readonly kinds: Uint8Array;
  readonly bitmapBytes: number;
  /** Written by this build (same columns): read with the compiled reader. */
  readonly current: boolean;
}

const schemaCache = new Map<string, ChunkSchema>();

/** This build's schema, once a chunk of it was read: found again by comparing header bytes, without building its key. */
let currentSchema: ChunkSchema | undefined;

/** Whether the chunk at `at` has this build's header (its magic is checked already). */
function hasCurrentHeader(bytes: Uint8Array, at: number): boolean {
  if (at + HEADER.length > bytes.length) return false;
  for (let i = 4; i < HEADER.length; i++) if (bytes[at + i] !== HEADER[i]) return false;
  return true;
}

function readSchema(view: DataView, bytes: Uint8Array, at: number): { schema: ChunkSchema; next: number } {
  if (currentSchema && hasCurrentHeader(bytes, at)) return { schema: currentSchema, next: at + HEADER.length };
  const count = view.getUint16(at + 4);
  let p = at + 6;
  const start = p;
  for (let i = 0; i < count; i++) {
    if (p + 2 > bytes.length) throw new FlowChunkError('chunk header is cut short');
    p += 2 + bytes[p + 1]!;
  }
  if (p > bytes.length) throw new FlowChunkError('chunk header is cut short');
  const key = String.fromCharCode(...bytes.subarray(start, p));
  let schema = schemaCache.get(key);
  if (!schema) {
    const target = new Int16Array(count);
    const kinds = new Uint8Array(count);
    let q = start;
    for (let i = 0; i < count; i++) {
      const kind = bytes[q]!;
      const length = bytes[q + 1]!;
      const name = String.fromCharCode(...bytes.subarray(q + 2, q + 2 + length));
      if (!KIND_BY_CODE[kind]) throw new FlowChunkError(`unknown column kind ${kind} for '${name}'`);
      kinds[i] = kind;
      const index = NAMES.indexOf(name);
      // A column whose kind changed is read (to skip it) but not kept.
      target[i] = index >= 0 && KINDS[index] === kind ? index : -1;
      q += 2 + length;
    }
    schema = { target, kinds, bitmapBytes: Math.ceil(count / 8), current: key === HEADER_KEY };
    if (schema.current) currentSchema = schema;
    if (schemaCache.size < 64) schemaCache.set(key, schema);
  }
  return { schema, next: p };
}

/**
 * Decodes one or more concatenated chunks, appending the records to `out`; returns how many.
 * Throws FlowChunkError on malformed input.
 */
export function decodeFlowChunks(bytes: Uint8Array, out: FlowRecord[]): number {
  const start = out.length;
  try {
    return decodeChunks(bytes, out);
  } catch (err) {
    out.length = start;
    throw asChunkError(err);
  }
}

/**
 * What reading a chunk threw, as the error to report: reads past the end surface as RangeError
 * (from DataView and the compiled readers), which means the chunk is cut short.
 */
export function asChunkError(err: unknown): unknown {
  return err instanceof RangeError ? new FlowChunkError(`chunk is cut short (${err.message})`) : err;
}

/** Where the compiled reader's text helpers leave the read position. */
const cursor = { p: 0 };

function textReader(bytes: Uint8Array, view: DataView): (p: number) => string {
  return (p) => {
    const length = view.getUint32(p);
    if (p + 4 + length > bytes.length) throw new RangeError('text is cut short');
    cursor.p = p + 4 + length;
    return fromUtf8.decode(bytes.subarray(p + 4, p + 4 + length));
  };
}

function tagsReader(bytes: Uint8Array, view: DataView): (p: number) => string[] {
  const text = textReader(bytes, view);
  return (p) => {
    const n = view.getUint16(p);
    const tags: string[] = [];
    let q = p + 2;
    for (let i = 0; i < n; i++) {
      tags.push(text(q));
      q = cursor.p;
    }
    cursor.p = q;
    return tags;
  };
}

function decodeChunks(bytes: Uint8Array, out: FlowRecord[]): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = out.length;
  for (let at = 0; at < bytes.length; ) at = decodeChunk(bytes, view, at, out);
  return out.length - start;
}

/** Where a chunk's rows start and how many there are; `current` when this build wrote it (same columns). */
export interface ChunkHeader {
  readonly current: boolean;
  readonly rowsAt: number;
  readonly rows: number;
}

/** Reads the header of the chunk at `at`; throws FlowChunkError when there is none. */
export function readChunkHeader(bytes: Uint8Array, view: DataView, at: number): ChunkHeader {
  const { schema, rowsAt, rows } = readHeader(bytes, view, at);
  return { current: schema.current, rowsAt, rows };
}

function readHeader(bytes: Uint8Array, view: DataView, at: number): { schema: ChunkSchema; rowsAt: number; rows: number } {
  if (at + 10 > bytes.length || view.getUint32(at) !== FLOW_CHUNK_MAGIC) throw new FlowChunkError(`no chunk at offset ${at}`);
  const { schema, next } = readSchema(view, bytes, at);
  if (next + 4 > bytes.length) throw new FlowChunkError('chunk row count is cut short');
  return { schema, rowsAt: next + 4, rows: view.getUint32(next) };
}

/** Decodes the one chunk at `at` into `out`, as `decodeFlowChunks` does; returns where it ends. */
export function decodeFlowChunkAt(bytes: Uint8Array, view: DataView, at: number, out: FlowRecord[]): number {
  const start = out.length;
  try {
    return decodeChunk(bytes, view, at, out);
  } catch (err) {
    out.length = start;
    throw asChunkError(err);
  }
}

/** Where `scanRows` stopped: rows read, and how many of them have an IPv6 address. */
const scanned = { rows: 0, ipv6: 0 };

type RowScanner = (bytes: Uint8Array, view: DataView, p: number, rows: number, ipv4Rows: number, text: (p: number) => string, tags: (p: number) => string[], next: { p: number }, out: typeof scanned) => number;

/** Reads rows of this build's columns until `ipv4Rows` without an IPv6 address have passed (or `rows` ran out); returns where it stopped. */
function compileRowScanner(): RowScanner {
  const ipv6 = FLOW_COLUMNS.filter((c) => c.kind === 'ip').map((c) => rowIpv6(c.name));
  const lines = ['let four = 0, six = 0, r = 0;', 'while (r < rows && four < ipv4Rows) {', 'const b = p;', `p += ${BITMAP_BYTES};`, ...rowReadCode('typed'), 'r++;', `if (${ipv6.join(' || ')}) six++; else four++;`, '}'];
  lines.push('if (p > bytes.length) throw new RangeError("row is cut short");', 'out.rows = r;', 'out.ipv6 = six;', 'return p;');
  return new Function(`return function scanRows(bytes, view, p, rows, ipv4Rows, text, tags, next, out) {\n${lines.join('\n')}\n};`)() as RowScanner;
}

const scanRows = compileRowScanner();

/** A chunk cut in two, each part a chunk of its own, with its flows and how many have an IPv6 address. */
export interface ChunkSplit {
  readonly head: Uint8Array;
  readonly headFlows: number;
  readonly headIpv6: number;
  readonly tail: Uint8Array;
  readonly tailFlows: number;
  readonly tailIpv6: number;
}

/**
 * Cuts `bytes`, one chunk of this build's columns holding `ipv6` rows with an IPv6 address, right
 * after its `ipv4Rows`-th row without one: the collector ends its batches there, so that each
 * fills whole row groups of a store's IPv4 table. Undefined for a chunk of other columns (it is
 * taken whole). The tail may be empty (no rows).
 */
export function splitFlowChunk(bytes: Uint8Array, ipv4Rows: number, ipv6: number): ChunkSplit | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { current, rowsAt, rows } = readChunkHeader(bytes, view, 0);
  if (!current) return undefined;
  let at: number;
  try {
    at = scanRows(bytes, view, rowsAt, rows, ipv4Rows, textReader(bytes, view), tagsReader(bytes, view), cursor, scanned);
  } catch (err) {
    throw asChunkError(err);
  }
  const { rows: headFlows, ipv6: headIpv6 } = scanned;
  const head = bytes.slice(0, at);
  const tail = new Uint8Array(rowsAt + bytes.length - at);
  tail.set(bytes.subarray(0, rowsAt));
  tail.set(bytes.subarray(at), rowsAt);
  new DataView(head.buffer).setUint32(rowsAt - 4, headFlows);
  new DataView(tail.buffer).setUint32(rowsAt - 4, rows - headFlows);
  return { head, headFlows, headIpv6, tail, tailFlows: rows - headFlows, tailIpv6: ipv6 - headIpv6 };
}

/**
 * `splitFlowChunk` for the collector's batch cuts: bytes that do not read give undefined too, so
 * the chunk is taken whole and the store that reads it reports them.
 */
export function trySplitFlowChunk(bytes: Uint8Array, ipv4Rows: number, ipv6: number): ChunkSplit | undefined {
  try {
    return splitFlowChunk(bytes, ipv4Rows, ipv6);
  } catch {
    return undefined;
  }
}

/** Decodes the one row of this build's columns at `p` (its bitmap) into `out`; returns where it ends. */
export function decodeFlowRowAt(bytes: Uint8Array, view: DataView, p: number, out: FlowRecord[]): number {
  try {
    return readRows(bytes, view, p, 1, out, textReader(bytes, view), tagsReader(bytes, view), cursor);
  } catch (err) {
    throw asChunkError(err);
  }
}

/** What code from `rowReadCode` calls to read text and tags in `bytes` (`next.p`: where a read ended). */
export function rowTextReaders(bytes: Uint8Array, view: DataView): { text: (p: number) => string; tags: (p: number) => string[]; next: { p: number } } {
  return { text: textReader(bytes, view), tags: tagsReader(bytes, view), next: cursor };
}

function decodeChunk(bytes: Uint8Array, view: DataView, at: number, out: FlowRecord[]): number {
  const { schema, rowsAt, rows } = readHeader(bytes, view, at);
  let p = rowsAt;
  if (schema.current) return readRows(bytes, view, p, rows, out, textReader(bytes, view), tagsReader(bytes, view), cursor);
  const { target, kinds, bitmapBytes } = schema;
  const columns = kinds.length;
  for (let r = 0; r < rows; r++) {
    if (p + bitmapBytes > bytes.length) throw new FlowChunkError('row is cut short');
    const bitmap = p;
    p += bitmapBytes;
    const rec = { ...BLANK };
    for (let c = 0; c < columns; c++) {
      if ((bytes[bitmap + (c >> 3)]! & (1 << (c & 7))) === 0) continue;
      let value: number | bigint | string | string[];
      switch (kinds[c]) {
        case 1:
        case 6:
          value = view.getFloat64(p);
          p += 8;
          break;
        case 2:
          if (bytes[p] === 4) {
            value = view.getUint32(p + 1);
            p += 5;
          } else if (bytes[p] === 6) {
            value = (view.getBigUint64(p + 1) << 64n) | view.getBigUint64(p + 9);
            p += 17;
          } else throw new FlowChunkError(`bad address family ${bytes[p]}`);
          break;
        case 3:
          value = bytes[p++]!;
          break;
        case 4:
          value = view.getUint16(p);
          p += 2;
          break;
        case 5:
          value = view.getUint32(p);
          p += 4;
          break;
        case 7: {
          const length = view.getUint32(p);
          value = fromUtf8.decode(bytes.subarray(p + 4, p + 4 + length));
          p += 4 + length;
          break;
        }
        default: {
          const n = view.getUint16(p);
          p += 2;
          const tags: string[] = [];
          for (let i = 0; i < n; i++) {
            const length = view.getUint32(p);
            tags.push(fromUtf8.decode(bytes.subarray(p + 4, p + 4 + length)));
            p += 4 + length;
          }
          value = tags;
        }
      }
      if (p > bytes.length) throw new FlowChunkError('value is cut short');
      const t = target[c]!;
      if (t >= 0) rec[NAMES[t]!] = value as Ip;
    }
    out.push(rec as unknown as FlowRecord);
  }
  return p;
}
