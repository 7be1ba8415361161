// The query language's words, for the UI's highlighting and autocomplete: fields from the column
// table, the filter keywords and stages the parser accepts, and common values. Served by
// GET /api/query/language so the UI never hard-codes the language.

import { FLOW_COLUMNS } from '../../core/columns.js';

/** Field aliases the parser resolves (checked against `resolveField` in a test, so they cannot drift). */
export const FIELD_ALIASES: Record<string, string> = {
  srcip: 'src', dstip: 'dst', sa: 'src', da: 'dst', srcaddr: 'src', dstaddr: 'dst',
  srcport: 'sport', dstport: 'dport', sp: 'sport', dp: 'dport', src_port: 'sport', dst_port: 'dport',
  protocol: 'proto', pr: 'proto', flags: 'tcp_flags', srcas: 'src_as', dstas: 'dst_as',
  router: 'exporter', inif: 'in_if', outif: 'out_if', first: 'start', last: 'end', pkts: 'packets',
};

/** Filter primitives (nfdump syntax) with what follows them, for completion hints. */
export const FILTER_KEYWORDS: readonly { word: string; takes: string; doc: string }[] = [
  { word: 'ip', takes: 'address', doc: 'address equals (src ip, dst ip, ip in [a, b/24])' },
  { word: 'host', takes: 'address', doc: 'same as ip' },
  { word: 'net', takes: 'network', doc: 'address in a CIDR network (src net, dst net)' },
  { word: 'port', takes: 'number', doc: 'port compare (src port, dst port, port in [80, 443])' },
  { word: 'proto', takes: 'protocol', doc: 'IP protocol by name or number' },
  { word: 'flags', takes: 'flags', doc: 'TCP flags all set (S, SA, AFRPU...)' },
  { word: 'as', takes: 'number', doc: 'autonomous system (src as, dst as)' },
  { word: 'if', takes: 'number', doc: 'interface index (in if, out if)' },
  { word: 'vlan', takes: 'number', doc: 'VLAN id (src vlan, dst vlan)' },
  { word: 'tos', takes: 'number', doc: 'type of service byte' },
  { word: 'packets', takes: 'number', doc: 'packets compare (> 10, < 1k)' },
  { word: 'bytes', takes: 'number', doc: 'bytes compare (> 1m)' },
  { word: 'duration', takes: 'number', doc: 'flow duration in ms compare' },
  { word: 'pps', takes: 'number', doc: 'packets per second compare' },
  { word: 'bps', takes: 'number', doc: 'bits per second compare' },
  { word: 'bpp', takes: 'number', doc: 'bytes per packet compare' },
  { word: 'country', takes: 'country', doc: 'two-letter country (src country, dst country)' },
  { word: 'tag', takes: 'tag', doc: 'intelligence tag attached at ingest' },
  { word: 'router', takes: 'ip', doc: 'router ip ADDRESS: the exporter' },
  { word: 'next', takes: 'ip', doc: 'next ip ADDRESS: the next hop' },
  { word: 'icmp-type', takes: 'number', doc: 'ICMP type (implies ICMP)' },
  { word: 'icmp-code', takes: 'number', doc: 'ICMP code (implies ICMP)' },
  { word: 'flowdir', takes: 'direction', doc: 'ingress or egress' },
  { word: 'any', takes: '', doc: 'every flow' },
  { word: 'ipv4', takes: '', doc: 'IPv4 flows' },
  { word: 'ipv6', takes: '', doc: 'IPv6 flows' },
];

/** Words that combine or qualify primitives. */
export const OPERATORS = ['and', 'or', 'not', 'src', 'dst', 'in', 'out'] as const;

/** Pipeline stages with their syntax. */
export const STAGES: readonly { word: string; syntax: string; doc: string }[] = [
  { word: 'count', syntax: '| count [by FIELD, ...]', doc: 'count flows, packets, bytes (per group)' },
  { word: 'top', syntax: '| top N FIELD [by flows|packets|bytes]', doc: 'the N largest values of a field' },
  { word: 'timeline', syntax: '| timeline 5m|1h|1d', doc: 'flows, packets, bytes per time bucket' },
  { word: 'sort', syntax: '| sort FIELD [asc|desc]', doc: 'order the rows' },
  { word: 'limit', syntax: '| limit N', doc: 'keep the first N rows' },
  { word: 'fields', syntax: '| fields FIELD, ...', doc: 'keep these columns' },
];

/** Measures aggregation stages add. */
export const METRIC_WORDS = ['flows', 'packets', 'bytes'] as const;

/** Common values offered by completion per value kind (addresses come from the data). */
export const COMMON_VALUES: Record<string, readonly string[]> = {
  protocol: ['tcp', 'udp', 'icmp', 'icmp6', 'gre', 'esp', 'ah', 'sctp'],
  flags: ['S', 'SA', 'A', 'F', 'R', 'P', 'AP', 'AFRPSU'],
  direction: ['ingress', 'egress'],
  number: ['22', '23', '25', '53', '80', '123', '389', '443', '445', '1389', '3389', '8080'],
  interval: ['1m', '5m', '15m', '1h', '1d'],
};

/** The whole vocabulary as JSON for the UI. */
export function queryVocabulary() {
  return {
    fields: FLOW_COLUMNS.map((c) => ({ name: c.name, kind: c.kind as string, doc: c.doc })),
    aliases: FIELD_ALIASES,
    keywords: FILTER_KEYWORDS,
    operators: [...OPERATORS],
    stages: STAGES,
    metrics: [...METRIC_WORDS],
    values: COMMON_VALUES,
  };
}
