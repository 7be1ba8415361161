import { describe, expect, it } from 'vitest';
import { parseIp } from '../../core/ip.js';
import { parseMapSpec } from './column-mapping.js';
import { JsonlParser } from './jsonl-parser.js';
import { parseLogText } from './parse-log-text.js';

describe('JsonlParser mapping', () => {
  it('accepts Vantage names with JSON types', () => {
    const line = JSON.stringify({ start: 1714564800000, end: 1714564801500, src: '10.0.0.1', dst: '2001:db8::2', sport: 1234, dport: 443, proto: 6, tcp_flags: 'SA', packets: 3, bytes: 180, tags: ['c2', 'feodo'] });
    const r = parseLogText(new JsonlParser(), `${line}\n`);
    expect(r.problems).toEqual([]);
    expect(r.records[0]).toEqual({
      start: 1714564800000,
      end: 1714564801500,
      src: parseIp('10.0.0.1'),
      dst: parseIp('2001:db8::2'),
      sport: 1234,
      dport: 443,
      proto: 6,
      tcp_flags: 18,
      packets: 3,
      bytes: 180,
      tags: ['c2', 'feodo'],
      // Enrichment columns the line does not give: present, empty.
      src_as: null,
      dst_as: null,
      src_country: null,
      dst_country: null,
    });
  });

  it('flattens nested objects, so ECS source.ip / destination.port map', () => {
    const ecs = { '@timestamp': 'x', event: { start: '2024-05-01T12:00:00.250Z', end: '2024-05-01T12:00:01Z' }, source: { ip: '10.0.0.1', port: 40000, bytes: 500, packets: 4 }, destination: { ip: '10.0.0.2', port: 22 }, network: { transport: 'tcp', bytes: 900 } };
    const r = parseLogText(new JsonlParser(), JSON.stringify(ecs));
    expect(r.problems).toEqual([]);
    // source.bytes (one direction) is preferred to network.bytes (both)
    expect(r.records[0]).toMatchObject({ start: Date.UTC(2024, 4, 1, 12, 0, 0, 250), end: Date.UTC(2024, 4, 1, 12, 0, 1), src: parseIp('10.0.0.1'), sport: 40000, dst: parseIp('10.0.0.2'), dport: 22, proto: 6, bytes: 500, packets: 4 });
  });

  it('reads epoch seconds, a duration, and IPv4 as an integer', () => {
    const r = parseLogText(new JsonlParser(), '{"ts": 1714564800.5, "duration": 2.25, "srcaddr": 167772161, "dstaddr": "10.0.0.2", "protocol": "ICMP", "dp": 771}');
    expect(r.problems).toEqual([]);
    expect(r.records[0]).toMatchObject({ start: 1714564800500, end: 1714564802750, src: parseIp('10.0.0.1'), proto: 1, dport: 771, icmp_type: 3, icmp_code: 3 });
  });

  it('takes --map overrides, with dotted paths for nested keys', () => {
    const r = parseLogText(new JsonlParser(parseMapSpec('src=attacker.addr,dst=victim')), '{"time": 0, "attacker": {"addr": "10.0.0.66"}, "victim": "10.0.0.1", "src": "10.9.9.9", "dst": "10.8.8.8"}');
    expect(r.problems).toEqual([]);
    expect(r.records[0]).toMatchObject({ src: parseIp('10.0.0.66'), dst: parseIp('10.0.0.1') });
  });
});

describe('JsonlParser on malformed input', () => {
  const LINE = '{"start": "2024-05-01T12:00:00Z", "src": "10.0.0.1", "dst": "10.0.0.2", "dport": 443, "proto": "tcp", "packets": 3, "bytes": 180}';
  const parse = (...lines: string[]) => parseLogText(new JsonlParser(), lines.join('\n'));

  it('reports a truncated line', () => {
    const r = parse(LINE, LINE.slice(0, 50), LINE);
    expect(r.problems).toEqual([{ code: 'IMPORT_RECORD', line: 2, message: 'truncated line: the JSON object is not closed' }]);
    expect(r.records.length).toBe(2);
  });

  it('reports malformed JSON and a non-object line (the JSON forms of a wrong column count)', () => {
    const r = parse(LINE, LINE.replace('"tcp"', 'tcp'), '[1, 2]');
    expect(r.problems.map((p) => [p.line, p.message.split(':')[0]])).toEqual([
      [2, 'malformed JSON'],
      [3, 'malformed JSON'],
    ]);
  });

  it('names the field and value of a bad address or number', () => {
    expect(parse(LINE.replace('"10.0.0.2"', '"10.0.0.2/24"')).problems[0]).toEqual({ code: 'IMPORT_RECORD', line: 1, message: "bad address in field 'dst': '10.0.0.2/24'" });
    expect(parse(LINE.replace('"packets": 3', '"packets": 3.5')).problems[0]!.message).toBe("bad number in field 'packets': '3.5'");
    expect(parse(LINE.replace('"packets": 3', '"packets": true')).problems[0]!.message).toBe("bad number in field 'packets': 'true'");
    expect(parse(LINE.replace('"dport": 443', '"dport": 65536')).problems[0]!.message).toBe("value out of range in field 'dport': '65536'");
  });

  it('reports a later object without an address as a missing value', () => {
    expect(parse(LINE, LINE.replace('"src": "10.0.0.1", ', '')).problems[0]).toEqual({ code: 'IMPORT_RECORD', line: 2, message: "missing value in field 'src'" });
  });

  it('refuses a file whose lines are not mappable JSON objects as an unknown header', () => {
    expect(parse('not json').problems.find((p) => p.code === 'IMPORT_FORMAT')).toMatchObject({ line: 1 });
    expect(parse('{"a": 1, "b": 2}').problems).toEqual([
      { code: 'IMPORT_RECORD', line: 1, message: "missing value in field 'start'" },
      { code: 'IMPORT_FORMAT', line: 1, message: expect.stringMatching(/^unknown header: no column for 'src' \(looked for src, srcip, /) },
    ]);
  });

  it('a bad first line costs that line only: the records after it are read', () => {
    // {"foo":1} used to refuse the whole file ("no column for 'src'"), a cut line too.
    for (const [first, message] of [
      ['{"foo":1}', "missing value in field 'start'"],
      [LINE.slice(0, 50), 'truncated line: the JSON object is not closed'],
    ] as const) {
      const r = parse(first, ...Array<string>(9).fill(LINE));
      expect(r.problems).toEqual([{ code: 'IMPORT_RECORD', line: 1, message }]);
      expect(r.read).toBe(10);
      expect(r.records.length).toBe(9);
    }
  });

  it('refuses the file when none of its first 10 lines is a flow object, at the first line', () => {
    const r = parse(...Array<string>(10).fill('{"foo":1}'), LINE);
    expect(r.problems.map((p) => [p.code, p.line])).toEqual([...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((l) => ['IMPORT_RECORD', l]), ['IMPORT_FORMAT', 1]]);
    expect(r.problems[9]!.message).toMatch(/^unknown header: no column for 'src' .*\(and none of the first 10 lines is a JSON lines flow object\)$/);
  });

  it('names the --map column that is missing, not the field', () => {
    const map = parseMapSpec('src=nope');
    expect(parseLogText(new JsonlParser(map), LINE).problems).toEqual([
      { code: 'IMPORT_RECORD', line: 1, message: "missing value in field 'nope'" },
      { code: 'IMPORT_FORMAT', line: 1, message: "unknown header: --map src=nope: the object has no key 'nope'" },
    ]);
    const r = parseLogText(new JsonlParser(map), [LINE.replace('"src"', '"nope"'), LINE].join('\n'));
    expect(r.problems).toEqual([{ code: 'IMPORT_RECORD', line: 2, message: "missing value in field 'nope'" }]);
  });

  it('shows a number too large for a double as written, not as null', () => {
    expect(parse(LINE, LINE.replace('"packets": 3', '"packets": 1e400')).problems[0]!.message).toBe("bad number in field 'packets': '1e400'");
    expect(parse(LINE, LINE.replace('"2024-05-01T12:00:00Z"', '-1e400')).problems[0]!.message).toBe("bad time in field 'start': '-1e400'");
  });
});
