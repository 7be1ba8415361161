import { describe, expect, it } from 'vitest';
import {
  daysFromCivil,
  epochNumberToMs,
  parseDecimalRange,
  parseTcpFlags,
  parseTimeText,
  parseUintRange,
  parseUintText,
} from './field-parsers.js';
import { protocolNumber } from '../../core/protocols.js';

describe('parseTimeText', () => {
  it.each(['1969-12-31T22:30:00Z', '2100-01-01T00:00:00Z', '2150-01-01T10:30:00Z', '4102444800', '-1'])('%s is outside the times a store keeps (1970-2099): NaN', (text) => {
    expect(parseTimeText(text)).toBeNaN();
  });

  it('keeps the edges of that span', () => {
    expect(parseTimeText('1970-01-01T00:00:00Z')).toBe(0);
    expect(parseTimeText('2099-12-31T23:59:59.999Z')).toBe(Date.UTC(2100, 0, 1) - 1);
    expect(epochNumberToMs(4102444799.999)).toBe(Date.UTC(2100, 0, 1) - 1);
    expect(epochNumberToMs(4102444800)).toBeNaN();
  });

  it.each([
    // nfdump CSV: second precision, space, no zone = UTC
    ['2010-07-04 20:24:15', Date.UTC(2010, 6, 4, 20, 24, 15)],
    // nfdump JSON: T and milliseconds
    ['2018-01-12T15:37:30.942', Date.UTC(2018, 0, 12, 15, 37, 30, 942)],
    // Argus: slashes and microseconds (truncated to ms)
    ['2018/09/27 22:40:52.362768', Date.UTC(2018, 8, 27, 22, 40, 52, 362)],
    ['2024-05-01T12:00Z', Date.UTC(2024, 4, 1, 12, 0)],
    ['2024-05-01', Date.UTC(2024, 4, 1)],
    // 14:00+02:00 is 12:00 UTC; 07:30-04:30 is 12:00 UTC
    ['2024-05-01T14:00:00+02:00', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01T07:30:00-0430', Date.UTC(2024, 4, 1, 12)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    // epoch by magnitude: seconds (with fraction), ms, us, ns
    ['1672843056.913119', 1672843056913],
    ['1672843056', 1672843056000],
    ['1672843056913', 1672843056913],
    ['1672843056913119', 1672843056913],
    ['1672843056913119000', 1672843056913],
    // relative Zeek test times stay small
    ['22.335172', 22335],
    ['  2010-07-04 20:24:15 ', Date.UTC(2010, 6, 4, 20, 24, 15)],
  ])('%s', (text, expected) => {
    expect(parseTimeText(text)).toBe(expected);
  });

  it.each(['', 'XXXXXXXXXX.XXXXXX', '2010-13-01 00:00:00', '2023-02-29', '2010-07-04 24:00:00', '2010-07-04 20:61', '2010-07-04X20:24', '-5', '12:00', '2010-07-04 20:24:15 UTC'])(
    'rejects %j',
    (text) => {
      expect(parseTimeText(text)).toBeNaN();
    },
  );

  it('agrees with Date.UTC over four centuries of days', () => {
    for (let y = 1900; y <= 2300; y += 7) {
      for (const [m, d] of [[1, 1], [2, 28], [3, 1], [12, 31]] as const) {
        expect(daysFromCivil(y, m, d) * 86_400_000).toBe(Date.UTC(y, m - 1, d));
      }
    }
  });

  it('converts JSON epoch numbers without float error', () => {
    // 1517422326.539915 * 1000 is 1517422326539.915; 1.001 * 1000 is 1000.9999999999999
    expect(epochNumberToMs(1517422326.539915)).toBe(1517422326539);
    expect(epochNumberToMs(1.001)).toBe(1001);
    expect(epochNumberToMs(1517422326539)).toBe(1517422326539);
    expect(epochNumberToMs(-1)).toBeNaN();
  });
});

describe('number fields', () => {
  it('reads unsigned integers in place', () => {
    const line = 'a,1234, 56 ,x7,,99999999999999999';
    expect(parseUintRange(line, 2, 6)).toBe(1234);
    expect(parseUintRange(line, 7, 11)).toBe(56);
    expect(parseUintRange(line, 12, 14)).toBe(-1);
    expect(parseUintRange(line, 15, 15)).toBe(-1);
    expect(parseUintRange(line, 16, line.length)).toBe(-1);
  });

  it.each([
    ['42', 42],
    ['0x0008', 8],
    ['12.0', 12],
    ['1e3', 1000],
    ['-1', -1],
    ['2.5', -1],
    ['abc', -1],
    ['', -1],
  ])('parseUintText(%j) = %d', (text, expected) => {
    expect(parseUintText(text)).toBe(expected);
  });

  it('reads decimal seconds as exact scaled integers', () => {
    const s = '0.084044';
    expect(parseDecimalRange(s, 0, s.length, 6)).toBe(84044);
    expect(parseDecimalRange('1.001', 0, 5, 3)).toBe(1001);
    expect(parseDecimalRange('3', 0, 1, 6)).toBe(3_000_000);
    expect(parseDecimalRange('0.1234567', 0, 9, 6)).toBe(123456);
    expect(parseDecimalRange('9.5e-05', 0, 7, 6)).toBe(95);
    expect(parseDecimalRange('-', 0, 1, 6)).toBe(-1);
    expect(parseDecimalRange('1.2.3', 0, 5, 6)).toBe(-1);
  });
});

describe('parseTcpFlags', () => {
  it.each([
    ['......S.', 2],
    ['...A.R..', 20],
    ['...AP.SF', 27],
    ['CEUAPRSF', 255],
    ['........', 0],
    ['SA', 18],
    ['fpa', 25],
    ['0x12', 18],
    ['18', 18],
    ['256', -1],
    ['SX', -1],
    ['', -1],
  ])('%j = %d', (text, expected) => {
    expect(parseTcpFlags(text)).toBe(expected);
  });
});

describe('protocolNumber', () => {
  it.each([
    ['TCP', 6],
    ['udp', 17],
    ['ICMP', 1],
    ['ICMP6', 58],
    ['ipv6-icmp', 58],
    ['GRE', 47],
    ['esp', 50],
    ['sctp', 132],
    ['47', 47],
    ['255', 255],
    ['256', -1],
    ['arp', -1],
    ['constructor', -1],
    ['', -1],
  ])('%j = %d', (text, expected) => {
    expect(protocolNumber(text)).toBe(expected);
  });
});
