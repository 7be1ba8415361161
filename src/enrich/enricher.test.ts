import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/columns.js';
import { parseIp } from '../core/ip.js';
import { FEED_PARSERS } from '../intel/detect-feed.js';
import { IntelIndex } from '../intel/intel-index.js';
import { enrichingSink, FlowEnricher } from './enricher.js';
import { openGeoDatabase } from './geo-database.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-enrich-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

writeFileSync(join(work, 'asn-ipv4.csv'), '138.197.0.0,138.197.255.255,14061,"DigitalOcean, LLC"\n82.118.225.0,82.118.225.255,200628,BGO Cloud OOD\n');
writeFileSync(join(work, 'asn-ipv6.csv'), '2001:678:6c4::,2001:678:6c4:ffff:ffff:ffff:ffff:ffff,64500,Test\n');
writeFileSync(join(work, 'country.csv'), '138.197.0.0,138.197.255.255,CA\n82.118.225.0,82.118.225.255,BG\n');
const geo = openGeoDatabase({ asnDb: join(work, 'asn-ipv4.csv'), countryDb: join(work, 'country.csv'), noDefaults: true, cacheDir: false });
const geo6 = openGeoDatabase({ asnDb: join(work, 'asn-ipv6.csv'), noDefaults: true, cacheDir: false });
const index = new IntelIndex([
  ...FEED_PARSERS.maltrail.parse({ file: '/t/emotet.txt', text: '138.197.147.101:443\n82.118.225.196:7080\n', kind: 'threat' }).indicators,
  ...FEED_PARSERS.spamhaus.parse({ file: '/t/dropv6.txt', text: '; Spamhaus IPv6 DROP\n2001:678:6c4::/48 ; SBL626637\n', kind: 'threat' }).indicators,
]);

function flow(src: string, dst: string, sport: number, dport: number, extra: Partial<FlowRecord> = {}): FlowRecord {
  return { start: 0, end: 0, src: parseIp(src)!, dst: parseIp(dst)!, sport, dport, proto: 6, tcp_flags: 0, packets: 1, bytes: 60, ...extra };
}

describe('FlowEnricher', () => {
  it('fills AS numbers and countries on both sides, and tags C2 traffic in both directions', () => {
    const flows = [flow('10.4.25.101', '138.197.147.101', 49804, 443), flow('138.197.147.101', '10.4.25.101', 443, 49804), flow('10.4.25.101', '138.197.1.1', 1, 80)];
    new FlowEnricher(geo, index).enrich(flows);
    expect(flows.map((f) => [f.src_as ?? null, f.dst_as ?? null, f.src_country ?? null, f.dst_country ?? null, f.tags ?? null])).toEqual([
      [null, 14061, null, 'CA', ['maltrail:emotet']],
      [14061, null, 'CA', null, ['maltrail:emotet']],
      [null, 14061, null, 'CA', null],
    ]);
  });

  it('keeps what the exporter said (its AS, its country, its tags) and adds to tags', () => {
    const f = flow('10.12.29.101', '82.118.225.196', 61318, 7080, { dst_as: 65001, dst_country: 'XX', tags: ['seen'] });
    new FlowEnricher(geo, index).enrich([f]);
    expect([f.dst_as, f.dst_country, f.tags]).toEqual([65001, 'XX', ['seen', 'maltrail:emotet']]);
  });

  it('enriches IPv6 flows', () => {
    const f = flow('2001:db8::1', '2001:678:6c4::99', 50000, 80);
    new FlowEnricher(geo6, index).enrich([f]);
    expect([f.dst_as, f.tags]).toEqual([64500, ['drop']]);
  });

  it('wraps a sink so that batches are enriched on their way to the store', async () => {
    const got: FlowRecord[] = [];
    const sink = enrichingSink({ appendFlows: async (r: readonly FlowRecord[]) => void got.push(...r) }, new FlowEnricher(geo, undefined));
    await sink.appendFlows([flow('10.0.0.1', '82.118.225.196', 1, 2)]);
    expect(got[0]).toMatchObject({ dst_as: 200628, dst_country: 'BG' });
    expect(got[0]!.tags).toBeNull();
  });
});
