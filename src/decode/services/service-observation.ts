// One service observation (an address answering on a port and transport, what it announced,
// when and how often it was seen, by which source) and the normal forms that make them meet.

import { formatIp, parseIp } from '../../core/ip.js';

/** Transports a service is keyed by. */
export type ServiceTransport = 'tcp' | 'udp' | 'sctp';

/**
 * A service seen `count` times between `firstSeen` and `lastSeen` (epoch ms, UTC) by one source
 * ('nmap', 'masscan', 'flows'). Empty strings stand for what the source did not say.
 */
export interface ServiceObservation {
  /** The address in canonical text (formatIp of parseIp), so spellings of one address meet. */
  readonly ip: string;
  readonly port: number;
  readonly transport: ServiceTransport;
  readonly source: string;
  /** The service name the scanner guessed or probed (ssh, http...). */
  readonly service: string;
  /** Product, version and extra information, as one text ("OpenSSH 8.9p1 (protocol 2.0)"). */
  readonly product: string;
  /** A banner the service sent, as captured. */
  readonly banner: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly count: number;
}

/** An address as stored, or undefined when the text is not an address. */
export function normalizeServiceIp(text: string): string | undefined {
  const ip = parseIp(text.trim());
  return ip === undefined ? undefined : formatIp(ip);
}

/** A transport name as stored (lower case), or undefined for one services are not keyed by. */
export function normalizeTransport(text: string): ServiceTransport | undefined {
  const t = text.trim().toLowerCase();
  return t === 'tcp' || t === 'udp' || t === 'sctp' ? t : undefined;
}

/** The transport of an IP protocol number (6, 17, 132). */
export function transportOfProto(proto: number): ServiceTransport | undefined {
  return proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 132 ? 'sctp' : undefined;
}

/** True for a whole port number 0..65535. */
export function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 65535;
}
