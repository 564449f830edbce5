import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { type Auth, createAuth, isAuthError } from '../index.ts';
import { settingsFromEnv } from '../server/index.ts';
import { type CliIo, type CliStdin, EXIT, UsageError } from './output.ts';

/** Longest name accepted, as in the HTTP API. */
const NAME_MAX_LENGTH = 200;
/**
 * More bytes than any password the policy accepts (1024 code points of at most 4 bytes);
 * reading stops there, so a mistaken `< big-file` cannot exhaust memory.
 */
const STDIN_MAX_BYTES = 64 * 1024;

/** A failure the operator can act on: printed as is, exit code 1. */
class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
}

interface CreateUserOptions {
  readonly email: string;
  readonly name: string | undefined;
  readonly admin: boolean;
  readonly verified: boolean;
}

/** Operator-facing text for each password policy reason code. */
function describeReason(reason: string, auth: Auth): string {
  const { minLength, maxLength } = auth.config.passwords;
  switch (reason) {
    case 'too_short':
      return `too_short (fewer than ${minLength} characters)`;
    case 'too_long':
      return `too_long (more than ${maxLength} characters)`;
    case 'common':
      return 'common (a common password, or a simple variation of one)';
    case 'contains_email':
      return "contains_email (contains the email address's local part)";
    case 'contains_context':
      return "contains_context (contains the service's name or another context word)";
    case 'breached':
      return 'breached (found in a data breach; choose another)';
    default:
      return reason;
  }
}

function parseOptions(args: readonly string[]): CreateUserOptions {
  // A password on the command line lands in shell history and `ps`: refuse it outright, and
  // without echoing the argument.
  if (args.some((arg) => /^(--?pass(word)?|-p)(=|$)/i.test(arg))) {
    throw new UsageError('the password is read from standard input, never from arguments');
  }
  const usage = 'create-user takes --email <email> [--name <name>] [--admin] [--verified], each at most once';
  let values: { email?: string[]; name?: string[]; admin?: boolean; verified?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        // `multiple`, so a repeated value is refused rather than the last one silently winning.
        email: { type: 'string', multiple: true },
        name: { type: 'string', multiple: true },
        admin: { type: 'boolean' },
        verified: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch {
    // parseArgs quotes the offending argument; a mistyped flag may hold a secret.
    throw new UsageError(usage);
  }
  if ((values.email?.length ?? 0) > 1 || (values.name?.length ?? 0) > 1) throw new UsageError(usage);
  const email = values.email?.[0];
  if (email === undefined || email.trim() === '') throw new UsageError('--email is required');
  const name = values.name?.[0]?.trim();
  if (name !== undefined && (name.length === 0 || name.length > NAME_MAX_LENGTH)) {
    throw new UsageError(`--name must be 1 to ${NAME_MAX_LENGTH} characters`);
  }
  const admin = values.admin === true;
  // The operator vouches for the address; an admin whose email still needed a mail round trip
  // could not sign in where login requires a verified email, so --admin implies --verified.
  return { email, name, admin, verified: admin || values.verified === true };
}

/** The whole of a piped stdin, minus one trailing newline (what `echo` or a heredoc adds). */
async function readPipedPassword(stdin: CliStdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    size += buffer.length;
    if (size > STDIN_MAX_BYTES) throw new CommandFailure('standard input is too long to be a password');
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

/**
 * Asks for the password twice on a terminal without echoing it: readline drives the terminal
 * in raw mode and its echo goes to a sink that drops everything. Prompts go to stderr, so
 * stdout carries only the result.
 */
async function promptPassword(stdin: CliStdin, io: CliIo): Promise<string> {
  const silent = new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  const rl = createInterface({ input: stdin, output: silent, terminal: true });
  const lines: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  let ended = false;
  rl.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else lines.push(line);
  });
  const end = (): void => {
    ended = true;
    for (const next of waiting.splice(0)) next(null);
  };
  rl.on('close', end);
  // Ctrl-C in raw mode arrives as a key, not a signal: treat it as giving up.
  rl.on('SIGINT', () => rl.close());
  const nextLine = (): Promise<string | null> => {
    const queued = lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (ended) return Promise.resolve(null);
    return new Promise((resolve) => waiting.push(resolve));
  };
  try {
    io.err('Password (not shown):');
    const first = await nextLine();
    if (first === null) throw new CommandFailure('cancelled: no password entered');
    io.err('Repeat the password:');
    const second = await nextLine();
    if (second === null) throw new CommandFailure('cancelled: no password entered');
    if (first !== second) throw new CommandFailure('the two passwords do not match; nothing was created');
    return first;
  } finally {
    rl.close();
  }
}

async function readPassword(io: CliIo): Promise<string> {
  const { stdin } = io;
  if (stdin === undefined) {
    throw new CommandFailure('no standard input: pipe the password in, or run in a terminal to be prompted');
  }
  const password = stdin.isTTY ? await promptPassword(stdin, io) : await readPipedPassword(stdin);
  if (password.length === 0) {
    throw new CommandFailure(
      'no password given: pipe it on standard input, or run in a terminal to be prompted',
    );
  }
  return password;
}

async function createUser(auth: Auth, options: CreateUserOptions, io: CliIo): Promise<number> {
  const pending = (await auth.migrationStatus()).filter((m) => m.appliedAt === null);
  if (pending.length > 0) {
    throw new CommandFailure(`${pending.length} migrations pending: run \`gatehouse migrate up\` first`);
  }
  // Checked before asking for the password, so the operator does not type it for nothing;
  // `create` still refuses a clash that happens meanwhile.
  if (await auth.api.users.findByEmail(options.email)) {
    throw new CommandFailure('an account with this email already exists');
  }
  const password = await readPassword(io);
  let user: Awaited<ReturnType<Auth['api']['users']['create']>>;
  try {
    user = await auth.api.users.create({
      email: options.email,
      password,
      name: options.name ?? null,
      roles: options.admin ? ['admin'] : [],
      emailVerified: options.verified,
    });
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError('--email must be an email address');
    if (!isAuthError(error)) throw error;
    if (error.code === 'USER_ALREADY_EXISTS') {
      throw new CommandFailure('an account with this email already exists');
    }
    if (error.code === 'PASSWORD_POLICY') {
      const reasons = (error.extensions?.reasons as readonly string[] | undefined) ?? [];
      throw new CommandFailure(
        `the password was refused: ${reasons.map((reason) => describeReason(reason, auth)).join('; ')}`,
      );
    }
    throw error;
  }
  io.out(`id: ${user.id}`);
  io.out(`email: ${user.email}`);
  return EXIT.ok;
}

/**
 * `gatehouse create-user --email <email> [--name <name>] [--admin] [--verified]`: creates an
 * account with a password read from standard input (prompted twice without echo on a
 * terminal, else the whole of stdin minus one trailing newline), never from the arguments.
 * `--admin` gives the `admin` role and implies `--verified`. Prints the new user's id and
 * email. Exit 1 when the schema is not migrated, the email is taken or the password is
 * refused (with the policy's reasons); exit 2 for a wrong command line.
 */
export async function createUserCommand(args: readonly string[], io: CliIo): Promise<number> {
  const options = parseOptions(args);
  const { config } = settingsFromEnv(io.env);
  // Silent: stdout carries the result only, and nothing about the account is logged.
  const auth = await createAuth({ ...config, logLevel: 'silent' });
  try {
    return await createUser(auth, options, io);
  } catch (error) {
    if (!(error instanceof CommandFailure)) throw error;
    io.err(`gatehouse create-user: ${error.message}`);
    return EXIT.failed;
  } finally {
    await auth.close();
  }
}
