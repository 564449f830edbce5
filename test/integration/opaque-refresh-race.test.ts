/**
 * Threat: one refresh token raced (a thief against its owner, or two tabs at once) with
 * opaque access tokens, where the session row holds the digest of the one live access token.
 * However many callers present the token at the same moment, exactly one may rotate it, and
 * the access token it was issued with must be the only one that works afterwards — a loser
 * must never leave its own access digest behind, nor keep the replaced token alive.
 *
 * Two levels:
 * - the rotation itself (`sessions.rotate` with the new access digest, as the token service
 *   calls it): exactly one winner, every loser told `reused`, and of every access token the
 *   racers minted (and the one the session started with) only the winner's is accepted by
 *   `verifyAccessToken`, after which the winner's refresh token refreshes normally;
 * - the HTTP route: exactly one 200 with an opaque pair, every loser 401 REFRESH_TOKEN_INVALID;
 *   the losers presented a token that was already rotated, so the session is revoked for
 *   reuse and no access token of it works any more (the documented reuse rule).
 *
 * Each runs in one process (SQLite with memory stores; PostgreSQL with Redis) and across two
 * worker processes, each a full instance with its own connection pool, sharing PostgreSQL and
 * Redis with this one. The workers are this file run with {@link WORKER_FLAG}.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { createDigester } from '../../src/crypto/digest.ts';
import { newOpaqueToken, parseOpaqueToken } from '../../src/crypto/opaque-token.ts';
import { SESSIONS_KEY_PURPOSES as KEY_PURPOSES } from '../../src/features/sessions/index.ts';
import { type Auth, type AuthConfigInput, createAuth, generateSecret } from '../../src/index.ts';
import type { MailMessage } from '../../src/mail/contract.ts';
import {
  capturingTransport,
  createHarness,
  type Harness,
  harnessAround,
  harnessConfig,
  send,
} from '../fixtures/auth-harness.ts';
import { type LineWorker, startLineWorker } from '../fixtures/line-worker.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

/** Run as `node <this file> --opaque-race-worker <database url> <redis url> <secret> <data dir>`. */
const WORKER_FLAG = '--opaque-race-worker';
const THIS_FILE = fileURLToPath(import.meta.url);
const CALLERS = 40;
const ROUNDS = 2;
const POOL_SIZE = 10;
const WORKERS = 2;
const WORKER_TIMEOUT_MS = 15_000;
const OPAQUE_ACCESS_TOKEN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;
const HOUR = 3_600_000;

/** One racer's rotation: its outcome and the pair it would have handed out had it won. */
interface RotationAttempt {
  readonly outcome: 'rotated' | 'reused' | 'invalid' | 'error';
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly message?: string;
}

/** One racer's POST /auth/refresh, as the client saw it. */
interface RefreshAttempt {
  readonly status: number;
  readonly code: string | null;
  readonly accessToken: string | null;
  readonly refreshToken: string | null;
}

/** A line a worker reads: race `count` callers with `refreshToken`, at one of the two levels. */
interface RaceCommand {
  readonly level: 'rotate' | 'refresh';
  readonly refreshToken: string;
  readonly count: number;
}

function opaqueConfig(overrides: AuthConfigInput): AuthConfigInput {
  return { ...overrides, tokens: { access: 'opaque' } };
}

/** The keyed digest the server stores for `secret` under `purpose` (same secrets, same key). */
function digestOf(auth: Auth, purpose: string, secret: string): string {
  return createDigester({
    active: () => auth.keyring.active(purpose),
    byId: (id) => auth.keyring.byId(purpose, id),
  }).digest(secret);
}

/**
 * Fires `count` rotations of the session behind `refreshToken` at once, each with its own new
 * refresh and opaque access token, exactly as a refresh writes them.
 */
function raceRotations(auth: Auth, refreshToken: string, count: number): Promise<RotationAttempt[]> {
  const parsed = parseOpaqueToken(refreshToken);
  assert.ok(parsed, 'a well-formed refresh token');
  const presented = digestOf(auth, KEY_PURPOSES.refreshDigest, parsed.secret);
  const now = Date.now();
  return Promise.all(
    Array.from({ length: count }, async (): Promise<RotationAttempt> => {
      const refresh = newOpaqueToken(parsed.id);
      const access = newOpaqueToken(parsed.id);
      try {
        const result = await auth.repositories.sessions.rotate(
          parsed.id,
          presented,
          digestOf(auth, KEY_PURPOSES.refreshDigest, refresh.secret),
          {
            now,
            idleExpiresAt: now + HOUR,
            accessDigest: digestOf(auth, KEY_PURPOSES.accessDigest, access.secret),
            accessExpiresAt: now + HOUR / 4,
          },
        );
        return { outcome: result.outcome, accessToken: access.token, refreshToken: refresh.token };
      } catch (error) {
        return {
          outcome: 'error',
          accessToken: access.token,
          refreshToken: refresh.token,
          message: error instanceof Error ? error.message : String(error),
        };
      }
    }),
  );
}

/** Fires `count` POST /auth/refresh with one refresh token at once. */
function raceRefreshes(auth: Auth, refreshToken: string, count: number): Promise<RefreshAttempt[]> {
  return Promise.all(
    Array.from({ length: count }, async (): Promise<RefreshAttempt> => {
      const response = await send(auth, 'POST', '/auth/refresh', { body: { refreshToken } });
      return {
        status: response.status,
        code: response.body?.code ?? null,
        accessToken: response.body?.accessToken ?? null,
        refreshToken: response.body?.refreshToken ?? null,
      };
    }),
  );
}

function race(auth: Auth, command: RaceCommand): Promise<RotationAttempt[] | RefreshAttempt[]> {
  return command.level === 'rotate'
    ? raceRotations(auth, command.refreshToken, command.count)
    : raceRefreshes(auth, command.refreshToken, command.count);
}

/** Opens every pooled connection, so the race is between statements, not connection handshakes. */
async function warmPool(auth: Auth): Promise<void> {
  await Promise.all(
    Array.from({ length: POOL_SIZE }, () => sql`select pg_sleep(0.05)`.execute(auth.database.db)),
  );
}

/**
 * The worker side: a full opaque-token instance on the shared database and Redis. Prints
 * `ready`, then answers each {@link RaceCommand} line with one JSON line of attempts.
 */
async function runWorker(args: readonly string[]): Promise<void> {
  const [databaseUrl, redisUrl, secret, dataDir] = args;
  if (!databaseUrl || !redisUrl || !secret || !dataDir) {
    throw new Error('usage: <database url> <redis url> <secret> <data dir>');
  }
  const auth = await createAuth({
    ...harnessConfig(
      { secret, dataDir },
      {
        config: opaqueConfig({
          database: { url: databaseUrl, poolSize: POOL_SIZE },
          stores: { backend: 'redis', url: redisUrl },
        }),
      },
    ),
    mail: { transport: capturingTransport([]) },
  });
  await warmPool(auth);
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    const attempts = await race(auth, JSON.parse(line) as RaceCommand);
    process.stdout.write(`${JSON.stringify(attempts)}\n`);
  }
  await auth.close();
}

/** One winner, every loser told `reused`; returns the winner. */
function assertOneRotation(attempts: readonly RotationAttempt[], expected: number): RotationAttempt {
  assert.equal(attempts.length, expected);
  assert.deepEqual(
    attempts.filter((attempt) => attempt.outcome === 'error'),
    [],
    'no rotation failed',
  );
  const winners = attempts.filter((attempt) => attempt.outcome === 'rotated');
  assert.equal(winners.length, 1, `exactly one rotation wins (got ${winners.length})`);
  assert.equal(
    attempts.filter((attempt) => attempt.outcome === 'reused').length,
    expected - 1,
    'every loser sees a reuse, none sees invalid',
  );
  return winners[0] as RotationAttempt;
}

/** Of every access token minted in the race and the one it replaced, only the winner's works. */
async function assertOnlyWinnerWorks(
  auth: Auth,
  attempts: readonly RotationAttempt[],
  winner: RotationAttempt,
  replaced: string,
): Promise<void> {
  const principal = await auth.api.verifyAccessToken(winner.accessToken);
  assert.equal(principal.sessionId, winner.accessToken.split('.')[0]);
  const refused = [replaced, ...attempts.filter((a) => a !== winner).map((a) => a.accessToken)];
  const outcomes = await Promise.allSettled(refused.map((token) => auth.api.verifyAccessToken(token)));
  const accepted = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
  assert.equal(
    accepted,
    0,
    `${accepted} of ${refused.length} losing or replaced access tokens were accepted`,
  );
  // Cached by now, and still the winner's.
  assert.equal((await auth.api.verifyAccessToken(winner.accessToken)).userId, principal.userId);
}

/** Exactly one 200 with an opaque pair; every loser 401 REFRESH_TOKEN_INVALID. Returns the winner. */
function assertOneRefresh(attempts: readonly RefreshAttempt[], expected: number): RefreshAttempt {
  assert.equal(attempts.length, expected);
  const winners = attempts.filter((attempt) => attempt.status === 200);
  assert.equal(winners.length, 1, `statuses: ${attempts.map((attempt) => attempt.status).join(',')}`);
  for (const loser of attempts.filter((attempt) => attempt.status !== 200)) {
    assert.equal(loser.status, 401);
    assert.equal(loser.code, 'REFRESH_TOKEN_INVALID');
    assert.equal(loser.accessToken, null, 'a loser gets no token');
  }
  const winner = winners[0] as RefreshAttempt;
  assert.match(winner.accessToken ?? '', OPAQUE_ACCESS_TOKEN);
  return winner;
}

/**
 * The losers replayed a rotated token: the session is revoked for reuse, and neither the
 * winner's pair nor the original access token works.
 */
async function assertRevokedForReuse(
  h: Harness,
  winner: RefreshAttempt,
  original: { accessToken: string },
): Promise<void> {
  const sessionId = original.accessToken.split('.')[0] ?? '';
  const credentials = await h.auth.repositories.sessions.findCredentials(sessionId);
  assert.equal(credentials?.session.revokedReason, 'refresh_token_reuse');
  assert.equal(credentials?.accessDigest, null, 'the revoked session keeps no access digest');
  for (const token of [winner.accessToken ?? '', original.accessToken]) {
    assert.equal((await h.get('/users/me', { token })).status, 401);
  }
  assert.equal((await h.post('/auth/refresh', { refreshToken: winner.refreshToken })).status, 401);
}

/** Rotation rounds through `raceOnce`, then the last winner's refresh token refreshes over HTTP. */
async function rotationRounds(
  h: Harness,
  raceOnce: (refreshToken: string) => Promise<RotationAttempt[]>,
): Promise<void> {
  const me = await h.signedInUser();
  let current = { accessToken: me.accessToken, refreshToken: me.refreshToken };
  let loser: RotationAttempt | undefined;
  for (let round = 1; round <= ROUNDS; round++) {
    const attempts = await raceOnce(current.refreshToken);
    const winner = assertOneRotation(attempts, CALLERS);
    await assertOnlyWinnerWorks(h.auth, attempts, winner, current.accessToken);
    const credentials = await h.auth.repositories.sessions.findCredentials(
      me.accessToken.split('.')[0] ?? '',
    );
    assert.equal(credentials?.session.revokedAt, null, 'the session is live');
    current = winner;
    loser = attempts.find((attempt) => attempt !== winner);
  }
  // A loser's refresh token was never stored: refused, without harming the session.
  assert.ok(loser);
  const refused = await h.post('/auth/refresh', { refreshToken: loser.refreshToken });
  assert.equal(refused.status, 401, refused.text);
  assert.equal(refused.body.code, 'REFRESH_TOKEN_INVALID');
  const refreshed = await h.post('/auth/refresh', { refreshToken: current.refreshToken });
  assert.equal(refreshed.status, 200, refreshed.text);
  assert.equal((await h.get('/users/me', { token: refreshed.body.accessToken })).status, 200);
  assert.equal((await h.get('/users/me', { token: current.accessToken })).status, 401);
}

if (process.argv[2] === WORKER_FLAG) {
  await runWorker(process.argv.slice(3));
} else {
  describe('opaque refresh race in one process (SQLite + memory)', () => {
    let h: Harness;
    before(async () => {
      h = await createHarness({ config: opaqueConfig({}) });
    });
    after(() => h?.close());

    it(`rotate - ${CALLERS} concurrent rotations should have one winner whose access token alone works`, async () => {
      await rotationRounds(h, (refreshToken) => raceRotations(h.auth, refreshToken, CALLERS));
    });

    it(`POST /auth/refresh - ${CALLERS} concurrent refreshes should give exactly one opaque pair`, async () => {
      const me = await h.signedInUser();
      const winner = assertOneRefresh(await raceRefreshes(h.auth, me.refreshToken, CALLERS), CALLERS);
      await assertRevokedForReuse(h, winner, me);
    });
  });

  describe('opaque refresh race on PostgreSQL + Redis', () => {
    let postgres: PostgresServer;
    let redis: RedisServer;
    let dataDir = '';
    let h: Harness;
    const workers: LineWorker[] = [];

    before(async () => {
      [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
      dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-opaque-race-'));
      const databaseUrl = await postgres.createDatabase();
      const secret = generateSecret();
      const mail: MailMessage[] = [];
      const auth = await createAuth({
        ...harnessConfig(
          { secret, dataDir },
          {
            config: opaqueConfig({
              database: { url: databaseUrl, poolSize: POOL_SIZE },
              stores: { backend: 'redis', url: redis.url },
            }),
          },
        ),
        mail: { transport: capturingTransport(mail) },
      });
      h = harnessAround(auth, mail, () => auth.close());
      await auth.migrate();
      await warmPool(auth);
      for (let index = 0; index < WORKERS; index++) {
        workers.push(
          startLineWorker(THIS_FILE, [WORKER_FLAG, databaseUrl, redis.url, secret, dataDir], {
            timeoutMs: WORKER_TIMEOUT_MS,
            nodeArgs: ['--disable-warning=ExperimentalWarning'],
          }),
        );
      }
      for (const worker of workers) assert.equal(await worker.nextLine(), 'ready');
    });

    after(async () => {
      for (const worker of workers) {
        worker.child.stdin.end();
        worker.child.kill();
      }
      await h?.close();
      await Promise.allSettled([postgres?.stop(), redis?.stop()]);
      await rm(dataDir, { recursive: true, force: true });
    });

    /** Sends one command to every worker back to back (the shared start signal) and merges the answers. */
    async function raceAcrossWorkers<T>(command: Omit<RaceCommand, 'count'>): Promise<T[]> {
      const line = `${JSON.stringify({ ...command, count: CALLERS / WORKERS })}\n`;
      for (const worker of workers) worker.child.stdin.write(line);
      const perWorker = await Promise.all(
        workers.map(async (worker) => JSON.parse(await worker.nextLine()) as T[]),
      );
      for (const attempts of perWorker) assert.equal(attempts.length, CALLERS / WORKERS);
      return perWorker.flat();
    }

    it(`rotate in one process - ${CALLERS} concurrent rotations should have one winner whose access token alone works`, async () => {
      await rotationRounds(h, (refreshToken) => raceRotations(h.auth, refreshToken, CALLERS));
    });

    it(`POST /auth/refresh in one process - ${CALLERS} concurrent refreshes should give exactly one opaque pair`, async () => {
      const me = await h.signedInUser();
      const winner = assertOneRefresh(await raceRefreshes(h.auth, me.refreshToken, CALLERS), CALLERS);
      await assertRevokedForReuse(h, winner, me);
    });

    it(`rotate across ${WORKERS} processes - ${CALLERS} rotations should have one winner whose access token alone works`, async () => {
      await rotationRounds(h, (refreshToken) =>
        raceAcrossWorkers<RotationAttempt>({ level: 'rotate', refreshToken }),
      );
    });

    it(`POST /auth/refresh across ${WORKERS} processes - ${CALLERS} refreshes should give exactly one opaque pair`, async () => {
      const me = await h.signedInUser();
      const attempts = await raceAcrossWorkers<RefreshAttempt>({
        level: 'refresh',
        refreshToken: me.refreshToken,
      });
      const winner = assertOneRefresh(attempts, CALLERS);
      await assertRevokedForReuse(h, winner, me);
    });
  });
}
