// The on-disk framing of spool segments: a file header, then records of [magic, length, flows,
// CRC-32] + payload. A record cut short by a crash or damaged on disk fails its checksum and is
// never replayed; reading resynchronises on the next intact record.

import * as zlib from 'node:zlib';

/** 'VSSG' + format version, the first 8 bytes of every segment file. */
export const SEGMENT_MAGIC = 0x56535347;
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 8;
/** 'VSR1', the first 4 bytes of every record. */
export const RECORD_MAGIC = 0x56535231;
export const RECORD_HEADER_BYTES = 16;
/** No record is larger: a bigger length field is damage, not data. */
export const MAX_RECORD_BYTES = 1 << 30;

type Crc32 = (data: Uint8Array, initial?: number) => number;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32Js(data: Uint8Array, initial = 0): number {
  let c = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 (IEEE, as zlib and gzip): native zlib.crc32 where Node has it (20.15+), else a table. */
export const crc32: Crc32 = typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? ((zlib as unknown as { crc32: Crc32 }).crc32) : crc32Js;

/** The 8-byte header a new segment file starts with. */
export function segmentHeader(): Uint8Array {
  const out = new Uint8Array(SEGMENT_HEADER_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, SEGMENT_MAGIC);
  view.setUint32(4, SEGMENT_VERSION);
  return out;
}

/**
 * The header of a record whose payload is `parts` concatenated. The CRC covers the length and
 * flow-count fields as well as the payload, so a damaged header is caught like damaged data.
 */
export function recordHeader(parts: readonly Uint8Array[], flows: number): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES);
  const view = new DataView(out.buffer);
  let length = 0;
  for (const p of parts) length += p.length;
  view.setUint32(0, RECORD_MAGIC);
  view.setUint32(4, length);
  view.setUint32(8, flows);
  let crc = crc32(out.subarray(4, 12));
  for (const p of parts) crc = crc32(p, crc);
  view.setUint32(12, crc);
  return out;
}

/** One intact record of a segment. */
export interface SpoolRecord {
  /** Byte offset of the record in its segment. */
  readonly offset: number;
  /** Flows the payload holds, as the writer declared. */
  readonly flows: number;
  /** Flow chunks (see flow-codec), a view into the segment's bytes. */
  readonly payload: Uint8Array;
}

/** Bytes of a segment that did not hold an intact record. */
export interface SegmentDamage {
  /** COLLECT_SPOOL_TORN: an unfinished last record; COLLECT_SPOOL_CORRUPT: damage with intact records after it. */
  readonly code: 'COLLECT_SPOOL_TORN' | 'COLLECT_SPOOL_CORRUPT';
  readonly offset: number;
  readonly bytes: number;
}

/** What reading a segment found. */
export interface SegmentContents {
  readonly records: SpoolRecord[];
  readonly damage: SegmentDamage[];
  /** False when the file does not start with a segment header (it is then ignored entirely). */
  readonly validHeader: boolean;
}

/** The record at `at` when it is intact, else undefined. */
export function recordAt(bytes: Uint8Array, view: DataView, at: number): SpoolRecord | undefined {
  if (at + RECORD_HEADER_BYTES > bytes.length) return undefined;
  if (view.getUint32(at) !== RECORD_MAGIC) return undefined;
  const length = view.getUint32(at + 4);
  if (length > MAX_RECORD_BYTES || at + RECORD_HEADER_BYTES + length > bytes.length) return undefined;
  const payload = bytes.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length);
  const crc = crc32(payload, crc32(bytes.subarray(at + 4, at + 12)));
  if (crc !== view.getUint32(at + 12)) return undefined;
  return { offset: at, flows: view.getUint32(at + 8), payload };
}

/** Resynchronising after damage: the first offset from `from` on holding a record that checks out, or -1. */
export function nextIntactRecord(bytes: Uint8Array, view: DataView, from: number): number {
  for (let p = from; p + RECORD_HEADER_BYTES <= bytes.length; p++) {
    if (bytes[p] !== 0x56 || view.getUint32(p) !== RECORD_MAGIC) continue;
    if (recordAt(bytes, view, p)) return p;
  }
  return -1;
}

/**
 * Splits a segment's bytes into intact records, in write order. Damaged bytes are skipped up to
 * the next record that checks out; damage with nothing intact after it is a torn tail.
 */
export function readSegment(bytes: Uint8Array): SegmentContents {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: SpoolRecord[] = [];
  const damage: SegmentDamage[] = [];
  if (bytes.length < SEGMENT_HEADER_BYTES || view.getUint32(0) !== SEGMENT_MAGIC || view.getUint32(4) !== SEGMENT_VERSION) {
    return { records, damage, validHeader: false };
  }
  let at = SEGMENT_HEADER_BYTES;
  while (at < bytes.length) {
    const record = recordAt(bytes, view, at);
    if (record) {
      records.push(record);
      at += RECORD_HEADER_BYTES + record.payload.length;
      continue;
    }
    const next = nextIntactRecord(bytes, view, at + 1);
    if (next < 0) {
      damage.push({ code: 'COLLECT_SPOOL_TORN', offset: at, bytes: bytes.length - at });
      break;
    }
    damage.push({ code: 'COLLECT_SPOOL_CORRUPT', offset: at, bytes: next - at });
    at = next;
  }
  return { records, damage, validHeader: true };
}
