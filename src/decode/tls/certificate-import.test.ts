// `vantage import` of Zeek x509.log and ssl.log (TSV, JSON; file ids and SHA-256 fingerprints)
// into certificates / certificate_sightings on every backend, and the pivot reads. Expected
// values are read from the raw logs by an independent path here (the TSV split on tabs as
// zeek-cut would, the JSON parsed line by line), or written out from the Zeek baselines by hand.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importFiles } from '../../cli/commands/import.js';
import { certificate, certificatesNaming, certificatesOf, ipsServing, tlsSightingsOf } from '../../store/certificate-tables.js';
import type { Store } from '../../store/store.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { testBackends } from '../../test-support/test-backends.js';
import { certNameCovers, subjectCommonName } from './tls-observation.js';
import { detectZeekTls } from './zeek-tls-parser.js';

const RITA_X509 = sharedDataPath('zeek-logs/rita-proxy-tsv/x509.log');
const RITA_SSL = sharedDataPath('zeek-logs/rita-proxy-tsv/ssl.log');
const SLIPS_X509 = sharedDataPath('zeek-logs/slips-test9-mixed/x509.log');
const SLIPS_SSL = sharedDataPath('zeek-logs/slips-test9-mixed/ssl.log');
const BASE_SSL = sharedDataPath('zeek-logs/zeek-baselines/scripts.base.protocols.ssl.basic_ssl.log');
const BASE_X509 = sharedDataPath('zeek-logs/zeek-baselines/scripts.base.protocols.ssl.basic_x509.log');
const STRATO_SSL = sharedDataPath('labeled-flows/stratosphere-security-datasets/008-zeek-mixed/data/ssl.log.labeled');

function capture() {
  let text = '';
  return { io: { stderr: { write: (t: string) => (text += t) } }, text: () => text };
}

/** Data rows of a Zeek TSV log as field-name -> value maps (the zeek-cut way). */
function tsvRows(file: string): Record<string, string>[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
  return lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i]!, v])));
}

function jsonRows(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('subjectCommonName and the one-label wildcard rule', () => {
  expect(subjectCommonName('CN=*.stackexchange.com')).toBe('*.stackexchange.com');
  expect(subjectCommonName('O=Acme\\, Inc.,CN=Www.Example.COM,C=US')).toBe('www.example.com');
  expect(subjectCommonName('OU=Equifax Secure Certificate Authority,O=Equifax,C=US')).toBe('');
  expect(certNameCovers('*.example.com', 'www.example.com')).toBe(true);
  expect(certNameCovers('*.example.com', 'example.com')).toBe(false);
  expect(certNameCovers('*.example.com', 'a.b.example.com')).toBe(false);
  expect(certNameCovers('Example.com.', 'example.com')).toBe(true);
});

test('detectZeekTls tells x509 and ssl logs (TSV, JSON) from other Zeek logs', () => {
  expect(detectZeekTls(['#separator \\x09', '#path\tx509'])).toBe('x509-tsv');
  expect(detectZeekTls(['#separator \\x09', '#path\tssl'])).toBe('ssl-tsv');
  expect(detectZeekTls(['#separator \\x09', '#path\tconn'])).toBeUndefined();
  expect(detectZeekTls(['{"ts":1,"id":"F1","certificate.subject":"CN=a"}'])).toBe('x509-json');
  expect(detectZeekTls(['{"ts":1,"uid":"C1","id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","resumed":false,"established":false}'])).toBe('ssl-json');
  expect(detectZeekTls(['{"ts":1,"uid":"C1","id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","proto":"tcp","conn_state":"S0"}'])).toBeUndefined();
  expect(detectZeekTls(['{"ts":1,"query":"a.example","qtype_name":"A"}'])).toBeUndefined();
});

describe.each(testBackends())('certificates on %s', (_name, make) => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-certs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function withStore(name: string, run: (store: Store) => Promise<void>): Promise<void> {
    const store = make(join(dir, name));
    await store.open();
    try {
      await run(store);
    } finally {
      await store.close();
    }
  }

  test.skipIf(!RITA_X509 || !RITA_SSL)('rita proxy TSV: 173 certificates, 407 sightings of the proxy without chains', async () => {
    const x509 = tsvRows(RITA_X509!);
    const ssl = tsvRows(RITA_SSL!);
    expect(x509.length).toBe(173);
    expect(ssl.length).toBe(407);
    await withStore('rita', async (store) => {
      const out = capture();
      const summary = await importFiles(store, [RITA_X509!, RITA_SSL!], { format: 'auto', strict: true } as any, out.io);
      expect(summary.files.map((f) => [f.format, f.read, f.rejected, f.certificates, f.sightings, f.servers])).toEqual([
        ['zeek-x509', 173, 0, 173, undefined, undefined],
        ['zeek-ssl', 407, 0, undefined, 407, new Set(ssl.map((r) => `${r['id.resp_h']} ${r['id.resp_p']}`)).size],
      ]);
      expect(out.text()).toContain('imported 173 of 173 records as 173 certificates from');
      expect(out.text()).toContain('imported 407 of 407 records as 407 TLS sightings of 1 servers from');

      // One certificate, field by field against its x509.log row.
      const row = x509.find((r) => r.id === 'FfH7reG9kzJuarq6d')!;
      const c = await certificate(store, 'FfH7reG9kzJuarq6d');
      expect(c).toEqual({
        ref: 'FfH7reG9kzJuarq6d',
        sha256: '',
        subject: row['certificate.subject'],
        cn: '*.stackexchange.com',
        issuer: "CN=R3,O=Let's Encrypt,C=US",
        serial: row['certificate.serial'],
        notBefore: Number(row['certificate.not_valid_before']) * 1000,
        notAfter: Number(row['certificate.not_valid_after']) * 1000,
        keyAlg: 'rsaEncryption',
        keyType: 'rsa',
        keyLength: 2048,
        sigAlg: 'sha256WithRSAEncryption',
        sanDns: row['san.dns']!.split(','),
        sanIp: [],
        isCa: false,
        firstSeen: Math.floor(Number(row.ts) * 1000),
        lastSeen: Math.floor(Number(row.ts) * 1000),
        count: 1,
      });
      expect(c!.sanDns.length).toBe(25);
      expect((await certificate(store, 'FFmwOh27CdXuE7K646'))!.isCa).toBe(true);

      // certificatesNaming: every x509 row with a CN or SAN equal to the name or a *.parent wildcard.
      const naming = (domain: string) =>
        x509
          .filter((r) => {
            const names = [/CN=([^,]*)/.exec(r['certificate.subject']!)?.[1] ?? '', ...(r['san.dns'] === '-' ? [] : r['san.dns']!.split(','))].map((n) => n.toLowerCase());
            return names.includes(domain) || names.includes(`*.${domain.split('.').slice(1).join('.')}`);
          })
          .map((r) => r.id)
          .sort();
      const meta = naming('meta.stackexchange.com');
      expect(meta).toContain('FfH7reG9kzJuarq6d');
      expect((await certificatesNaming(store, 'Meta.StackExchange.com.')).map((r) => r.ref)).toEqual(meta);
      expect((await certificatesNaming(store, 'quantserve.com')).map((r) => r.ref)).toEqual(naming('quantserve.com'));
      // A wildcard covers one label only.
      expect((await certificatesNaming(store, 'a.b.stackexchange.com')).map((r) => r.ref)).toEqual(naming('a.b.stackexchange.com'));

      // Behind the proxy no ssl row names a chain: the proxy serves no certificate, but its
      // server names and JA3S are known.
      expect(ssl.every((r) => r.cert_chain_fuids === '-')).toBe(true);
      expect(await certificatesOf(store, '10.136.0.16')).toEqual([]);
      expect(await ipsServing(store, 'FfH7reG9kzJuarq6d')).toEqual([]);
      const seen = await tlsSightingsOf(store, '10.136.0.16');
      const expected = new Map<string, number>();
      for (const r of ssl) {
        const key = `${r.server_name === '-' ? '' : r.server_name} ${r.ja3s === '-' ? '' : r.ja3s}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      expect(new Map(seen.map((s) => [`${s.serverName} ${s.ja3s}`, s.count]))).toEqual(expected);
      expect(seen.every((s) => s.port === 3128 && s.ref === '')).toBe(true);
    });
  });

  test.skipIf(!SLIPS_X509 || !SLIPS_SSL)('slips JSON, ssl.log before x509.log: the join happens at read time, by issuer and serial across file ids', async () => {
    const x509 = new Map(jsonRows(SLIPS_X509!).map((r) => [String(r.id), r]));
    const ssl = jsonRows(SLIPS_SSL!);
    await withStore('slips', async (store) => {
      const out = capture();
      const summary = await importFiles(store, [SLIPS_SSL!, SLIPS_X509!], { format: 'auto', strict: true } as any, out.io);
      expect(summary.files.map((f) => [f.format, f.read, f.certificates, f.sightings])).toEqual([
        ['zeek-ssl', 205, undefined, 205],
        ['zeek-x509', 154, 154, undefined],
      ]);

      // 204.79.197.200: what its ssl rows' first chain elements say, certificate by certificate.
      const ip = '204.79.197.200';
      const rows = ssl.filter((r) => r['id.resp_h'] === ip && Array.isArray(r.cert_chain_fuids) && (r.cert_chain_fuids as string[]).length > 0);
      const served = await certificatesOf(store, ip);
      expect(served.map((s) => [s.ref, s.port, s.serverName, s.certificate?.subject]).sort()).toEqual(
        rows.map((r) => [(r.cert_chain_fuids as string[])[0], r['id.resp_p'], r.server_name, x509.get((r.cert_chain_fuids as string[])[0]!)!['certificate.subject']]).sort(),
      );
      expect(served.map((s) => s.ref)).toContain('FKMTO94tQEsBTFbPgc');

      // ipsServing: every server whose first chain element has the issuer and serial of FKMTO94....
      const want = x509.get('FKMTO94tQEsBTFbPgc')!;
      const same = (fuid: string) => {
        const c = x509.get(fuid);
        return c !== undefined && c['certificate.issuer'] === want['certificate.issuer'] && c['certificate.serial'] === want['certificate.serial'];
      };
      const servers = ssl.filter((r) => Array.isArray(r.cert_chain_fuids) && same((r.cert_chain_fuids as string[])[0] ?? ''));
      const got = await ipsServing(store, 'FKMTO94tQEsBTFbPgc');
      expect(got.reduce((n, s) => n + s.count, 0)).toBe(servers.length);
      expect([...new Set(got.map((s) => `${s.ip}`))].length).toBeGreaterThan(0);
      const { formatIp } = await import('../../core/ip.js');
      expect([...new Set(got.map((s) => `${formatIp(s.ip)}:${s.port}`))].sort()).toEqual([...new Set(servers.map((r) => `${r['id.resp_h']}:${r['id.resp_p']}`))].sort());

      // The injected JA3S test value shows up on its server.
      const ja3s = ssl.filter((r) => typeof r.ja3s === 'string');
      expect(ja3s.length).toBe(1);
      const s = await tlsSightingsOf(store, String(ja3s[0]!['id.resp_h']));
      expect(s.map((x) => x.ja3s)).toContain(ja3s[0]!.ja3s);
    });
  });

  test.skipIf(!BASE_SSL || !BASE_X509)('current Zeek (SHA-256 fingerprints, cert_chain_fps): baselines with their masked ts filled in', async () => {
    // The baselines mask ts as XXXXXXXXXX.XXXXXX; any fixed time stands in for it.
    const fill = (file: string, name: string) => {
      const path = join(dir, name);
      writeFileSync(path, readFileSync(file, 'utf8').replace(/XXXXXXXXXX\.XXXXXX/g, '1334102677.000000'));
      return path;
    };
    const files = [fill(BASE_X509!, 'x509.log'), fill(BASE_SSL!, 'ssl.log')];
    await withStore('baseline', async (store) => {
      const summary = await importFiles(store, files, { format: 'auto', strict: true } as any, capture().io);
      expect(summary.files.map((f) => [f.format, f.read, f.rejected])).toEqual([
        ['zeek-x509', 2, 0],
        ['zeek-ssl', 1, 0],
      ]);
      const fp = 'a580247a25324adf4add5af648de4ac5798030dfd622f26a5f2280d7528ae244';
      const served = await certificatesOf(store, '74.125.224.79');
      expect(served.length).toBe(1);
      expect(served[0]).toMatchObject({ ref: fp, port: 443, serverName: 'ssl.gstatic.com', count: 1, firstSeen: 1334102677000 });
      expect(served[0]!.certificate).toMatchObject({
        sha256: fp,
        subject: 'CN=*.gstatic.com,O=Google Inc,L=Mountain View,ST=California,C=US',
        issuer: 'CN=Google Internet Authority,O=Google Inc,C=US',
        serial: '36F5DA5300000000505E',
        notBefore: 1334102677000,
        notAfter: 1365639277000,
        keyLength: 1024,
        sanDns: ['*.gstatic.com', 'gstatic.com', '*.metric.gstatic.com'],
        isCa: null,
      });
      expect((await certificatesNaming(store, 'ssl.gstatic.com')).map((c) => c.ref)).toEqual([fp]);
      expect((await certificatesNaming(store, 'gstatic.com')).map((c) => c.ref)).toEqual([fp]);
      expect(await certificatesNaming(store, 'a.ssl.gstatic.com')).toEqual([]);
      expect((await ipsServing(store, fp.toUpperCase())).map((s) => [s.port, s.serverName])).toEqual([[443, 'ssl.gstatic.com']]);
      expect((await certificate(store, '250da2691be97c9a33ceef7e311c14fb01846e058a99cea9bd1125bd25a0cad5'))!.isCa).toBe(true);
    });
  });

  test.skipIf(!STRATO_SSL)('a labeled ssl.log (extra columns) imports every row', async () => {
    const rows = tsvRows(STRATO_SSL!);
    await withStore('strato', async (store) => {
      const summary = await importFiles(store, [STRATO_SSL!], { format: 'auto', strict: true } as any, capture().io);
      expect([summary.files[0]!.format, summary.files[0]!.read, summary.files[0]!.sightings]).toEqual(['zeek-ssl', rows.length, rows.length]);
      const ip = '20.54.24.231';
      const want = rows.filter((r) => r['id.resp_h'] === ip && r.cert_chain_fuids !== '-' && r.cert_chain_fuids !== '(empty)').map((r) => r.cert_chain_fuids!.split(',')[0]).sort();
      expect(want.length).toBeGreaterThan(0);
      expect((await certificatesOf(store, ip)).flatMap((s) => Array(s.count).fill(s.ref)).sort()).toEqual(want);
    });
  });

  test('malformed lines are reported as file:line and counted; --strict stops at the first', async () => {
    const file = join(dir, 'bad-ssl.log');
    writeFileSync(
      file,
      [
        '#separator \\x09',
        '#set_separator\t,',
        '#empty_field\t(empty)',
        '#unset_field\t-',
        '#path\tssl',
        '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tserver_name\tcert_chain_fuids\tja3s',
        '1600000000.5\tC1\t10.0.0.1\t5000\t192.0.2.7\t443\tWWW.Example.com\tFa,Fb\tabc',
        '1600000001.5\tC2\t10.0.0.1\t5001\t999.0.2.7\t443\t-\t-\t-',
        '1600000002.5\tC3\t10.0.0.1',
        'nonsense\tC4\t10.0.0.1\t5002\t192.0.2.7\t443\t-\t-\t-',
        '1600000003.5\tC5\t10.0.0.1\t5003\t192.0.2.7\t443\twww.example.com\tFc\tabc',
        '',
      ].join('\n'),
    );
    await withStore('bad', async (store) => {
      const out = capture();
      const summary = await importFiles(store, [file], { format: 'auto' } as any, out.io);
      expect([summary.read, summary.imported, summary.rejected]).toEqual([5, 2, 3]);
      expect(out.text()).toContain(`${file}:8: bad address in field 'id.resp_h': '999.0.2.7' [IMPORT_RECORD]`);
      expect(out.text()).toContain(`${file}:9: truncated line: expected 9 columns, got 3 [IMPORT_RECORD]`);
      expect(out.text()).toContain(`${file}:10: bad time in field 'ts': 'nonsense' [IMPORT_RECORD]`);
      expect((await certificatesOf(store, '192.0.2.7')).map((s) => [s.ref, s.serverName, s.ja3s, s.firstSeen])).toEqual([
        ['Fa', 'www.example.com', 'abc', 1600000000500],
        ['Fc', 'www.example.com', 'abc', 1600000003500],
      ]);
      await expect(importFiles(store, [file], { format: 'auto', strict: true } as any, capture().io)).rejects.toMatchObject({ code: 'IMPORT_RECORD' });
    });
  });
});
