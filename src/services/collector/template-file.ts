// Persists v9/IPFIX templates across restarts: a JSON file in the spool directory, replaced
// atomically, so that data arriving right after a restart decodes without waiting for the
// exporters to resend their templates (many do so only every few minutes).

import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../collect/disk-spool.js';
import type { TemplateSnapshot } from '../../decode/decoder-state.js';

/** File name of the template snapshot inside the spool directory. */
export const TEMPLATE_FILE = 'templates.json';

interface TemplateFileContent {
  readonly format: 'vantage-templates';
  readonly version: 1;
  readonly saved: string;
  readonly templates: readonly TemplateSnapshot[];
}

/** Reads saved templates; a missing file is none, an unreadable one is reported and ignored. */
export async function loadTemplates(path: string, log: (message: string) => void): Promise<TemplateSnapshot[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log(`cannot read saved templates ${path}: ${(err as Error).message}`);
    return [];
  }
  try {
    const content = JSON.parse(text) as TemplateFileContent;
    if (content.format !== 'vantage-templates' || !Array.isArray(content.templates)) throw new Error('not a template file');
    return content.templates.filter(
      (t) =>
        typeof t.exporter === 'string' &&
        (t.version === 9 || t.version === 10) &&
        Number.isInteger(t.domain) &&
        Number.isInteger(t.id) &&
        Array.isArray(t.fields),
    );
  } catch (err) {
    log(`saved templates ${path} are unreadable (${(err as Error).message}): starting without them`);
    return [];
  }
}

/** Writes the templates (atomically: readers see the old or the new file, never half of one). */
export async function saveTemplates(path: string, templates: readonly TemplateSnapshot[]): Promise<void> {
  const content: TemplateFileContent = { format: 'vantage-templates', version: 1, saved: new Date().toISOString(), templates };
  await writeFileAtomic(path, JSON.stringify(content));
}
