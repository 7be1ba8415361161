// Parses `nfdump -o json` output as a stream: nfdump prints one object over many lines
// (`"key" : value,` each), so objects are assembled line by line instead of parsing the file.

import type { FlowRecord } from '../../core/columns.js';
import { parseIp, type Ip } from '../../core/ip.js';
import { parseTcpFlags, parseTimeText, parseUintText } from './field-parsers.js';
import { MAX_DIRECTION } from './nfdump-csv-parser.js';
import { isIcmp } from '../../core/protocols.js';
import {
  fieldProblem,
  formatProblem,
  jsonLineProblem,
  recordProblem,
  type LineProblem,
  type LineResult,
  type LogParser,
} from './log-parser.js';

const U32_MAX = 4294967295;

/**
 * Parser for `nfdump -o json`: a JSON array of objects with keys such as first, last,
 * src4_addr/src6_addr, dst4_addr/dst6_addr, src_port, dst_port, proto, tcp_flags, icmp_type,
 * icmp_code, in_packets, in_bytes, input_snmp, output_snmp, src_as, dst_as, src_vlan, dst_vlan,
 * src_tos, direction, ip4_next_hop/ip6_next_hop, ip4_router/ip6_router, sampled.
 *
 * Read line by line rather than with JSON.parse because nfdump's output is not always valid
 * JSON (1.7 prints `ja3` unquoted and may repeat keys) and files can be far larger than
 * memory. An object printed on one line (`jq -c` style) is parsed with JSON.parse instead.
 * Times are read as UTC (run nfdump with TZ=UTC: it prints local time).
 */
export class NfdumpJsonParser implements LogParser {
  readonly format = 'nfdump-json' as const;
  private started = false;
  private inObject = false;
  private objectLine = 0;
  // Maps, cleared per object: faster than fresh objects with ~30 keys each.
  private readonly values = new Map<string, string>();
  private readonly lines = new Map<string, number>();
  private broken: LineProblem | undefined;

  parseLine(text: string, line: number, out: FlowRecord[]): LineResult {
    let a = 0;
    let b = text.length;
    while (a < b && text.charCodeAt(a) <= 32) a++;
    while (b > a && text.charCodeAt(b - 1) <= 32) b--;
    if (a === b) return false;
    const first = text.charCodeAt(a);

    if (this.inObject) {
      if (first === 34) return this.readMember(text, a, b, line);
      if (first === 125) {
        // `}`, `},` or `}]`
        this.inObject = false;
        if (this.broken) return this.broken;
        return this.convert(out);
      }
      if (first === 123) {
        const problem = this.unclosed();
        this.open(line);
        return problem;
      }
      if (!this.broken) this.broken = recordProblem(line, `malformed line in nfdump JSON object: '${text.slice(a, Math.min(b, a + 40))}'`);
      return false;
    }

    if (first === 91) {
      // `[` opens the array; `[]` is an empty one.
      this.started = true;
      const rest = text.slice(a + 1, b).trim();
      if (rest === '' || rest === ']') return false;
      return this.parseLine(rest, line, out);
    }
    if (first === 93) return false;
    if (first === 123) {
      this.started = true;
      if (b - a === 1) {
        this.open(line);
        return false;
      }
      return this.oneLineObject(text.slice(a, b), line, out);
    }
    if (!this.started) {
      return formatProblem(line, `unknown header: expected nfdump JSON ('[' then '{' objects, from nfdump -o json), got '${text.slice(a, a + 40)}'`);
    }
    return recordProblem(line, `unexpected text between nfdump JSON objects: '${text.slice(a, Math.min(b, a + 40))}'`);
  }

  finish(): LineProblem | undefined {
    return this.inObject ? this.unclosed() : undefined;
  }

  skipLine(problem: LineProblem): LineResult {
    if (!this.inObject) return problem;
    this.broken ??= problem;
    return false;
  }

  private open(line: number): void {
    this.inObject = true;
    this.objectLine = line;
    this.values.clear();
    this.lines.clear();
    this.broken = undefined;
  }

  private unclosed(): LineProblem {
    this.inObject = false;
    return recordProblem(this.objectLine, `truncated record: the JSON object opened on line ${this.objectLine} is not closed`);
  }

  /** Reads `"key" : value,` into the current object. */
  private readMember(text: string, a: number, b: number, line: number): LineResult {
    const keyEnd = text.indexOf('"', a + 1);
    let i = keyEnd + 1;
    while (i < b && text.charCodeAt(i) === 32) i++;
    if (keyEnd < 0 || text.charCodeAt(i) !== 58) {
      if (!this.broken) this.broken = recordProblem(line, `malformed line in nfdump JSON object: '${text.slice(a, Math.min(b, a + 40))}'`);
      return false;
    }
    i++;
    while (i < b && text.charCodeAt(i) === 32) i++;
    let end = b;
    if (text.charCodeAt(end - 1) === 44) end--;
    let value: string;
    if (text.charCodeAt(i) === 34) {
      const close = text.lastIndexOf('"', end - 1);
      if (close <= i) {
        if (!this.broken) this.broken = recordProblem(line, `truncated line: unterminated string in '${text.slice(a, Math.min(b, a + 40))}'`);
        return false;
      }
      value = text.slice(i + 1, close);
      if (value.includes('\\')) {
        try {
          value = JSON.parse(text.slice(i, close + 1)) as string;
        } catch {
          // keep the raw text: the field check will name it
        }
      }
    } else {
      value = text.slice(i, end).trim();
    }
    const key = text.slice(a + 1, keyEnd);
    this.values.set(key, value);
    this.lines.set(key, line);
    return false;
  }

  private oneLineObject(text: string, line: number, out: FlowRecord[]): LineResult {
    let body = text;
    if (body.endsWith(',')) body = body.slice(0, -1);
    if (body.endsWith(']')) body = body.slice(0, -1).trimEnd();
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      return jsonLineProblem(line, err as Error, body);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return recordProblem(line, 'malformed JSON: expected an object');
    this.values.clear();
    this.lines.clear();
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (v === null || typeof v === 'object') continue;
      this.values.set(k, String(v));
      this.lines.set(k, line);
    }
    this.objectLine = line;
    return this.convert(out);
  }

  /** Turns the collected members into a flow; problems name the member and its line. */
  private convert(out: FlowRecord[]): LineResult {
    const values = this.values;
    const v = (key: string): string | undefined => values.get(key);
    const at = (key: string): number => this.lines.get(key) ?? this.objectLine;

    const start = parseTimeText(v('first') ?? '');
    if (Number.isNaN(start)) return this.fault('bad time', 'first', at('first'));
    const lastText = v('last');
    const end = lastText === undefined ? start : parseTimeText(lastText);
    if (Number.isNaN(end)) return this.fault('bad time', 'last', at('last'));
    // nfdump prints a flow's last packet after its first: an earlier `last` is damage.
    if (end < start) return recordProblem(at('last'), `bad time in field 'last': '${lastText}' is before first '${v('first')}'`);

    const srcKey = v('src4_addr') !== undefined ? 'src4_addr' : 'src6_addr';
    const dstKey = v('dst4_addr') !== undefined ? 'dst4_addr' : 'dst6_addr';
    if (v(srcKey) === undefined) return recordProblem(this.objectLine, `missing value in field 'src4_addr'/'src6_addr' of the object on line ${this.objectLine}`);
    if (v(dstKey) === undefined) return recordProblem(this.objectLine, `missing value in field 'dst4_addr'/'dst6_addr' of the object on line ${this.objectLine}`);
    const src = parseIp(v(srcKey)!);
    if (src === undefined) return this.fault('bad address', srcKey, at(srcKey));
    const dst = parseIp(v(dstKey)!);
    if (dst === undefined) return this.fault('bad address', dstKey, at(dstKey));

    const protoText = v('proto');
    const proto = protoText === undefined ? 0 : parseUintText(protoText);
    if (proto < 0 || proto > 255) return this.fault('bad protocol', 'proto', at('proto'));

    let sport = 0;
    let dport = 0;
    let icmpType: number | undefined;
    let icmpCode: number | undefined;
    if (v('icmp_type') !== undefined || (isIcmp(proto) && v('dst_port') === undefined)) {
      icmpType = this.uint('icmp_type', 255, 0);
      if (icmpType < 0) return this.uintFault('icmp_type');
      icmpCode = this.uint('icmp_code', 255, 0);
      if (icmpCode < 0) return this.uintFault('icmp_code');
      dport = icmpType * 256 + icmpCode;
    } else {
      sport = this.uint('src_port', 65535, 0);
      if (sport < 0) return this.uintFault('src_port');
      dport = this.uint('dst_port', 65535, 0);
      if (dport < 0) return this.uintFault('dst_port');
      if (isIcmp(proto)) {
        icmpType = dport >> 8;
        icmpCode = dport & 255;
      }
    }

    const flagsText = v('tcp_flags');
    const flags = flagsText === undefined ? 0 : parseTcpFlags(flagsText);
    if (flags < 0) return this.fault('bad TCP flags', 'tcp_flags', at('tcp_flags'));
    const packets = this.uint('in_packets', Number.MAX_SAFE_INTEGER, -2);
    if (packets < 0) return packets === -2 ? this.missing('in_packets') : this.uintFault('in_packets');
    const bytes = this.uint('in_bytes', Number.MAX_SAFE_INTEGER, -2);
    if (bytes < 0) return bytes === -2 ? this.missing('in_bytes') : this.uintFault('in_bytes');

    const inIf = this.uint('input_snmp', U32_MAX, -2);
    const outIf = this.uint('output_snmp', U32_MAX, -2);
    const srcAs = this.uint('src_as', U32_MAX, -2);
    const dstAs = this.uint('dst_as', U32_MAX, -2);
    const srcVlan = this.uint('src_vlan', 65535, -2);
    const dstVlan = this.uint('dst_vlan', 65535, -2);
    const tos = this.uint('src_tos', 255, -2);
    const direction = this.uint('direction', MAX_DIRECTION, -2);
    for (const [key, value] of [
      ['input_snmp', inIf],
      ['output_snmp', outIf],
      ['src_as', srcAs],
      ['dst_as', dstAs],
      ['src_vlan', srcVlan],
      ['dst_vlan', dstVlan],
      ['src_tos', tos],
      ['direction', direction],
    ] as const) {
      if (value === -1) return this.uintFault(key);
    }

    const routerKey = v('ip4_router') !== undefined ? 'ip4_router' : 'ip6_router';
    const exporter = this.address(routerKey);
    if (exporter === null) return this.fault('bad address', routerKey, at(routerKey));
    const hopKey = v('ip4_next_hop') !== undefined ? 'ip4_next_hop' : 'ip6_next_hop';
    const nextHop = this.address(hopKey);
    if (nextHop === null) return this.fault('bad address', hopKey, at(hopKey));

    out.push({
      start,
      end,
      src,
      dst,
      sport,
      dport,
      proto,
      tcp_flags: flags,
      packets,
      bytes,
      exporter,
      in_if: opt(inIf),
      out_if: opt(outIf),
      // `sampled` is a flag, not a rate: 0 tells the flow was not sampled; with 1 the rate is
      // unknown here (nfcapd has already scaled the counters).
      sampling: v('sampled') === '0' ? 1 : undefined,
      src_as: opt(srcAs),
      dst_as: opt(dstAs),
      next_hop: nextHop,
      src_vlan: opt(srcVlan),
      dst_vlan: opt(dstVlan),
      icmp_type: icmpType,
      icmp_code: icmpCode,
      tos: opt(tos),
      direction: opt(direction),
      // Filled by enrichment at ingest: present from the start, so that it overwrites them in place.
      src_country: null,
      dst_country: null,
      tags: null,
    });
    return true;
  }

  /** A member as an unsigned integer up to `max`; `absent` when missing, -1 when malformed. */
  private uint(key: string, max: number, absent: number): number {
    const text = this.values.get(key);
    if (text === undefined) return absent;
    const n = parseUintText(text);
    return n > max ? -1 : n;
  }

  /** A member as an address; undefined when absent or 0.0.0.0/:: (none recorded), null when malformed. */
  private address(key: string): Ip | undefined | null {
    const text = this.values.get(key);
    if (text === undefined || text === '') return undefined;
    const ip = parseIp(text);
    if (ip === undefined) return null;
    return ip === 0 || ip === 0n ? undefined : ip;
  }

  private fault(fault: Parameters<typeof fieldProblem>[1], key: string, line: number): LineProblem {
    return fieldProblem(line, fault, key, this.values.get(key) ?? '');
  }

  private uintFault(key: string): LineProblem {
    const n = parseUintText(this.values.get(key) ?? '');
    const problem = this.fault(n >= 0 ? 'value out of range' : 'bad number', key, this.lines.get(key) ?? this.objectLine);
    return key === 'direction' && n >= 0 ? recordProblem(problem.line, `${problem.message} (0 ingress, 1 egress)`) : problem;
  }

  private missing(key: string): LineProblem {
    return recordProblem(this.objectLine, `missing value in field '${key}' of the object on line ${this.objectLine}`);
  }
}

function opt(v: number): number | undefined {
  return v >= 0 ? v : undefined;
}
