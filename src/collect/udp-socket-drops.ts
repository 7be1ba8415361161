// Reads the kernel's per-socket UDP receive-queue length and drop counter from /proc (Linux),
// the only place datagrams lost before the collector ever saw them are counted.

import { readFileSync } from 'node:fs';

/** Queue and drop counter of a bound UDP socket. */
export interface UdpSocketState {
  /** Bytes of kernel memory queued for the socket (about 1.5-2x the payload). */
  readonly rxQueue: number;
  /** Datagrams the kernel dropped for this socket since it was created (buffer full). */
  readonly drops: number;
}

/**
 * The state of the UDP socket bound to a local port, summed over matching sockets, or undefined
 * when /proc/net/udp{,6} is unreadable (not Linux) or has no such socket.
 */
export function readUdpSocketState(port: number, family: 'udp4' | 'udp6'): UdpSocketState | undefined {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let text: string;
  try {
    text = readFileSync(family === 'udp4' ? '/proc/net/udp' : '/proc/net/udp6', 'utf8');
  } catch {
    return undefined;
  }
  let found = false;
  let rxQueue = 0;
  let drops = 0;
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
    if (cols.length < 13 || !cols[1]!.endsWith(hexPort)) continue;
    found = true;
    rxQueue += parseInt(cols[4]!.split(':')[1]!, 16);
    drops += Number(cols[12]);
  }
  return found ? { rxQueue, drops } : undefined;
}
