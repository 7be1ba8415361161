// The C2-contact detector: flows to or from addresses that intelligence names as command and
// control or malware infrastructure, with who initiated, how much and how long. It rides on
// the retro-hunt (distinct addresses matched in memory, the few hits aggregated in the store),
// so indicators loaded after the traffic still find it. (A watched partner's host talking to C2
// becomes a "partner likely compromised" finding in monitor/watchlists.)

import { z } from 'zod';
import { protocolName } from '../../core/protocols.js';
import { retroHunt, type Sighting } from '../../intel/retro-hunt.js';
import type { Detector, NewFinding } from '../detector.js';
import { findingId, roundScore, severityFor } from '../finding.js';
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
    return { findings, stats: { addresses: stats.addresses, matched: stats.matchedAddresses, findings: findings.length } };
  },
};
