// A minimal DER (ASN.1) walker for the parts of an X.509 certificate node:crypto does not expose
// (names in RFC 4514 order, signature and key algorithm identifiers, validity times, extensions):
// definite lengths only, every read bounds-checked, failures returned as undefined.

/** One DER element: its tag byte and where its contents lie in the buffer. */
export interface DerNode {
  readonly tag: number;
  /** Where the element (its tag byte) starts. */
  readonly offset: number;
  /** Start of the contents (after tag and length). */
  readonly start: number;
  /** End of the contents (exclusive). */
  readonly end: number;
}

/** Common universal tags. */
export const DER = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** The element at `offset` (single-byte tags only, as X.509 uses), or undefined when it overruns `limit`. */
export function derAt(buf: Uint8Array, offset: number, limit: number = buf.length): DerNode | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) return undefined;
  let len = buf[offset + 1]!;
  let at = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // Four length bytes cover anything a handshake can carry; indefinite lengths are not DER.
    if (n === 0 || n > 4 || at + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + i]!;
    at += n;
  }
  const end = at + len;
  return end > limit ? undefined : { tag, offset, start: at, end };
}

/** The elements inside a constructed node, in order; undefined when one overruns it. */
export function derChildren(buf: Uint8Array, node: DerNode): DerNode[] | undefined {
  const out: DerNode[] = [];
  let at = node.start;
  while (at < node.end) {
    const child = derAt(buf, at, node.end);
    if (!child) return undefined;
    out.push(child);
    at = child.end;
  }
  return out;
}

/** An OBJECT IDENTIFIER's contents as dotted text ('' when malformed). */
export function derOid(buf: Uint8Array, node: DerNode): string {
  if (node.tag !== DER.OID || node.end <= node.start) return '';
  const parts: number[] = [];
  let value = 0;
  for (let i = node.start; i < node.end; i++) {
    const b = buf[i]!;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) return '';
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else parts.push(value);
      value = 0;
    }
  }
  return (buf[node.end - 1]! & 0x80) !== 0 ? '' : parts.join('.');
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf16 = new TextDecoder('utf-16be', { fatal: false });

/** A string element's text (UTF-8, BMP and the 8-bit string types); undefined for other tags. */
export function derString(buf: Uint8Array, node: DerNode): string | undefined {
  const bytes = buf.subarray(node.start, node.end);
  switch (node.tag) {
    case DER.UTF8_STRING:
      return utf8.decode(bytes);
    case DER.BMP_STRING:
      return utf16.decode(bytes);
    case DER.UNIVERSAL_STRING: {
      let s = '';
      for (let i = 0; i + 4 <= bytes.length; i += 4) {
        const cp = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
        s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      }
      return s;
    }
    case DER.PRINTABLE_STRING:
    case DER.T61_STRING:
    case DER.IA5_STRING:
    case 0x12: // NumericString
    case 0x1a: // VisibleString
      return latin1.decode(bytes);
    default:
      return undefined;
  }
}

/** UTCTime (YYMMDDHHMM[SS]Z, years 1950-2049) or GeneralizedTime (YYYYMMDDHHMM[SS][.f]Z) as epoch ms; null when malformed. */
export function derTime(buf: Uint8Array, node: DerNode): number | null {
  const text = latin1.decode(buf.subarray(node.start, node.end));
  const m = node.tag === DER.UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(text) : node.tag === DER.GENERALIZED_TIME ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(text) : null;
  if (!m) return null;
  let year = Number(m[1]);
  if (node.tag === DER.UTC_TIME) year += year >= 50 ? 1900 : 2000;
  const ms = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  return Number.isFinite(ms) ? ms : null;
}
