// The intel routes over a real server: the shared maltrail emotet trail loaded through POST
// /api/intel/feeds, then matched and listed, with roles, the audit trail and malformed feeds.
// Expected values are counted from the feed file itself, independently of the parser.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { call, startTestServer, type TestServer } from '../test-server.js';

const emotetFile = sharedDataPath('threat-intel/maltrail/emotet.txt');
const feodoFile = sharedDataPath('threat-intel/abusech-feodo/ipblocklist.csv');

interface ErrorBody {
  error: { code: string; message: string; line?: number; field?: string; problems?: { line: number; code: string; message: string }[] };
}
interface LoadSummary {
  source: string;
  feed: string;
  file: string;
  entries: number;
  active: number;
  rejected: number;
  added: number;
  updated: number;
  expired: number;
  problems: { line: number; code: string; message: string }[];
  incomplete?: string;
}
interface MatchRecord {
  indicator: string;
  type: string;
  kind: string;
  how: string;
  source: string;
  family: string | null;
  reference: string | null;
  line: number;
  raw: string;
  loaded_first: string | null;
}
interface MatchAnswer {
  query: string;
  type: string | null;
  allowed: boolean;
  matches: MatchRecord[];
  allow: MatchRecord[];
  expired: MatchRecord[];
}
interface Feed {
  source: string;
  feed: string;
  file: string;
  entries: number;
  active: number;
  rejected: number;
  added: number;
  loaded_at: string;
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

describe.skipIf(!emotetFile)('intel routes', () => {
  let t: TestServer;
  const text = emotetFile ? readFileSync(emotetFile, 'utf8') : '';
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  // Indicator lines: neither blank nor a comment (maltrail's format: one trail a line).
  const indicatorLines = lines.filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).length;
  // Where the trail for 138.197.147.101 sits, and the `# Reference:` lines heading its group: the
  // trail cites the first of them (its group lists two).
  const trailLine = lines.findIndex((l) => l.trim() === '138.197.147.101:443') + 1;
  const isReference = (l: string | undefined) => l !== undefined && /^#\s*Reference:/.test(l);
  let head = trailLine - 2;
  while (head >= 0 && !isReference(lines[head])) head--;
  while (head > 0 && isReference(lines[head - 1])) head--;
  const reference = /^#\s*Reference:\s*(\S+)/.exec(lines[head] ?? '')?.[1];

  const json = async <T>(res: Response, status = 200): Promise<T> => {
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as T;
  };
  const auditOf = async (action: string): Promise<AuditEntry[]> =>
    (await json<{ entries: AuditEntry[] }>(await call(t.base, 'GET', `/api/audit?action=${action}`, { token: t.tokens.admin }))).entries;

  beforeAll(async () => {
    t = await startTestServer();
  }, 60_000);
  afterAll(async () => t?.close());

  it('the expected values exist in the file (so the assertions below mean something)', () => {
    expect(indicatorLines).toBe(15034);
    expect(trailLine).toBeGreaterThan(0);
    expect(trailLine).toBe(12376);
    expect(reference).toBe('https://twitter.com/Artilllerie/status/1516368959322349575');
  });

  it('POST /api/intel/feeds: a viewer or analyst is refused; an admin loads the feed and it is audited', async () => {
    for (const who of ['viewer', 'analyst'] as const) {
      const denied = await json<ErrorBody>(await call(t.base, 'POST', '/api/intel/feeds', { token: t.tokens[who], body: { file: 'emotet.txt', text } }), 403);
      expect(denied.error.code).toBe('AUTH_FORBIDDEN');
    }
    const feedsBefore = await json<{ feeds: Feed[] }>(await call(t.base, 'GET', '/api/intel/feeds', { token: t.tokens.viewer }));
    expect(feedsBefore.feeds).toEqual([]);

    const summary = await json<LoadSummary>(await call(t.base, 'POST', '/api/intel/feeds', { token: t.tokens.admin, body: { file: 'emotet.txt', text } }));
    // The format is told from the "Maltrail developers" header; the source and family from the name.
    expect(summary).toMatchObject({ source: 'maltrail:emotet', feed: 'maltrail', file: 'emotet.txt', entries: indicatorLines, rejected: 0, updated: 0, expired: 0, problems: [] });
    // Repeated trails (the same C2 under two reports) are one indicator.
    expect(summary.added).toBe(summary.active);
    expect(summary.active).toBeLessThanOrEqual(indicatorLines);
    expect(summary.active).toBeGreaterThan(12_000);

    const [entry] = await auditOf('intel.load');
    expect(entry).toMatchObject({ actor: 'admin', action: 'intel.load', target: 'maltrail:emotet', rows: summary.active, status: 'ok', errorCode: null });
    expect(entry!.detail).toMatchObject({ feed: 'maltrail', file: 'emotet.txt', entries: indicatorLines, added: summary.active, updated: 0, expired: 0, rejected: 0 });

    // A reload of the same text refreshes every entry and expires none.
    const again = await json<LoadSummary>(await call(t.base, 'POST', '/api/intel/feeds', { token: t.tokens.admin, body: { kind: 'maltrail', file: 'emotet.txt', text } }));
    expect(again).toMatchObject({ source: 'maltrail:emotet', added: 0, updated: summary.active, expired: 0, active: summary.active });
  });

  it('GET /api/intel/match: 138.197.147.101 matches the maltrail trail 138.197.147.101:443 with its provenance', async () => {
    const a = await json<MatchAnswer>(await call(t.base, 'GET', '/api/intel/match?value=138.197.147.101', { token: t.tokens.viewer }));
    expect(a).toMatchObject({ query: '138.197.147.101', type: 'ip', allowed: false, allow: [], expired: [] });
    expect(a.matches).toHaveLength(1);
    expect(a.matches[0]).toMatchObject({
      indicator: '138.197.147.101:443',
      type: 'ip-port',
      kind: 'threat',
      source: 'maltrail:emotet',
      family: 'emotet',
      line: trailLine,
      raw: '138.197.147.101:443',
      reference,
    });
    expect(a.matches[0]!.loaded_first).toMatch(/^\d{4}-\d\d-\d\dT/);

    // The address:port itself matches the same trail; an address no feed lists matches nothing.
    const exact = await json<MatchAnswer>(await call(t.base, 'GET', `/api/intel/match?value=${encodeURIComponent('138.197.147.101:443')}`, { token: t.tokens.viewer }));
    expect(exact.matches.map((m) => [m.indicator, m.source])).toEqual([['138.197.147.101:443', 'maltrail:emotet']]);
    const none = await json<MatchAnswer>(await call(t.base, 'GET', '/api/intel/match?value=192.0.2.77', { token: t.tokens.viewer }));
    expect(none).toMatchObject({ type: 'ip', matches: [], allowed: false });
    // A domain trail from the file (line 14 of the feed: dvr.petcp.com).
    const domain = await json<MatchAnswer>(await call(t.base, 'GET', '/api/intel/match?value=dvr.petcp.com', { token: t.tokens.viewer }));
    expect(domain.matches.map((m) => [m.indicator, m.line])).toEqual([['dvr.petcp.com', lines.indexOf('dvr.petcp.com') + 1]]);

    const missing = await json<ErrorBody>(await call(t.base, 'GET', '/api/intel/match', { token: t.tokens.viewer }), 400);
    expect(missing.error).toMatchObject({ code: 'REQUEST_INVALID', field: 'value' });
  });

  it('GET /api/intel/feeds lists the loaded feed with its counts', async () => {
    const { feeds } = await json<{ feeds: Feed[] }>(await call(t.base, 'GET', '/api/intel/feeds', { token: t.tokens.viewer }));
    expect(feeds).toHaveLength(1);
    expect(feeds[0]).toMatchObject({ source: 'maltrail:emotet', feed: 'maltrail', file: 'emotet.txt', entries: indicatorLines, rejected: 0 });
    expect(feeds[0]!.loaded_at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it.skipIf(!feodoFile)('a feed cut short loads what it holds, expires nothing, and the answer says so', async () => {
    const post = (body: unknown) => call(t.base, 'POST', '/api/intel/feeds', { token: t.tokens.admin, body });
    const text = readFileSync(feodoFile!, 'utf8');
    const lines = text.split('\n');
    const entries = lines.filter((l) => /^"\d{4}-/.test(l)).length; // the file's own '# END 28 entries'
    expect(text).toContain(`# END ${entries} entries`);
    const full = await json<LoadSummary>(await post({ source: 'feodo-cut', file: 'ipblocklist.csv', text }));
    expect(full).toMatchObject({ active: entries, expired: 0 });
    expect(full.incomplete).toBeUndefined();
    // The header (9 lines) and the first 11 entries, as a download cut off mid-way would leave it.
    const cut = await json<LoadSummary>(await post({ source: 'feodo-cut', file: 'ipblocklist.csv', text: `${lines.slice(0, 20).join('\n')}\n` }));
    expect(cut).toMatchObject({ active: 11, updated: 11, added: 0, expired: 0 });
    expect(cut.incomplete).toBe("cut short: no '# END <n> entries' line after the last entry (line 20): loaded its 11 readable entries, expired nothing from feodo-cut");
    const listed = (await json<{ feeds: Feed[] }>(await call(t.base, 'GET', '/api/intel/feeds', { token: t.tokens.viewer }))).feeds.find((f) => f.source === 'feodo-cut');
    expect(listed).toMatchObject({ active: entries });
    const audited = (await auditOf('intel.load')).filter((e) => e.target === 'feodo-cut');
    expect(JSON.stringify(audited)).toContain('expired nothing from feodo-cut');
  });

  it('malformed feeds are 400s with a stable code and the rejected lines (and audited as errors)', async () => {
    const post = (body: unknown) => call(t.base, 'POST', '/api/intel/feeds', { token: t.tokens.admin, body });
    // A STIX bundle cut short: told as STIX from its "type": "bundle", then unreadable JSON.
    const stix = '{\n  "type": "bundle",\n  "id": "bundle--1",\n  "objects": [\n    {"type": "indicator",\n';
    const bad = await json<ErrorBody>(await post({ text: stix }), 400);
    expect(bad.error.code).toBe('IMPORT_FORMAT');
    expect(bad.error.message).toMatch(/stix/);

    // A plain list where no line is an address, domain or URL: every line reported with its number.
    const junk = await json<ErrorBody>(await post({ kind: 'list', source: 'junk', text: '# header\nnot a value!\n\n%%%\n' }), 400);
    expect(junk.error.code).toBe('IMPORT_FORMAT');
    expect(junk.error.problems!.map((p) => [p.line, p.code])).toEqual([
      [2, 'INTEL_BAD_VALUE'],
      [4, 'INTEL_BAD_VALUE'],
    ]);

    // Strict: one bad line among good ones refuses the feed, naming that line.
    const strict = await json<ErrorBody>(await post({ kind: 'list', source: 'strict', strict: true, text: '198.51.100.7\nnope nope\n' }), 400);
    expect(strict.error).toMatchObject({ code: 'IMPORT_RECORD', line: 2 });

    // Not strict: the good line loads and the bad one is reported with its line.
    const partial = await json<LoadSummary>(await post({ kind: 'list', source: 'partial', text: '198.51.100.7\nnope nope\n' }));
    expect(partial).toMatchObject({ source: 'partial', entries: 2, active: 1, added: 1, rejected: 1 });
    expect(partial.problems.map((p) => p.line)).toEqual([2]);

    // An empty reload would expire the whole source: refused unless asked for.
    const empty = await json<ErrorBody>(await post({ kind: 'list', source: 'partial', text: '# nothing today\n' }), 400);
    expect(empty.error.code).toBe('IMPORT_FORMAT');
    expect(empty.error.message).toContain('expire all 1 entries of partial');

    for (const body of [{}, { text: '' }, { text: 'x', kind: 'nosuch' }, { text: '198.51.100.7', extra: 1 }]) {
      const e = await json<ErrorBody>(await post(body), 400);
      expect(e.error.code, JSON.stringify(body)).toBe('REQUEST_INVALID');
    }

    const errors = (await auditOf('intel.load')).filter((e) => e.status === 'error');
    expect(errors.map((e) => e.errorCode).sort()).toEqual(['IMPORT_FORMAT', 'IMPORT_FORMAT', 'IMPORT_FORMAT', 'IMPORT_RECORD']);
  });
});
