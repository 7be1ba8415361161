// Number, byte and time formatting for tables and charts.

/** 1234567 -> "1.23M". */
export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e12) return `${(n / 1e12).toFixed(2)}T`;
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toLocaleString('en-US');
}

/** Bytes with a binary-free SI unit (network people count in 1000s). */
export function bytes(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} TB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** ISO time as "2026-10-31 12:00:01.123" (UTC, as stored). */
export function utc(iso: string | null | undefined): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace('Z', '');
}

/** Cell text of any value. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 50: 'ESP', 58: 'ICMPv6', 132: 'SCTP' };

/** Protocol number with its name. */
export function protocol(n: unknown): string {
  return typeof n === 'number' && PROTOCOLS[n] ? `${PROTOCOLS[n]}` : cell(n);
}
