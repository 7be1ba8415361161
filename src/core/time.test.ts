import { describe, expect, it } from 'vitest';
import { VantageError } from './errors.js';
import { parseDuration, parseTime } from './time.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

describe('parseTime', () => {
  it.each([
    ['2024-05-01', Date.UTC(2024, 4, 1)],
    ['2024-05-01T12:30Z', Date.UTC(2024, 4, 1, 12, 30)],
    ['2024-05-01 12:30:15.250', Date.UTC(2024, 4, 1, 12, 30, 15, 250)],
    ['2024-05-01T12:30:00+02:00', Date.UTC(2024, 4, 1, 10, 30)],
    ['1714564800', Date.UTC(2024, 4, 1, 12, 0)],
    ['1714564800123', Date.UTC(2024, 4, 1, 12, 0) + 123],
    ['now', NOW],
    ['-24h', NOW - 86_400_000],
    ['-7d', NOW - 7 * 86_400_000],
    ['-30m', NOW - 1_800_000],
  ])('%s', (text, expected) => expect(parseTime(text, NOW)).toBe(expected));

  it.each(['2024-02-30', '2023-02-29', '2024-04-31T00:00Z', '2024-13-01', '2024-05-01T24:00Z', '2024-05-01T12:60Z', '2024-05-01T12:30:61'])(
    'rejects %s, which is not on the calendar or the clock',
    (text) => expect(() => parseTime(text, NOW)).toThrow(/cannot read time/),
  );

  it('accepts the leap day of a leap year', () => expect(parseTime('2024-02-29', NOW)).toBe(Date.UTC(2024, 1, 29)));

  it('names the bad value', () => {
    expect(() => parseTime('yesterday', NOW)).toThrow(VantageError);
    expect(() => parseTime('yesterday', NOW)).toThrow(/yesterday/);
  });
});

describe('parseDuration', () => {
  it('reads units', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('0s')).toBeUndefined();
    expect(parseDuration('5x')).toBeUndefined();
  });
});
