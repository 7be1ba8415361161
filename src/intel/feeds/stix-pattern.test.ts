import { describe, expect, it } from 'vitest';
import { readStixPattern, StixPatternError } from './stix-pattern.js';

const values = (pattern: string) => readStixPattern(pattern).values.map((v) => `${v.value.type} ${v.value.value}${v.port === undefined ? '' : ` port ${v.port}`}`);

describe('STIX patterns', () => {
  it.each([
    ["[ipv4-addr:value = '198.51.100.1']", ['ip 198.51.100.1']],
    ["[ipv4-addr:value = '198.51.100.0/24']", ['cidr 198.51.100.0/24']],
    ["[ipv4-addr:value ISSUBSET '10.0.0.0/8']", ['cidr 10.0.0.0/8']],
    ["[ipv6-addr:value = '2001:db8::1']", ['ip 2001:db8::1']],
    ["[domain-name:value = 'Evil.Example.COM']", ['domain evil.example.com']],
    ["[url:value = 'http://evil.example/a?b=1']", ['url evil.example/a?b=1']],
    ["[file:hashes.'SHA-256' = 'EF537F25C895BFA782526529A9B63D97AA631564D5D789C2B765448C8635FB6C']", ['sha256 ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']],
    ["[file:hashes.MD5 = '001dd76872d80801692ff942308c64e6']", ['md5 001dd76872d80801692ff942308c64e6']],
    ["[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1']", ['domain a.example', 'ip 192.0.2.1']],
    ["[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]", ['ip 192.0.2.1', 'ip 192.0.2.2']],
    ["[ipv4-addr:value = '192.0.2.1'] OR [domain-name:value = 'b.example']", ['ip 192.0.2.1', 'domain b.example']],
    ["[network-traffic:dst_ref.value = '192.0.2.9' AND network-traffic:dst_port = 443]", ['ip 192.0.2.9 port 443']],
    ["([ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.2']) WITHIN 300 SECONDS", ['ip 192.0.2.1', 'ip 192.0.2.2']],
  ])('%s', (pattern, expected) => {
    expect(values(pattern)).toEqual(expected);
  });

  it('reports what it cannot check, keeping what it can', () => {
    const r = readStixPattern("[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b']");
    expect(r.values).toEqual([]);
    expect(r.unmatched).toEqual(["x509-certificate:issuer = 'CN=WEBMAIL'", "x509-certificate:serial_number = '4c:0b'"]);
    const partial = readStixPattern("[domain-name:value = 'c2.example' AND NOT domain-name:value = 'ok.example']");
    expect(partial.values.map((v) => v.value.value)).toEqual(['c2.example']);
    expect(partial.unmatched).toEqual(["NOT domain-name:value = 'ok.example'"]);
    expect(readStixPattern("[email-message:subject MATCHES '^x']").unmatched).toEqual(["email-message:subject MATCHES '^x'"]);
    const q = readStixPattern("[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'");
    expect(q.qualifiers).toEqual(['REPEATS 5 TIMES', "START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'"]);
  });

  it.each(["[ipv4-addr:value = '1.2.3.4'", "ipv4-addr:value = '1.2.3.4'", "[ipv4-addr:value ~ '1']", "[foo = 'x']", '[]'])('rejects %s', (pattern) => {
    expect(() => readStixPattern(pattern)).toThrow(StixPatternError);
  });
});
