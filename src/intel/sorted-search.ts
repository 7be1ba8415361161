// Binary search over sorted address boundaries, the one primitive under the indicator index and
// the ASN/geo tables. IPv4 searches start from a /16 block table, so each lookup touches a few
// entries of a typed array instead of the whole list: that is what makes millions per second.

/** Entries of the /16 block table: one per /16 plus the end. */
const BLOCKS = 65_537;

/**
 * For sorted starts, the index of the last start ≤ the first address of each /16 (or 0), so a
 * search for an address in /16 number k only needs the slice [blocks[k], blocks[k + 1]].
 */
export function buildV4Blocks(starts: Uint32Array): Uint32Array {
  const blocks = new Uint32Array(BLOCKS);
  let i = 0;
  for (let k = 0; k < BLOCKS; k++) {
    const edge = k * 65536;
    while (i + 1 < starts.length && starts[i + 1]! <= edge) i++;
    blocks[k] = i;
  }
  return blocks;
}

/** Index of the last start ≤ ip, or -1 when every start is greater (or there are none). */
export function searchV4(starts: Uint32Array, blocks: Uint32Array, ip: number): number {
  if (starts.length === 0) return -1;
  const k = ip >>> 16;
  let lo = blocks[k]!;
  let hi = blocks[k + 1]!;
  if (starts[lo]! > ip) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= ip) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Index of the last start ≤ ip in sorted 128-bit starts, or -1. */
export function searchV6(starts: readonly bigint[], ip: bigint): number {
  let lo = 0;
  let hi = starts.length - 1;
  if (hi < 0 || starts[0]! > ip) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= ip) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
