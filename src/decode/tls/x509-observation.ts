// One DER certificate (as a TLS Certificate message carries it) turned into the
// CertificateObservation Zeek's x509.log rows also become: node:crypto checks that it parses and
// gives the key details; a small DER walk gives what node does not (names in RFC 4514 order as
// Zeek/OpenSSL print them, algorithms, validity, SANs, basicConstraints), so a certificate seen
// in a capture and in x509.log reads alike (same subject, issuer and serial text).

import { createHash, X509Certificate } from 'node:crypto';
import { formatIp } from '../../core/ip.js';
import { DER, derAt, derChildren, derOid, derString, derTime, type DerNode } from './der-reader.js';
import { normalizeCertName, type CertificateObservation } from './tls-observation.js';

/** Why a certificate was not read. */
export type X509ProblemCode = 'TLS_BAD_CERTIFICATE';

/** A certificate, or why not. */
export type X509Result = { readonly ok: true; readonly certificate: CertificateObservation } | { readonly ok: false; readonly code: X509ProblemCode; readonly reason: string };

/** OpenSSL's short names for name attributes (what XN_FLAG_RFC2253 prints, and Zeek logs). */
const NAME_ATTRIBUTES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.13': 'description',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

/** Signature and key algorithm names as OpenSSL (and so Zeek) print them. */
const ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'rsaEncryption',
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10040.4.1': 'dsaEncryption',
  '1.2.840.10040.4.3': 'dsaWithSHA1',
  '2.16.840.1.101.3.4.3.2': 'dsa_with_SHA256',
  '1.2.840.10045.2.1': 'id-ecPublicKey',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

/** Zeek's key_type per key algorithm. */
const KEY_TYPES: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'rsa',
  '1.2.840.113549.1.1.10': 'rsa',
  '1.2.840.10040.4.1': 'dsa',
  '1.2.840.10045.2.1': 'ecdsa',
  '1.3.101.112': 'ed25519',
  '1.3.101.113': 'ed448',
};

const CURVE_BITS: Record<string, number> = { prime256v1: 256, 'P-256': 256, secp384r1: 384, 'P-384': 384, secp521r1: 521, 'P-521': 521, secp256k1: 256, secp224r1: 224 };

const EXT_SUBJECT_ALT_NAME = '2.5.29.17';
const EXT_BASIC_CONSTRAINTS = '2.5.29.19';

/** RFC 4514 escaping as OpenSSL's RFC 2253 printing does it for ASCII (non-ASCII is kept as is). */
function escapeValue(v: string): string {
  let s = v.replace(/[,+"\\<>;]/g, (c) => `\\${c}`);
  if (s.startsWith('#') || s.startsWith(' ')) s = `\\${s}`;
  if (s.endsWith(' ') && s.length > 1) s = `${s.slice(0, -1)}\\ `;
  return s;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * A Name as RFC 4514 text, most specific RDN first (`CN=a,O=b`), multi-valued RDNs joined by
 * `+`, unknown attributes by dotted OID, values of non-string types as `#` and their DER in hex;
 * undefined when malformed. Also returns the last CN (the most specific one).
 */
function readName(buf: Uint8Array, node: DerNode): { text: string; cn: string } | undefined {
  if (node.tag !== DER.SEQUENCE) return undefined;
  const rdns = derChildren(buf, node);
  if (!rdns) return undefined;
  const parts: string[] = [];
  let cn = '';
  for (const rdn of rdns) {
    if (rdn.tag !== DER.SET) return undefined;
    const attrs = derChildren(buf, rdn);
    if (!attrs) return undefined;
    const inner: string[] = [];
    for (const a of attrs) {
      const pair = a.tag === DER.SEQUENCE ? derChildren(buf, a) : undefined;
      if (!pair || pair.length !== 2) return undefined;
      const oid = derOid(buf, pair[0]!);
      if (oid === '') return undefined;
      const value = derString(buf, pair[1]!);
      const name = NAME_ATTRIBUTES[oid] ?? oid;
      if (name === 'CN' && value !== undefined) cn = value;
      inner.push(`${name}=${value === undefined ? `#${hex(buf.subarray(pair[1]!.offset, pair[1]!.end))}` : escapeValue(value)}`);
    }
    // OpenSSL's RFC 2253 printing walks every entry backwards, inside multi-valued RDNs too.
    parts.push(inner.reverse().join('+'));
  }
  return { text: parts.reverse().join(','), cn };
}

function algorithmOid(buf: Uint8Array, node: DerNode | undefined): string {
  if (!node || node.tag !== DER.SEQUENCE) return '';
  const first = derAt(buf, node.start, node.end);
  return first ? derOid(buf, first) : '';
}

/** An INTEGER's magnitude as upper-case hex in byte pairs, as OpenSSL prints serials ('-' prefix when negative). */
function serialHex(buf: Uint8Array, node: DerNode): string {
  let start = node.start;
  const negative = node.end > start && (buf[start]! & 0x80) !== 0;
  if (negative) {
    // Two's complement: rare enough in the wild to print via BigInt.
    let v = 0n;
    for (let i = start; i < node.end; i++) v = (v << 8n) | BigInt(buf[i]!);
    v -= 1n << BigInt(8 * (node.end - start));
    const h = (-v).toString(16).toUpperCase();
    return `-${h.length % 2 ? `0${h}` : h}`;
  }
  while (start < node.end - 1 && buf[start] === 0) start++;
  return hex(buf.subarray(start, node.end)).toUpperCase();
}

interface Extensions {
  sanDns: string[];
  sanIp: string[];
  isCa: boolean | null;
}

function readExtensions(buf: Uint8Array, wrapper: DerNode | undefined): Extensions | undefined {
  const out: Extensions = { sanDns: [], sanIp: [], isCa: null };
  if (!wrapper) return out;
  const seq = derAt(buf, wrapper.start, wrapper.end);
  const list = seq && seq.tag === DER.SEQUENCE ? derChildren(buf, seq) : undefined;
  if (!list) return undefined;
  for (const ext of list) {
    const parts = ext.tag === DER.SEQUENCE ? derChildren(buf, ext) : undefined;
    if (!parts || parts.length < 2) return undefined;
    const oid = derOid(buf, parts[0]!);
    const value = parts[parts.length - 1]!;
    if (value.tag !== DER.OCTET_STRING) return undefined;
    const inner = derAt(buf, value.start, value.end);
    if (oid === EXT_SUBJECT_ALT_NAME) {
      const names = inner && inner.tag === DER.SEQUENCE ? derChildren(buf, inner) : undefined;
      if (!names) return undefined;
      for (const n of names) {
        if (n.tag === 0x82) out.sanDns.push(normalizeCertName(new TextDecoder('latin1').decode(buf.subarray(n.start, n.end))));
        else if (n.tag === 0x87) {
          const len = n.end - n.start;
          const view = new DataView(buf.buffer, buf.byteOffset + n.start, len);
          if (len === 4) out.sanIp.push(formatIp(view.getUint32(0)));
          else if (len === 16) out.sanIp.push(formatIp((view.getBigUint64(0) << 64n) | view.getBigUint64(8)));
        }
      }
    } else if (oid === EXT_BASIC_CONSTRAINTS) {
      const fields = inner && inner.tag === DER.SEQUENCE ? derChildren(buf, inner) : undefined;
      if (!fields) return undefined;
      const ca = fields[0];
      out.isCa = ca !== undefined && ca.tag === DER.BOOLEAN && ca.end > ca.start && buf[ca.start] !== 0;
    }
  }
  return out;
}

/** The key's size in bits where node reports it (RSA/DSA modulus, EC curve); null otherwise. */
function keyBits(cert: X509Certificate): number | null {
  try {
    const details = cert.publicKey.asymmetricKeyDetails;
    if (!details) return null;
    if (details.modulusLength !== undefined) return details.modulusLength;
    if (details.namedCurve !== undefined) return CURVE_BITS[details.namedCurve] ?? null;
    return null;
  } catch {
    // Keys node cannot import (unusual curves, GOST...) still leave the rest of the certificate.
    return null;
  }
}

/**
 * A DER certificate as an observation seen at `seenAt` (epoch ms): `ref` and `sha256` are the
 * lower-case hex SHA-256 of the DER (what current Zeek logs as `fingerprint`). Never throws:
 * anything node or the DER walk cannot read comes back as a problem.
 */
export function certificateFromDer(der: Uint8Array, seenAt: number): X509Result {
  const bad = (reason: string): X509Result => ({ ok: false, code: 'TLS_BAD_CERTIFICATE', reason });
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (err) {
    return bad(`not an X.509 certificate: ${(err as Error).message}`);
  }
  const outer = derAt(der, 0);
  const top = outer && outer.tag === DER.SEQUENCE ? derChildren(der, outer) : undefined;
  const tbs = top && top.length === 3 && top[0]!.tag === DER.SEQUENCE ? derChildren(der, top[0]!) : undefined;
  if (!top || !tbs) return bad('certificate structure');
  let i = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const serial = tbs[i++];
  i++; // the inner signature algorithm (the outer one is the one that counts)
  const issuerNode = tbs[i++];
  const validity = tbs[i++];
  const subjectNode = tbs[i++];
  const spki = tbs[i++];
  if (!serial || serial.tag !== DER.INTEGER || !issuerNode || !validity || !subjectNode || !spki) return bad('tbsCertificate fields');
  const issuer = readName(der, issuerNode);
  const subject = readName(der, subjectNode);
  const times = validity.tag === DER.SEQUENCE ? derChildren(der, validity) : undefined;
  const spkiParts = spki.tag === DER.SEQUENCE ? derChildren(der, spki) : undefined;
  const extWrapper = tbs.slice(i).find((n) => n.tag === 0xa3);
  const ext = readExtensions(der, extWrapper);
  if (!issuer || !subject || !times || times.length !== 2 || !spkiParts || !ext) return bad('names, validity, key or extensions');
  const keyOid = algorithmOid(der, spkiParts[0]);
  const sigOid = algorithmOid(der, top[1]);
  const sha256 = createHash('sha256').update(der).digest('hex');
  return {
    ok: true,
    certificate: {
      ref: sha256,
      sha256,
      subject: subject.text,
      cn: subject.cn.trim().toLowerCase(),
      issuer: issuer.text,
      serial: serialHex(der, serial),
      notBefore: derTime(der, times[0]!),
      notAfter: derTime(der, times[1]!),
      keyAlg: ALGORITHMS[keyOid] ?? keyOid,
      keyType: KEY_TYPES[keyOid] ?? (keyOid === '' ? '' : 'unknown'),
      keyLength: keyBits(cert),
      sigAlg: ALGORITHMS[sigOid] ?? sigOid,
      sanDns: ext.sanDns,
      sanIp: ext.sanIp,
      isCa: ext.isCa,
      firstSeen: seenAt,
      lastSeen: seenAt,
      count: 1,
    },
  };
}
