import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import type { Auth } from '../index.ts';
import { commandAuth } from './instance.ts';
import { type CliIo, EXIT, UsageError } from './output.ts';

const USAGE = `users takes one of:
  list [--q <text>] [--role <role>] [--active true|false] [--limit <n>] [--cursor <c>] [--json]
  show <id|email>
  create --email <email> [--name <name>] [--role <role>]… [--verified]
  disable|enable|unlock|reset-2fa <id|email>
  delete <id|email> [--hard]`;

/** Every change made from the command line is audited as the operator's `cli`. */
const AS_CLI = { actor: 'cli' } as const;

function parse(args: readonly string[], options: ParseArgsOptionsConfig) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch {
    // parseArgs quotes what was typed; usage errors never echo it.
    throw new UsageError(USAGE);
  }
}

/** A user named by id or by email address. */
async function resolveUser(auth: Auth, who: string | undefined): Promise<string> {
  if (who === undefined || who === '') throw new UsageError(USAGE);
  const user = who.includes('@') ? await auth.api.users.findByEmail(who) : await auth.api.users.get(who);
  if (!user) throw Object.assign(new Error('no such user'), { code: 'USER_NOT_FOUND' });
  return user.id;
}

type ListedUser = Awaited<ReturnType<Auth['api']['admin']['users']['list']>>['users'][number];

function table(users: readonly ListedUser[]): string[] {
  const header = ['id', 'email', 'roles', 'active', 'verified', '2fa', 'created'];
  const rows = users.map((u) => [
    u.id,
    u.email,
    u.roles.join(',') || '-',
    u.active ? 'yes' : 'no',
    u.emailVerified ? 'yes' : 'no',
    u.twoFactorEnabled ? 'yes' : 'no',
    u.createdAt,
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]?.length ?? 0)));
  return [header, ...rows].map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** `gatehouse users …`: the admin service from the command line, against the configured database. */
export async function usersCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === undefined) throw new UsageError(USAGE);
  const auth = await commandAuth(io);
  try {
    const admin = auth.api.admin.users;
    switch (action) {
      case 'list': {
        const { values, positionals } = parse(rest, {
          q: { type: 'string' },
          role: { type: 'string' },
          active: { type: 'string' },
          limit: { type: 'string' },
          cursor: { type: 'string' },
          json: { type: 'boolean' },
        });
        const limit = values.limit === undefined ? 50 : Number(values.limit);
        const active = values.active;
        if (
          positionals.length > 0 ||
          !Number.isInteger(limit) ||
          limit < 1 ||
          limit > 500 ||
          (active !== undefined && active !== 'true' && active !== 'false')
        )
          throw new UsageError(USAGE);
        const page = await admin.list({
          limit,
          ...(typeof values.q === 'string' ? { q: values.q } : {}),
          ...(typeof values.role === 'string' ? { role: values.role } : {}),
          ...(active === undefined ? {} : { active: active === 'true' }),
          ...(typeof values.cursor === 'string' ? { cursor: values.cursor } : {}),
        });
        if (values.json) {
          io.out(JSON.stringify(page));
        } else {
          for (const line of table(page.users)) io.out(line);
          io.out(page.nextCursor ? `more: --cursor ${page.nextCursor}` : `${page.users.length} users`);
        }
        return EXIT.ok;
      }
      case 'show': {
        const { positionals } = parse(rest, {});
        if (positionals.length !== 1) throw new UsageError(USAGE);
        io.out(JSON.stringify(await admin.get(await resolveUser(auth, positionals[0])), null, 2));
        return EXIT.ok;
      }
      case 'create': {
        const { values, positionals } = parse(rest, {
          email: { type: 'string' },
          name: { type: 'string' },
          role: { type: 'string', multiple: true },
          verified: { type: 'boolean' },
        });
        if (positionals.length > 0 || typeof values.email !== 'string') throw new UsageError(USAGE);
        const user = await admin.create(
          {
            email: values.email,
            ...(typeof values.name === 'string' ? { name: values.name } : {}),
            roles: (values.role as string[] | undefined) ?? [],
            verified: values.verified === true,
          },
          AS_CLI,
        );
        io.out(`created ${user.id} (${user.email}); a link to set a password was mailed to it`);
        return EXIT.ok;
      }
      case 'disable':
      case 'enable': {
        const { positionals } = parse(rest, {});
        if (positionals.length !== 1) throw new UsageError(USAGE);
        const id = await resolveUser(auth, positionals[0]);
        await admin.update(id, { active: action === 'enable' }, AS_CLI);
        io.out(
          `${action === 'enable' ? 'enabled' : 'disabled'} ${id}${action === 'disable' ? '; its sessions and keys stopped' : ''}`,
        );
        return EXIT.ok;
      }
      case 'delete': {
        const { values, positionals } = parse(rest, { hard: { type: 'boolean' } });
        if (positionals.length !== 1) throw new UsageError(USAGE);
        const id = await resolveUser(auth, positionals[0]);
        await admin.delete(id, { hard: values.hard === true }, AS_CLI);
        io.out(values.hard ? `erased ${id}` : `deleted ${id} (soft: restorable until the pruner erases it)`);
        return EXIT.ok;
      }
      case 'unlock': {
        const { positionals } = parse(rest, {});
        if (positionals.length !== 1) throw new UsageError(USAGE);
        const id = await resolveUser(auth, positionals[0]);
        await admin.unlock(id, AS_CLI);
        io.out(`unlocked ${id}`);
        return EXIT.ok;
      }
      case 'reset-2fa': {
        const { positionals } = parse(rest, {});
        if (positionals.length !== 1) throw new UsageError(USAGE);
        const id = await resolveUser(auth, positionals[0]);
        await admin.resetTwoFactor(id, AS_CLI);
        io.out(`two-step verification turned off for ${id}; its sessions ended and the owner was mailed`);
        return EXIT.ok;
      }
      default:
        throw new UsageError(USAGE);
    }
  } finally {
    await auth.close();
  }
}
