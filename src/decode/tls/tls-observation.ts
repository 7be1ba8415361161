// What Zeek's x509.log and ssl.log, and TLS handshakes in captures, tell about TLS servers and
// clients: certificates (one per x509 row or DER seen), sightings (a server address and port that
// presented a certificate, a server name, a JA3S), kept apart so the two logs can arrive in either
// order and meet at read time, and client fingerprints (JA3/JA4 per client, server and name).

import type { Ip } from '../../core/ip.js';

/**
 * One certificate as x509.log describes it. `ref` is what ssl.log's chain names it by: the
 * SHA-256 `fingerprint` of current Zeek, or the file id (`F...`) of older versions, which
 * differs per connection even for the same certificate (issuer + serial identify it then).
 */
export interface CertificateObservation {
  readonly ref: string;
  /** Lower-case hex SHA-256 when the log gives it (a `fingerprint` column), else ''. */
  readonly sha256: string;
  readonly subject: string;
  /** The subject's common name, lower case ('' when none). */
  readonly cn: string;
  readonly issuer: string;
  readonly serial: string;
  /** Validity bounds, epoch ms UTC (null when unset). */
  readonly notBefore: number | null;
  readonly notAfter: number | null;
  readonly keyAlg: string;
  readonly keyType: string;
  readonly keyLength: number | null;
  readonly sigAlg: string;
  /** DNS subject alternative names, lower case, in log order. */
  readonly sanDns: readonly string[];
  /** IP subject alternative names as logged. */
  readonly sanIp: readonly string[];
  /** basic_constraints.ca (null when the extension is absent). */
  readonly isCa: boolean | null;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly count: number;
}

/**
 * A TLS server seen in ssl.log: `ref` is the first element of the server's certificate chain
 * (the server's own certificate; '' when the log shows none, e.g. TLS 1.3 or resumed sessions).
 */
export interface TlsSighting {
  readonly ref: string;
  readonly ip: Ip;
  readonly port: number;
  /** SNI, lower case ('' when none). */
  readonly serverName: string;
  readonly ja3s: string;
  /** ssl.log's `established` (null when the log does not say; not stored, it makes the server a service). */
  readonly established?: boolean | null;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly count: number;
}

/** What the parsers append rows to. */
export interface TlsBatch {
  readonly certificates: CertificateObservation[];
  readonly sightings: TlsSighting[];
}

/**
 * The common name of an RFC 4514-style subject as Zeek writes it (`CN=a,O=b\, Inc.`), with
 * escaped characters unescaped, lower case; '' when there is none.
 */
export function subjectCommonName(subject: string): string {
  const m = /(?:^|,)\s*CN=((?:\\.|[^,\\])*)/i.exec(subject);
  return m ? m[1]!.replace(/\\(.)/g, '$1').trim().toLowerCase() : '';
}

/** A DNS name as stored and matched: lower case, no trailing dot. */
export function normalizeCertName(name: string): string {
  const n = name.trim().toLowerCase();
  return n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n;
}

/**
 * True when a certificate name covers a domain: equal, or a wildcard `*.parent` whose `*`
 * stands for exactly one label of the domain (RFC 6125 6.4.3: `*.a.b` covers `x.a.b`, not
 * `a.b` nor `y.x.a.b`).
 */
export function certNameCovers(certName: string, domain: string): boolean {
  const c = normalizeCertName(certName);
  const d = normalizeCertName(domain);
  if (c === d) return true;
  if (!c.startsWith('*.')) return false;
  const dot = d.indexOf('.');
  return dot > 0 && d.slice(dot + 1) === c.slice(2);
}

/**
 * A TLS client seen in a capture: who sent a ClientHello to whom, the server name it asked for
 * and its fingerprints (JA3 and JA4), merged per (src, dst, dport, server name, JA3, JA4).
 */
export interface TlsClientObservation {
  readonly src: Ip;
  readonly dst: Ip;
  readonly dport: number;
  /** SNI, lower case ('' when none). */
  readonly serverName: string;
  readonly ja3: string;
  readonly ja4: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly count: number;
}
