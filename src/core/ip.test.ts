import { describe, expect, it } from 'vitest';
import { formatIp, parseCidr, parseIp, rangeContains } from './ip.js';

describe('parseIp / formatIp', () => {
  it.each([
    ['0.0.0.0', 0],
    ['255.255.255.255', 4294967295],
    ['10.1.2.3', 0x0a010203],
    ['::ffff:192.0.2.1', 0xc0000201], // IPv4-mapped becomes IPv4
    ['::FFFF:192.0.2.1', 0xc0000201],
    ['::ffff:c000:201', 0xc0000201],
    ['::ffff:0.0.0.0', 0],
  ])('%s', (text, value) => {
    expect(parseIp(text)).toBe(value);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', 'a.b.c.d', '1:2:3:4:5:6:7:8:9', '1::2::3', 'gggg::1', '12345::', '::ffff:1.2.3', '::ffff:1.2.3.256', '::ffff:1.2.3.4:5'])(
    'rejects %s',
    (text) => expect(parseIp(text)).toBeUndefined(),
  );

  // RFC 5952 section 4 canonical forms.
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:DB8::AAAA', '2001:db8::aaaa'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['::ffff:0:192.0.2.1', '::ffff:0:c000:201'], // IPv4-translated (RFC 2765), not mapped
  ])('%s -> %s', (text, canonical) => {
    expect(formatIp(parseIp(text)!)).toBe(canonical);
  });
});

describe('parseCidr', () => {
  it('clears host bits and gives the inclusive range', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, first: 0x0a000000, last: 0x0affffff });
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 4, first: 0, last: 0xffffffff });
    expect(parseCidr('172.16/12')).toEqual({ family: 4, first: 0xac100000, last: 0xac1fffff });
    expect(parseCidr('192.168.1.0', '255.255.255.0')).toEqual({ family: 4, first: 0xc0a80100, last: 0xc0a801ff });
    expect(parseCidr('2001:db8::1/127')).toEqual({ family: 6, first: 0x20010db8n << 96n, last: (0x20010db8n << 96n) | 1n });
  });
  it.each([['10.0.0.0/33'], ['2001:db8::/129'], ['10.0.0.0/x'], ['nonsense/8']])('rejects %s', (text) => expect(parseCidr(text)).toBeUndefined());
  it('rejects non-contiguous masks', () => expect(parseCidr('10.0.0.0', '255.0.255.0')).toBeUndefined());
  it('tests membership per family', () => {
    const net = parseCidr('10.0.0.0/8')!;
    expect(rangeContains(net, parseIp('10.200.0.1')!)).toBe(true);
    expect(rangeContains(net, parseIp('11.0.0.0')!)).toBe(false);
    expect(rangeContains(net, parseIp('::a00:1')!)).toBe(false);
  });
});
