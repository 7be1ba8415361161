// The comment lines of abuse.ch CSV exports (Feodo Tracker, ThreatFox): the generation time and,
// in older exports, the column header.

import { parseFeedTime } from '../indicator.js';
import { splitCsvLine } from './csv-fields.js';

/** What one `#` line told: the export time and/or the columns (lower case). */
export interface AbuseChComment {
  readonly generatedAt?: number | null;
  readonly columns?: string[];
}

/** Reads a trimmed `#` line; `header` matches a commented header and captures its CSV text. */
export function readAbuseChComment(trimmed: string, header: RegExp): AbuseChComment {
  const updated = /Last updated:\s*(.+?)\s*#?$/i.exec(trimmed);
  const columns = header.exec(trimmed)?.[1];
  return {
    generatedAt: updated ? parseFeedTime(updated[1]!.replace(/\s*#\s*$/, '')) : undefined,
    columns: columns === undefined ? undefined : splitCsvLine(columns)?.map((c) => c.toLowerCase()),
  };
}
