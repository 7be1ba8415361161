// An HTTP request as data: who asked whom for what, from a packet capture or a Zeek http.log,
// with every text field bounded so one hostile request cannot blow up memory or the store.

import type { Ip } from '../../core/ip.js';

/** Where a request was read from. */
export const HTTP_REQUEST_SOURCES = ['pcap', 'zeek-http'] as const;
export type HttpRequestSource = (typeof HTTP_REQUEST_SOURCES)[number];

/** One HTTP/1.x request (the request head, and the start of its body where the capture has it). */
export interface HttpRequest {
  /** When the request's first byte was seen, epoch ms (UTC). */
  readonly ts: number;
  /** Client and server. */
  readonly src: Ip;
  readonly dst: Ip;
  readonly sport: number;
  readonly dport: number;
  /** Request-line method, as sent (attackers put lookups there too). */
  readonly method: string;
  /** The Host header. */
  readonly host: string;
  /** Request target, as sent (not decoded). */
  readonly uri: string;
  readonly user_agent: string;
  /**
   * Other header lines as `Name: value`, one per line (`\n`), in order; Zeek logs give the
   * fields they keep (Referer, Origin, username...). Bounded to {@link HTTP_FIELD_LIMITS}.headers.
   */
  readonly headers: string;
  /** The start of the request body (captures only; '' for Zeek and body-less requests). */
  readonly body: string;
  readonly source: HttpRequestSource;
}

/** Longest stored text per field, in characters; longer values are cut and end in `...`. */
export const HTTP_FIELD_LIMITS = { method: 1024, host: 512, uri: 8192, user_agent: 2048, headers: 4096, body: 2048 } as const;

/** A text cut to at most `max` characters, marked with `...` when cut. */
export function boundText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
