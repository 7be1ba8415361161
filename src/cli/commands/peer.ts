// `vantage peer`: the peer Vantage instances we ask for sightings (add, list, remove), and
// `vantage peer ask VALUE`, which asks them all at once whether they have seen an indicator and
// prints one line per peer (aggregates only: no flows are exchanged).

import { Command } from 'commander';
import { VantageError } from '../../core/errors.js';
import { askPeers, DEFAULT_ASK_TIMEOUT_MS, type PeerAnswer } from '../../share/peers/ask-peers.js';
import { maskToken, PeerRepository } from '../../share/peers/peer-repository.js';
import { parseSightingTarget } from '../../share/peers/sighting.js';
import type { Store } from '../../store/store.js';
import { withStore } from '../context.js';

async function repository(store: Store): Promise<PeerRepository> {
  const repo = new PeerRepository(store);
  await repo.ensureTables();
  return repo;
}

/** The answers as a fixed-width table: peer, flows, packets, bytes, first, last, error. */
export function formatAnswers(answers: readonly PeerAnswer[]): string {
  const rows = [
    ['PEER', 'FLOWS', 'PACKETS', 'BYTES', 'PEERS', 'FIRST', 'LAST', 'ERROR'],
    ...answers.map((a) => {
      const s = a.sighting;
      return s
        ? [a.peer, String(s.flows), String(s.packets), String(s.bytes), String(s.distinctPeers), s.first ?? '-', s.last ?? '-', '']
        : [a.peer, '-', '-', '-', '-', '-', '-', a.error ?? 'no answer'];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const numeric = new Set([1, 2, 3, 4]);
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

function timeoutOption(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) throw new VantageError('USAGE', `--timeout must be seconds between 0 and 600, not '${text}'`);
  return Math.round(seconds * 1000);
}

/** Registers `vantage peer`. */
export function registerPeer(program: Command): void {
  const peer = program.command('peer').description('peer Vantage instances: ask them whether they have seen an indicator (counts, first/last seen)');

  peer
    .command('add')
    .description("add (or replace) a peer: its server URL and the token it issued us (ask for one with the 'peer' role)")
    .argument('<name>', 'a short name for the peer')
    .argument('<url>', 'base URL of its Vantage server, e.g. https://vantage.peer.example:8080')
    .requiredOption('--token <token>', 'the bearer token the peer issued to us')
    .action(async (name: string, url: string, o: { token: string }, command: Command) => {
      const { peer: p, replaced } = await withStore(command, async (store) => (await repository(store)).add({ name, url, token: o.token }));
      process.stdout.write(`${replaced ? 'Replaced' : 'Added'} peer '${p.name}' at ${p.url} (token ${maskToken(p.token)}).\n`);
    });

  peer
    .command('list')
    .description('the peers, with their URLs (tokens masked)')
    .action(async (_o: unknown, command: Command) => {
      const peers = await withStore(command, async (store) => (await repository(store)).list());
      if (peers.length === 0) {
        process.stdout.write('No peers (vantage peer add NAME URL --token T).\n');
        return;
      }
      const width = Math.max(...peers.map((p) => p.name.length));
      for (const p of peers) process.stdout.write(`${p.name.padEnd(width)}  ${p.url}  ${maskToken(p.token)}  added ${p.addedAt}\n`);
    });

  peer
    .command('remove')
    .description('forget a peer')
    .argument('<name>')
    .action(async (name: string, _o: unknown, command: Command) => {
      const removed = await withStore(command, async (store) => (await repository(store)).remove(name));
      if (!removed) throw new VantageError('NOT_FOUND', `no peer '${name}' (vantage peer list)`);
      process.stdout.write(`Removed peer '${name}'.\n`);
    });

  peer
    .command('ask')
    .description('ask peers (all, or those named) whether they have seen an address, a network or a domain')
    .argument('<value>', 'an address, a network (CIDR) or a domain')
    .option('--peer <name...>', 'only these peers (repeatable)')
    .option('--from <time>', 'flows starting at or after (ISO 8601, epoch, or relative like -7d: the peer reads it)')
    .option('--to <time>', 'flows starting before')
    .option('--timeout <seconds>', 'how long to wait for each peer', String(DEFAULT_ASK_TIMEOUT_MS / 1000))
    .option('--json', 'print the answers as JSON (every field of each sighting)')
    .action(async (value: string, o: { peer?: string[]; from?: string; to?: string; timeout: string; json?: boolean }, command: Command) => {
      // Checked here first, so a typo is one clear error rather than one per peer.
      const target = parseSightingTarget(value);
      const timeoutMs = timeoutOption(o.timeout);
      const peers = await withStore(command, async (store) => (await repository(store)).pick(o.peer ?? []));
      if (peers.length === 0) throw new VantageError('USAGE', 'no peers to ask: add one with vantage peer add NAME URL --token T');
      const answers = await askPeers(peers, target.value, { from: o.from, to: o.to, timeoutMs });
      process.stdout.write(o.json ? `${JSON.stringify(answers, null, 2)}\n` : formatAnswers(answers));
    });
}
