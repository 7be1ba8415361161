// Users and API tokens (admins): create, change role or network scope, disable; mint a token
// (shown once) and revoke it. Every change lands in the audit trail.

import { useEffect, useState } from 'react';
import { api, ApiFailure, type Token, type User } from '../api';

const ROLES = ['viewer', 'analyst', 'admin'];
const scopesOf = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
const message = (e: unknown) => (e instanceof ApiFailure ? `${e.message}${e.field ? ` (${e.field})` : ''}` : String(e));

export function AdminPage() {
  const [users, setUsers] = useState<User[]>([]);
  const [tokens, setTokens] = useState<Token[]>([]);
  const [error, setError] = useState<string>();
  const [newToken, setNewToken] = useState<string>();
  const [tick, setTick] = useState(0);
  const refresh = () => setTick((t) => t + 1);

  useEffect(() => {
    api.users().then((r) => setUsers(r.users)).catch((e) => setError(message(e)));
    api.tokens().then((r) => setTokens(r.tokens)).catch((e) => setError(message(e)));
  }, [tick]);

  const act = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      refresh();
    } catch (e) {
      setError(message(e));
    }
  };

  return (
    <main className="page admin">
      <header className="page-head">
        <h1>Users and tokens</h1>
        <p className="muted small">viewer: read · analyst: read and export · admin: also users, tokens and the audit trail. A network scope limits an account to flows whose source or destination lies in its prefixes.</p>
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <section className="card">
        <h2>Users</h2>
        <table className="simple">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Network scope</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.name}>
                <td className="mono">{u.name}</td>
                <td>
                  <select aria-label={`role of ${u.name}`} value={u.role} onChange={(e) => void act(() => api.updateUser(u.name, { role: e.target.value }))}>
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td className="mono small">{u.scopes.join(', ') || 'all'}</td>
                <td>{u.disabled ? 'disabled' : 'active'}</td>
                <td className="actions">
                  <button className="chip" onClick={() => void act(() => api.updateUser(u.name, { disabled: !u.disabled }))}>
                    {u.disabled ? 'Enable' : 'Disable'}
                  </button>
                  <button
                    className="chip"
                    onClick={() => {
                      const pw = prompt(`New password for ${u.name} (at least 12 characters)`);
                      if (pw) void act(() => api.updateUser(u.name, { password: pw }));
                    }}
                  >
                    Set password
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            const form = e.currentTarget;
            void act(async () => {
              await api.addUser({ name: String(f.get('name')), role: String(f.get('role')), password: String(f.get('password')), scopes: scopesOf(String(f.get('scopes') ?? '')) });
              form.reset();
            });
          }}
        >
          <input name="name" placeholder="new user name" required />
          <select name="role" defaultValue="viewer" aria-label="role">
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <input name="password" type="password" placeholder="password (12+ characters)" autoComplete="new-password" required />
          <input name="scopes" placeholder="scope, e.g. 192.0.2.0/24 (optional)" />
          <button className="primary" type="submit">
            Add user
          </button>
        </form>
      </section>

      <section className="card">
        <h2>API tokens</h2>
        {newToken && (
          <div className="notice" role="status">
            <strong>Copy this token now: it is not shown again.</strong>
            <code className="token" data-testid="new-token">
              {newToken}
            </code>
            <span className="muted small">Use it as: curl -H 'Authorization: Bearer {newToken.slice(0, 8)}…' {location.origin}/api/stats</span>
            <button className="chip" onClick={() => setNewToken(undefined)}>
              Done
            </button>
          </div>
        )}
        <table className="simple">
          <thead>
            <tr>
              <th>Id</th>
              <th>Name</th>
              <th>Role</th>
              <th>Network scope</th>
              <th>Created</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => {
              const state = t.revoked ? 'revoked' : t.expiresAt !== null && t.expiresAt <= Date.now() ? 'expired' : 'active';
              return (
                <tr key={t.id} className={state !== 'active' ? 'dim' : ''}>
                  <td className="mono small">{t.id}</td>
                  <td>{t.name}</td>
                  <td>{t.role}</td>
                  <td className="mono small">{t.scopes.join(', ') || 'all'}</td>
                  <td className="small">
                    {new Date(t.createdAt).toISOString().slice(0, 16).replace('T', ' ')} by {t.createdBy}
                  </td>
                  <td>{state}</td>
                  <td>
                    {state === 'active' && (
                      <button className="chip danger" onClick={() => confirm(`Revoke token ${t.name}? This cannot be undone.`) && void act(() => api.revokeToken(t.id))}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            const form = e.currentTarget;
            const days = Number(f.get('days') || 0);
            void act(async () => {
              const r = await api.addToken({ name: String(f.get('name')), role: String(f.get('role')), scopes: scopesOf(String(f.get('scopes') ?? '')), ...(days ? { expiresInDays: days } : {}) });
              setNewToken(r.token);
              form.reset();
            });
          }}
        >
          <input name="name" placeholder="token name, e.g. siem-export" required />
          <select name="role" defaultValue="viewer" aria-label="role">
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <input name="scopes" placeholder="scope (optional)" />
          <input name="days" type="number" min={1} max={3650} placeholder="expires in days" />
          <button className="primary" type="submit">
            Create token
          </button>
        </form>
      </section>
    </main>
  );
}
