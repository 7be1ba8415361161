// Tells a feed's format from its name and first kilobytes, and maps each format to its parser.

import type { FeedParser } from './feed-parser.js';
import type { FeedKind } from './indicator.js';
import { feodoFeed } from './feeds/feodo-feed.js';
import { ipsumFeed, ipsumLevel } from './feeds/ipsum-feed.js';
import { maltrailFeed } from './feeds/maltrail-feed.js';
import { mispFeed } from './feeds/misp-feed.js';
import { mispWarninglistFeed } from './feeds/misp-warninglist-feed.js';
import { plainListFeed } from './feeds/plain-list-feed.js';
import { spamhausFeed } from './feeds/spamhaus-feed.js';
import { stixFeed } from './feeds/stix-feed.js';
import { threatfoxFeed } from './feeds/threatfox-feed.js';

/** The parser of each feed kind. */
export const FEED_PARSERS: Record<FeedKind, FeedParser> = {
  feodo: feodoFeed,
  spamhaus: spamhausFeed,
  ipsum: ipsumFeed,
  maltrail: maltrailFeed,
  threatfox: threatfoxFeed,
  stix: stixFeed,
  misp: mispFeed,
  'misp-warninglist': mispWarninglistFeed,
  list: plainListFeed,
};

/**
 * The feed kind of a file, from its content first (headers and JSON keys are unambiguous) and
 * its path second (maltrail trails and ipsum levels look like plain lists inside). Anything
 * else is a plain list.
 */
export function detectFeed(file: string, text: string): FeedKind {
  const head = text.slice(0, 8192);
  const start = head.trimStart();
  if (start.startsWith('{') || start.startsWith('[')) {
    if (/"type"\s*:\s*"bundle"/.test(head) || /"spec_version"\s*:\s*"2\./.test(head) || /"type"\s*:\s*"indicator"/.test(head)) return 'stix';
    if (/"matching_attributes"\s*:/.test(text) && /"list"\s*:/.test(text)) return 'misp-warninglist';
    if (/"Event"\s*:/.test(head) || /"Attribute"\s*:\s*\[/.test(head) || /"Object"\s*:\s*\[/.test(head) || /"response"\s*:\s*\[/.test(head)) return 'misp';
    if (/"sblid"\s*:/.test(head) || (/^\{"(cidr|asn)"/m.test(head) && /"rir"\s*:/.test(head))) return 'spamhaus';
    if (/"ip_address"\s*:/.test(head) && /"malware"\s*:/.test(head)) return 'feodo';
    if (/"ioc_value"\s*:/.test(head) || (/"query_status"\s*:/.test(head) && /"ioc"\s*:/.test(head))) return 'threatfox';
  }
  // Maltrail first: its trails cite other feeds (Spamhaus, abuse.ch) in their references.
  if (/^#.*Maltrail developers/im.test(head) || /[\\/]maltrail[\\/]|[\\/]trails[\\/]/i.test(file)) return 'maltrail';
  if (/^;\s*Spamhaus/im.test(head) || /^\s*[0-9a-f:.]+\/\d+\s*;\s*SBL\d+/im.test(head)) return 'spamhaus';
  if (/^#.*Feodo Tracker/im.test(head) || /"?first_seen_utc"?,\s*"?dst_ip"?/i.test(head)) return 'feodo';
  if (/^#.*ThreatFox/im.test(head) || /"?ioc_id"?,\s*"?ioc_value"?/i.test(head)) return 'threatfox';
  if (/^#\s*IPsum/im.test(head) || ipsumLevel(file) !== undefined || /^\d{1,3}(\.\d{1,3}){3}\t\d+$/m.test(head)) return 'ipsum';
  return 'list';
}
