// HTTP/1.x request heads from bytes: a cheap test of the first bytes of a TCP payload (run on
// every segment, so it looks at a few bytes before it scans), the end of the head, and the
// request line and headers split into the fields an HttpRequest keeps.

import { boundText, HTTP_FIELD_LIMITS } from './http-request.js';

/** Longest request head read (request line and headers); longer heads are cut here. */
export const MAX_HEAD_BYTES = 16_384;
/** Longest method token accepted: attackers send `${jndi:...}` as the method, a few hundred bytes. */
const MAX_METHOD = 1024;

/** What the first bytes of a payload say: not a request, a complete request line, or a line that continues. */
export const REQUEST_START = { NO: 0, LINE: 1, MORE: 2 } as const;
export type RequestStart = (typeof REQUEST_START)[keyof typeof REQUEST_START];

const SP = 0x20;
const LF = 0x0a;
const CR = 0x0d;
const VERSION = [SP, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e]; // " HTTP/1."

/**
 * Could `data[off, end)` start an HTTP/1.x request? The method is a run of printable non-space
 * bytes (not only the registered methods: Log4Shell payloads arrive as the method), then a space
 * and a target starting with `/`, `*` or a letter; the line, when complete, ends in ` HTTP/1.0` or
 * ` HTTP/1.1`. Binary payloads fail within their first few bytes.
 */
export function requestStart(data: Uint8Array, off: number, end: number): RequestStart {
  let i = off;
  const methodEnd = Math.min(end, off + MAX_METHOD);
  for (; i < methodEnd; i++) {
    const c = data[i]!;
    if (c === SP) break;
    if (c < 0x21 || c > 0x7e) return REQUEST_START.NO;
  }
  if (i === off || i >= methodEnd) return REQUEST_START.NO;
  if (i + 1 >= end) return REQUEST_START.MORE;
  const t = data[i + 1]!;
  if (!(t === 0x2f || t === 0x2a || (t >= 0x41 && t <= 0x5a) || (t >= 0x61 && t <= 0x7a))) return REQUEST_START.NO;
  const lineLimit = Math.min(end, off + MAX_HEAD_BYTES);
  let lf = i + 1;
  while (lf < lineLimit && data[lf] !== LF) lf++;
  if (lf >= lineLimit) return end - off >= MAX_HEAD_BYTES ? REQUEST_START.NO : REQUEST_START.MORE;
  return isRequestLineEnd(data, off, lf) ? REQUEST_START.LINE : REQUEST_START.NO;
}

/** True when the line `[off, lf)` (LF excluded, CR optional) ends in ` HTTP/1.0` or ` HTTP/1.1`. */
function isRequestLineEnd(data: Uint8Array, off: number, lf: number): boolean {
  const lineEnd = lf > off && data[lf - 1] === CR ? lf - 1 : lf;
  const at = lineEnd - 9;
  if (at <= off) return false;
  for (let k = 0; k < VERSION.length; k++) if (data[at + k] !== VERSION[k]) return false;
  const minor = data[at + 8];
  return minor === 0x30 || minor === 0x31;
}

/** Index just after the blank line ending the head (`\r\n\r\n` or `\n\n`) in `[off, end)`; -1 if absent. */
export function findHeadEnd(data: Uint8Array, off: number, end: number): number {
  for (let i = data.indexOf(LF, off); i >= 0 && i < end; i = data.indexOf(LF, i + 1)) {
    if (i + 1 < end && data[i + 1] === LF) return i + 2;
    if (i + 2 < end && data[i + 1] === CR && data[i + 2] === LF) return i + 3;
  }
  return -1;
}

/** The fields of a request head. */
export interface RequestHead {
  readonly method: string;
  readonly uri: string;
  readonly version: string;
  readonly host: string;
  readonly userAgent: string;
  /** Other header lines, `Name: value` joined by `\n`, bounded. */
  readonly headers: string;
  /** Content-Length, or -1 when absent or unreadable. */
  readonly contentLength: number;
}

/**
 * Splits a request head (text up to, optionally including, its blank line) into its fields.
 * Returns undefined when the first line is not `METHOD SP target SP HTTP/1.x`. Folded header
 * lines (obsolete, leading white space) continue the previous header.
 */
export function parseRequestHead(text: string): RequestHead | undefined {
  const lines = text.split(/\r?\n/);
  const first = lines[0] ?? '';
  const sp1 = first.indexOf(' ');
  const sp2 = first.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 <= sp1) return undefined;
  const version = first.slice(sp2 + 1);
  if (!/^HTTP\/1\.[01]$/.test(version)) return undefined;
  const fields: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') break;
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) {
      fields[fields.length - 1]![1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  let host = '';
  let userAgent = '';
  let contentLength = -1;
  const others: string[] = [];
  for (const [name, value] of fields) {
    const lower = name.toLowerCase();
    if (lower === 'host' && host === '') host = value;
    else if (lower === 'user-agent' && userAgent === '') userAgent = value;
    else {
      if (lower === 'content-length' && /^\d{1,15}$/.test(value)) contentLength = Number(value);
      others.push(`${name}: ${value}`);
    }
  }
  return {
    method: boundText(first.slice(0, sp1), HTTP_FIELD_LIMITS.method),
    uri: boundText(first.slice(sp1 + 1, sp2), HTTP_FIELD_LIMITS.uri),
    version,
    host: boundText(host, HTTP_FIELD_LIMITS.host),
    userAgent: boundText(userAgent, HTTP_FIELD_LIMITS.user_agent),
    headers: boundText(others.join('\n'), HTTP_FIELD_LIMITS.headers),
    contentLength,
  };
}

/**
 * The credentials of `Authorization: Basic` (and `Proxy-Authorization`) header lines, decoded
 * from base64 (`user:password`): servers log user names, so a lookup hidden there runs too.
 */
export function basicCredentials(headers: string): string[] {
  const out: string[] = [];
  const re = /^(?:proxy-)?authorization:[ \t]*basic[ \t]+([A-Za-z0-9+/=_-]{4,})/gim;
  for (let m = re.exec(headers); m !== null; m = re.exec(headers)) {
    const decoded = Buffer.from(m[1]!.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    if (decoded !== '') out.push(decoded);
  }
  return out;
}
