// `vantage share stix|misp`: findings and active threat indicators exported as a STIX 2.1 bundle
// or a MISP event, to stdout or a file.

import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { shareInputs, type ShareInputs } from '../../share/share-inputs.js';
import { exportMisp } from '../../share/misp/misp-export.js';
import { exportStix } from '../../share/stix/stix-export.js';
import type { Store } from '../../store/store.js';
import { withStore } from '../context.js';
import { tlpOption } from './taxii.js';
import { timeFlag } from '../flag-values.js';

interface ShareCli {
  org: string;
  tlp: string;
  since?: string;
  out?: string;
  info?: string;
  noIndicators?: boolean;
  indicators: boolean;
}

function load(store: Store, cli: ShareCli): Promise<ShareInputs> {
  return shareInputs(store, { since: cli.since === undefined ? undefined : timeFlag(cli.since, '--since'), indicators: cli.indicators });
}

function emit(text: string, out: string | undefined, what: string, skipped: number): void {
  if (out) {
    writeFileSync(out, text);
    process.stderr.write(`${what} written to ${out}${skipped ? ` (${skipped} values left out: no equivalent or allow-listed)` : ''}.\n`);
  } else process.stdout.write(text);
}

/** Registers `vantage share`. */
export function registerShare(program: Command): void {
  const share = program.command('share').description('export findings and indicators for peers: STIX 2.1 bundle or MISP event');
  const common = (c: Command) =>
    c
      .option('--org <name>', 'our organisation (the identity / Orgc of the export)', 'Vantage')
      .option('--tlp <level>', 'TLP 2.0 level: clear, green, amber, amber+strict, red', 'amber')
      .option('--since <time>', 'findings active (and indicators seen) since (ISO 8601, epoch or relative like -7d)')
      .option('--no-indicators', 'findings only (no intelligence indicators)')
      .option('--out <file>', 'write to a file instead of stdout');

  common(share.command('stix').description('a STIX 2.1 bundle (identity, TLP marking, indicators, observed data, sightings, relationships)')).action(
    async (cli: ShareCli, command: Command) => {
      const tlp = tlpOption(cli.tlp);
      const report = await withStore(command, async (store) => exportStix(await load(store, cli), { organisation: cli.org, tlp }));
      emit(`${JSON.stringify(report.bundle, null, 2)}\n`, cli.out, `STIX bundle of ${report.bundle.objects.length} objects`, report.skipped.length);
    },
  );

  common(share.command('misp').description('a MISP event (attributes with to_ids, evidence comments, TLP tag)'))
    .option('--info <title>', 'the event title', 'Vantage findings and indicators')
    .action(async (cli: ShareCli, command: Command) => {
      const tlp = tlpOption(cli.tlp);
      const report = await withStore(command, async (store) => exportMisp(await load(store, cli), { organisation: cli.org, tlp, info: cli.info ?? 'Vantage findings and indicators' }));
      emit(`${JSON.stringify(report.event, null, 2)}\n`, cli.out, `MISP event of ${report.event.Event.Attribute.length} attributes`, report.skipped.length);
    });
}
