// TLS fingerprints of hellos: JA3 and JA3S (salesforce/ja3: decimal fields joined by '-' and ',',
// MD5 of that text, GREASE values removed) and JA4 (FoxIO: "t13d1516h2_8daaf6152771_b186095e22b6",
// readable prefix, then truncated SHA-256 of the sorted ciphers and of the sorted extensions
// without SNI and ALPN followed by the signature algorithms in wire order).

import { createHash } from 'node:crypto';
import { EXT, type ClientHello, type ServerHello } from './parse-tls-hello.js';

/** True for a GREASE value (RFC 8701: 0x0a0a, 0x1a1a ... 0xfafa). */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const noGrease = (values: readonly number[]) => values.filter((v) => !isGrease(v));

/** The JA3 text: version,ciphers,extensions,groups,point formats (what tshark calls ja3_full). */
export function ja3Text(hello: ClientHello): string {
  return [String(hello.version), noGrease(hello.ciphers).join('-'), noGrease(hello.extensions).join('-'), noGrease(hello.groups).join('-'), hello.pointFormats.join('-')].join(',');
}

/** JA3: the MD5 of {@link ja3Text}, lower-case hex. */
export function ja3(hello: ClientHello): string {
  return md5(ja3Text(hello));
}

/** The JA3S text: version,cipher,extensions. */
export function ja3sText(hello: ServerHello): string {
  return [String(hello.version), String(hello.cipher), noGrease(hello.extensions).join('-')].join(',');
}

/** JA3S: the MD5 of {@link ja3sText}. */
export function ja3s(hello: ServerHello): string {
  return md5(ja3sText(hello));
}

const VERSION_CODES: Record<number, string> = { 0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10', 0x0300: 's3', 0x0002: 's2', 0xfeff: 'd1', 0xfefd: 'd2', 0xfefc: 'd3' };

const hex4 = (v: number) => v.toString(16).padStart(4, '0');
const two = (n: number) => String(Math.min(n, 99)).padStart(2, '0');
const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** JA4's two ALPN characters: first and last of the first value; their hex digits when either is not alphanumeric; "00" when none. */
export function ja4Alpn(alpn: readonly string[]): string {
  const first = alpn[0];
  if (first === undefined || first === '') return '00';
  const a = first.charCodeAt(0);
  const z = first.charCodeAt(first.length - 1);
  if (isAlnum(a) && isAlnum(z)) return first[0]! + first[first.length - 1]!;
  const h = Buffer.from(first, 'latin1').toString('hex');
  return h[0]! + h[h.length - 1]!;
}

/** JA4's hashed parts with their inputs (JA4_r), for tests and for showing how a fingerprint came about. */
export interface Ja4Parts {
  readonly a: string;
  /** Sorted cipher list, 4-digit hex, comma separated. */
  readonly ciphers: string;
  /** Sorted extensions without SNI/ALPN, then `_` and the signature algorithms (when any). */
  readonly extensions: string;
}

/** JA4's readable prefix and the two lists it hashes. `transport` is t (TCP), q (QUIC) or d (DTLS). */
export function ja4Parts(hello: ClientHello, transport: 't' | 'q' | 'd' = 't'): Ja4Parts {
  const versions = noGrease(hello.supportedVersions);
  const version = versions.length > 0 ? Math.max(...versions) : hello.version;
  const ciphers = noGrease(hello.ciphers);
  const extensions = noGrease(hello.extensions);
  const sni = extensions.includes(EXT.SERVER_NAME) ? 'd' : 'i';
  const a = `${transport}${VERSION_CODES[version] ?? '00'}${sni}${two(ciphers.length)}${two(extensions.length)}${ja4Alpn(hello.alpn)}`;
  const sortedCiphers = ciphers.map(hex4).sort().join(',');
  const exts = extensions
    .filter((e) => e !== EXT.SERVER_NAME && e !== EXT.ALPN)
    .map(hex4)
    .sort()
    .join(',');
  const sigs = noGrease(hello.signatureAlgorithms).map(hex4).join(',');
  return { a, ciphers: sortedCiphers, extensions: exts === '' ? '' : sigs === '' ? exts : `${exts}_${sigs}` };
}

/** JA4 from its parts: empty lists hash to twelve zeros, as the spec asks. */
export function ja4FromParts(parts: Ja4Parts): string {
  const h = (s: string) => (s === '' ? '000000000000' : sha256(s).slice(0, 12));
  return `${parts.a}_${h(parts.ciphers)}_${h(parts.extensions)}`;
}

/** JA4 of a ClientHello seen over TCP (or QUIC/DTLS with `transport`). */
export function ja4(hello: ClientHello, transport: 't' | 'q' | 'd' = 't'): string {
  return ja4FromParts(ja4Parts(hello, transport));
}
