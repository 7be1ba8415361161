// Certificates read from DER against openssl's reading of the same bytes: the server chains tshark
// extracts from the shared captures, and certificates openssl generates here (EC key, IP SANs,
// escaped and multi-valued names, no basicConstraints). Malformed DER is a counted problem.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../../core/ip.js';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { tsharkCertificates } from '../../test-support/tshark-tls.js';
import { certificateFromDer } from './x509-observation.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-x509-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const haveOpenssl = requireTool('openssl');

function openssl(args: string[]): string {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** What openssl says about a DER file, in the observation's terms. */
function opensslView(file: string) {
  const base = openssl(['x509', '-inform', 'DER', '-in', file, '-noout', '-subject', '-issuer', '-serial', '-startdate', '-enddate', '-fingerprint', '-sha256', '-nameopt', 'RFC2253,-esc_msb', '-dateopt', 'iso_8601']);
  const text = openssl(['x509', '-inform', 'DER', '-in', file, '-noout', '-text']);
  const line = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(base)![1]!;
  const time = (k: string) => Date.parse(line(k).replace(' ', 'T'));
  const san = /X509v3 Subject Alternative Name:.*\n\s*(.*)/.exec(text)?.[1] ?? '';
  const ca = /X509v3 Basic Constraints:.*\n\s*CA:(TRUE|FALSE)/.exec(text)?.[1];
  return {
    sha256: line('sha256 Fingerprint').replace(/:/g, '').toLowerCase(),
    subject: line('subject'),
    issuer: line('issuer'),
    serial: line('serial'),
    notBefore: time('notBefore'),
    notAfter: time('notAfter'),
    keyAlg: /Public Key Algorithm: (\S+)/.exec(text)![1]!,
    keyLength: Number(/Public-Key: \((\d+) bit\)/.exec(text)![1]),
    sigAlg: /Signature Algorithm: (\S+)/.exec(text)![1]!,
    sanDns: san.split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4).toLowerCase()),
    sanIp: san
      .split(', ')
      .filter((s) => s.startsWith('IP Address:'))
      .map((s) => formatIp(parseIp(s.slice('IP Address:'.length))!)),
    isCa: ca === undefined ? null : ca === 'TRUE',
  };
}

function observed(der: Uint8Array) {
  const r = certificateFromDer(der, 1_650_905_467_789);
  if (!r.ok) throw new Error(r.reason);
  const c = r.certificate;
  return {
    view: { sha256: c.sha256, subject: c.subject, issuer: c.issuer, serial: c.serial, notBefore: c.notBefore, notAfter: c.notAfter, keyAlg: c.keyAlg, keyLength: c.keyLength, sigAlg: c.sigAlg, sanDns: c.sanDns, sanIp: c.sanIp, isCa: c.isCa },
    c,
  };
}

const captures = ['pcap-malicious/ndpi/emotet.pcap', 'pcap-malicious/ndpi/malware.pcap'].map((c) => sharedDataPath(c)).filter((p): p is string => p !== undefined);

describe.skipIf(!haveOpenssl || !requireTool('tshark') || captures.length === 0)('certificates in the shared captures, as openssl reads them', () => {
  it('every certificate of every chain', () => {
    let n = 0;
    for (const file of captures) {
      for (const msg of tsharkCertificates(file)) {
        for (const hex of msg.der) {
          const der = Buffer.from(hex, 'hex');
          const path = join(work, `c${n++}.der`);
          writeFileSync(path, der);
          const { view, c } = observed(der);
          expect(view, `${file} frame ${msg.frame}`).toEqual(opensslView(path));
          expect(c.ref).toBe(c.sha256);
          expect(c.firstSeen).toBe(1_650_905_467_789);
        }
      }
    }
    // emotet.pcap: one self-signed certificate; malware.pcap: two chains of two (the second only
    // with out-of-order reassembly: frame 37 arrives after frame 35).
    expect(n).toBe(5);
  });

  it('the Emotet C2 certificate (SOURCES.md: self-signed): key type and CN', () => {
    const der = Buffer.from(tsharkCertificates(captures[0]!)[0]!.der[0]!, 'hex');
    const { c } = observed(der);
    expect(c.subject).toBe(c.issuer);
    expect({ cn: c.cn, keyType: c.keyType }).toEqual({ cn: 'example.com', keyType: 'rsa' });
  });
});

describe.skipIf(!haveOpenssl)('certificates openssl makes', () => {
  it('EC key, DNS and IP SANs, escaped and multi-valued names, no basicConstraints', () => {
    const conf = join(work, 'req.cnf');
    writeFileSync(conf, ['[req]', 'distinguished_name = dn', 'x509_extensions = ext', 'prompt = no', '[dn]', '[ext]', 'subjectAltName = DNS:Www.Example.org,DNS:*.example.org,IP:192.0.2.7,IP:2001:db8::1', ''].join('\n'));
    const der = join(work, 'ec.der');
    openssl([
      'req', '-x509', '-config', conf, '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', join(work, 'ec.key'), '-outform', 'DER', '-out', der, '-days', '30',
      '-subj', '/C=NL/O=Acme, Inc.+OU=R&D/CN=www.example.org', '-multivalue-rdn', '-set_serial', '0x00ff01',
    ]);
    const bytes = readFileSync(der);
    const { view, c } = observed(bytes);
    expect(view).toEqual(opensslView(der));
    expect({ subject: c.subject, cn: c.cn, keyType: c.keyType, keyLength: c.keyLength, serial: c.serial, isCa: c.isCa }).toEqual({
      subject: 'CN=www.example.org,O=Acme\\, Inc.+OU=R&D,C=NL',
      cn: 'www.example.org',
      keyType: 'ecdsa',
      keyLength: 384,
      serial: 'FF01',
      isCa: null,
    });
    expect(c.sanDns).toEqual(['www.example.org', '*.example.org']);
    expect(c.sanIp).toEqual(['192.0.2.7', '2001:db8::1']);
  });
});

describe('malformed DER', () => {
  it.each([
    ['empty', new Uint8Array(0)],
    ['garbage', Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x05])],
    ['a length beyond the bytes', Uint8Array.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00])],
  ])('%s: a TLS_BAD_CERTIFICATE problem, no exception', (_name, der) => {
    expect(certificateFromDer(der, 0)).toMatchObject({ ok: false, code: 'TLS_BAD_CERTIFICATE' });
  });
});
