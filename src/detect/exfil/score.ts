// The exfiltration score: how much our host sent to one outside server and port, how one-sided
// the conversation was, how unusual the port is, and how few of our hosts use that server.

/** Sub-scores, each 0..1. */
export interface ExfilSubscores {
  /** (log10(bytes sent) − log10(minBytes)) / 2, clamped: minBytes scores 0, 100 × minBytes and more 1. */
  readonly volume: number;
  /** Sent / (sent + received), rescaled so that 2:1 scores 0 and all-sent scores 1. */
  readonly asymmetry: number;
  /** 1 for a port no common service uses, 0.4 for a common one (uploads to web and mail are routine). */
  readonly port: number;
  /** 1 when one of our hosts talks to the server, falling as 1/clients. */
  readonly rarity: number;
}

export function volumeScore(bytes: number, minBytes: number): number {
  if (bytes <= minBytes) return 0;
  return Math.min(1, (Math.log10(bytes) - Math.log10(minBytes)) / 2);
}

/** (share − 2/3) / (1/3) where share = sent / (sent + received): a 2:1 upload is where it starts. */
export function asymmetryScore(sent: number, received: number): number {
  const total = sent + received;
  if (total <= 0) return 0;
  return Math.min(1, Math.max(0, (sent / total - 2 / 3) * 3));
}

export function rarityScore(clients: number): number {
  return clients <= 1 ? 1 : 1 / clients;
}

/**
 * score = (0.5 + 0.5·volume) · asymmetry · port · (0.5 + 0.5·rarity): an upload of minBytes that
 * is all one way, to an unusual port of a server only one host uses, scores 0.5; a hundred
 * times more scores 1.
 * Worked example (the AndroidTester RAT of CTU-003, IP bytes from its conn.log): 43,778,990
 * bytes sent, 780,005 received, port 1337, one client, minBytes 10 MB: volume
 * (7.64127 − 7)/2 = 0.32063, share 0.982495 → asymmetry 0.94749, port 1, rarity 1:
 * 0.66032 · 0.94749 = 0.6256.
 */
export function exfilScore(s: ExfilSubscores): number {
  return (0.5 + 0.5 * s.volume) * s.asymmetry * s.port * (0.5 + 0.5 * s.rarity);
}
