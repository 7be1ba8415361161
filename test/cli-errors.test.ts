// The CLI's contract for bad input: one clear line (with a caret for queries), the right exit
// status, no stack trace.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'vantage-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The CLI run without blocking this process (a test serves something to it meanwhile). */
function vantageAsync(...args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn('node', [CLI, ...args], { env: { ...process.env, VANTAGE_STORE: '', VANTAGE_DB: '' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, stderr });
    });
  });
}

function vantage(...args: string[]) {
  const run = spawnSync('node', [CLI, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, VANTAGE_STORE: '', VANTAGE_DB: '' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('vantage query errors', () => {
  const db = join(work, 'q.duckdb');

  it('puts a caret under the bad column and exits 2', () => {
    const run = vantage('--db', db, 'query', 'dst port 443 and (src net 10.0.0.0/8 or bytes > 1k | count');
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      "vantage: expected ')' to close the '(' at column 18, found '|' [QUERY_SYNTAX]\n" +
        '  dst port 443 and (src net 10.0.0.0/8 or bytes > 1k | count\n' +
        '                                                     ^\n',
    );
    expect(run.stdout).toBe('');
  });

  it('treats a hostile value as a value', () => {
    const run = vantage('--db', db, 'query', '--format', 'json', "tag \"x'; DROP TABLE flows; --\" | count");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([{ flows: 0, packets: 0, bytes: 0 }]);
    expect(vantage('--db', db, 'query', '--format', 'json', 'any | count').status).toBe(0);
  });

  it('names a bad --from value and the flag', () => {
    const run = vantage('--db', db, 'query', '--from', 'yesterday', 'any');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^vantage: --from: cannot read time 'yesterday'.*\[TIME_FORMAT\]\n$/);
  });

  it('rejects a day that is not on the calendar', () => {
    const run = vantage('--db', db, 'query', '--to', '2024-02-30', 'any');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^vantage: --to: cannot read time '2024-02-30'.*\[TIME_FORMAT\]\n$/);
  });

  it.each(['abc', '-1', '1.5', ''])('rejects --limit %j as a usage error', (limit) => {
    const run = vantage('--db', db, 'query', '--limit', limit, 'any');
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`vantage: --limit must be a whole number >= 0, got '${limit}' [USAGE]\n`);
    expect(run.stdout).toBe('');
  });
});

describe('store errors', () => {
  it('reports an unreachable ClickHouse in one line with host, port and cause', () => {
    const run = vantage('--store', 'clickhouse://127.0.0.1:1/vantage', 'query', 'any | count');
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('vantage: cannot reach ClickHouse at http://127.0.0.1:1/vantage: connect ECONNREFUSED 127.0.0.1:1 [STORE_OPEN]\n');
  });

  it('says what answered when a ClickHouse URL reaches some other HTTP server', async () => {
    // Something that is not ClickHouse: every request gets 404 and no text.
    const server = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const port = (server.address() as AddressInfo).port;
      const run = await vantageAsync('--store', `clickhouse://127.0.0.1:${port}/vantage`, 'query', 'any | count');
      expect(run.status).toBe(1);
      expect(run.stderr).toBe(`vantage: cannot reach ClickHouse at http://127.0.0.1:${port}/vantage: an HTTP error with no text came back: is this ClickHouse's HTTP port? [STORE_OPEN]\n`);
    } finally {
      server.close();
    }
  });

  it.each([
    [['--store', ''], "vantage: --store is empty: give a store URL such as duckdb:PATH, chdb:PATH or clickhouse://HOST:PORT/DATABASE [USAGE]\n"],
    [['--db', ' '], 'vantage: --db is empty: give the path of a DuckDB file [USAGE]\n'],
  ])('refuses an empty store flag %j instead of using the default file', (flags, message) => {
    const run = vantage(...flags, 'query', 'any');
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(message);
  });

  it('rejects a store copy window that is not a number of hours', () => {
    const run = vantage('store', 'copy', '--from', `duckdb:${join(work, 'a.duckdb')}`, '--to', `duckdb:${join(work, 'b.duckdb')}`, '--window', 'abc');
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("vantage: --window must be a positive whole number, got 'abc' [USAGE]\n");
  });

  it('rejects an unknown store scheme', () => {
    const run = vantage('--store', 'postgres://localhost/x', 'query', 'any');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/unknown store 'postgres:\/\/localhost\/x'.*\[STORE_URL\]/);
  });

  it('reports a store file that cannot be created', () => {
    const notADir = join(work, 'plain-file');
    writeFileSync(notADir, 'x');
    const run = vantage('--db', join(notADir, 'flows.duckdb'), 'query', 'any');
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`vantage: cannot open DuckDB store ${join(notADir, 'flows.duckdb')}: EEXIST: file already exists, mkdir '${notADir}' [STORE_OPEN]\n`);
  });
});
