import { describe, expect, it } from 'vitest';
import { parseCidr, parseIp, type IpRange } from '../core/ip.js';
import { prng } from '../test-support/flow-captures.js';
import { PrefixIndex } from './prefix-index.js';

const net = (text: string): IpRange => parseCidr(text)!;

describe('PrefixIndex', () => {
  // Nested and overlapping ranges, v4 and v6; ids are positions in this list.
  const RANGES = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3/32', '10.1.2.3/32', '192.0.2.0/24', '0.0.0.0/0', '255.255.255.255/32', '2001:db8::/32', '2001:db8:1::/48', '2001:db8:1::1/128'];
  const index = PrefixIndex.build(RANGES.map((r, id) => ({ range: net(r), id })));

  it.each([
    ['10.1.2.3', [3, 4, 2, 1, 0, 6]],
    ['10.1.2.4', [2, 1, 0, 6]],
    ['10.1.3.0', [1, 0, 6]],
    ['10.200.0.1', [0, 6]],
    ['11.0.0.0', [6]],
    ['0.0.0.0', [6]],
    ['255.255.255.255', [7, 6]],
    ['2001:db8:1::1', [10, 9, 8]],
    ['2001:db8:2::1', [8]],
    ['2001:db9::', []],
  ])('%s is covered by %j, most specific first', (ip, ids) => {
    expect(index.covering(parseIp(ip)!)).toEqual(ids);
    expect(index.longest(parseIp(ip)!)).toBe(ids[0] ?? -1);
  });

  it('lists the ranges inside a network', () => {
    expect(index.within(net('10.1.0.0/16')).sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
    expect(index.within(net('2001:db8::/32')).sort((a, b) => a - b)).toEqual([8, 9, 10]);
  });

  it('agrees with a brute-force scan on random prefixes and addresses', () => {
    const random = prng(7);
    const ranges: IpRange[] = [];
    for (let i = 0; i < 3000; i++) {
      const bits = 8 + Math.floor(random() * 25);
      const addr = Math.floor(random() * 2 ** 32);
      const a = `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
      ranges.push(net(`${a}/${bits}`));
    }
    const idx = PrefixIndex.build(ranges.map((range, id) => ({ range, id })));
    for (let k = 0; k < 5000; k++) {
      // Half the probes inside a listed range, half anywhere.
      const r = ranges[Math.floor(random() * ranges.length)]!;
      const ip = k % 2 === 0 ? (r.first as number) + Math.floor(random() * ((r.last as number) - (r.first as number) + 1)) : Math.floor(random() * 2 ** 32);
      const expected = ranges
        .map((x, id) => ({ x, id }))
        .filter(({ x }) => ip >= (x.first as number) && ip <= (x.last as number))
        .sort((a, b) => (a.x.last as number) - (a.x.first as number) - ((b.x.last as number) - (b.x.first as number)) || a.id - b.id)
        .map(({ id }) => id);
      expect(idx.covering(ip)).toEqual(expected);
    }
  });
});
