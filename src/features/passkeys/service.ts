import { randomBytes } from 'node:crypto';
import type {
  AuditLog,
  CookieSessionStart,
  Principal,
  RequestMeta,
  SecondFactorGate,
  SecurityNotices,
  SessionIssuer,
  SignInMethods,
  TokenResponse,
  TwoFactorChallenge,
} from '../../core/index.ts';
import type { KeyValueStore, OnceStore } from '../../stores/contract.ts';
import type { SessionRepository, User, UserRepository } from '../../stores/repositories.ts';
import {
  type AuthenticationResponseJSON,
  type Ceremony,
  CeremonyRefused,
  type CreationOptions,
  type RegistrationResponseJSON,
  type RequestOptions,
  userHandleOf,
} from './ceremony.ts';
import { passkeyError } from './error-codes.ts';
import type { Passkey, PasskeyRepository } from './repository.ts';

/** A challenge waiting in the shared store for the browser's answer. */
interface PendingCeremony {
  readonly challenge: string;
  /** Registration and step-up: the account; sign-in with an email: the account named (or none). */
  readonly userId: string | null;
  /** Sign-in: whether the options named an account (allowCredentials). */
  readonly named?: boolean;
}

export interface PasskeyServiceOptions {
  readonly passkeys: PasskeyRepository;
  /** Every feature's ways in: a removal never leaves none. */
  readonly signInMethods: SignInMethods;
  readonly users: UserRepository;
  readonly sessions: Pick<SessionRepository, 'markSecondFactor'>;
  readonly keyValue: KeyValueStore;
  readonly once: OnceStore;
  readonly ceremony: Ceremony;
  readonly issuer: Pick<SessionIssuer, 'issue' | 'startCookieSession' | 'renewCookieSession'>;
  readonly secondFactor: SecondFactorGate;
  readonly audit: AuditLog;
  readonly notices: SecurityNotices;
  /** After a sign-in: the new-address notice (when turned on). */
  readonly signedIn: (user: User, meta: RequestMeta) => Promise<void>;
  readonly normalizeEmail: (input: string) => string | null;
  /** A stable decoy credential id for an address without passkeys (enumeration). */
  readonly decoyCredentialId: (email: string) => string;
  readonly counterRegression: 'refuse' | 'audit';
  readonly maxPerUser: number;
  readonly challengeTtlMs: number;
  readonly now: () => number;
}

export type PasskeySignIn =
  | { readonly user: User; readonly challenge: TwoFactorChallenge }
  | { readonly user: User; readonly tokens: TokenResponse }
  | { readonly user: User; readonly session: CookieSessionStart };

const registerKey = (sessionId: string) => `passkey:register:${sessionId}`;
const stepUpKey = (sessionId: string) => `passkey:step-up:${sessionId}`;
const signInKey = (flowId: string) => `passkey:sign-in:${flowId}`;
const usedKey = (challenge: string) => `passkey:challenge:${challenge}`;
const FLOW_ID = /^[A-Za-z0-9_-]{43}$/;

/** RFC 8176: a synced (backup-eligible) passkey is a software key, a device-bound one hardware. */
const keyMethod = (passkey: Pick<Passkey, 'backupEligible'>): 'hwk' | 'swk' =>
  passkey.backupEligible ? 'swk' : 'hwk';

export function createPasskeyService(options: PasskeyServiceOptions) {
  const { passkeys, ceremony, audit, now } = options;

  async function remember(key: string, pending: PendingCeremony): Promise<void> {
    await options.keyValue.set(key, JSON.stringify(pending), options.challengeTtlMs);
  }

  /**
   * Takes the pending ceremony out of the shared store: at most one caller, on any worker, gets
   * it (getAndDelete), and its challenge is marked used for its lifetime, so neither a replay nor
   * a parallel finish can pass twice.
   */
  async function take(key: string): Promise<PendingCeremony> {
    const raw = await options.keyValue.getAndDelete(key);
    if (raw === null) throw passkeyError('PASSKEY_CHALLENGE_INVALID');
    const pending = JSON.parse(raw) as PendingCeremony;
    if (!(await options.once.consumeOnce(usedKey(pending.challenge), options.challengeTtlMs + 60_000))) {
      throw passkeyError('PASSKEY_CHALLENGE_INVALID');
    }
    return pending;
  }

  async function signInFailure(
    reason: string,
    meta: RequestMeta,
    userId: string | null = null,
  ): Promise<Error> {
    await audit.record('passkey.sign_in_failure', meta, { userId, data: { reason } });
    return passkeyError('PASSKEY_SIGN_IN_FAILED');
  }

  /**
   * Verifies an assertion against a stored passkey and records the use: the counter must go up
   * (unless the authenticator does not count), else it is a possible clone.
   */
  async function assertWith(
    passkey: Passkey,
    response: AuthenticationResponseJSON,
    challenge: string,
    meta: RequestMeta,
    requireUv: boolean,
  ) {
    let verified: Awaited<ReturnType<Ceremony['verifyAssertion']>>;
    try {
      verified = await ceremony.verifyAssertion(response, challenge, passkey, { requireUv });
    } catch (error) {
      if (error instanceof CeremonyRefused) throw await signInFailure('verification', meta, passkey.userId);
      throw error;
    }
    const regressed = (verified.counter > 0 || passkey.counter > 0) && verified.counter <= passkey.counter;
    if (regressed) {
      await audit.record('passkey.counter_regression', meta, {
        userId: passkey.userId,
        data: { passkeyId: passkey.id, stored: passkey.counter, presented: verified.counter },
      });
      if (options.counterRegression === 'refuse')
        throw await signInFailure('counter_regression', meta, passkey.userId);
    }
    const counter = Math.max(verified.counter, passkey.counter);
    const recorded = await passkeys.recordUse(passkey.id, {
      expectedCounter: passkey.counter,
      counter,
      backedUp: verified.backedUp,
      at: now(),
    });
    // Another sign-in with this credential moved the counter meanwhile: one of two is a clone.
    if (!recorded && options.counterRegression === 'refuse')
      throw await signInFailure('counter_race', meta, passkey.userId);
    return verified;
  }

  const service = {
    async registrationOptions(principal: Principal, meta: RequestMeta): Promise<CreationOptions> {
      const user = await options.users.findById(principal.userId);
      if (!user?.isActive) throw passkeyError('PASSKEY_NOT_FOUND');
      const existing = await passkeys.listForUser(user.id);
      if (existing.length >= options.maxPerUser) throw passkeyError('PASSKEY_LIMIT_REACHED');
      const creation = await ceremony.registrationOptions(user, existing);
      // Bound to the session: only this session can finish it (a newer request replaces it).
      await remember(registerKey(principal.sessionId), { challenge: creation.challenge, userId: user.id });
      await audit.record('passkey.registration_started', meta, {
        userId: user.id,
        sessionId: principal.sessionId,
      });
      return creation;
    },

    async register(
      principal: Principal,
      input: { readonly response: RegistrationResponseJSON; readonly name?: string | undefined },
      meta: RequestMeta,
    ): Promise<Passkey> {
      const pending = await take(registerKey(principal.sessionId));
      if (pending.userId !== principal.userId) throw passkeyError('PASSKEY_CHALLENGE_INVALID');
      const user = await options.users.findById(principal.userId);
      if (!user?.isActive) throw passkeyError('PASSKEY_CHALLENGE_INVALID');
      let credential: Awaited<ReturnType<Ceremony['verifyRegistration']>>;
      try {
        credential = await ceremony.verifyRegistration(input.response, pending.challenge);
      } catch (error) {
        if (!(error instanceof CeremonyRefused)) throw error;
        await audit.record('passkey.registration_failure', meta, {
          userId: user.id,
          sessionId: principal.sessionId,
          data: { reason: 'verification' },
        });
        throw passkeyError('PASSKEY_VERIFICATION_FAILED');
      }
      const created = await passkeys.create(
        {
          id: credential.id,
          userId: user.id,
          name: input.name ?? defaultName(credential.deviceType, now()),
          publicKey: credential.publicKey,
          counter: credential.counter,
          transports: credential.transports,
          deviceType: credential.deviceType,
          backupEligible: credential.deviceType === 'multiDevice',
          backedUp: credential.backedUp,
          aaguid: credential.aaguid,
          now: now(),
        },
        { maxPerUser: options.maxPerUser },
      );
      if (created === 'limit') throw passkeyError('PASSKEY_LIMIT_REACHED');
      if (created === 'no_user') throw passkeyError('PASSKEY_CHALLENGE_INVALID');
      if (created === 'duplicate') {
        await audit.record('passkey.registration_failure', meta, {
          userId: user.id,
          sessionId: principal.sessionId,
          data: { reason: 'duplicate_credential' },
        });
        throw passkeyError('PASSKEY_ALREADY_REGISTERED');
      }
      await audit.record('passkey.registered', meta, {
        userId: user.id,
        sessionId: principal.sessionId,
        data: {
          passkeyId: created.id,
          backupEligible: created.backupEligible,
          userVerified: credential.userVerified,
        },
      });
      options.notices.notify(user, 'passkeyAdded', meta);
      return created;
    },

    async signInOptions(input: {
      readonly email?: string | undefined;
    }): Promise<{ flowId: string; options: RequestOptions }> {
      let allow: { id: string; publicKey: string; transports: readonly string[] }[] = [];
      let userId: string | null = null;
      if (input.email !== undefined) {
        const email = options.normalizeEmail(input.email) ?? input.email.trim().toLowerCase();
        const user = await options.users.findByEmail(email);
        const owned = user?.isActive ? await passkeys.listForUser(user.id) : [];
        userId = user?.isActive ? user.id : null;
        // An address without passkeys gets one stable decoy, so the answer does not tell.
        allow =
          owned.length > 0
            ? owned
            : [{ id: options.decoyCredentialId(email), publicKey: '', transports: ['internal', 'hybrid'] }];
      }
      const request = await ceremony.requestOptions(allow);
      const flowId = randomBytes(32).toString('base64url');
      await remember(signInKey(flowId), {
        challenge: request.challenge,
        userId,
        named: input.email !== undefined,
      });
      return { flowId, options: request };
    },

    async signIn(
      input: {
        readonly flowId: string;
        readonly response: AuthenticationResponseJSON;
        readonly rememberMe?: boolean | undefined;
      },
      transport: 'bearer' | 'cookie',
      meta: RequestMeta,
    ): Promise<PasskeySignIn> {
      if (!FLOW_ID.test(input.flowId)) throw passkeyError('PASSKEY_CHALLENGE_INVALID');
      const pending = await take(signInKey(input.flowId));
      const passkey = await passkeys.findById(input.response.id);
      if (passkey === null) throw await signInFailure('unknown_credential', meta);
      // Options that named an account accept only that account's credentials.
      if (pending.named === true && pending.userId !== passkey.userId) {
        throw await signInFailure('credential_of_another_account', meta, passkey.userId);
      }
      const handle = input.response.response.userHandle;
      if (
        handle !== undefined &&
        handle !== Buffer.from(userHandleOf(passkey.userId)).toString('base64url')
      ) {
        throw await signInFailure('user_handle_mismatch', meta, passkey.userId);
      }
      const verified = await assertWith(passkey, input.response, pending.challenge, meta, false);
      const user = await options.users.findById(passkey.userId);
      if (!user?.isActive) throw await signInFailure('inactive', meta, passkey.userId);
      const method = keyMethod(passkey);
      const rememberMe = input.rememberMe === true;
      if (!verified.userVerified) {
        // One factor only: an account with 2FA still takes its second step.
        const challenge = await options.secondFactor.challenge(user, meta, {
          transport,
          rememberMe,
          firstFactor: method,
        });
        if (challenge) return { user, challenge };
      }
      const authMethods = verified.userVerified ? [method, 'user'] : [method];
      // Possession plus verification is two factors: it starts the step-up window.
      const secondFactorAt = verified.userVerified ? now() : undefined;
      const sessionOptions = { authMethods, ...(secondFactorAt === undefined ? {} : { secondFactorAt }) };
      if (transport === 'cookie') {
        const session = await options.issuer.startCookieSession(user, meta, {
          ...sessionOptions,
          rememberMe,
        });
        await signedIn(user, session.sessionId, authMethods, passkey.id, meta);
        return { user, session };
      }
      const tokens = await options.issuer.issue(user, meta, sessionOptions);
      await signedIn(user, tokens.sessionId, authMethods, passkey.id, meta);
      return { user, tokens };
    },

    async stepUpOptions(principal: Principal): Promise<RequestOptions> {
      const owned = await passkeys.listForUser(principal.userId);
      if (owned.length === 0) throw passkeyError('PASSKEY_NOT_FOUND');
      const request = await ceremony.requestOptions(owned, { forceUv: true });
      await remember(stepUpKey(principal.sessionId), {
        challenge: request.challenge,
        userId: principal.userId,
      });
      return request;
    },

    /** A fresh user-verified assertion with one of the caller's passkeys: the step-up window starts. */
    async stepUp(
      principal: Principal,
      response: AuthenticationResponseJSON,
      meta: RequestMeta,
    ): Promise<CookieSessionStart | null> {
      const pending = await take(stepUpKey(principal.sessionId));
      const passkey = await passkeys.findById(response.id);
      if (passkey === null || passkey.userId !== principal.userId || pending.userId !== principal.userId) {
        throw await signInFailure('credential_of_another_account', meta, principal.userId);
      }
      await assertWith(passkey, response, pending.challenge, meta, true);
      const at = now();
      // A privilege change: a cookie session moves to a new id, as after a TOTP step-up.
      const renewed = await options.issuer.renewCookieSession(principal, meta, {
        addAuthMethods: [keyMethod(passkey), 'user'],
      });
      await options.sessions.markSecondFactor(renewed?.sessionId ?? principal.sessionId, at);
      await audit.record('passkey.step_up', meta, {
        userId: principal.userId,
        sessionId: renewed?.sessionId ?? principal.sessionId,
        data: { passkeyId: passkey.id },
      });
      return renewed;
    },

    list: (userId: string) => passkeys.listForUser(userId),

    async rename(principal: Principal, id: string, name: string, meta: RequestMeta): Promise<Passkey> {
      const renamed = await passkeys.rename(principal.userId, id, name);
      if (renamed === null) throw passkeyError('PASSKEY_NOT_FOUND');
      await audit.record('passkey.renamed', meta, {
        userId: principal.userId,
        sessionId: principal.sessionId,
        data: { passkeyId: id },
      });
      return renamed;
    },

    async remove(principal: Principal, id: string, meta: RequestMeta): Promise<void> {
      const outcome = await passkeys.remove(principal.userId, id, options.signInMethods);
      if (outcome === 'not_found') throw passkeyError('PASSKEY_NOT_FOUND');
      if (outcome === 'last_sign_in_method') throw passkeyError('LAST_SIGN_IN_METHOD');
      await audit.record('passkey.removed', meta, {
        userId: principal.userId,
        sessionId: principal.sessionId,
        data: { passkeyId: id },
      });
      options.notices.notify({ id: principal.userId }, 'passkeyRemoved', meta);
    },
  };

  async function signedIn(
    user: User,
    sessionId: string,
    methods: string[],
    passkeyId: string,
    meta: RequestMeta,
  ) {
    await options.signedIn(user, meta);
    await audit.record('login.success', meta, { userId: user.id, sessionId, data: { methods, passkeyId } });
  }

  return service;
}

/** A name until the owner gives one: what kind of passkey, and when it was added. */
function defaultName(deviceType: string, at: number): string {
  const kind = deviceType === 'multiDevice' ? 'Synced passkey' : 'Passkey';
  return `${kind} (${new Date(at).toISOString().slice(0, 10)})`;
}

export type PasskeyService = ReturnType<typeof createPasskeyService>;
