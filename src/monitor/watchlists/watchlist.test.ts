import { describe, expect, it } from 'vitest';
import { parseIp } from '../../core/ip.js';
import { VantageError } from '../../core/errors.js';
import { WatchIndex } from './watch-index.js';
import { parseWatchlist, parseWatchMember } from './watchlist.js';

describe('watchlist members', () => {
  it.each([
    ['192.0.2.7', { type: 'host', value: '192.0.2.7' }],
    ['2001:DB8::1', { type: 'host', value: '2001:db8::1' }],
    ['192.0.2.77/24', { type: 'network', value: '192.0.2.0/24' }],
    ['2001:db8:1::/048', { type: 'network', value: '2001:db8:1::/48' }],
    ['as64500', { type: 'asn', value: 'AS64500' }],
    ['Partner.Example.', { type: 'domain', value: 'partner.example' }],
  ])('%s', (text, expected) => {
    expect(parseWatchMember(text)).toEqual(expected);
  });

  it.each(['192.0.2.0/33', 'not a thing', 'AS99999999999', '300.1.2.3', '-bad-.example'])('rejects %s', (text) => {
    expect(() => parseWatchMember(text)).toThrow(VantageError);
  });

  it('names the watchlist and the member at fault', () => {
    expect(() => parseWatchlist({ name: 'acme', members: ['10.0.0.0/8', 'nope nope'] })).toThrow("watchlist 'acme': members.1: 'nope nope' is not a watchlist member");
    expect(() => parseWatchlist({ name: 'bad name' })).toThrow(/watchlist 'bad name': name:/);
    expect(() => parseWatchlist({ name: 'acme', criticality: 'extreme' })).toThrow(/criticality/);
  });

  it('fills defaults and drops repeated members', () => {
    expect(parseWatchlist({ name: 'acme', members: ['10.0.0.0/8', '10.1.2.3/8', { value: 'acme.example', note: 'web' }] })).toEqual({
      name: 'acme',
      kind: 'partner',
      owner: '',
      criticality: 'medium',
      contacts: [],
      description: '',
      members: [
        { type: 'network', value: '10.0.0.0/8' },
        { type: 'domain', value: 'acme.example', note: 'web' },
      ],
    });
  });
});

describe('WatchIndex', () => {
  const acme = parseWatchlist({ name: 'acme', kind: 'partner', criticality: 'high', members: ['10.20.0.0/16', '10.20.5.5', 'AS64500', 'acme.example'] });
  const bank = parseWatchlist({ name: 'bank', kind: 'perimeter', members: ['10.0.0.0/8', '2001:db8::/32'] });
  const asnOf = (ip: number | bigint) => (ip === parseIp('198.51.100.9') ? 64500 : null);
  const index = new WatchIndex([acme, bank], { asnOf, resolved: new Map([['203.0.113.80', ['www.acme.example']]]) });

  it('matches addresses by the most specific member, one hit per watchlist', () => {
    expect(index.matchIp('10.20.5.5')).toEqual([
      { watchlist: 'acme', kind: 'partner', criticality: 'high', value: '10.20.5.5', member: '10.20.5.5' },
      { watchlist: 'bank', kind: 'perimeter', criticality: 'medium', value: '10.20.5.5', member: '10.0.0.0/8' },
    ]);
    expect(index.matchIp('10.20.9.9').map((h) => h.member)).toEqual(['10.20.0.0/16', '10.0.0.0/8']);
    expect(index.matchIp('2001:db8::5').map((h) => h.watchlist)).toEqual(['bank']);
    expect(index.matchIp('192.0.2.1')).toEqual([]);
  });

  it('matches by AS, by passive-DNS resolution of a watched domain, and domains by suffix', () => {
    expect(index.matchIp('198.51.100.9').map((h) => [h.watchlist, h.member])).toEqual([['acme', 'AS64500']]);
    expect(index.matchIp('203.0.113.80').map((h) => [h.watchlist, h.member])).toEqual([['acme', 'acme.example']]);
    expect(index.matchDomain('mail.ACME.example').map((h) => h.member)).toEqual(['acme.example']);
    expect(index.matchDomain('notacme.example')).toEqual([]);
    expect(index.matchAsn(64500).map((h) => h.watchlist)).toEqual(['acme']);
  });
});
