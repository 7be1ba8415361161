// The masscan JSON parser on hand-written -oJ output of both masscan generations
// (scan-fixtures.ts), pretty-printed arrays, and malformed records.

import { describe, expect, test } from 'vitest';
import { longLineProblem, resultList } from '../logs/log-parser.js';
import { detectServiceInput } from './service-input.js';
import { detectMasscanJson, MasscanJsonParser } from './masscan-json-parser.js';
import { MASSCAN_NEW, MASSCAN_OLD, NMAP_XML } from './scan-fixtures.js';
import type { ServiceObservation } from './service-observation.js';

function parse(text: string): { out: ServiceObservation[]; records: number; problems: [number, string][]; end?: string } {
  const parser = new MasscanJsonParser();
  const out: ServiceObservation[] = [];
  const lines = text.split('\n');
  let records = 0;
  const problems: [number, string][] = [];
  lines.forEach((l, i) => {
    for (const r of resultList(parser.parseLine(l, i + 1, out))) {
      if (r === true) records++;
      else if (r !== false) problems.push([r.line, r.message]);
    }
  });
  return { out, records, problems, end: parser.finish(lines.length)?.message };
}

const obs = (ip: string, port: number, transport: string, t: number, service = '', banner = '') => ({ ip, port, transport, source: 'masscan', service, product: '', banner, firstSeen: t, lastSeen: t, count: 1 });

describe('masscan JSON', () => {
  test('detected from a JSON array whose first object has ip and ports', () => {
    expect(detectMasscanJson(MASSCAN_OLD.split('\n'))).toBe(true);
    expect(detectServiceInput(MASSCAN_NEW.split('\n'))).toBe('masscan-json');
    expect(detectServiceInput(NMAP_XML.split('\n'))).toBe('nmap-xml');
    expect(detectMasscanJson(['[', '{"src": "10.0.0.1", "dst": "10.0.0.2"}', ']'])).toBe(false);
    expect(detectMasscanJson(['{"ip": "10.0.0.1", "ports": []}'])).toBe(false);
  });

  test('masscan 1.0: trailing commas, a banner record, a closed port, {finished: 1}', () => {
    const { out, records, problems, end } = parse(MASSCAN_OLD);
    expect(problems).toEqual([]);
    expect(end).toBeUndefined();
    expect(records).toBe(5);
    expect(out).toEqual([
      obs('198.51.100.7', 80, 'tcp', 1584816181000),
      obs('198.51.100.7', 80, 'tcp', 1584816183000, 'http.server', 'nginx/1.18.0'),
      obs('198.51.100.9', 443, 'tcp', 1584816182000),
      obs('198.51.100.9', 53, 'udp', 1584816185000),
    ]);
  });

  test('masscan 1.3: commas on lines of their own', () => {
    const { out, records, problems } = parse(MASSCAN_NEW);
    expect(problems).toEqual([]);
    expect(records).toBe(2);
    expect(out).toEqual([obs('203.0.113.4', 22, 'tcp', 1700000000000), obs('203.0.113.4', 22, 'tcp', 1700000002000, 'ssh', 'SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3')]);
  });

  test('a pretty-printed array (jq .) with numeric timestamps and unquoted keys', () => {
    const text = ['[', '  {', '    "ip": "2001:DB8::1",', '    "timestamp": 1700000100,', '    "ports": [', '      {"port": 8443, "proto": "tcp", "status": "open"}', '    ]', '  },', '  {ip: "192.0.2.9", timestamp: "1700000101", ports: [{port: 500, proto: "udp", status: "open"}]}', ']'].join('\n');
    const { out, records, problems } = parse(text);
    expect(problems).toEqual([]);
    expect(records).toBe(2);
    expect(out).toEqual([obs('2001:db8::1', 8443, 'tcp', 1700000100000), obs('192.0.2.9', 500, 'udp', 1700000101000)]);
  });

  test('malformed records: reported on the line the object starts, the others kept', () => {
    const text = [
      '[',
      '{ "ip": "198.51.100.300", "timestamp": "1584816181", "ports": [ {"port": 80, "proto": "tcp", "status": "open"} ] },',
      '{ "ip": "198.51.100.1", "timestamp": "soon", "ports": [ {"port": 80, "proto": "tcp", "status": "open"} ] },',
      '{ "ip": "198.51.100.1", "timestamp": "1584816181", "ports": [ {"port": 70000, "proto": "tcp", "status": "open"} ] },',
      '{ "ip": "198.51.100.1", "timestamp": "1584816181", "ports": [ {"port": 80, "proto": "icmp", "status": "open"} ] },',
      '{ "ip": "198.51.100.1", "timestamp": "1584816181" "ports": [] },',
      '{ "ip": "198.51.100.2", "timestamp": "1584816190", "ports": [ {"port": 8080, "proto": "tcp", "status": "open"} ] },',
      '{ "ip": "198.51.100.3", "timestamp": "1584816191", "ports": [ {"port": 8080,',
    ].join('\n');
    const { out, records, problems, end } = parse(text);
    expect(problems.map(([l, m]) => [l, m.replace(/^(malformed JSON).*/, '$1')])).toEqual([
      [2, "bad address in field 'ip': '198.51.100.300'"],
      [3, "bad time in field 'timestamp': 'soon'"],
      [4, "bad number in field 'port': '70000'"],
      [5, "bad protocol in field 'proto': 'icmp'"],
      [6, 'malformed JSON'],
    ]);
    expect(records).toBe(1);
    expect(out).toEqual([obs('198.51.100.2', 8080, 'tcp', 1584816190000)]);
    expect(end).toBe('truncated file: the object opened at line 8 is not closed (last line 8)');
  });

  // masscan 1.3 layout: each object on one line, commas on lines of their own.
  const RECORD = (ip: string, port: number, t: number) => `{   "ip": "${ip}",   "timestamp": "${t}", "ports": [ {"port": ${port}, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 61} ] }`;

  test('an object left unclosed is rejected at its line; the records after it are read and counted', () => {
    // Line 4's object lost its closing "} ] }": it used to swallow lines 6 and 8 uncounted.
    const text = ['[', RECORD('10.2.0.1', 80, 1700000000), ',', RECORD('10.2.0.5', 22, 1700000001).replace(/\} \] \}$/, ''), ',', RECORD('10.2.0.6', 443, 1700000002), ',', RECORD('10.2.0.7', 8080, 1700000003), ']'].join('\n');
    const { out, records, problems, end } = parse(text);
    expect(problems).toEqual([[4, 'truncated record: the object opened at line 4 is not closed (the next one opens at line 6)']]);
    expect(records).toBe(3);
    expect(end).toBeUndefined();
    expect(out).toEqual([obs('10.2.0.1', 80, 'tcp', 1700000000000), obs('10.2.0.6', 443, 'tcp', 1700000002000), obs('10.2.0.7', 8080, 'tcp', 1700000003000)]);
  });

  test('pretty-printed: an unclosed object ends where the next record opens on a line of its own', () => {
    const text = ['[', '  {', '    "ip": "192.0.2.1",', '    "timestamp": 1700000100,', '    "ports": [', '      {', '        "port": 80,', '  {', '    "ip": "192.0.2.2",', '    "timestamp": 1700000101,', '    "ports": [', '      {', '        "port": 81, "proto": "tcp", "status": "open"', '      }', '    ]', '  }', ']'].join('\n');
    const { out, records, problems } = parse(text);
    expect(problems).toEqual([[2, 'truncated record: the object opened at line 2 is not closed (the next one opens at line 8)']]);
    expect(records).toBe(1);
    expect(out).toEqual([obs('192.0.2.2', 81, 'tcp', 1700000101000)]);
  });

  test('a line cut inside a string spoils its object only; two objects on one line count two', () => {
    const cut = RECORD('10.2.0.9', 22, 1700000010).slice(0, 41); // ends inside "timestamp"'s value
    const text = ['[', cut, `${RECORD('10.2.0.10', 22, 1700000011)},${RECORD('10.2.0.11', 23, 1700000012)}`, ']'].join('\n');
    const { out, records, problems } = parse(text);
    expect(cut.endsWith('"170')).toBe(true);
    expect(problems).toEqual([[2, 'truncated line: a string is not closed']]);
    expect(records).toBe(2);
    expect(out).toEqual([obs('10.2.0.10', 22, 'tcp', 1700000011000), obs('10.2.0.11', 23, 'tcp', 1700000012000)]);
  });

  test('a line skipped for its length rejects the object it is in, or itself between objects', () => {
    const parser = new MasscanJsonParser();
    const out: ServiceObservation[] = [];
    parser.parseLine('[', 1, out);
    expect(parser.skipLine(longLineProblem(2, 1048576))).toEqual({ code: 'IMPORT_RECORD', line: 2, message: 'line longer than 1048576 characters: skipped' });
    expect(parser.parseLine('  {', 3, out)).toBe(false);
    expect(parser.parseLine('    "ip": "192.0.2.1", "timestamp": 1700000100,', 4, out)).toBe(false);
    expect(parser.skipLine(longLineProblem(5, 1048576))).toBe(false);
    expect(parser.parseLine('    "ports": [{"port": 80, "proto": "tcp", "status": "open"}]', 6, out)).toBe(false);
    expect(parser.parseLine('  }', 7, out)).toEqual({ code: 'IMPORT_RECORD', line: 5, message: 'line longer than 1048576 characters: skipped' });
    expect(out).toEqual([]);
  });
});
