// IP protocol names and numbers, as IANA and flow tools (nfdump, Zeek, Argus) spell them.

/** IANA keywords and the spellings flow tools use, lower case. */
const NAME_LIST: Record<string, number> = {
  hopopt: 0,
  ip: 0,
  icmp: 1,
  icmp4: 1,
  igmp: 2,
  ggp: 3,
  ipv4: 4,
  'ip-in-ip': 4,
  ipencap: 4,
  ipnip: 4,
  st: 5,
  tcp: 6,
  cbt: 7,
  egp: 8,
  igp: 9,
  pup: 12,
  udp: 17,
  hmp: 20,
  'xns-idp': 22,
  rdp: 27,
  'iso-tp4': 29,
  dccp: 33,
  xtp: 36,
  ddp: 37,
  'idpr-cmtp': 38,
  ipv6: 41,
  sdrp: 42,
  'ipv6-route': 43,
  'ipv6-frag': 44,
  idrp: 45,
  rsvp: 46,
  gre: 47,
  dsr: 48,
  bna: 49,
  esp: 50,
  ah: 51,
  'i-nlsp': 52,
  swipe: 53,
  narp: 54,
  mobile: 55,
  tlsp: 56,
  skip: 57,
  icmp6: 58,
  icmpv6: 58,
  'ipv6-icmp': 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  eigrp: 88,
  ospf: 89,
  ospfigp: 89,
  'ax.25': 93,
  ipip: 94,
  etherip: 97,
  encap: 98,
  pim: 103,
  ipcomp: 108,
  vrrp: 112,
  l2tp: 115,
  isis: 124,
  'isis-over-ipv4': 124,
  sctp: 132,
  fc: 133,
  'mobility-header': 135,
  udplite: 136,
  'mpls-in-ip': 137,
  manet: 138,
  hip: 139,
  shim6: 140,
  wesp: 141,
  rohc: 142,
  ethernet: 143,
};
// A Map, so input such as `constructor` cannot reach Object.prototype.
const NAMES = new Map(Object.entries(NAME_LIST));

/**
 * Protocol number for a name (any spelling in the table, case-insensitive) or a decimal number;
 * -1 when unknown. The common spellings come first: this runs once per imported line.
 */
export function protocolNumber(text: string): number {
  switch (text) {
    case 'TCP':
    case 'tcp':
    case '6':
      return 6;
    case 'UDP':
    case 'udp':
    case '17':
      return 17;
    case 'ICMP':
    case 'icmp':
    case '1':
      return 1;
  }
  const t = text.trim();
  if (t.length === 0) return -1;
  const c = t.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    if (!/^\d{1,3}$/.test(t)) return -1;
    const n = Number(t);
    return n <= 255 ? n : -1;
  }
  return NAMES.get(t.toLowerCase()) ?? -1;
}

/** True for ICMP and ICMPv6, whose type and code ride in the destination port. */
export function isIcmp(proto: number): boolean {
  return proto === 1 || proto === 58;
}

const COMMON_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 58: 'icmp6', 132: 'sctp' };

/** The name analysts write for a protocol number (tcp, udp, icmp...), else the number as text. */
export function protocolName(proto: number): string {
  return COMMON_NAMES[proto] ?? String(proto);
}
