// IP address and prefix maths for v4 and v6, without I/O: parse, format, and CIDR ranges.

/**
 * An IP address: IPv4 as an unsigned 32-bit `number`, IPv6 as a 128-bit `bigint`.
 * The JS type tells the family, so no tag is needed on the hot path. IPv4-mapped
 * IPv6 addresses (::ffff:a.b.c.d) are normalised to IPv4.
 */
export type Ip = number | bigint;

/** An inclusive address range of one family, as produced by a CIDR. */
export interface IpRange {
  readonly family: 4 | 6;
  readonly first: Ip;
  readonly last: Ip;
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;
const V6_MAX = (1n << 128n) - 1n;

/** True for an IPv4 address in the `Ip` representation. */
export function isV4(ip: Ip): ip is number {
  return typeof ip === 'number';
}

/** Parses dotted-quad IPv4; returns undefined when the text is not exactly one. */
export function parseIpv4(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255 || digits > 3) return undefined;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

/** Parses an IPv6 address (RFC 4291 text forms, including an embedded dotted quad). */
export function parseIpv6(text: string): bigint | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const groups: number[] = [];
  const pushGroups = (parts: string[], into: number[], allowV4Last: boolean): boolean => {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (allowV4Last && i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return false;
        into.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return false;
      into.push(parseInt(part, 16));
    }
    return true;
  };
  const tailGroups: number[] = [];
  if (!pushGroups(head, groups, halves.length === 1)) return undefined;
  if (!pushGroups(tail, tailGroups, true)) return undefined;
  if (halves.length === 1) {
    if (groups.length !== 8) return undefined;
  } else {
    const missing = 8 - groups.length - tailGroups.length;
    if (missing < 1) return undefined;
    for (let i = 0; i < missing; i++) groups.push(0);
  }
  groups.push(...tailGroups);
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 becomes IPv4. Undefined if invalid. */
export function parseIp(text: string): Ip | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return v4;
  if (!text.includes(':')) return undefined;
  // The mapped form is how ClickHouse writes every IPv4 address: parse it without bigints.
  if (text.startsWith('::ffff:')) {
    const mapped = parseIpv4(text.slice(7));
    if (mapped !== undefined) return mapped;
  }
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  return v6 >> 32n === 0xffffn ? Number(v6 & 0xffffffffn) : v6;
}

/** Formats an IPv4 number as a dotted quad. */
export function formatIpv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** Formats an IPv6 bigint in RFC 5952 canonical form (lower case, longest zero run compressed). */
export function formatIpv6(ip: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((ip >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

/** Formats either family. */
export function formatIp(ip: Ip): string {
  return typeof ip === 'number' ? formatIpv4(ip) : formatIpv6(ip);
}

/** The IPv4-mapped IPv6 form of an address (IPv6 passes through): one 128-bit space for both. */
export function toV6Space(ip: Ip): bigint {
  return typeof ip === 'number' ? V4_MAPPED_PREFIX | BigInt(ip) : ip;
}

/**
 * Parses a network in the forms analysts type: `10.0.0.0/8`, `172.16/16` (nfdump's short form),
 * `2001:db8::/32`, or an address with a dotted netmask given separately. Host bits are cleared.
 */
export function parseCidr(text: string, netmask?: string): IpRange | undefined {
  let addrText = text;
  let bits: number | undefined;
  const slash = text.indexOf('/');
  if (slash >= 0) {
    addrText = text.slice(0, slash);
    const bitsText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bitsText)) return undefined;
    bits = Number(bitsText);
  }
  if (netmask !== undefined) {
    if (bits !== undefined) return undefined;
    const mask = parseIpv4(netmask);
    if (mask === undefined) return undefined;
    bits = 0;
    while (bits < 32 && (mask & (2 ** (31 - bits))) !== 0) bits++;
    if (ipv4Mask(bits) !== mask) return undefined; // non-contiguous masks are not networks
  }
  if (!addrText.includes(':')) {
    // nfdump accepts abbreviated IPv4 networks such as 172.16/16.
    const parts = addrText.split('.');
    if (parts.length < 1 || parts.length > 4) return undefined;
    while (parts.length < 4) parts.push('0');
    const v4 = parseIpv4(parts.join('.'));
    if (v4 === undefined) return undefined;
    const b = bits ?? 32;
    if (b > 32) return undefined;
    const mask = ipv4Mask(b);
    const first = (v4 & mask) >>> 0;
    return { family: 4, first, last: (first | (~mask >>> 0)) >>> 0 };
  }
  const v6 = parseIpv6(addrText);
  if (v6 === undefined) return undefined;
  const b = bits ?? 128;
  if (b > 128) return undefined;
  const hostMask = b === 128 ? 0n : (1n << BigInt(128 - b)) - 1n;
  const first = v6 & (V6_MAX ^ hostMask);
  return { family: 6, first, last: first | hostMask };
}

function ipv4Mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** The range of one address. */
export function singleRange(ip: Ip): IpRange {
  return { family: typeof ip === 'number' ? 4 : 6, first: ip, last: ip };
}

/** True when an address falls inside a range (families must agree). */
export function rangeContains(range: IpRange, ip: Ip): boolean {
  if (range.family === 4) return typeof ip === 'number' && ip >= (range.first as number) && ip <= (range.last as number);
  return typeof ip === 'bigint' && ip >= (range.first as bigint) && ip <= (range.last as bigint);
}
