// IP protocol names and numbers, as nfdump and IANA spell them.

const BY_NAME: Record<string, number> = {
  hopopt: 0, icmp: 1, igmp: 2, ggp: 3, ipip: 4, ipv4: 4, st: 5, tcp: 6, cbt: 7, egp: 8, igp: 9,
  pup: 12, udp: 17, idp: 22, rdp: 27, ipv6: 41, 'ipv6-route': 43, 'ipv6-frag': 44, idrp: 45,
  rsvp: 46, gre: 47, esp: 50, ah: 51, icmp6: 58, 'ipv6-icmp': 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60,
  eigrp: 88, ospf: 89, ax25: 93, ipipv4: 94, etherip: 97, encap: 98, pim: 103, ipcomp: 108,
  vrrp: 112, l2tp: 115, isis: 124, sctp: 132, fc: 133, 'mobility-header': 135, udplite: 136,
  mpls: 137, hip: 139, shim6: 140, wesp: 141, rohc: 142,
};

const BY_NUMBER = new Map<number, string>();
for (const [name, n] of Object.entries(BY_NAME)) if (!BY_NUMBER.has(n)) BY_NUMBER.set(n, name);

/** Protocol number for a name (case-insensitive) or a decimal number; undefined if unknown. */
export function protocolNumber(text: string): number | undefined {
  if (/^\d{1,3}$/.test(text)) {
    const n = Number(text);
    return n <= 255 ? n : undefined;
  }
  return BY_NAME[text.toLowerCase()];
}

/** Lower-case protocol name for a number, or the number as text. */
export function protocolName(n: number): string {
  return BY_NUMBER.get(n) ?? String(n);
}
