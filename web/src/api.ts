// The UI's only door to data: typed calls to the Vantage API, the session's CSRF token on every
// change, and API errors (with their stable code and query column) as ApiFailure.

/** An error answer of the API. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly column?: number,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The signed-in caller. */
export interface Me {
  name: string;
  kind: 'user' | 'token';
  role: 'viewer' | 'analyst' | 'admin';
  scopes: string[];
  permissions: string[];
  csrfToken?: string;
}

/** Server features and limits. */
export interface Features {
  version: string;
  store: string;
  features: Record<string, boolean>;
  limits: { maxRows: number; maxExportRows: number; timeoutMs: number };
}

/** A result column. */
export interface Column {
  name: string;
  kind: string;
}

/** A result row. */
export type Row = Record<string, string | number | boolean | null | string[]>;

/** A query answer. */
export interface QueryResult {
  columns: Column[];
  rows: Row[];
  rowCount: number;
  truncated: boolean;
  limit: number;
  elapsedMs: number;
  scoped: boolean;
}

/** Store figures visible to the caller. */
export interface Stats {
  flows: number;
  firstFlow: string | null;
  lastFlow: string | null;
  bytesOnDisk: number | null;
  store: string;
  scoped: boolean;
}

/** A time range as the API takes it (ISO 8601 text; undefined = open). */
export interface TimeRange {
  from?: string;
  to?: string;
}

let csrfToken: string | undefined;

/** Remembers the session's CSRF token (from sign-in or /api/auth/me). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when the session is gone (401), so the app can show the sign-in page. */
let onSignedOut: () => void = () => undefined;
export function onUnauthorized(handler: () => void): void {
  onSignedOut = handler;
}

async function failure(res: Response): Promise<ApiFailure> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; column?: number; field?: string } };
    return new ApiFailure(res.status, body.error?.code ?? 'HTTP_' + res.status, body.error?.message ?? res.statusText, body.error?.column, body.error?.field);
  } catch {
    return new ApiFailure(res.status, 'HTTP_' + res.status, res.statusText || 'request failed');
  }
}

/** A raw API request: JSON body, CSRF header on changes, ApiFailure on error statuses. */
export async function request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', signal });
  if (!res.ok) {
    const err = await failure(res);
    if (res.status === 401 && path !== '/api/auth/login') onSignedOut();
    throw err;
  }
  return res;
}

async function json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await request(method, path, body, signal);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

const qs = (params: Record<string, string | number | undefined>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

/** The API, one function per route the UI uses. */
export const api = {
  login: (username: string, password: string) => json<Me>('POST', '/api/auth/login', { username, password }),
  logout: () => json<void>('POST', '/api/auth/logout'),
  me: () => json<Me>('GET', '/api/auth/me'),
  changePassword: (currentPassword: string, newPassword: string) => json<void>('POST', '/api/auth/password', { currentPassword, newPassword }),
  features: () => json<Features>('GET', '/api/features'),
  stats: () => json<Stats>('GET', '/api/stats'),
  language: () => json<Vocabulary>('GET', '/api/query/language'),
  check: (query: string, signal?: AbortSignal) =>
    json<{ ok: boolean; columns?: Column[]; error?: { code: string; message: string; column?: number } }>('POST', '/api/query/check', { query }, signal),
  query: (query: string, range: TimeRange, signal?: AbortSignal) => json<QueryResult>('POST', '/api/query', { query, ...range }, signal),
  values: (field: string, prefix: string, range: TimeRange, signal?: AbortSignal) =>
    json<{ field: string; values: { value: string; flows: number }[] }>('GET', `/api/query/values${qs({ field, prefix, ...range })}`, undefined, signal),
  /** Downloads a query's rows through the audited export route. */
  exportQuery: async (query: string, range: TimeRange, format: 'csv' | 'json') => {
    const res = await request('POST', '/api/export', { query, ...range, format });
    const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `vantage.${format}`;
    saveBlob(await res.blob(), name);
  },
  users: () => json<{ users: User[] }>('GET', '/api/users'),
  addUser: (u: { name: string; role: string; password: string; scopes: string[] }) => json<User>('POST', '/api/users', u),
  updateUser: (name: string, change: Partial<{ role: string; password: string; scopes: string[]; disabled: boolean }>) =>
    json<User>('PATCH', `/api/users/${encodeURIComponent(name)}`, change),
  tokens: () => json<{ tokens: Token[] }>('GET', '/api/tokens'),
  addToken: (t: { name: string; role: string; scopes: string[]; expiresInDays?: number }) => json<{ token: string; record: Token }>('POST', '/api/tokens', t),
  revokeToken: (id: string) => json<Token>('POST', `/api/tokens/${encodeURIComponent(id)}/revoke`),
  audit: (filter: { from?: string; to?: string; actor?: string; action?: string; limit?: number }) => json<{ entries: AuditEntry[] }>('GET', `/api/audit${qs(filter)}`),
  auditExportUrl: (filter: { from?: string; to?: string; actor?: string; action?: string }, format: 'csv' | 'json') => `/api/audit/export${qs({ ...filter, format })}`,
  findings: (filter: { kind?: string; status?: string; severity?: string; since?: string; limit?: number }, signal?: AbortSignal) =>
    json<FindingList>('GET', `/api/findings${qs(filter)}`, undefined, signal),
  finding: (id: string, signal?: AbortSignal) => json<Finding>('GET', `/api/findings/${encodeURIComponent(id)}`, undefined, signal),
  verdict: (id: string, status: FindingStatus, note?: string) => json<Finding>('POST', `/api/findings/${encodeURIComponent(id)}/verdict`, { status, ...(note ? { note } : {}) }),
  detect: (run: { kinds?: string[]; from?: string; to?: string }) => json<DetectReport>('POST', '/api/detect', run),
  profile: (entity: string, range: TimeRange, signal?: AbortSignal) => json<EntityProfile>('GET', `/api/profile/${encodeURIComponent(entity)}${qs({ ...range })}`, undefined, signal),
  pivot: (entity: string, options: { depth?: number; limit?: number } & TimeRange, signal?: AbortSignal) =>
    json<PivotGraph>('GET', `/api/pivot${qs({ entity, ...options })}`, undefined, signal),
  intelMatch: (value: string, signal?: AbortSignal) => json<IntelMatch>('GET', `/api/intel/match${qs({ value })}`, undefined, signal),
  intelFeeds: (signal?: AbortSignal) => json<{ feeds: IntelFeed[] }>('GET', '/api/intel/feeds', undefined, signal),
  watchlists: (signal?: AbortSignal) => json<{ watchlists: Watchlist[] }>('GET', '/api/watchlists', undefined, signal),
  putWatchlist: (w: WatchlistInput) => json<Watchlist>('POST', '/api/watchlists', w),
  deleteWatchlist: (name: string) => json<{ removed: string }>('DELETE', `/api/watchlists/${encodeURIComponent(name)}`),
  monitors: (signal?: AbortSignal) => json<{ monitors: Monitor[] }>('GET', '/api/monitors', undefined, signal),
  putMonitor: (m: MonitorInput) => json<Monitor>('POST', '/api/monitors', m),
  deleteMonitor: (name: string) => json<{ removed: string }>('DELETE', `/api/monitors/${encodeURIComponent(name)}`),
  monitorRuns: (name: string, limit = 50, signal?: AbortSignal) => json<{ runs: MonitorRun[] }>('GET', `/api/monitors/${encodeURIComponent(name)}/runs${qs({ limit })}`, undefined, signal),
  runMonitor: (name: string) => json<MonitorRun>('POST', `/api/monitors/${encodeURIComponent(name)}/run`),
  alerts: (filter: { state?: string; rule?: string; limit?: number }, signal?: AbortSignal) => json<{ alerts: Alert[]; scoped: boolean }>('GET', `/api/alerts${qs(filter)}`, undefined, signal),
  alertRules: (signal?: AbortSignal) => json<{ rules: AlertRule[] }>('GET', '/api/alerts/rules', undefined, signal),
  putAlertRule: (r: AlertRule) => json<AlertRule>('POST', '/api/alerts/rules', r),
  deleteAlertRule: (name: string) => json<AlertRule>('DELETE', `/api/alerts/rules/${encodeURIComponent(name)}`),
  cases: (signal?: AbortSignal) => json<{ cases: CaseSummary[] }>('GET', '/api/cases', undefined, signal),
  case: (name: string, signal?: AbortSignal) => json<InvestigationCase>('GET', `/api/cases/${encodeURIComponent(name)}`, undefined, signal),
  putCase: (c: { name: string; title?: string; description?: string }) => json<InvestigationCase>('POST', '/api/cases', c),
  deleteCase: (name: string) => json<{ removed: string }>('DELETE', `/api/cases/${encodeURIComponent(name)}`),
  pin: (name: string, pin: CasePin) => json<{ item: CaseItem; case: InvestigationCase }>('POST', `/api/cases/${encodeURIComponent(name)}/items`, pin),
  unpin: (name: string, id: number) => json<InvestigationCase>('DELETE', `/api/cases/${encodeURIComponent(name)}/items/${id}`),
  /** Downloads a case as Markdown or JSON (the export is audited). */
  exportCase: async (name: string, format: 'md' | 'json') => {
    const res = await request('GET', `/api/cases/${encodeURIComponent(name)}/export${qs({ format })}`);
    const file = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `vantage-case-${name}.${format}`;
    saveBlob(await res.blob(), file);
  },
  blocklists: (signal?: AbortSignal) => json<{ blocklists: SavedBlocklist[] }>('GET', '/api/blocklists', undefined, signal),
  blocklist: (name: string, signal?: AbortSignal) => json<BuiltBlocklist>('GET', `/api/blocklists/${encodeURIComponent(name)}`, undefined, signal),
  /** Downloads our findings and indicators as a STIX 2.1 bundle or a MISP event (audited). */
  share: async (format: 'stix' | 'misp', options: ShareOptions) => {
    const res = await request('GET', `/api/share/${format}${qs({ tlp: options.tlp, since: options.since, org: options.org })}`);
    const day = new Date().toISOString().slice(0, 10);
    saveBlob(await res.blob(), `vantage-${format}-${options.tlp}-${day}.json`);
  },
  taxiiCollections: (signal?: AbortSignal) => json<{ collections: TaxiiCollection[] }>('GET', '/api/taxii/collections', undefined, signal),
  addTaxiiCollection: (c: { title: string; alias?: string; description?: string }) => json<TaxiiCollection>('POST', '/api/taxii/collections', c),
  taxiiGrants: (signal?: AbortSignal) => json<{ grants: TaxiiGrant[] }>('GET', '/api/taxii/grants', undefined, signal),
  taxiiGrant: (g: { token: string; collection: string; read: boolean; write: boolean }) => json<TaxiiGrant>('POST', '/api/taxii/grants', g),
  taxiiPublish: (p: { collection: string; tlp?: string; since?: string; org?: string }) => json<TaxiiPublishResult>('POST', '/api/taxii/publish', p),
  taxiiPull: (p: { url: string; collection: string; token?: string; addedAfter?: string }) => json<TaxiiPullResult>('POST', '/api/taxii/pull', p),
  peers: (signal?: AbortSignal) => json<{ peers: PeerInfo[] }>('GET', '/api/peers', undefined, signal),
  addPeer: (p: { name: string; url: string; token: string }) => json<{ peer: PeerInfo; replaced: boolean }>('POST', '/api/peers', p),
  removePeer: (name: string) => json<{ removed: string }>('DELETE', `/api/peers/${encodeURIComponent(name)}`),
  askPeers: (q: { value: string; peers?: string[]; from?: string; to?: string; timeoutSeconds?: number }, signal?: AbortSignal) =>
    json<{ value: string; answers: PeerAnswer[] }>('POST', '/api/peers/ask', q, signal),
};

/** Saves a blob as a file download. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The query language's words (GET /api/query/language). */
export interface Vocabulary {
  fields: { name: string; kind: string; doc: string }[];
  aliases: Record<string, string>;
  keywords: { word: string; takes: string; doc: string }[];
  operators: string[];
  stages: { word: string; syntax: string; doc: string }[];
  metrics: string[];
  values: Record<string, string[]>;
}

export interface User {
  name: string;
  role: string;
  scopes: string[];
  disabled: boolean;
  updatedAt: number;
  changedBy: string;
}

export interface Token {
  id: string;
  name: string;
  role: string;
  scopes: string[];
  createdAt: number;
  createdBy: string;
  expiresAt: number | null;
  revoked: boolean;
}

export interface AuditEntry {
  id: string;
  at: number;
  actor: string;
  actorKind: string;
  role: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  rows: number;
  status: string;
  errorCode: string | null;
  client: string;
  elapsedMs: number;
}

/** An analyst's verdict on a finding. */
export type FindingStatus = 'open' | 'acknowledged' | 'false-positive';

/** A finding (GET /api/findings; src/detect/finding.ts on the server). */
export interface Finding {
  id: string;
  kind: string;
  subkind: string;
  score: number;
  subscores: Record<string, number>;
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  src: string | null;
  dst: string | null;
  dport: number | null;
  proto: number | null;
  entities: { role: string; type: string; value: string }[];
  first: string;
  last: string;
  summary: string;
  evidence: { counts: Record<string, number>; query: string; from: string; to: string; sample: Row[]; details?: Record<string, unknown> };
  intel: { value: string; indicator: string; source: string; tag: string; family: string | null; confidence: number | null }[];
  /** Watchlists its entities are on (src/monitor/watchlists on the server). */
  watched?: FindingWatch[];
  status: FindingStatus;
  note: string | null;
  runs: number;
}

export interface FindingList {
  findings: Finding[];
  kinds: string[];
  scoped: boolean;
}

/** A detection run (POST /api/detect). */
export interface DetectReport {
  from: string;
  to: string;
  findings: Finding[];
  detectors: { kind: string; findings: number; ms: number; stats: Record<string, number> }[];
  saved?: { added: number; updated: number; suppressed: number };
  scoped: boolean;
}

/** Node types of the pivot graph. */
export type PivotNodeType = 'ip' | 'domain' | 'asn' | 'indicator' | 'service' | 'cert';

/** A pivot graph node (GET /api/pivot; src/pivot/pivot-graph.ts on the server). */
export interface PivotNode {
  id: string;
  type: PivotNodeType;
  value: string;
  tags: string[];
  depth: number;
}

/** A pivot graph edge, oriented as its relation reads. */
export interface PivotEdge {
  from: string;
  to: string;
  relation: string;
  count: number;
  first: string | null;
  last: string | null;
  ports?: number[];
  bytes?: number;
}

/** A pivot answer. */
export interface PivotGraph {
  root: string;
  depth: number;
  nodes: PivotNode[];
  edges: PivotEdge[];
  truncated: { node: string; relation: string; shown: number; total: number }[];
  timedOut: boolean;
  ms: number;
  scoped: boolean;
}

/** One row of a profile list section (fields differ per section; see docs/pivot.md). */
export type ProfileRow = Record<string, unknown>;

/** An entity profile (GET /api/profile/{entity}). */
export interface EntityProfile {
  entity: { type: string; value: string };
  window: { from: string | null; to: string | null };
  context: { asn: { number: number; org: string | null } | null; country: string | null };
  intel: ProfileRow[];
  dns: { names: ProfileRow[]; answers: ProfileRow[]; subdomains: ProfileRow[] };
  flows: { query: string | null; flows: number; bytes: number; packets: number; first: string | null; last: string | null };
  peers: { asSource: ProfileRow[]; asDestination: ProfileRow[] };
  members: ProfileRow[];
  ports: { asSource: ProfileRow[]; asDestination: ProfileRow[] };
  timeline: { interval: string; buckets: ProfileRow[] };
  http: ProfileRow[];
  services: ProfileRow[];
  certificates: ProfileRow[];
  findings: ProfileRow[];
  scoped: boolean;
}

/** A feed entry that matched a value (GET /api/intel/match). */
export interface IntelRecord {
  indicator: string;
  type: string;
  kind: string;
  how: string;
  source: string;
  feed: string;
  family: string | null;
  flow_tag: string;
  confidence: number | null;
  reference: string | null;
  file: string;
  line: number;
  first_seen: string | null;
  last_seen: string | null;
  expired_at: string | null;
}

/** What the loaded feeds know about a value. */
export interface IntelMatch {
  query: string;
  type: string | null;
  allowed: boolean;
  allow: IntelRecord[];
  matches: IntelRecord[];
  expired: IntelRecord[];
  note?: string;
}

/** A loaded feed (GET /api/intel/feeds). */
export interface IntelFeed {
  source: string;
  feed: string;
  file: string;
  title: string;
  generated_at: string | null;
  loaded_at: string;
  entries: number;
  active: number;
  rejected: number;
  added: number;
  updated: number;
  expired: number;
}

/** A watchlist an entity of a finding is on. */
export interface FindingWatch {
  watchlist: string;
  kind: string;
  criticality: string;
  value: string;
  member: string;
}

/** Watchlist kinds and criticalities (src/monitor/watchlists/watchlist.ts). */
export const WATCHLIST_KINDS = ['partner', 'supplier', 'peer', 'perimeter', 'other'] as const;
export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;

/** A stored watchlist (GET /api/watchlists). */
export interface Watchlist {
  name: string;
  kind: (typeof WATCHLIST_KINDS)[number];
  owner: string;
  criticality: (typeof CRITICALITIES)[number];
  contacts: string[];
  description: string;
  members: { type: 'network' | 'host' | 'asn' | 'domain'; value: string; note?: string }[];
}

/** A watchlist as sent (members as users write them). */
export interface WatchlistInput {
  name: string;
  kind?: string;
  owner?: string;
  criticality?: string;
  contacts?: string[];
  description?: string;
  members?: (string | { value: string; note?: string })[];
}

/** Monitor kinds (src/monitor/jobs/monitor-job.ts). */
export const MONITOR_KINDS = ['query', 'pivot', 'detect', 'watch'] as const;

/** A saved monitor as sent. */
export interface MonitorInput {
  name: string;
  kind: (typeof MONITOR_KINDS)[number];
  schedule: string;
  query?: string;
  entity?: string;
  depth?: number;
  detectors?: string[];
  windowMs?: number;
  raise?: boolean;
  threshold?: number;
  minHistory?: number;
  description?: string;
  enabled?: boolean;
}

/** A saved monitor (GET /api/monitors). */
export type Monitor = MonitorInput & { createdAt?: number };

/** One run of a monitor. */
export interface MonitorRun {
  monitor: string;
  slot: number;
  startedAt: number;
  finishedAt: number;
  status: 'ok' | 'error';
  rows: number;
  newValues: string[];
  anomalies: { key: string; metric: string; value: number; median: number; low: number; high: number }[];
  result: unknown;
  truncated: boolean;
  error?: string;
  findings: string[];
}

/** An alert rule (GET /api/alerts/rules). */
export interface AlertRule {
  name: string;
  kinds?: string[];
  minSeverity?: string;
  minScore?: number;
  watchlists?: string[];
  tags?: string[];
  sinks: string[];
  rateLimit?: { max: number; windowMinutes: number };
  enabled?: boolean;
}

/** An alert in the outbox (GET /api/alerts). */
export interface Alert {
  alert: string;
  type: 'finding' | 'summary';
  rule: string;
  sink: string;
  finding: string | null;
  severity: string;
  state: 'pending' | 'delivered' | 'suppressed';
  attempts: number;
  created: string;
  nextAttempt: string | null;
  delivered: string | null;
  lastError: string | null;
  message: Record<string, unknown>;
}

/** What can be pinned to a case. */
export type CaseItemType = 'entity' | 'query' | 'finding' | 'note';

/** A pin as sent. */
export interface CasePin {
  type: CaseItemType;
  value: string;
  note?: string;
  from?: string;
  to?: string;
}

/** A pinned item. */
export interface CaseItem {
  id: number;
  type: CaseItemType;
  value: string;
  note: string;
  from?: string;
  to?: string;
  finding?: { kind: string; subkind: string; severity: string; summary: string };
  addedBy: string;
  addedAt: string;
}

/** A case of the investigation notebook (GET /api/cases/{name}). */
export interface InvestigationCase {
  name: string;
  title: string;
  description: string;
  owner: string;
  ownerKind: 'user' | 'token';
  ownerScoped: boolean;
  createdAt: string;
  updatedAt: string;
  items: CaseItem[];
}

/** A case in the list. */
export interface CaseSummary {
  name: string;
  title: string;
  owner: string;
  createdAt: string;
  updatedAt: string;
  items: number;
}

/** A saved block list (GET /api/blocklists). */
export interface SavedBlocklist {
  name: string;
  description: string;
  criteria: Record<string, unknown>;
  savedBy: string;
  savedAt: string;
}

/** A block-list entry with its evidence. */
export interface BlocklistEntry {
  value: string;
  family: number;
  reason: string;
  confidence: number | null;
  firstSeen: string;
  lastSeen: string;
  expires: string | null;
  evidence: Record<string, unknown>[];
}

/** A block list built now (GET /api/blocklists/{name}). */
export interface BuiltBlocklist {
  name?: string;
  builtAt: string;
  criteria: Record<string, unknown>;
  window: { from: string; to: string } | null;
  entries: BlocklistEntry[];
  held: (BlocklistEntry & { held: { rule: string; detail: string }[] })[];
}

/** TLP 2.0 levels of the exports (src/share/stix/tlp-marking.ts). */
export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;

/** What an export or a publish carries. */
export interface ShareOptions {
  tlp: string;
  since?: string;
  org?: string;
}

/** A collection of our TAXII server (GET /api/taxii/collections). */
export interface TaxiiCollection {
  id: string;
  title: string;
  description: string;
  alias: string;
  mediaTypes: string[];
  objects: number;
  versions: number;
  url: string;
}

/** A token's rights on a collection. */
export interface TaxiiGrant {
  tokenId: string;
  tokenName: string;
  collectionId: string;
  collectionTitle: string;
  read: boolean;
  write: boolean;
}

/** What a publish added. */
export interface TaxiiPublishResult {
  collection: string;
  objects: number;
  added: number;
  unchanged: number;
  indicators: number;
  sightings: number;
}

/** What a pull loaded. */
export interface TaxiiPullResult {
  source: string;
  objects: number;
  pages: number;
  lastAdded: string | null;
  active: number;
  added: number;
  updated: number;
  expired: number;
  problems: number;
  /** The bad objects among `problems` (the others use patterns Vantage cannot match). */
  rejected: number;
  problemDetails: { code: string; message: string }[];
}

/** A peer we ask for sightings (its token masked). */
export interface PeerInfo {
  name: string;
  url: string;
  token: string;
  addedAt: string;
}

/** What a peer has seen of a value (GET /api/sightings at the peer). */
export interface Sighting {
  value: string;
  type: 'ip' | 'cidr' | 'domain';
  from: string | null;
  to: string | null;
  flows: number;
  packets: number;
  bytes: number;
  first: string | null;
  last: string | null;
  distinctPeers: number;
  ports: { proto: string; port: number; flows: number }[];
  passiveDns: { records: number; names: number; answers: number; first: string | null; last: string | null } | null;
  scoped: boolean;
}

/** One peer's answer: its sighting or why there is none. */
export interface PeerAnswer {
  peer: string;
  sighting?: Sighting;
  error?: string;
}
