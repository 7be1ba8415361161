// Vector names, keys and reproducing queries.

import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../query/language/parser.js';
import { reflectionServices } from './amplification-ports.js';
import { floodShape, reflectorSpread, sourceRole, vectorFromKey, vectorKey, vectorName, vectorQuery, vectorWeight, type Vector } from './vector.js';

const services = reflectionServices([40_000]);

const ALL: readonly Vector[] = [
  { cls: 'syn' },
  { cls: 'synack' },
  { cls: 'rst' },
  { cls: 'ack' },
  { cls: 'response' },
  { cls: 'tcp' },
  { cls: 'udp' },
  { cls: 'fragment' },
  { cls: 'icmp' },
  { cls: 'reflection', port: 53 },
  { cls: 'reflection', port: 4500 },
  { cls: 'other', proto: 47 },
];

describe('vectors', () => {
  it.each([
    [{ cls: 'syn' }, null, 'syn-flood'],
    [{ cls: 'tcp' }, 443, 'http-flood'],
    [{ cls: 'tcp' }, 25565, 'tcp-flood'],
    [{ cls: 'reflection', port: 53 }, null, 'dns-amplification'],
    [{ cls: 'reflection', port: 123 }, null, 'ntp-amplification'],
    [{ cls: 'reflection', port: 11211 }, null, 'memcached-amplification'],
    [{ cls: 'reflection', port: 4500 }, null, 'isakmp-reflection'],
    [{ cls: 'reflection', port: 500 }, null, 'isakmp-reflection'],
    [{ cls: 'reflection', port: 40_000 }, null, 'udp40000-reflection'],
    [{ cls: 'other', proto: 47 }, null, 'gre-flood'],
    [{ cls: 'other', proto: 99 }, null, 'proto99-flood'],
    [{ cls: 'fragment' }, null, 'fragment-flood'],
  ] as [Vector, number | null, string][])('%o on port %s is %s', (v, dport, name) => {
    expect(vectorName(v, services, dport)).toBe(name);
  });

  it('round-trips every vector through its SQL key', () => {
    for (const v of ALL) expect(vectorFromKey(vectorKey(v))).toEqual(v);
  });

  it('writes reproducing queries the query language accepts', () => {
    for (const v of ALL) {
      for (const victim of ['10.10.10.10', '2001:db8::80']) {
        expect(() => parseQuery(vectorQuery(v, victim, v.cls === 'icmp' ? null : 443)), vectorQuery(v, victim, 443)).not.toThrow();
      }
    }
    expect(vectorQuery({ cls: 'reflection', port: 4500 }, '10.10.10.10', null)).toBe('dst ip 10.10.10.10 and proto udp and src port 4500');
    expect(vectorQuery({ cls: 'syn' }, '10.10.10.10', 25565)).toBe('dst ip 10.10.10.10 and proto tcp and dst port 25565 and flags S and not flags A');
  });

  it('names reflectors and attackers', () => {
    expect(sourceRole({ cls: 'reflection', port: 53 })).toBe('reflector');
    expect(sourceRole({ cls: 'synack' })).toBe('reflector');
    expect(sourceRole({ cls: 'syn' })).toBe('attacker');
  });

  it.each([
    [1, 1],
    [20, 1],
    // 1 - log10(200 / 20) / 2 = 1 - 1 / 2 = 0.5
    [200, 0.5],
    [2_000, 0],
    [1e6, 0],
  ])('floodShape(%f) = %f', (ppf, shape) => {
    expect(floodShape(ppf)).toBeCloseTo(shape, 12);
  });

  it.each([
    [1, 0],
    // log10(5) / log10(20) = 0.69897 / 1.30103 = 0.53724
    [5, 0.53724],
    [20, 1],
    [2_767, 1],
  ])('reflectorSpread(%i) = %f', (n, spread) => {
    expect(reflectorSpread(n)).toBeCloseTo(spread, 5);
  });

  it('weighs reflection by how much of it was solicited and by its reflectors', () => {
    expect(vectorWeight({ cls: 'reflection', port: 53 }, 0)).toBe(1);
    expect(vectorWeight({ cls: 'reflection', port: 53 }, 0.25)).toBe(0.75);
    // One TURN relay streaming from port 3478 is no reflection attack.
    expect(vectorWeight({ cls: 'reflection', port: 3478 }, 0, 1, 1)).toBe(0);
    // 5 reflectors, a quarter solicited: 0.75 x 0.53724 = 0.40293.
    expect(vectorWeight({ cls: 'reflection', port: 53 }, 0.25, 1, 5)).toBeCloseTo(0.40293, 5);
    // UDP at 200 packets per flow: 0.8 x 0.5.
    expect(vectorWeight({ cls: 'udp' }, 0, 200)).toBeCloseTo(0.4, 12);
  });
});
