// `vantage pivot ENTITY`: the graph of what the datasets connect an address, a domain, a network,
// an AS or a certificate to, expanded to a depth, as JSON (nodes and edges) or as readable lists.

import { Command, Option } from 'commander';
import { openGeoDatabase } from '../../enrich/geo-database.js';
import { parseEntity } from '../../pivot/entity.js';
import { assertPivotable, pivot, type PivotGraph } from '../../pivot/pivot-graph.js';
import type { ResultRow } from '../../store/store.js';
import { withStore } from '../context.js';
import { formatRows, toJson } from '../output.js';
import { timeFlag, wholeNumberFlag } from '../flag-values.js';

interface PivotCli {
  depth: string;
  from?: string;
  to?: string;
  limit: string;
  format: 'json' | 'table';
  geo: boolean;
  asnDb?: string;
}

function whole(text: string, flag: string, max: number): number {
  return wholeNumberFlag(text, flag, { max });
}

/** The graph as text: nodes by depth, then edges, then what each step left out. */
export function pivotText(g: PivotGraph): string {
  const nodes = g.nodes.map((n) => ({ depth: n.depth, id: n.id, tags: [...n.tags] })) as unknown as ResultRow[];
  const edges = g.edges.map((e) => ({ from: e.from, relation: e.relation, to: e.to, count: e.count, bytes: e.bytes ?? null, ports: e.ports ? [...e.ports].map(String) : [], first: e.first, last: e.last })) as unknown as ResultRow[];
  let out = `pivot from ${g.root}, depth ${g.depth}: ${g.nodes.length} nodes, ${g.edges.length} edges in ${g.ms} ms${g.timedOut ? ' (stopped at the deadline)' : ''}\n\nNodes\n`;
  out += formatRows(nodes, 'table', ['depth', 'id', 'tags']);
  out += `\nEdges\n${formatRows(edges, 'table', ['from', 'relation', 'to', 'count', 'bytes', 'ports', 'first', 'last'])}`;
  if (g.truncated.length > 0) {
    out += '\nLeft out (strongest edges kept)\n';
    out += formatRows(g.truncated.map((t) => ({ ...t })) as unknown as ResultRow[], 'table', ['node', 'relation', 'shown', 'total']);
  }
  return out;
}

/** Registers `vantage pivot`. */
export function registerPivot(program: Command): void {
  program
    .command('pivot')
    .description('expand the graph around an entity: peers, passive DNS, services, certificates, fingerprints, banners, AS prefixes, intelligence')
    .argument('<entity>', 'an address, a domain, a network (10.0.0.0/24), an AS number (AS64500) or a certificate SHA-256')
    .option('--depth <n>', 'steps from the entity (1-4)', '2')
    .option('--from <time>', 'flows starting at or after (ISO 8601, epoch, or relative like -7d)')
    .option('--to <time>', 'flows starting before')
    .option('--limit <n>', 'edges kept per node and relation, strongest first', '10')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('json'))
    .option('--no-geo', 'skip the ASN database (no in-asn edges from addresses, no announces edges)')
    .option('--asn-db <file>', 'ASN database instead of the bundled one')
    .action(async (text: string, cli: PivotCli, command: Command) => {
      const entity = parseEntity(text);
      assertPivotable(entity);
      const now = Date.now();
      const options = {
        depth: whole(cli.depth, '--depth', 4),
        limit: whole(cli.limit, '--limit', 1000),
        from: cli.from === undefined ? undefined : timeFlag(cli.from, '--from', now),
        to: cli.to === undefined ? undefined : timeFlag(cli.to, '--to', now),
      };
      const geo = cli.geo ? openGeoDatabase({ asnDb: cli.asnDb }) : undefined;
      const graph = await withStore(command, (store) => pivot(store, entity, { ...options, geo }));
      process.stdout.write(cli.format === 'json' ? `${toJson(graph)}\n` : pivotText(graph));
    });
}
