// UI login sessions, in memory: an unguessable id in an HttpOnly cookie, a CSRF token per session,
// idle and absolute expiry. A restart logs everyone out, which a single-node server can afford.

import { createHash, randomBytes } from 'node:crypto';

/** One live session. */
export interface Session {
  readonly userName: string;
  /** Sent back by the UI in the X-CSRF-Token header on every state-changing request. */
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeen: number;
}

/** Session lifetimes. */
export interface SessionOptions {
  /** Idle timeout, ms (default 2 h). */
  readonly idleMs?: number;
  /** Absolute lifetime, ms (default 12 h). */
  readonly maxAgeMs?: number;
  /** Most sessions kept at once; the oldest go first (default 10,000). */
  readonly maxSessions?: number;
  readonly now?: () => number;
}

/** Sessions keyed by a hash of their id, so a heap dump does not hand out cookies. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly options: SessionOptions = {}) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Absolute lifetime, for the cookie's Max-Age. */
  get maxAgeMs(): number {
    return this.options.maxAgeMs ?? 12 * 3_600_000;
  }

  /** Starts a session; returns the cookie value (the only copy of the id). */
  create(userName: string): { id: string; session: Session } {
    this.sweep();
    const max = this.options.maxSessions ?? 10_000;
    while (this.sessions.size >= max) this.sessions.delete(this.sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    const session: Session = { userName, csrfToken: randomBytes(24).toString('base64url'), createdAt: now, lastSeen: now };
    this.sessions.set(key(id), session);
    return { id, session };
  }

  /** The live session for a cookie value, refreshed; undefined when unknown or expired. */
  get(id: string): Session | undefined {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const k = key(id);
    const s = this.sessions.get(k);
    if (!s) return undefined;
    const now = this.now();
    if (now - s.lastSeen > (this.options.idleMs ?? 2 * 3_600_000) || now - s.createdAt > this.maxAgeMs) {
      this.sessions.delete(k);
      return undefined;
    }
    s.lastSeen = now;
    return s;
  }

  /** Ends a session. */
  delete(id: string): void {
    this.sessions.delete(key(id));
  }

  /** Ends every session of a user (disabled, password changed). */
  deleteUser(userName: string): void {
    for (const [k, s] of this.sessions) if (s.userName === userName) this.sessions.delete(k);
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, s] of this.sessions) {
      if (now - s.lastSeen > (this.options.idleMs ?? 2 * 3_600_000) || now - s.createdAt > this.maxAgeMs) this.sessions.delete(k);
    }
  }
}

function key(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
