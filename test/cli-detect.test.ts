// `vantage detect` and `vantage findings` through the built CLI: the JSON contract of a
// finding, de-duplication across runs, verdicts, and bad input (exit 1, one line, the code).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataPath } from '../src/test-support/shared-data.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'vantage-cli-detect-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const db = join(work, 'd.duckdb');
const synscan = sharedDataPath('pcap-malicious/ndpi/synscan.pcap');

function vantage(...args: string[]) {
  const run = spawnSync('node', [CLI, '--db', db, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, VANTAGE_STORE: '', VANTAGE_DB: '' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

// SOURCES.md 2.2: nmap SYN scan 172.16.0.8 -> 64.13.134.52 (2010-07-04), 1,000 distinct ports.
const WINDOW = ['--from', '2010-07-04T00:00Z', '--to', '2010-07-05T00:00Z'];

describe.skipIf(!synscan)('vantage detect and findings', () => {
  beforeAll(() => {
    expect(vantage('import', '--format', 'pcap', synscan!).status).toBe(0);
  });

  it('prints findings as JSON with the documented fields, and stores them once', () => {
    const run = vantage('detect', ...WINDOW, '--format', 'json', '--sample', '2', 'scan');
    expect(run.status, run.stderr).toBe(0);
    const findings = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f).toMatchObject({ kind: 'scan', subkind: 'vertical', severity: 'high', src: '172.16.0.8', dst: '64.13.134.52', dport: null, status: 'open', runs: 1 });
    for (const key of ['id', 'score', 'subscores', 'first', 'last', 'summary', 'evidence', 'intel', 'entities']) expect(f).toHaveProperty(key);
    expect((f.evidence as { counts: { ports: number } }).counts.ports).toBe(1000);
    expect((f.evidence as { sample: unknown[] }).sample).toHaveLength(2);
    expect(run.stderr).toMatch(/^detect scan: 1 finding in [\d.]+ s/m);
    expect(run.stderr).toMatch(/stored: 1 new, 0 updated\n$/);

    const again = vantage('detect', ...WINDOW, '--format', 'json', 'scan');
    expect(JSON.parse(again.stdout)[0]).toMatchObject({ id: f.id, runs: 2 });
    expect(again.stderr).toMatch(/stored: 0 new, 1 updated\n$/);

    const list = vantage('findings', 'list', '--format', 'json');
    expect((JSON.parse(list.stdout) as { id: string }[]).map((x) => x.id)).toEqual([f.id]);
  });

  it('records verdicts by id prefix; a false positive needs a note', () => {
    const [f] = JSON.parse(vantage('findings', '--format', 'json').stdout) as { id: string }[];
    const ack = vantage('findings', 'ack', f!.id.slice(0, 6), '--note', 'lab scan');
    expect(ack.status, ack.stderr).toBe(0);
    expect(ack.stdout).toBe(`${f!.id.slice(0, 10)} scan acknowledged: lab scan\n`);
    const fp = vantage('findings', 'fp', f!.id);
    expect(fp.status).toBe(1);
    expect(fp.stderr).toBe('vantage: fp needs --note saying why [USAGE]\n');
    const shown = JSON.parse(vantage('findings', 'show', f!.id.slice(0, 8)).stdout) as { status: string; note: string };
    expect(shown).toMatchObject({ status: 'acknowledged', note: 'lab scan' });
    const missing = vantage('findings', 'show', 'ffffffff');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('vantage: no finding with id ffffffff [NOT_FOUND]\n');
  });

  it('rejects an unknown detector and bad settings, naming them', () => {
    const unknown = vantage('detect', ...WINDOW, 'portscan');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe('vantage: unknown detector \'portscan\': expected scan, bruteforce, ddos, beacon, log4j, c2, repeat, exfil, all [USAGE]\n');
    const bad = join(work, 'bad.json');
    writeFileSync(bad, '{"scan": {"minHosts": "ten"}}');
    const config = vantage('detect', ...WINDOW, '--config', bad, 'scan');
    expect(config.status).toBe(1);
    expect(config.stderr).toMatch(/^vantage: scan\.minHosts: .*\[DETECT_CONFIG\]\n$/);
    writeFileSync(bad, '{"scan": {"minHosts": 10');
    const broken = vantage('detect', ...WINDOW, '--config', bad, 'scan');
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`^vantage: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: bad detector settings: .*\\[DETECT_CONFIG\\]\\n$`));
    writeFileSync(bad, '{"portscan": {}}');
    expect(vantage('detect', ...WINDOW, '--config', bad, 'scan').stderr).toBe("vantage: settings for unknown detector 'portscan' [DETECT_CONFIG]\n");
    const empty = vantage('detect', '--from', '2010-07-05T00:00Z', '--to', '2010-07-04T00:00Z', 'scan');
    expect(empty.status).toBe(1);
    expect(empty.stderr).toMatch(/the window is empty.*\[USAGE\]\n$/);
  });
});
