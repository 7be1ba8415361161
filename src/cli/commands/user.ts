// `vantage user add|passwd|list|disable|enable`: local users of the web UI and API, stored in the
// store's account tables (passwords hashed with scrypt). Run while `vantage serve` is stopped when
// the store is a DuckDB file (one process owns it), or use the admin API.

import { userInfo } from 'node:os';
import { Command } from 'commander';
import { ApiError } from '../../api/api-error.js';
import type { AccountStore } from '../../api/auth/account-store.js';
import { isRole, type Role } from '../../api/auth/principal.js';
import { AuditLog, type AuditEntry } from '../../api/audit/audit-log.js';
import { VantageError } from '../../core/errors.js';
import { openAccounts } from '../../services/server.js';
import { resolveStoreUrl } from '../../services/store-factory.js';
import { globalOptions, withStore } from '../context.js';

/** The OS user running the command, as the audit trail names CLI actors. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Runs `work` with the store's accounts and an audit function; API errors become CLI errors. */
export async function withAccounts<T>(command: Command, work: (accounts: AccountStore, record: (entry: Omit<AuditEntry, 'client'>) => Promise<void>) => Promise<T>): Promise<T> {
  const url = resolveStoreUrl(globalOptions(command));
  return withStore(command, async (store) => {
    const accounts = await openAccounts(store, url);
    const log = new AuditLog(store, accounts);
    const record = (entry: Omit<AuditEntry, 'client'>) => log.record({ name: cliActor(), kind: 'cli' }, { ...entry, client: 'cli' });
    try {
      return await work(accounts, record);
    } catch (err) {
      if (err instanceof ApiError) throw new VantageError('USAGE', err.message);
      throw err;
    }
  });
}

/** Checks a --role value. */
export function roleOption(text: string | undefined): Role {
  if (!text || !isRole(text)) throw new VantageError('USAGE', `--role must be peer, viewer, analyst or admin, not '${text ?? ''}'`);
  return text;
}

/** Collects repeated --scope values. */
export function collectScope(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    process.stderr.write(question);
    let text = '';
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (err?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new VantageError('USAGE', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    input.on('data', onData);
  });
}

/** A new password: prompted twice on a terminal, else the first line of standard input. */
export async function readNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const line = (await readStdin()).split(/\r?\n/)[0] ?? '';
    if (!line) throw new VantageError('USAGE', 'no password on standard input (give it as the first line)');
    return line;
  }
  const first = await prompt('Password (at least 12 characters): ');
  const second = await prompt('Repeat the password: ');
  if (first !== second) throw new VantageError('USAGE', 'the passwords differ');
  return first;
}

/** Registers `vantage user`. */
export function registerUser(program: Command): void {
  const user = program.command('user').description('manage local users (web UI and API sign-in)');

  user
    .command('add')
    .description('create a user; the password is read from standard input (first line) or prompted for')
    .argument('<name>', 'user name')
    .requiredOption('--role <role>', 'peer | viewer | analyst | admin')
    .option('--scope <cidr>', 'confine the user to flows touching these networks (repeatable, or comma-separated)', collectScope)
    .action(async (name: string, options: { role: string; scope?: string[] }, command: Command) => {
      const role = roleOption(options.role);
      const password = await readNewPassword();
      await withAccounts(command, async (accounts, record) => {
        if (role === 'admin' && options.scope?.length) throw new VantageError('USAGE', 'an admin cannot be limited to networks');
        const created = await accounts.addUser({ name, role, password, scopes: options.scope ?? [] }, `cli`);
        await record({ action: 'user.create', target: name, detail: { role, scopes: created.scopes }, status: 'ok' });
        process.stdout.write(`Created user '${name}' (${role}${created.scopes.length ? `, scoped to ${created.scopes.join(', ')}` : ''}).\n`);
      });
    });

  user
    .command('passwd')
    .description("set a user's password (standard input or prompt)")
    .argument('<name>')
    .action(async (name: string, _o: unknown, command: Command) => {
      const password = await readNewPassword();
      await withAccounts(command, async (accounts, record) => {
        await accounts.updateUser(name, { password }, cliActor());
        await record({ action: 'user.update', target: name, detail: { password: 'changed' }, status: 'ok' });
        process.stdout.write(`Password of '${name}' changed.\n`);
      });
    });

  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    user
      .command(verb)
      .description(`${verb} a user (a disabled user cannot sign in; live sessions end)`)
      .argument('<name>')
      .action(async (name: string, _o: unknown, command: Command) => {
        await withAccounts(command, async (accounts, record) => {
          await accounts.updateUser(name, { disabled }, cliActor());
          await record({ action: 'user.update', target: name, detail: { disabled }, status: 'ok' });
          process.stdout.write(`User '${name}' ${verb}d.\n`);
        });
      });
  }

  user
    .command('list')
    .description('list users')
    .action(async (_o: unknown, command: Command) => {
      await withAccounts(command, async (accounts) => {
        const users = await accounts.listUsers();
        if (users.length === 0) process.stdout.write('No users yet: vantage user add NAME --role admin\n');
        for (const u of users) {
          process.stdout.write(`${u.name.padEnd(20)} ${u.role.padEnd(8)} ${u.disabled ? 'disabled ' : ''}${u.scopes.length ? `scope ${u.scopes.join(',')}` : ''}\n`);
        }
      });
    });
}
