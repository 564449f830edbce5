#!/usr/bin/env node
import { ConfigError } from '../index.ts';
import { attributeToEnv } from '../server/index.ts';
import { auditCommand } from './audit.ts';
import { createUserCommand } from './create-user.ts';
import { doctorCommand } from './doctor.ts';
import { generateSecretCommand } from './generate-secret.ts';
import { keysCommand } from './keys.ts';
import { migrateCommand } from './migrate.ts';
import { type CliIo, EXIT, processIo, UsageError } from './output.ts';
import { pruneCommand } from './prune.ts';
import { serveCommand } from './serve.ts';
import { usersCommand } from './users.ts';

const USAGE = `Usage: gatehouse <command>

Commands:
  serve [--migrate] [--workers <n>]
                         run the standalone auth server (configured by environment variables)
  migrate [up|status]    apply pending database migrations, or list them
  doctor                 print the mode, database, stores, mail and every warning; check them
  generate-secret        print a fresh 256-bit secret (base64url) for GATEHOUSE_SECRETS
  create-user --email <email> [--name <name>] [--admin] [--verified]
                         create an account; the password is read from stdin (prompted on a
                         terminal); --admin gives the admin role and implies --verified
  keys status            count encrypted values (TOTP seeds, provider tokens, signing keys) per key id
  keys reencrypt [--batch-size <n>]
                         re-encrypt every value still under an older secret with the active one
  prune [--batch-size <n>] [--task <name>]
                         remove expired sessions, old audit events and other expired rows now,
                         in batches (one process at a time; the server also prunes hourly)
  users list [--q <text>] [--role <role>] [--active true|false] [--limit <n>] [--json]
  users show|disable|enable|unlock|reset-2fa <id|email>
  users create --email <email> [--name <name>] [--role <role>]… [--verified]
  users delete <id|email> [--hard]
                         manage accounts as the admin API does (the last admin is kept; audited)
  audit tail [--limit <n>] [--type <type>] [--user <id>] [--follow] [--json]
                         print the newest audit events; --follow keeps printing new ones

Exit codes: 0 success, 1 failure, 2 usage error. See the README for environment variables.`;

const COMMANDS: Record<string, (args: readonly string[], io: CliIo) => number | Promise<number>> = {
  serve: serveCommand,
  migrate: migrateCommand,
  doctor: doctorCommand,
  'generate-secret': generateSecretCommand,
  'create-user': createUserCommand,
  keys: keysCommand,
  prune: pruneCommand,
  users: usersCommand,
  audit: (args, io) => auditCommand(args, io),
};

/** Runs one command line; returns the exit code instead of exiting, so tests call it in process. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.err : io.out)(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`gatehouse: unknown command (run \`gatehouse help\`)\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    return await command(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`gatehouse ${name}: ${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      // Problems of options read from a JSON variable name that variable.
      io.err(attributeToEnv(error, io.env).message);
      return EXIT.failed;
    }
    // Known failures (a missing peer dependency, an unreachable database) carry a message
    // written for operators; anything else is a bug, printed with its stack.
    const coded = error as Error & { code?: string };
    io.err(coded.code ? `gatehouse ${name}: ${coded.message}` : String(coded.stack ?? coded));
    return EXIT.failed;
  }
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2));
}
