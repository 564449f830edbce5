/**
 * Threat: a single-use OAuth value replayed concurrently — a callback URL (with its flow
 * cookie) fired many times at once, by a double-clicking browser or by an attacker who captured
 * both, or an exchange code traded by several clients at once. Each must sign in exactly once:
 *
 * - the callback: exactly one 302 that sets the session cookie; every other racer 400
 *   OAUTH_STATE_INVALID. The mock provider also refuses a second redemption of one code, but
 *   that would surface as OAUTH_PROVIDER_ERROR (same status, other code); requiring
 *   OAUTH_STATE_INVALID of every loser proves the state check decided, before the provider was
 *   asked. The provider grants exactly one token response per race, and the user ends up with
 *   exactly one session.
 * - the exchange: exactly one 200 with a token pair; every other racer 400
 *   OAUTH_EXCHANGE_CODE_INVALID, and exactly one session.
 *
 * Each race runs within one process (SQLite + memory stores) and split across two worker
 * processes, each a full instance with the same configuration, sharing PostgreSQL and Redis
 * with this one (which starts the flows). The workers fire at one agreed instant rather than
 * when their command arrives, so a guard that only holds within a process (a local lock, a
 * local set of used states) loses the race here instead of hiding behind the gap.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Events } from 'oauth2-mock-server';
import { createAuth, generateSecret } from '../../src/index.ts';
import type { MailMessage } from '../../src/mail/contract.ts';
import {
  capturingTransport,
  HARNESS_BASE_URL,
  type Harness,
  harnessAround,
  type JsonResponse,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { type LineWorker, startLineWorker } from '../fixtures/line-worker.ts';
import {
  OAUTH_RACE_WORKER,
  oauthRaceConfig,
  RACE_PROVIDER,
  type RaceAttempt,
  type RaceCommand,
  race,
  type SharedBackends,
  setCookiePair,
  wallClock,
  warmPool,
} from '../fixtures/oauth-race-worker.ts';
import { followAuthorization, type OidcServer, startOidcServer } from '../fixtures/oidc-server.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

const CALLERS = 20;
const WORKERS = 2;
/** Flows raced per case: each is one more chance for the racers to interleave badly. */
const CALLBACK_ROUNDS = 3;
const EXCHANGE_ROUNDS = 5;
const WORKER_TIMEOUT_MS = 20_000;
/** A hung race fails the suite instead of stalling the run. */
const SUITE_TIMEOUT_MS = 60_000;
/** Time for a command to reach every worker before they fire together. */
const START_DELAY_MS = 40;
const FLOW_COOKIE = `__Host-gh_oauth_${RACE_PROVIDER}`;

/** A race without its size and start (the racer decides how many fire, where and when). */
type WithoutStart<C> = C extends RaceCommand ? Omit<C, 'count' | 'startAt'> : never;
type RaceSpec = WithoutStart<RaceCommand>;
/** Fires `CALLERS` copies of one request, in one process or split across the workers. */
type Racer = (spec: RaceSpec) => Promise<RaceAttempt[]>;

let provider: OidcServer;
before(async () => {
  provider = await startOidcServer();
});
after(() => provider?.stop());

/** Builds an instance on `shared` backends (or SQLite + memory), wrapped in the harness helpers. */
async function startInstance(
  shared?: SharedBackends,
): Promise<{ h: Harness; secret: string; dataDir: string }> {
  const secret = generateSecret();
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-oauth-race-'));
  const mail: MailMessage[] = [];
  const auth = await createAuth({
    ...oauthRaceConfig({ secret, dataDir, issuer: provider.issuer }, shared),
    mail: { transport: capturingTransport(mail) },
  });
  await auth.migrate();
  if (shared) await warmPool(auth);
  const h = harnessAround(auth, mail, async () => {
    await auth.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { h, secret, dataDir };
}

/** Makes the provider's next ID token speak for a fresh, verified account; answers its email. */
function nextProviderAccount(): string {
  const email = uniqueEmail('oauth-race');
  const subject = `sub-${randomBytes(9).toString('base64url')}`;
  provider.editNextIdToken((token) => {
    token.payload.sub = subject;
    token.payload.email = email;
    token.payload.email_verified = true;
  });
  return email;
}

/** How many token responses the provider granted while `action` ran. */
async function countGrants<T>(action: () => Promise<T>): Promise<{ result: T; grants: number }> {
  let grants = 0;
  const listener = () => {
    grants += 1;
  };
  provider.server.service.on(Events.BeforeResponse, listener);
  try {
    return { result: await action(), grants };
  } finally {
    provider.server.service.off(Events.BeforeResponse, listener);
  }
}

/** Authorize on `h`, then play the browser at the provider: the callback to call and the flow cookie. */
async function startFlow(
  h: Harness,
  query: { codeChallenge?: string } = {},
): Promise<{ callbackPath: string; flowCookie: string }> {
  const search = new URLSearchParams(query).toString();
  const response = await h.get(`/auth/oauth/${RACE_PROVIDER}/authorize${search ? `?${search}` : ''}`);
  assert.equal(response.status, 302, `authorize answered ${response.status}: ${response.text}`);
  const flowCookie = setCookiePair(response.headers, FLOW_COOKIE);
  assert.ok(flowCookie, 'authorize sets the flow cookie');
  const callbackUrl = await followAuthorization(new URL(response.headers.get('location') ?? ''));
  assert.equal(callbackUrl.pathname, `/auth/oauth/${RACE_PROVIDER}/callback`);
  return { callbackPath: `${callbackUrl.pathname}${callbackUrl.search}`, flowCookie };
}

function describeStatuses(attempts: readonly RaceAttempt[]): string {
  return attempts.map((attempt) => `${attempt.status}${attempt.code ? ` ${attempt.code}` : ''}`).join(', ');
}

/** Exactly one attempt passes `won`; every other one is a 400 with `code` and gets nothing. */
function assertOneWinner(
  attempts: readonly RaceAttempt[],
  won: (attempt: RaceAttempt) => boolean,
  code: string,
): RaceAttempt {
  assert.equal(attempts.length, CALLERS);
  const winners = attempts.filter(won);
  assert.equal(winners.length, 1, `exactly one winner expected; got: ${describeStatuses(attempts)}`);
  const losers = attempts.filter((attempt) => !won(attempt));
  assert.deepEqual(
    losers.map((loser) => `${loser.status} ${loser.code}`),
    losers.map(() => `400 ${code}`),
    `every loser is 400 ${code}; got: ${describeStatuses(attempts)}`,
  );
  for (const loser of losers) {
    assert.equal(loser.sessionCookie, null, 'a loser gets no session cookie');
    assert.equal(loser.accessToken, null, 'a loser gets no access token');
    assert.equal(loser.refreshToken, null, 'a loser gets no refresh token');
  }
  return winners[0] as RaceAttempt;
}

/** The signed-in user of `credentials` is `email`, and has exactly one live session. */
async function assertOneSessionFor(
  h: Harness,
  email: string,
  credentials: { token?: string; headers?: Record<string, string> },
): Promise<void> {
  const me: JsonResponse = await h.get('/users/me', credentials);
  assert.equal(me.status, 200, `GET /users/me answered ${me.status}: ${me.text}`);
  assert.equal(me.body.user.email, email);
  const sessions = await h.get('/users/me/sessions', credentials);
  assert.equal(sessions.status, 200, sessions.text);
  assert.equal(sessions.body.sessions.length, 1, 'the race opened exactly one session');
}

/** One flow, its callback fired `CALLERS` times at once with its flow cookie. */
async function callbackRace(h: Harness, racer: Racer): Promise<void> {
  for (let round = 1; round <= CALLBACK_ROUNDS; round++) {
    const flow = await startFlow(h);
    const email = nextProviderAccount();
    const { result: attempts, grants } = await countGrants(() =>
      racer({ kind: 'callback', path: flow.callbackPath, cookie: flow.flowCookie }),
    );
    const winner = assertOneWinner(
      attempts,
      (attempt) => attempt.status === 302 && attempt.sessionCookie !== null,
      'OAUTH_STATE_INVALID',
    );
    assert.equal(
      new URL(winner.location ?? '', HARNESS_BASE_URL).href,
      `${HARNESS_BASE_URL}/`,
      "the winner goes to the flow's redirectTo",
    );
    assert.equal(grants, 1, 'the provider granted exactly one token response');
    await assertOneSessionFor(h, email, { headers: { Cookie: winner.sessionCookie ?? '' } });
  }
}

/** One SPA flow's exchange code traded `CALLERS` times at once with its verifier. */
async function exchangeRace(h: Harness, racer: Racer): Promise<void> {
  for (let round = 1; round <= EXCHANGE_ROUNDS; round++) {
    const codeVerifier = randomBytes(32).toString('base64url');
    const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
    const flow = await startFlow(h, { codeChallenge });
    const email = nextProviderAccount();
    const callback = await h.get(flow.callbackPath, { headers: { Cookie: flow.flowCookie } });
    assert.equal(callback.status, 302, `callback answered ${callback.status}: ${callback.text}`);
    const code = new URL(callback.headers.get('location') ?? '', HARNESS_BASE_URL).searchParams.get('code');
    assert.ok(code, 'the callback hands out an exchange code');

    const attempts = await racer({ kind: 'exchange', code, codeVerifier });
    const winner = assertOneWinner(
      attempts,
      (attempt) => attempt.status === 200,
      'OAUTH_EXCHANGE_CODE_INVALID',
    );
    assert.ok(winner.accessToken && winner.refreshToken, 'the winner gets a token pair');
    await assertOneSessionFor(h, email, { token: winner.accessToken });
  }
}

describe('OAuth single-use values raced in one process (SQLite + memory)', {
  timeout: SUITE_TIMEOUT_MS,
}, () => {
  let h: Harness;
  before(async () => {
    ({ h } = await startInstance());
  });
  after(() => h?.close());

  const inProcess: Racer = (spec) => race(h.auth, { ...spec, count: CALLERS });

  it(`replayed callback - ${CALLERS} concurrent callbacks with one state should sign in exactly once`, async () => {
    await callbackRace(h, inProcess);
  });

  it(`raced exchange code - ${CALLERS} concurrent exchanges of one code should give exactly one token pair`, async () => {
    await exchangeRace(h, inProcess);
  });
});

describe(`OAuth single-use values raced across ${WORKERS} processes (PostgreSQL + Redis)`, {
  timeout: SUITE_TIMEOUT_MS,
}, () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let h: Harness;
  const workers: LineWorker[] = [];

  before(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    const shared: SharedBackends = { databaseUrl: await postgres.createDatabase(), redisUrl: redis.url };
    const started = await startInstance(shared);
    h = started.h;
    for (let index = 0; index < WORKERS; index++) {
      workers.push(
        startLineWorker(
          OAUTH_RACE_WORKER,
          [shared.databaseUrl, shared.redisUrl, started.secret, started.dataDir, provider.issuer],
          { timeoutMs: WORKER_TIMEOUT_MS, nodeArgs: ['--disable-warning=ExperimentalWarning'] },
        ),
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
  });

  /**
   * Sends one command to every worker, to fire at one instant shortly ahead (the pipe writes
   * and event loop turns between the workers would otherwise stagger them), and merges the
   * answers.
   */
  const acrossWorkers: Racer = async (spec) => {
    const command = { ...spec, count: CALLERS / WORKERS, startAt: wallClock() + START_DELAY_MS };
    const line = `${JSON.stringify(command)}\n`;
    for (const worker of workers) worker.child.stdin.write(line);
    const perWorker = await Promise.all(
      workers.map(async (worker) => JSON.parse(await worker.nextLine()) as RaceAttempt[]),
    );
    for (const attempts of perWorker) assert.equal(attempts.length, CALLERS / WORKERS);
    return perWorker.flat();
  };

  it(`replayed callback across processes - ${CALLERS} concurrent callbacks with one state should sign in exactly once`, async () => {
    await callbackRace(h, acrossWorkers);
  });

  it(`raced exchange code across processes - ${CALLERS} concurrent exchanges of one code should give exactly one token pair`, async () => {
    await exchangeRace(h, acrossWorkers);
  });
});
