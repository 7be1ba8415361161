// `vantage profile ENTITY`: everything known about an address, network, domain or AS number, as
// JSON or as readable sections (context, intelligence, passive DNS, flows, peers, ports,
// timeline, findings).

import { Command, Option } from 'commander';
import { openGeoDatabase } from '../../enrich/geo-database.js';
import { parseEntity } from '../../pivot/entity.js';
import { assertProfilable, buildProfile, type Profile } from '../../pivot/profile.js';
import type { ResultRow } from '../../store/store.js';
import { withStore } from '../context.js';
import { formatRows, toJson } from '../output.js';
import { timeFlag, wholeNumberFlag } from '../flag-values.js';

interface ProfileCli {
  from?: string;
  to?: string;
  limit: string;
  format: 'json' | 'table';
  geo: boolean;
  asnDb?: string;
  geoDb?: string;
}

function parseLimit(text: string): number {
  return wholeNumberFlag(text, '--limit');
}

/** Registers `vantage profile`. */
export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description('profile an entity: an address, network (10.0.0.0/8), domain or AS number (AS64500)')
    .argument('<entity>', 'the address, network, domain or AS number')
    .option('--from <time>', 'flows starting at or after (ISO 8601, epoch, or relative like -7d)')
    .option('--to <time>', 'flows starting before')
    .option('--limit <n>', 'rows per section (peers, ports, names, findings)', '10')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--no-geo', 'skip the ASN/country database')
    .option('--asn-db <file>', 'ASN database instead of the bundled one')
    .option('--geo-db <file>', 'country database instead of the bundled one')
    .action(async (text: string, cli: ProfileCli, command: Command) => {
      // Input is checked before the store or the database is opened.
      const entity = parseEntity(text);
      assertProfilable(entity);
      const now = Date.now();
      const options = {
        from: cli.from === undefined ? undefined : timeFlag(cli.from, '--from', now),
        to: cli.to === undefined ? undefined : timeFlag(cli.to, '--to', now),
        limit: parseLimit(cli.limit),
        now,
      };
      const geo = cli.geo ? openGeoDatabase({ asnDb: cli.asnDb, countryDb: cli.geoDb }) : undefined;
      const profile = await withStore(command, (store) => buildProfile(store, entity, { ...options, geo }));
      process.stdout.write(cli.format === 'json' ? `${toJson(profile)}\n` : profileText(profile));
    });
}

function section(title: string, rows: readonly object[], columns: readonly string[]): string {
  const body = rows.length === 0 ? '(none)\n' : formatRows(rows as ResultRow[], 'table', columns);
  return `\n${title}\n${body}`;
}

/** The profile as text: a heading per section, aligned rows, "(none)" for an empty section. */
export function profileText(p: Profile): string {
  const lines: string[] = [`${p.entity.type} ${p.entity.value}`];
  lines.push(`window: ${p.window.from ?? 'all stored flows'}${p.window.to ? ` .. ${p.window.to}` : p.window.from ? ' ..' : ''}`);
  const asn = p.context.asn ? `AS${p.context.asn.number}${p.context.asn.org ? ` ${p.context.asn.org}` : ''}` : 'unknown';
  lines.push(`asn: ${asn}`, `country: ${p.context.country ?? 'unknown'}`);
  let out = `${lines.join('\n')}\n`;
  out += section('Intelligence', p.intel, ['indicator', 'type', 'kind', 'how', 'source', 'family', 'tag', 'confidence', 'last_seen']);
  const dns = (rows: Profile['dns']['names']) => rows.map((r) => ({ ...r }));
  // Only the DNS directions that apply: names for addresses and domains, answers and subdomains for domains.
  if (p.entity.type === 'domain') {
    out += section('Passive DNS: answers', dns(p.dns.answers), ['value', 'type', 'first', 'last', 'count', ...(p.dns.answers.some((a) => 'asn' in a) ? ['asn', 'as_org', 'country'] : [])]);
  }
  if (p.entity.type === 'domain' || p.entity.type === 'ip') out += section('Passive DNS: names pointing here', dns(p.dns.names), ['value', 'type', 'first', 'last', 'count']);
  if (p.entity.type === 'domain') out += section('Passive DNS: subdomains', dns(p.dns.subdomains), ['value', 'type', 'first', 'last', 'count']);
  const f = p.flows;
  out += `\nFlows${f.query ? ` (vantage query '${f.query}')` : ''}\nflows: ${f.flows}  bytes: ${f.bytes}  packets: ${f.packets}  first: ${f.first ?? '-'}  last: ${f.last ?? '-'}\n`;
  const peers = (rows: Profile['peers']['asSource']) => rows.map((r) => ({ ...r, ports: r.ports.join(',') }));
  out += section('Peers it sent to', peers(p.peers.asSource), ['peer', 'ports', 'flows', 'bytes', 'packets']);
  out += section('Peers that sent to it', peers(p.peers.asDestination), ['peer', 'ports', 'flows', 'bytes', 'packets']);
  if (p.entity.type !== 'ip') out += section('Top addresses inside', p.members, ['address', 'flows', 'bytes', 'packets']);
  out += section('Ports it sent to', p.ports.asSource, ['proto', 'port', 'flows', 'bytes']);
  out += section('Ports it received on', p.ports.asDestination, ['proto', 'port', 'flows', 'bytes']);
  out += section(`Activity per ${p.timeline.interval}`, p.timeline.buckets, ['time', 'flows', 'bytes', 'packets']);
  out += section(
    'HTTP requests',
    p.http.map((h) => ({ ...h, uris: h.uris.join(' ') })),
    ['host', 'role', 'requests', 'first', 'last', 'uris'],
  );
  if (p.entity.type === 'ip') out += section('Services', p.services, ['port', 'transport', 'service', 'product', 'source', 'first', 'last', 'count']);
  if (p.entity.type === 'ip' || p.entity.type === 'domain') {
    out += section(
      'Certificates',
      p.certificates.map((c) => ({ ...c, names: c.names.slice(0, 5).join(' ') })),
      ['subject', 'issuer', 'port', 'serverName', 'names', 'notAfter', 'first', 'last', 'count'],
    );
    out += section('TLS clients', p.tlsClients, ['client', 'server', 'port', 'serverName', 'ja3', 'ja4', 'role', 'first', 'last', 'count']);
  }
  out += section(
    'Findings',
    p.findings.map((x) => ({ ...x, id: x.id.slice(0, 10), roles: x.roles.join(',') })),
    ['id', 'kind', 'subkind', 'severity', 'score', 'status', 'roles', 'last', 'summary'],
  );
  return out;
}
