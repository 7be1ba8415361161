// Users, tokens and the audit trail on every store backend (DuckDB; ClickHouse through chdb when
// installed): the same append-only tables and SQL on both.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../test-support/test-backends.js';
import type { Store } from '../../store/store.js';
import { AuditLog } from '../audit/audit-log.js';
import { accountTables } from './account-schema.js';
import { AccountStore } from './account-store.js';
import { generatePassword, hashPassword, verifyPassword } from './password.js';
import { applyScope, parseScopes } from './network-scope.js';
import { parseQuery } from '../../query/language/parser.js';

describe.each(testBackends())('accounts on %s', (name, make) => {
  let dir: string;
  let store: Store;
  let accounts: AccountStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-accounts-'));
    store = make(dir);
    await store.open();
    accounts = new AccountStore(store, accountTables(store.dialect, name === 'clickhouse' ? 'vantage' : undefined), { passwordCost: { N: 1024, r: 8, p: 1 }, cacheMs: 0 });
    await accounts.migrate();
    await accounts.migrate(); // idempotent
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, authenticates, changes and disables users', async () => {
    await accounts.addUser({ name: 'ana', role: 'analyst', password: 'twelve chars!', scopes: ['192.0.2.0/24'] }, 'test');
    await expect(accounts.addUser({ name: 'ana', role: 'viewer', password: 'twelve chars!' }, 'test')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(accounts.addUser({ name: 'bob', role: 'viewer', password: 'short' }, 'test')).rejects.toMatchObject({ code: 'REQUEST_INVALID' });
    expect(await accounts.authenticatePassword('ana', 'twelve chars!')).toMatchObject({ name: 'ana', role: 'analyst', scopes: ['192.0.2.0/24'] });
    expect(await accounts.authenticatePassword('ana', 'wrong chars!!')).toBeUndefined();
    expect(await accounts.authenticatePassword('nobody', 'twelve chars!')).toBeUndefined();
    await accounts.updateUser('ana', { role: 'viewer', scopes: [] }, 'test');
    expect(await accounts.getUser('ana')).toMatchObject({ role: 'viewer', scopes: [], disabled: false });
    await accounts.updateUser('ana', { disabled: true }, 'test');
    expect(await accounts.authenticatePassword('ana', 'twelve chars!')).toBeUndefined();
    expect(await accounts.countUsers()).toBe(1);
  });

  it('mints, lists and revokes tokens', async () => {
    const { token, record } = await accounts.createToken({ name: 'siem', role: 'viewer', scopes: ['2001:db8::/32'] }, 'test');
    expect(token).toMatch(/^vtk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(await accounts.authenticateToken(token)).toMatchObject({ kind: 'token', name: 'siem', scopes: ['2001:db8::/32'] });
    expect(await accounts.authenticateToken(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
    await accounts.revokeToken(record.id, 'test');
    expect(await accounts.authenticateToken(token)).toBeUndefined();
    expect((await accounts.listTokens()).find((t) => t.id === record.id)).toMatchObject({ revoked: true });
    const expired = await accounts.createToken({ name: 'old', role: 'viewer', expiresAt: Date.now() - 1 }, 'test');
    expect(await accounts.authenticateToken(expired.token)).toBeUndefined();
  });

  it('appends and filters audit entries', async () => {
    const log = new AuditLog(store, accounts);
    await log.record({ name: 'ana', kind: 'user', id: 'ana', role: 'viewer' }, { action: 'query', target: "ip 192.0.2.1 | count -- 'quoted'", rows: 1, status: 'ok', detail: { from: '-1h' } });
    await log.record({ name: 'x', kind: 'anonymous' }, { action: 'login.failed', target: 'x', status: 'denied', errorCode: 'AUTH_FAILED' });
    const all = await log.list();
    expect(all.length).toBe(2);
    expect(all.find((e) => e.action === 'query')).toMatchObject({ actor: 'ana', target: "ip 192.0.2.1 | count -- 'quoted'", rows: 1, detail: { from: '-1h' } });
    expect(await log.list({ action: 'login.failed' })).toHaveLength(1);
  });
});

describe('passwords', () => {
  it('hash with scrypt and verify in constant time', async () => {
    const hash = await hashPassword('correct horse', { N: 1024, r: 8, p: 1 });
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsf', hash)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });

  it('generated passwords are 20 unambiguous letters and digits', () => {
    for (let i = 0; i < 50; i++) expect(generatePassword()).toMatch(/^[A-HJ-NP-Za-km-z2-9]{20}$/);
  });
});

describe('network scope', () => {
  it('wraps the whole filter, whatever its operators', () => {
    const scoped = applyScope(parseQuery('any or ip 10.9.9.9'), parseScopes(['10.1.0.0/24']));
    expect(scoped.filter.type).toBe('and');
    expect((scoped.filter as { left: { type: string } }).left.type).toBe('ip');
    expect((scoped.filter as { right: { type: string } }).right.type).toBe('or');
  });

  it('rejects bad prefixes with their position', () => {
    expect(() => parseScopes(['10.0.0.0/8', 'nonsense'])).toThrow(/nonsense/);
    expect(parseScopes(['192.0.2.7'])[0]).toMatchObject({ family: 4 });
  });
});
