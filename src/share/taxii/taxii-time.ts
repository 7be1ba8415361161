// TAXII timestamps with microseconds: date_added is kept as epoch microseconds so that every
// object version a server adds gets its own instant, and `added_after` paging never skips or
// repeats objects that share a millisecond.

/** Epoch microseconds as an RFC 3339 UTC timestamp with six fractional digits. */
export function formatMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // ...ss.mmmZ
  return `${iso.slice(0, 23)}${String(us % 1000).padStart(3, '0')}Z`;
}

/** Parses an RFC 3339 UTC timestamp (any number of fractional digits) to epoch microseconds. */
export function parseMicros(text: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/i.exec(text.trim());
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(seconds)) return undefined;
  const fraction = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return seconds * 1000 + Number(fraction);
}
