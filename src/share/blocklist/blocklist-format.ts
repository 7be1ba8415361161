// A built block list as firewalls and people read it: plain text (one value per line, also the
// External Dynamic List), CSV, JSON (entries and held entries with reasons), an nftables script
// (sets with per-element timeouts from the expiry) and an ipset restore file.

import { parseCidr, type IpRange } from '../../core/ip.js';
import type { BlocklistFormat } from './blocklist-criteria.js';
import type { BlockEntry, BlockEvidence, BlockList } from './blocklist.js';

/** Names used in firewall output. */
export interface FirewallNames {
  /** nftables table (family inet), default `vantage`. */
  readonly table?: string;
  /** Set name stem: `<set>_v4` and `<set>_v6`, default `vantage_block`. */
  readonly set?: string;
}

/** The longest timeout ipset takes, in seconds (the kernel's limit). */
export const IPSET_MAX_TIMEOUT = 2_147_483;

/**
 * ipset's element cap per set: fixed, because `create -exist` fails when a set exists with other
 * parameters (a cap that followed the list's size would break the second load).
 */
export const IPSET_MAXELEM = 1_048_576;

/** Elements per `add element` line, so huge lists stay readable and within line limits. */
const NFT_CHUNK = 500;

/** Content types of the formats (the EDL is plain). */
export const BLOCKLIST_CONTENT_TYPES: Record<BlocklistFormat, string> = {
  plain: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  nft: 'text/plain; charset=utf-8',
  ipset: 'text/plain; charset=utf-8',
};

/** Renders a block list in a format. */
export function formatBlocklist(list: BlockList, format: BlocklistFormat, names: FirewallNames = {}): string {
  switch (format) {
    case 'plain':
      return plainText(list);
    case 'csv':
      return csvText(list);
    case 'json':
      return `${JSON.stringify(list, null, 2)}\n`;
    case 'nft':
      return nftScript(list, names);
    case 'ipset':
      return ipsetRestore(list, names);
  }
}

/** One value per line: what PAN-OS and FortiGate External Dynamic Lists read. */
export function plainText(list: BlockList): string {
  return list.entries.map((e) => `${e.value}\n`).join('');
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One piece of evidence as a line of text. */
export function evidenceText(e: BlockEvidence): string {
  return e.type === 'finding' ? `finding ${e.id} ${e.kind}/${e.subkind} ${e.role}: ${e.query}` : `${e.source} ${e.file}:${e.line}: ${e.raw}`;
}

/** CSV: value,reason,confidence,expires,evidence (evidence items joined with ` | `). */
export function csvText(list: BlockList): string {
  const rows = list.entries.map((e) =>
    [e.value, e.reason, e.confidence === null ? '' : String(e.confidence), e.expires ?? '', e.evidence.map(evidenceText).join(' | ')].map(csvField).join(','),
  );
  return ['value,reason,confidence,expires,evidence', ...rows].map((r) => `${r}\n`).join('');
}

/** Seconds from the build to the expiry (at least 1), or null for never. */
function timeoutSeconds(e: BlockEntry, builtAt: number): number | null {
  if (e.expires === null) return null;
  return Math.max(1, Math.ceil((Date.parse(e.expires) - builtAt) / 1000));
}

/**
 * Entries of one family with those inside another listed network left out: an interval set
 * refuses overlapping elements, and the network blocks them anyway.
 */
function outermost(entries: readonly BlockEntry[], family: 4 | 6): BlockEntry[] {
  const ranged = entries.filter((e) => e.family === family).map((e) => ({ e, r: parseCidr(e.value)! as IpRange }));
  ranged.sort((a, b) => (a.r.first < b.r.first ? -1 : a.r.first > b.r.first ? 1 : a.r.last > b.r.last ? -1 : a.r.last < b.r.last ? 1 : 0));
  const out: BlockEntry[] = [];
  let cover: IpRange | undefined;
  for (const { e, r } of ranged) {
    if (cover && r.first >= cover.first && r.last <= cover.last) continue;
    out.push(e);
    cover = r;
  }
  return out;
}

function header(list: BlockList): string {
  return `# Vantage block list${list.name ? ` ${list.name}` : ''} built ${list.builtAt}: ${list.entries.length} entries, ${list.held.length} held back\n`;
}

/**
 * An nftables script for `nft -f`: declares table inet <table> with interval sets that take
 * timeouts (declaring is idempotent), flushes them and adds every entry, timed out at its expiry,
 * in one transaction. Match with e.g. `ip saddr @vantage_block_v4 drop`.
 */
export function nftScript(list: BlockList, names: FirewallNames = {}): string {
  const table = names.table ?? 'vantage';
  const set = names.set ?? 'vantage_block';
  const built = Date.parse(list.builtAt);
  const lines = [header(list).trimEnd(), `table inet ${table} {`];
  for (const [family, type] of [[4, 'ipv4_addr'], [6, 'ipv6_addr']] as const) {
    lines.push(`\tset ${set}_v${family} {`, `\t\ttype ${type}`, '\t\tflags interval, timeout', '\t}');
  }
  lines.push('}');
  for (const family of [4, 6] as const) lines.push(`flush set inet ${table} ${set}_v${family}`);
  for (const family of [4, 6] as const) {
    const elements = outermost(list.entries, family).map((e) => {
      const t = timeoutSeconds(e, built);
      return t === null ? e.value : `${e.value} timeout ${t}s`;
    });
    for (let at = 0; at < elements.length; at += NFT_CHUNK) {
      lines.push(`add element inet ${table} ${set}_v${family} { ${elements.slice(at, at + NFT_CHUNK).join(', ')} }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * An `ipset restore` file: hash:net sets per family with timeout support (created if missing),
 * flushed and refilled; each entry times out at its expiry (capped at ipset's 2147483 s; the
 * list is rebuilt long before). Match with `iptables -m set --match-set vantage_block_v4 src`.
 */
export function ipsetRestore(list: BlockList, names: FirewallNames = {}): string {
  const set = names.set ?? 'vantage_block';
  const built = Date.parse(list.builtAt);
  const lines = [header(list).trimEnd()];
  for (const family of [4, 6] as const) {
    const entries = list.entries.filter((e) => e.family === family);
    lines.push(`create ${set}_v${family} hash:net family ${family === 4 ? 'inet' : 'inet6'} timeout 0 maxelem ${IPSET_MAXELEM} -exist`, `flush ${set}_v${family}`);
    for (const e of entries) {
      const t = timeoutSeconds(e, built);
      lines.push(`add ${set}_v${family} ${e.value}${t === null ? '' : ` timeout ${Math.min(t, IPSET_MAX_TIMEOUT)}`} -exist`);
    }
  }
  return `${lines.join('\n')}\n`;
}
