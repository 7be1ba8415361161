// The findings routes over a real server and real findings: two shared captures imported, the
// detectors run through POST /api/detect, then listing, one finding, verdicts, roles, the audit
// trail and network scoping. Expected values come from SOURCES.md's ground truth for the captures.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCaptureFiles } from '../../cli/commands/import-capture.js';
import type { Finding } from '../../detect/finding.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { call, startTestServer, type TestServer } from '../test-server.js';

const files = {
  // SOURCES.md 2.2: nmap SYN scan 172.16.0.8 -> 64.13.134.52 (2010-07-04), 1,000 distinct ports.
  synscan: sharedDataPath('pcap-malicious/ndpi/synscan.pcap'),
  // SOURCES.md 2.3: SSH brute force 147.32.80.40 -> 147.32.80.37:902, 67 TCP connections.
  sshBrute: sharedDataPath('pcap-malicious/slips/malicious-ssh-bruteforce.pcap'),
};
const quiet = { stderr: { write: () => true } };
// Both captures (capinfos: 2010-07-04 and 2026-03-22).
const ALL_TIME = { from: '2010-07-04T00:00Z', to: '2026-03-23T00:00Z' };

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}
interface FindingList {
  findings: Finding[];
  kinds: string[];
  scoped: boolean;
}
interface DetectReport {
  from: string;
  to: string;
  findings: Finding[];
  detectors: { kind: string; findings: number; ms: number; stats: Record<string, number> }[];
  saved?: { added: number; updated: number; suppressed: number };
  scoped: boolean;
}
interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  rows: number;
  status: string;
  errorCode: string | null;
}

describe.skipIf(!files.synscan || !files.sshBrute)('findings routes', () => {
  let t: TestServer;
  /** Viewer scoped to the scanner's network; analyst scoped to the brute-forced server alone. */
  let scanNet: string;
  let sshServer: string;
  let scan: Finding;
  let brute: Finding;

  const json = async <T>(res: Response, status = 200): Promise<T> => {
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as T;
  };
  const list = async (token: string, qs = ''): Promise<FindingList> => json<FindingList>(await call(t.base, 'GET', `/api/findings${qs}`, { token }));
  const auditOf = async (action: string): Promise<AuditEntry[]> =>
    (await json<{ entries: AuditEntry[] }>(await call(t.base, 'GET', `/api/audit?action=${action}`, { token: t.tokens.admin }))).entries;

  beforeAll(async () => {
    t = await startTestServer({}, async (store) => {
      await importCaptureFiles(store, [files.synscan!, files.sshBrute!], { format: 'pcap' }, quiet);
    });
    scanNet = (await t.server.accounts.createToken({ name: 'scan-net', role: 'viewer', scopes: ['172.16.0.0/24'] }, 'test')).token;
    sshServer = (await t.server.accounts.createToken({ name: 'ssh-server', role: 'analyst', scopes: ['147.32.80.37'] }, 'test')).token;
  }, 120_000);
  afterAll(async () => t?.close());

  it('POST /api/detect runs the detectors, stores the findings and is audited with the row count', async () => {
    const denied = await call(t.base, 'POST', '/api/detect', { token: t.tokens.viewer, body: ALL_TIME });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as ErrorBody).error.code).toBe('AUTH_FORBIDDEN');

    const report = await json<DetectReport>(await call(t.base, 'POST', '/api/detect', { token: t.tokens.analyst, body: ALL_TIME }));
    expect(report).toMatchObject({ from: '2010-07-04T00:00:00.000Z', to: '2026-03-23T00:00:00.000Z', scoped: false });
    expect(report.detectors.map((d) => d.kind)).toEqual(['scan', 'bruteforce', 'ddos', 'beacon', 'log4j', 'c2', 'repeat', 'exfil']);
    expect(report.saved).toMatchObject({ added: report.findings.length, updated: 0 });
    const scans = report.findings.filter((f) => f.kind === 'scan' && f.src === '172.16.0.8');
    expect(scans).toHaveLength(1);
    scan = scans[0]!;
    expect(scan).toMatchObject({ subkind: 'vertical', dst: '64.13.134.52', status: 'open', runs: 1 });
    expect(scan.evidence.counts.ports).toBe(1000);
    const brutes = report.findings.filter((f) => f.kind === 'bruteforce' && f.src === '147.32.80.40');
    expect(brutes).toHaveLength(1);
    brute = brutes[0]!;
    expect(brute).toMatchObject({ dst: '147.32.80.37', dport: 902 });
    expect(brute.evidence.counts.connections).toBe(67);

    const [entry] = await auditOf('detect');
    expect(entry).toMatchObject({ actor: 'analyst', target: 'all', rows: report.findings.length, status: 'ok' });
    expect(entry!.detail).toMatchObject({ kinds: ['all'], from: ALL_TIME.from, to: ALL_TIME.to, saved: report.saved });

    // A second run finds the same activity again: the stored findings are updated, not duplicated.
    const again = await json<DetectReport>(await call(t.base, 'POST', '/api/detect', { token: t.tokens.admin, body: { ...ALL_TIME, kinds: ['scan'] } }));
    expect(again.saved).toMatchObject({ added: 0, updated: again.findings.length });
    expect(again.findings.find((f) => f.id === scan.id)!.runs).toBe(2);
  });

  it('POST /api/detect: bad kinds, settings and windows are 400s with their codes (and audited as errors)', async () => {
    const cases: [unknown, string][] = [
      [{ kinds: ['nosuch'] }, 'USAGE'],
      [{ kinds: ['scan'], config: { scan: { minHosts: 'many' } } }, 'DETECT_CONFIG'],
      [{ kinds: ['scan'], config: { nosuch: {} } }, 'DETECT_CONFIG'],
      [{ kinds: ['scan'], from: '2030-01-01T00:00Z', to: '2000-01-01T00:00Z' }, 'USAGE'],
      [{ from: 'sometime' }, 'TIME_FORMAT'],
      [{ extra: 1 }, 'REQUEST_INVALID'],
    ];
    for (const [body, code] of cases) {
      const e = await json<ErrorBody>(await call(t.base, 'POST', '/api/detect', { token: t.tokens.analyst, body }), 400);
      expect(e.error.code, JSON.stringify(body)).toBe(code);
    }
    const errors = (await auditOf('detect')).filter((e) => e.status === 'error');
    expect(errors.map((e) => e.errorCode)).toEqual(['TIME_FORMAT', 'USAGE', 'DETECT_CONFIG', 'DETECT_CONFIG', 'USAGE']);
  });

  it('GET /api/findings lists the stored findings with filters', async () => {
    const all = await list(t.tokens.viewer);
    expect(all.scoped).toBe(false);
    expect(all.kinds).toEqual(['scan', 'bruteforce', 'ddos', 'beacon', 'log4j', 'c2', 'repeat', 'exfil']);
    expect(all.findings.map((f) => f.id)).toEqual(expect.arrayContaining([scan.id, brute.id]));
    // Highest score first, as `vantage findings list`.
    const scores = all.findings.map((f) => f.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    const scans = await list(t.tokens.viewer, '?kind=scan');
    expect(scans.findings.every((f) => f.kind === 'scan')).toBe(true);
    expect(scans.findings.map((f) => f.id)).toContain(scan.id);
    const both = await list(t.tokens.viewer, '?kind=scan,bruteforce&status=open');
    expect(both.findings.map((f) => f.id)).toEqual(expect.arrayContaining([scan.id, brute.id]));
    expect((await list(t.tokens.viewer, '?status=acknowledged')).findings).toEqual([]);
    const high = await list(t.tokens.viewer, '?severity=high');
    expect(high.findings.every((f) => f.severity === 'high' || f.severity === 'critical')).toBe(true);
    // capinfos: synscan.pcap ends on 2010-07-04, the brute-force capture runs 2026-03-22 22:47:16-29 UTC.
    const recent = await list(t.tokens.viewer, '?since=2026-03-22T22:47Z');
    expect(recent.findings.map((f) => f.id)).toContain(brute.id);
    expect(recent.findings.map((f) => f.id)).not.toContain(scan.id);
    expect((await list(t.tokens.viewer, '?since=2026-03-22T22:48Z')).findings).toEqual([]);
    expect((await list(t.tokens.viewer, '?limit=1')).findings).toHaveLength(1);

    const bad = await json<ErrorBody>(await call(t.base, 'GET', '/api/findings?kind=nosuch', { token: t.tokens.viewer }), 400);
    expect(bad.error).toMatchObject({ code: 'REQUEST_INVALID', field: 'kind' });
    expect((await json<ErrorBody>(await call(t.base, 'GET', '/api/findings?severity=dire', { token: t.tokens.viewer }), 400)).error.code).toBe('REQUEST_INVALID');
  });

  it('GET /api/findings/{id} answers one finding by id or unique prefix; unknown ids are 404s', async () => {
    const f = await json<Finding>(await call(t.base, 'GET', `/api/findings/${scan.id.slice(0, 8)}`, { token: t.tokens.viewer }));
    expect(f.id).toBe(scan.id);
    // docs/detections.md, scan: score = 1 − (1 − 0.6·breadth)(1 − 0.6·failure)(1 − 0.5·trw)(1 − 0.5·intel).
    expect(Object.keys(f.subscores)).toEqual(expect.arrayContaining(['breadth', 'failure', 'intel', 'trw']));
    expect(f.evidence.query).toBe('src ip 172.16.0.8 and dst ip 64.13.134.52 and proto tcp and flags S and not flags A');
    expect(f.evidence.sample.length).toBeGreaterThan(0);
    const missing = await json<ErrorBody>(await call(t.base, 'GET', '/api/findings/ffffffff', { token: t.tokens.viewer }), 404);
    expect(missing.error.code).toBe('NOT_FOUND');
    expect((await json<ErrorBody>(await call(t.base, 'GET', '/api/findings/not-hex', { token: t.tokens.viewer }), 400)).error.code).toBe('USAGE');
  });

  it('POST /api/findings/{id}/verdict: analysts only, a note for false positives, every verdict audited', async () => {
    const path = `/api/findings/${scan.id}/verdict`;
    const denied = await json<ErrorBody>(await call(t.base, 'POST', path, { token: t.tokens.viewer, body: { status: 'acknowledged' } }), 403);
    expect(denied.error.code).toBe('AUTH_FORBIDDEN');
    expect((await json<Finding>(await call(t.base, 'GET', `/api/findings/${scan.id}`, { token: t.tokens.viewer }))).status).toBe('open');

    const acked = await json<Finding>(await call(t.base, 'POST', path, { token: t.tokens.analyst, body: { status: 'acknowledged', note: 'ticket 42' } }));
    expect(acked).toMatchObject({ id: scan.id, status: 'acknowledged', note: 'ticket 42' });
    expect((await list(t.tokens.viewer, '?status=acknowledged')).findings.map((f) => f.id)).toEqual([scan.id]);

    const noNote = await json<ErrorBody>(await call(t.base, 'POST', `/api/findings/${brute.id}/verdict`, { token: t.tokens.analyst, body: { status: 'false-positive', note: '  ' } }), 400);
    expect(noNote.error).toMatchObject({ code: 'REQUEST_INVALID', field: 'note' });
    const fp = await json<Finding>(await call(t.base, 'POST', `/api/findings/${brute.id.slice(0, 6)}/verdict`, { token: t.tokens.admin, body: { status: 'false-positive', note: 'authorised audit' } }));
    expect(fp).toMatchObject({ id: brute.id, status: 'false-positive', note: 'authorised audit' });
    const reopened = await json<Finding>(await call(t.base, 'POST', `/api/findings/${brute.id}/verdict`, { token: t.tokens.analyst, body: { status: 'open' } }));
    expect(reopened).toMatchObject({ status: 'open', note: 'authorised audit' });
    expect((await json<ErrorBody>(await call(t.base, 'POST', '/api/findings/ffffffff/verdict', { token: t.tokens.analyst, body: { status: 'open' } }), 404)).error.code).toBe('NOT_FOUND');
    expect((await json<ErrorBody>(await call(t.base, 'POST', path, { token: t.tokens.analyst, body: { status: 'closed' } }), 400)).error.code).toBe('REQUEST_INVALID');

    const entries = await auditOf('finding.verdict');
    expect(entries.map((e) => [e.actor, e.target, e.status, e.detail.status ?? null])).toEqual([
      ['analyst', 'ffffffff', 'error', 'open'],
      ['analyst', brute.id, 'ok', 'open'],
      ['admin', brute.id, 'ok', 'false-positive'],
      ['analyst', scan.id, 'ok', 'acknowledged'],
    ]);
    expect(entries[2]!.detail).toMatchObject({ kind: 'bruteforce', previous: 'open', note: 'authorised audit', src: '147.32.80.40', dst: '147.32.80.37' });
    expect(entries[0]!.errorCode).toBe('NOT_FOUND');
  });

  it('a scoped caller sees, reads and judges only findings whose src or dst lies in its networks', async () => {
    const mine = await list(scanNet);
    expect(mine.scoped).toBe(true);
    expect(mine.findings.map((f) => f.id)).toContain(scan.id);
    expect(mine.findings.map((f) => f.id)).not.toContain(brute.id);
    for (const f of mine.findings) expect([f.src, f.dst].some((a) => a?.startsWith('172.16.0.'))).toBe(true);
    expect((await json<ErrorBody>(await call(t.base, 'GET', `/api/findings/${brute.id}`, { token: scanNet }), 404)).error.code).toBe('NOT_FOUND');

    const server = await list(sshServer);
    expect(server.findings.map((f) => f.id)).toContain(brute.id);
    expect(server.findings.map((f) => f.id)).not.toContain(scan.id);
    for (const f of server.findings) {
      expect([f.src, f.dst]).toContain('147.32.80.37');
      for (const row of f.evidence.sample) expect([row.src, row.dst]).toContain('147.32.80.37');
    }
    const judged = await call(t.base, 'POST', `/api/findings/${scan.id}/verdict`, { token: sshServer, body: { status: 'open' } });
    expect(judged.status).toBe(404);
    expect((await json<Finding>(await call(t.base, 'GET', `/api/findings/${scan.id}`, { token: t.tokens.viewer }))).status).toBe('acknowledged');

    // A scoped analyst may run the detectors; the answer carries only its findings and no global counts.
    const run = await json<DetectReport>(await call(t.base, 'POST', '/api/detect', { token: sshServer, body: { ...ALL_TIME, kinds: ['scan', 'bruteforce'] } }));
    expect(run.scoped).toBe(true);
    expect(run.findings.map((f) => f.id)).toContain(brute.id);
    expect(run.findings.map((f) => f.id)).not.toContain(scan.id);
    expect(run.saved).toBeUndefined();
    for (const d of run.detectors) expect(d.stats).toEqual({});
    expect(run.detectors.find((d) => d.kind === 'scan')!.findings).toBe(run.findings.filter((f) => f.kind === 'scan').length);

    // The fixture's partner network holds neither capture.
    expect((await list(t.tokens.partner)).findings).toEqual([]);
  });
});
