// `vantage intel load|match|list|stats`: threat-intelligence feeds into the store, what is
// known about a value (with provenance), and which feeds are loaded and how fresh they are.

import { Command, Option } from 'commander';
import { wholeNumberFlag } from '../flag-values.js';
import { openGeoDatabase, type GeoDatabase } from '../../enrich/geo-database.js';
import { loadIntelIndex } from '../../enrich/create-enricher.js';
import { describeMatches, type MatchAnswer } from '../../intel/describe-match.js';
import { isBadInput } from '../../intel/feed-parser.js';
import { classifyValue, FEED_KINDS, type FeedKind } from '../../intel/indicator.js';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import { FeedLoadError, loadFeeds, type FileLoadFailure, type FileLoadSummary } from '../../intel/load-feeds.js';
import type { ResultRow } from '../../store/store.js';
import { VantageError } from '../../core/errors.js';
import { withStore } from '../context.js';
import { formatRows, OUTPUT_FORMATS, toJson, type OutputFormat } from '../output.js';

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** "3d 4h" style age, for freshness columns. */
function age(ms: number | null, now: number): string | null {
  if (ms === null) return null;
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86400 * 2) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

function parseConfidence(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return wholeNumberFlag(text, '--confidence', { min: 0, max: 100 });
}

interface LoadCli {
  feed?: FeedKind;
  allow?: boolean;
  source?: string;
  family?: string;
  confidence?: string;
  strict?: boolean;
  allowEmpty?: boolean;
  json?: boolean;
}

interface MatchCli {
  format: 'json' | 'table';
  geo: boolean;
  asnDb?: string;
  geoDb?: string;
}

/** `intel load --json`: one object per file, the loaded ones with their problems, then the failed ones with their error. */
function writeLoadJson(loaded: readonly FileLoadSummary[], failed: readonly FileLoadFailure[]): void {
  const out = [
    ...loaded.map(({ problems, ...s }) => ({ ...s, problems: problems.map((p) => ({ line: p.line, code: p.code, message: p.message })) })),
    ...failed.map(({ file, ...error }) => ({ file, error })),
  ];
  process.stdout.write(`${toJson(out)}\n`);
}

function registerLoad(intel: Command): void {
  intel
    .command('load')
    .description('load threat-intel feeds into the store (reloading a feed updates its entries and expires the ones it dropped)')
    .argument('<files...>', 'feed files (.gz read directly)')
    .addOption(new Option('--feed <kind>', 'feed format (default: told from each file)').choices(FEED_KINDS))
    .option('--allow', 'load as an allow-list: values that must never be blocked')
    .option('--source <name>', 'source name for the feed (default: from the feed, e.g. maltrail:emotet)')
    .option('--family <name>', 'malware family or owner for a plain list')
    .option('--confidence <0-100>', 'confidence for a plain list')
    .option('--strict', 'fail at the first rejected entry')
    .option('--allow-empty', 'accept a feed with no indicators (expires every entry of its source)')
    .option('--json', 'print a JSON summary to stdout')
    .action(async (files: string[], cli: LoadCli, command: Command) => {
      let summaries: FileLoadSummary[];
      try {
        summaries = await withStore(command, async (store) => {
          const repository = new IndicatorRepository(store);
          await repository.ensureTables();
          return loadFeeds(
            repository,
            files,
            {
              feed: cli.feed,
              kind: cli.allow ? 'allow' : 'threat',
              source: cli.source,
              family: cli.family,
              confidence: parseConfidence(cli.confidence),
              strict: cli.strict === true,
              allowEmpty: cli.allowEmpty === true,
            },
            { stderr: process.stderr },
          );
        });
      } catch (err) {
        // What did load is still reported before the error (and exit status 1).
        if (cli.json && err instanceof FeedLoadError) writeLoadJson(err.loaded, err.failed);
        throw err;
      }
      if (cli.json) writeLoadJson(summaries, []);
      // Bad entries exit 1, with the rest loaded; entries of a kind Vantage cannot match
      // (INTEL_UNSUPPORTED) are reported, not bad input.
      const bad = summaries.reduce((n, s) => n + s.problems.filter(isBadInput).length, 0);
      if (bad > 0) {
        const loaded = summaries.reduce((n, s) => n + s.active, 0);
        throw new VantageError('IMPORT_RECORD', `${bad} feed ${bad === 1 ? 'entry' : 'entries'} rejected (listed above); the other ${loaded} indicators were loaded`);
      }
    });
}

/** The answers for `intel match`, with ASN/country context for addresses when a database is given. */
async function answer(command: Command, values: readonly string[], geo: GeoDatabase | undefined): Promise<MatchAnswer[]> {
  return withStore(command, async (store) => {
    const index = await loadIntelIndex(store);
    const repository = new IndicatorRepository(store);
    const out: MatchAnswer[] = [];
    for (const value of values) {
      const found = index.matchValue(value);
      const parsed = classifyValue(value);
      const expired = parsed ? await repository.history(parsed.type, parsed.value) : [];
      let a = describeMatches(found, expired);
      if (geo && parsed && (parsed.type === 'ip' || parsed.type === 'ip-port')) {
        const g = geo.lookup(parsed.ip);
        a = { ...a, context: { asn: g.asn, as_org: g.asOrg, country: g.country } };
      }
      out.push(a);
    }
    return out;
  });
}

function registerMatch(intel: Command): void {
  intel
    .command('match')
    .description('what is known about addresses, networks, address:port, domains, URLs or hashes, with provenance (JSON)')
    .argument('<values...>', 'values to look up')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('json'))
    .option('--no-geo', 'skip the ASN/country context')
    .option('--asn-db <file>', 'ASN database instead of the bundled one')
    .option('--geo-db <file>', 'country database instead of the bundled one')
    .action(async (values: string[], cli: MatchCli, command: Command) => {
      const geo = cli.geo ? openGeoDatabase({ asnDb: cli.asnDb, countryDb: cli.geoDb }) : undefined;
      const answers = await answer(command, values, geo);
      if (cli.format === 'json') {
        process.stdout.write(`${JSON.stringify(answers, null, 2)}\n`);
        return;
      }
      const rows: ResultRow[] = answers.flatMap((a) =>
        [...a.matches, ...a.allow].map((m) => ({
          query: a.query,
          indicator: m.indicator,
          how: m.how,
          kind: m.kind,
          source: m.source,
          tag: m.flow_tag,
          reference: m.reference,
          file: `${m.file}:${m.line}`,
        })),
      );
      process.stdout.write(formatRows(rows, 'table', ['query', 'indicator', 'how', 'kind', 'source', 'tag', 'reference', 'file']));
    });
}

function registerList(intel: Command): void {
  intel
    .command('list')
    .description('loaded feeds: source, format, file, entries, when loaded and how old the feed is')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (cli: { format: OutputFormat }, command: Command) => {
      const feeds = await withStore(command, async (store) => {
        const repository = new IndicatorRepository(store);
        await repository.ensureTables();
        return repository.feeds();
      });
      const now = Date.now();
      const rows: ResultRow[] = feeds.map((f) => ({
        source: f.source,
        feed: f.feed,
        active: f.active,
        rejected: f.rejected,
        added: f.added,
        expired: f.expired,
        loaded_at: iso(f.loaded_at),
        generated_at: iso(f.generated_at),
        feed_age: age(f.generated_at ?? f.loaded_at, now),
        file: f.file,
        title: f.title,
      }));
      process.stdout.write(formatRows(rows, cli.format, ['source', 'feed', 'active', 'rejected', 'added', 'expired', 'loaded_at', 'generated_at', 'feed_age', 'file', 'title']));
    });
}

function registerStats(intel: Command): void {
  intel
    .command('stats')
    .description('indicator counts by source, type and kind; index sizes; the ASN/geo database in use')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('table'))
    .option('--no-geo', 'do not open the ASN/geo database')
    .action(async (cli: { format: 'json' | 'table'; geo: boolean }, command: Command) => {
      const { counts, index } = await withStore(command, async (store) => {
        const index = await loadIntelIndex(store);
        return { counts: await new IndicatorRepository(store).counts(), index: index.stats };
      });
      const geo = cli.geo ? openGeoDatabase() : undefined;
      if (cli.format === 'json') {
        process.stdout.write(`${toJson({ counts, index, geo: geo?.sources ?? [] })}\n`);
        return;
      }
      process.stdout.write(formatRows(counts as unknown as ResultRow[], 'table', ['source', 'type', 'kind', 'active', 'expired']));
      process.stdout.write(
        `index: ${index.indicators} indicators, ${index.ranges} address ranges in ${index.v4Intervals} IPv4 + ${index.v6Intervals} IPv6 intervals, ${index.domains} domains, ${index.asns} ASNs\n`,
      );
      for (const s of geo?.sources ?? []) process.stdout.write(`${s.part}: ${s.description}, ${s.ranges} ranges\n`);
    });
}

/** Registers `vantage intel`. */
export function registerIntel(program: Command): void {
  const intel = program.command('intel').description('threat-intelligence feeds: load, match, list, stats');
  registerLoad(intel);
  registerMatch(intel);
  registerList(intel);
  registerStats(intel);
}
