// Rate limiting of login attempts: failures per user name and per client address in a sliding
// window, so neither guessing one account's password nor spraying many accounts gets far.

/** Limits; the defaults allow 5 failures per account and 20 per client per 15 minutes. */
export interface LoginLimiterOptions {
  readonly windowMs?: number;
  readonly maxPerAccount?: number;
  readonly maxPerClient?: number;
  readonly now?: () => number;
}

/** Counts failed logins; `check` says how long a caller must wait, if at all. */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly options: LoginLimiterOptions = {}) {}

  private get windowMs(): number {
    return this.options.windowMs ?? 15 * 60_000;
  }

  private recent(key: string): number[] {
    const now = (this.options.now ?? Date.now)();
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  /** Milliseconds until another attempt is allowed for this account from this client; 0 when allowed now. */
  check(account: string, client: string): number {
    const now = (this.options.now ?? Date.now)();
    const waits = [
      [this.recent(`a:${account.toLowerCase()}`), this.options.maxPerAccount ?? 5],
      [this.recent(`c:${client}`), this.options.maxPerClient ?? 20],
    ] as const;
    let wait = 0;
    for (const [list, max] of waits) if (list.length >= max) wait = Math.max(wait, list[list.length - max]! + this.windowMs - now);
    return wait;
  }

  /** Records a failed attempt. */
  fail(account: string, client: string): void {
    const now = (this.options.now ?? Date.now)();
    if (this.failures.size > 100_000) this.failures.clear(); // bounded memory under a flood
    for (const key of [`a:${account.toLowerCase()}`, `c:${client}`]) this.failures.set(key, [...this.recent(key), now]);
  }

  /** Clears an account's failures after a successful login. */
  succeed(account: string): void {
    this.failures.delete(`a:${account.toLowerCase()}`);
  }
}
