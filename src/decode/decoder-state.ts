// Template state carried between datagrams: templates, sampler rates, system init times and the
// bounded waiting room for data that arrived before its template. Plain data, no I/O.

import { formatIp, parseIp, type Ip } from '../core/ip.js';
import { compileTemplate, type CompiledTemplate, type TemplateField } from './template/compile-template.js';
import type { DecodedFlow } from './decoded-flow.js';

/** Tunables of the decoders; every one has a default. */
export interface DecoderOptions {
  /** Decode the inner frame of VXLAN in sampled headers and IE 315 frames (default true). */
  readonly decapsulateVxlan?: boolean;
  /** Decode the inner packet of IP-in-IP / SRv6 in sampled headers and IE 315 frames (default false). */
  readonly decapsulateIpInIp?: boolean;
  /** Data sets kept while their template is unknown, across all exporters (default 1024). */
  readonly maxPendingSets?: number;
  /** Data sets kept per template key (default 64). */
  readonly maxPendingPerTemplate?: number;
  /** How long a waiting data set is kept, in ms of receive time (default 60 s). */
  readonly pendingMaxAgeMs?: number;
  /** Templates kept across all exporters (default 65536). */
  readonly maxTemplates?: number;
  /**
   * Generate a JavaScript record reader per template (default true); false uses the table-driven
   * interpreter, several times slower, for runtimes that forbid code generation or to cross-check.
   */
  readonly generateReaders?: boolean;
}

/** What a data set needs from its datagram's header to be decoded later. */
export interface ExportContext {
  readonly version: 9 | 10;
  readonly exporter: Ip;
  /** v9 source id or IPFIX observation domain id. */
  readonly domain: number;
  /** Header export time in epoch ms. */
  readonly exportMs: number;
  /** v9 header sysUptime in ms; -1 for IPFIX. */
  readonly uptime: number;
  readonly receivedAt: number;
}

/**
 * What one (exporter, version, observation domain / source id) has announced: its templates by
 * id, its samplers' rates and its system init time. Looked up once per datagram through numeric
 * and address keys, so that the per-set template lookup is a Map<number> get, not a string build.
 */
export class TemplateDomain {
  readonly templates = new Map<number, CompiledTemplate>();
  /** Sampling rate by sampler id; sampler 0 holds a domain-wide rate. */
  readonly samplers = new Map<number, number>();
  /** systemInitTimeMilliseconds from options data; NaN until announced. */
  systemInit = NaN;

  constructor(
    readonly exporter: Ip,
    readonly version: 9 | 10,
    readonly id: number,
  ) {}

  /** `exporter|version|domain`: a stable text key (pending sets, snapshots, logs). */
  get key(): string {
    return domainKeyOf(this.exporter, this.version, this.id);
  }
}

/** A data set waiting for its template. */
export interface PendingSet {
  readonly key: string;
  readonly templateId: number;
  readonly context: ExportContext;
  /** A copy of the set's records (the datagram buffer is not ours to keep). */
  readonly bytes: Uint8Array;
  /** Offset of the set in its datagram, for error messages. */
  readonly offset: number;
  alive: boolean;
}

/** A template in a form that survives a restart (JSON-friendly). */
export interface TemplateSnapshot {
  readonly exporter: string;
  readonly version: 9 | 10;
  readonly domain: number;
  readonly id: number;
  readonly options: boolean;
  readonly scopeCount: number;
  readonly fields: readonly (readonly [id: number, length: number, pen: number])[];
}

/** The state one stream of datagrams shares; create one per collector (or per worker). */
export class DecoderState {
  readonly options: Required<DecoderOptions>;
  /** Template domains by exporter address (Map keys compare numbers and bigints by value), then by version and domain id. */
  private readonly domains = new Map<Ip, Map<number, TemplateDomain>>();
  /** Templates held across all domains (bounded by `maxTemplates`). */
  templateCount = 0;
  private readonly pending = new Map<string, PendingSet[]>();
  private queue: PendingSet[] = [];
  private head = 0;
  private pendingCount = 0;
  /** Records their user is done with, reused by the decoders (empty unless the user hands them back: see newDecodedFlow). */
  readonly freeRecords: DecodedFlow[] = [];

  constructor(options: DecoderOptions = {}) {
    this.options = {
      decapsulateVxlan: options.decapsulateVxlan ?? true,
      decapsulateIpInIp: options.decapsulateIpInIp ?? false,
      maxPendingSets: options.maxPendingSets ?? 1024,
      maxPendingPerTemplate: options.maxPendingPerTemplate ?? 64,
      pendingMaxAgeMs: options.pendingMaxAgeMs ?? 60_000,
      maxTemplates: options.maxTemplates ?? 65_536,
      generateReaders: options.generateReaders ?? true,
    };
  }

  /** The domain of a datagram, or undefined when it never announced anything. */
  findDomain(exporter: Ip, version: 9 | 10, id: number): TemplateDomain | undefined {
    return this.domains.get(exporter)?.get(version * 4294967296 + id);
  }

  /** The domain of a datagram, created on first use (only when it announces a template or options). */
  domainFor(exporter: Ip, version: 9 | 10, id: number): TemplateDomain {
    let byId = this.domains.get(exporter);
    if (!byId) {
      byId = new Map();
      this.domains.set(exporter, byId);
    }
    const key = version * 4294967296 + id;
    let domain = byId.get(key);
    if (!domain) {
      domain = new TemplateDomain(exporter, version, id);
      byId.set(key, domain);
    }
    return domain;
  }

  /** Every domain, for snapshots and diagnostics. */
  *allDomains(): Generator<TemplateDomain> {
    for (const byId of this.domains.values()) yield* byId.values();
  }

  /** Data sets currently waiting for a template. */
  get pendingSets(): number {
    return this.pendingCount;
  }

  /**
   * Keeps a data set until its template arrives. Returns how many older sets were dropped to make
   * room (the total and per-template bounds keep memory flat under a template-less flood).
   */
  addPending(set: Omit<PendingSet, 'alive'>): number {
    let dropped = 0;
    let list = this.pending.get(set.key);
    if (!list) {
      list = [];
      this.pending.set(set.key, list);
    }
    if (list.length >= this.options.maxPendingPerTemplate) {
      const oldest = list.shift()!;
      oldest.alive = false;
      this.pendingCount--;
      dropped++;
    }
    while (this.pendingCount >= this.options.maxPendingSets) {
      if (this.dropOldest()) dropped++;
      else break;
    }
    const entry: PendingSet = { ...set, alive: true };
    list.push(entry);
    this.queue.push(entry);
    this.pendingCount++;
    return dropped;
  }

  /** Drops waiting sets received before `now - pendingMaxAgeMs`; returns how many. */
  expirePending(now: number): number {
    const limit = now - this.options.pendingMaxAgeMs;
    let dropped = 0;
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      if (entry.alive && entry.context.receivedAt >= limit) break;
      this.head++;
      if (entry.alive) {
        this.removeFromList(entry);
        dropped++;
      }
    }
    this.compactQueue();
    return dropped;
  }

  /** Removes and returns the sets waiting for a template key, oldest first. */
  takePending(key: string): PendingSet[] {
    const list = this.pending.get(key);
    if (!list) return [];
    this.pending.delete(key);
    for (const entry of list) entry.alive = false;
    this.pendingCount -= list.length;
    this.compactQueue();
    return list;
  }

  private dropOldest(): boolean {
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head++]!;
      if (entry.alive) {
        this.removeFromList(entry);
        this.compactQueue();
        return true;
      }
    }
    return false;
  }

  private removeFromList(entry: PendingSet): void {
    entry.alive = false;
    this.pendingCount--;
    const list = this.pending.get(entry.key);
    if (!list) return;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.pending.delete(entry.key);
  }

  private compactQueue(): void {
    // Dead entries stay in the FIFO until they reach its head; trim it now and then.
    while (this.head < this.queue.length && !this.queue[this.head]!.alive) this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.pendingCount === 0) {
      this.queue = [];
      this.head = 0;
    }
  }
}

/** A new decoder state. */
export function createDecoderState(options: DecoderOptions = {}): DecoderState {
  return new DecoderState(options);
}

/** The part of a key naming the exporter; the family prefix keeps ::1 apart from 0.0.0.1. */
export function exporterKey(exporter: Ip): string {
  return typeof exporter === 'number' ? `4:${exporter}` : `6:${exporter}`;
}

/** The scope of templates and samplers: exporter address, protocol version, domain/source id. */
export function domainKeyOf(exporter: Ip, version: 9 | 10, domain: number): string {
  return `${exporterKey(exporter)}|${version}|${domain}`;
}

/** Every template of a state, for persisting across restarts. */
export function snapshotTemplates(state: DecoderState): TemplateSnapshot[] {
  const out: TemplateSnapshot[] = [];
  for (const domain of state.allDomains()) {
    for (const t of domain.templates.values()) {
      out.push({
        exporter: formatIp(domain.exporter),
        version: t.version,
        domain: domain.id,
        id: t.id,
        options: t.isOptions,
        scopeCount: t.scopeCount,
        fields: t.fields.map((f) => [f.id, f.length, f.pen] as const),
      });
    }
  }
  return out;
}

/** Loads persisted templates into a state; returns how many were usable. */
export function restoreTemplates(state: DecoderState, snapshots: readonly TemplateSnapshot[]): number {
  let loaded = 0;
  for (const s of snapshots) {
    const exporter = parseIp(s.exporter);
    if (exporter === undefined || state.templateCount >= state.options.maxTemplates) continue;
    const fields: TemplateField[] = s.fields.map(([id, length, pen]) => ({ id, length, pen }));
    const compiled = compileTemplate(s.version, s.id, fields, s.scopeCount, s.options, state.options.generateReaders);
    if (!compiled) continue;
    const domain = state.domainFor(exporter, s.version, s.domain);
    if (!domain.templates.has(s.id)) state.templateCount++;
    domain.templates.set(s.id, compiled);
    loaded++;
  }
  return loaded;
}
