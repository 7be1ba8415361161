// Detections as every entry point runs them (CLI, API, start, monitors): through the store's
// watchlists, so findings are marked with watched entities and partners likely compromised
// are raised.

import { runDetections, type DetectionOptions, type DetectionReport } from '../detect/run-detections.js';
import type { GeoDatabase } from '../enrich/geo-database.js';
import type { Store } from '../store/store.js';
import { loadWatchIndex } from './watchlists/load-watch-index.js';
import { watchFindings } from './watchlists/watch-findings.js';

/** Runs detections with the store's watchlists applied. */
export async function runWatchedDetections(store: Store, options: DetectionOptions, geo?: () => GeoDatabase | undefined): Promise<DetectionReport> {
  const watch = await loadWatchIndex(store, { geo });
  return runDetections(store, { ...options, annotate: (findings, context) => watchFindings(watch, findings, context) });
}
