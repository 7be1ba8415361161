// The peers we ask for sightings: a name, the base URL of their Vantage server and the token
// they gave us, kept in the `peers` document table of the flow store (both backends).

import { VantageError } from '../../core/errors.js';
import { DocumentTable, type DocumentStore } from '../../store/document-table.js';

/** Table name (in the store's database for ClickHouse). */
export const PEERS_TABLE = 'peers';

/** A peer Vantage instance. */
export interface Peer {
  readonly name: string;
  /** Base URL of its server (the API is at URL/api/...), without a trailing slash. */
  readonly url: string;
  /** The bearer token it issued to us (ideally with the `peer` role). */
  readonly token: string;
  /** When it was added or last changed, ISO 8601 UTC. */
  readonly addedAt: string;
}

/** Checks a peer name: letters, digits, dot, dash, underscore; 1 to 64 characters. */
export function checkPeerName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new VantageError('USAGE', `peer name '${name}' must be 1 to 64 letters, digits, '.', '-' or '_' (starting with a letter or digit)`);
  }
  return name;
}

/** The base URL of a peer: http or https, no query or fragment, no trailing slash. */
export function parsePeerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new VantageError('USAGE', `'${text}' is not a URL: give the peer's server, e.g. https://vantage.peer.example:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new VantageError('USAGE', `'${text}' must be an http or https URL`);
  if (url.search !== '' || url.hash !== '') throw new VantageError('USAGE', `'${text}' must not carry a query or a fragment`);
  if (url.username !== '' || url.password !== '') throw new VantageError('USAGE', `'${text}' must not carry credentials: give the token with --token`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** A token as lists show it: its public id part, never the secret. */
export function maskToken(token: string): string {
  const m = /^(vtk_[0-9a-f]+)_/.exec(token);
  return m ? `${m[1]}_…` : `${token.slice(0, 4)}…`;
}

/** The peers of a store. Call `ensureTables()` once after the store opens. */
export class PeerRepository {
  private readonly table: DocumentTable<Peer>;

  constructor(store: DocumentStore) {
    this.table = new DocumentTable<Peer>(store, PEERS_TABLE);
  }

  async ensureTables(): Promise<void> {
    await this.table.ensureTable();
  }

  /** Every peer, by name. */
  async list(): Promise<Peer[]> {
    return (await this.table.list()).map((d) => d.body);
  }

  /** The named peers (all of them when `names` is empty); NOT_FOUND names the first unknown one. */
  async pick(names: readonly string[]): Promise<Peer[]> {
    const all = await this.list();
    if (names.length === 0) return all;
    return [...new Set(names)].map((name) => {
      const p = all.find((x) => x.name === name);
      if (!p) throw new VantageError('NOT_FOUND', `no peer '${name}' (vantage peer list)`);
      return p;
    });
  }

  /** Adds a peer, or replaces the one of that name; true when it replaced one. */
  async add(input: { name: string; url: string; token: string }, now: number = Date.now()): Promise<{ peer: Peer; replaced: boolean }> {
    const name = checkPeerName(input.name);
    const token = input.token.trim();
    if (token === '' || /\s/.test(token)) throw new VantageError('USAGE', 'the token must be one word (the bearer token the peer issued)');
    const peer: Peer = { name, url: parsePeerUrl(input.url), token, addedAt: new Date(now).toISOString() };
    const replaced = (await this.table.get(name)) !== undefined;
    await this.table.put(name, peer, now);
    return { peer, replaced };
  }

  /** Removes a peer; false when there was none of that name. */
  async remove(name: string, now: number = Date.now()): Promise<boolean> {
    return this.table.remove(name, now);
  }
}
