import { describe, expect, it } from 'vitest';
import { parseIp } from '../core/ip.js';
import { FEED_PARSERS } from './detect-feed.js';
import type { FeedKind, Indicator } from './indicator.js';
import { IntelIndex } from './intel-index.js';

function feed(kind: FeedKind, text: string, extra: { source?: string; allow?: boolean; file?: string } = {}): Indicator[] {
  return FEED_PARSERS[kind].parse({ file: extra.file ?? `/f/${kind}.txt`, text, kind: extra.allow ? 'allow' : 'threat', source: extra.source }).indicators;
}

const indicators = [
  ...feed('spamhaus', '; Spamhaus DROP List 2025/01/17\n1.10.16.0/20 ; SBL256894\n2001:678:6c4::/48 ; SBL626637\n'),
  ...feed('maltrail', '# Reference: https://example.org/r\n138.197.147.101:443\nbingsearchlib.com\nfilmmogzivota.rs/SpryAssets/gDR/\nhttp://203.0.113.50/payload.exe\n', { file: '/trails/emotet.txt' }),
  ...feed('ipsum', '# IPsum\n1.10.16.5\t3\n'),
  ...feed('list', '8.8.8.0/24\ngoogle.com\n', { allow: true, source: 'allow:public-dns' }),
  ...feed('spamhaus', '{"asn":64511,"rir":"arin","asname":"BAD-AS"}\n', { source: 'spamhaus:asndrop' }),
  ...feed('list', 'aabbccddeeff00112233445566778899\n', { source: 'list:hashes' }),
];
const index = new IntelIndex(indicators);
const summary = (q: string) => index.matchValue(q).matches.map((m) => `${m.how} ${m.indicator.source} ${m.indicator.value}`);

describe('IntelIndex', () => {
  it('an address inside a DROP range returns the range with its SBL id; a listed address inside it comes first', () => {
    expect(summary('1.10.16.200')).toEqual(['covering-prefix spamhaus:drop 1.10.16.0/20']);
    expect(index.matchValue('1.10.16.200').matches[0]!.indicator.reference).toBe('SBL256894');
    expect(summary('1.10.16.5')).toEqual(['exact ipsum 1.10.16.5', 'covering-prefix spamhaus:drop 1.10.16.0/20']);
    expect(summary('2001:678:6c4:1::9')).toEqual(['covering-prefix spamhaus:dropv6 2001:678:6c4::/48'.replace('dropv6', 'drop')]);
  });

  it('a subdomain of a listed domain returns the parent entry; URLs on a host are found by the host', () => {
    expect(summary('cdn.x.bingsearchlib.com')).toEqual(['parent-domain maltrail:emotet bingsearchlib.com']);
    expect(summary('BingSearchLib.com.')).toEqual(['exact maltrail:emotet bingsearchlib.com']);
    expect(summary('filmmogzivota.rs')).toEqual(['url-host maltrail:emotet filmmogzivota.rs/SpryAssets/gDR/']);
    expect(summary('http://filmmogzivota.rs/SpryAssets/gDR/')).toEqual(['exact maltrail:emotet filmmogzivota.rs/SpryAssets/gDR/']);
    expect(summary('203.0.113.50')).toEqual(['url-host maltrail:emotet 203.0.113.50/payload.exe']);
    expect(summary('notbingsearchlib.com')).toEqual([]);
  });

  it('address:port indicators match the address, and the port when one is asked', () => {
    expect(summary('138.197.147.101')).toEqual(['address-port maltrail:emotet 138.197.147.101:443']);
    expect(summary('138.197.147.101:443')).toEqual(['address-port maltrail:emotet 138.197.147.101:443']);
    expect(summary('138.197.147.101:80')).toEqual([]);
  });

  it('allow-listed values say so, by prefix and by parent domain', () => {
    expect(index.matchValue('8.8.8.8').matches.map((m) => [m.indicator.kind, m.indicator.source])).toEqual([['allow', 'allow:public-dns']]);
    expect(index.matchValue('mail.google.com').matches.map((m) => [m.how, m.indicator.kind])).toEqual([['parent-domain', 'allow']]);
  });

  it('networks: covering entries and entries inside', () => {
    expect(summary('1.10.0.0/16').sort()).toEqual(['within-prefix ipsum 1.10.16.5', 'within-prefix spamhaus:drop 1.10.16.0/20']);
    expect(summary('1.10.16.0/24')).toEqual(['covering-prefix spamhaus:drop 1.10.16.0/20', 'within-prefix ipsum 1.10.16.5']);
  });

  it('hashes and AS numbers by exact value; unknown text is no value at all', () => {
    expect(summary('AABBCCDDEEFF00112233445566778899')).toEqual(['exact list:hashes aabbccddeeff00112233445566778899']);
    expect(summary('AS64511')).toEqual(['exact spamhaus:asndrop AS64511']);
    expect(index.matchValue('!!').type).toBeUndefined();
  });

  it('tags flows: either side, ports checked for address:port, allow-list tags included, sorted', () => {
    const set = (ip: string) => index.lookup(parseIp(ip)!);
    expect(index.flowTags(set('10.0.0.1'), set('192.0.2.1'), 50000, 443)).toBeUndefined();
    expect(index.flowTags(set('10.0.0.1'), set('138.197.147.101'), 50000, 443)).toEqual(['maltrail:emotet']);
    expect(index.flowTags(set('138.197.147.101'), set('10.0.0.1'), 443, 50000)).toEqual(['maltrail:emotet']);
    expect(index.flowTags(set('10.0.0.1'), set('138.197.147.101'), 50000, 8080)).toBeUndefined();
    expect(index.flowTags(set('1.10.16.5'), set('8.8.8.8'), 1, 53)).toEqual(['drop', 'ipsum:3', 'allow:public-dns']);
    expect(index.asnTags(64511)).toEqual(['drop']);
    expect(index.asnTags(15169)).toBeNull();
  });

  it('leaves out indicators past their valid_until and does not tag with to_ids=false context', () => {
    const [a, b] = feed('list', '192.0.2.10\n192.0.2.11\n');
    const idx = new IntelIndex([{ ...a!, validUntil: 1000 }, { ...b!, detect: false }], { now: 2000 });
    expect(idx.matchValue('192.0.2.10').matches).toEqual([]);
    expect(idx.matchValue('192.0.2.11').matches).toHaveLength(1);
    expect(idx.flowTags(idx.lookup(parseIp('192.0.2.11')!), -1, 1, 2)).toBeUndefined();
  });
});
