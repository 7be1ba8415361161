// `vantage profile` through the built CLI: the JSON object, the readable table, and bad entity
// text (exit 1, one line naming the text and the accepted forms, the store left untouched).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataPath } from '../src/test-support/shared-data.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'vantage-cli-profile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const db = join(work, 'p.duckdb');
const emotet = sharedDataPath('pcap-malicious/ndpi/emotet.pcap');
const trail = sharedDataPath('threat-intel/maltrail/emotet.txt');

function vantage(database: string, ...args: string[]) {
  const run = spawnSync('node', [CLI, '--db', database, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, VANTAGE_STORE: '', VANTAGE_DB: '' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('vantage profile with bad input', () => {
  it.each([
    ['not an entity', "vantage: 'not an entity' is not an entity: give an IPv4 or IPv6 address (192.0.2.1, 2001:db8::1), a network (10.0.0.0/8), a domain (example.com), an AS number (AS64500) or a certificate SHA-1/SHA-256 hash [USAGE]\n"],
    ['10.1.2.300', "vantage: '10.1.2.300' is not an entity (not a valid address): give an IPv4 or IPv6 address (192.0.2.1, 2001:db8::1), a network (10.0.0.0/8), a domain (example.com), an AS number (AS64500) or a certificate SHA-1/SHA-256 hash [USAGE]\n"],
    ['0123456789abcdef0123456789abcdef01234567', 'vantage: certificate profiles are not supported yet (sha1 0123456789abcdef0123456789abcdef01234567): profile the server address or domain instead [USAGE]\n'],
  ])('%s: exit 1 with the message, no store created', (text, message) => {
    const untouched = join(work, 'never.duckdb');
    const run = vantage(untouched, 'profile', text);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(message);
    expect(run.stdout).toBe('');
    expect(existsSync(untouched)).toBe(false);
  });

  it('a bad --limit is a usage error', () => {
    const run = vantage(join(work, 'never.duckdb'), 'profile', '--limit', '0', '10.0.0.1');
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("vantage: --limit must be a positive whole number, got '0' [USAGE]\n");
  });
});

describe.skipIf(!emotet || !trail)('vantage profile on the Emotet capture', () => {
  beforeAll(() => {
    expect(vantage(db, 'import', '--format', 'pcap', emotet!).status).toBe(0);
    expect(vantage(db, 'intel', 'load', trail!).status).toBe(0);
  });

  it('prints the profile as JSON', () => {
    const run = vantage(db, 'profile', '--format', 'json', '--no-geo', '138.197.147.101');
    expect(run.status, run.stderr).toBe(0);
    const p = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(p)).toEqual(['entity', 'window', 'context', 'intel', 'dns', 'flows', 'peers', 'members', 'ports', 'timeline', 'http', 'services', 'certificates', 'tlsClients', 'findings']);
    expect(p.entity).toEqual({ type: 'ip', value: '138.197.147.101' });
    expect(p.context).toEqual({ asn: null, country: null });
    // SOURCES.md 2.2: maltrail emotet.txt lists 138.197.147.101:443; the C2 TLS from 10.4.25.101.
    expect((p.intel as { indicator: string; source: string }[]).map((i) => [i.indicator, i.source])).toEqual([['138.197.147.101:443', 'maltrail:emotet']]);
    expect((p.peers as { asDestination: unknown[] }).asDestination).toEqual([{ peer: '10.4.25.101', ports: [443], flows: 2, bytes: 2355, packets: 17 }]);
  });

  it('prints readable sections, "(none)" where there is nothing', () => {
    const run = vantage(db, 'profile', '--no-geo', '--limit', '1', '10.4.25.101');
    expect(run.status, run.stderr).toBe(0);
    const text = run.stdout;
    expect(text.startsWith('ip 10.4.25.101\nwindow: all stored flows\nasn: unknown\ncountry: unknown\n\nIntelligence\n(none)\n')).toBe(true);
    // --limit 1: the top peer only; tshark shows 2355 bytes to 138.197.147.101 on 443, 364 to 77.105.36.156.
    expect(text).toContain('\nPeers it sent to\npeer             ports  flows  bytes  packets\n---------------  -----  -----  -----  -------\n138.197.147.101  443        2   2355       17\n(1 row)\n');
    expect(text).toContain("\nFlows (vantage query 'host 10.4.25.101')\n");
    expect(text).toContain('\nFindings\n(none)\n');
  });
});
