// stamparm/ipsum: `IP<TAB>number of blacklists` (ipsum.txt), or the plain `levels/N.txt` files
// (addresses on at least N lists). The count is the feed's confidence.

import { classifyValue, type Indicator } from '../indicator.js';
import { makeIndicator, shown, splitLines, type FeedParser, type FeedProblem, type IndicatorDefaults } from '../feed-parser.js';

/**
 * Confidence from the number of blacklists: 10 per list, capped at 100. ipsum's own advice is
 * that one list is noise and three or more is worth blocking, so 30 is where blocking starts.
 */
export function ipsumConfidence(lists: number): number {
  return Math.min(100, lists * 10);
}

/** The level a `levels/N.txt` path names, if it is one. */
export function ipsumLevel(file: string): number | undefined {
  const m = /(?:^|[\\/])levels[\\/](\d+)\.txt$/i.exec(file);
  return m ? Number(m[1]) : undefined;
}

/** The ipsum parser. */
export const ipsumFeed: FeedParser = {
  kind: 'ipsum',
  parse(context) {
    const level = ipsumLevel(context.file);
    const source = context.source ?? (level === undefined ? 'ipsum' : `ipsum:level${level}`);
    const defaults: IndicatorDefaults = { source, kind: context.kind, feed: 'ipsum', file: context.file };
    const problems: FeedProblem[] = [];
    const indicators: Indicator[] = [];
    let generatedAt: number | null = null;
    let entries = 0;
    splitLines(context.text).forEach((line, i) => {
      const n = i + 1;
      const trimmed = line.trim();
      if (trimmed === '') return;
      if (trimmed.startsWith('#')) {
        const updated = /Last update:\s*\w{3},\s*(.+)$/i.exec(trimmed);
        if (updated) {
          const ms = Date.parse(updated[1]!);
          if (!Number.isNaN(ms)) generatedAt = ms;
        }
        return;
      }
      entries++;
      const [ipText, countText, ...rest] = trimmed.split(/\s+/);
      const lists = countText === undefined ? level : /^\d+$/.test(countText) ? Number(countText) : undefined;
      if (lists === undefined || rest.length > 0) {
        problems.push({ code: 'INTEL_BAD_LINE', line: n, message: `expected 'IP<TAB>number of lists', got ${shown(trimmed)}` });
        return;
      }
      const v = classifyValue(ipText!);
      if (!v || v.type !== 'ip') {
        problems.push({ code: 'INTEL_BAD_VALUE', line: n, message: `${shown(ipText!)} is not an IP address` });
        return;
      }
      indicators.push(
        makeIndicator(v, n, line, defaults, {
          tags: [`ipsum:${lists}`],
          confidence: ipsumConfidence(lists),
          attrs: { lists: String(lists), ...(countText === undefined ? { at_least: 'true' } : {}) },
          lastSeen: generatedAt,
        }),
      );
    });
    return {
      feed: 'ipsum',
      source,
      indicators,
      problems,
      meta: { generatedAt, title: level === undefined ? 'IPsum aggregate blacklist' : `IPsum level ${level} (on at least ${level} lists)` },
      entries,
    };
  },
};
