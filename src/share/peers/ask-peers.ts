// Asking peers whether they have seen an indicator: GET URL/api/sightings on every peer at once,
// each bounded by a timeout, each failure kept as that peer's error (one slow or broken peer
// never hides the others' answers).

import type { Peer } from './peer-repository.js';
import type { Sighting } from './sighting.js';

/** Options of {@link askPeer} and {@link askPeers}. */
export interface AskOptions {
  /** Flow start bounds, passed on as the peer's `from`/`to` (ISO 8601 or any form it reads). */
  readonly from?: string;
  readonly to?: string;
  /** Per peer, milliseconds (default 10 s). */
  readonly timeoutMs?: number;
}

/** One peer's answer: its sighting, or why there is none. */
export interface PeerAnswer {
  readonly peer: string;
  readonly sighting?: Sighting;
  readonly error?: string;
}

/** The default wait per peer. */
export const DEFAULT_ASK_TIMEOUT_MS = 10_000;

function isSighting(body: unknown): body is Sighting {
  const b = body as Record<string, unknown> | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b.value === 'string' &&
    ['flows', 'packets', 'bytes', 'distinctPeers'].every((k) => typeof b[k] === 'number') &&
    (b.first === null || typeof b.first === 'string') &&
    (b.last === null || typeof b.last === 'string') &&
    Array.isArray(b.ports)
  );
}

/** Asks one peer; throws an Error whose message says what went wrong (for the error column). */
export async function askPeer(peer: Pick<Peer, 'url' | 'token'>, value: string, options: AskOptions = {}): Promise<Sighting> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
  const query = new URLSearchParams({ value });
  if (options.from !== undefined) query.set('from', options.from);
  if (options.to !== undefined) query.set('to', options.to);
  const url = `${peer.url}/api/sightings?${query.toString()}`;
  let res: Response;
  let text: string;
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    res = await fetch(url, { headers: { authorization: `Bearer ${peer.token}`, accept: 'application/json' }, signal, redirect: 'error' });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new Error(`no answer within ${timeoutMs} ms`);
    throw new Error(`cannot reach ${peer.url}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}: the answer is not JSON (is ${peer.url} a Vantage server?)`);
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const detail = e && typeof e.code === 'string' ? `${e.code}: ${String(e.message ?? '')}` : res.statusText;
    throw new Error(`HTTP ${res.status} ${detail}`);
  }
  if (!isSighting(body)) throw new Error(`HTTP ${res.status}: the answer is not a sighting (is ${peer.url} a Vantage server with peer sightings?)`);
  return body;
}

/** Asks every peer concurrently; answers in the peers' order. */
export async function askPeers(peers: readonly Pick<Peer, 'name' | 'url' | 'token'>[], value: string, options: AskOptions = {}): Promise<PeerAnswer[]> {
  return Promise.all(
    peers.map(async (p): Promise<PeerAnswer> => {
      try {
        return { peer: p.name, sighting: await askPeer(p, value, options) };
      } catch (err) {
        return { peer: p.name, error: (err as Error).message };
      }
    }),
  );
}
