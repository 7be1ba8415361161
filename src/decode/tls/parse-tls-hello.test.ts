// ClientHello/ServerHello/Certificate parsing on real handshakes: every hello tshark finds in the
// shared captures is parsed from the bytes tshark reassembled and compared field by field with
// tshark's own dissection (ciphers, extensions, groups, point formats, signature algorithms,
// versions, ALPN, SNI), and its JA3/JA3S text and hash with tshark's ja3_full/ja3/ja3s fields.

import { describe, expect, it } from 'vitest';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { tsharkClientHellos, tsharkServerHellos } from '../../test-support/tshark-tls.js';
import { parseCertificateList, parseClientHello, parseServerHello } from './parse-tls-hello.js';
import { ja3, ja3s, ja3sText, ja3Text } from './tls-fingerprints.js';

const CAPTURES = ['pcap-malicious/ndpi/emotet.pcap', 'pcap-malicious/ndpi/malware.pcap', 'pcap-malicious/stopddos/amp.dns.RRSIG.fragmented.pcap', 'pcap-malicious/slips/test-cc-capture-1.pcap'];
const files = CAPTURES.map((c) => [c, sharedDataPath(c)] as const).filter(([, p]) => p !== undefined) as [string, string][];
const haveTshark = requireTool('tshark');

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

describe.skipIf(!haveTshark || files.length === 0).each(files)('hellos of %s against tshark', (_name, file) => {
  const clients = tsharkClientHellos(file);
  const servers = tsharkServerHellos(file);

  it('has hellos to compare', () => {
    expect(clients.length).toBeGreaterThan(0);
    expect(servers.length).toBeGreaterThan(0);
  });

  it('ClientHello fields and JA3', () => {
    for (const t of clients) {
      const raw = bytes(t.raw);
      expect(raw[0], `frame ${t.frame}`).toBe(1);
      const h = parseClientHello(raw, 4, raw.length);
      expect(h, `frame ${t.frame}`).toBeDefined();
      expect({
        version: h!.version,
        ciphers: h!.ciphers,
        extensions: h!.extensions,
        groups: h!.groups,
        pointFormats: h!.pointFormats,
        sigAlgs: h!.signatureAlgorithms,
        supportedVersions: h!.supportedVersions,
        alpn: h!.alpn,
        sni: h!.serverName,
      }).toEqual({
        version: t.version,
        ciphers: t.ciphers,
        extensions: t.extensions,
        groups: t.groups,
        pointFormats: t.pointFormats,
        sigAlgs: t.sigAlgs,
        supportedVersions: t.supportedVersions,
        alpn: t.alpn,
        sni: t.sni,
      });
      expect(ja3Text(h!)).toBe(t.ja3Full);
      expect(ja3(h!)).toBe(t.ja3);
    }
  });

  it('ServerHello fields and JA3S', () => {
    for (const t of servers) {
      const raw = bytes(t.raw);
      const h = parseServerHello(raw, 4, raw.length);
      expect(h, `frame ${t.frame}`).toBeDefined();
      expect({ version: h!.version, cipher: h!.cipher, extensions: h!.extensions, selected: h!.selectedVersion }).toEqual({
        version: t.version,
        cipher: t.cipher,
        extensions: t.extensions,
        selected: t.selectedVersion,
      });
      expect(ja3sText(h!)).toBe(t.ja3sFull);
      expect(ja3s(h!)).toBe(t.ja3s);
    }
  });

  it('every prefix of a hello is refused, never thrown', () => {
    const c = bytes(clients[0]!.raw);
    const s = bytes(servers[0]!.raw);
    // Cut inside the fixed fields or inside the extension block: both must come back undefined.
    for (const cut of [4, 10, 40, 70, c.length - 1]) expect(parseClientHello(c, 4, cut)).toBeUndefined();
    for (const cut of [4, 10, 40, s.length - 1]) if (cut < s.length) expect(parseServerHello(s, 4, cut)).toBeUndefined();
  });
});

describe('hand-built handshakes', () => {
  // A minimal ClientHello: version 0x0303, 32-byte random, empty session id, two ciphers (one
  // GREASE), null compression, no extensions (allowed: SSL 3.0-era clients send none).
  const hello = bytes('0303' + '00'.repeat(32) + '00' + '0004' + '0a0a' + '002f' + '0100');

  it('a hello without extensions; JA3 drops GREASE ciphers', () => {
    const h = parseClientHello(hello, 0, hello.length)!;
    expect(h).toMatchObject({ version: 0x0303, ciphers: [0x0a0a, 0x002f], extensions: [], serverName: '', alpn: [] });
    // salesforce/ja3: "771,47,,," - empty fields stay, separated by commas.
    expect(ja3Text(h)).toBe('771,47,,,');
  });

  it('an odd cipher-list length or an extension overrunning its block is malformed', () => {
    const odd = bytes('0303' + '00'.repeat(32) + '00' + '0003' + '002f00' + '0100');
    expect(parseClientHello(odd, 0, odd.length)).toBeUndefined();
    const overrun = bytes('0303' + '00'.repeat(32) + '00' + '0002' + '002f' + '0100' + '0004' + '0000' + '0010');
    expect(parseClientHello(overrun, 0, overrun.length)).toBeUndefined();
  });

  it('a HelloRetryRequest is recognised by its random (RFC 8446 4.1.3)', () => {
    const hrr = bytes('0303' + 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c' + '00' + '1301' + '00' + '0006' + '002b00020304');
    expect(parseServerHello(hrr, 0, hrr.length)).toMatchObject({ helloRetry: true, selectedVersion: 0x0304, cipher: 0x1301 });
  });

  it('a certificate list: lengths in 24 bits, each DER returned as is', () => {
    const list = bytes('00000a' + '000002' + 'aabb' + '000002' + 'ccdd');
    expect(parseCertificateList(list, 0, list.length)!.map((c) => Buffer.from(c).toString('hex'))).toEqual(['aabb', 'ccdd']);
    expect(parseCertificateList(list, 0, list.length - 1)).toBeUndefined();
  });
});
