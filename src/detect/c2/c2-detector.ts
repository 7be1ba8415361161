// The C2-contact detector: flows to or from addresses that intelligence names as command and
// control or malware infrastructure, with who initiated, how much and how long. It rides on
// the retro-hunt (distinct addresses matched in memory, the few hits aggregated in the store),
// so indicators loaded after the traffic still find it. (A watched partner's host talking to C2
// becomes a "partner likely compromised" finding in monitor/watchlists.)

import { z } from 'zod';
import { formatIp } from '../../core/ip.js';
import { protocolName } from '../../core/protocols.js';
import { tlsClientsWithFingerprint, type TlsClientRow } from '../../store/tls-client-table.js';
import { retroHunt, type Sighting } from '../../intel/retro-hunt.js';
import type { Detector, NewFinding } from '../detector.js';
import { findingId, isoTime, roundScore, severityFor } from '../finding.js';
import { evidence, findingWindow } from '../flow-sql.js';
import { c2Score, persistenceScore, volumeScore, type C2Subscores } from './score.js';

/** Settings; docs/detections.md gives the reasoning behind each default. */
export const c2Config = z.object({
  /**
   * Indicator tags that name reputation, not C2 (`*` ends a prefix): Spamhaus DROP networks,
   * ipsum's blacklist counts and mass scanners are for the scan and repeat detectors.
   */
  excludeTags: z.array(z.string()).default(['drop', 'ipsum:*', 'maltrail:mass-scanner*', 'maltrail:mass_scanner*']),
  /** Confidence assumed when a feed gives none (0..1). */
  defaultConfidence: z.number().min(0).max(1).default(0.9),
  /** Contacts below this score are not reported. */
  minScore: z.number().min(0).max(1).default(0.25),
});
export type C2Config = z.infer<typeof c2Config>;

function excluded(tag: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? tag.startsWith(p.slice(0, -1)) : tag === p));
}

/** One conversation between our host and a C2, all its sightings (several feeds may name it). */
interface Contact {
  host: string;
  c2: string;
  port: number;
  proto: number;
  side: Sighting['side'];
  sightings: Sighting[];
}

/** The C2-contact detector. */
export const c2Detector: Detector<C2Config> = {
  kind: 'c2',
  description: 'flows to or from addresses intelligence names as C2 or malware infrastructure, with direction, volume and duration',
  config: c2Config,
  async run(context, config) {
    const { sightings, stats } = await retroHunt(context.store, context.intel, { since: context.from, until: context.to });
    const contacts = new Map<string, Contact>();
    for (const s of sightings) {
      if (excluded(s.tag, config.excludeTags) || s.allowed.length > 0) continue;
      const host = s.side === 'dst' ? s.src : s.dst;
      const c2 = s.side === 'dst' ? s.dst : s.src;
      const key = `${host} ${c2} ${s.dport} ${s.proto} ${s.side}`;
      const contact = contacts.get(key) ?? { host, c2, port: s.dport, proto: s.proto, side: s.side, sightings: [] };
      contact.sightings.push(s);
      contacts.set(key, contact);
    }
    const findings: NewFinding[] = [];
    for (const c of contacts.values()) {
      // Every sighting of a contact covers the same conversation: take its numbers once.
      const t = c.sightings[0]!;
      const confidences = c.sightings.map((s) => (s.confidence === null ? config.defaultConfidence : s.confidence / 100));
      const subscores: C2Subscores = {
        intel: roundScore(Math.max(...confidences)),
        direction: c.side === 'dst' ? 1 : 0.5,
        volume: roundScore(volumeScore(t.bytes)),
        persistence: roundScore(persistenceScore(t.flows)),
      };
      const score = roundScore(c2Score(subscores));
      if (score < config.minScore) continue;
      const families = [...new Set(c.sightings.map((s) => s.family ?? s.tag))];
      const proto = protocolName(c.proto);
      const who = c.side === 'dst' ? `${c.host} connected to ${c.c2}:${c.port}/${proto}` : `${c.c2} connected to ${c.host}:${c.port}/${proto}`;
      const span = Math.round((Date.parse(t.last) - Date.parse(t.first)) / 1000);
      const text = `${who} (${families.join(', ')} C2 per ${[...new Set(c.sightings.map((s) => s.source))].join(', ')}): ${t.flows} flows, ${t.bytes} bytes over ${span} s`;
      const query = `host ${c.host} and host ${c.c2} and port ${c.port}`;
      findings.push({
        id: findingId('c2', c.host, c.c2, c.port, c.proto),
        kind: 'c2',
        subkind: c.side === 'dst' ? 'outbound' : 'inbound',
        score,
        subscores: { ...subscores },
        severity: severityFor(score),
        src: c.side === 'dst' ? c.host : c.c2,
        dst: c.side === 'dst' ? c.c2 : c.host,
        dport: c.port,
        proto: c.proto,
        entities: [
          { role: 'infected', type: 'ip', value: c.host },
          { role: 'c2', type: 'ip', value: c.c2 },
        ],
        first: t.first,
        last: t.last,
        summary: text,
        evidence: await evidence(context, query, findingWindow(context, Date.parse(t.first), Date.parse(t.last)), { flows: t.flows, bytes: t.bytes, packets: t.packets }, {
          initiator: c.side === 'dst' ? c.host : c.c2,
        }),
        intel: c.sightings.map((s) => ({ value: c.c2, indicator: s.indicator, source: s.source, tag: s.tag, family: s.family, confidence: s.confidence })),
      });
    }
    // A fingerprint contact that the address intelligence found already adds its intelligence
    // to that finding instead of raising a second one.
    const tls = await fingerprintContacts(context, config);
    for (const t of tls.findings) {
      const at = findings.findIndex((f) => f.src === t.src && f.dst === t.dst && f.dport === t.dport);
      if (at < 0) findings.push(t);
      else findings[at] = { ...findings[at]!, intel: [...findings[at]!.intel, ...t.intel], evidence: { ...findings[at]!.evidence, details: { ...findings[at]!.evidence.details, fingerprints: t.evidence.details!.fingerprints } } };
    }
    return { findings, stats: { addresses: stats.addresses, matched: stats.matchedAddresses, fingerprints: tls.fingerprints, fingerprintContacts: tls.findings.length, findings: findings.length } };
  },
};

/**
 * Contacts made by a TLS client whose fingerprint (JA3 or JA4, from packet captures) intelligence
 * names: the malware's own TLS stack, whatever server it reaches. One finding per client, server
 * and port; the score counts the handshakes as persistence (flows carry no fingerprint, so no
 * volume).
 */
async function fingerprintContacts(context: Parameters<Detector<C2Config>['run']>[0], config: C2Config): Promise<{ findings: NewFinding[]; fingerprints: number }> {
  const listed = context.intel.indicators.filter((i) => i.kind === 'threat' && i.detect && (i.type === 'ja3' || i.type === 'ja4') && !i.tags.some((t) => excluded(t, config.excludeTags)));
  if (listed.length === 0) return { findings: [], fingerprints: 0 };
  const byContact = new Map<string, { rows: TlsClientRow[]; indicators: typeof listed }>();
  for (const indicator of listed) {
    for (const row of await tlsClientsWithFingerprint(context.store, indicator.value)) {
      if (row.lastSeen < context.from || row.firstSeen >= context.to) continue;
      const key = `${formatIp(row.src)} ${formatIp(row.dst)} ${row.dport}`;
      const contact = byContact.get(key) ?? { rows: [], indicators: [] };
      if (!contact.rows.includes(row)) contact.rows.push(row);
      if (!contact.indicators.includes(indicator)) contact.indicators.push(indicator);
      byContact.set(key, contact);
    }
  }
  const findings: NewFinding[] = [];
  for (const [key, c] of byContact) {
    const [host, server, portText] = key.split(' ') as [string, string, string];
    const port = Number(portText);
    const handshakes = c.rows.reduce((n, r) => n + r.count, 0);
    const first = Math.min(...c.rows.map((r) => r.firstSeen));
    const last = Math.max(...c.rows.map((r) => r.lastSeen));
    const confidences = c.indicators.map((i) => (i.confidence === null ? config.defaultConfidence : i.confidence / 100));
    const subscores: C2Subscores = { intel: roundScore(Math.max(...confidences)), direction: 1, volume: 0, persistence: roundScore(persistenceScore(handshakes)) };
    const score = roundScore(c2Score(subscores));
    if (score < config.minScore) continue;
    const families = [...new Set(c.indicators.map((i) => i.family ?? i.tags[0] ?? i.source))];
    const fingerprints = [...new Set(c.indicators.map((i) => `${i.type.toUpperCase()} ${i.value}`))];
    const names = [...new Set(c.rows.map((r) => r.serverName).filter(Boolean))];
    const query = `host ${host} and host ${server} and port ${port}`;
    findings.push({
      id: findingId('c2', host, server, port, 'tls-fingerprint'),
      kind: 'c2',
      subkind: 'tls-fingerprint',
      score,
      subscores: { ...subscores },
      severity: severityFor(score),
      src: host,
      dst: server,
      dport: port,
      proto: 6,
      entities: [
        { role: 'infected', type: 'ip', value: host },
        { role: 'c2', type: 'ip', value: server },
        ...names.map((n) => ({ role: 'c2', type: 'domain' as const, value: n })),
      ],
      first: isoTime(first),
      last: isoTime(last),
      summary: `${host} connected to ${server}:${port}/tcp${names.length > 0 ? ` (${names.join(', ')})` : ''} with a TLS client fingerprint of ${families.join(', ')} (${fingerprints.join(', ')} per ${[...new Set(c.indicators.map((i) => i.source))].join(', ')}): ${handshakes} handshakes`,
      evidence: await evidence(context, query, findingWindow(context, first, last), { handshakes }, { fingerprints, serverNames: names }),
      intel: c.indicators.map((i) => ({ value: i.value, indicator: i.value, source: i.source, tag: i.tags[0] ?? i.source, family: i.family, confidence: i.confidence })),
    });
  }
  return { findings, fingerprints: listed.length };
}
