// JA3/JA4 against independent sources: the worked example of FoxIO's JA4 specification
// (technical_details/JA4.md, lists and hashes quoted there), its ALPN rules, FoxIO's
// ja4plus-mapping.csv entries for clients found in the shared captures, and JA4 recomputed in
// this file from the lists tshark dissects out of every real ClientHello.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { tsharkClientHellos } from '../../test-support/tshark-tls.js';
import { parseClientHello, type ClientHello } from './parse-tls-hello.js';
import { isGrease, ja3Text, ja4, ja4Alpn, ja4Parts } from './tls-fingerprints.js';

const hexList = (s: string) => s.split(',').map((h) => parseInt(h, 16));

function hello(partial: Partial<ClientHello>): ClientHello {
  return { version: 0x0303, ciphers: [], extensions: [], serverName: '', alpn: [], supportedVersions: [], groups: [], pointFormats: [], signatureAlgorithms: [], ...partial };
}

// JA4.md, "Cipher hash" and "Extension hash": the lists in the order they appear.
const SPEC = hello({
  ciphers: hexList('1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035'),
  extensions: hexList('001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015'),
  signatureAlgorithms: hexList('0403,0804,0401,0503,0805,0501,0806,0601'),
  supportedVersions: [0x0304, 0x0303],
  alpn: ['h2', 'http/1.1'],
  serverName: 'example.com',
});

describe('JA4 (FoxIO JA4.md)', () => {
  it('the worked example: t13d1516h2_8daaf6152771_e5627efa2ab1 and its raw form', () => {
    expect(ja4(SPEC)).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
    // JA4_r as the spec prints it.
    const p = ja4Parts(SPEC);
    expect(`${p.a}_${p.ciphers}_${p.extensions}`).toBe(
      't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601',
    );
  });

  it('without signature algorithms the extension list is hashed alone (6d807ffa2a79)', () => {
    expect(ja4(hello({ ...SPEC, signatureAlgorithms: [] })).split('_')[2]).toBe('6d807ffa2a79');
  });

  it('GREASE is ignored everywhere: counts, lists, versions, signature algorithms', () => {
    const greasy = hello({
      ...SPEC,
      ciphers: [0x0a0a, ...SPEC.ciphers],
      extensions: [0x1a1a, ...SPEC.extensions, 0xfafa],
      supportedVersions: [0x2a2a, 0x0304],
      signatureAlgorithms: [0x3a3a, ...SPEC.signatureAlgorithms],
    });
    expect(ja4(greasy)).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
    expect(ja3Text(greasy)).toBe(ja3Text(SPEC));
  });

  it('no SNI is "i"; no supported_versions takes the hello version; no ciphers/extensions hash to zeros', () => {
    expect(ja4(hello({ version: 0x0301 }))).toBe('t10i000000_000000000000_000000000000');
    expect(ja4(hello({ version: 0x0300, ciphers: [0x002f] })).slice(0, 10)).toBe('ts3i010000');
    expect(ja4(hello({ version: 0x1234 })).slice(0, 3)).toBe('t00');
    // Only SNI and ALPN: counted in the prefix, absent from the hashed list.
    expect(ja4(hello({ extensions: [0, 16], serverName: 'a', alpn: ['h2'] }))).toBe('t12d0002h2_000000000000_000000000000');
  });

  it.each([
    [[], '00'],
    [[''], '00'],
    [['h2'], 'h2'],
    [['http/1.1'], 'h1'],
    [['h'], 'hh'],
    // The spec's non-alphanumeric examples.
    [['\xab'], 'ab'],
    [['\xab\xcd'], 'ad'],
    [['0\xab'], '3b'],
    [['01\xab\xcd'], '3d'],
    [['0\xab\xcd1'], '01'],
  ])('ALPN %j -> %s', (alpn, expected) => {
    expect(ja4Alpn(alpn)).toBe(expected);
  });

  it('GREASE values (RFC 8701)', () => {
    expect([0x0a0a, 0x1a1a, 0xaaaa, 0xeaea, 0xfafa].every(isGrease)).toBe(true);
    expect([0x0a1a, 0x0b0b, 0x1301, 0x0000, 0x0a0b, 0xabab].some(isGrease)).toBe(false);
  });
});

const CAPTURES = ['pcap-malicious/ndpi/emotet.pcap', 'pcap-malicious/ndpi/malware.pcap', 'pcap-malicious/stopddos/amp.dns.RRSIG.fragmented.pcap', 'pcap-malicious/slips/test-cc-capture-1.pcap'];
const haveTshark = requireTool('tshark');

/** JA4 written out from tshark's lists, step by step as JA4.md says (tshark 4.0 has no ja4 field). */
function ja4FromTshark(t: ReturnType<typeof tsharkClientHellos>[number]): string {
  const g = (v: number) => (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
  const h4 = (v: number) => v.toString(16).padStart(4, '0');
  const versions = t.supportedVersions.filter((v) => !g(v));
  const v = versions.length ? Math.max(...versions) : t.version;
  const code = ({ 0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10' } as Record<number, string>)[v] ?? '00';
  const ciphers = t.ciphers.filter((c) => !g(c));
  const exts = t.extensions.filter((e) => !g(e));
  const alpn = t.alpn[0] ? t.alpn[0][0]! + t.alpn[0].at(-1)! : '00';
  const a = `t${code}${exts.includes(0) ? 'd' : 'i'}${String(ciphers.length).padStart(2, '0')}${String(exts.length).padStart(2, '0')}${alpn}`;
  const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
  const extList = exts.filter((e) => e !== 0 && e !== 16).map(h4).sort().join(',');
  const sigs = t.sigAlgs.filter((s) => !g(s)).map(h4).join(',');
  return `${a}_${sha(ciphers.map(h4).sort().join(','))}_${sha(sigs ? `${extList}_${sigs}` : extList)}`;
}

describe.skipIf(!haveTshark).each(CAPTURES.map((c) => [c, sharedDataPath(c)] as const).filter(([, p]) => p))('JA4 of real ClientHellos in %s', (_name, file) => {
  it('equals JA4 computed from tshark-dissected lists', () => {
    const hellos = tsharkClientHellos(file!);
    expect(hellos.length).toBeGreaterThan(0);
    for (const t of hellos) {
      const raw = Buffer.from(t.raw, 'hex');
      expect(ja4(parseClientHello(raw, 4, raw.length)!), `frame ${t.frame}`).toBe(ja4FromTshark(t));
    }
  });
});

describe.skipIf(!haveTshark)('JA4 against FoxIO ja4plus-mapping.csv', () => {
  const amp = sharedDataPath('pcap-malicious/stopddos/amp.dns.RRSIG.fragmented.pcap');
  const emotet = sharedDataPath('pcap-malicious/ndpi/emotet.pcap');

  it.skipIf(!amp)('the Go client in the StopDDoS capture has the mapped GoLang cipher and extension hashes', () => {
    // ja4plus-mapping.csv: ",GoLang,,,t13d190900_9dc949149365_97f8aa674fd9". This client sent no
    // SNI, so it counts one extension fewer (SNI is left out of the hashes either way).
    const t = tsharkClientHellos(amp!).find((h) => h.src === '52.34.225.115')!;
    const raw = Buffer.from(t.raw, 'hex');
    expect(ja4(parseClientHello(raw, 4, raw.length)!)).toBe('t13i190800_9dc949149365_97f8aa674fd9');
  });

  it.skipIf(!emotet)('the Emotet client uses the Windows schannel cipher list (the mapped Cobalt Strike over wininet hash)', () => {
    // ja4plus-mapping.csv: "Cobalt Strike v4.9.1 beacon ... t12i190700_d83cc789557e_16bbda4055b2 ... over wininet".
    const t = tsharkClientHellos(emotet!)[0]!;
    const raw = Buffer.from(t.raw, 'hex');
    expect(ja4(parseClientHello(raw, 4, raw.length)!)).toMatch(/^t12i190600_d83cc789557e_[0-9a-f]{12}$/);
  });
});
