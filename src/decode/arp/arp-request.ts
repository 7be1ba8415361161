// One row of the arp_requests table: the ARP requests one sender (IP and MAC) made for one
// target address within one minute, counted. Grouping by minute bounds the table (a host
// re-asking for its gateway every few seconds is one row a minute) and keeps what a sweep
// detector needs: distinct targets, request counts and times to the millisecond.

import type { Ip } from '../../core/ip.js';

/** ARP requests of one (sender IP, sender MAC, target IP) within one UTC minute. */
export interface ArpRequest {
  /** First request of the group, epoch ms. */
  readonly ts: number;
  /** Last request of the group, epoch ms (within the same minute as `ts`). */
  readonly ts_last: number;
  /** Sender protocol address (SPA); 0.0.0.0 for an RFC 5227 probe. */
  readonly src: Ip;
  /** Sender hardware address (SHA), lower-case colon text. */
  readonly src_mac: string;
  /** Target protocol address (TPA): the address asked about. */
  readonly dst: Ip;
  /** Requests in the group. */
  readonly requests: number;
  /** The sender asked for its own address (SPA = TPA): an announcement, not a lookup. */
  readonly gratuitous: boolean;
}
