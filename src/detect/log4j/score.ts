// The Log4Shell score: a JNDI lookup seen in a request is an attempt (scanners send them to
// every web server on the internet); the victim calling back to the lookup's server is
// exploitation, strengthened by a payload fetch and by new traffic from the victim afterwards.

/** Each in 0..1. */
export interface Log4jSubscores {
  /** 1: a request held a JNDI lookup Log4j would run. */
  readonly jndi: number;
  /** 1: the victim connected to the lookup's address and port; 0.6: to the lookup's (uncommon, explicit) port of a named host; 0: no callback. */
  readonly callback: number;
  /** 1: the victim then fetched from the callback server on another port, or asked anyone for a `.class`. */
  readonly payload: number;
  /** 1: the victim then contacted destinations it had not in the baseline before the request. */
  readonly followup: number;
}

/** Score of an attempt: below the medium band, since most attempts fail. */
export const ATTEMPT_SCORE = 0.5;

/**
 * 0.5 for an attempt; with a callback, 0.75 + 0.15 × callback + 0.05 × payload + 0.05 × followup:
 * an address callback alone is 0.9 (high), with a payload fetch 0.95, the full chain 1.0; a
 * port-only callback to a named host is 0.84 (medium), 0.94 with payload and follow-up.
 */
export function log4jScore(s: Log4jSubscores): number {
  if (s.jndi === 0) return 0;
  if (s.callback === 0) return ATTEMPT_SCORE;
  return 0.75 + 0.15 * s.callback + 0.05 * s.payload + 0.05 * s.followup;
}
