// `vantage taxii`: the TAXII 2.1 server's collections and per-token grants, publishing our STIX
// export into a collection, and pulling a peer's collection into intelligence.

import { Command, Option } from 'commander';
import { VantageError } from '../../core/errors.js';
import { openAccounts } from '../../services/server.js';
import { resolveStoreUrl } from '../../services/store-factory.js';
import { isTlpLevel, TLP_LEVELS, type TlpLevel } from '../../share/stix/tlp-marking.js';
import { pullIntoIntel } from '../../share/taxii/taxii-pull.js';
import { publishStix } from '../../share/taxii/taxii-publish.js';
import { TaxiiRepository } from '../../share/taxii/taxii-repository.js';
import type { Store } from '../../store/store.js';
import { globalOptions, withStore } from '../context.js';

async function repository(store: Store): Promise<TaxiiRepository> {
  const repo = new TaxiiRepository(store);
  await repo.ensureTables();
  return repo;
}

/** The TLP level of a --tlp value. */
export function tlpOption(text: string): TlpLevel {
  const t = text.trim().toLowerCase().replace(/^tlp:/, '');
  if (!isTlpLevel(t)) throw new VantageError('USAGE', `--tlp must be one of ${TLP_LEVELS.join(', ')}, not '${text}'`);
  return t;
}

/** Registers `vantage taxii`. */
export function registerTaxii(program: Command): void {
  const taxii = program.command('taxii').description('TAXII 2.1: collections and grants of our server (vantage serve), publishing, pulling from peers');
  const collection = taxii.command('collection').description('collections of our TAXII server');

  collection
    .command('add')
    .description('create a collection (prints its id)')
    .requiredOption('--title <title>', 'what peers see')
    .option('--alias <alias>', 'a short name to use instead of the id')
    .option('--description <text>', 'what it holds')
    .option('--id <uuid>', 'a given id (default: a new random UUID)')
    .action(async (o: { title: string; alias?: string; description?: string; id?: string }, command: Command) => {
      const c = await withStore(command, async (store) => (await repository(store)).addCollection(o));
      process.stdout.write(`${c.id}\n`);
      process.stderr.write(`Collection '${c.title}'${c.alias ? ` (alias ${c.alias})` : ''} created; peers reach it at /taxii2/api1/collections/${c.id}/ once granted.\n`);
    });

  collection
    .command('list')
    .description('collections with the tokens granted on each')
    .action(async (_o: unknown, command: Command) => {
      const url = resolveStoreUrl(globalOptions(command));
      await withStore(command, async (store) => {
        const repo = await repository(store);
        const accounts = await openAccounts(store, url);
        const names = new Map((await accounts.listTokens()).map((t) => [t.id, t.name]));
        const grants = await repo.grants();
        const list = await repo.collections();
        if (list.length === 0) process.stdout.write('No collections.\n');
        for (const c of list) {
          const objects = new Set((await repo.objectMetas(c.id)).map((m) => m.id)).size;
          process.stdout.write(`${c.id}  ${c.alias.padEnd(12)} ${String(objects).padStart(7)} objects  ${c.title}\n`);
          for (const g of grants.filter((x) => x.collectionId === c.id)) {
            process.stdout.write(`    ${[g.read ? 'read' : '', g.write ? 'write' : ''].filter(Boolean).join('+').padEnd(10)} token ${g.tokenId} ${names.get(g.tokenId) ?? '(unknown token)'}\n`);
          }
        }
      });
    });

  taxii
    .command('grant')
    .description("set a token's rights on a collection (no flag: remove its access)")
    .argument('<token>', 'token name or id (vantage token list)')
    .argument('<collection>', 'collection id or alias')
    .option('--read', 'may read objects')
    .option('--write', 'may add and delete objects')
    .action(async (tokenText: string, collectionText: string, o: { read?: boolean; write?: boolean }, command: Command) => {
      const url = resolveStoreUrl(globalOptions(command));
      await withStore(command, async (store) => {
        const repo = await repository(store);
        const c = await repo.collection(collectionText);
        const accounts = await openAccounts(store, url);
        const tokens = (await accounts.listTokens()).filter((t) => !t.revoked && (t.id === tokenText || t.name === tokenText));
        if (tokens.length === 0) throw new VantageError('NOT_FOUND', `no active token named or with id '${tokenText}' (vantage token list)`);
        if (tokens.length > 1) throw new VantageError('USAGE', `${tokens.length} active tokens are named '${tokenText}': give the token id`);
        const g = await repo.grant(tokens[0]!.id, c.id, { read: o.read === true, write: o.write === true });
        const rights = [g.read ? 'read' : '', g.write ? 'write' : ''].filter(Boolean).join(' and ') || 'no access';
        process.stdout.write(`Token ${tokens[0]!.id} '${tokens[0]!.name}': ${rights} on ${c.id} (${c.title}).\n`);
      });
    });

  taxii
    .command('publish')
    .description('export findings and active threat indicators as STIX 2.1 into a collection')
    .argument('<collection>', 'collection id or alias')
    .option('--org <name>', 'our organisation, the identity that signs the objects', 'Vantage')
    .addOption(new Option('--tlp <level>', 'TLP 2.0 marking of every object').default('amber'))
    .action(async (collectionText: string, o: { org: string; tlp: string }, command: Command) => {
      const tlp = tlpOption(o.tlp);
      const s = await withStore(command, (store) => publishStix(store, collectionText, { organisation: o.org, tlp }));
      process.stdout.write(`Published ${s.objects} objects (${s.indicators} indicators, ${s.sightings} sightings) to ${s.collection}: ${s.added} new versions, ${s.unchanged} unchanged.\n`);
    });

  taxii
    .command('pull')
    .description("page through a peer's TAXII collection and load its indicators into intelligence")
    .argument('<url>', 'the TAXII discovery URL (…/taxii2/) or an API root URL')
    .requiredOption('--collection <id>', 'collection id at the peer')
    .option('--token <token>', 'bearer token the peer gave us')
    .option('--added-after <time>', 'only objects the peer added after this time (ISO 8601, epoch or relative like -7d)')
    .option('--source <name>', 'intelligence source name (default taxii:<host>:<collection>)')
    .action(async (url: string, o: { collection: string; token?: string; addedAfter?: string; source?: string }, command: Command) => {
      const summary = await withStore(command, (store) => pullIntoIntel(store, { url, collection: o.collection, token: o.token, addedAfter: o.addedAfter, source: o.source }));
      process.stdout.write(
        `Pulled ${summary.objects} objects in ${summary.pages} page${summary.pages === 1 ? '' : 's'}; ${summary.source}: ${summary.active} active indicators (${summary.added} new, ${summary.updated} updated, ${summary.expired} expired), ${summary.problems} not loadable.\n`,
      );
      if (summary.lastAdded) process.stderr.write(`Next time: --added-after ${summary.lastAdded}\n`);
      for (const p of summary.problemDetails) process.stderr.write(`${url}: ${p.message} [${p.code}]\n`);
      if (summary.problems > summary.problemDetails.length) process.stderr.write(`${url}: ${summary.problems - summary.problemDetails.length} more not shown\n`);
      // Bad objects exit 1, with the rest loaded, as `intel load` does; patterns Vantage cannot match are reported only.
      if (summary.rejected > 0) {
        throw new VantageError('IMPORT_RECORD', `${summary.rejected} STIX ${summary.rejected === 1 ? 'object' : 'objects'} rejected (listed above); the other ${summary.active} indicators were loaded`);
      }
    });
}
