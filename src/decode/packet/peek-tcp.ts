// A look at the raw bytes of the common frames (Ethernet with at most one VLAN tag, or raw IP;
// unfragmented IPv4, or IPv6 straight to TCP) that finds the TCP header without the full
// decode, so payload extractors can rule most frames out cheaply. Any other frame (tunnels,
// MPLS, extension headers...) is left to the full decode.

const TCP = 6;

/** Where a peeked TCP segment lies in the frame (filled by {@link peekTcp}; reused, no allocation). */
export interface TcpPeek {
  /** Offset of the TCP header. */
  l4: number;
  /** End of the IP packet (may lie past the captured bytes). */
  ipEnd: number;
}

/**
 * `tcp` (with `out` filled, the TCP header's 20 bytes captured), `not-tcp` (an IPv4 packet of
 * another protocol), or `unknown` (anything else: decode it fully).
 */
export function peekTcp(data: Uint8Array, linkType: number, out: TcpPeek): 'tcp' | 'not-tcp' | 'unknown' {
  let ip: number;
  if (linkType === 1) {
    ip = 14;
    let type = (data[12]! << 8) | data[13]!;
    if (type === 0x8100) {
      ip = 18;
      type = (data[16]! << 8) | data[17]!;
    }
    if (type !== 0x0800 && type !== 0x86dd) return 'unknown';
  } else if (linkType === 101 || linkType === 228 || linkType === 229 || linkType === 12 || linkType === 14) {
    ip = 0;
  } else return 'unknown';
  if (data.length < ip + 40) return 'unknown';
  const version = data[ip]! >> 4;
  if (version === 4) {
    if (data[ip + 9] !== TCP) return 'not-tcp';
    if ((((data[ip + 6]! & 0x1f) << 8) | data[ip + 7]!) !== 0) return 'unknown';
    out.l4 = ip + (data[ip]! & 0x0f) * 4;
    out.ipEnd = ip + ((data[ip + 2]! << 8) | data[ip + 3]!);
  } else if (version === 6) {
    if (data[ip + 6] !== TCP) return 'unknown';
    out.l4 = ip + 40;
    out.ipEnd = ip + 40 + ((data[ip + 4]! << 8) | data[ip + 5]!);
  } else return 'unknown';
  return out.l4 + 20 > data.length ? 'unknown' : 'tcp';
}
