// Extension points of the UI. Sections that later issues add (pivot graph, findings inbox,
// watchlists and saved queries, the investigation notebook, intel feeds) register here: a nav
// entry, a path, a lazily loaded page, and the server feature flag (GET /api/features) that must
// be on for it to show. Nothing is shown for a section whose server routes do not exist yet.
//
// To add one: create web/src/pages/<Name>Page.tsx (default export, props: SectionProps), add an
// entry below with `load: () => import('./pages/<Name>Page')`, and turn its flag on in
// src/services/server.ts FEATURES once its API routes are registered in src/api/create-api.ts.

import type { ComponentType } from 'react';
import type { Me, TimeRange } from './api';

/** What a section page receives. */
export interface SectionProps {
  me: Me;
  range: TimeRange;
  /** The rest of the path after the section's own, e.g. an entity id. */
  subpath: string;
  /** The server's feature flags (a page offers what exists, e.g. pinning once the notebook does). */
  features: Record<string, boolean>;
}

/** One pluggable section. */
export interface Section {
  /** Feature flag name in GET /api/features. */
  feature: string;
  title: string;
  /** Path prefix, e.g. '/pivot'. */
  path: string;
  /** Keyboard shortcut after `g` (g p = pivot...). */
  key?: string;
  /** Permission needed to see it. */
  permission?: 'read' | 'export' | 'admin';
  load: () => Promise<{ default: ComponentType<SectionProps> }>;
}

/**
 * Registered sections. Planned, in this order, once their server side lands:
 *   pivot      /pivot?entity=   graph (own SVG force layout, code-split): click expands a node, an edge's evidence is one click away
 *   findings   /findings        inbox: filter, acknowledge, mark false positive with a note
 *   watchlists /watchlists      watchlists (monitors /monitors: saved queries with their run history; alerts /alerts)
 *   notebook   /cases/:id       pin entities, queries and findings to a case with notes; export
 *   blocklists /blocklists      saved block lists: entries, held-back entries with reasons, EDL URL
 *   intel      /intel           feeds: status, freshness, counts
 *   sharing    /sharing         STIX/MISP downloads, TAXII collections, grants, publish and pull, peers
 */
export const SECTIONS: readonly Section[] = [
  // Verdicts and detection runs are offered to analysts inside the page; viewers read.
  { feature: 'findings', title: 'Findings', path: '/findings', key: 'f', permission: 'read', load: () => import('./pages/FindingsPage') },
  // The graph: /pivot?entity=…; a node click expands it.
  { feature: 'pivot', title: 'Pivot', path: '/pivot', key: 'p', permission: 'read', load: () => import('./pages/PivotPage') },
  // Indicator lookup (/intel?value=…) and the loaded feeds.
  { feature: 'intel', title: 'Intel', path: '/intel', key: 'n', permission: 'read', load: () => import('./pages/IntelPage') },
  // Organisation-wide settings (analysts): a network-scoped account sees the server's refusal.
  { feature: 'watchlists', title: 'Watchlists', path: '/watchlists', key: 'w', permission: 'export', load: () => import('./pages/WatchlistsPage') },
  { feature: 'monitors', title: 'Monitors', path: '/monitors', key: 'm', permission: 'export', load: () => import('./pages/MonitorsPage') },
  { feature: 'alerts', title: 'Alerts', path: '/alerts', key: 'l', permission: 'export', load: () => import('./pages/AlertsPage') },
  { feature: 'blocklists', title: 'Block lists', path: '/blocklists', key: 'b', permission: 'read', load: () => import('./pages/BlocklistsPage') },
  // The notebook: viewers read cases, analysts pin to them.
  { feature: 'notebook', title: 'Cases', path: '/cases', key: 'c', permission: 'read', load: () => import('./pages/CasesPage') },
  // Exports, TAXII and peers (analysts; collections, grants, pulls and peers are for admins inside the page).
  { feature: 'sharing', title: 'Sharing', path: '/sharing', key: 's', permission: 'export', load: () => import('./pages/SharingPage') },
];
