// stamparm/maltrail static trails: one trail a line (IP, IP:port, CIDR, domain, URL without
// scheme, URI path), `# Reference:` lines naming the public source of the trails below them,
// `# Aliases:` naming the family, and `value # comment` annotations. The file name is the family.

import { classifyValue, type Indicator } from '../indicator.js';
import { baseName, makeIndicator, shown, splitLines, type FeedParser, type FeedProblem, type IndicatorDefaults } from '../feed-parser.js';

/** The maltrail parser. */
export const maltrailFeed: FeedParser = {
  kind: 'maltrail',
  parse(context) {
    const trail = baseName(context.file).toLowerCase();
    const family = context.family ?? trail;
    const source = context.source ?? `maltrail:${trail}`;
    const defaults: IndicatorDefaults = { source, kind: context.kind, feed: 'maltrail', file: context.file, family };
    const problems: FeedProblem[] = [];
    const byKey = new Map<string, Indicator>();
    let references: string[] = [];
    let referencesClosed = false;
    let aliases: string | undefined;
    let note: string | undefined;
    let entries = 0;
    splitLines(context.text).forEach((line, i) => {
      const n = i + 1;
      const trimmed = line.trim();
      if (trimmed === '') return;
      if (trimmed.startsWith('#')) {
        const ref = /^#\s*Reference:\s*(\S+)/i.exec(trimmed);
        if (ref) {
          // A reference after trails starts the next group: the trails below it cite it alone.
          if (referencesClosed) references = [];
          referencesClosed = false;
          references.push(ref[1]!);
        }
        const alias = /^#\s*Aliases:\s*(.+)$/i.exec(trimmed);
        if (alias) aliases = alias[1]!.trim();
        const noted = /^#\s*Note:\s*(.+)$/i.exec(trimmed);
        if (noted) note = noted[1]!.trim();
        return;
      }
      referencesClosed = true;
      entries++;
      const hash = trimmed.indexOf('#');
      const valueText = (hash >= 0 ? trimmed.slice(0, hash) : trimmed).trim();
      const comment = hash >= 0 ? trimmed.slice(hash + 1).trim() : '';
      const v = classifyValue(valueText.split(/\s+/)[0]!);
      if (!v || v.type === 'email' || v.type === 'asn') {
        problems.push({ code: 'INTEL_BAD_VALUE', line: n, message: `${shown(valueText)} is not an address, domain or URL trail` });
        return;
      }
      const attrs: Record<string, string> = { trail };
      if (comment) attrs.comment = comment;
      if (aliases) attrs.aliases = aliases;
      if (note) attrs.note = note;
      if (references.length > 1) attrs.references = references.join(' ');
      const indicator = makeIndicator(v, n, line, defaults, { reference: references[0] ?? null, attrs });
      // Trails repeat (the same C2 under two reports): the first line is the provenance.
      if (!byKey.has(`${v.type} ${v.value}`)) byKey.set(`${v.type} ${v.value}`, indicator);
    });
    return { feed: 'maltrail', source, indicators: [...byKey.values()], problems, meta: { title: `maltrail ${trail} trails${aliases ? ` (${aliases})` : ''}` }, entries };
  },
};
