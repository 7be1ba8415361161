// The CLI's contract for bad input: one clear line (with a caret for queries), the right exit
// status, no stack trace.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'vantage-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

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

  it('names a bad --from value', () => {
    const run = vantage('--db', db, 'query', '--from', 'yesterday', 'any');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^vantage: cannot read time 'yesterday'.*\[TIME_FORMAT\]\n$/);
  });
});

describe('store errors', () => {
  it('reports an unreachable ClickHouse in one line with host, port and cause', () => {
    const run = vantage('--store', 'clickhouse://127.0.0.1:1/vantage', 'query', 'any | count');
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('vantage: cannot reach ClickHouse at http://127.0.0.1:1/vantage: connect ECONNREFUSED 127.0.0.1:1 [STORE_OPEN]\n');
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
