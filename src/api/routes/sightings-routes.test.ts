// GET /api/sightings over a real server on 127.0.0.1 holding real Zeek logs from the shared data
// (CTU-Normal-40's labeled conn.log, and Slips' test9 conn.log with its dns.log). Every count
// is computed here from the raw files with awk and jq, not by Vantage: flows, packets, bytes,
// first/last, distinct peers, ports, passive DNS. Then roles (the narrow `peer` role), network
// scoping, refused values, the audit trail, the rate limit, and the client asking two servers.

import { execFileSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../cli/commands/import.js';
import { askPeers } from '../../share/peers/ask-peers.js';
import type { Sighting } from '../../share/peers/sighting.js';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { call, startTestServer, type TestServer } from '../test-server.js';
import { DEFAULT_SIGHTINGS_PER_MINUTE } from './sightings-routes.js';

const files = {
  // SOURCES.md 3.1: 008 has inbound attacks on 147.32.81.167; 79.124.62.34 also attacks in 010.
  ctu008: sharedDataPath('labeled-flows/stratosphere-security-datasets/008-zeek-mixed/data/conn.log.labeled'),
  ctu010: sharedDataPath('labeled-flows/stratosphere-security-datasets/010-zeek-mixed/data/conn.log.labeled'),
  // SOURCES.md 4: Slips' test9, a JSON conn.log and the dns.log of the same capture.
  test9Conn: sharedDataPath('zeek-logs/slips-test9-mixed/conn.log'),
  test9Dns: sharedDataPath('zeek-logs/slips-test9-mixed/dns.log'),
};
const tools = requireTool('awk') && requireTool('jq');
const quiet = { stderr: { write: () => true } };

const ATTACKER = '79.124.62.34';
/** The address wpad.felk.cvut.cz resolves to in test9's dns.log. */
const WPAD = 'wpad.felk.cvut.cz';
const RELAY = '147.32.80.7';

// ---- independent counts from the raw files ----

/** A Zeek TSV conn.log as normalised rows: ts_us, duration_us, orig_h, orig_p, resp_h, resp_p, proto, orig_pkts, orig_ip_bytes, resp_pkts, resp_ip_bytes. */
const TSV_ROWS = `!/^#/ {
  split($1, t, "."); f = substr(t[2] "000000", 1, 6); d = 0
  if ($9 != "-") { split($9, u, "."); d = u[1] * 1000000 + substr(u[2] "000000", 1, 6) }
  printf "%.0f\\t%.0f\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n", t[1] * 1000000 + f, d, $3, $4, $5, $6, $7, $17, $18, $19, $20
}`;
/** The same from a Zeek JSON conn.log (times rounded to the microsecond as numbers are). */
const JSON_ROWS =
  '[(.ts * 1e6 | round), ((.duration // 0) * 1e6 | round), ."id.orig_h", ."id.orig_p", ."id.resp_h", ."id.resp_p", .proto, (.orig_pkts // 0), (.orig_ip_bytes // 0), (.resp_pkts // 0), (.resp_ip_bytes // 0)] | @tsv';
/**
 * Sums the normalised rows touching X (an address) or P (a dotted prefix such as "147.32.81."):
 * a connection is one flow each way that carried packets, as Zeek's own counters say.
 */
const SUMS = `BEGIN { FS = "\\t" }
function mine(a) { return P != "" ? index(a, P) == 1 : a == X }
mine($3) || mine($5) {
  back = ($10 + 0) > 0
  flows += 1 + back; packets += $8 + (back ? $10 : 0); bytes += $9 + (back ? $11 : 0)
  s = int($1 / 1000); e = int(($1 + $2) / 1000)
  if (n == 0 || s < first) first = s
  if (n == 0 || e > last) last = e
  n++
  if (mine($3)) peers[$5] = 1
  if (mine($5)) peers[$3] = 1
  ports[$7 " " $6]++
  if (back) ports[$7 " " $4]++
}
END { c = 0; for (p in peers) c++; printf "S %.0f %.0f %.0f %.0f %.0f %.0f\\n", flows, packets, bytes, first, last, c; for (k in ports) print "P", ports[k], k }`;

interface Expected {
  flows: number;
  packets: number;
  bytes: number;
  first: string | null;
  last: string | null;
  distinctPeers: number;
  ports: { proto: string; port: number; flows: number }[];
}

function sums(rows: string, match: { address?: string; prefix?: string }): Expected {
  const out = execFileSync('awk', ['-v', `X=${match.address ?? ''}`, '-v', `P=${match.prefix ?? ''}`, SUMS], { input: rows, encoding: 'utf8' });
  const [s, ...p] = out.trim().split('\n');
  const [, flows, packets, bytes, first, last, peers] = s!.split(' ').map(Number);
  const number = { tcp: 6, udp: 17, icmp: 1 } as Record<string, number>;
  const ports = p
    .map((l) => l.split(' '))
    .map(([, n, proto, port]) => ({ proto: proto!, port: Number(port), flows: Number(n) }))
    .sort((a, b) => b.flows - a.flows || number[a.proto]! - number[b.proto]! || a.port - b.port)
    .slice(0, 5);
  return { flows: flows!, packets: packets!, bytes: bytes!, first: flows ? new Date(first!).toISOString() : null, last: flows ? new Date(last!).toISOString() : null, distinctPeers: peers!, ports };
}
const tsvRows = (file: string) => execFileSync('awk', ['-F', '\t', TSV_ROWS, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
const jsonRows = (file: string) => execFileSync('jq', ['-r', JSON_ROWS, file], { encoding: 'utf8', maxBuffer: 64 << 20 });

/**
 * Passive-DNS counts from a Zeek JSON dns.log: answered (NOERROR) rows, each distinct answer
 * once per row; with `answer`, only the rows holding it, and only it.
 */
function dnsOf(file: string, select: string, answer?: string): { records: number; names: number; answers: number; first: string; last: string } {
  const only = answer === undefined ? '' : ` | .answers |= map(select(. == "${answer}")) | select(.answers | length > 0)`;
  const program =
    `[.[] | select((.rcode_name // "NOERROR") == "NOERROR" and ((.answers // []) | length > 0)) | .query |= (ascii_downcase | rtrimstr(".")) | select(${select})${only}] | ` +
    `{records: (map(.answers | unique | length) | add), names: (map(.query) | unique | length), answers: (map(.answers[]) | unique | length), ` +
    `first: (map((.ts * 1e6 | round) / 1000 | floor) | min), last: (map((.ts * 1e6 | round) / 1000 | floor) | max)}`;
  const r = JSON.parse(execFileSync('jq', ['-s', '-c', program, file], { encoding: 'utf8' })) as { records: number; names: number; answers: number; first: number; last: number };
  return { ...r, first: new Date(r.first).toISOString(), last: new Date(r.last).toISOString() };
}

// ---- the servers ----

describe.skipIf(!tools || !files.ctu008 || !files.ctu010 || !files.test9Conn || !files.test9Dns)('GET /api/sightings', () => {
  let a: TestServer; // 008 and test9
  let b: TestServer; // 010
  let peerA: string; // role peer, unscoped
  let peerB: string;
  const sighting = async (value: string, token = peerA, base = a.base, qs = ''): Promise<Sighting> => {
    const res = await call(base, 'GET', `/api/sightings?value=${encodeURIComponent(value)}${qs}`, { token });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Sighting;
  };

  beforeAll(async () => {
    a = await startTestServer({}, async (store) => {
      await importFiles(store, [files.ctu008!, files.test9Conn!, files.test9Dns!], { format: 'auto', strict: true }, quiet);
    });
    b = await startTestServer({}, async (store) => {
      await importFiles(store, [files.ctu010!], { format: 'auto', strict: true }, quiet);
    });
    peerA = (await a.server.accounts.createToken({ name: 'csirt-b', role: 'peer' }, 'test')).token;
    peerB = (await b.server.accounts.createToken({ name: 'csirt-a', role: 'peer' }, 'test')).token;
  }, 180_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it("an attacker's address: the counts awk finds in CTU-Normal-40's conn.log", async () => {
    const expected = sums(tsvRows(files.ctu008!), { address: ATTACKER });
    // SOURCES.md: 107 flows of 79.124.62.34 in 008 (all unanswered probes: one flow each).
    expect(expected.flows).toBe(107);
    const s = await sighting(ATTACKER);
    expect(s).toEqual({ value: ATTACKER, type: 'ip', from: null, to: null, ...expected, passiveDns: { records: 0, names: 0, answers: 0, first: null, last: null }, scoped: false });
  });

  it('a network: every flow with an end in 147.32.81.0/24 (ICMP included), no passive DNS', async () => {
    const expected = sums(tsvRows(files.ctu008!), { prefix: '147.32.81.' });
    const s = await sighting('147.32.81.0/24');
    // Ports are left out: ICMP's type and code would need the importer's own mapping.
    expect(s).toMatchObject({ type: 'cidr', flows: expected.flows, packets: expected.packets, bytes: expected.bytes, first: expected.first, last: expected.last, distinctPeers: expected.distinctPeers, passiveDns: null });
  });

  it("a domain: its passive DNS from test9's dns.log (jq) and the flows of the address it resolved to (conn.log, jq + awk)", async () => {
    const dns = dnsOf(files.test9Dns!, `.query == "${WPAD}"`);
    // wpad is a CNAME to relay.felk.cvut.cz, answered with 147.32.80.7: two answers.
    expect(dns.answers).toBe(2);
    const flows = sums(jsonRows(files.test9Conn!), { address: RELAY });
    expect(flows.flows).toBeGreaterThan(0);
    expect(await sighting(WPAD)).toEqual({ value: WPAD, type: 'domain', from: null, to: null, ...flows, passiveDns: dns, scoped: false });
  });

  it('an address: the names that resolved to it', async () => {
    const dns = dnsOf(files.test9Dns!, 'true', RELAY);
    // wpad.felk.cvut.cz and relay.felk.cvut.cz itself; each row names the address once.
    expect(dns).toMatchObject({ names: 2, answers: 1 });
    const s = await sighting(RELAY);
    expect(s.passiveDns).toEqual(dns);
    expect(s.flows).toBe(sums(jsonRows(files.test9Conn!), { address: RELAY }).flows);
  });

  it('a window bounds the flows by start time', async () => {
    const all = await sighting(ATTACKER);
    // From one millisecond after the first flow: the connections that started earlier drop out.
    const rows = tsvRows(files.ctu008!)
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .filter((r) => r[2] === ATTACKER || r[4] === ATTACKER);
    const from = Date.parse(all.first!) + 1;
    const after = rows.filter((r) => Math.floor(Number(r[0]) / 1000) >= from).reduce((n, r) => n + (Number(r[9]) > 0 ? 2 : 1), 0);
    const s = await sighting(ATTACKER, peerA, a.base, `&from=${new Date(from).toISOString()}`);
    expect(s.flows).toBe(after);
    expect(s.flows).toBeLessThan(all.flows);
    expect(s.from).toBe(new Date(from).toISOString());
  });

  it('answers carry no address but the one asked about', async () => {
    for (const value of [ATTACKER, RELAY, WPAD, '147.32.81.0/24']) {
      const res = await call(a.base, 'GET', `/api/sightings?value=${encodeURIComponent(value)}`, { token: peerA });
      const text = await res.text();
      const addresses = new Set(text.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? []);
      expect([...addresses].filter((x) => x !== value && `${x}/24` !== value)).toEqual([]);
    }
  });

  it('a network-scoped token counts only flows touching its networks, and answers inside them', async () => {
    const victim = (await a.server.accounts.createToken({ name: 'victim-only', role: 'peer', scopes: ['147.32.81.167'] }, 'test')).token;
    const lan = (await a.server.accounts.createToken({ name: 'test9-lan', role: 'peer', scopes: ['10.0.2.0/24'] }, 'test')).token;
    // Every flow of the attacker touches 147.32.81.167; none touches test9's LAN.
    expect(await sighting(ATTACKER, victim)).toMatchObject({ flows: 107, scoped: true });
    expect(await sighting(ATTACKER, lan)).toMatchObject({ flows: 0, first: null, last: null, distinctPeers: 0, ports: [], scoped: true });
    // The relay's flows all come from test9's LAN host; its DNS answer is outside the scope.
    const relay = await sighting(RELAY, lan);
    expect(relay.flows).toBe(sums(jsonRows(files.test9Conn!), { address: RELAY }).flows);
    expect(relay.passiveDns).toEqual({ records: 0, names: 0, answers: 0, first: null, last: null });
    expect((await sighting(RELAY, victim)).flows).toBe(0);
  });

  it('the peer role may ask for sightings and nothing else', async () => {
    expect((await call(a.base, 'GET', `/api/sightings?value=${ATTACKER}`, { token: a.tokens.viewer })).status).toBe(200);
    const me = (await (await call(a.base, 'GET', '/api/auth/me', { token: peerA })).json()) as { role: string; permissions: string[] };
    expect(me).toMatchObject({ role: 'peer', permissions: ['sightings'] });
    const refused: [string, string, unknown?][] = [
      ['POST', '/api/query', { query: `ip ${ATTACKER} | count` }],
      ['POST', '/api/query/check', { query: 'any' }],
      ['GET', '/api/stats'],
      ['GET', '/api/findings'],
      ['GET', `/api/profile/${ATTACKER}`],
      ['GET', `/api/pivot?entity=${ATTACKER}`],
      ['GET', `/api/intel/match?value=${ATTACKER}`],
      ['POST', '/api/export', { query: 'any', format: 'csv' }],
      ['GET', '/api/audit'],
      ['GET', '/api/tokens'],
    ];
    for (const [method, path, body] of refused) {
      const res = await call(a.base, method, path, { token: peerA, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AUTH_FORBIDDEN');
    }
  });

  it('refuses values that are not an address, a network or a domain, or too wide a network (400, field value)', async () => {
    for (const value of ['AS64500', '0.0.0.0/0', '10.0.0.0/7', '300.1.2.3', 'not a domain!']) {
      const res = await call(a.base, 'GET', `/api/sightings?value=${encodeURIComponent(value)}`, { token: peerA });
      expect(res.status, value).toBe(400);
      expect(((await res.json()) as { error: { code: string; field?: string } }).error).toMatchObject({ code: 'REQUEST_INVALID', field: 'value' });
    }
    const missing = await call(a.base, 'GET', '/api/sightings', { token: peerA });
    expect(missing.status).toBe(400);
    const backwards = await call(a.base, 'GET', `/api/sightings?value=${ATTACKER}&from=2022-06-14&to=2022-06-13`, { token: peerA });
    expect(((await backwards.json()) as { error: { field?: string } }).error.field).toBe('from');
    expect((await call(a.base, 'GET', `/api/sightings?value=${ATTACKER}`)).status).toBe(401);
  });

  it('every question is in the audit trail: who asked, about what, how many flows', async () => {
    const auditor = (await a.server.accounts.createToken({ name: 'audited-peer', role: 'peer' }, 'test')).token;
    await sighting(ATTACKER, auditor);
    await call(a.base, 'GET', '/api/sightings?value=AS64500', { token: auditor });
    const res = await call(a.base, 'GET', '/api/audit?action=sighting&actor=audited-peer', { token: a.tokens.admin });
    const entries = ((await res.json()) as { entries: { actor: string; role: string; target: string; rows: number; status: string; errorCode: string | null }[] }).entries;
    expect(entries.map((e) => [e.role, e.target, e.status, e.errorCode, e.rows]).sort()).toEqual(
      [
        ['peer', ATTACKER, 'ok', null, 107],
        ['peer', 'AS64500', 'error', 'REQUEST_INVALID', 0],
      ].sort(),
    );
  });

  it(`limits each caller to ${DEFAULT_SIGHTINGS_PER_MINUTE} questions a minute (429 with Retry-After), others unaffected`, async () => {
    const busy = (await a.server.accounts.createToken({ name: 'busy-peer', role: 'peer' }, 'test')).token;
    const statuses: number[] = [];
    for (let i = 0; i <= DEFAULT_SIGHTINGS_PER_MINUTE; i++) {
      const res = await call(a.base, 'GET', '/api/sightings?value=192.0.2.1', { token: busy });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AUTH_RATE_LIMITED');
      } else await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(DEFAULT_SIGHTINGS_PER_MINUTE);
    expect(statuses.at(-1)).toBe(429);
    expect((await call(a.base, 'GET', '/api/sightings?value=192.0.2.1', { token: peerA })).status).toBe(200);
  }, 60_000);

  describe('the client asks every peer at once', () => {
    let silent: Server;
    let silentUrl: string;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      // A peer that accepts connections and never answers.
      silent = createServer((socket) => void sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const address = silent.address();
      silentUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it("both servers' answers, each peer's own error, in the order asked", async () => {
      const answers = await askPeers(
        [
          { name: 'ctu-40', url: a.base, token: peerA },
          { name: 'ctu-42', url: b.base, token: peerB },
          { name: 'wrong-token', url: b.base, token: peerA },
          { name: 'silent', url: silentUrl, token: peerA },
        ],
        ATTACKER,
        { timeoutMs: 2000 },
      );
      expect(answers.map((x) => x.peer)).toEqual(['ctu-40', 'ctu-42', 'wrong-token', 'silent']);
      // SOURCES.md: the repeat attacker, 107 flows in 008 and 106 in 010 (awk on each file).
      expect(answers[0]!.sighting).toMatchObject(sums(tsvRows(files.ctu008!), { address: ATTACKER }));
      expect(answers[1]!.sighting).toMatchObject(sums(tsvRows(files.ctu010!), { address: ATTACKER }));
      expect(answers[1]!.sighting!.flows).toBe(106);
      expect(answers[2]).toEqual({ peer: 'wrong-token', error: expect.stringMatching(/^HTTP 401 AUTH_FAILED: /) });
      expect(answers[3]).toEqual({ peer: 'silent', error: 'no answer within 2000 ms' });
    });
  });
});
