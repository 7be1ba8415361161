// The demo's fictional organisation and the internet around it: address plan, border routers,
// interfaces, VLANs and the external networks (with their real-world ASNs) that traffic goes to.

import { parseCidr, parseIp, type Ip, type IpRange } from '../core/ip.js';

/** Our own autonomous system (RFC 5398 documentation ASN). */
export const ORG_ASN = 64496;

/** Internal IPv4 and IPv6 prefixes of the organisation. */
export const ORG_PREFIX_V4 = '10.20.0.0/16';
export const ORG_PREFIX_V6 = '2001:db8:20::/48';

/** Third octet of each workstation /24 (10.20.N.0/24, VLAN 100+N, IPv6 2001:db8:20:N::/64). */
export const WORKSTATION_SUBNETS = [1, 2, 3, 4, 5, 6, 7, 8] as const;
/** Host numbers used in each workstation subnet (the rest of the /24 is unassigned). */
export const WORKSTATION_HOSTS = { first: 10, last: 249 } as const;
/** Third octet of the server subnet 10.20.100.0/24 (VLAN 200, IPv6 2001:db8:20:100::/64). */
export const SERVER_SUBNET = 100;
export const SERVER_VLAN = 200;

/** The servers: IPv4 and IPv6 addresses mirror each other (10.20.100.25 <-> 2001:db8:20:100::25). */
export const SERVERS = {
  web: { v4: '10.20.100.10', v6: '2001:db8:20:100::10', ports: [443, 80] },
  mail: { v4: '10.20.100.25', v6: '2001:db8:20:100::25', ports: [25, 587, 993] },
  dns1: { v4: '10.20.100.53', v6: '2001:db8:20:100::53', ports: [53] },
  dns2: { v4: '10.20.100.54', v6: '2001:db8:20:100::54', ports: [53] },
} as const;

/** Workstations whose users administer cloud machines over SSH. */
export const ADMIN_WORKSTATIONS = ['10.20.2.10', '10.20.2.11', '10.20.2.12', '10.20.2.13', '10.20.2.14'] as const;

/** A border router: NetFlow exporter address, its uplink interface and the transit AS behind it. */
export interface BorderRouter {
  readonly exporter: string;
  readonly uplinkIfIndex: number;
  readonly transitAsn: number;
  readonly transitName: string;
}

/**
 * Two border routers that also route between the internal VLANs, so inter-VLAN traffic
 * (workstations to the resolvers and the mail server) is exported too. Each is the active
 * gateway for half of the VLANs (odd third octet: router 1, even: router 2), and each has its
 * own transit uplink; inbound traffic from the internet arrives on either uplink.
 */
export const BORDER_ROUTERS: readonly [BorderRouter, BorderRouter] = [
  { exporter: '192.0.2.1', uplinkIfIndex: 1, transitAsn: 174, transitName: 'Cogent' },
  { exporter: '192.0.2.2', uplinkIfIndex: 1, transitAsn: 3356, transitName: 'Lumen' },
];

/** SNMP ifIndex of a VLAN interface: VLAN 101..108 (workstations) and 200 (servers) share their number. */
export function vlanIfIndex(thirdOctet: number): number {
  if (thirdOctet === SERVER_SUBNET) return SERVER_VLAN;
  if (thirdOctet >= 1 && thirdOctet <= WORKSTATION_SUBNETS.length) return 100 + thirdOctet;
  return 0; // unassigned subnet: no interface, the router discards the packet
}

/** An external network: its owner's ASN and some of the owner's announced prefixes. */
export interface ExternalNetwork {
  readonly name: string;
  readonly asn: number;
  readonly v4: readonly string[];
  readonly v6?: readonly string[];
  /** Relative share of the workstations' web connections (popular services only). */
  readonly weight?: number;
  /** Answers QUIC (UDP 443). */
  readonly quic?: boolean;
}

/**
 * Popular services reached from the workstations. The prefixes belong to these ASNs in the real
 * routing table; only the flows are invented.
 */
export const POPULAR_SERVICES: readonly ExternalNetwork[] = [
  { name: 'Google', asn: 15169, v4: ['142.250.0.0/15', '172.217.0.0/16', '216.58.192.0/19'], v6: ['2a00:1450::/32'], weight: 24, quic: true },
  { name: 'Microsoft', asn: 8075, v4: ['13.107.0.0/16', '20.190.128.0/18', '52.96.0.0/14'], v6: ['2620:1ec::/36'], weight: 20 },
  { name: 'Amazon', asn: 16509, v4: ['13.224.0.0/14', '52.84.0.0/15', '54.230.0.0/16'], v6: ['2600:9000::/28'], weight: 12 },
  { name: 'Cloudflare', asn: 13335, v4: ['104.16.0.0/13', '172.64.0.0/13', '162.159.0.0/16'], v6: ['2606:4700::/32'], weight: 15, quic: true },
  { name: 'Akamai', asn: 20940, v4: ['23.32.0.0/11', '2.16.0.0/13'], v6: ['2a02:26f0::/29'], weight: 10 },
  { name: 'Meta', asn: 32934, v4: ['157.240.0.0/16', '31.13.64.0/18'], v6: ['2a03:2880::/32'], weight: 6, quic: true },
  { name: 'Fastly', asn: 54113, v4: ['151.101.0.0/16'], v6: ['2a04:4e42::/32'], weight: 5 },
  { name: 'Apple', asn: 714, v4: ['17.0.0.0/8'], v6: ['2620:149::/32'], weight: 4 },
  { name: 'GitHub', asn: 36459, v4: ['140.82.112.0/20'], weight: 2 },
  { name: 'Zoom', asn: 30103, v4: ['170.114.0.0/16'], weight: 2 },
];

/** Hosting and transit networks: the long tail of web sites, DNS servers, NTP servers, SSH targets, scanners. */
export const HOSTING_NETWORKS: readonly ExternalNetwork[] = [
  { name: 'OVH', asn: 16276, v4: ['51.68.0.0/16', '54.36.0.0/16'] },
  { name: 'Hetzner', asn: 24940, v4: ['88.198.0.0/16', '116.202.0.0/16'] },
  { name: 'DigitalOcean', asn: 14061, v4: ['167.99.0.0/16', '159.89.0.0/16'] },
  { name: 'Linode', asn: 63949, v4: ['172.104.0.0/15'] },
  { name: 'Leaseweb', asn: 60781, v4: ['5.79.64.0/18'] },
  { name: 'Contabo', asn: 51167, v4: ['161.97.64.0/18'] },
  { name: 'Cogent', asn: 174, v4: ['38.0.0.0/8'] },
  { name: 'Lumen', asn: 3356, v4: ['4.0.0.0/9'] },
  { name: 'Telia', asn: 1299, v4: ['62.115.0.0/16'] },
  { name: 'NTT', asn: 2914, v4: ['129.250.0.0/16'] },
  { name: 'Chinanet', asn: 4134, v4: ['61.128.0.0/10'] },
  { name: 'Vultr', asn: 20473, v4: ['45.32.0.0/16'] },
];

/** Consumer ISPs: customers of the web site, and much of the internet's background scanning. */
export const RESIDENTIAL_NETWORKS: readonly ExternalNetwork[] = [
  { name: 'Deutsche Telekom', asn: 3320, v4: ['79.192.0.0/10', '87.128.0.0/10'], v6: ['2003::/19'] },
  { name: 'Orange', asn: 3215, v4: ['90.0.0.0/9'], v6: ['2a01:cb00::/32'] },
  { name: 'BT', asn: 2856, v4: ['86.128.0.0/10'], v6: ['2a00:23c0::/29'] },
  { name: 'Comcast', asn: 7922, v4: ['73.0.0.0/8'], v6: ['2601::/20'] },
  { name: 'Vodafone DE', asn: 3209, v4: ['88.64.0.0/12'], v6: ['2a02:8100::/27'] },
  { name: 'Free', asn: 12322, v4: ['82.64.0.0/14'], v6: ['2a01:e00::/26'] },
  { name: 'Telefonica ES', asn: 3352, v4: ['83.32.0.0/11'] },
];

/** Mail providers that send to and receive from our mail server. */
export const MAIL_NETWORKS: readonly ExternalNetwork[] = [
  { name: 'Google mail', asn: 15169, v4: ['209.85.128.0/17'] },
  { name: 'Microsoft mail', asn: 8075, v4: ['52.100.0.0/14'] },
  { name: 'Amazon SES', asn: 16509, v4: ['54.240.0.0/18'] },
  { name: 'Mailgun', asn: 396479, v4: ['69.72.32.0/20'] },
];

/** Public resolvers that the workstations ping to test connectivity. */
export const PING_TARGETS = [
  { ip: '8.8.8.8', asn: 15169 },
  { ip: '1.1.1.1', asn: 13335 },
  { ip: '9.9.9.9', asn: 19281 },
] as const;

/** Parses an address the demo tables spell out (they are all valid). */
export function demoIp(text: string): Ip {
  const ip = parseIp(text);
  if (ip === undefined) throw new Error(`demo address ${text} is invalid`);
  return ip;
}

/** Parses a prefix the demo tables spell out. */
export function demoPrefix(text: string): IpRange {
  const range = parseCidr(text);
  if (range === undefined) throw new Error(`demo prefix ${text} is invalid`);
  return range;
}
