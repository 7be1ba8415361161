// UDP services abused for reflection: a flood of answers from these source ports towards a host
// that never asked is someone else's request with the victim's address forged as its source.

/** One abusable UDP service, known by the source port its answers come from. */
export interface ReflectionService {
  readonly port: number;
  /** Short lower-case name used in the finding's subkind (`dns` gives `dns-amplification`). */
  readonly service: string;
  /**
   * `amplification` when an answer is many times the request (the attacker's bandwidth
   * multiplied), `reflection` when it is about the request's size (the attacker hidden and
   * spread over many reflectors, not multiplied).
   */
  readonly kind: 'amplification' | 'reflection';
}

/**
 * The services watched by default. Bandwidth amplification factors quoted are those of US-CERT
 * alert TA14-017A ("UDP-Based Amplification Attacks") where it lists the protocol; the others
 * are the services DDoS mitigation vendors report in reflection attacks. IKE (500 and 4500)
 * answers are about the size of the request: reflection rather than amplification.
 */
export const REFLECTION_SERVICES: readonly ReflectionService[] = [
  { port: 17, service: 'qotd', kind: 'amplification' }, // 140.3
  { port: 19, service: 'chargen', kind: 'amplification' }, // 358.8
  { port: 53, service: 'dns', kind: 'amplification' }, // 28 to 54
  { port: 69, service: 'tftp', kind: 'amplification' }, // 60
  { port: 111, service: 'portmap', kind: 'amplification' }, // 7 to 28
  { port: 123, service: 'ntp', kind: 'amplification' }, // 556.9 (monlist)
  { port: 137, service: 'netbios', kind: 'reflection' }, // 3.8
  { port: 161, service: 'snmp', kind: 'amplification' }, // 6.3 (GetBulk)
  { port: 389, service: 'cldap', kind: 'amplification' }, // 56 to 70
  { port: 427, service: 'slp', kind: 'amplification' },
  { port: 500, service: 'isakmp', kind: 'reflection' },
  { port: 520, service: 'rip', kind: 'amplification' }, // 131.24 (RIPv1)
  { port: 1194, service: 'openvpn', kind: 'reflection' },
  { port: 1434, service: 'mssql', kind: 'amplification' },
  { port: 1900, service: 'ssdp', kind: 'amplification' }, // 30.8
  { port: 3283, service: 'arms', kind: 'amplification' }, // 35.5
  { port: 3478, service: 'stun', kind: 'reflection' },
  { port: 3702, service: 'ws-discovery', kind: 'amplification' }, // 10 to 500
  { port: 4500, service: 'isakmp', kind: 'reflection' }, // IKE over NAT-T
  { port: 5353, service: 'mdns', kind: 'amplification' }, // 2 to 10
  { port: 5683, service: 'coap', kind: 'amplification' },
  { port: 10001, service: 'ubiquiti', kind: 'amplification' },
  { port: 11211, service: 'memcached', kind: 'amplification' }, // 10,000 to 51,000
  { port: 27015, service: 'steam', kind: 'reflection' }, // 5.5
  { port: 33848, service: 'jenkins', kind: 'amplification' },
  { port: 37810, service: 'dhdiscover', kind: 'amplification' },
];

/**
 * The services to watch: the defaults plus extra ports from the settings (named `udp<port>`,
 * counted as reflection since nothing is known of their answers' size).
 */
export function reflectionServices(extraPorts: readonly number[] = []): ReadonlyMap<number, ReflectionService> {
  const out = new Map<number, ReflectionService>(REFLECTION_SERVICES.map((s) => [s.port, s]));
  for (const port of extraPorts) if (!out.has(port)) out.set(port, { port, service: `udp${port}`, kind: 'reflection' });
  return out;
}
