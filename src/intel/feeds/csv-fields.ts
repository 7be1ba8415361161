// A small CSV field splitter for feed files: quoted fields with doubled quotes, and the
// ", " separators (comma and space) that abuse.ch's ThreatFox export uses.

/** Splits one CSV line into fields; undefined when a quote is left open. */
export function splitCsvLine(line: string, separator = ','): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && line[i] === ' ') i++;
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) return undefined;
        const c = line[i]!;
        if (c === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += c;
        i++;
      }
      while (i < n && line[i] === ' ') i++;
      fields.push(value);
      if (i >= n) return fields;
      if (line[i] !== separator) return undefined;
      i++;
    } else {
      const next = line.indexOf(separator, i);
      const end = next < 0 ? n : next;
      fields.push(line.slice(i, end).trim());
      if (next < 0) return fields;
      i = next + 1;
    }
  }
}
