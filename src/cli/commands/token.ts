// `vantage token create|list|revoke`: API tokens for automation. The token is printed once;
// only a SHA-256 of its secret is stored.

import { Command } from 'commander';
import { VantageError } from '../../core/errors.js';
import { cliActor, collectScope, roleOption, withAccounts } from './user.js';

/** Registers `vantage token`. */
export function registerToken(program: Command): void {
  const token = program.command('token').description('manage API tokens (Authorization: Bearer ...)');

  token
    .command('create')
    .description('create a token and print it (the only time it is shown)')
    .requiredOption('--name <name>', 'what the token is for, e.g. "siem-export"')
    .requiredOption('--role <role>', 'peer | viewer | analyst | admin')
    .option('--scope <cidr>', 'confine the token to flows touching these networks (repeatable, or comma-separated)', collectScope)
    .option('--expires-days <n>', 'stop working after N days')
    .action(async (options: { name: string; role: string; scope?: string[]; expiresDays?: string }, command: Command) => {
      const role = roleOption(options.role);
      let expiresAt: number | null = null;
      if (options.expiresDays !== undefined) {
        const days = Number(options.expiresDays);
        if (!Number.isInteger(days) || days < 1 || days > 3650) throw new VantageError('USAGE', '--expires-days expects a whole number from 1 to 3650');
        expiresAt = Date.now() + days * 86_400_000;
      }
      if (role === 'admin' && options.scope?.length) throw new VantageError('USAGE', 'an admin cannot be limited to networks');
      await withAccounts(command, async (accounts, record) => {
        const { record: created, token: text } = await accounts.createToken({ name: options.name, role, scopes: options.scope ?? [], expiresAt }, cliActor());
        await record({ action: 'token.create', target: created.id, detail: { name: created.name, role, scopes: created.scopes, expiresAt }, status: 'ok' });
        process.stdout.write(`${text}\n`);
        process.stderr.write(`Token ${created.id} '${created.name}' (${role}${created.scopes.length ? `, scoped to ${created.scopes.join(', ')}` : ''}) created. It is shown this once: store it now.\n`);
      });
    });

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .action(async (_o: unknown, command: Command) => {
      await withAccounts(command, async (accounts) => {
        const tokens = await accounts.listTokens();
        if (tokens.length === 0) process.stdout.write('No tokens.\n');
        for (const t of tokens) {
          const state = t.revoked ? 'revoked' : t.expiresAt !== null && t.expiresAt <= Date.now() ? 'expired' : 'active';
          process.stdout.write(`${t.id}  ${t.role.padEnd(8)} ${state.padEnd(8)} ${t.name}${t.scopes.length ? `  scope ${t.scopes.join(',')}` : ''}\n`);
        }
      });
    });

  token
    .command('revoke')
    .description('revoke a token for good')
    .argument('<id>', 'token id (from token list)')
    .action(async (id: string, _o: unknown, command: Command) => {
      await withAccounts(command, async (accounts, record) => {
        await accounts.revokeToken(id, cliActor());
        await record({ action: 'token.revoke', target: id, status: 'ok' });
        process.stdout.write(`Token ${id} revoked.\n`);
      });
    });
}
