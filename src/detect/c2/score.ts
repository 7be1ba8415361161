// The C2-contact score: how sure the intelligence is, whether our side initiated, and whether
// a conversation actually took place (data exchanged, repeated over time).

/** Sub-scores of a C2 contact, each 0..1. */
export interface C2Subscores {
  /** The indicator's confidence (0-100 scaled), or the detector's default for feeds that give none. */
  readonly intel: number;
  /** 1 when our host opened the connection to the C2 (the C2 is the server), 0.5 when the C2 called in. */
  readonly direction: number;
  /** Data was exchanged: min(1, log10(bytes) / 5) (100 kB and more count fully; a lone SYN is ~0.3). */
  readonly volume: number;
  /** Repetition: min(1, log2(flows) / 6) (64 flows and more count fully; one flow is 0). */
  readonly persistence: number;
}

/** Volume sub-score from bytes. */
export function volumeScore(bytes: number): number {
  return bytes <= 1 ? 0 : Math.min(1, Math.log10(bytes) / 5);
}

/** Persistence sub-score from the number of flows. */
export function persistenceScore(flows: number): number {
  return flows <= 1 ? 0 : Math.min(1, Math.log2(flows) / 6);
}

/**
 * score = intel · direction · (0.6 + 0.25·volume + 0.15·persistence): intelligence decides
 * whether this is C2 at all; a contact with no data counts 0.6 of it, a long busy one all of it.
 * Worked examples:
 * - Feodo-listed C2 (no confidence: default 0.9), our host connected, 74 packets / 30 kB over
 *   3 flows: volume log10(30000)/5 = 0.895, persistence log2(3)/6 = 0.264;
 *   0.9 · 1 · (0.6 + 0.224 + 0.040) = 0.9 · 0.864 = 0.777.
 * - the same C2 sending one 60-byte packet in: 0.9 · 0.5 · (0.6 + 0.25·0.356 + 0) = 0.45 · 0.689 = 0.310.
 */
export function c2Score(s: C2Subscores): number {
  return s.intel * s.direction * (0.6 + 0.25 * s.volume + 0.15 * s.persistence);
}
