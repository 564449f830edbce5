import { timingSafeEqual } from 'node:crypto';
import {
  type AuditLog,
  coreError,
  type Principal,
  type RequestMeta,
  type SecurityNotices,
} from '../../core/index.ts';
import type { KeyValueStore, OnceStore } from '../../stores/contract.ts';
import type { UserRepository } from '../../stores/repositories.ts';
import { apiKeyError } from './error-codes.ts';
import { newApiKeyMaterial, parseApiKey } from './key-format.ts';
import type { ApiKey, ApiKeyCredential, ApiKeyRepository } from './repository.ts';

/** Keyed digests with the active key, checked under the key they name. */
interface KeyedDigests {
  digest(value: string): string;
  matches(value: string, digest: string): boolean;
}

/** A parsed `Authorization: GH1-HMAC-SHA256 …` header. */
export interface SignatureParameters {
  readonly keyId: string;
  readonly timestamp: number;
  readonly nonce: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** The request-signing scheme, as the crypto module implements it. */
export interface RequestSignatures {
  parse(header: string): SignatureParameters | null;
  /** SHA-256 (hex) of the body, read from a clone while streaming; rejects over `limitBytes`. */
  hashBody(request: Request, limitBytes: number): Promise<string>;
  verify(
    secret: Uint8Array,
    request: Request,
    parameters: SignatureParameters,
    bodySha256Hex: string,
  ): boolean;
}

export interface ApiKeyServiceOptions {
  readonly keys: ApiKeyRepository;
  readonly users: UserRepository;
  readonly cache: KeyValueStore;
  readonly once: OnceStore;
  readonly digests: KeyedDigests;
  /** Signing secrets are kept encrypted, bound to their key's row. */
  readonly sealSigningSecret: (keyId: string, secret: string) => string;
  readonly openSigningSecret: (keyId: string, envelope: string) => Buffer;
  readonly signatures: RequestSignatures;
  readonly audit: AuditLog;
  /** Mails the owner when a key is created for them (by them or by an admin), in the background. */
  readonly notices: SecurityNotices;
  /** The `<env>` of new keys. */
  readonly env: string;
  /** Scopes any user may grant, besides their own roles. */
  readonly grantableScopes: readonly string[];
  readonly maxActivePerUser: number;
  readonly defaultTtlMs: number;
  readonly maxTtlMs: number;
  readonly cacheTtlMs: number;
  /**
   * The owner's version (the sessions feature's, changed after every change to the user): kept
   * with the cached key and handed on in the principal, so the owner's cached view can be used.
   */
  readonly userVersion?: (userId: string) => Promise<string>;
  readonly lastUsedIntervalMs: number;
  readonly signatureWindowMs: number;
  readonly bodyLimitBytes: number;
  /** Errors of the background `lastUsedAt` writes (they never fail a request). */
  readonly onBackgroundError: (error: unknown) => void;
  readonly now?: () => number;
}

/** An admin writing another user's keys: recorded in the event beside the target user. */
export interface ApiKeyActor {
  readonly userId: string;
  readonly sessionId: string;
}

/** The audit event of a key write: `apikey.<action>` by the owner, `admin.apikey_<action>` by an admin. */
function keyEvent(
  action: 'created' | 'updated' | 'revoked',
  actor: ApiKeyActor | undefined,
  data: Readonly<Record<string, unknown>>,
): [type: string, data: Readonly<Record<string, unknown>>] {
  if (!actor) return [`apikey.${action}`, data];
  return [`admin.apikey_${action}`, { ...data, actorId: actor.userId, actorSessionId: actor.sessionId }];
}

export interface ApiKeyService {
  /** `actor`: the admin creating a key for `userId` (admin routes only). */
  create(
    userId: string,
    input: { name: string; scopes?: readonly string[]; expiresAt?: string; signing?: boolean },
    meta: RequestMeta,
    actor?: ApiKeyActor,
  ): Promise<{ apiKey: string; key: ApiKey }>;
  list(userId: string): Promise<ApiKey[]>;
  get(userId: string, keyId: string): Promise<ApiKey>;
  update(
    userId: string,
    keyId: string,
    changes: { name?: string; scopes?: readonly string[] },
    meta: RequestMeta,
    actor?: ApiKeyActor,
  ): Promise<ApiKey>;
  revoke(userId: string, keyId: string, meta: RequestMeta, actor?: ApiKeyActor): Promise<void>;
  /** Makes every key of the user re-read their owner on the next request (roles changed, deactivated). */
  forgetUser(userId: string): Promise<void>;
  /** `Authorization: Bearer gh_…` or `GH1-HMAC-SHA256 …`; throws the API-key 401 codes. */
  authenticate(request: Request, header: string): Promise<Principal>;
}

/** What the cache keeps per key id; markers force a database read. */
interface CachedKey {
  readonly userId: string;
  readonly ownerRoles: readonly string[];
  readonly scopes: readonly string[];
  readonly digest: string | null;
  readonly signingSecret: string | null;
  readonly expiresAt: number;
  /** The owner's version when the key was checked against the database; absent in older entries. */
  readonly userVersion?: string;
}

/** Written on revoke, rescope or an owner change: never overwritten by a fill, read as "go to the database". */
const STALE = '-';
const cacheKey = (keyId: string) => `ak:${keyId}`;
const nonceKey = (keyId: string, nonce: string) => `ak-nonce:${keyId}:${nonce}`;
const BEARER = /^Bearer +(gh_\S+)$/i;
/** Keys whose `lastUsedAt` writes one process throttles before it starts over. */
const MAX_THROTTLED_KEYS = 10_000;
/** RFC 9110: the scheme name is case-insensitive. */
const SIGNED = /^GH1-HMAC-SHA256 +(.+)$/i;

/**
 * API keys: creation (scopes no wider than the owner may grant, a per-user cap, expiry),
 * management, and authentication — plain keys by a keyed digest of the secret, signing keys by
 * an HMAC over the request with the secret kept encrypted, a nonce taken once per key across
 * workers, and a ±window on the timestamp.
 *
 * Lookups go through a cache in the shared store (one round trip in the steady state). Any
 * change that must take effect at once (revoke, rescope, the owner's roles or state) writes a
 * marker that fills never overwrite, so every worker reads the database until it expires.
 */
export function createApiKeyService(options: ApiKeyServiceOptions): ApiKeyService {
  const now = options.now ?? Date.now;
  const lastTouched = new Map<string, number>();

  async function stale(keyIds: readonly string[]): Promise<void> {
    await Promise.all(keyIds.map((id) => options.cache.set(cacheKey(id), STALE, options.cacheTtlMs)));
  }

  /** The owner's grantable scopes: the configured ones plus their roles. */
  function grantable(roles: readonly string[]): Set<string> {
    return new Set([...options.grantableScopes, ...roles]);
  }

  async function checkScopes(userId: string, scopes: readonly string[]): Promise<void> {
    const owner = await options.users.findById(userId);
    if (!owner?.isActive) throw apiKeyError('API_KEY_NOT_FOUND');
    const allowed = grantable(owner.roles);
    if (!scopes.every((scope) => allowed.has(scope))) throw apiKeyError('API_KEY_SCOPE_DENIED');
  }

  /** The cached key, or the database's (caching it when no marker is there). */
  async function load(keyId: string): Promise<{ cached: CachedKey; key: ApiKey | null } | null> {
    const raw = await options.cache.get(cacheKey(keyId));
    if (raw !== null && raw !== STALE) {
      try {
        return { cached: JSON.parse(raw) as CachedKey, key: null };
      } catch {
        // Unreadable: fall through to the database.
      }
    }
    const credential: ApiKeyCredential | null = await options.keys.findCredential(keyId);
    if (!credential) return null;
    const { userId } = credential.key;
    // Read before the owner is: a change landing in between gives a newer version than this one.
    const userVersion = options.userVersion ? await options.userVersion(userId) : undefined;
    const owner = await options.users.findById(userId);
    if (!owner?.isActive) return null;
    const cached: CachedKey = {
      userId,
      ownerRoles: owner.roles,
      scopes: credential.key.scopes,
      digest: credential.secretDigest,
      signingSecret: credential.signingSecret,
      expiresAt: credential.key.expiresAt,
      ...(userVersion === undefined ? {} : { userVersion }),
    };
    // Revoked keys are never cached; a marker (raw !== null) is never overwritten.
    if (raw === null && credential.key.revokedAt === null) {
      const ttl = Math.min(options.cacheTtlMs, credential.key.expiresAt - now());
      if (ttl > 0) {
        await options.cache.setIfAbsent(cacheKey(keyId), JSON.stringify(cached), ttl);
        // The owner changed while this fill ran (its marker came first): forget the copy.
        if (options.userVersion && (await options.userVersion(userId)) !== userVersion) await stale([keyId]);
      }
    }
    return { cached, key: credential.key };
  }

  function principalOf(keyId: string, cached: CachedKey): Principal {
    const at = now();
    const allowed = grantable(cached.ownerRoles);
    // Downscoping is live: a scope the owner may no longer grant is gone from every key.
    const scopes = cached.scopes.filter((scope) => allowed.has(scope));
    const lastTouch = lastTouched.get(keyId) ?? 0;
    if (at - lastTouch >= options.lastUsedIntervalMs) {
      // Off the response path, at most once per interval per key in this process. The map is
      // only a throttle: emptying it when large costs one extra write per key, never a wrong answer.
      if (lastTouched.size >= MAX_THROTTLED_KEYS) lastTouched.clear();
      lastTouched.set(keyId, at);
      options.keys.touch(keyId, at).catch(options.onBackgroundError);
    }
    return {
      userId: cached.userId,
      sessionId: `apikey:${keyId}`,
      roles: scopes.filter((scope) => cached.ownerRoles.includes(scope)),
      authMethods: ['apikey'],
      tokenId: keyId,
      expiresAt: cached.expiresAt,
      transport: 'bearer',
      apiKey: { id: keyId, scopes },
      ...(cached.userVersion === undefined ? {} : { userVersion: cached.userVersion }),
    };
  }

  /** Revoked or expired, told only to a caller who proved the secret. */
  function assertUsable(key: ApiKey | null, cached: CachedKey): void {
    if (key?.revokedAt != null) throw apiKeyError('API_KEY_REVOKED');
    if (now() >= cached.expiresAt) throw apiKeyError('API_KEY_EXPIRED');
  }

  async function authenticateBearer(token: string): Promise<Principal> {
    const parsed = parseApiKey(token);
    if (!parsed || parsed.env !== options.env) throw apiKeyError('API_KEY_INVALID');
    const found = await load(parsed.id);
    // Unknown id and wrong secret give the same answer.
    if (!found) throw apiKeyError('API_KEY_INVALID');
    const { cached, key } = found;
    if (cached.signingSecret !== null) {
      // Only a caller who holds the secret learns that the key must sign: anyone else gets the
      // answer an unknown key gets.
      const secret = options.openSigningSecret(parsed.id, cached.signingSecret);
      const presented = Buffer.from(parsed.secret, 'base64url');
      if (presented.length !== secret.length || !timingSafeEqual(presented, secret)) {
        throw apiKeyError('API_KEY_INVALID');
      }
      throw apiKeyError('SIGNATURE_INVALID', { detail: 'This key must sign its requests.' });
    }
    if (cached.digest === null || !options.digests.matches(parsed.secret, cached.digest)) {
      throw apiKeyError('API_KEY_INVALID');
    }
    assertUsable(key, cached);
    return principalOf(parsed.id, cached);
  }

  async function authenticateSigned(request: Request, header: string): Promise<Principal> {
    const parameters = options.signatures.parse(header);
    if (!parameters) throw apiKeyError('SIGNATURE_INVALID');
    const found = await load(parameters.keyId);
    const signingSecret = found?.cached.signingSecret ?? null;
    if (!found || signingSecret === null) throw apiKeyError('SIGNATURE_INVALID');
    const { cached, key } = found;
    if (Math.abs(now() - parameters.timestamp * 1000) > options.signatureWindowMs) {
      throw apiKeyError('SIGNATURE_EXPIRED');
    }
    const bodyHash = await options.signatures.hashBody(request, options.bodyLimitBytes);
    const secret = options.openSigningSecret(parameters.keyId, signingSecret);
    if (!options.signatures.verify(secret, request, parameters, bodyHash))
      throw apiKeyError('SIGNATURE_INVALID');
    assertUsable(key, cached);
    // After the signature: nobody can burn another client's nonces. Kept as long as a
    // timestamp could still be accepted, across workers.
    if (
      !(await options.once.consumeOnce(
        nonceKey(parameters.keyId, parameters.nonce),
        2 * options.signatureWindowMs,
      ))
    ) {
      throw apiKeyError('NONCE_REPLAYED');
    }
    return principalOf(parameters.keyId, cached);
  }

  async function owned(userId: string, keyId: string): Promise<ApiKey> {
    const key = await options.keys.findForUser(userId, keyId);
    if (!key) throw apiKeyError('API_KEY_NOT_FOUND');
    return key;
  }

  return {
    async create(userId, input, meta, actor) {
      const scopes = [...new Set(input.scopes ?? [])];
      await checkScopes(userId, scopes);
      const at = now();
      const expiresAt =
        input.expiresAt === undefined ? at + options.defaultTtlMs : Date.parse(input.expiresAt);
      if (!Number.isFinite(expiresAt) || expiresAt <= at || expiresAt > at + options.maxTtlMs) {
        throw coreError('VALIDATION_FAILED', {
          errors: [{ path: 'expiresAt', message: 'Must be in the future and within the allowed lifetime' }],
        });
      }
      const material = newApiKeyMaterial(options.env);
      const signing = input.signing === true;
      const key = await options.keys.create(
        {
          id: material.id,
          userId,
          name: input.name,
          env: options.env,
          scopes,
          secretDigest: signing ? null : options.digests.digest(material.secret),
          signingSecret: signing ? options.sealSigningSecret(material.id, material.secret) : null,
          expiresAt,
          now: at,
        },
        { maxActive: options.maxActivePerUser },
      );
      if (!key) throw apiKeyError('API_KEY_LIMIT_REACHED');
      const [type, data] = keyEvent('created', actor, { keyId: key.id, signing });
      await options.audit.record(type, meta, { userId, data });
      // The name, never the key: the mail tells the owner a key exists, not how to use it.
      options.notices.notify({ id: userId }, 'apiKeyCreated', meta, { apiKeyName: key.name });
      return { apiKey: material.token, key };
    },

    list: (userId) => options.keys.listForUser(userId),
    get: owned,

    async update(userId, keyId, changes, meta, actor) {
      await owned(userId, keyId);
      if (changes.scopes !== undefined) await checkScopes(userId, changes.scopes);
      const key = await options.keys.update(userId, keyId, {
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.scopes === undefined ? {} : { scopes: [...new Set(changes.scopes)] }),
      });
      if (!key) throw apiKeyError('API_KEY_NOT_FOUND');
      await stale([keyId]);
      const [type, data] = keyEvent('updated', actor, { keyId });
      await options.audit.record(type, meta, { userId, data });
      return key;
    },

    async revoke(userId, keyId, meta, actor) {
      const key = await options.keys.revoke(userId, keyId, now());
      if (!key) throw apiKeyError('API_KEY_NOT_FOUND');
      await stale([keyId]);
      const [type, data] = keyEvent('revoked', actor, { keyId });
      await options.audit.record(type, meta, { userId, data });
    },

    async forgetUser(userId) {
      const keys = await options.keys.listForUser(userId);
      await stale(keys.map((key) => key.id));
    },

    authenticate(request, header) {
      const bearer = BEARER.exec(header);
      if (bearer?.[1]) return authenticateBearer(bearer[1]);
      if (SIGNED.test(header)) return authenticateSigned(request, header);
      return Promise.reject(apiKeyError('API_KEY_INVALID'));
    },
  };
}

/** Whether an `Authorization` header is for the API-key transport (plain or signed). */
export function isApiKeyAuthorization(header: string): boolean {
  return /^Bearer +gh_/i.test(header) || SIGNED.test(header);
}
