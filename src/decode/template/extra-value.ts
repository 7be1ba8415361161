// Renders element values kept in a record's `extra` (no column for them) by their value kind.

import { formatIp, type Ip } from '../../core/ip.js';
import type { ExtraValue } from '../decoded-flow.js';
import { readIpv6, readText, readUint, toHex } from '../read-bytes.js';
import type { ValueKind } from './information-elements.js';

/** The `extra` rendering of an element value of `length` bytes at `offset`. */
export function extraValue(kind: ValueKind, view: DataView, bytes: Uint8Array, offset: number, length: number): ExtraValue {
  switch (kind) {
    case 'uint': {
      const value = readUint(view, offset, length);
      if (Number.isSafeInteger(value)) return value;
      // Beyond 2^53 a number would round: keep the exact decimal text.
      let exact = 0n;
      for (let i = 0; i < length; i++) exact = exact * 256n + BigInt(bytes[offset + i]!);
      return exact.toString();
    }
    case 'text':
      return readText(bytes, offset, length);
    case 'ipv4':
      return length === 4 ? `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}` : toHex(bytes, offset, length);
    case 'ipv6':
      return length === 16 ? ipv6Text(view, offset) : toHex(bytes, offset, length);
    case 'mac':
      return toHex(bytes, offset, length).replace(/(..)(?!$)/g, '$1:');
    case 'auto':
      return isPrintable(bytes, offset, length) ? readText(bytes, offset, length) : toHex(bytes, offset, length);
    default:
      return toHex(bytes, offset, length);
  }
}

let lastV6: Ip | undefined;
let lastV6Text = '';

/**
 * IPv6 addresses kept in `extra` are text; formatting one costs about a microsecond, and such
 * elements (top MPLS label address, exporter address...) mostly repeat, so the last one is kept.
 */
function ipv6Text(view: DataView, offset: number): string {
  if ((view.getUint32(offset) | view.getUint32(offset + 4) | view.getUint32(offset + 8) | view.getUint32(offset + 12)) === 0) return '::';
  const ip = readIpv6(view, offset);
  if (ip !== lastV6) {
    lastV6 = ip;
    lastV6Text = formatIp(ip);
  }
  return lastV6Text;
}

/** True when a byte range is printable text (no control characters), NUL padding allowed at its end. */
function isPrintable(bytes: Uint8Array, offset: number, length: number): boolean {
  let end = offset + length;
  while (end > offset && bytes[end - 1] === 0) end--;
  if (end === offset) return false;
  for (let i = offset; i < end; i++) {
    const b = bytes[i]!;
    if (b < 0x20 ? b !== 0x09 : b === 0x7f) return false;
  }
  return true;
}
