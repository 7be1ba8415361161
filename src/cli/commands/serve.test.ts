// The admin commands and the server command from the shell: `vantage user add` (password on
// stdin), `vantage token create|list|revoke`, and `vantage serve` starting, printing where to
// sign in, answering, and stopping on SIGTERM.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { freeUdpPort } from '../../test-support/flow-tools.js';
import { encodeV5, numberedFlow } from '../../test-support/netflow-v5-datagrams.js';
import { repoRoot } from '../../test-support/shared-data.js';
import { parseToken } from '../../api/auth/api-token.js';

const main = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
let dir: string;
let db: string;

function vantage(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [main, '--db', db, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Runs the compiled CLI, as a user would (npm test compiles first).
describe.skipIf(!existsSync(main))('vantage user / token / serve', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-cli-'));
    db = join(dir, 'store.duckdb');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds users with the password from standard input', () => {
    const ok = vantage(['user', 'add', 'carol', '--role', 'analyst', '--scope', '192.0.2.0/24'], 'a long enough password\n');
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain("Created user 'carol' (analyst, scoped to 192.0.2.0/24)");
    expect(vantage(['user', 'add', 'dave', '--role', 'root'], 'a long enough password\n')).toMatchObject({ status: 1 });
    const short = vantage(['user', 'add', 'erin', '--role', 'viewer'], 'short\n');
    expect(short.status).toBe(1);
    expect(short.stderr).toContain('at least 12 characters');
    expect(vantage(['user', 'list']).stdout).toMatch(/carol +analyst +scope 192\.0\.2\.0\/24/);
  });

  it('creates a token (printed once), lists and revokes it', () => {
    const created = vantage(['token', 'create', '--name', 'siem', '--role', 'viewer']);
    expect(created.status).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^vtk_[0-9a-f]{12}_[\w-]{43}$/);
    const { id, secret } = parseToken(token)!; // base64url may itself hold '_'
    expect(vantage(['token', 'list']).stdout).toMatch(new RegExp(`${id} +viewer +active +siem`));
    expect(vantage(['token', 'list']).stdout).not.toContain(secret);
    expect(vantage(['token', 'revoke', id]).stdout).toContain('revoked');
    expect(vantage(['token', 'list']).stdout).toMatch(new RegExp(`${id} +viewer +revoked`));
    expect(vantage(['token', 'create', '--name', 'x', '--role', 'admin', '--scope', '10.0.0.0/8']).status).toBe(1);
  });

  it('serves until SIGTERM, printing the URL and how to sign in', async () => {
    const fresh = join(dir, 'served', 'store.duckdb');
    const child = spawn(process.execPath, [main, '--db', fresh, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => out, { timeout: 30_000 }).toContain('Press Ctrl+C');
      const url = /Web UI: +(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!;
      const password = /password: (\S+)/.exec(out)![1]!;
      expect(readFileSync(join(dir, 'served', 'initial-admin-password'), 'utf8').trim()).toBe(password);
      const health = await fetch(`${url}api/health`);
      expect(health.status).toBe(200);
      const login = await fetch(`${url}api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
      expect(login.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('collects NetFlow in the same process with --listen and answers queries over what arrived', async () => {
    const fresh = join(dir, 'collecting', 'store.duckdb');
    mkdirSync(join(dir, 'collecting'));
    const token = spawnSync(process.execPath, [main, '--db', fresh, 'token', 'create', '--name', 'probe', '--role', 'viewer'], { encoding: 'utf8', timeout: 60_000 }).stdout.trim();
    const port = await freeUdpPort();
    const child = spawn(process.execPath, [main, '--db', fresh, 'serve', '--port', '0', '--listen', `udp://127.0.0.1:${port}`, '--spool', join(dir, 'collecting', 'spool'), '--workers', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => out, { timeout: 30_000 }).toContain('Press Ctrl+C');
      expect(out).toContain(`Flows:   NetFlow/IPFIX/sFlow on udp://127.0.0.1:${port}`);
      const url = /Web UI: +(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!;
      // 90 flows, 10 packets and 1,000 bytes each unless numberedFlow says otherwise: summed here.
      const flows = Array.from({ length: 90 }, (_, i) => numberedFlow(i));
      const socket = createSocket('udp4');
      for (const d of encodeV5(flows)) await new Promise<void>((resolve, reject) => socket.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      socket.close();
      const count = async () => {
        const res = await fetch(`${url}api/query`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: 'any | count', from: '2020-01-01' }) });
        const body = (await res.json()) as { rows?: { flows: number; packets: number; bytes: number }[] };
        if (!body.rows) throw new Error(`query failed: ${JSON.stringify(body)}`);
        return body.rows[0];
      };
      await expect.poll(async () => (await count())?.flows, { timeout: 30_000 }).toBe(90);
      expect(await count()).toEqual({ flows: 90, packets: flows.reduce((n, f) => n + f.packets, 0), bytes: flows.reduce((n, f) => n + f.bytes, 0) });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
