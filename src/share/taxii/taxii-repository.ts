// TAXII storage over a flow store: collections, object versions with the instant each was added,
// per-token read/write grants, and the status of object POSTs. Used by the TAXII routes and by
// `vantage taxii` (collection add/list, grant, publish).

import { randomUUID } from 'node:crypto';
import { VantageError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import { taxiiSql, type TaxiiRow, type TaxiiSql, type TaxiiTable } from './taxii-tables.js';

/** A collection as stored. */
export interface TaxiiCollection {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly alias: string;
  readonly mediaTypes: readonly string[];
}

/** What a token may do in a collection. */
export interface TaxiiGrant {
  readonly tokenId: string;
  readonly collectionId: string;
  readonly read: boolean;
  readonly write: boolean;
}

/** One stored object version, without its body. */
export interface TaxiiObjectMeta {
  readonly id: string;
  readonly version: string;
  readonly type: string;
  readonly specVersion: string;
  /** Epoch microseconds. */
  readonly dateAdded: number;
}

/** The STIX media type objects are stored as. */
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';

const CHUNK = 2_000;

/** The version of a STIX object: modified, else created, else the time it was added. */
export function objectVersion(o: Record<string, unknown>, dateAddedIso: string): string {
  if (typeof o.modified === 'string') return o.modified;
  if (typeof o.created === 'string') return o.created;
  return dateAddedIso;
}

/** TAXII storage. Call `ensureTables()` once after the store opens. */
export class TaxiiRepository {
  private readonly sql: TaxiiSql;
  private lastAdded = 0;
  private lastUpdate = 0;

  constructor(private readonly store: Store) {
    this.sql = taxiiSql(store);
  }

  async ensureTables(): Promise<void> {
    for (const statement of this.sql.ddl) await this.store.execute(statement);
  }

  /** A row version above every one this process wrote (rows replaced in the same ms still order). */
  private nextUpdate(): number {
    this.lastUpdate = Math.max(Date.now(), this.lastUpdate + 1);
    return this.lastUpdate;
  }

  private async write(table: TaxiiTable, rows: readonly TaxiiRow[]): Promise<void> {
    for (let at = 0; at < rows.length; at += CHUNK) {
      const text = this.sql.encode(rows.slice(at, at + CHUNK));
      for (const statement of this.sql.write(table)) await this.store.execute(statement, [{ kind: 'string', value: text }]);
    }
  }

  private async select(sql: string, bind: (p: ReturnType<Store['dialect']['newParams']>) => string): Promise<Record<string, unknown>[]> {
    const params = this.store.dialect.newParams();
    const text = sql.replace('$WHERE', bind(params));
    return this.store.execute(text, params.params);
  }

  // ---- collections

  /** Adds a collection (id: a random UUID unless given); CONFLICT-like USAGE error when the id or alias is taken. */
  async addCollection(input: { id?: string; title: string; description?: string; alias?: string }): Promise<TaxiiCollection> {
    const title = input.title.trim();
    if (title === '') throw new VantageError('USAGE', 'a collection needs a title');
    const id = input.id ?? randomUUID();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw new VantageError('USAGE', `collection id '${id}' is not a lower-case UUID`);
    const alias = (input.alias ?? '').trim();
    if (alias !== '' && !/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(alias)) throw new VantageError('USAGE', `alias '${alias}' must be 1-64 letters, digits, . _ or -`);
    const existing = await this.collections();
    if (existing.some((c) => c.id === id)) throw new VantageError('USAGE', `collection ${id} exists`);
    if (alias !== '' && existing.some((c) => c.alias === alias)) throw new VantageError('USAGE', `a collection with alias '${alias}' exists`);
    const c: TaxiiCollection = { id, title, description: input.description ?? '', alias, mediaTypes: [STIX_MEDIA_TYPE] };
    await this.write('taxii_collections', [
      { id, title, description: c.description, alias, media_types: JSON.stringify(c.mediaTypes), deleted: 0, updated_at: this.nextUpdate() },
    ]);
    return c;
  }

  /** Every collection, by title. */
  async collections(): Promise<TaxiiCollection[]> {
    const rows = await this.store.execute(`SELECT id, title, description, alias, media_types FROM ${this.sql.from('taxii_collections')} WHERE deleted = 0 ORDER BY title, id`);
    return rows.map((r) => ({
      id: String(r.id),
      title: String(r.title),
      description: String(r.description),
      alias: String(r.alias),
      mediaTypes: JSON.parse(String(r.media_types)) as string[],
    }));
  }

  /** A collection by id or alias; NOT_FOUND when absent. */
  async collection(idOrAlias: string): Promise<TaxiiCollection> {
    const c = (await this.collections()).find((x) => x.id === idOrAlias || (x.alias !== '' && x.alias === idOrAlias));
    if (!c) throw new VantageError('NOT_FOUND', `no TAXII collection '${idOrAlias}'`);
    return c;
  }

  // ---- grants

  /** Sets what a token may do in a collection (both false removes its access). */
  async grant(tokenId: string, collectionId: string, rights: { read: boolean; write: boolean }): Promise<TaxiiGrant> {
    await this.write('taxii_grants', [{ token_id: tokenId, collection_id: collectionId, can_read: rights.read ? 1 : 0, can_write: rights.write ? 1 : 0, updated_at: this.nextUpdate() }]);
    return { tokenId, collectionId, ...rights };
  }

  /** The grants, of one token or all. */
  async grants(tokenId?: string): Promise<TaxiiGrant[]> {
    const rows = await this.select(
      `SELECT token_id, collection_id, can_read, can_write FROM ${this.sql.from('taxii_grants')} WHERE $WHERE ORDER BY token_id, collection_id`,
      (p) => (tokenId === undefined ? '(can_read = 1 OR can_write = 1)' : `token_id = ${p.bind('string', tokenId)} AND (can_read = 1 OR can_write = 1)`),
    );
    return rows.map((r) => ({ tokenId: String(r.token_id), collectionId: String(r.collection_id), read: Number(r.can_read) === 1, write: Number(r.can_write) === 1 }));
  }

  // ---- objects

  /** Microsecond instants, strictly increasing across this process's adds. */
  private async nextAdded(count: number): Promise<number> {
    if (this.lastAdded === 0) {
      const [row] = await this.store.execute(`SELECT max(date_added) AS m FROM ${this.sql.from('taxii_objects')}`);
      this.lastAdded = Number(row?.m ?? 0) || 0;
    }
    const first = Math.max(Date.now() * 1000, this.lastAdded + 1);
    this.lastAdded = first + count - 1;
    return first;
  }

  /**
   * Adds object versions to a collection. A version already there (same id and version) is
   * kept as it was, with its date_added: re-publishing the same export adds nothing.
   */
  async addObjects(collectionId: string, objects: readonly Record<string, unknown>[], formatAdded: (us: number) => string): Promise<{ id: string; version: string; added: boolean }[]> {
    const metas = await this.objectMetas(collectionId, { ids: [...new Set(objects.map((o) => String(o.id)))] });
    const existing = new Set(metas.map((m) => `${m.id}@${m.version}`));
    // Objects without modified or created (SCOs: addresses, traffic) are versioned by date_added,
    // so an equal body sent again would become a new version; their ids come from their content
    // (STIX 2.1 section 2.9): an equal body is the same object, kept once.
    const unversioned = (o: Record<string, unknown>) => typeof o.modified !== 'string' && typeof o.created !== 'string';
    const storedBodies = new Map<string, string>();
    if (objects.some(unversioned)) {
      const bodies = await this.bodies(collectionId, metas);
      for (const m of metas) {
        const b = bodies.get(`${m.id}@${m.version}`);
        if (b && unversioned(b)) storedBodies.set(JSON.stringify(b), m.version);
      }
    }
    const out: { id: string; version: string; added: boolean }[] = [];
    const rows: TaxiiRow[] = [];
    let at = await this.nextAdded(objects.length);
    for (const o of objects) {
      const same = unversioned(o) ? storedBodies.get(JSON.stringify(o)) : undefined;
      if (same !== undefined) {
        out.push({ id: String(o.id), version: same, added: false });
        continue;
      }
      const added = at++;
      const version = objectVersion(o, formatAdded(added));
      const key = `${String(o.id)}@${version}`;
      if (existing.has(key)) {
        out.push({ id: String(o.id), version, added: false });
        continue;
      }
      existing.add(key);
      if (unversioned(o)) storedBodies.set(JSON.stringify(o), version);
      out.push({ id: String(o.id), version, added: true });
      rows.push({
        collection_id: collectionId,
        object_id: String(o.id),
        version,
        object_type: String(o.type),
        spec_version: typeof o.spec_version === 'string' ? o.spec_version : '2.1',
        date_added: added,
        body: JSON.stringify(o),
        deleted: 0,
        updated_at: this.nextUpdate(),
      });
    }
    await this.write('taxii_objects', rows);
    return out;
  }

  /** Object versions of a collection (no bodies), oldest added first, filtered by id and type. */
  async objectMetas(collectionId: string, filter: { ids?: readonly string[]; types?: readonly string[] } = {}, includeDeleted = false): Promise<TaxiiObjectMeta[]> {
    if ((filter.ids && filter.ids.length === 0) || (filter.types && filter.types.length === 0)) return [];
    const rows = await this.select(
      `SELECT object_id, version, object_type, spec_version, date_added FROM ${this.sql.from('taxii_objects')} WHERE $WHERE ORDER BY date_added, object_id, version`,
      (p) =>
        [
          `collection_id = ${p.bind('string', collectionId)}`,
          ...(includeDeleted ? [] : ['deleted = 0']),
          ...(filter.ids ? [`object_id IN (${filter.ids.map((id) => p.bind('string', id)).join(', ')})`] : []),
          ...(filter.types ? [`object_type IN (${filter.types.map((t) => p.bind('string', t)).join(', ')})`] : []),
        ].join(' AND '),
    );
    return rows.map((r) => ({ id: String(r.object_id), version: String(r.version), type: String(r.object_type), specVersion: String(r.spec_version), dateAdded: Number(r.date_added) }));
  }

  /** The bodies of object versions, keyed `id@version`. */
  async bodies(collectionId: string, metas: readonly TaxiiObjectMeta[]): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    const ids = [...new Set(metas.map((m) => m.id))];
    const wanted = new Set(metas.map((m) => `${m.id}@${m.version}`));
    for (let at = 0; at < ids.length; at += CHUNK) {
      const rows = await this.select(
        `SELECT object_id, version, body FROM ${this.sql.from('taxii_objects')} WHERE $WHERE`,
        (p) => `collection_id = ${p.bind('string', collectionId)} AND deleted = 0 AND object_id IN (${ids.slice(at, at + CHUNK).map((id) => p.bind('string', id)).join(', ')})`,
      );
      for (const r of rows) {
        const key = `${String(r.object_id)}@${String(r.version)}`;
        if (wanted.has(key)) out.set(key, JSON.parse(String(r.body)) as Record<string, unknown>);
      }
    }
    return out;
  }

  /** Deletes object versions (tombstones); returns how many were removed. */
  async deleteObjects(collectionId: string, metas: readonly TaxiiObjectMeta[]): Promise<number> {
    const rows: TaxiiRow[] = metas.map((m) => ({
      collection_id: collectionId,
      object_id: m.id,
      version: m.version,
      object_type: m.type,
      spec_version: m.specVersion,
      date_added: m.dateAdded,
      body: '{}',
      deleted: 1,
      updated_at: this.nextUpdate(),
    }));
    await this.write('taxii_objects', rows);
    return rows.length;
  }

  // ---- status

  async saveStatus(id: string, owner: string, body: Record<string, unknown>): Promise<void> {
    await this.write('taxii_status', [{ id, owner, body: JSON.stringify(body), updated_at: this.nextUpdate() }]);
  }

  /** A status resource and the token that created it, or undefined. */
  async status(id: string): Promise<{ owner: string; body: Record<string, unknown> } | undefined> {
    const [row] = await this.select(`SELECT owner, body FROM ${this.sql.from('taxii_status')} WHERE $WHERE`, (p) => `id = ${p.bind('string', id)}`);
    return row ? { owner: String(row.owner), body: JSON.parse(String(row.body)) as Record<string, unknown> } : undefined;
  }
}
