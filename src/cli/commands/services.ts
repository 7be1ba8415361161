// `vantage services`: the services table from the command line: `derive` finds services in the
// flows of a window (addresses answering enough distinct clients on a port), `of IP` lists what
// an address serves, `port N` who serves a port.

import { Command, Option } from 'commander';
import { VantageError } from '../../core/errors.js';
import { normalizeTransport } from '../../decode/services/service-observation.js';
import { DEFAULT_MIN_CLIENTS, deriveServices } from '../../store/derive-services.js';
import { hostsServing, servicesOf, type ServiceRow } from '../../store/services-table.js';
import type { ResultRow } from '../../store/store.js';
import { withStore } from '../context.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { timeFlag, wholeNumberFlag } from '../flag-values.js';

function wholeNumber(text: string, what: string, max: number): number {
  return wholeNumberFlag(text, what, { max });
}

/** Rows as printed: times in ISO 8601. */
function printable(rows: readonly (ServiceRow & { clients?: number })[]): ResultRow[] {
  return rows.map((r) => ({
    ip: r.ip, port: r.port, transport: r.transport, source: r.source, ...(r.clients !== undefined ? { clients: r.clients } : {}),
    service: r.service, product: r.product, banner: r.banner, first_seen: new Date(r.firstSeen).toISOString(), last_seen: new Date(r.lastSeen).toISOString(), count: r.count,
  })) as ResultRow[];
}

const output = () => new Option('--output <format>', 'output format').choices([...OUTPUT_FORMATS]).default('table');

/** Registers `vantage services`. */
export function registerServices(program: Command): void {
  const services = program.command('services').description('services (address, port, transport) from nmap and masscan scans and from flows');
  services
    .command('derive')
    .description(`find services in flows: an address that answered at least --min-clients distinct clients on a port (source 'flows'); stored in the services table`)
    .option('--from <time>', 'window start over flow start (ISO 8601, epoch, or relative like -24h); default: all flows')
    .option('--to <time>', 'window end (exclusive); default: all flows')
    .option('--min-clients <n>', 'distinct clients an address must have answered on the port', String(DEFAULT_MIN_CLIENTS))
    .option('--dry-run', 'print what would be stored without storing it')
    .addOption(output())
    .action(async (cli: { from?: string; to?: string; minClients: string; dryRun?: boolean; output: OutputFormat }, command: Command) => {
      const now = Date.now();
      const from = cli.from === undefined ? undefined : timeFlag(cli.from, '--from', now);
      const to = cli.to === undefined ? undefined : timeFlag(cli.to, '--to', now);
      const minClients = wholeNumber(cli.minClients, '--min-clients', 1_000_000);
      const found = await withStore(command, (store) => deriveServices(store, { from, to, minClients, store: cli.dryRun !== true }));
      process.stdout.write(formatRows(printable(found), cli.output));
    });
  services
    .command('of')
    .description('what an address serves')
    .argument('<ip>', 'an IPv4 or IPv6 address')
    .addOption(output())
    .action(async (ip: string, cli: { output: OutputFormat }, command: Command) => {
      const rows = await withStore(command, (store) => servicesOf(store, ip));
      process.stdout.write(formatRows(printable(rows), cli.output));
    });
  services
    .command('port')
    .description('the addresses serving a port')
    .argument('<port>', 'a port number')
    .option('--transport <name>', 'tcp, udp or sctp (default: any)')
    .addOption(output())
    .action(async (portText: string, cli: { transport?: string; output: OutputFormat }, command: Command) => {
      const port = Number(portText);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new VantageError('USAGE', `port must be a whole number from 0 to 65535, got '${portText}'`);
      const transport = cli.transport === undefined ? undefined : normalizeTransport(cli.transport);
      if (cli.transport !== undefined && !transport) throw new VantageError('USAGE', `--transport must be tcp, udp or sctp, got '${cli.transport}'`);
      const rows = await withStore(command, (store) => hostsServing(store, port, transport));
      process.stdout.write(formatRows(printable(rows), cli.output));
    });
}
