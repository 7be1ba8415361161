// The TAXII 2.1 filtering and paging rules (section 3.4 and 3.5), pure: match[version] picks
// versions per object (last by default), match[spec_version] keeps the newest spec a version
// has unless told, added_after keeps what was added later, and pages follow date_added with
// `next` naming where the previous page stopped.

import type { TaxiiObjectMeta } from './taxii-repository.js';

/** The filters of a request, as given in its query string. */
export interface TaxiiFilter {
  readonly ids?: readonly string[];
  readonly types?: readonly string[];
  /** 'last', 'first', 'all' or timestamps (the exact versions); default ['last']. */
  readonly versions?: readonly string[];
  readonly specVersions?: readonly string[];
  /** Epoch microseconds. */
  readonly addedAfter?: number;
}

/** A page of results. */
export interface TaxiiPage {
  readonly items: TaxiiObjectMeta[];
  readonly more: boolean;
  /** The value of `next` that continues after this page (when `more`). */
  readonly next?: string;
}

function byVersion(a: TaxiiObjectMeta, b: TaxiiObjectMeta): number {
  const x = Date.parse(a.version);
  const y = Date.parse(b.version);
  return x !== y ? x - y : a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

/**
 * Applies match[spec_version] and match[version] to an object's stored versions. Without a
 * spec_version filter only versions of the newest spec an object has are considered.
 */
export function selectVersions(metas: readonly TaxiiObjectMeta[], filter: TaxiiFilter): TaxiiObjectMeta[] {
  const groups = new Map<string, TaxiiObjectMeta[]>();
  for (const m of metas) groups.set(m.id, [...(groups.get(m.id) ?? []), m]);
  const wanted = filter.versions && filter.versions.length > 0 ? filter.versions : ['last'];
  const out: TaxiiObjectMeta[] = [];
  for (const list of groups.values()) {
    let candidates = list;
    if (filter.specVersions && filter.specVersions.length > 0) candidates = candidates.filter((m) => filter.specVersions!.includes(m.specVersion));
    else {
      const newest = candidates.map((m) => m.specVersion).sort().pop();
      candidates = candidates.filter((m) => m.specVersion === newest);
    }
    if (candidates.length === 0) continue;
    const sorted = [...candidates].sort(byVersion);
    const picked = new Set<TaxiiObjectMeta>();
    for (const w of wanted) {
      if (w === 'all') sorted.forEach((m) => picked.add(m));
      else if (w === 'last') picked.add(sorted[sorted.length - 1]!);
      else if (w === 'first') picked.add(sorted[0]!);
      else for (const m of sorted) if (m.version === w || Date.parse(m.version) === Date.parse(w)) picked.add(m);
    }
    out.push(...picked);
  }
  return out.sort((a, b) => a.dateAdded - b.dateAdded || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Encodes where a page stopped: the date_added (µs) of its last item. */
export function encodeNext(dateAdded: number): string {
  return Buffer.from(`v1:${dateAdded}`).toString('base64url');
}

/** Decodes `next`; undefined when it is not one this server wrote. */
export function decodeNext(next: string): number | undefined {
  const m = /^v1:(\d{1,20})$/.exec(Buffer.from(next, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

/**
 * Filters (added_after and the `next` position: both strictly after) and cuts one page of at
 * most `limit` items, in date_added order.
 */
export function page(items: readonly TaxiiObjectMeta[], filter: TaxiiFilter, limit: number, after?: number): TaxiiPage {
  const from = Math.max(filter.addedAfter ?? -1, after ?? -1);
  const rest = items.filter((m) => m.dateAdded > from);
  const cut = rest.slice(0, limit);
  const more = rest.length > cut.length;
  return { items: cut, more, ...(more && cut.length > 0 ? { next: encodeNext(cut[cut.length - 1]!.dateAdded) } : {}) };
}
