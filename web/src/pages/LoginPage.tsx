// Sign-in: user name and password; the server sets an HttpOnly session cookie and returns the
// CSRF token. Failed attempts are rate limited and audited by the server.

import { useState } from 'react';
import { api, ApiFailure, type Me } from '../api';

export function LoginPage({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <main className="login">
      <form
        className="card login-card"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            onSignedIn(await api.login(username, password));
          } catch (err) {
            setError(err instanceof ApiFailure ? err.message : 'cannot reach the server');
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>
          <span className="logo">V</span> Vantage
        </h1>
        <p className="muted">Threat investigation over network telemetry</p>
        <label>
          User
          <input name="username" autoComplete="username" autoFocus value={username} onChange={(e) => setUsername(e.target.value)} required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">First start: `npm start` prints the admin password. Automation uses API tokens (docs/api.md).</p>
      </form>
    </main>
  );
}
