// Intelligence that corroborates a finding: the threat indicators (and allow-list entries) that
// name an address of the finding, with their provenance, looked up in the in-memory index.

import { formatIp, parseIp, type Ip } from '../core/ip.js';
import type { StoredIndicator } from '../intel/indicator.js';
import { detects, type IntelIndex } from '../intel/intel-index.js';
import { indicatorTag } from '../intel/indicator-tag.js';
import type { FindingIntel } from './finding.js';

/** Threat indicators naming the address (with `port`, address:port indicators too). */
export function threatIntel(index: IntelIndex<StoredIndicator>, ip: Ip | string, port?: number): FindingIntel[] {
  const address = typeof ip === 'string' ? parseIp(ip) : ip;
  if (address === undefined) return [];
  const value = formatIp(address);
  const out: FindingIntel[] = [];
  const seen = new Set<string>();
  for (const m of index.matchAddress(address, port)) {
    const i = m.indicator;
    if (!detects(i)) continue;
    const key = `${i.source}\u0000${i.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ value, indicator: i.value, source: i.source, tag: indicatorTag(i), family: i.family, confidence: i.confidence });
  }
  return out;
}

/** True when an allow-list entry covers the address (a finding against it is expected to be noise). */
export function allowListed(index: IntelIndex<StoredIndicator>, ip: Ip | string): boolean {
  const address = typeof ip === 'string' ? parseIp(ip) : ip;
  if (address === undefined) return false;
  return index.matchAddress(address).some((m) => m.indicator.kind === 'allow');
}
