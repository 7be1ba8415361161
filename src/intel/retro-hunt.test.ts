// Retro-hunt and ingest tagging on every backend: real Emotet/TrickBot traffic (nDPI captures
// through softflowd -> nfcapd -> nfdump CSV -> import) against the maltrail trails, whichever
// arrives first; Spamhaus DROP and ipsum matched by prefix on synthetic flows.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../cli/commands/import.js';
import type { FlowRecord } from '../core/columns.js';
import { parseIp } from '../core/ip.js';
import { createEnricher, loadIntelIndex } from '../enrich/create-enricher.js';
import { runQuery } from '../query/run-query.js';
import type { Store } from '../store/store.js';
import { requireTool, sharedDataPath } from '../test-support/shared-data.js';
import { testBackends } from '../test-support/test-backends.js';
import { IndicatorRepository } from './indicator-repository.js';
import { loadFeeds } from './load-feeds.js';
import { retroHunt, type Sighting } from './retro-hunt.js';
import { pcapsToNfdumpCsv, PIPELINE_TOOLS } from './testing/pcap-to-nfdump-csv.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-hunt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const quiet = { stderr: { write: () => true } };

const EMOTET_PCAP = sharedDataPath('pcap-malicious/ndpi/emotet.pcap');
const TRICKBOT_PCAP = sharedDataPath('pcap-malicious/ndpi/trickbot.pcap');
const EMOTET_TRAIL = sharedDataPath('threat-intel/maltrail/emotet.txt');
const TRICKBOT_TRAIL = sharedDataPath('threat-intel/maltrail/trickbot.txt');
const tools = PIPELINE_TOOLS.every((t) => requireTool(t));
const realData = tools && EMOTET_PCAP && TRICKBOT_PCAP && EMOTET_TRAIL && TRICKBOT_TRAIL;

let n = 0;
async function openStore(make: (dir: string) => Store): Promise<{ store: Store; repo: IndicatorRepository }> {
  const store = make(join(work, `store-${n++}`));
  await store.open();
  const repo = new IndicatorRepository(store);
  await repo.ensureTables();
  return { store, repo };
}

/** What the acceptance test looks for: the two C2 conversations, summarised. */
function c2Sightings(sightings: Sighting[]) {
  return sightings
    .filter((s) => s.source === 'maltrail:emotet' && s.type === 'ip-port')
    .map((s) => ({ indicator: s.indicator, family: s.family, src: s.src, dst: s.dst, dport: s.dport, side: s.side }))
    .sort((a, b) => a.indicator.localeCompare(b.indicator));
}

const EXPECTED_C2 = [
  { indicator: '138.197.147.101:443', family: 'emotet', src: '10.4.25.101', dst: '138.197.147.101', dport: 443, side: 'dst' },
  { indicator: '82.118.225.196:7080', family: 'emotet', src: '10.12.29.101', dst: '82.118.225.196', dport: 7080, side: 'dst' },
];

describe.runIf(realData)('retro-hunt on real Emotet and TrickBot traffic', () => {
  let csv: string;
  beforeAll(async () => {
    csv = await pcapsToNfdumpCsv([EMOTET_PCAP!, TRICKBOT_PCAP!], join(work, 'pcap'));
  }, 120_000);

  describe.each(testBackends())('%s', (_name, make) => {
    it('traffic first, intelligence after: the hunt finds the C2 conversations', async () => {
      const { store, repo } = await openStore(make);
      try {
        const enricher = await createEnricher(store, { noGeo: true });
        await importFiles(store, [csv], { format: 'nfdump-csv', strict: true, enrich: (r) => enricher.enrich(r) }, quiet);
        // Nothing was known at ingest: no tags on the stored flows.
        expect((await runQuery(store, 'tag maltrail:emotet | count')).rows[0]).toMatchObject({ flows: 0 });
        await loadFeeds(repo, [EMOTET_TRAIL!, TRICKBOT_TRAIL!], {}, quiet);
        const { sightings, stats } = await retroHunt(store, await loadIntelIndex(store));
        expect(c2Sightings(sightings)).toEqual(EXPECTED_C2);
        const emotet = sightings.find((s) => s.indicator === '138.197.147.101:443')!;
        // Both TLS connections and their replies, folded into one client->server conversation.
        expect(emotet).toMatchObject({ flows: 4, proto: 6, first: '2022-04-25T16:51:07.000Z', tag: 'maltrail:emotet', how: 'address-port' });
        expect(emotet.bytes).toBeGreaterThan(5000);
        expect(emotet.reference).toMatch(/^https:\/\//);
        expect(sightings.find((s) => s.indicator === '82.118.225.196:7080')).toMatchObject({ flows: 2, bytes: 60966, packets: 74 });
        expect(stats.matchedAddresses).toBe(2);
        // A time window that excludes the 2020 TrickBot traffic.
        const recent = await retroHunt(store, await loadIntelIndex(store), { since: Date.UTC(2022, 0, 1) });
        expect(c2Sightings(recent.sightings).map((s) => s.indicator)).toEqual(['138.197.147.101:443']);
      } finally {
        await store.close();
      }
    });

    it('intelligence first, traffic after: flows are tagged at ingest and the hunt agrees', async () => {
      const { store, repo } = await openStore(make);
      try {
        await loadFeeds(repo, [EMOTET_TRAIL!, TRICKBOT_TRAIL!], {}, quiet);
        const enricher = await createEnricher(store, { noGeo: true });
        await importFiles(store, [csv], { format: 'nfdump-csv', strict: true, enrich: (r) => enricher.enrich(r) }, quiet);
        // Both directions of both C2 conversations carry the trail's tag.
        expect((await runQuery(store, 'tag maltrail:emotet | count')).rows[0]).toMatchObject({ flows: 6 });
        expect((await runQuery(store, 'tag maltrail:emotet and dst port 7080 | count')).rows[0]).toMatchObject({ flows: 1 });
        const { sightings } = await retroHunt(store, await loadIntelIndex(store));
        expect(c2Sightings(sightings)).toEqual(EXPECTED_C2);
      } finally {
        await store.close();
      }
    });
  });
});

/** A minimal flow between two addresses. */
function flow(src: string, dst: string, sport: number, dport: number, start: number): FlowRecord {
  return { start, end: start + 1000, src: parseIp(src)!, dst: parseIp(dst)!, sport, dport, proto: 6, tcp_flags: 0x1b, packets: 10, bytes: 1000 };
}

const DROP = sharedDataPath('threat-intel/spamhaus/drop.txt');
const DROPV6 = sharedDataPath('threat-intel/spamhaus/dropv6.txt');
const IPSUM8 = sharedDataPath('threat-intel/ipsum/levels/8.txt');

describe.runIf(DROP && DROPV6 && IPSUM8).each(testBackends())('prefix matching on %s', (_name, make) => {
  it('matches Spamhaus DROP ranges (v4 and v6) and ipsum addresses by prefix, tags at ingest, honours allow-lists', async () => {
    const { store, repo } = await openStore(make);
    try {
      await loadFeeds(repo, [DROP!, DROPV6!, IPSUM8!], {}, quiet);
      const allow = join(work, `allow-${n}.txt`);
      (await import('node:fs')).writeFileSync(allow, '77.90.185.0/24 # our partner, really\n');
      await loadFeeds(repo, [allow], { kind: 'allow', source: 'allow:partners' }, quiet);
      const t = Date.UTC(2026, 1, 1);
      const flows = [
        flow('10.0.0.5', '1.10.16.77', 50000, 443, t), // inside DROP 1.10.16.0/20
        flow('1.10.16.77', '10.0.0.5', 443, 50000, t + 10), // its reply
        flow('77.90.185.20', '10.0.0.9', 40000, 22, t + 20), // an ipsum level-8 scanner, inbound
        flow('2001:db8::5', '2001:678:6c4::99', 50001, 80, t + 30), // inside DROPv6 2001:678:6c4::/48
        flow('10.0.0.5', '192.0.2.1', 50002, 443, t + 40), // nothing
      ];
      const enricher = await createEnricher(store, { noGeo: true });
      enricher.enrich(flows);
      // 77.90.185.20 is on 8+ blacklists and inside DROP 77.90.185.0/24 (SBL654925), and our allow-list says partner.
      expect(flows.map((f) => f.tags ?? [])).toEqual([['drop'], ['drop'], ['allow:partners', 'drop', 'ipsum:8'], ['drop'], []]);
      await store.appendFlows(flows);
      const { sightings } = await retroHunt(store, await loadIntelIndex(store));
      const summary = sightings.map((s) => [s.indicator, s.how, s.reference ?? '', s.side, s.src, s.dst, s.dport, s.flows, s.allowed.join(',')]);
      expect(summary).toEqual([
        ['1.10.16.0/20', 'covering-prefix', 'SBL256894', 'dst', '10.0.0.5', '1.10.16.77', 443, 2, ''],
        ['77.90.185.0/24', 'covering-prefix', 'SBL654925', 'src', '77.90.185.20', '10.0.0.9', 22, 1, 'allow:partners'],
        ['77.90.185.20', 'exact', '', 'src', '77.90.185.20', '10.0.0.9', 22, 1, 'allow:partners'],
        ['2001:678:6c4::/48', 'covering-prefix', 'SBL626637', 'dst', '2001:db8::5', '2001:678:6c4::99', 80, 1, ''],
      ]);
      expect((await runQuery(store, 'tag drop | count')).rows[0]).toMatchObject({ flows: 4 });
    } finally {
      await store.close();
    }
  });
});
