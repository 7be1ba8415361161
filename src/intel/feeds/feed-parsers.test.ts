import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { detectFeed, FEED_PARSERS } from '../detect-feed.js';
import type { FeedKind, Indicator } from '../indicator.js';
import type { FeedContext } from '../feed-parser.js';

const TI = 'threat-intel';

/** Parses a shared file the way `intel load` does (format told from the file). */
function parseShared(rel: string, expected: FeedKind) {
  const file = sharedDataPath(`${TI}/${rel}`)!;
  const text = readFileSync(file, 'utf8');
  expect(detectFeed(file, text)).toBe(expected);
  return FEED_PARSERS[expected].parse({ file, text, kind: 'threat' });
}

/** Parses inline text as a feed of this kind. */
function parseText(kind: FeedKind, text: string, file = `/feeds/${kind}.txt`, extra: Partial<FeedContext> = {}) {
  return FEED_PARSERS[kind].parse({ file, text, kind: 'threat', ...extra });
}

function find(list: readonly Indicator[], value: string): Indicator {
  const i = list.find((x) => x.value === value);
  if (!i) throw new Error(`${value} not parsed`);
  return i;
}

describe.skipIf(!sharedDataPath(`${TI}/abusech-feodo/ipblocklist.csv`))('Feodo Tracker', () => {
  it('reads the real CSV blocklist: 28 Pikabot C2s with ports, status and dates', () => {
    const r = parseShared('abusech-feodo/ipblocklist.csv', 'feodo');
    expect(r.source).toBe('feodo');
    expect(r.indicators).toHaveLength(28);
    expect(r.problems).toEqual([]);
    expect(r.incomplete).toBeUndefined(); // ends with its '# END 28 entries'
    expect(r.meta.generatedAt).toBe(Date.parse('2024-04-04T07:03:03Z'));
    const first = find(r.indicators, '192.9.135.73');
    expect(first).toMatchObject({ type: 'ip', family: 'pikabot', confidence: 100, attrs: { ports: '1194', status: 'online' }, line: 10 });
    expect(first.firstSeen).toBe(Date.parse('2023-05-23T17:51:44Z'));
    expect(first.raw).toBe('"2023-05-23 17:51:44","192.9.135.73","1194","online","2024-04-01","Pikabot"');
    expect(find(r.indicators, '85.239.243.155').confidence).toBe(75); // offline
  });

  it('reads the JSON form and reports bad entries with their line, keeping the rest', () => {
    const text = JSON.stringify(
      [
        { ip_address: '192.0.2.44', port: 443, status: 'online', malware: 'QakBot', as_number: 64520, country: 'US', first_seen: '2026-08-10 00:00:00', last_online: '2026-08-11' },
        { ip_address: '192.0.2.300', port: 80, status: 'offline', malware: 'Emotet' },
        { port: 1 },
      ],
      null,
      1,
    );
    const r = parseText('feodo', text, '/feeds/ipblocklist.json');
    expect(detectFeed('/feeds/ipblocklist.json', text)).toBe('feodo');
    expect(r.indicators.map((i) => [i.value, i.family, i.attrs.country])).toEqual([['192.0.2.44', 'qakbot', 'US']]);
    expect(r.problems.map((p) => p.code)).toEqual(['INTEL_BAD_LINE', 'INTEL_BAD_VALUE']);
    expect(r.problems[1]).toMatchObject({ line: 13, message: "'192.0.2.300' is not an IP address" });
  });

  it('rejects malformed CSV lines with their numbers', () => {
    const r = parseText('feodo', '"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"\n"2024-01-01 00:00:00","10.0.0.1","443","online","2024-01-02","X"\n"broken\n1,2\n');
    expect(r.indicators).toHaveLength(1);
    expect(r.problems).toEqual([
      { code: 'INTEL_BAD_LINE', line: 3, message: 'unbalanced quotes' },
      { code: 'INTEL_BAD_LINE', line: 4, message: 'expected 6 fields (first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware), got 2' },
    ]);
  });
});

describe.skipIf(!sharedDataPath(`${TI}/spamhaus/drop.txt`))('Spamhaus DROP / EDROP / DROPv6', () => {
  it('reads DROP: 1,385 CIDRs with their SBL ids', () => {
    const r = parseShared('spamhaus/drop.txt', 'spamhaus');
    expect(r.source).toBe('spamhaus:drop');
    expect(r.indicators).toHaveLength(1385);
    expect(r.problems).toEqual([]);
    expect(find(r.indicators, '1.10.16.0/20')).toMatchObject({ type: 'cidr', reference: 'SBL256894', tags: ['drop'], confidence: 100, line: 5 });
    expect(r.incomplete).toBeUndefined(); // ends with '; EOF'
    expect(r.meta.generatedAt).toBe(Date.parse('Fri, 17 Jan 2025 17:03:47 GMT'));
  });

  it('reads DROPv6 and the 2023 EDROP under their own source names', () => {
    const v6 = parseShared('spamhaus/dropv6.txt', 'spamhaus');
    expect(v6.source).toBe('spamhaus:dropv6');
    expect(find(v6.indicators, '2001:678:6c4::/48').reference).toBe('SBL626637');
    const edrop = parseShared('spamhaus/edrop-2023-12-02.txt', 'spamhaus');
    expect(edrop.source).toBe('spamhaus:edrop');
    expect(edrop.indicators.length).toBeGreaterThan(250);
    // The 2023 lists had no '; EOF' line: not read as cut short.
    expect([v6.incomplete, edrop.incomplete]).toEqual([undefined, undefined]);
  });

  it('reads the JSON lines form (DROP, DROPv6, ASN-DROP, metadata) and rejects bad lines', () => {
    const text = [
      '{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}',
      '{"cidr":"2001:678:738::/48","sblid":"SBL635837","rir":"ripencc"}',
      '{"asn":6517,"rir":"arin","domain":"zeromist.net","cc":"US","asname":"ZEROMIST-AS-1"}',
      '{"cidr":"not-a-net","sblid":"SBL1"}',
      '{broken',
      '{"type":"metadata","timestamp":1737133427,"size":5,"records":5}',
    ].join('\n');
    expect(detectFeed('/x/drop_v4.json', text)).toBe('spamhaus');
    const r = parseText('spamhaus', text, '/x/drop_v4.json');
    expect(r.indicators.map((i) => `${i.type} ${i.value} ${i.reference ?? ''}`)).toEqual(['cidr 1.10.16.0/20 SBL256894', 'cidr 2001:678:738::/48 SBL635837', 'asn AS6517 ']);
    expect(r.problems.map((p) => [p.line, p.code])).toEqual([
      [4, 'INTEL_BAD_VALUE'],
      [5, 'INTEL_BAD_LINE'],
    ]);
    expect(r.meta.generatedAt).toBe(1737133427000);
    expect(r.incomplete).toBeUndefined();
  });
});

describe.skipIf(!sharedDataPath(`${TI}/ipsum/ipsum.txt`))('ipsum', () => {
  it('reads ipsum.txt with the blacklist count as confidence and tag', () => {
    const r = parseShared('ipsum/ipsum.txt', 'ipsum');
    expect(r.source).toBe('ipsum');
    expect(r.problems).toEqual([]);
    expect(r.indicators.length).toBeGreaterThan(100_000);
    expect(find(r.indicators, '77.90.185.20')).toMatchObject({ type: 'ip', confidence: 100, tags: ['ipsum:10'], attrs: { lists: '10' }, line: 8 });
    expect(find(r.indicators, '162.251.62.103')).toMatchObject({ confidence: 10, tags: ['ipsum:1'] });
  });

  it('reads a levels file as "on at least N lists"', () => {
    const r = parseShared('ipsum/levels/3.txt', 'ipsum');
    expect(r.source).toBe('ipsum:level3');
    expect(r.indicators.every((i) => i.tags[0] === 'ipsum:3' && i.confidence === 30 && i.attrs.at_least === 'true')).toBe(true);
  });

  it('rejects lines that are not IP<TAB>count', () => {
    const r = parseText('ipsum', '# IPsum\n1.2.3.4\t3\n1.2.3.999\t2\n5.6.7.8\tmany\n9.9.9.9\t1\textra\n');
    expect(r.indicators.map((i) => i.value)).toEqual(['1.2.3.4']);
    expect(r.problems.map((p) => [p.line, p.code])).toEqual([
      [3, 'INTEL_BAD_VALUE'],
      [4, 'INTEL_BAD_LINE'],
      [5, 'INTEL_BAD_LINE'],
    ]);
  });
});

describe.skipIf(!sharedDataPath(`${TI}/maltrail/emotet.txt`))('maltrail trails', () => {
  it('reads the emotet trail: C2 address:ports, domains, URLs, with family and reference', () => {
    const r = parseShared('maltrail/emotet.txt', 'maltrail');
    expect(r.source).toBe('maltrail:emotet');
    expect(r.problems).toEqual([]);
    const c2 = find(r.indicators, '138.197.147.101:443');
    expect(c2).toMatchObject({ type: 'ip-port', family: 'emotet', attrs: { trail: 'emotet', aliases: 'Emotet, Heodo, Geodo' }, line: 12376 });
    expect(c2.reference).toMatch(/^https:\/\//);
    expect(find(r.indicators, '82.118.225.196:7080').type).toBe('ip-port');
    expect(find(r.indicators, 'filmmogzivota.rs/SpryAssets/gDR/').type).toBe('url');
    expect(find(r.indicators, 'dvr.petcp.com')).toMatchObject({ type: 'domain', reference: 'https://twitter.com/_lockhum/status/1221245124707078144' });
  });

  it('reads the trickbot, log4j and mass-scanner trails (with owner comments and CIDRs)', () => {
    expect(parseShared('maltrail/trickbot.txt', 'maltrail').indicators.length).toBeGreaterThan(2000);
    expect(parseShared('maltrail/hacked_log4j.txt', 'maltrail').indicators.map((i) => i.value)).toContain('bingsearchlib.com');
    expect(parseShared('maltrail/generic_log4shell.txt', 'maltrail').indicators.length).toBeGreaterThan(150);
    const scanners = parseShared('maltrail/mass_scanner.txt', 'maltrail');
    expect(find(scanners.indicators, '129.82.138.12').attrs.comment).toBe('pinger1a.netsec.colostate.edu');
    // Three upstream typos ('C91.196.152.28') are reported with their lines, not silently dropped.
    expect(scanners.problems.map((p) => p.line)).toEqual([17474, 17484, 18235]);
    const cidrs = parseShared('maltrail/mass_scanner_cidr.txt', 'maltrail');
    expect(find(cidrs.indicators, '5.63.151.0/24')).toMatchObject({ type: 'cidr', attrs: { comment: 'scanners.labs.rapid7.com' } });
  });

  it('reports malformed trails with line numbers and keeps the rest', () => {
    const r = parseText('maltrail', '# Reference: https://example.org/a\n\n1.2.3.4:80\n1.2.3.4:99999\nnot a trail at all\nbad..domain\n', '/trails/static/malware/foo.txt');
    expect(r.indicators.map((i) => i.value)).toEqual(['1.2.3.4:80']);
    expect(r.problems.map((p) => p.line)).toEqual([4, 5, 6]);
    expect(r.indicators[0]!.family).toBe('foo');
  });
});

describe('ThreatFox exports', () => {
  const CSV = [
    '################################################################',
    '# ThreatFox IOCs: recent                                       #',
    '# Last updated: 2024-04-04 07:16:42 UTC                        #',
    '#                                                              #',
    '# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","reference","tags","anonymous","reporter"',
    '"2024-04-04 07:16:42", "1262406", "45.95.147.236:8080", "ip:port", "botnet_cc", "win.cobalt_strike", "Agentemis,BEACON", "Cobalt Strike", "", "100", "None", "CobaltStrike,cs-watermark-987654321", "0", "abuse_ch"',
    '"2024-04-04 07:10:00", "1262405", "evil-updates.example", "domain", "botnet_cc", "win.qakbot", "", "QakBot", "", "75", "https://example.org/r", "None", "0", "abuse_ch"',
    '"2024-04-04 07:00:00", "1262404", "abcd", "sha3_384_hash", "payload", "win.x", "", "X", "", "50", "None", "None", "0", "abuse_ch"',
    '"2024-04-04 07:00:00", "1262403", "999.1.1.1:80", "ip:port", "botnet_cc", "win.x", "", "X", "", "50", "None", "None", "0", "abuse_ch"',
    '"2024-04-04 07:00:00", "1262402", "short row"',
  ].join('\n');

  it('reads the CSV export: types, family, confidence level, tags', () => {
    expect(detectFeed('/x/threatfox.csv', CSV)).toBe('threatfox');
    const r = parseText('threatfox', CSV);
    expect(r.indicators.map((i) => [i.type, i.value, i.family, i.confidence])).toEqual([
      ['ip-port', '45.95.147.236:8080', 'cobalt-strike', 100],
      ['domain', 'evil-updates.example', 'qakbot', 75],
    ]);
    expect(r.indicators[0]!.tags).toEqual(['botnet_cc', 'cobaltstrike', 'cs-watermark-987654321']);
    expect(r.indicators[0]!.reference).toBe('threatfox:1262406');
    expect(r.problems.map((p) => [p.line, p.code])).toEqual([
      [8, 'INTEL_UNSUPPORTED'],
      [9, 'INTEL_BAD_VALUE'],
      [10, 'INTEL_BAD_LINE'],
    ]);
    expect(r.meta.generatedAt).toBe(Date.parse('2024-04-04T07:16:42Z'));
  });

  it('reads the JSON export and the API response', () => {
    const exportJson = JSON.stringify({ '1262406': [{ ioc_value: 'bad.example.net', ioc_type: 'domain', threat_type: 'botnet_cc', malware_printable: 'Pikabot', confidence_level: 90, first_seen_utc: '2024-04-04 07:16:42', tags: 'pikabot' }] });
    expect(detectFeed('/x/full.json', exportJson)).toBe('threatfox');
    expect(parseText('threatfox', exportJson).indicators.map((i) => [i.value, i.family, i.reference])).toEqual([['bad.example.net', 'pikabot', 'threatfox:1262406']]);
    const api = JSON.stringify({ query_status: 'ok', data: [{ id: '12', ioc: '139.180.203.104:443', ioc_type: 'ip:port', malware_printable: 'Cobalt Strike', confidence_level: 75, first_seen: '2020-12-06 09:10:23 UTC', tags: ['cs'] }] });
    expect(detectFeed('/x/api.json', api)).toBe('threatfox');
    const r = parseText('threatfox', api);
    expect(r.indicators[0]).toMatchObject({ value: '139.180.203.104:443', firstSeen: Date.parse('2020-12-06T09:10:23Z'), tags: ['cs'] });
  });
});

describe.skipIf(!sharedDataPath(`${TI}/stix2/poisonivy.json`))('STIX 2.1 bundles', () => {
  it('reads APT1: CIDR and domain indicators; certificate patterns are reported as unmatchable', () => {
    const r = parseShared('stix2/apt1.json', 'stix');
    expect(r.source).toBe('stix:apt1');
    expect(find(r.indicators, '223.166.0.0/15').type).toBe('cidr');
    expect(find(r.indicators, 'hugesoft.org').type).toBe('domain');
    expect(r.problems).toHaveLength(2);
    expect(r.problems[0]!.code).toBe('INTEL_UNSUPPORTED');
    expect(r.problems[0]!.message).toContain("x509-certificate:issuer = 'CN=WEBMAIL'");
  });

  it('reads Poison Ivy: OR of domain and address comparisons gives one indicator each, family from the relationship', () => {
    const r = parseShared('stix2/poisonivy.json', 'stix');
    expect(find(r.indicators, 'www.webserver.dynssl.com').type).toBe('domain');
    const ip = find(r.indicators, '113.10.246.30');
    expect(ip.type).toBe('ip');
    expect(ip.family).toMatch(/^pivy-variant/); // the malware object it `indicates`
    expect(ip.reference).toMatch(/^indicator--/);
    expect(ip.line).toBeGreaterThan(1);
    // 'domain autuo.xicp.net' is not a domain name: reported, the pattern's addresses still load.
    expect(r.problems.some((p) => p.message.includes("domain-name:value = 'domain autuo.xicp.net'"))).toBe(true);
    expect(r.problems.some((p) => p.message.includes("file:name = 'CBricksDoc'"))).toBe(true);
  });

  it('reads the single-indicator examples, and reports email patterns', () => {
    expect(parseShared('stix2/indicator-for-c2-ip-address.json', 'stix').indicators.map((i) => i.value)).toEqual(['10.0.0.0']);
    expect(parseShared('stix2/indicators-for-C2-with-COA.json', 'stix').indicators.map((i) => i.type).sort()).toEqual(['ip', 'sha256']);
    const email = parseShared('stix2/malicious-email-indicator-with-attachment.json', 'stix');
    expect(email.indicators).toEqual([]);
    expect(email.problems.map((p) => p.code)).toEqual(['INTEL_UNSUPPORTED', 'INTEL_UNSUPPORTED']);
  });

  it('reports a broken bundle with the line of the syntax error', () => {
    const r = parseText('stix', '{\n "type": "bundle",\n "objects": [\n {"type": "indicator",,}\n]}');
    expect(r.indicators).toEqual([]);
    expect(r.problems[0]).toMatchObject({ code: 'INTEL_BAD_LINE', line: 4 });
  });
});

describe.skipIf(!sharedDataPath(`${TI}/misp/existing_event.json`))('MISP events', () => {
  it('reads the Sednit event: domains and ip-dst from attributes and domain-ip objects, with to_ids', () => {
    const r = parseShared('misp/existing_event.json', 'misp');
    expect(r.source).toBe('misp:5a3c2fcd-8328-42bb-a95e-4f4402de0b81');
    expect(find(r.indicators, 'servicecdp.com')).toMatchObject({ type: 'domain', detect: true, family: 'sofacy' });
    expect(find(r.indicators, '87.236.211.182')).toMatchObject({ type: 'ip', attrs: { object: 'domain-ip', misp_type: 'ip-dst' } });
    expect(r.indicators.filter((i) => i.type === 'sha1').length).toBe(37);
    // Non-indicator attributes are counted and reported, not silently dropped.
    expect(r.problems.find((p) => p.message.includes("'text' attributes"))).toBeDefined();
  });

  it('keeps to_ids=false attributes as context that does not detect', () => {
    const r = parseShared('misp/long_event.json', 'misp');
    const hostnames = r.indicators.filter((i) => i.type === 'domain');
    expect(hostnames.some((i) => !i.detect)).toBe(true);
    expect(hostnames.some((i) => i.detect)).toBe(true);
    expect(r.problems.some((p) => p.code === 'INTEL_BAD_VALUE' && p.message.includes("'107.183.86'"))).toBe(true);
  });

  it('reads composite attributes (ip-dst|port, domain|ip, x509 fingerprints) and the osint:certainty tag', () => {
    const event = {
      Event: {
        uuid: 'e1',
        info: 'test',
        Tag: [{ name: 'misp-galaxy:malpedia="Cobalt Strike"' }],
        Attribute: [
          { type: 'ip-dst|port', value: '203.0.113.9|8443', to_ids: true, Tag: [{ name: 'osint:certainty="80"' }] },
          { type: 'domain|ip', value: 'c2.example.org|198.51.100.7', to_ids: true },
          { type: 'x509-fingerprint-sha1', value: 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01', to_ids: true },
          { type: 'ip-dst', value: 'nope', to_ids: true },
        ],
      },
    };
    const r = parseText('misp', JSON.stringify(event, null, 1));
    expect(r.indicators.map((i) => `${i.type} ${i.value}`)).toEqual(['ip-port 203.0.113.9:8443', 'domain c2.example.org', 'ip 198.51.100.7', 'x509-sha1 abcdef0123456789abcdef0123456789abcdef01']);
    expect(r.indicators[0]).toMatchObject({ confidence: 80, family: 'cobalt-strike', reference: 'misp:event:e1' });
    expect(r.problems).toHaveLength(1);
  });
});

describe('MISP warninglists and plain lists', () => {
  it('loads a warninglist as allow-list entries (cidr and hostname lists), reporting regex entries', () => {
    const list = { name: 'List of known IPv4 public DNS resolvers', version: 20240101, description: 'x', matching_attributes: ['ip-dst'], type: 'cidr', list: ['8.8.8.8/32', '1.1.1.0/24', 'bogus'] };
    const text = JSON.stringify(list, null, 2);
    expect(detectFeed('/wl/list.json', text)).toBe('misp-warninglist');
    const r = parseText('misp-warninglist', text);
    expect(r.source).toBe('warninglist:ipv4-public-dns-resolvers');
    expect(r.indicators.map((i) => [i.kind, i.type, i.value])).toEqual([
      ['allow', 'ip', '8.8.8.8'],
      ['allow', 'cidr', '1.1.1.0/24'],
    ]);
    expect(r.problems).toEqual([{ code: 'INTEL_BAD_VALUE', line: 12, message: "'bogus' is not an address, network or domain" }]);
    const hosts = parseText('misp-warninglist', JSON.stringify({ name: 'Google domains', type: 'hostname', matching_attributes: ['hostname'], list: ['.google.com', 'gstatic.com'] }));
    expect(hosts.indicators.map((i) => i.value)).toEqual(['google.com', 'gstatic.com']);
    const regex = parseText('misp-warninglist', JSON.stringify({ name: 'r', type: 'regex', matching_attributes: [], list: ['^a.*'] }));
    expect(regex.problems[0]!.code).toBe('INTEL_UNSUPPORTED');
  });

  it('reads plain lists of mixed values with comments, as threat or allow lists', () => {
    const text = '# partner networks\n192.0.2.0/24 # partner A\n2001:db8::/32\npartner.example\n; comment\nhttp://1.2.3.4/x\n???\n';
    const r = parseText('list', text, '/lists/partners.txt', { kind: 'allow' });
    expect(r.source).toBe('allow:partners');
    expect(r.indicators.map((i) => [i.kind, i.type, i.value, i.attrs.comment ?? ''])).toEqual([
      ['allow', 'cidr', '192.0.2.0/24', 'partner A'],
      ['allow', 'cidr', '2001:db8::/32', ''],
      ['allow', 'domain', 'partner.example', ''],
      ['allow', 'url', '1.2.3.4/x', ''],
    ]);
    expect(r.problems.map((p) => p.line)).toEqual([7]);
    expect(detectFeed('/lists/partners.txt', text)).toBe('list');
  });
});
