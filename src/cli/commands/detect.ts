// `vantage detect KIND...`: runs detectors over a window of stored flows, saves the findings
// (a continuing detection updates its finding) and prints them.

import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { VantageError } from '../../core/errors.js';
import { detectorKinds } from '../../detect/detectors.js';
import type { Finding } from '../../detect/finding.js';
import { runWatchedDetections } from '../../monitor/watched-detections.js';
import type { ResultRow } from '../../store/store.js';
import { withStore } from '../context.js';
import { formatRows, OUTPUT_FORMATS, toJson, type OutputFormat } from '../output.js';
import { timeFlag, wholeNumberFlag } from '../flag-values.js';

interface DetectCli {
  from?: string;
  to?: string;
  config?: string;
  sample: string;
  save: boolean;
  format: OutputFormat;
}

/** Columns of the table and CSV forms; JSON carries the whole finding. */
export const FINDING_COLUMNS = ['id', 'kind', 'subkind', 'severity', 'score', 'status', 'src', 'dst', 'dport', 'first', 'last', 'summary'];

/** Findings in an output format: whole objects for JSON, one line each for table and CSV. */
export function formatFindings(findings: readonly Finding[], format: OutputFormat): string {
  if (format === 'json') return `${toJson(findings)}\n`;
  if (format === 'jsonl') return findings.map((f) => `${toJson(f)}\n`).join('');
  const rows = findings.map((f) => Object.fromEntries(FINDING_COLUMNS.map((c) => [c, c === 'id' ? f.id.slice(0, 10) : (f as unknown as Record<string, unknown>)[c] ?? null]))) as ResultRow[];
  return formatRows(rows, format, FINDING_COLUMNS);
}

/** Reads `--config FILE`: JSON settings per detector kind. */
function readConfig(file: string | undefined): Record<string, unknown> | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new VantageError('USAGE', `cannot read --config: ${(err as Error).message}`, { file });
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected an object of settings per detector, e.g. {"scan": {"minHosts": 10}}');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new VantageError('DETECT_CONFIG', `bad detector settings: ${(err as Error).message}`, { file });
  }
}

function parseSample(text: string): number {
  return wholeNumberFlag(text, '--sample', { min: 0, max: 1000 });
}

/** Registers `vantage detect`. */
export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description(`run detectors over stored flows and print their findings (kinds: ${detectorKinds().join(', ')}, all)`)
    .argument('[kinds...]', 'detectors to run', ['all'])
    .option('--from <time>', 'window start (ISO 8601, epoch, or relative like -24h); default 24 h before --to')
    .option('--to <time>', 'window end; default just after the newest stored flow')
    .option('--config <file>', 'JSON settings per detector, e.g. {"scan": {"minHosts": 10}} (defaults in docs/detections.md)')
    .option('--sample <n>', 'flows shown as evidence per finding', '5')
    .option('--no-save', 'print the findings without storing them')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (kinds: string[], cli: DetectCli, command: Command) => {
      const now = Date.now();
      const options = {
        kinds,
        from: cli.from === undefined ? undefined : timeFlag(cli.from, '--from', now),
        to: cli.to === undefined ? undefined : timeFlag(cli.to, '--to', now),
        config: readConfig(cli.config),
        sampleSize: parseSample(cli.sample),
        save: cli.save,
        now,
      };
      const report = await withStore(command, (store) => runWatchedDetections(store, options));
      process.stdout.write(formatFindings(report.findings, cli.format));
      for (const d of report.detectors) {
        const extra = Object.entries(d.stats).map(([k, v]) => `${k} ${v}`).join(', ');
        process.stderr.write(`detect ${d.kind}: ${d.findings} finding${d.findings === 1 ? '' : 's'} in ${(d.ms / 1000).toFixed(2)} s${extra ? ` (${extra})` : ''}\n`);
      }
      const w = `${new Date(report.from).toISOString()} .. ${new Date(report.to).toISOString()}`;
      const s = report.saved ? `; stored: ${report.saved.added} new, ${report.saved.updated} updated` : '';
      process.stderr.write(`detect: ${report.findings.length} findings over ${w}${s}\n`);
    });
}
