// Bad input in every feed format: each rejected entry is reported with its own line and the
// whole value, values a feed gets wrong are rejected rather than clamped or dropped, and a feed
// cut short (its trailer or count missing or wrong) says so, so that its load expires nothing.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { FEED_PARSERS } from '../detect-feed.js';
import type { FeedKind } from '../indicator.js';

function parse(kind: FeedKind, text: string, file = `/feeds/${kind}.txt`) {
  return FEED_PARSERS[kind].parse({ file, text, kind: 'threat' });
}

const values = (r: ReturnType<typeof parse>) => r.indicators.map((i) => i.value);

describe('Feodo Tracker: the # END trailer, ports and dates', () => {
  const BANNER = [
    '################################################################',
    '# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #',
    '# Last updated: 2024-04-04 07:03:03 UTC                        #',
    '################################################################',
    '"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"',
  ];
  const ROWS = [
    '"2024-01-01 00:00:00","192.0.2.1","443","online","2024-04-01","Pikabot"', // line 6
    '"2024-01-01 00:00:00","192.0.2.2","97850","online","2024-04-01","Pikabot"', // line 7
    '"notadate","192.0.2.3","443","offline","2024-04-01","Pikabot"', // line 8
  ];

  it('rejects a port above 65535 and a first_seen that is not a date, with their lines', () => {
    const r = parse('feodo', [...BANNER, ...ROWS, '# END 3 entries'].join('\n'));
    expect(values(r)).toEqual(['192.0.2.1']);
    expect(r.problems).toEqual([
      { code: 'INTEL_BAD_VALUE', line: 7, message: "port '97850' of 192.0.2.2 is not a port number (0-65535)" },
      { code: 'INTEL_BAD_VALUE', line: 8, message: "first_seen_utc 'notadate' is not a date/time (C2 192.0.2.3)" },
    ]);
    expect(r.entries).toBe(3);
    expect(r.incomplete).toBeUndefined();
  });

  it('a file with the banner but no # END line is cut short; its open last line is rejected', () => {
    const cut = [...BANNER, ROWS[0], '"2024-01-01 00:00:00","192.0.2.2","443","online","2024-04-01","Pika'].join('\n');
    const r = parse('feodo', cut.replace(/Pika$/, 'Pika"'));
    expect(values(r)).toEqual(['192.0.2.1']);
    expect(r.problems).toEqual([
      {
        code: 'INTEL_BAD_LINE',
        line: 7,
        message: `last line '"2024-01-01 00:00:00","192.0.2.2","443","online","2024-04-01","Pika"' has no line end and the feed's trailer is missing: it may be cut short`,
      },
    ]);
    expect(r.incomplete).toBe("cut short: no '# END <n> entries' line after the last entry (line 7)");
    // Cut at a line end: every line is whole, but the feed is still cut short.
    const atLineEnd = parse('feodo', [...BANNER, ROWS[0], ''].join('\n'));
    expect(values(atLineEnd)).toEqual(['192.0.2.1']);
    expect(atLineEnd.problems).toEqual([]);
    expect(atLineEnd.incomplete).toBe("cut short: no '# END <n> entries' line after the last entry (line 6)");
  });

  it('a count that disagrees with the rows read makes the feed incomplete; hand-made files need no trailer', () => {
    expect(parse('feodo', [...BANNER, ...ROWS, '# END 4 entries'].join('\n')).incomplete).toBe("its '# END 4 entries' line disagrees with the 3 entries read");
    const handMade = parse('feodo', [BANNER[4], ROWS[0]].join('\n'));
    expect(values(handMade)).toEqual(['192.0.2.1']);
    expect(handMade.incomplete).toBeUndefined();
  });

  it.skipIf(!sharedDataPath('threat-intel/abusech-feodo/ipblocklist.csv'))('the real blocklist cut to its first 20 lines: 11 entries, cut short', () => {
    const text = readFileSync(sharedDataPath('threat-intel/abusech-feodo/ipblocklist.csv')!, 'utf8');
    const r = parse('feodo', `${text.split('\n').slice(0, 20).join('\n')}\n`);
    expect(r.indicators).toHaveLength(11);
    expect(r.problems).toEqual([]);
    expect(r.incomplete).toBe("cut short: no '# END <n> entries' line after the last entry (line 20)");
  });

  it('JSON: a port that is not a number and an entry that is not an object are rejected at their lines', () => {
    const text = [
      '[',
      ' {"ip_address": "192.0.2.44", "port": "abc", "status": "online", "malware": "QakBot"},',
      ' {"ip_address": "192.0.2.45", "port": 443, "status": "online", "malware": "QakBot", "first_seen": "2026-08-10 00:00:00"},',
      ' null',
      ']',
    ].join('\n');
    const r = parse('feodo', text, '/feeds/ipblocklist.json');
    expect(r.indicators.map((i) => [i.value, i.attrs.ports])).toEqual([['192.0.2.45', '443']]);
    expect(r.problems).toEqual([
      { code: 'INTEL_BAD_LINE', line: 4, message: 'entry 3 is null, not an object with an ip_address' },
      { code: 'INTEL_BAD_VALUE', line: 2, message: "port 'abc' of 192.0.2.44 is not a port number (0-65535)" },
    ]);
  });
});

describe('Spamhaus: the ; EOF trailer and the metadata record count', () => {
  const DROP = ['; Spamhaus DROP List 2025/01/17 - (c) 2025 The Spamhaus Project SLU', '1.10.16.0/20 ; SBL256894', '2.56.192.0/22 ; SBL459831'];

  it('a dated list ending with ; EOF is whole; without it, it is cut short', () => {
    expect(parse('spamhaus', [...DROP, '; EOF', ''].join('\n')).incomplete).toBeUndefined();
    const cut = parse('spamhaus', [...DROP, ''].join('\n'));
    expect(values(cut)).toEqual(['1.10.16.0/20', '2.56.192.0/22']);
    expect(cut.problems).toEqual([]);
    expect(cut.incomplete).toBe("cut short: no '; EOF' line after the last entry (line 3)");
    expect(parse('spamhaus', [...DROP, '; EOF', '5.6.7.0/24 ; SBL3', ''].join('\n')).incomplete).toBe("entries follow its '; EOF' line (line 4)");
  });

  it('a list cut inside its last line does not load the cut network', () => {
    const r = parse('spamhaus', [...DROP, '223.254.0.0/1'].join('\n'));
    expect(values(r)).toEqual(['1.10.16.0/20', '2.56.192.0/22']);
    expect(r.problems).toEqual([{ code: 'INTEL_BAD_LINE', line: 4, message: "last line '223.254.0.0/1' has no line end and the feed's trailer is missing: it may be cut short" }]);
    expect(r.incomplete).toBe("cut short: no '; EOF' line after the last entry (line 4)");
  });

  it('lists from before 2024 and undated ones need no ; EOF', () => {
    expect(parse('spamhaus', '; Spamhaus EDROP List 2023/12/01 - (c) 2023 The Spamhaus Project\n2.56.247.0/24 ; SBL620754\n').incomplete).toBeUndefined();
    expect(parse('spamhaus', '; Spamhaus DROP List\n1.2.3.0/24 ; SBL1\n5.6.7.0/24 ; SBL3').incomplete).toBeUndefined();
  });

  it.skipIf(!sharedDataPath('threat-intel/spamhaus/drop.txt'))('the real DROP list cut in its last line (223.254.0.0/1): 1,384 networks, no 128.0.0.0/1', () => {
    const lines = readFileSync(sharedDataPath('threat-intel/spamhaus/drop.txt')!, 'utf8').split('\n');
    expect(lines[1388]).toBe('223.254.0.0/16 ; SBL212803');
    const r = parse('spamhaus', [...lines.slice(0, 1388), '223.254.0.0/1'].join('\n'));
    expect(r.indicators).toHaveLength(1384);
    expect(values(r)).not.toContain('128.0.0.0/1');
    expect(r.problems.map((p) => [p.line, p.code])).toEqual([[1389, 'INTEL_BAD_LINE']]);
    expect(r.incomplete).toBe("cut short: no '; EOF' line after the last entry (line 1389)");
  });

  it('JSON lines: the metadata line must come and count the records read', () => {
    const records = ['{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}', '{"cidr":"2.56.192.0/22","sblid":"SBL459831","rir":"ripencc"}'];
    expect(parse('spamhaus', [...records, '{"type":"metadata","timestamp":1737133427,"records":2}'].join('\n')).incomplete).toBeUndefined();
    const withNull = parse('spamhaus', [records[0], 'null', '{"type":"metadata","timestamp":1737133427,"records":2}'].join('\n'));
    expect(withNull.problems).toEqual([{ code: 'INTEL_BAD_LINE', line: 2, message: 'the line is null, not a record object' }]);
    expect(withNull.incomplete).toBeUndefined();
    expect(parse('spamhaus', [...records, '{"type":"metadata","timestamp":1737133427,"records":9}'].join('\n')).incomplete).toBe('its metadata line (line 3) counts 9 records, 2 read');
    const cut = parse('spamhaus', records.join('\n'));
    expect(values(cut)).toEqual(['1.10.16.0/20']);
    expect(cut.problems).toEqual([
      { code: 'INTEL_BAD_LINE', line: 2, message: `last line '${records[1]}' has no line end and the feed's trailer is missing: it may be cut short` },
    ]);
    expect(cut.incomplete).toBe('cut short: no metadata line ({"type":"metadata",...,"records":N}) after the last record (line 2)');
  });
});

describe('STIX: entries that are not objects, lists that are not lists, values out of range', () => {
  it('rejects null, numbers, a confidence of 900, a bad valid_from and a string of labels, each at its line; the rest loads', () => {
    const text = [
      '{"type": "bundle", "id": "bundle--b", "objects": [',
      ' null,',
      ` {"type": "indicator", "id": "indicator--a", "pattern": "[ipv4-addr:value = '10.6.0.1']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z", "confidence": 900},`,
      ` {"type": "indicator", "id": "indicator--b", "pattern": "[ipv4-addr:value = '10.6.0.2']", "pattern_type": "stix",`,
      '  "valid_from": "yesterday"},',
      ` {"type": "indicator", "id": "indicator--c", "pattern": "[ipv4-addr:value = '10.6.0.3']", "valid_from": "2024-01-01T00:00:00Z", "indicator_types": "malicious-activity"},`,
      ` {"type": "indicator", "id": "indicator--d", "pattern": "[ipv4-addr:value = '10.6.0.4']", "valid_from": "2024-01-01T00:00:00Z", "confidence": 80},`,
      ' 42',
      ']}',
    ].join('\n');
    const r = parse('stix', text, '/feeds/bundle.json');
    expect(r.indicators.map((i) => [i.value, i.confidence, i.firstSeen])).toEqual([['10.6.0.4', 80, Date.parse('2024-01-01T00:00:00Z')]]);
    expect(r.problems).toEqual([
      { code: 'INTEL_BAD_LINE', line: 2, message: 'objects[0] is null, not a STIX object' },
      { code: 'INTEL_BAD_LINE', line: 8, message: 'objects[5] is a number, not a STIX object' },
      { code: 'INTEL_BAD_VALUE', line: 3, message: 'indicator--a: confidence 900 is not a number from 0 to 100' },
      { code: 'INTEL_BAD_VALUE', line: 5, message: "indicator--b: valid_from 'yesterday' is not a date/time" },
      { code: 'INTEL_BAD_VALUE', line: 6, message: 'indicator--c: indicator_types is a string, not a list of strings' },
    ]);
    expect(r.entries).toBe(6);
    expect(r.incomplete).toBeUndefined();
  });

  it('"objects" that is not a list is one problem at its line, and the feed is incomplete', () => {
    const r = parse('stix', '{"type": "bundle", "id": "bundle--x",\n "objects": "notalist"}');
    expect(r.indicators).toEqual([]);
    expect(r.problems).toEqual([{ code: 'INTEL_BAD_LINE', line: 2, message: '"objects" is a string, not a list of STIX objects' }]);
    expect(r.incomplete).toBe('"objects" is a string, not a list of STIX objects');
  });
});

describe('MISP: nulls, wrong types and values, each at its own line', () => {
  it('rejects null attributes, objects, tags and galaxies, non-text and missing values, and a certainty of 900; the rest loads', () => {
    const text = [
      '{"Event": {', // 1
      '  "uuid": "e1",',
      '  "info": "nulls",',
      '  "Tag": [null, {"name": "tlp:white"}],', // 4
      '  "Galaxy": [null],', // 5
      '  "Attribute": [',
      '    null,', // 7
      '    {"type": "ip-dst", "value": "198.51.100.1", "to_ids": true, "Tag": [null]},', // 8
      '    {"type": "ip-dst", "value": 5},', // 9
      '    {"type": "domain", "value": "a.example"},',
      '    {"type": "domain", "value": "b.example"},',
      '    {"type": "domain",', // 12: attribute 6 (index 5) has no value
      '     "to_ids": true},',
      '    {"type": "ip-dst", "value": "198.51.100.2", "Tag": [{"name": "osint:certainty=\\"900\\""}]},', // 14
      '    {"type": "ip-dst", "value": "198.51.100.3", "first_seen": "notadate"}', // 15
      '  ],',
      '  "Object": [null, {"name": "domain-ip", "Attribute": [null, {"type": "domain", "value": "c.example"}]}]', // 17
      '}}',
    ].join('\n');
    const r = parse('misp', text, '/feeds/event.json');
    expect(values(r)).toEqual(['198.51.100.1', 'a.example', 'b.example', 'c.example']);
    expect(r.indicators.find((i) => i.value === 'c.example')!.line).toBe(17);
    expect(r.problems).toEqual([
      { code: 'INTEL_BAD_LINE', line: 4, message: 'Event.Tag[0] is null, not a tag' },
      { code: 'INTEL_BAD_LINE', line: 5, message: 'Event.Galaxy[0] is null, not a galaxy' },
      { code: 'INTEL_BAD_LINE', line: 7, message: 'Event.Attribute[0] is null, not an attribute' },
      { code: 'INTEL_BAD_LINE', line: 17, message: 'Event.Object[0] is null, not a MISP object' },
      { code: 'INTEL_BAD_LINE', line: 17, message: 'Event.Object[1].Attribute[0] is null, not an attribute' },
      { code: 'INTEL_BAD_LINE', line: 8, message: 'Event.Attribute[1].Tag[0] is null, not a tag' },
      { code: 'INTEL_BAD_VALUE', line: 9, message: 'ip-dst attribute value is a number (5), not a text' },
      { code: 'INTEL_BAD_LINE', line: 12, message: 'domain attribute without a value' },
      { code: 'INTEL_BAD_VALUE', line: 14, message: `ip-dst attribute '198.51.100.2': tag 'osint:certainty="900"' is not a certainty from 0 to 100` },
      { code: 'INTEL_BAD_VALUE', line: 15, message: "ip-dst attribute '198.51.100.3': first_seen 'notadate' is not a date/time" },
    ]);
    expect(r.entries).toBe(10); // 8 attribute objects and 2 nulls in attribute lists
    expect(r.incomplete).toBeUndefined();
  });

  it('"Attribute": "notalist" is one problem at its line (not its characters), and the feed is incomplete', () => {
    const text = [
      '{"Event": {',
      '  "uuid": "e2",',
      '  "Attribute": "notalist",',
      '  "Object": [{"name": "domain-ip", "Attribute": [{"type": "domain", "value": "c.example"}]}]',
      '}}',
    ].join('\n');
    const r = parse('misp', text, '/feeds/weird.json');
    expect(values(r)).toEqual(['c.example']);
    expect(r.problems).toEqual([{ code: 'INTEL_BAD_LINE', line: 3, message: 'Event.Attribute is a string, not a list of attributes' }]);
    expect(r.incomplete).toBe('Event.Attribute is a string, not a list of attributes');
  });
});

describe('warninglists, ThreatFox JSON and plain lists', () => {
  it('warninglist entries that are not text are rejected at their lines; an unknown list type refuses the list', () => {
    const r = parse('misp-warninglist', '{"name": "nums", "type": "cidr", "matching_attributes": ["ip-dst"], "list": [\n  "8.8.8.8/32",\n  12345,\n  null\n]}');
    expect(values(r)).toEqual(['8.8.8.8']);
    expect(r.problems).toEqual([
      { code: 'INTEL_BAD_VALUE', line: 3, message: 'list entry 2 is a number (12345), not a text' },
      { code: 'INTEL_BAD_VALUE', line: 4, message: 'list entry 3 is null, not a text' },
    ]);
    const bogus = parse('misp-warninglist', '{"name": "b",\n "type": "bogus", "matching_attributes": [], "list": ["8.8.8.8"]}');
    expect(bogus.indicators).toEqual([]);
    expect(bogus.problems).toEqual([{ code: 'INTEL_BAD_LINE', line: 2, message: 'warninglist type "bogus" is not one of cidr, string, hostname, substring, regex' }]);
    expect(bogus.incomplete).toBe(bogus.problems[0]!.message);
  });

  it('ThreatFox JSON: entries that are not objects, a confidence of 900 and a bad date are rejected at their lines', () => {
    const text = [
      '{"query_status": "ok", "data": [',
      '  null,',
      '  {"ioc": "203.0.113.7:443", "ioc_type": "ip:port", "confidence_level": 75},',
      '  {"ioc": "203.0.113.8:443", "ioc_type": "ip:port", "confidence_level": 900},',
      '  {"ioc": "203.0.113.9:443", "ioc_type": "ip:port", "first_seen": "notadate"},',
      '  42',
      ']}',
    ].join('\n');
    const r = parse('threatfox', text, '/feeds/tf.json');
    expect(r.indicators.map((i) => [i.value, i.confidence])).toEqual([['203.0.113.7:443', 75]]);
    expect(r.problems).toEqual([
      { code: 'INTEL_BAD_LINE', line: 2, message: 'IOC entry is null, not an object' },
      { code: 'INTEL_BAD_VALUE', line: 4, message: "203.0.113.8:443: confidence_level '900' is not a number from 0 to 100" },
      { code: 'INTEL_BAD_VALUE', line: 5, message: "203.0.113.9:443: first_seen_utc 'notadate' is not a date/time" },
      { code: 'INTEL_BAD_LINE', line: 6, message: 'IOC entry is a number, not an object' },
    ]);
    const none = parse('threatfox', '{"query_status": "no_result", "data": "Your search did not yield any results"}');
    expect(none.incomplete).toBe('query_status "no_result", and "data" is a string, not a list of IOCs');
  });

  it('a plain-list line is one value: the whole of it is shown when it is rejected', () => {
    const r = parse('list', '192.0.2.1\nnot a value\n192.0.2.2 192.0.2.3\n192.0.2.4 # ok\n', '/lists/mine.txt');
    expect(values(r)).toEqual(['192.0.2.1', '192.0.2.4']);
    expect(r.problems).toEqual([
      { code: 'INTEL_BAD_VALUE', line: 2, message: "'not a value' is not an address, network, domain, URL or hash" },
      { code: 'INTEL_BAD_VALUE', line: 3, message: "'192.0.2.2 192.0.2.3' is not an address, network, domain, URL or hash" },
    ]);
  });
});
