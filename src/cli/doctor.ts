import { type Auth, ConfigError, createAuth } from '../index.ts';
import { attributeToEnv, settingsFromEnv } from '../server/index.ts';
import { type CliIo, EXIT, UsageError } from './output.ts';

function printPosture(auth: Auth, io: CliIo): void {
  const { posture } = auth;
  io.out(`mode:        ${posture.mode}`);
  io.out(`base URL:    ${posture.baseUrl}`);
  io.out(`database:    ${posture.database}`);
  for (const [name, backend] of Object.entries(posture.stores)) io.out(`store ${name.padEnd(9)} ${backend}`);
  io.out(`mail:        ${posture.mail}`);
  io.out(`workers:     ${posture.workers}`);
  io.out(`proxy hops:  ${posture.trustedProxyHops}`);
  io.out(
    `secrets:     ${posture.secrets.ids.join(', ')} (active: ${posture.secrets.ids[0]}; from ${posture.secrets.source})`,
  );
}

/** Checks one dependency and prints its state; `false` when it failed. */
async function probe(name: string, check: () => Promise<unknown>, io: CliIo): Promise<boolean> {
  try {
    await check();
    io.out(`check ${name.padEnd(9)} ok`);
    return true;
  } catch (error) {
    io.out(`check ${name.padEnd(9)} FAILED (${(error as Error).name})`);
    return false;
  }
}

/**
 * `gatehouse doctor`: prints the posture the environment gives (mode, database, each store's
 * backend, mail, every warning) and checks that the database, the stores and the schema are
 * usable. Exits 1 when the configuration is refused or a check fails.
 */
export async function doctorCommand(args: readonly string[], io: CliIo): Promise<number> {
  if (args.length > 0) throw new UsageError('doctor takes no arguments');
  let auth: Auth;
  try {
    auth = await createAuth({ logLevel: 'silent', ...settingsFromEnv(io.env).config });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(attributeToEnv(error, io.env).message);
    return EXIT.failed;
  }
  try {
    printPosture(auth, io);
    const results = [
      await probe('database', () => auth.database.ping(), io),
      await probe('stores', () => auth.stores.ping(), io),
      await probe(
        'schema',
        async () => {
          const pending = (await auth.migrationStatus()).filter((m) => !m.appliedAt);
          if (pending.length > 0)
            throw Object.assign(new Error(), { name: `${pending.length} migrations pending` });
        },
        io,
      ),
    ];
    if (auth.posture.warnings.length === 0) io.out('warnings:    none');
    for (const warning of auth.posture.warnings) io.out(`warning ${warning.code}: ${warning.message}`);
    return results.every(Boolean) ? EXIT.ok : EXIT.failed;
  } finally {
    await auth.close();
  }
}
