// Pivot playbooks: a saved sequence of pivot steps, each a set of relations to follow from the
// nodes the previous step reached and filters on what it keeps (node type, tag, minimum count,
// edges per node), read from YAML or JSON text with errors that name the file, line and field.

import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { VantageError } from '../core/errors.js';
import { PIVOT_NODE_TYPES, PIVOT_RELATIONS } from './pivot-graph.js';

const Step = z
  .object({
    /** A label for the step, shown in the per-step counts. */
    name: z.string().min(1).max(100).optional(),
    /** Relations to follow from every node of the frontier (at least one). */
    // One relation or a list; a single one is read as a list so that errors name the bad entry.
    follow: z.preprocess((f) => (typeof f === 'string' ? [f] : f), z.array(z.enum(PIVOT_RELATIONS)).min(1)),
    /** Keep only edges to nodes of these types. */
    types: z.array(z.enum(PIVOT_NODE_TYPES)).min(1).optional(),
    /** Keep only edges to nodes carrying one of these tags (`prefix*` matches a prefix). */
    tags: z.array(z.string().min(1)).min(1).optional(),
    /** Keep only edges with at least this count. */
    minCount: z.number().int().min(0).optional(),
    /** Edges kept per node and relation, strongest first (default: the run's limit). */
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

const Definition = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, dots, dashes and underscores, at most 64')
      .optional(),
    description: z.string().max(2000).optional(),
    steps: z.array(Step).min(1).max(8),
  })
  .strict();

/** One step of a playbook. */
export type PlaybookStep = z.infer<typeof Step>;

/** A playbook as stored and run. */
export type Playbook = z.infer<typeof Definition>;

/** Names a stored playbook may take (the same rule as a playbook's own `name`). */
export const PLAYBOOK_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Checks an already-parsed value; `where` names its origin in messages. */
export function validatePlaybook(value: unknown, where: string): Playbook {
  const r = Definition.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  throw new VantageError('USAGE', `playbook ${where}: ${path === '' ? '' : `${path}: `}${issue.message}`);
}

/**
 * Reads a playbook from YAML or JSON text (JSON is YAML too, but its errors read better from
 * JSON.parse when the text starts with `{`).
 */
export function parsePlaybook(text: string, where: string): Playbook {
  let value: unknown;
  if (text.trimStart().startsWith('{')) {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new VantageError('USAGE', `playbook ${where}: not valid JSON: ${(err as Error).message}`);
    }
  } else {
    try {
      value = parseYaml(text, { prettyErrors: true });
    } catch (err) {
      if (err instanceof YAMLParseError) {
        const at = err.linePos?.[0];
        throw new VantageError('USAGE', `playbook ${where}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML: ${err.message.split('\n')[0]}`);
      }
      throw err;
    }
  }
  return validatePlaybook(value, where);
}

/** True when a node's tags pass a step's tag filter. */
export function tagsMatch(tags: readonly string[], patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? tags.some((t) => t.startsWith(p.slice(0, -1))) : tags.includes(p)));
}
