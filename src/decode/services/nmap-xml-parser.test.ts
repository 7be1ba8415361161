// The nmap XML parser on a hand-written -oX file (scan-fixtures.ts): open ports only, times
// from the host or the scan, addresses outside <host> ignored, and problems as file lines.

import { describe, expect, test } from 'vitest';
import { longLineProblem, resultList } from '../logs/log-parser.js';
import { detectServiceInput } from './service-input.js';
import { detectNmapXml, NmapXmlParser } from './nmap-xml-parser.js';
import { NMAP_XML } from './scan-fixtures.js';
import type { ServiceObservation } from './service-observation.js';

function parse(text: string): { out: ServiceObservation[]; records: number; problems: [number, string][]; end?: string } {
  const parser = new NmapXmlParser();
  const out: ServiceObservation[] = [];
  const lines = text.split('\n');
  let records = 0;
  const problems: [number, string][] = [];
  lines.forEach((l, i) => {
    for (const r of resultList(parser.parseLine(l, i + 1, out))) {
      if (r === true) records++;
      else if (r !== false) problems.push([r.line, r.code === 'IMPORT_FORMAT' ? `${r.code}: ${r.message}` : r.message]);
    }
  });
  return { out, records, problems, end: parser.finish(lines.length)?.message };
}

const obs = (ip: string, port: number, transport: string, service: string, product: string, firstSeen: number, lastSeen: number) => ({ ip, port, transport, source: 'nmap', service, product, banner: '', firstSeen, lastSeen, count: 1 });

describe('nmap XML', () => {
  test('detected by <nmaprun in the first lines', () => {
    const head = NMAP_XML.split('\n').slice(0, 64);
    expect(detectNmapXml(head)).toBe(true);
    expect(detectServiceInput(head)).toBe('nmap-xml');
    expect(detectServiceInput(['<?xml version="1.0"?>', '<svg>'])).toBeUndefined();
  });

  test('the three hosts: open ports, product "product version (extrainfo)", ssl tunnel named', () => {
    const { out, records, problems, end } = parse(NMAP_XML);
    expect(problems).toEqual([]);
    expect(end).toBeUndefined();
    expect(records).toBe(3);
    // 192.0.2.1: starttime 1709633522, endtime 1709633540; 8080 is filtered. 192.0.2.5: endtime
    // 1709633561; 123/udp is open|filtered. 2001:db8::10: no starttime, the scan's start 1709633521.
    expect(out).toEqual([
      obs('192.0.2.1', 22, 'tcp', 'ssh', 'OpenSSH 8.9p1 Ubuntu 3ubuntu0.6 (Ubuntu Linux; protocol 2.0)', 1709633522000, 1709633540000),
      obs('192.0.2.1', 53, 'tcp', 'domain', 'dnsmasq 2.90', 1709633522000, 1709633540000),
      obs('192.0.2.1', 443, 'tcp', 'ssl/http', 'nginx', 1709633522000, 1709633540000),
      obs('192.0.2.5', 161, 'udp', 'snmp', 'net-snmp (SNMPv3 server)', 1709633522000, 1709633561000),
      obs('192.0.2.5', 80, 'tcp', '', '', 1709633522000, 1709633561000),
      obs('2001:db8::10', 443, 'tcp', 'https', '', 1709633521000, 1709633521000),
    ]);
  });

  test('a bad address or port drops its host with one problem on the line at fault; the others stay', () => {
    const text = [
      '<nmaprun scanner="nmap" start="1709633521">',
      '<host starttime="1709633522" endtime="1709633523"><status state="up"/>',
      '<address addr="192.0.2.300" addrtype="ipv4"/>',
      '<ports><port protocol="tcp" portid="22"><state state="open"/></port></ports>',
      '</host>',
      '<host starttime="1709633522" endtime="1709633523"><address addr="192.0.2.6" addrtype="ipv4"/>',
      '<ports><port protocol="tcp" portid="http"><state state="open"/></port></ports>',
      '</host>',
      '<host starttime="1709633524"><address addr="192.0.2.7" addrtype="ipv4"/>',
      '<ports><port protocol="tcp" portid="25"><state state="open"/><service name="smtp" product="Postfix smtpd"/></port></ports>',
      '</host>',
      '<host starttime="1709633525"><address addr="192.0.2.8" addrtype="ipv4"/>',
      '<ports><port protocol="tcp" portid="25"><state state="open"/>',
    ].join('\n');
    const { out, records, problems, end } = parse(text);
    expect(problems).toEqual([
      [3, "bad address in field 'addr': '192.0.2.300'"],
      [7, "bad number in field 'portid': 'http'"],
    ]);
    expect(records).toBe(1);
    expect(out).toEqual([obs('192.0.2.7', 25, 'tcp', 'smtp', 'Postfix smtpd', 1709633524000, 1709633524000)]);
    // nmap killed mid-scan: the last host is never closed.
    expect(end).toBe('truncated file: the <host> opened at line 12 is not closed');
  });

  /** A <host> of one address and one open TCP port, over three lines. */
  const HOST = (ip: string, port: number, service: string) => [
    '<host starttime="1700000001" endtime="1700000002"><status state="up"/>',
    `<address addr="${ip}" addrtype="ipv4"/>`,
    `<ports><port protocol="tcp" portid="${port}"><state state="open"/><service name="${service}"/></port></ports>`,
    '</host>',
  ];
  const ROOT = '<nmaprun scanner="nmap" start="1700000000">';

  test('a tag left open rejects its host at the line the XML breaks; the next host is not merged into it', () => {
    // 10.3.0.2's <service name="http" is cut off (line 9) and line 10 opens 10.3.0.3's <host>: the
    // tag scanner this replaces read line 10's attributes into the <service> and gave 443 to 10.3.0.2.
    const broken = HOST('10.3.0.2', 80, 'http').slice(0, 3);
    broken[2] = broken[2]!.replace('"/></port></ports>', '"');
    const text = ['<?xml version="1.0"?>', ROOT, ...HOST('10.3.0.1', 22, 'ssh'), ...broken, ...HOST('10.3.0.3', 443, 'https'), ...HOST('10.3.0.4', 25, 'smtp'), '</nmaprun>'].join('\n');
    const { out, records, problems, end } = parse(text);
    expect(problems).toEqual([[10, `malformed XML: disallowed character in attribute name at '<host starttime="1700000001" e' (the <host> opened at line 7 is dropped)`]]);
    expect(records).toBe(3);
    expect(end).toBeUndefined();
    expect(out.map((o) => [o.ip, o.port, o.service])).toEqual([
      ['10.3.0.1', 22, 'ssh'],
      ['10.3.0.3', 443, 'https'],
      ['10.3.0.4', 25, 'smtp'],
    ]);
  });

  test('a <host> not closed before the next one is rejected at its opening line', () => {
    const text = [ROOT, ...HOST('10.3.0.5', 80, 'http').slice(0, 2), ...HOST('10.3.0.6', 81, 'http'), '</nmaprun>'].join('\n');
    const { out, records, problems } = parse(text);
    expect(problems).toEqual([[2, 'truncated record: the <host> opened at line 2 is not closed before the next <host> at line 4']]);
    expect(records).toBe(1);
    expect(out.map((o) => [o.ip, o.port])).toEqual([['10.3.0.6', 81]]);
  });

  test('a bare & is malformed XML at once (saxes would read on to the next ;): its host is dropped, the others kept', () => {
    // An & in a comment is fine (line 2); in 10.3.0.7's <service> (line 5) it is not.
    const text = [ROOT, '<!-- nmap -sV a&b -->', ...HOST('10.3.0.7', 80, 'a&b'), ...HOST('10.3.0.8', 80, 'http&amp;x'), '</nmaprun>'].join('\n');
    const { out, records, problems } = parse(text);
    expect(problems).toEqual([[5, `malformed XML: '&' that starts no entity reference at '&b"/></port></ports>' (the <host> opened at line 3 is dropped)`]]);
    expect(records).toBe(1);
    expect(out.map((o) => [o.ip, o.service])).toEqual([['10.3.0.8', 'http&x']]);
  });

  test('a comment never closed is reported: the lines after it were not read', () => {
    const text = [ROOT, ...HOST('10.3.0.11', 80, 'http'), '<!-- cut', ...HOST('10.3.0.12', 80, 'http')].join('\n');
    const { out, records, end } = parse(text);
    expect(records).toBe(1);
    expect(out.map((o) => o.ip)).toEqual(['10.3.0.11']);
    expect(end).toBe('malformed XML: the comment opened at line 6 is not closed: the 4 lines after it were read as comment');
  });

  test('a file that is not nmap XML is a format problem', () => {
    expect(parse('<nmaprun <<<>>> &&&').problems).toEqual([[1, "IMPORT_FORMAT: not nmap XML: malformed XML: disallowed character in attribute name at '<<<>>> &&&'"]]);
    expect(parse('<svg>\n<!-- <nmaprun> -->\n</svg>').problems).toEqual([[1, 'IMPORT_FORMAT: not nmap XML: the root element is <svg>, not <nmaprun>']]);
    expect(parse('<!-- <nmaprun> -->').end).toBe('not nmap XML: no <nmaprun> element');
  });

  test('a line skipped for its length drops the host it is in; reading resumes at the next <host>', () => {
    const parser = new NmapXmlParser();
    const out: ServiceObservation[] = [];
    const lines = [ROOT, ...HOST('10.3.0.9', 80, 'http'), ...HOST('10.3.0.10', 80, 'http'), '</nmaprun>'];
    const results: unknown[] = [];
    lines.forEach((l, i) => results.push(i === 2 ? parser.skipLine(longLineProblem(3, 1048576)) : parser.parseLine(l, i + 1, out)));
    expect(results).toEqual([false, false, { code: 'IMPORT_RECORD', line: 3, message: 'line longer than 1048576 characters: skipped' }, false, false, false, false, false, true, false]);
    expect(parser.finish(lines.length)).toBeUndefined();
    expect(out.map((o) => o.ip)).toEqual(['10.3.0.10']);
  });
});
