// ARP (RFC 826) from a captured frame: a cheap look at the link header that finds the ARP
// packet behind Ethernet (802.1Q/802.1ad tags included) or a Linux cooked header, and the parse
// of IPv4-over-Ethernet ARP. Pure; a malformed packet gives a coded problem, never an exception.

/** EtherType of ARP. */
export const ETHERTYPE_ARP = 0x0806;

/** ARP operation codes this code tells apart (RFC 826; RARP and InARP use others). */
export const ARP_OPCODE = { REQUEST: 1, REPLY: 2 } as const;

/** Link-layer header types whose ARP frames are found (www.tcpdump.org/linktypes.html). */
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;

const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const ETH_IPV4 = 0x0800;
/** Bounds the tag loop against crafted input, as the packet decoder does. */
const MAX_TAGS = 8;
/** Fixed header (8 bytes) plus two 6-byte hardware and two 4-byte protocol addresses. */
const ARP_IPV4_LENGTH = 28;

/** One IPv4-over-Ethernet ARP packet. Addresses as the flow store holds them: IPv4 and MAC as integers. */
export interface ArpPacket {
  readonly opcode: number;
  /** Sender hardware address (SHA), a 48-bit integer. */
  readonly senderMac: number;
  /** Sender protocol address (SPA); 0 (0.0.0.0) in an RFC 5227 probe. */
  readonly senderIp: number;
  /** Target hardware address (THA); zero in a request that does not know it. */
  readonly targetMac: number;
  /** Target protocol address (TPA): the address asked about. */
  readonly targetIp: number;
}

/** Why an ARP frame was not read: cut short, or ARP for another hardware or protocol type. */
export type ArpProblemCode = 'DECODE_ARP_TRUNCATED' | 'DECODE_ARP_UNSUPPORTED';

/** The outcome of parsing an ARP packet. */
export type ArpParse =
  | { readonly ok: true; readonly packet: ArpPacket }
  | { readonly ok: false; readonly code: ArpProblemCode; readonly message: string };

/**
 * Where the ARP packet of a frame starts, or -1 when the frame is not ARP. Reads only the
 * EtherType (and the VLAN tags before it): the check every frame of a capture pays.
 */
export function arpOffset(data: Uint8Array, linkType: number): number {
  let type: number;
  let at: number;
  if (linkType === LINKTYPE_ETHERNET) {
    if (data.length < 14) return -1;
    type = (data[12]! << 8) | data[13]!;
    at = 14;
  } else if (linkType === LINKTYPE_LINUX_SLL) {
    if (data.length < 16) return -1;
    type = (data[14]! << 8) | data[15]!;
    at = 16;
  } else if (linkType === LINKTYPE_LINUX_SLL2) {
    if (data.length < 20) return -1;
    type = (data[0]! << 8) | data[1]!;
    at = 20;
  } else {
    return -1;
  }
  if (type === ETHERTYPE_ARP) return at;
  for (let tags = 0; (type === ETH_VLAN || type === ETH_QINQ || type === ETH_QINQ_OLD) && tags < MAX_TAGS; tags++) {
    if (at + 4 > data.length) return -1;
    type = (data[at + 2]! << 8) | data[at + 3]!;
    at += 4;
  }
  return type === ETHERTYPE_ARP ? at : -1;
}

function read48(data: Uint8Array, at: number): number {
  return ((data[at]! << 8) | data[at + 1]!) * 4294967296 + (((data[at + 2]! << 24) | (data[at + 3]! << 16) | (data[at + 4]! << 8) | data[at + 5]!) >>> 0);
}

function read32(data: Uint8Array, at: number): number {
  return ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
}

/**
 * Parses the ARP packet at `offset`. Any hardware type with 6-byte addresses is read (Ethernet,
 * IEEE 802); other sizes and protocols than IPv4 are unsupported. Bytes after the 28 (Ethernet
 * padding) are ignored.
 */
export function parseArp(data: Uint8Array, offset: number): ArpParse {
  if (offset < 0 || offset + 8 > data.length) {
    return { ok: false, code: 'DECODE_ARP_TRUNCATED', message: `ARP header cut short: ${Math.max(0, data.length - offset)} of 8 bytes` };
  }
  const ptype = (data[offset + 2]! << 8) | data[offset + 3]!;
  const hlen = data[offset + 4]!;
  const plen = data[offset + 5]!;
  if (ptype !== ETH_IPV4 || hlen !== 6 || plen !== 4) {
    return {
      ok: false,
      code: 'DECODE_ARP_UNSUPPORTED',
      message: `ARP for protocol 0x${ptype.toString(16).padStart(4, '0')} with ${hlen}-byte hardware and ${plen}-byte protocol addresses (only IPv4 over 6-byte MACs is read)`,
    };
  }
  if (offset + ARP_IPV4_LENGTH > data.length) {
    return { ok: false, code: 'DECODE_ARP_TRUNCATED', message: `ARP packet cut short: ${data.length - offset} of ${ARP_IPV4_LENGTH} bytes` };
  }
  return {
    ok: true,
    packet: {
      opcode: (data[offset + 6]! << 8) | data[offset + 7]!,
      senderMac: read48(data, offset + 8),
      senderIp: read32(data, offset + 14),
      targetMac: read48(data, offset + 18),
      targetIp: read32(data, offset + 24),
    },
  };
}

/** The ARP packet of a frame: undefined when the frame is not ARP, else the parse. */
export function parseArpFrame(data: Uint8Array, linkType: number): ArpParse | undefined {
  const at = arpOffset(data, linkType);
  return at < 0 ? undefined : parseArp(data, at);
}

/** A 48-bit MAC as text, lower-case and colon-separated as tshark prints it. */
export function formatMac(mac: number): string {
  const hex = mac.toString(16).padStart(12, '0');
  return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`;
}
