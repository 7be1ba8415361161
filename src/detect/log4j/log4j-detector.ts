// The Log4Shell (CVE-2021-44228) detector: HTTP requests whose text holds a JNDI lookup (found
// by an SQL pre-filter on `${` and its URL encodings, then evaluated in JS, obfuscations
// undone) are attempts; the victim then opening a connection to the lookup's server makes it
// exploitation, and the payload fetch and the victim's new traffic afterwards complete the chain.

import { z } from 'zod';
import type { HttpRequest } from '../../decode/http/http-request.js';
import { formatIp, parseIp, type Ip } from '../../core/ip.js';
import { protocolName } from '../../core/protocols.js';
import { basicCredentials } from '../../decode/http/parse-http-request.js';
import type { StoredIndicator } from '../../intel/indicator.js';
import { indicatorTag } from '../../intel/indicator-tag.js';
import { detects, type IntelIndex } from '../../intel/intel-index.js';
import { ensureHttpRequestTable, httpRequestTable } from '../../store/http-request-table.js';
import type { Dialect, ParamSink } from '../../store/store.js';
import { threatIntel } from '../corroborate.js';
import type { DetectionContext, Detector, NewFinding } from '../detector.js';
import { findingId, isoTime, roundScore, severityFor, type FindingEntity, type FindingIntel } from '../finding.js';
import { evidence, num, readIp, selectIp } from '../flow-sql.js';
import { findJndiLookups, type JndiLookup } from './jndi.js';
import { log4jScore, type Log4jSubscores } from './score.js';

/** Settings; docs/detections.md gives the reasoning behind each default. */
export const log4jConfig = z.object({
  /** How long after a request its callback may start (Log4j looks up while logging; queues delay it). */
  callbackDelaySeconds: z.number().positive().default(300),
  /** Tolerance between the clocks of the HTTP source and the flow source. */
  clockSkewSeconds: z.number().min(0).default(2),
  /** How long after the callback the victim's traffic is examined for the payload fetch and follow-up. */
  followupSeconds: z.number().min(0).default(600),
  /** Before the first request: a destination the victim used then is not a callback or follow-up. */
  baselineSeconds: z.number().min(0).default(3600),
  /** Report requests with a JNDI lookup but no callback (attempts). */
  attempts: z.boolean().default(true),
  /** Candidate requests read per run (most recent dropped beyond). */
  maxRequests: z.number().int().min(1).default(50_000),
  /** Flows read per group of victims when matching callbacks. */
  maxFlows: z.number().int().min(1).default(200_000),
  /** Items listed per evidence list (requests, callbacks, follow-ups...). */
  listed: z.number().int().min(1).default(10),
});
export type Log4jConfig = z.infer<typeof log4jConfig>;

const TCP = 6;
const UDP = 17;
/** Ports too common to call a connection to them a callback when the lookup names a host, not an address. */
const COMMON_PORTS = new Set([53, 80, 443, 8080, 8443]);
/** SQL LIKE pre-filters on lower-cased text: `${`, and `${` URL-encoded whole or in part (`_` stands for `%`, a LIKE wildcard). */
const PREFILTERS = ['%${%', '%_24_7b%', '%$_7b%', '%_24{%'];
const TEXT_COLUMNS = ['method', 'uri', 'user_agent', 'host', 'headers', 'body'] as const;
/** Attempts whose victims one flow query covers (the victims go into an OR list). */
const VICTIMS_PER_QUERY = 50;

/** A stored request the pre-filter passed (its source as the table keeps it). */
type RequestRow = Omit<HttpRequest, 'source'> & { readonly source: string };

/** A flow as the matching needs it. */
interface FlowRow {
  readonly start: number;
  readonly end: number;
  readonly src: Ip;
  readonly dst: Ip;
  readonly sport: number;
  readonly dport: number;
  readonly proto: number;
  readonly packets: number;
  readonly bytes: number;
}

/** A lookup found in one request, and where. */
interface Hit {
  readonly request: RequestRow;
  readonly lookup: JndiLookup;
  /** The field that carried it: method, uri, user-agent, host, body, a header name, or `authorization (basic)`. */
  readonly field: string;
}

/** The requests of one (attacker, victim, callback). */
interface Attempt {
  readonly attacker: Ip;
  readonly victim: Ip;
  readonly callbackHost: string;
  /** The callback host as an address, when it is one. */
  readonly callbackIp: Ip | undefined;
  readonly callbackPort: number | null;
  readonly protocol: string;
  readonly hits: Hit[];
  first: number;
  last: number;
}

/** What the flows say about one attempt. */
interface Chain {
  readonly match: 'address' | 'port' | 'none';
  readonly callbacks: FlowRow[];
  /** Callback-like flows ignored because the victim used that destination before the request. */
  readonly usual: number;
  readonly payload: { start: number; dst: Ip; dport: number; proto: number; bytes: number; uri?: string }[];
  readonly followups: FlowRow[];
}

/** Which text of a request to search, with its field name; Basic credentials decoded. */
function requestTexts(r: RequestRow): [field: string, text: string][] {
  const out: [string, string][] = [
    ['method', r.method],
    ['uri', r.uri],
    ['user-agent', r.user_agent],
    ['host', r.host],
    ['body', r.body],
  ];
  for (const line of r.headers.split('\n')) {
    const colon = line.indexOf(':');
    out.push([colon > 0 ? line.slice(0, colon).toLowerCase() : 'headers', line]);
  }
  for (const credentials of basicCredentials(r.headers)) out.push(['authorization (basic)', credentials]);
  return out;
}

/** Reads the requests of the window that might hold a lookup. */
async function candidateRequests(context: DetectionContext, config: Log4jConfig, from: number, to: number): Promise<RequestRow[]> {
  const store = context.store;
  const d = store.dialect;
  const q = d.quote;
  const params = d.newParams();
  const patterns = PREFILTERS.map((p) => params.bind('string', p));
  const basic = params.bind('string', '%authorization: basic %');
  const text = TEXT_COLUMNS.flatMap((c) => patterns.map((p) => `lower(${q(c)}) LIKE ${p}`));
  const sql =
    `SELECT ${d.timeMs('ts')} AS ts_ms, ${selectIp(d, 'src', 's')}, ${selectIp(d, 'dst', 'd')}, sport, dport, method, host, uri, user_agent, headers, body, source ` +
    `FROM ${httpRequestTable(store)} WHERE ${q('ts')} >= ${params.bind('time', from)} AND ${q('ts')} < ${params.bind('time', to)} ` +
    `AND (${text.join(' OR ')} OR lower(${q('headers')}) LIKE ${basic}) ORDER BY ${q('ts')} LIMIT ${config.maxRequests}`;
  const rows = await store.execute(sql, params.params);
  return rows.flatMap((r) => {
    const src = readIp(d, r, 's');
    const dst = readIp(d, r, 'd');
    if (src === null || dst === null) return [];
    const s = (k: string) => String(r[k] ?? '');
    return [{ ts: num(r, 'ts_ms'), src, dst, sport: num(r, 'sport'), dport: num(r, 'dport'), method: s('method'), host: s('host'), uri: s('uri'), user_agent: s('user_agent'), headers: s('headers'), body: s('body'), source: s('source') }];
  });
}

/** Groups the lookups of the requests by (attacker, victim, callback host and port). */
function groupAttempts(requests: readonly RequestRow[]): Attempt[] {
  const groups = new Map<string, Attempt>();
  for (const request of requests) {
    const seen = new Set<string>();
    for (const [field, text] of requestTexts(request)) {
      if (text.indexOf('$') < 0 && text.indexOf('%') < 0) continue;
      for (const lookup of findJndiLookups(text)) {
        const key = `${formatIp(request.src)}|${formatIp(request.dst)}|${lookup.host}|${lookup.port ?? ''}`;
        if (seen.has(`${key}|${lookup.lookup}`)) continue;
        seen.add(`${key}|${lookup.lookup}`);
        let a = groups.get(key);
        if (!a) {
          a = {
            attacker: request.src,
            victim: request.dst,
            callbackHost: lookup.host,
            callbackIp: lookup.host === '' ? undefined : parseIp(lookup.host),
            callbackPort: lookup.port,
            protocol: lookup.protocol,
            hits: [],
            first: request.ts,
            last: request.ts,
          };
          groups.set(key, a);
        }
        a.hits.push({ request, lookup, field });
        a.first = Math.min(a.first, request.ts);
        a.last = Math.max(a.last, request.ts);
      }
    }
  }
  return [...groups.values()];
}

/** Times of the requests carrying a lookup, per victim: traffic that follows one is no baseline. */
type JndiTimes = Map<string, number[]>;

function jndiTimes(attempts: readonly Attempt[]): JndiTimes {
  const out: JndiTimes = new Map();
  for (const a of attempts) {
    const key = formatIp(a.victim);
    const list = out.get(key) ?? [];
    for (const h of a.hits) list.push(h.request.ts);
    out.set(key, list);
  }
  return out;
}

/**
 * True when a flow of the victim at `t` may answer one of the lookups sent to it (within the
 * callback delay and the follow-up span after it): such a flow tells nothing about the victim's
 * usual destinations, so a repeated attack is not hidden by the traffic of the previous one.
 */
function answersLookup(config: Log4jConfig, times: readonly number[] | undefined, t: number): boolean {
  if (!times) return false;
  const skew = config.clockSkewSeconds * 1000;
  const span = (config.callbackDelaySeconds + config.followupSeconds) * 1000;
  return times.some((p) => t >= p - skew && t <= p + span);
}

function anyOf(d: Dialect, params: ParamSink, column: string, ips: readonly Ip[]): string {
  return `(${ips.map((ip) => d.ipEquals(column, ip, params)).join(' OR ')})`;
}

function flowSelect(d: Dialect): string {
  const q = d.quote;
  return `${d.timeMs('start')} AS t0, ${d.timeMs('end')} AS t1, ${selectIp(d, 'src', 's')}, ${selectIp(d, 'dst', 'd')}, ${q('sport')} AS sport, ${q('dport')} AS dport, ${q('proto')} AS proto, ${q('packets')} AS packets, ${q('bytes')} AS bytes`;
}

function readFlows(d: Dialect, rows: readonly Record<string, unknown>[]): FlowRow[] {
  return rows.flatMap((r) => {
    const src = readIp(d, r, 's');
    const dst = readIp(d, r, 'd');
    if (src === null || dst === null) return [];
    return [{ start: num(r, 't0'), end: num(r, 't1'), src, dst, sport: num(r, 'sport'), dport: num(r, 'dport'), proto: num(r, 'proto'), packets: num(r, 'packets'), bytes: num(r, 'bytes') }];
  });
}

/** Flows from the victims to a callback address, or to a callback port of a named host, from the baseline on. */
async function callbackFlows(context: DetectionContext, config: Log4jConfig, attempts: readonly Attempt[]): Promise<{ flows: FlowRow[]; truncated: boolean }> {
  const store = context.store;
  const d = store.dialect;
  const q = d.quote;
  const ips = [...new Map(attempts.filter((a) => a.callbackIp !== undefined).map((a) => [formatIp(a.callbackIp!), a.callbackIp!])).values()];
  const ports = [...new Set(attempts.filter((a) => portOnly(a)).map((a) => a.callbackPort!))];
  if (ips.length === 0 && ports.length === 0) return { flows: [], truncated: false };
  const victims = [...new Map(attempts.map((a) => [formatIp(a.victim), a.victim])).values()];
  const from = Math.min(...attempts.map((a) => a.first)) - config.baselineSeconds * 1000;
  const to = Math.max(...attempts.map((a) => a.last)) + config.callbackDelaySeconds * 1000 + 1;
  const params = d.newParams();
  const targets = [
    ...(ips.length > 0 ? [anyOf(d, params, 'dst', ips)] : []),
    ...(ports.length > 0 ? [`${q('dport')} IN (${ports.map((p) => params.bind('u16', p)).join(', ')})`] : []),
  ];
  const sql =
    `SELECT ${flowSelect(d)} FROM flows WHERE ${q('start')} >= ${params.bind('time', from)} AND ${q('start')} < ${params.bind('time', to)} ` +
    `AND ${anyOf(d, params, 'src', victims)} AND (${targets.join(' OR ')}) ORDER BY ${q('start')} LIMIT ${config.maxFlows}`;
  const rows = await store.execute(sql, params.params);
  return { flows: readFlows(d, rows), truncated: rows.length >= config.maxFlows };
}

/** Requests from the victims for a Java class (the exploit's payload), in the callback span. */
async function classFetches(context: DetectionContext, config: Log4jConfig, attempts: readonly Attempt[]): Promise<RequestRow[]> {
  const store = context.store;
  const d = store.dialect;
  const q = d.quote;
  const victims = [...new Map(attempts.map((a) => [formatIp(a.victim), a.victim])).values()];
  const params = d.newParams();
  const from = Math.min(...attempts.map((a) => a.first)) - config.clockSkewSeconds * 1000;
  const to = Math.max(...attempts.map((a) => a.last)) + (config.callbackDelaySeconds + config.followupSeconds) * 1000 + 1;
  const sql =
    `SELECT ${d.timeMs('ts')} AS ts_ms, ${selectIp(d, 'src', 's')}, ${selectIp(d, 'dst', 'd')}, sport, dport, uri FROM ${httpRequestTable(store)} ` +
    `WHERE ${q('ts')} >= ${params.bind('time', from)} AND ${q('ts')} < ${params.bind('time', to)} AND ${anyOf(d, params, 'src', victims)} ` +
    `AND lower(uri) LIKE ${params.bind('string', '%.class%')} ORDER BY ${q('ts')} LIMIT ${config.maxFlows}`;
  const rows = await store.execute(sql, params.params);
  return rows.flatMap((r) => {
    const src = readIp(d, r, 's');
    const dst = readIp(d, r, 'd');
    const uri = String(r.uri ?? '');
    if (src === null || dst === null || !/\.class(?:[?#;]|$)/i.test(uri)) return [];
    return [{ ts: num(r, 'ts_ms'), src, dst, sport: num(r, 'sport'), dport: num(r, 'dport'), method: '', host: '', uri, user_agent: '', headers: '', body: '', source: '' }];
  });
}

/** A named host's callback is matched on its port alone, when the lookup gave an uncommon port. */
function portOnly(a: Attempt): boolean {
  return a.callbackIp === undefined && a.callbackHost !== '' && a.callbackPort !== null && a.hits.some((h) => h.lookup.explicitPort) && !COMMON_PORTS.has(a.callbackPort);
}

function sameIp(a: Ip, b: Ip): boolean {
  return a === b;
}

/** The victim's outbound flows after the callback, and the destinations it used in the baseline. */
async function victimTraffic(context: DetectionContext, config: Log4jConfig, a: Attempt, callbackStart: number, times: readonly number[] | undefined): Promise<{ after: FlowRow[]; usual: Set<string> }> {
  const store = context.store;
  const d = store.dialect;
  const q = d.quote;
  const webPorts = [...new Set(a.hits.map((h) => h.request.dport))];
  const run = async (from: number, to: number, limit: number) => {
    const params = d.newParams();
    const sql =
      `SELECT ${flowSelect(d)} FROM flows WHERE ${q('start')} >= ${params.bind('time', from)} AND ${q('start')} < ${params.bind('time', to)} ` +
      `AND ${d.ipEquals('src', a.victim, params)} AND ${q('sport')} NOT IN (${webPorts.map((p) => params.bind('u16', p)).join(', ')}) ORDER BY ${q('start')} LIMIT ${limit}`;
    return readFlows(d, await store.execute(sql, params.params));
  };
  const skew = config.clockSkewSeconds * 1000;
  const after = await run(callbackStart - skew, callbackStart + config.followupSeconds * 1000 + 1, 1000);
  const before = config.baselineSeconds > 0 ? await run(a.first - config.baselineSeconds * 1000, a.first - skew, config.maxFlows) : [];
  return { after, usual: new Set(before.filter((f) => !answersLookup(config, times, f.start)).map(destinationKey)) };
}

function destinationKey(f: Pick<FlowRow, 'dst' | 'dport' | 'proto'>): string {
  return `${formatIp(f.dst)}|${f.dport}|${f.proto}`;
}

/** Matches one attempt against the flows: callback, payload fetch, follow-up. */
async function chainOf(context: DetectionContext, config: Log4jConfig, a: Attempt, flows: readonly FlowRow[], classes: readonly RequestRow[], known: JndiTimes): Promise<Chain> {
  const skew = config.clockSkewSeconds * 1000;
  const delay = config.callbackDelaySeconds * 1000;
  const byAddress = a.callbackIp !== undefined;
  if (!byAddress && !portOnly(a)) return { match: 'none', callbacks: [], usual: 0, payload: [], followups: [] };
  const protoOk = (p: number) => (a.protocol === 'dns' ? p === TCP || p === UDP : p === TCP);
  const fits = (f: FlowRow) =>
    sameIp(f.src, a.victim) &&
    protoOk(f.proto) &&
    (byAddress ? sameIp(f.dst, a.callbackIp!) && (a.callbackPort === null || f.dport === a.callbackPort) : f.dport === a.callbackPort);
  const sent = a.hits.map((h) => h.request.ts);
  const afterRequest = (t: number) => sent.some((r) => t >= r - skew && t <= r + delay);
  // A destination the victim used before the first request is its usual traffic, not a callback.
  const times = known.get(formatIp(a.victim));
  const usualKeys = new Set(flows.filter((f) => fits(f) && f.start < a.first - skew && !answersLookup(config, times, f.start)).map(destinationKey));
  const candidates = flows.filter((f) => fits(f) && afterRequest(f.start));
  const callbacks = candidates.filter((f) => !usualKeys.has(destinationKey(f)));
  const usual = candidates.length - callbacks.length;
  if (callbacks.length === 0) return { match: 'none', callbacks: [], usual, payload: [], followups: [] };
  const callbackStart = callbacks[0]!.start;
  const servers = new Map(callbacks.map((f) => [formatIp(f.dst), f.dst]));
  const callbackKeys = new Set(callbacks.map(destinationKey));
  const { after, usual: before } = await victimTraffic(context, config, a, callbackStart, times);
  // The payload: `.class` requests the victim made (any server), else its flows to the callback
  // server on other ports; follow-ups: flows to destinations new since the baseline.
  const followupEnd = callbackStart + config.followupSeconds * 1000;
  const payload: Chain['payload'] = classes
    .filter((c) => sameIp(c.src, a.victim) && c.ts >= a.first - skew && c.ts <= followupEnd)
    .map((c) => ({ start: c.ts, dst: c.dst, dport: c.dport, proto: TCP, bytes: 0, uri: c.uri }));
  const fetched = new Set(payload.map((p) => `${formatIp(p.dst)}|${p.dport}`));
  const followups: FlowRow[] = [];
  for (const f of after) {
    if (callbackKeys.has(destinationKey(f))) continue;
    if (fetched.has(`${formatIp(f.dst)}|${f.dport}`)) continue;
    if (servers.has(formatIp(f.dst))) payload.push({ start: f.start, dst: f.dst, dport: f.dport, proto: f.proto, bytes: f.bytes });
    else if (!before.has(destinationKey(f))) followups.push(f);
  }
  payload.sort((x, y) => x.start - y.start);
  return { match: byAddress ? 'address' : 'port', callbacks, usual, payload, followups };
}

/** Threat intelligence naming the attacker or the callback server (address, or domain). */
function corroboration(index: IntelIndex<StoredIndicator>, a: Attempt, chain: Chain): FindingIntel[] {
  const out = [...threatIntel(index, a.attacker)];
  if (a.callbackIp !== undefined) out.push(...threatIntel(index, a.callbackIp, a.callbackPort ?? undefined));
  else if (a.callbackHost !== '') {
    for (const m of index.matchDomain(a.callbackHost)) {
      const i = m.indicator;
      if (!detects(i)) continue;
      out.push({ value: a.callbackHost, indicator: i.value, source: i.source, tag: indicatorTag(i), family: i.family, confidence: i.confidence });
    }
  }
  for (const ip of new Map(chain.callbacks.map((f) => [formatIp(f.dst), f.dst])).values()) {
    if (a.callbackIp === undefined) out.push(...threatIntel(index, ip));
  }
  const seen = new Set<string>();
  return out.filter((i) => {
    const key = `${i.value}|${i.source}|${i.indicator}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function endpoint(ip: Ip, port: number | null): string {
  const text = formatIp(ip);
  const host = text.includes(':') ? `[${text}]` : text;
  return port === null ? host : `${host}:${port}`;
}

function callbackText(a: Attempt): string {
  if (a.callbackHost === '') return a.protocol || 'no host';
  const host = a.callbackHost.includes(':') ? `[${a.callbackHost}]` : a.callbackHost;
  return `${a.protocol}://${host}${a.callbackPort === null ? '' : `:${a.callbackPort}`}`;
}

function summary(a: Attempt, chain: Chain, webPort: number, config: Log4jConfig): string {
  const fields = [...new Set(a.hits.map((h) => h.field))].join(', ');
  const sent = `${formatIp(a.attacker)} sent a JNDI lookup (${callbackText(a)}) to ${endpoint(a.victim, webPort)} in the ${fields}`;
  if (chain.match === 'none') {
    return `Log4Shell attempt: ${sent}; no callback seen within ${config.callbackDelaySeconds} s${a.hits.length > 1 ? ` (${a.hits.length} requests)` : ''}`;
  }
  const cb = chain.callbacks[0]!;
  const parts = [`the victim called back to ${endpoint(cb.dst, cb.dport)}`];
  if (chain.payload.length > 0) {
    const p = chain.payload[0]!;
    parts.push(`fetched ${p.uri ? `${p.uri} ` : 'a payload '}from ${endpoint(p.dst, p.dport)}`);
  }
  if (chain.followups.length > 0) {
    const dsts = new Set(chain.followups.map(destinationKey)).size;
    parts.push(`then contacted ${dsts} new destination${dsts === 1 ? '' : 's'}`);
  }
  return `Log4Shell exploitation: ${sent}; ${parts.join(', ')}`;
}

function flowDetail(f: FlowRow): Record<string, unknown> {
  return { start: isoTime(f.start), dst: formatIp(f.dst), dport: f.dport, proto: protocolName(f.proto), packets: f.packets, bytes: f.bytes };
}

/** The query an analyst runs to see the attack and the victim's traffic to the callback server. */
function reproducingQuery(a: Attempt, webPorts: readonly number[], chain: Chain): string {
  const ports = webPorts.length === 1 ? `dst port ${webPorts[0]}` : `(${webPorts.map((p) => `dst port ${p}`).join(' or ')})`;
  const attack = `src ip ${formatIp(a.attacker)} and dst ip ${formatIp(a.victim)} and ${ports}`;
  if (chain.match === 'none') return attack;
  const servers = [...new Set(chain.callbacks.map((f) => formatIp(f.dst)))];
  const back = servers.map((s) => `(src ip ${formatIp(a.victim)} and dst ip ${s})`).join(' or ');
  return `(${attack}) or ${back}`;
}

async function finding(context: DetectionContext, config: Log4jConfig, a: Attempt, chain: Chain): Promise<NewFinding> {
  const requests = [...new Map(a.hits.map((h) => [h.request, h])).values()].sort((x, y) => x.request.ts - y.request.ts);
  const webPorts = [...new Set(requests.map((h) => h.request.dport))];
  const subscores: Log4jSubscores = {
    jndi: 1,
    callback: chain.match === 'address' ? 1 : chain.match === 'port' ? 0.6 : 0,
    payload: chain.match !== 'none' && chain.payload.length > 0 ? 1 : 0,
    followup: chain.match !== 'none' && chain.followups.length > 0 ? 1 : 0,
  };
  const score = roundScore(log4jScore(subscores));
  // The whole chain (callback to the lookup's address, payload, new traffic) is code that ran.
  const severity = subscores.callback === 1 && subscores.payload === 1 && subscores.followup === 1 ? 'critical' : severityFor(score);
  let last = a.last;
  for (const f of chain.callbacks) last = Math.max(last, f.end);
  for (const p of chain.payload) last = Math.max(last, p.start);
  for (const f of chain.followups) last = Math.max(last, f.start);
  const servers = [...new Map(chain.callbacks.map((f) => [formatIp(f.dst), f.dst])).values()];
  const entities: FindingEntity[] = [
    { role: 'attacker', type: 'ip', value: formatIp(a.attacker) },
    { role: 'victim', type: 'ip', value: formatIp(a.victim) },
  ];
  if (a.callbackIp !== undefined) entities.push({ role: 'callback', type: 'ip', value: formatIp(a.callbackIp) });
  else if (a.callbackHost !== '') {
    entities.push({ role: 'callback', type: 'domain', value: a.callbackHost });
    for (const s of servers) entities.push({ role: 'callback', type: 'ip', value: formatIp(s) });
  }
  const payloadHosts = new Set(chain.payload.map((p) => formatIp(p.dst)));
  for (const s of servers) payloadHosts.delete(formatIp(s));
  for (const h of payloadHosts) entities.push({ role: 'payload', type: 'ip', value: h });
  const n = config.listed;
  const lookups = [...new Map(a.hits.map((h) => [`${h.lookup.lookup}|${h.field}`, h])).values()].slice(0, n).map((h) => ({
    lookup: h.lookup.lookup,
    protocol: h.lookup.protocol,
    host: h.lookup.host,
    port: h.lookup.port,
    path: h.lookup.path,
    field: h.field,
    obfuscated: h.lookup.obfuscated,
    encoding: h.lookup.encoding,
    expression: h.lookup.expression.length > 300 ? `${h.lookup.expression.slice(0, 297)}...` : h.lookup.expression,
  }));
  const details = {
    callbackMatch: chain.match,
    lookups,
    requests: requests.slice(0, n).map(({ request: r, field }) => ({
      ts: isoTime(r.ts),
      src: formatIp(r.src),
      sport: r.sport,
      dst: formatIp(r.dst),
      dport: r.dport,
      method: r.method.length > 100 ? `${r.method.slice(0, 97)}...` : r.method,
      host: r.host,
      uri: r.uri.length > 300 ? `${r.uri.slice(0, 297)}...` : r.uri,
      field,
      source: r.source,
    })),
    callbacks: chain.callbacks.slice(0, n).map(flowDetail),
    ...(chain.usual > 0 ? { usualCallbackFlows: chain.usual } : {}),
    payload: chain.payload.slice(0, n).map((p) => ({ start: isoTime(p.start), dst: formatIp(p.dst), dport: p.dport, proto: protocolName(p.proto), ...(p.uri ? { uri: p.uri } : { bytes: p.bytes }) })),
    followups: chain.followups.slice(0, n).map(flowDetail),
  };
  const query = reproducingQuery(a, webPorts, chain);
  const window = { from: Math.floor(a.first), to: Math.floor(last) + 1 };
  const counts = { requests: requests.length, callbacks: chain.callbacks.length, payloadFetches: chain.payload.length, followups: chain.followups.length };
  return {
    id: findingId('log4j', formatIp(a.attacker), formatIp(a.victim), a.callbackHost, a.callbackPort),
    kind: 'log4j',
    subkind: chain.match === 'none' ? 'attempt' : 'exploitation',
    score,
    subscores: { ...subscores },
    severity,
    src: formatIp(a.attacker),
    dst: formatIp(a.victim),
    dport: requests[0]!.request.dport,
    proto: TCP,
    entities,
    first: isoTime(a.first),
    last: isoTime(last),
    summary: summary(a, chain, requests[0]!.request.dport, config),
    evidence: await evidence(context, query, window, counts, details),
    intel: corroboration(context.intel, a, chain),
  };
}

/** The Log4Shell detector. */
export const log4jDetector: Detector<Log4jConfig> = {
  kind: 'log4j',
  description: 'Log4Shell: JNDI lookups (obfuscations evaluated) in HTTP requests, and the victim calling back to the lookup server, fetching the payload and acting on it',
  config: log4jConfig,
  async run(context, config) {
    await ensureHttpRequestTable(context.store);
    // Requests of the baseline before the window are read too: their lookups explain the
    // victim's earlier traffic (a repeated attack), but raise no finding here.
    const requests = await candidateRequests(context, config, context.from - config.baselineSeconds * 1000, context.to);
    const inWindow = requests.filter((r) => r.ts >= context.from);
    const attempts = groupAttempts(inWindow).sort((x, y) => (formatIp(x.victim) < formatIp(y.victim) ? -1 : 1));
    const known = jndiTimes([...attempts, ...groupAttempts(requests.filter((r) => r.ts < context.from))]);
    const findings: NewFinding[] = [];
    let truncated = 0;
    let exploitations = 0;
    for (let at = 0; at < attempts.length; at += VICTIMS_PER_QUERY) {
      // Attempts are sorted by victim so that one flow query serves a few victims at a time.
      const byVictim = attempts.slice(at, at + VICTIMS_PER_QUERY);
      const { flows, truncated: cut } = await callbackFlows(context, config, byVictim);
      if (cut) truncated++;
      const classes = byVictim.some((a) => a.callbackIp !== undefined || portOnly(a)) ? await classFetches(context, config, byVictim) : [];
      for (const a of byVictim) {
        const chain = await chainOf(context, config, a, flows, classes, known);
        if (chain.match === 'none' && !config.attempts) continue;
        if (chain.match !== 'none') exploitations++;
        findings.push(await finding(context, config, a, chain));
      }
    }
    return {
      findings,
      stats: {
        requests: inWindow.length,
        requestsCapped: requests.length >= config.maxRequests ? 1 : 0,
        lookups: attempts.reduce((n, a) => n + a.hits.length, 0),
        attempts: attempts.length,
        exploitations,
        truncatedFlowReads: truncated,
        findings: findings.length,
      },
    };
  },
};
