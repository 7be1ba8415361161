// The nmap XML parser on a hand-written -oX file (scan-fixtures.ts): open ports only, times
// from the host or the scan, addresses outside <host> ignored, and problems as file lines.

import { describe, expect, test } from 'vitest';
import type { LineResult } from '../logs/log-parser.js';
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
    const r: LineResult = parser.parseLine(l, i + 1, out);
    if (r === true) records++;
    else if (r !== false) problems.push([r.line, r.message]);
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
});
