import { describe, expect, it } from 'vitest';
import { VantageError } from '../../core/errors.js';
import { addedAfterParam, pullSource } from './taxii-pull.js';

describe('TAXII pull parameters', () => {
  it('keeps a previous pull\'s microsecond timestamp and reads times as users write them', () => {
    // What `vantage taxii pull` prints as "Next time: --added-after ..." goes back in unchanged.
    expect(addedAfterParam('2026-11-28T12:00:00.123456Z')).toBe('2026-11-28T12:00:00.123456Z');
    expect(addedAfterParam('2026-11-28')).toBe('2026-11-28T00:00:00.000Z');
    expect(addedAfterParam('-1d', Date.UTC(2026, 10, 28, 12))).toBe('2026-11-27T12:00:00.000Z');
    expect(addedAfterParam(undefined)).toBeUndefined();
    expect(() => addedAfterParam('sometime')).toThrow(VantageError);
  });

  it('names the source after the peer and collection, and refuses what is not an http URL', () => {
    expect(pullSource('https://peer.example:8443/taxii2/', 'c1')).toBe('taxii:peer.example:8443:c1');
    expect(() => pullSource('ftp://peer.example/', 'c1')).toThrow("'ftp://peer.example/' is not an http or https URL");
    expect(() => pullSource('peer', 'c1')).toThrow("'peer' is not a URL");
  });
});
