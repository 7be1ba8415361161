// A watchlist: a named set of partners, suppliers, peers or our own perimeter (networks, hosts,
// AS numbers, domains) with its owner, criticality and contacts, and the parsing of its members.

import { z } from 'zod';
import { VantageError } from '../../core/errors.js';
import { formatIp, parseCidr, parseIp, type IpRange } from '../../core/ip.js';

/** What a watchlist holds: other organisations we depend on, or our own assets. */
export const WATCHLIST_KINDS = ['partner', 'supplier', 'peer', 'perimeter', 'other'] as const;
export type WatchlistKind = (typeof WATCHLIST_KINDS)[number];

/** Kinds whose members are someone else's network: their hosts misbehaving means they are likely compromised. */
export const THIRD_PARTY_KINDS: ReadonlySet<WatchlistKind> = new Set(['partner', 'supplier', 'peer']);

export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

/** One member: a network (CIDR), a host, an AS number or a domain (which covers its subdomains). */
export interface WatchMember {
  readonly type: 'network' | 'host' | 'asn' | 'domain';
  /** Canonical text: `10.0.0.0/8`, `192.0.2.1`, `AS64500`, `example.com`. */
  readonly value: string;
  readonly note?: string;
}

/** A watchlist as stored. */
export interface Watchlist {
  readonly name: string;
  readonly kind: WatchlistKind;
  readonly owner: string;
  readonly criticality: Criticality;
  readonly contacts: readonly string[];
  readonly description: string;
  readonly members: readonly WatchMember[];
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Parses a member as users write it; an error names the text that is not one. */
export function parseWatchMember(text: string, note?: string): WatchMember {
  const raw = text.trim();
  const withNote = (m: Omit<WatchMember, 'note'>): WatchMember => (note ? { ...m, note } : m);
  const asn = /^as(\d{1,10})$/i.exec(raw);
  if (asn && Number(asn[1]) <= 0xffffffff) return withNote({ type: 'asn', value: `AS${Number(asn[1])}` });
  const ip = parseIp(raw);
  if (ip !== undefined) return withNote({ type: 'host', value: formatIp(ip) });
  if (raw.includes('/')) {
    const range = parseCidr(raw);
    if (!range) throw new VantageError('USAGE', `'${raw}' is not a network (expected a CIDR like 192.0.2.0/24)`);
    return withNote({ type: 'network', value: `${formatIp(range.first)}/${raw.slice(raw.indexOf('/') + 1).replace(/^0+(?=\d)/, '')}` });
  }
  const domain = raw.toLowerCase().replace(/\.$/, '');
  if (DOMAIN.test(domain) && domain.includes('.') && /[a-z]/.test(domain)) return withNote({ type: 'domain', value: domain });
  throw new VantageError('USAGE', `'${raw}' is not a watchlist member: expected a network (CIDR), an address, an AS number (AS64500) or a domain`);
}

/** The network a network or host member covers (undefined for AS numbers and domains). */
export function memberRange(member: WatchMember): IpRange | undefined {
  if (member.type === 'network') return parseCidr(member.value);
  if (member.type === 'host') return parseCidr(member.value.includes(':') ? `${member.value}/128` : `${member.value}/32`);
  return undefined;
}

/** Watchlist names: short, safe in URLs and file names. */
export const WATCHLIST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A watchlist as a file or the API gives it (members as text). */
export const watchlistInput = z.object({
  name: z.string().regex(WATCHLIST_NAME, 'a name of letters, digits, . _ - (at most 64)'),
  kind: z.enum(WATCHLIST_KINDS).default('partner'),
  owner: z.string().max(200).default(''),
  criticality: z.enum(CRITICALITIES).default('medium'),
  contacts: z.array(z.string().max(200)).max(50).default([]),
  description: z.string().max(2000).default(''),
  members: z
    .array(z.union([z.string(), z.object({ value: z.string(), note: z.string().max(500).optional() })]))
    .max(100_000)
    .default([]),
});
export type WatchlistInput = z.input<typeof watchlistInput>;

/** Checks and normalises a watchlist; the error names the watchlist and the member or field at fault. */
export function parseWatchlist(input: unknown): Watchlist {
  const parsed = watchlistInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = typeof (input as { name?: unknown })?.name === 'string' ? ` '${(input as { name: string }).name}'` : '';
    throw new VantageError('USAGE', `watchlist${name}: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
  }
  const { members, ...rest } = parsed.data;
  const seen = new Set<string>();
  const parsedMembers: WatchMember[] = [];
  members.forEach((m, i) => {
    const [text, note] = typeof m === 'string' ? [m, undefined] : [m.value, m.note];
    let member: WatchMember;
    try {
      member = parseWatchMember(text, note);
    } catch (err) {
      throw new VantageError('USAGE', `watchlist '${rest.name}': members.${i}: ${(err as Error).message}`);
    }
    if (!seen.has(member.value)) parsedMembers.push(member);
    seen.add(member.value);
  });
  return { ...rest, members: parsedMembers };
}
