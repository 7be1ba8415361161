// A TAXII 2.1 client: finds the API root (from a discovery URL or given directly), lists
// collections, and pages through a collection's objects (`limit`, `next`, `added_after`) the way
// the specification asks, so `vantage taxii pull` can load a peer's indicators.

import { VantageError } from '../../core/errors.js';

const MEDIA = 'application/taxii+json;version=2.1';

/** A page-through result: the objects and the last date_added the server reported. */
export interface TaxiiPull {
  readonly objects: Record<string, unknown>[];
  readonly pages: number;
  /** X-TAXII-Date-Added-Last of the last non-empty page: the next pull's added_after. */
  readonly lastAdded: string | null;
}

/** Client settings. */
export interface TaxiiClientOptions {
  readonly token?: string;
  /** Objects asked for per page (the server may give fewer). */
  readonly pageSize?: number;
  /** Stop after this many pages (a guard against a server that never says `more: false`). */
  readonly maxPages?: number;
  readonly timeoutMs?: number;
}

/** A client for one TAXII server. */
export class TaxiiClient {
  constructor(
    private readonly url: string,
    private readonly options: TaxiiClientOptions = {},
  ) {}

  private async get(url: string): Promise<{ body: Record<string, unknown>; headers: Headers }> {
    const headers: Record<string, string> = { accept: MEDIA };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000) });
    } catch (err) {
      throw new VantageError('USAGE', `cannot reach ${url}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      throw new VantageError('USAGE', `${url} answered ${res.status} with something that is not JSON`);
    }
    if (!res.ok) {
      const why = typeof body.description === 'string' ? body.description : typeof body.title === 'string' ? body.title : res.statusText;
      throw new VantageError(res.status === 404 ? 'NOT_FOUND' : 'USAGE', `${url} answered ${res.status}: ${why}`);
    }
    return { body, headers: res.headers };
  }

  /** The API root URL: the discovery's default root when the URL is a discovery endpoint. */
  async apiRoot(): Promise<string> {
    const url = this.url.endsWith('/') ? this.url : `${this.url}/`;
    const { body } = await this.get(url);
    if (Array.isArray(body.api_roots) || typeof body.default === 'string') {
      const chosen = typeof body.default === 'string' ? body.default : String((body.api_roots as unknown[])[0] ?? '');
      if (chosen === '') throw new VantageError('USAGE', `${url} lists no API root`);
      const resolved = new URL(chosen, url).toString();
      return resolved.endsWith('/') ? resolved : `${resolved}/`;
    }
    if (!Array.isArray(body.versions)) throw new VantageError('USAGE', `${url} is neither a TAXII discovery endpoint nor an API root`);
    return url;
  }

  /** The collections the token can see. */
  async collections(): Promise<Record<string, unknown>[]> {
    const { body } = await this.get(`${await this.apiRoot()}collections/`);
    return Array.isArray(body.collections) ? (body.collections as Record<string, unknown>[]) : [];
  }

  /** Every object of a collection added after `addedAfter` (all when undefined), page by page. */
  async pull(collectionId: string, addedAfter?: string): Promise<TaxiiPull> {
    const root = await this.apiRoot();
    const objects: Record<string, unknown>[] = [];
    let next: string | undefined;
    let pages = 0;
    let lastAdded: string | null = null;
    const maxPages = this.options.maxPages ?? 10_000;
    for (;;) {
      const q = new URLSearchParams();
      q.set('limit', String(this.options.pageSize ?? 500));
      if (next !== undefined) q.set('next', next);
      if (addedAfter !== undefined) q.set('added_after', addedAfter);
      const { body, headers } = await this.get(`${root}collections/${encodeURIComponent(collectionId)}/objects/?${q}`);
      pages++;
      const page = Array.isArray(body.objects) ? (body.objects as Record<string, unknown>[]) : [];
      objects.push(...page);
      if (page.length > 0) lastAdded = headers.get('x-taxii-date-added-last') ?? lastAdded;
      if (body.more !== true || page.length === 0) break;
      if (typeof body.next === 'string') next = body.next;
      else {
        // A server without `next` pages by added_after (TAXII 2.1 section 3.4.1).
        const last = headers.get('x-taxii-date-added-last');
        if (!last) throw new VantageError('USAGE', 'the server said there is more but gave neither next nor X-TAXII-Date-Added-Last');
        addedAfter = last;
      }
      if (pages >= maxPages) throw new VantageError('USAGE', `stopped after ${maxPages} pages: the server keeps saying there is more`);
    }
    return { objects, pages, lastAdded };
  }
}
