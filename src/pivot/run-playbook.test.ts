// Playbooks and the new pivot roots on real Zeek logs (Slips test 9: dns.log, ssl.log, x509.log
// as JSON lines), both backends. What each step must reach is worked out here from the three logs
// read as plain JSON, by certificate identity (issuer and serial, as X.509 defines it), without
// the store or the pivot engine.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../cli/commands/import.js';
import type { Store } from '../store/store.js';
import { sharedDataPath } from '../test-support/shared-data.js';
import { testBackends } from '../test-support/test-backends.js';
import { parseEntity } from './entity.js';
import { pivot } from './pivot-graph.js';
import { parsePlaybook } from './playbook.js';
import { builtinPlaybooks, PlaybookRepository } from './playbook-repository.js';
import { runPlaybook } from './run-playbook.js';

const quiet = { stderr: { write: () => true } };
const slips = {
  dns: sharedDataPath('zeek-logs/slips-test9-mixed/dns.log'),
  ssl: sharedDataPath('zeek-logs/slips-test9-mixed/ssl.log'),
  x509: sharedDataPath('zeek-logs/slips-test9-mixed/x509.log'),
};

type Row = Record<string, unknown>;
const jsonLog = (file: string): Row[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Row);

/** The logs joined by hand: which server presented which certificate (issuer + serial), names per answer. */
function readLogs() {
  const x509 = new Map(jsonLog(slips.x509!).map((r) => [r.id as string, r]));
  const certKey = (r: Row) => `${r['certificate.issuer'] as string}|${r['certificate.serial'] as string}`;
  const served = new Map<string, Set<string>>(); // ip -> cert keys
  const servers = new Map<string, Set<string>>(); // cert key -> ips
  const names = new Map<string, Set<string>>(); // cert key -> CN + SANs
  for (const r of jsonLog(slips.ssl!)) {
    const first = (r.cert_chain_fuids as string[] | undefined)?.[0];
    const c = first ? x509.get(first) : undefined;
    if (!c) continue;
    const ip = r['id.resp_h'] as string;
    const k = certKey(c);
    served.set(ip, (served.get(ip) ?? new Set()).add(k));
    servers.set(k, (servers.get(k) ?? new Set()).add(ip));
    const cn = /CN=([^,]+)/.exec(c['certificate.subject'] as string)?.[1];
    names.set(k, new Set([...(names.get(k) ?? []), ...(cn ? [cn] : []), ...((c['san.dns'] as string[] | undefined) ?? [])].map((n) => n.toLowerCase())));
  }
  const byAnswer = new Map<string, Set<string>>(); // answer -> query names
  const byName = new Map<string, Set<string>>(); // query -> answers
  for (const r of jsonLog(slips.dns!)) {
    if (r.rcode_name !== 'NOERROR') continue;
    for (const a of (r.answers as string[] | undefined) ?? []) {
      byAnswer.set(a, (byAnswer.get(a) ?? new Set()).add(r.query as string));
      byName.set(r.query as string, (byName.get(r.query as string) ?? new Set()).add(a));
    }
  }
  return { served, servers, names, byAnswer, byName };
}

const at = (g: { nodes: { id: string; type: string; depth: number; value: string }[] }, type: string, depth: number) =>
  new Set(g.nodes.filter((n) => n.type === type && n.depth === depth).map((n) => n.value));

describe('playbook definitions', () => {
  it('reads YAML and JSON, and names the field, line or position of a mistake', () => {
    const yaml = parsePlaybook('name: x\nsteps:\n  - follow: served\n    types: [cert]\n', 'a.yaml');
    expect(yaml.steps[0]).toEqual({ follow: ['served'], types: ['cert'] });
    expect(parsePlaybook('{"steps":[{"follow":["names","served"],"minCount":2}]}', 'b.json').steps[0]!.follow).toEqual(['names', 'served']);
    expect(() => parsePlaybook('steps:\n  - follow: [serverd]\n', 'c.yaml')).toThrow(/^playbook c\.yaml: steps\[0\]\.follow/);
    expect(() => parsePlaybook('steps:\n  - follow: served\n    type: [ip]\n', 'd.yaml')).toThrow(/playbook d\.yaml: steps\[0\]: .*type/);
    expect(() => parsePlaybook('steps: [\n  - follow\n', 'e.yaml')).toThrow(/^playbook e\.yaml:\d+:\d+: not valid YAML/);
    expect(() => parsePlaybook('{"steps": [}', 'f.json')).toThrow(/^playbook f\.json: not valid JSON/);
    expect(() => parsePlaybook('steps: []\n', 'g.yaml')).toThrow(/^playbook g\.yaml: steps: /);
  });

  it('ships the built-in playbooks, each valid', () => {
    expect([...builtinPlaybooks().keys()].sort()).toEqual(['c2-infrastructure', 'client-siblings', 'domain-siblings']);
  });
});

describe.skipIf(!slips.dns || !slips.ssl || !slips.x509).each(testBackends())('playbooks and roots on Zeek logs (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;
  let logs: ReturnType<typeof readLogs>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-playbook-'));
    store = makeStore(dir);
    await store.open();
    await importFiles(store, [slips.dns!, slips.ssl!, slips.x509!], { format: 'auto', strict: false } as never, quiet);
    logs = readLogs();
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('domain-siblings: addresses from dns.log, the certificates ssl.log saw on them, every name x509.log gives those', async () => {
    const name = 'www.bing.com';
    const r = await runPlaybook(store, builtinPlaybooks().get('domain-siblings')!, parseEntity(name), { limit: 1000 });
    const ips = new Set([...logs.byName.get(name)!].filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)));
    expect(at(r, 'ip', 1)).toEqual(ips);
    const certs = new Set([...ips].flatMap((ip) => [...(logs.served.get(ip) ?? [])]));
    expect(certs.size).toBeGreaterThan(0);
    expect(r.steps.map((s) => s.nodes)).toEqual([ips.size, certs.size, expect.any(Number)]);
    const expected = new Set([...certs].flatMap((k) => [...logs.names.get(k)!]));
    expected.delete(name); // the root, already in the graph
    expect(at(r, 'domain', 3)).toEqual(expected);
    expect(r.steps[2]!.nodes).toBe(expected.size);
  });

  it('c2-infrastructure: the certificates a server presented, the other servers presenting them, and the names that resolved to those', async () => {
    const root = '204.79.197.200';
    const r = await runPlaybook(store, builtinPlaybooks().get('c2-infrastructure')!, parseEntity(root), { limit: 1000 });
    const certs = logs.served.get(root)!;
    expect(r.steps[0]!.nodes).toBe(certs.size);
    const others = new Set([...certs].flatMap((k) => [...logs.servers.get(k)!]));
    others.delete(root);
    expect(others.size).toBeGreaterThan(0);
    expect(at(r, 'ip', 2)).toEqual(others);
    const names = new Set([...others].flatMap((ip) => [...(logs.byAnswer.get(ip) ?? [])]));
    expect(at(r, 'domain', 3)).toEqual(names);
    // Each kept edge of step 2 points from a server to a certificate of step 1.
    const certNodes = new Set(r.nodes.filter((n) => n.depth === 1).map((n) => n.id));
    for (const ip of others) expect(r.edges.some((e) => e.from === `ip:${ip}` && e.relation === 'served' && certNodes.has(e.to)), ip).toBe(true);
  });

  it('filters: a minimum count drops the weaker edges, and a playbook saved in the store runs by name', async () => {
    const repo = new PlaybookRepository(store);
    await repo.ensureTable();
    const file = join(dir, 'busy.yaml');
    writeFileSync(file, 'steps:\n  - follow: resolved-to\n    minCount: 2\n');
    await repo.save('busy-answers', parsePlaybook(readFileSync(file, 'utf8'), file));
    expect((await repo.list()).map((d) => d.name)).toEqual(['busy-answers']);
    // Its CNAME pagead.l.doubleclick.net is in two responses, each address in one.
    const name = 'www.googleadservices.com';
    const r = await runPlaybook(store, await repo.resolve('busy-answers'), parseEntity(name), { limit: 1000 });
    // dns.log responses per answer of the name: those seen at least twice are kept.
    const counts = new Map<string, number>();
    for (const row of jsonLog(slips.dns!)) {
      if (row.query !== name || row.rcode_name !== 'NOERROR') continue;
      for (const a of new Set((row.answers as string[] | undefined) ?? [])) counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    const kept = new Set([...counts].filter(([, n]) => n >= 2).map(([a]) => a));
    expect(kept.size).toBeGreaterThan(0);
    expect(kept.size).toBeLessThan(counts.size);
    expect(new Set(r.edges.map((e) => e.to.replace(/^(ip|domain):/, '')))).toEqual(kept);
    expect(r.steps[0]!.dropped).toBe(counts.size - kept.size);
    expect(await repo.remove('busy-answers')).toBe(true);
    await expect(repo.resolve('busy-answers')).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('a certificate is a root: the servers ssl.log saw presenting it and the names it carries', async () => {
    // A certificate with a SHA-256 in the store is needed for a hash root: Slips' x509.log has
    // none, so its node id (issuer and serial hashed) is not a hash; the engine reaches it by name.
    const r = await pivot(store, parseEntity('www.bing.com'), { depth: 1, limit: 1000 });
    expect(r.edges.some((e) => e.relation === 'names')).toBe(true);
    await expect(pivot(store, parseEntity('ab'.repeat(32)))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a network is a root: the addresses inside it that served certificates, most sightings first', async () => {
    const r = await pivot(store, parseEntity('204.79.197.0/24'), { depth: 1, limit: 1000 });
    const inside = [...logs.served.keys()].filter((ip) => ip.startsWith('204.79.197.'));
    expect(new Set(r.edges.filter((e) => e.relation === 'contains').map((e) => e.to))).toEqual(new Set(inside.map((ip) => `ip:${ip}`)));
  });
});
