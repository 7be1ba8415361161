// Writes the STIX 2.1 pattern of an indicator value: the object path a STIX consumer (and our own
// reader, src/intel/feeds/stix-pattern.ts) expects for each indicator type.

import { parseValue, type IndicatorType } from '../../intel/indicator.js';

/** A string literal of STIX patterning: quotes and backslashes escaped. */
export function patternString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const FILE_HASH: Partial<Record<IndicatorType, string>> = { md5: 'MD5', sha1: "'SHA-1'", sha256: "'SHA-256'", sha512: "'SHA-512'" };
const X509_HASH: Partial<Record<IndicatorType, string>> = { 'x509-md5': 'MD5', 'x509-sha1': "'SHA-1'", 'x509-sha256': "'SHA-256'" };

/**
 * The pattern for a value of a type, or undefined for the types STIX has no standard object
 * path for (JA3/JA3S/JA4 fingerprints, bare URI paths). Addresses name their family's object;
 * an address:port is network traffic to that address and destination port; URLs get back the
 * scheme the canonical form drops (http unless the value names a port 443).
 */
export function stixPatternFor(type: IndicatorType, value: string): string | undefined {
  const v = parseValue(type, value);
  if (!v) return undefined;
  switch (v.type) {
    case 'ip':
      return `[${typeof v.ip === 'number' ? 'ipv4-addr' : 'ipv6-addr'}:value = ${patternString(v.value)}]`;
    case 'cidr':
      return `[${v.range.family === 4 ? 'ipv4-addr' : 'ipv6-addr'}:value = ${patternString(v.value)}]`;
    case 'ip-port': {
      const address = v.value.startsWith('[') ? v.value.slice(1, v.value.indexOf(']')) : v.value.slice(0, v.value.lastIndexOf(':'));
      return `[network-traffic:dst_ref.value = ${patternString(address)} AND network-traffic:dst_port = ${v.port}]`;
    }
    case 'domain':
      return `[domain-name:value = ${patternString(v.value)}]`;
    case 'url':
      return `[url:value = ${patternString(`${/^[^/]*:443(?:[/?]|$)/.test(v.value) ? 'https' : 'http'}://${v.value}`)}]`;
    case 'asn':
      return `[autonomous-system:number = ${v.asn}]`;
    case 'email':
      return `[email-addr:value = ${patternString(v.value)}]`;
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
      return `[file:hashes.${FILE_HASH[v.type]} = ${patternString(v.value)}]`;
    case 'x509-md5':
    case 'x509-sha1':
    case 'x509-sha256':
      return `[x509-certificate:hashes.${X509_HASH[v.type]} = ${patternString(v.value)}]`;
    default:
      return undefined;
  }
}
