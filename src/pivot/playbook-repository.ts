// Where playbooks come from: the ones saved in the store (a document table, both backends), the
// built-in ones shipped in the playbooks/ folder, and files given by path; `resolve` picks one
// in that order of precedence: an existing file, a saved name, a built-in name.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { VantageError } from '../core/errors.js';
import { DocumentTable, type DocumentStore, type StoredDocument } from '../store/document-table.js';
import { parsePlaybook, PLAYBOOK_NAME, validatePlaybook, type Playbook } from './playbook.js';

/** The document table of saved playbooks. */
export const PLAYBOOKS_TABLE = 'pivot_playbooks';

/** The built-in playbooks' folder: playbooks/ at the package root, from src/pivot or dist/src/pivot. */
export function builtinPlaybookDir(): string | undefined {
  for (const up of ['../../playbooks', '../../../playbooks']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(dir) && statSync(dir).isDirectory()) return dir;
  }
  return undefined;
}

/** The built-in playbooks, by name. */
export function builtinPlaybooks(): Map<string, Playbook> {
  const dir = builtinPlaybookDir();
  const out = new Map<string, Playbook>();
  if (!dir) return out;
  for (const file of readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort()) {
    const p = parsePlaybook(readFileSync(join(dir, file), 'utf8'), `playbooks/${file}`);
    out.set(p.name ?? file.replace(/\.(ya?ml|json)$/, ''), p);
  }
  return out;
}

/** Reads a playbook file; the file's name stands in for a missing `name`. */
export function readPlaybookFile(path: string): Playbook {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new VantageError('USAGE', `cannot read playbook ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const p = parsePlaybook(text, path);
  return p.name ? p : { ...p, name: path.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|json)$/, '').toLowerCase() };
}

/** Saved playbooks in the store. */
export class PlaybookRepository {
  private readonly table: DocumentTable<Playbook>;

  constructor(store: DocumentStore) {
    this.table = new DocumentTable<Playbook>(store, PLAYBOOKS_TABLE);
  }

  async ensureTable(): Promise<void> {
    await this.table.ensureTable();
  }

  /** Saves (or replaces) a playbook under a name. */
  async save(name: string, playbook: Playbook): Promise<Playbook> {
    if (!PLAYBOOK_NAME.test(name)) throw new VantageError('USAGE', `playbook name '${name}' must be lower-case letters, digits, dots, dashes and underscores (at most 64)`);
    const named = { ...playbook, name };
    await this.table.put(name, named);
    return named;
  }

  async list(): Promise<StoredDocument<Playbook>[]> {
    return this.table.list();
  }

  async get(name: string): Promise<Playbook | undefined> {
    const d = await this.table.get(name);
    return d ? validatePlaybook(d.body, `'${name}' in the store`) : undefined;
  }

  async remove(name: string): Promise<boolean> {
    return this.table.remove(name);
  }

  /** A playbook by file path, saved name or built-in name, in that order. */
  async resolve(ref: string): Promise<Playbook> {
    if (existsSync(ref) && statSync(ref).isFile()) return readPlaybookFile(ref);
    const saved = await this.get(ref);
    if (saved) return saved;
    const builtin = builtinPlaybooks().get(ref);
    if (builtin) return builtin;
    const names = [...new Set([...(await this.list()).map((d) => d.name), ...builtinPlaybooks().keys()])].sort();
    throw new VantageError('USAGE', `no playbook file or name '${ref}' (known: ${names.join(', ') || 'none'})`);
  }
}
