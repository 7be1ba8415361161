import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../core/columns.js';
import { formatIp, parseIp } from '../../core/ip.js';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { longLineProblem } from './log-parser.js';
import { NfdumpJsonParser } from './nfdump-json-parser.js';
import { parseLogText } from './parse-log-text.js';

const nfdumpFile = sharedDataPath('flow-export/slips-nfdump/test1-malicious.nfdump');
const hasNfdump = requireTool('nfdump');

function nfdump(args: string[]): string {
  return execFileSync('nfdump', args, { env: { ...process.env, TZ: 'UTC' }, maxBuffer: 256 << 20 }).toString('utf8');
}

/** Every `"key" : value` of a key in document order, read from the text with a regex. */
function valuesOf(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`"${key}" : "?([^",\\n]*)"?,?\\n`, 'g'))].map((m) => m[1]!);
}

// One object as nfdump 1.7.1 prints it (the first of `nfdump -o json` on test1-malicious.nfdump).
const OBJECT = `{
	"type" : "FLOW",
	"sampled" : 0,
	"export_sysid" : 1,
	"first" : "2018-01-12T15:37:30.942",
	"last" : "2018-01-12T15:37:30.942",
	"received" : "1970-01-01T00:00:00.000",
	"in_packets" : 1,
	"in_bytes" : 60,
	"proto" : 6,
	"tcp_flags" : "......S.",
	"src_port" : 52324,
	"dst_port" : 902,
	"src_tos" : 0,
	"src4_addr" : "147.32.80.119",
	"dst4_addr" : "147.32.82.62",
	"input_snmp" : 0,
	"output_snmp" : 0,
	"src_mask" : 0,
	"dst_mask" : 0,
	"src_net" : "",
	"dst_net" : "",
	"fwd_status" : 0,
	"direction" : 0,
	"dst_tos" : 0,
	"src_as" : 2852,
	"dst_as" : 2852,
	"ip4_next_hop" : "0.0.0.0",
	"ip4_router" : "147.32.82.62",
	"label" : "<none>"
}`;

describe.skipIf(!nfdumpFile || !hasNfdump)('NfdumpJsonParser on nfdump -o json of test1-malicious.nfdump', () => {
  const text = nfdump(['-r', nfdumpFile!, '-o', 'json']);
  const csv = nfdump(['-r', nfdumpFile!, '-o', 'csv']);
  const csvLines = csv.split('\n');
  const [flows, bytes, packets] = csvLines[csvLines.indexOf('Summary') + 2]!.split(',').map(Number);
  const parsed = parseLogText(new NfdumpJsonParser(), text);

  it('reads one record per object nfdump printed', () => {
    expect(parsed.problems).toEqual([]);
    expect(parsed.records.length).toBe(valuesOf(text, 'type').length);
    expect(parsed.records.length).toBe(flows);
  });

  it("matches nfdump's own byte and packet totals", () => {
    expect(parsed.records.reduce((n, r) => n + r.bytes, 0)).toBe(bytes);
    expect(parsed.records.reduce((n, r) => n + r.packets, 0)).toBe(packets);
    expect(parsed.records.map((r) => r.bytes)).toEqual(valuesOf(text, 'in_bytes').map(Number));
  });

  it('reads the first object field by field, with milliseconds', () => {
    expect(text.startsWith(`[\n${OBJECT}`)).toBe(true);
    expect(parsed.records[0]).toMatchObject({
      start: Date.UTC(2018, 0, 12, 15, 37, 30, 942),
      end: Date.UTC(2018, 0, 12, 15, 37, 30, 942),
      src: parseIp('147.32.80.119'),
      dst: parseIp('147.32.82.62'),
      sport: 52324,
      dport: 902,
      proto: 6,
      tcp_flags: 2,
      packets: 1,
      bytes: 60,
      exporter: parseIp('147.32.82.62'),
      src_as: 2852,
      dst_as: 2852,
      in_if: 0,
      out_if: 0,
      tos: 0,
      direction: 0,
      sampling: 1,
    });
  });

  it('agrees with the text on every address and port', () => {
    expect(parsed.records.map((r) => formatIp(r.src))).toEqual(valuesOf(text, 'src4_addr'));
    expect(parsed.records.map((r) => formatIp(r.dst))).toEqual(valuesOf(text, 'dst4_addr'));
    expect(parsed.records.map((r) => String(r.dport))).toEqual(valuesOf(text, 'dst_port'));
  });
});

describe.skipIf(!hasNfdump || !requireTool('nfpcapd') || !sharedDataPath('pcap-malicious/stopddos/amp.dns.RRSIG.fragmented.pcap'))(
  'NfdumpJsonParser on ICMP flows (nfpcapd from a real pcap)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'vantage-nfpcapd-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('nfpcapd', ['-r', sharedDataPath('pcap-malicious/stopddos/amp.dns.RRSIG.fragmented.pcap')!, '-w', dir], { stdio: 'ignore' });
    const text = nfdump(['-R', dir, '-o', 'json', 'proto icmp']);

    it('makes dport type*256+code from icmp_type and icmp_code', () => {
      const parsed = parseLogText(new NfdumpJsonParser(), text);
      const types = valuesOf(text, 'icmp_type').map(Number);
      const codes = valuesOf(text, 'icmp_code').map(Number);
      expect(parsed.problems).toEqual([]);
      expect(parsed.records.length).toBe(types.length);
      expect(types.length).toBeGreaterThan(0);
      parsed.records.forEach((r, i) => {
        expect(r).toMatchObject({ proto: 1, sport: 0, icmp_type: types[i], icmp_code: codes[i], dport: types[i]! * 256 + codes[i]! });
      });
    });
  },
);

describe('NfdumpJsonParser on malformed input', () => {
  const parse = (text: string) => parseLogText(new NfdumpJsonParser(), text);
  const second = OBJECT.replace('52324', '52325');

  it('reads an array of objects, empty arrays and one-line objects', () => {
    expect(parse(`[\n${OBJECT},\n${second}]\n`).records.map((r) => r.sport)).toEqual([52324, 52325]);
    expect(parse('[\n]\n')).toEqual({ records: [], read: 0, problems: [] });
    const compact = JSON.stringify({ type: 'FLOW', first: '2018-01-12T15:37:30.942', src6_addr: '2001:db8::1', dst6_addr: '2001:db8::2', proto: 58, icmp_type: 128, icmp_code: 0, in_packets: 3, in_bytes: 300 });
    const r = parse(`[\n${compact},\n${compact}]`);
    expect(r.problems).toEqual([]);
    expect(r.records[0]).toMatchObject({ src: parseIp('2001:db8::1'), proto: 58, dport: 128 * 256, icmp_type: 128, packets: 3 });
  });

  it('tolerates the invalid JSON nfdump prints (unquoted ja3, repeated keys)', () => {
    const odd = OBJECT.replace('\t"label"', '\t"ja3" : 0123456789abcdef0123456789abcdef,\n\t"in_bytes" : 61,\n\t"label"');
    expect(parse(`[\n${odd}]`).records[0]!.bytes).toBe(61);
  });

  it('reports an object cut off at the end of the file at its opening line', () => {
    const cut = OBJECT.split('\n').slice(0, 10).join('\n');
    const r = parse(`[\n${OBJECT},\n${cut}`);
    expect(r.records.length).toBe(1);
    expect(r.problems).toEqual([{ code: 'IMPORT_RECORD', line: 33, message: 'truncated record: the JSON object opened on line 33 is not closed' }]);
  });

  it('reports an object cut off by the next one', () => {
    const cut = OBJECT.split('\n').slice(0, 10).join('\n');
    const r = parse(`[\n${cut}\n${second}]`);
    expect(r.records.map((x) => x.sport)).toEqual([52325]);
    expect(r.problems[0]).toMatchObject({ line: 2, message: expect.stringMatching(/^truncated record/) });
  });

  it('names the field, value and line of a bad address or number', () => {
    const badAddr = parse(`[\n${OBJECT.replace('"147.32.80.119"', '"147.32.80.1190"')},\n${second}]`);
    expect(badAddr.problems).toEqual([{ code: 'IMPORT_RECORD', line: 16, message: "bad address in field 'src4_addr': '147.32.80.1190'" }]);
    expect(badAddr.records.length).toBe(1);
    const badNum = parse(`[\n${OBJECT.replace('"in_bytes" : 60', '"in_bytes" : 6o')}]`);
    expect(badNum.problems[0]).toMatchObject({ line: 10, message: "bad number in field 'in_bytes': '6o'" });
    const badPort = parse(`[\n${OBJECT.replace('"dst_port" : 902', '"dst_port" : 90200')}]`);
    expect(badPort.problems[0]!.message).toBe("value out of range in field 'dst_port': '90200'");
  });

  it('rejects a last before first and a direction other than 0 or 1, on their lines', () => {
    const early = OBJECT.replace('"last" : "2018-01-12T15:37:30.942"', '"last" : "2018-01-12T15:37:29.000"');
    const r = parse(`[\n${early},\n${OBJECT.replace('"direction" : 0', '"direction" : 2')},\n${OBJECT.replace('"direction" : 0', '"direction" : 1')}]`);
    // Objects (31 lines each) open on lines 2, 33 and 64; "last" is their 6th line, "direction" their 24th.
    expect(r.problems).toEqual([
      { code: 'IMPORT_RECORD', line: 7, message: "bad time in field 'last': '2018-01-12T15:37:29.000' is before first '2018-01-12T15:37:30.942'" },
      { code: 'IMPORT_RECORD', line: 56, message: "value out of range in field 'direction': '2' (0 ingress, 1 egress)" },
    ]);
    expect(r.records.map((x) => x.direction)).toEqual([1]);
  });

  it('a member line skipped for its length rejects its object, once, when the object ends', () => {
    const parser = new NfdumpJsonParser();
    const out: FlowRecord[] = [];
    const lines = `[\n${OBJECT},\n${second}]`.split('\n');
    // Line 6 (the first object's "first") is skipped; the object ends on line 32.
    const results = lines.map((l, i) => (i === 5 ? parser.skipLine(longLineProblem(6, 1048576)) : parser.parseLine(l, i + 1, out)));
    expect(results.filter((r) => r !== false)).toEqual([{ code: 'IMPORT_RECORD', line: 6, message: 'line longer than 1048576 characters: skipped' }, true]);
    expect(results[31]).toEqual({ code: 'IMPORT_RECORD', line: 6, message: 'line longer than 1048576 characters: skipped' });
    expect(out.map((r) => r.sport)).toEqual([52325]);
    expect(parser.skipLine(longLineProblem(70, 1048576))).toMatchObject({ line: 70 });
  });

  it('reports a malformed member line (a wrong column count has no JSON equivalent)', () => {
    const r = parse(`[\n${OBJECT.replace('\t"proto" : 6,', '\tproto 6')}]`);
    expect(r.problems[0]).toMatchObject({ line: 11, message: "malformed line in nfdump JSON object: 'proto 6'" });
  });

  it('refuses text that is not nfdump JSON as a format problem', () => {
    expect(parse('ts,te,td\n').problems[0]).toMatchObject({ code: 'IMPORT_FORMAT', line: 1, message: expect.stringContaining('unknown header') });
  });
});
