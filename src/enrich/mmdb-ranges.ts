// Reads a MaxMind-format (.mmdb) database into address ranges: the search tree is walked once
// (every leaf is a network), and each distinct data record is decoded once through mmdb-lib's
// public reader. Lookups then cost a binary search instead of a 32-128 step tree walk with
// string parsing, which is what per-flow enrichment can afford.

import { Reader } from 'mmdb-lib';
import { formatIpv4, formatIpv6 } from '../core/ip.js';

/** A network of the database and its data record (as mmdb-lib decodes it). */
export interface MmdbRange {
  readonly first: number | bigint;
  readonly last: number | bigint;
  readonly record: Record<string, unknown>;
}

/** Facts about the database, for `intel stats`. */
export interface MmdbInfo {
  readonly databaseType: string;
  readonly buildEpoch: number;
  readonly ipVersion: number;
  readonly nodeCount: number;
}

function recordReader(db: Buffer, recordSize: number, nodeByteSize: number): (node: number, right: number) => number {
  switch (recordSize) {
    case 24:
      return (node, right) => {
        const o = node * nodeByteSize + right * 3;
        return (db[o]! << 16) | (db[o + 1]! << 8) | db[o + 2]!;
      };
    case 28:
      return (node, right) => {
        const o = node * nodeByteSize;
        if (right === 0) return ((db[o + 3]! & 0xf0) << 20) | (db[o]! << 16) | (db[o + 1]! << 8) | db[o + 2]!;
        return ((db[o + 3]! & 0x0f) << 24) | (db[o + 4]! << 16) | (db[o + 5]! << 8) | db[o + 6]!;
      };
    case 32:
      return (node, right) => db.readUInt32BE(node * nodeByteSize + right * 4);
    default:
      throw new Error(`unsupported mmdb record size ${recordSize}`);
  }
}

/**
 * Every network with data in the database, IPv4 (from the IPv4 subtree of an IPv6 database,
 * without its ::ffff:0:0/96 and 2002::/16 aliases) and IPv6, in address order per family.
 */
export function readMmdbRanges(db: Buffer): { ranges: MmdbRange[]; info: MmdbInfo } {
  const reader = new Reader<Record<string, unknown>>(db);
  const { nodeCount, recordSize, nodeByteSize, ipVersion, databaseType, buildEpoch } = reader.metadata;
  const child = recordReader(db, recordSize, nodeByteSize);
  const decoded = new Map<number, Record<string, unknown>>();
  const record = (pointer: number, first: number | bigint): Record<string, unknown> => {
    let r = decoded.get(pointer);
    if (r === undefined) {
      r = reader.get(typeof first === 'number' ? formatIpv4(first) : formatIpv6(first)) ?? {};
      decoded.set(pointer, r);
    }
    return r;
  };
  const ranges: MmdbRange[] = [];
  let v4Root = 0;
  if (ipVersion === 6) for (let i = 0; i < 96 && v4Root < nodeCount; i++) v4Root = child(v4Root, 0);

  // IPv4: numbers suffice.
  if (v4Root < nodeCount) {
    const stack: [number, number, number][] = [[v4Root, 0, 0]];
    while (stack.length > 0) {
      const [node, depth, prefix] = stack.pop()!;
      for (let bit = 1; bit >= 0; bit--) {
        const next = child(node, bit);
        const first = prefix + bit * 2 ** (31 - depth);
        if (next < nodeCount) {
          if (depth + 1 < 32) stack.push([next, depth + 1, first]);
        } else if (next > nodeCount) {
          ranges.push({ first, last: first + 2 ** (31 - depth) - 1, record: record(next, first) });
        }
      }
    }
  }
  if (ipVersion === 6) {
    const stack: [number, number, bigint][] = [[0, 0, 0n]];
    while (stack.length > 0) {
      const [node, depth, prefix] = stack.pop()!;
      for (let bit = 1; bit >= 0; bit--) {
        const next = child(node, bit);
        const first = prefix | (BigInt(bit) << BigInt(127 - depth));
        if (next < nodeCount) {
          // The IPv4 subtree and its aliases were read above as IPv4.
          if (next !== v4Root && depth + 1 < 128) stack.push([next, depth + 1, first]);
        } else if (next > nodeCount) {
          ranges.push({ first, last: first | ((1n << BigInt(127 - depth)) - 1n), record: record(next, first) });
        }
      }
    }
  }
  return { ranges, info: { databaseType, buildEpoch: buildEpoch.getTime(), ipVersion, nodeCount } };
}
