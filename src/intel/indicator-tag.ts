// The tag an indicator puts on the flows it matches: short, stable, and queryable with
// `tag NAME` (docs/intel.md lists the scheme).

import type { Indicator } from './indicator.js';

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The part of a source name after its feed prefix ("maltrail:emotet" -> "emotet"). */
function sourceSuffix(source: string): string {
  const colon = source.indexOf(':');
  return slug(colon >= 0 ? source.slice(colon + 1) : source);
}

/**
 * The flow tag of an indicator:
 * - allow-list entries: `allow:<list>` (a MISP warninglist's short name, an allow-list's name);
 * - Spamhaus DROP/EDROP/DROPv6/ASN-DROP: `drop`;
 * - ipsum: `ipsum:<number of blacklists>` (levels files: the level);
 * - everything else: `<feed>:<family>` (`feodo:pikabot`, `maltrail:emotet`, `threatfox:cobalt-strike`,
 *   `misp:sofacy`), or `<feed>:<source name>` when the feed gives no family (`stix:apt1`, `list:partners`).
 */
export function indicatorTag(i: Pick<Indicator, 'kind' | 'feed' | 'family' | 'source' | 'attrs'>): string {
  if (i.kind === 'allow') return `allow:${slug(i.family ?? sourceSuffix(i.source))}`;
  switch (i.feed) {
    case 'spamhaus':
      return 'drop';
    case 'ipsum':
      return `ipsum:${i.attrs.lists ?? '1'}`;
    default:
      return `${i.feed}:${i.family ? slug(i.family) : sourceSuffix(i.source)}`;
  }
}
