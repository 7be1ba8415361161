// The STIX and MISP exports over HTTP: an indicator list and a stored finding come back as a
// conformant STIX 2.1 bundle and a MISP event; viewers and network-scoped callers are refused;
// each export is audited.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStixBundle } from '../../share/stix/stix-conformance.js';
import { seedSharedC2 } from '../../share/testing/share-fixtures.js';
import { call, startTestServer, type TestServer } from '../test-server.js';

let t: TestServer;
const at = new Date(Date.UTC(2026, 9, 31, 12)).toISOString();

beforeAll(async () => {
  t = await startTestServer();
  await seedSharedC2(t.store, t.dir, at);
});
afterAll(() => t.close());

describe('GET /api/share/stix and /api/share/misp', () => {
  it('exports a conformant STIX 2.1 bundle with the indicator and the sighting', async () => {
    const res = await call(t.base, 'GET', '/api/share/stix?tlp=green&org=Bank%20CTI', { token: t.tokens.analyst });
    expect(res.status).toBe(200);
    const bundle = (await res.json()) as { type: string; objects: { type: string; pattern?: string; name?: string; object_marking_refs?: string[] }[] };
    expect(bundle.type).toBe('bundle');
    expect(checkStixBundle(bundle, { resolveRefs: true })).toEqual([]);
    expect(bundle.objects.filter((o) => o.type === 'indicator').map((o) => o.pattern)).toContain("[ipv4-addr:value = '198.51.100.7']");
    expect(bundle.objects.some((o) => o.type === 'sighting')).toBe(true);
    expect(bundle.objects.find((o) => o.type === 'identity')!.name).toBe('Bank CTI');
    // TLP:GREEN's standard marking-definition id (TLP 2.0).
    expect(bundle.objects.find((o) => o.type === 'indicator')!.object_marking_refs).toEqual(['marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb']);
  });

  it('exports a MISP event whose attributes hold the C2 to detect', async () => {
    const res = await call(t.base, 'GET', '/api/share/misp?info=Weekly', { token: t.tokens.analyst });
    expect(res.status).toBe(200);
    const event = (await res.json()) as { Event: { info: string; Attribute: { type: string; value: string; to_ids: boolean }[] } };
    expect(event.Event.info).toBe('Weekly');
    expect(event.Event.Attribute.filter((a) => a.value === '198.51.100.7').map((a) => [a.type, a.to_ids])).toContainEqual(['ip-dst', true]);
    // Our own host (the infected side) is never shared.
    expect(event.Event.Attribute.some((a) => a.value === '10.1.0.5')).toBe(false);
  });

  it('refuses viewers and network-scoped callers, rejects a bad TLP, and audits exports', async () => {
    expect((await call(t.base, 'GET', '/api/share/stix', { token: t.tokens.viewer })).status).toBe(403);
    expect((await call(t.base, 'GET', '/api/share/misp', { token: t.tokens.partnerAnalyst })).status).toBe(403);
    expect((await call(t.base, 'GET', '/api/share/stix?tlp=white', { token: t.tokens.analyst })).status).toBe(400);
    const audit = await call(t.base, 'GET', '/api/audit?action=share.export', { token: t.tokens.admin });
    const entries = ((await audit.json()) as { entries: { action: string; target: string; status: string }[] }).entries;
    expect(entries.filter((e) => e.action === 'share.export').map((e) => e.target).sort()).toEqual(['misp', 'stix']);
  });
});
