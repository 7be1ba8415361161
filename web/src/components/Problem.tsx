// An API failure shown in a page: a refusal (403) as a plain explanation of what the account may
// not do and why (the server's message), any other failure with its stable code.

import { ApiFailure } from '../api';

/** The text of an error, with the API's code when it has one. */
export function problemText(e: unknown): string {
  return e instanceof ApiFailure ? `${e.code}: ${e.message}` : String(e);
}

/** Shows an error; nothing when there is none. */
export function Problem({ error, what }: { error: unknown; what?: string }) {
  if (!error) return null;
  if (error instanceof ApiFailure && error.status === 403) {
    return (
      <section className="card forbidden" role="alert" data-testid="forbidden">
        <h2>{what ? `${what}: not for your account` : 'Not for your account'}</h2>
        <p>{error.message.charAt(0).toUpperCase() + error.message.slice(1)}.</p>
        <p className="muted small">An administrator can change your role or network scope (Admin › Users).</p>
      </section>
    );
  }
  return (
    <p className="error" role="alert">
      {problemText(error)}
    </p>
  );
}
