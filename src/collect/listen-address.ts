// Parses `--listen` values (udp://HOST:PORT, udp://[V6]:PORT) into what a UDP socket binds to.

import { VantageError } from '../core/errors.js';
import { parseIp, parseIpv6 } from '../core/ip.js';

/** A UDP endpoint to bind. */
export interface ListenAddress {
  /** The text the user gave, for messages and metric labels. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Socket type: udp6 for IPv6 hosts (which may also receive IPv4 when bound to ::). */
  readonly type: 'udp4' | 'udp6';
}

/**
 * Reads `udp://HOST:PORT`. HOST is an IPv4 address, a bracketed IPv6 address, `localhost`, or
 * empty for 0.0.0.0; port 0 asks the kernel for a free port. Throws USAGE otherwise.
 */
export function parseListenAddress(text: string): ListenAddress {
  const usage = (why: string) => new VantageError('USAGE', `--listen '${text}': ${why} (use udp://HOST:PORT, e.g. udp://0.0.0.0:2055 or udp://[::]:4739)`);
  const m = /^udp:\/\/(\[[^\]]*\]|[^:/]*):(\d{1,5})\/?$/i.exec(text.trim());
  if (!m) throw usage('not a UDP address');
  let host = m[1]!;
  const port = Number(m[2]);
  if (port > 65535) throw usage(`port ${port} is out of range`);
  if (host.startsWith('[')) {
    host = host.slice(1, -1);
    if (parseIpv6(host) === undefined) throw usage(`'${host}' is not an IPv6 address`);
    return { url: text, host, port, type: 'udp6' };
  }
  if (host === '' || host === '*') host = '0.0.0.0';
  if (host === 'localhost') host = '127.0.0.1';
  const ip = parseIp(host);
  if (ip === undefined) throw usage(`'${host}' is not an IP address`);
  return { url: text, host, port, type: typeof ip === 'number' ? 'udp4' : 'udp6' };
}
