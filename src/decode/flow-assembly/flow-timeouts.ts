// Flow expiry settings of the packet-to-flow assembler, named and defaulted as softflowd's
// (`softflowd -t NAME=SECONDS`), so captures turn into the flows a softflowd probe would export.

import { VantageError } from '../../core/errors.js';

/** Timeouts in seconds; 0 disables one (as in softflowd: the next rule in line applies). */
export interface FlowTimeouts {
  /** Idle timeout of TCP flows. */
  readonly tcp: number;
  /** Idle timeout once a TCP flow saw RST (either direction). */
  readonly 'tcp.rst': number;
  /** Idle timeout once a TCP flow saw FIN in both directions. */
  readonly 'tcp.fin': number;
  readonly udp: number;
  /** ICMP and ICMPv6. */
  readonly icmp: number;
  /** Any other protocol. */
  readonly general: number;
  /** Active timeout: a flow older than this is exported and a new one started. */
  readonly maxlife: number;
}

/** softflowd 1.1.0's defaults (`softflowd -h`). */
export const SOFTFLOWD_TIMEOUTS: FlowTimeouts = {
  tcp: 3600,
  'tcp.rst': 120,
  'tcp.fin': 300,
  udp: 300,
  icmp: 300,
  general: 3600,
  maxlife: 604_800,
};

/**
 * What `softflowd -r` does with a capture: it never expires flows on time while reading a file
 * (only at the end, when the flow table is full, or past maxlife). Used to reproduce its output.
 */
export const NO_IDLE_TIMEOUTS: FlowTimeouts = { tcp: 0, 'tcp.rst': 0, 'tcp.fin': 0, udp: 0, icmp: 0, general: 0, maxlife: 604_800 };

const NAMES = Object.keys(SOFTFLOWD_TIMEOUTS) as (keyof FlowTimeouts)[];

/**
 * Reads `NAME=SECONDS[,NAME=SECONDS...]` (softflowd names: tcp, tcp.rst, tcp.fin, udp, icmp,
 * general, maxlife) over the defaults; `off` turns every idle timeout off (as softflowd -r).
 */
export function parseFlowTimeouts(text: string, base: FlowTimeouts = SOFTFLOWD_TIMEOUTS): FlowTimeouts {
  if (text.trim() === 'off') return { ...NO_IDLE_TIMEOUTS, maxlife: base.maxlife };
  const out: Record<string, number> = { ...base };
  for (const part of text.split(',')) {
    const m = /^\s*([a-z.]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m || !NAMES.includes(m[1] as keyof FlowTimeouts)) {
      throw new VantageError('USAGE', `--timeouts: '${part.trim()}' is not NAME=SECONDS with NAME one of ${NAMES.join(', ')} (or 'off')`);
    }
    out[m[1]!] = Number(m[2]);
  }
  return out as unknown as FlowTimeouts;
}
