// Bounds-free big-endian readers shared by the decoders; callers check bounds once per structure.

import type { Ip } from '../core/ip.js';

/** Unsigned big-endian integer of 0-8 bytes (reduced-size encoding, RFC 7011 §6.2). Exact below 2^53. */
export function readUint(view: DataView, offset: number, length: number): number {
  switch (length) {
    case 1:
      return view.getUint8(offset);
    case 2:
      return view.getUint16(offset);
    case 4:
      return view.getUint32(offset);
    case 8:
      return view.getUint32(offset) * 4294967296 + view.getUint32(offset + 4);
    case 3:
      return view.getUint16(offset) * 256 + view.getUint8(offset + 2);
    default: {
      let value = 0;
      for (let i = 0; i < length; i++) value = value * 256 + view.getUint8(offset + i);
      return value;
    }
  }
}

/** An IPv4 address as the unsigned number the core Ip type uses. */
export function readIpv4(view: DataView, offset: number): number {
  return view.getUint32(offset);
}

// A direct-mapped cache of recent IPv6 addresses: building a 128-bit bigint takes three bigint
// allocations, and flows repeat the same hosts, so a hit (four word compares) is much cheaper.
const V6_CACHE_SIZE = 4096;
const v6Words = new Uint32Array(V6_CACHE_SIZE * 4);
const v6Values: (bigint | undefined)[] = new Array<bigint | undefined>(V6_CACHE_SIZE).fill(undefined);

/** An IPv6 address as a bigint; IPv4-mapped addresses (::ffff:a.b.c.d) become IPv4 numbers, as core/ip does. */
export function readIpv6(view: DataView, offset: number): Ip {
  const a = view.getUint32(offset);
  const b = view.getUint32(offset + 4);
  const c = view.getUint32(offset + 8);
  const d = view.getUint32(offset + 12);
  if (a === 0 && b === 0 && c === 0xffff) return d;
  const slot = (Math.imul(a ^ c, 0x9e3779b1) ^ Math.imul(b ^ d, 0x85ebca6b)) >>> 20;
  const w = slot * 4;
  const cached = v6Values[slot];
  if (cached !== undefined && v6Words[w] === a && v6Words[w + 1] === b && v6Words[w + 2] === c && v6Words[w + 3] === d) return cached;
  const value = (view.getBigUint64(offset) << 64n) | view.getBigUint64(offset + 8);
  v6Words[w] = a;
  v6Words[w + 1] = b;
  v6Words[w + 2] = c;
  v6Words[w + 3] = d;
  v6Values[slot] = value;
  return value;
}

/** True when all `length` bytes from `offset` are zero (unset addresses in mixed v4/v6 templates). */
export function isZero(bytes: Uint8Array, offset: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[offset + i] !== 0) return false;
  return true;
}

/** A 48-bit MAC address as an integer. */
export function readMac(view: DataView, offset: number): number {
  return view.getUint16(offset) * 4294967296 + view.getUint32(offset + 2);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of a byte range, for elements kept without a known type. */
export function toHex(bytes: Uint8Array, offset: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += HEX[bytes[offset + i]!]!;
  return text;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Text of a string element: UTF-8, trailing NUL padding removed. */
export function readText(bytes: Uint8Array, offset: number, length: number): string {
  let end = offset + length;
  while (end > offset && bytes[end - 1] === 0) end--;
  return utf8.decode(bytes.subarray(offset, end));
}

/** A DataView over exactly the bytes of a Uint8Array (which may be a slice of a larger buffer). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
