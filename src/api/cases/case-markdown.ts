// A case as Markdown, for a report or a ticket: its facts, then its entities, queries, findings
// and notes in the order they were pinned. Values go in code spans (never read as Markdown);
// notes are the analyst's own text and are kept as written.

import type { CaseItem, CaseItemType, InvestigationCase } from './case-notebook.js';

const SECTIONS: readonly [CaseItemType, string][] = [
  ['entity', 'Entities'],
  ['query', 'Queries'],
  ['finding', 'Findings'],
  ['note', 'Notes'],
];

/** A code span holding `text` whatever backticks it contains (CommonMark: a longer fence, padded). */
export function codeSpan(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** Continuation lines of a list item are indented under it. */
const indent = (text: string): string => text.replace(/\r?\n/g, '\n  ');

function line(item: CaseItem): string {
  const by = `_${item.addedBy}, ${item.addedAt}_`;
  const note = item.note ? ` — ${indent(item.note)}` : '';
  switch (item.type) {
    case 'entity':
      return `- ${codeSpan(item.value)}${note} · ${by}`;
    case 'query': {
      const window = item.from || item.to ? ` over ${item.from ?? 'the start'} to ${item.to ?? 'now'}` : ' over all data';
      return `- ${codeSpan(item.value)}${window}${note} · ${by}`;
    }
    case 'finding': {
      const f = item.finding;
      const what = f ? ` **${f.kind}/${f.subkind}** (${f.severity}): ${f.summary}` : '';
      return `- ${codeSpan(item.value)}${what}${note} · ${by}`;
    }
    case 'note':
      return `- ${indent(item.value)} · ${by}`;
  }
}

/** The case as a Markdown document (ends with a newline). */
export function caseMarkdown(c: InvestigationCase): string {
  const out: string[] = [`# ${c.title.replace(/\r?\n/g, ' ')}`, ''];
  out.push(`- Case: ${codeSpan(c.name)}`, `- Owner: ${c.owner}`, `- Opened: ${c.createdAt}`, `- Last changed: ${c.updatedAt}`, `- Items: ${c.items.length}`, '');
  if (c.description) out.push(c.description, '');
  for (const [type, title] of SECTIONS) {
    const items = c.items.filter((i) => i.type === type);
    if (items.length === 0) continue;
    out.push(`## ${title}`, '', ...items.map(line), '');
  }
  return out.join('\n');
}
