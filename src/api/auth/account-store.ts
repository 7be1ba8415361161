// Users and API tokens kept in the flow store's own tables (see account-schema.ts): create, change,
// list, and authenticate a password or a bearer token into a Principal.

import { randomUUID } from 'node:crypto';
import type { BoundParam, Store } from '../../store/store.js';
import { ApiError } from '../api-error.js';
import { ACCOUNT_COLUMNS, accountMigrations, columnKinds, type AccountTables } from './account-schema.js';
import { mintToken, parseToken, secretMatches } from './api-token.js';
import { parseScopes } from './network-scope.js';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './password.js';
import { isRole, type Principal, type Role } from './principal.js';

/** A local user as listed to admins (never the hash). */
export interface UserRecord {
  readonly name: string;
  readonly role: Role;
  readonly scopes: string[];
  readonly disabled: boolean;
  /** When the user was last changed, epoch ms. */
  readonly updatedAt: number;
  readonly changedBy: string;
}

/** An API token as listed to admins (never the secret or its hash). */
export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly scopes: string[];
  readonly createdAt: number;
  readonly createdBy: string;
  readonly expiresAt: number | null;
  readonly revoked: boolean;
}

/** Options: a lower scrypt cost for tests, the cache lifetime. */
export interface AccountStoreOptions {
  readonly passwordCost?: { N: number; r: number; p: number };
  /** How long a looked-up user or token is trusted before it is read again, ms (other processes may change it). */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

interface UserRow extends UserRecord {
  readonly passwordHash: string;
  readonly version: number;
}
interface TokenRow extends TokenRecord {
  readonly secretHash: string;
  readonly version: number;
}

/** Users and tokens over a store. `migrate()` once before use. */
export class AccountStore {
  private lastVersion = 0;
  private readonly userCache = new Map<string, { at: number; row: UserRow | undefined }>();
  private readonly tokenCache = new Map<string, { at: number; row: TokenRow | undefined }>();
  // Verified against when a user does not exist, so a miss costs the same time as a wrong password.
  private dummyHash?: Promise<string>;

  constructor(
    private readonly store: Store,
    readonly tables: AccountTables,
    private readonly options: AccountStoreOptions = {},
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Creates the tables when missing. */
  async migrate(): Promise<void> {
    for (const sql of accountMigrations(this.store.dialect, this.tables)) await this.store.execute(sql);
  }

  /** A version above every one this process wrote: rows written in the same ms still order. */
  private nextVersion(): number {
    this.lastVersion = Math.max(this.now(), this.lastVersion + 1);
    return this.lastVersion;
  }

  /** Appends one row with every value bound as a parameter (INSERT ... SELECT works on both backends). */
  async insertRow(table: keyof typeof ACCOUNT_COLUMNS, values: Record<string, string | number>): Promise<void> {
    const kinds = columnKinds(table);
    const params = this.store.dialect.newParams();
    const q = this.store.dialect.quote;
    const names = ACCOUNT_COLUMNS[table];
    const placeholders = names.map((n) => {
      const kind = kinds[n]!;
      const v = values[n];
      if (kind === 'text') return params.bind('string', v === undefined ? '' : String(v));
      return params.bind(kind === 'flag' ? 'u8' : 'i64', v === undefined ? 0 : Math.trunc(Number(v)));
    });
    await this.store.execute(`INSERT INTO ${this.tables[table]} (${names.map(q).join(', ')}) SELECT ${placeholders.join(', ')}`, params.params as BoundParam[]);
  }

  private async latest(table: 'users' | 'tokens', key: 'name' | 'id', value?: string): Promise<Record<string, unknown>[]> {
    const q = this.store.dialect.quote;
    const params = this.store.dialect.newParams();
    const where = value === undefined ? '' : ` WHERE ${q(key)} = ${params.bind('string', value)}`;
    const rows = await this.store.execute(`SELECT * FROM ${this.tables[table]}${where} ORDER BY ${q(key)}, ${q('version')}`, params.params as BoundParam[]);
    const byKey = new Map<string, Record<string, unknown>>();
    for (const row of rows) byKey.set(String(row[key]), row);
    return [...byKey.values()];
  }

  // ---- users ----

  private toUser(row: Record<string, unknown>): UserRow {
    const role = String(row.role);
    return {
      name: String(row.name),
      role: isRole(role) ? role : 'viewer',
      scopes: splitScopes(row.scopes),
      disabled: Number(row.disabled) === 1,
      updatedAt: Number(row.version),
      changedBy: String(row.changed_by ?? ''),
      passwordHash: String(row.password_hash),
      version: Number(row.version),
    };
  }

  private async userRow(name: string): Promise<UserRow | undefined> {
    const cached = this.userCache.get(name);
    if (cached && this.now() - cached.at < (this.options.cacheMs ?? 5000)) return cached.row;
    const [row] = await this.latest('users', 'name', name);
    const user = row ? this.toUser(row) : undefined;
    this.userCache.set(name, { at: this.now(), row: user });
    return user;
  }

  /** How many users exist (disabled ones included). */
  async countUsers(): Promise<number> {
    return (await this.latest('users', 'name')).length;
  }

  /** Every user, by name. */
  async listUsers(): Promise<UserRecord[]> {
    return (await this.latest('users', 'name')).map((r) => publicUser(this.toUser(r)));
  }

  /** One user, or undefined. */
  async getUser(name: string): Promise<UserRecord | undefined> {
    const row = await this.userRow(name);
    return row && publicUser(row);
  }

  /** Creates a user; CONFLICT when the name is taken. */
  async addUser(input: { name: string; role: Role; password: string; scopes?: readonly string[] }, by: string): Promise<UserRecord> {
    if (!USER_NAME.test(input.name)) throw new ApiError('REQUEST_INVALID', 'user names are 1-64 letters, digits, . _ @ or -, starting with a letter or digit', { field: 'name' });
    checkPassword(input.password);
    const scopes = normaliseScopes(input.scopes ?? []);
    if (await this.userRow(input.name)) throw new ApiError('CONFLICT', `user '${input.name}' exists`, { field: 'name' });
    const passwordHash = await hashPassword(input.password, this.options.passwordCost);
    await this.writeUser({ name: input.name, role: input.role, passwordHash, scopes, disabled: false }, by);
    return (await this.getUser(input.name))!;
  }

  /** Changes a user's role, password, scopes or disabled flag; NOT_FOUND when absent. */
  async updateUser(name: string, change: { role?: Role; password?: string; scopes?: readonly string[]; disabled?: boolean }, by: string): Promise<UserRecord> {
    const current = await this.userRow(name);
    if (!current) throw new ApiError('NOT_FOUND', `no user '${name}'`);
    if (change.password !== undefined) checkPassword(change.password);
    const passwordHash = change.password !== undefined ? await hashPassword(change.password, this.options.passwordCost) : current.passwordHash;
    await this.writeUser(
      {
        name,
        role: change.role ?? current.role,
        passwordHash,
        scopes: change.scopes !== undefined ? normaliseScopes(change.scopes) : current.scopes,
        disabled: change.disabled ?? current.disabled,
      },
      by,
    );
    return (await this.getUser(name))!;
  }

  private async writeUser(u: { name: string; role: Role; passwordHash: string; scopes: readonly string[]; disabled: boolean }, by: string): Promise<void> {
    await this.insertRow('users', {
      name: u.name,
      role: u.role,
      password_hash: u.passwordHash,
      scopes: u.scopes.join(','),
      disabled: u.disabled ? 1 : 0,
      version: this.nextVersion(),
      changed_by: by,
    });
    this.userCache.delete(u.name);
  }

  /** The principal for a name and password, or undefined (unknown user, wrong password, disabled). */
  async authenticatePassword(name: string, password: string): Promise<Principal | undefined> {
    const row = USER_NAME.test(name) ? await this.userRow(name) : undefined;
    if (!row) {
      this.dummyHash ??= hashPassword('not a password of anyone', this.options.passwordCost);
      await verifyPassword(password, await this.dummyHash);
      return undefined;
    }
    const ok = await verifyPassword(password, row.passwordHash);
    if (!ok || row.disabled) return undefined;
    return userPrincipal(row, 'session');
  }

  /** The current principal of a user with a live session (role or scope may have changed), or undefined. */
  async sessionPrincipal(name: string): Promise<Principal | undefined> {
    const row = await this.userRow(name);
    return row && !row.disabled ? userPrincipal(row, 'session') : undefined;
  }

  // ---- tokens ----

  private toToken(row: Record<string, unknown>): TokenRow {
    const role = String(row.role);
    const expires = Number(row.expires_at);
    return {
      id: String(row.id),
      name: String(row.name),
      role: isRole(role) ? role : 'viewer',
      scopes: splitScopes(row.scopes),
      createdAt: Number(row.created_at),
      createdBy: String(row.created_by ?? ''),
      expiresAt: expires > 0 ? expires : null,
      revoked: Number(row.revoked) === 1,
      secretHash: String(row.secret_hash),
      version: Number(row.version),
    };
  }

  private async tokenRow(id: string): Promise<TokenRow | undefined> {
    const cached = this.tokenCache.get(id);
    if (cached && this.now() - cached.at < (this.options.cacheMs ?? 5000)) return cached.row;
    const [row] = await this.latest('tokens', 'id', id);
    const token = row ? this.toToken(row) : undefined;
    this.tokenCache.set(id, { at: this.now(), row: token });
    return token;
  }

  /** Creates a token; the returned `token` text is the only time the secret exists outside the caller. */
  async createToken(input: { name: string; role: Role; scopes?: readonly string[]; expiresAt?: number | null }, by: string): Promise<{ record: TokenRecord; token: string }> {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 100 || /[\u0000-\u001f]/.test(name)) throw new ApiError('REQUEST_INVALID', 'a token name is 1-100 printable characters', { field: 'name' });
    const scopes = normaliseScopes(input.scopes ?? []);
    const minted = mintToken();
    const createdAt = this.now();
    await this.insertRow('tokens', {
      id: minted.id,
      name,
      role: input.role,
      secret_hash: minted.hash,
      scopes: scopes.join(','),
      created_at: createdAt,
      created_by: by,
      expires_at: input.expiresAt ?? 0,
      revoked: 0,
      version: this.nextVersion(),
    });
    this.tokenCache.delete(minted.id);
    return { record: (await this.listTokens()).find((t) => t.id === minted.id)!, token: minted.token };
  }

  /** Every token (revoked ones included), oldest first. */
  async listTokens(): Promise<TokenRecord[]> {
    return (await this.latest('tokens', 'id')).map((r) => publicToken(this.toToken(r))).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Revokes a token; NOT_FOUND when absent. Revocation is final. */
  async revokeToken(id: string, by: string): Promise<TokenRecord> {
    const row = await this.tokenRow(id);
    if (!row) throw new ApiError('NOT_FOUND', `no token '${id}'`);
    await this.insertRow('tokens', {
      id: row.id,
      name: row.name,
      role: row.role,
      secret_hash: row.secretHash,
      scopes: row.scopes.join(','),
      created_at: row.createdAt,
      created_by: `${row.createdBy}`,
      expires_at: row.expiresAt ?? 0,
      revoked: 1,
      version: this.nextVersion(),
    });
    this.tokenCache.delete(id);
    return publicToken({ ...row, revoked: true });
  }

  /** The principal for bearer token text, or undefined (malformed, unknown, revoked, expired). */
  async authenticateToken(text: string): Promise<Principal | undefined> {
    const parsed = parseToken(text);
    if (!parsed) return undefined;
    const row = await this.tokenRow(parsed.id);
    if (!row || !secretMatches(parsed.secret, row.secretHash)) return undefined;
    if (row.revoked || (row.expiresAt !== null && row.expiresAt <= this.now())) return undefined;
    return { name: row.name, kind: 'token', id: row.id, role: row.role, scopes: row.scopes, ranges: parseScopes(row.scopes), via: 'bearer' };
  }
}

function splitScopes(value: unknown): string[] {
  const text = String(value ?? '');
  return text ? text.split(',') : [];
}

/** Checks scope text and returns it trimmed; throws REQUEST_INVALID on a bad prefix. */
function normaliseScopes(scopes: readonly string[]): string[] {
  parseScopes(scopes);
  return scopes.map((s) => s.trim());
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new ApiError('REQUEST_INVALID', `passwords have at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'password' });
  if (password.length > 1024) throw new ApiError('REQUEST_INVALID', 'passwords have at most 1024 characters', { field: 'password' });
}

function publicUser(row: UserRow): UserRecord {
  return { name: row.name, role: row.role, scopes: row.scopes, disabled: row.disabled, updatedAt: row.updatedAt, changedBy: row.changedBy };
}

function publicToken(row: TokenRow): TokenRecord {
  return { id: row.id, name: row.name, role: row.role, scopes: row.scopes, createdAt: row.createdAt, createdBy: row.createdBy, expiresAt: row.expiresAt, revoked: row.revoked };
}

function userPrincipal(row: UserRow, via: Principal['via']): Principal {
  return { name: row.name, kind: 'user', id: row.name, role: row.role, scopes: row.scopes, ranges: parseScopes(row.scopes), via };
}

/** A unique id for an audit row or a session. */
export function newId(): string {
  return randomUUID();
}
