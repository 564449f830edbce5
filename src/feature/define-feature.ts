import type { Migration } from 'kysely';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type {
  ErrorCatalogue,
  MetricsRegistrar,
  ResolvedConfig,
  SignInMethodSource,
  SignInMethods,
} from '../core/index.ts';
import type {
  AccessDeniedHook,
  Authenticator,
  CredentialScheme,
  RateLimitHook,
  RouteDefinition,
  ScopeCheck,
  StepUpHook,
} from '../http/index.ts';
import type { MailTransport } from '../mail/contract.ts';
import type { Stores } from '../stores/contract.ts';
import type { Repositories } from '../stores/repositories.ts';
import type { SqlDatabaseHandle } from '../stores/sql/kit.ts';
import type { FeatureKeys } from './keys.ts';

/** What a rate-limit slot counts per: the client address, the account/email, or both together. */
export type RateLimitScope = 'ip' | 'identifier' | 'ipIdentifier';

/** A slot's default: at most `limit` requests per `windowSeconds`, counted per `scope`. */
export interface RateLimitSlotRule {
  readonly limit: number;
  readonly windowSeconds: number;
  readonly scope: RateLimitScope;
}

/** Which SQL the database speaks, for the rare migration statement that differs. */
export interface FeatureMigrationContext {
  readonly dialect: 'sqlite' | 'postgres';
}

/**
 * A feature's own configuration: the top-level option `key` of `createAuth`'s input, validated
 * by `schema` with the rest of the configuration (its problems join the same `ConfigError`,
 * under paths that start with `key`). The parsed value is `context.options`.
 */
export interface FeatureConfigSlice<S extends z.ZodType = z.ZodType, K extends string = string> {
  readonly key: K;
  readonly schema: S;
}

/** Readiness checks of what createAuth opened (the database, the stores, the schema). */
export interface ReadinessProbe {
  readonly name: string;
  check(): Promise<void>;
}

/** One call of a pruning task: what "expired" is judged against, and the most rows to remove. */
export interface PruneBatch {
  /** The configured clock's time (epoch ms), the same for every batch of one run. */
  readonly now: number;
  /** Remove at most this many rows or entries in this call (one short statement). */
  readonly batchSize: number;
}

/** What one batch did. */
export interface PruneResult {
  readonly removed: number;
  /** `true` when there may be more to remove (the runner calls again). */
  readonly more: boolean;
}

/**
 * A pruning task a feature declares (`FeatureParts.maintenance`): removes what its feature
 * keeps past its use (expired sessions, audit rows past retention, delivered webhook rows), one
 * small batch per call, so no call holds a lock for long. `gatehouse prune` and the in-process
 * schedule call it until `more` is false; only one process runs the tasks at a time.
 */
export interface MaintenanceTask {
  /** `<feature>.<what>`, unique across features (`sessions.expired`); printed by the CLI. */
  readonly name: string;
  prune(batch: PruneBatch): Promise<PruneResult>;
}

/** What `build` receives: everything a feature needs, nothing it must import from another. */
export interface FeatureContext<Options = undefined> {
  /** The validated, frozen configuration of core's options (a feature's own option is `options`). */
  readonly config: ResolvedConfig;
  /** This feature's own configuration slice, parsed (defaults applied); `undefined` without one. */
  readonly options: Options;
  /** Keys derived from the master secrets by purpose (declare yours in `keyPurposes`). */
  readonly keys: FeatureKeys;
  readonly stores: Stores;
  readonly repositories: Repositories;
  /**
   * The open SQL database, for a feature that owns tables: it declares them in `migrations`
   * and builds its repository on `database.kysely<ItsTables>()` (with the SQL kit's `guarded`).
   */
  readonly database: SqlDatabaseHandle;
  readonly mail: MailTransport;
  readonly logger: Logger;
  /** The configured clock (tests move it); every feature reads time from it. */
  readonly now: () => number;
  /** Every feature's rate-limit slot defaults, merged (what the rate-limit feature enforces). */
  readonly rateLimitSlots: Readonly<Record<string, RateLimitSlotRule>>;
  /** Readiness checks of the database, the stores and the schema (for `/ready`). */
  readonly readiness: readonly ReadinessProbe[];
  /**
   * This instance's metrics (`GET /metrics`): declare counters, histograms and gauges during
   * `build` (a gauge may `collect` on each scrape, e.g. an SQL count; mark it `shared` when
   * every worker would read the same value). Names are unique per instance.
   */
  readonly metrics: MetricsRegistrar;
  /**
   * The ports of a feature this one `requires` (built before it). Its shape is a contract of
   * `core/ports.ts` or a structural type the caller declares, never the other feature's types.
   * @throws {TypeError} for a feature not named in `requires`.
   */
  port<T>(featureId: string): T;
  /**
   * The ports of a feature this one `uses`, for request time only: the answer is a getter that
   * works once every feature is built (calling it during `build` throws). For the few
   * features that call each other back at request time (ending other sessions asks two-factor
   * for a recent factor, two-factor issues sessions), where `requires` would be a cycle.
   * @throws {TypeError} for a feature not named in `uses`.
   */
  later<T>(featureId: string): () => T;
  /** Tells every feature's `onUserChange` of a change to a user, in list order (call it at request time). */
  userChanged(userId: string, change: UserChange): Promise<void>;
  /**
   * Every feature's ways in (`FeatureParts.signInMethods`) counted together: the one rule a
   * removal of a way in asks (request time only, once every feature is built).
   */
  readonly signInMethods: SignInMethods;
}

/** A change to a user made through `auth.api.users`, told to every feature in list order. */
export type UserChange =
  | { readonly kind: 'updated'; readonly rolesChanged: boolean; readonly isActive: boolean | undefined }
  | { readonly kind: 'deleting' };

/** What `build` returns; every member is optional. */
export interface FeatureParts {
  /** Routes, served and documented in the order the feature list gives. */
  readonly routes?: readonly RouteDefinition[];
  /** Members of `auth.api` (top-level names; two features may not contribute the same one). */
  readonly api?: Readonly<Record<string, unknown>>;
  /** Credential kinds, tried in feature-list order, then in the order given here. */
  readonly authenticators?: readonly Authenticator[];
  /**
   * Puts these authenticators before the one with this id instead (a specific credential shape
   * must be recognised before a general one claims the same header).
   */
  readonly authenticatorsBefore?: string;
  /** What features that `require` this one may use (`context.port(id)`). */
  readonly ports?: object;
  /** Pipeline hooks; at most one feature may contribute each. */
  readonly stepUp?: StepUpHook;
  readonly checkScopes?: ScopeCheck;
  readonly onAccessDenied?: AccessDeniedHook;
  readonly rateLimit?: RateLimitHook;
  /** Told of user updates and deletions made through `auth.api.users` (revoke, forget caches). */
  readonly onUserChange?: (userId: string, change: UserChange) => Promise<void>;
  /** The ways in this feature owns, counted by `signInMethods` for every feature's removals. */
  readonly signInMethods?: readonly SignInMethodSource[];
  /** Pruning tasks (`gatehouse prune`, the schedule); names unique across features. */
  readonly maintenance?: readonly MaintenanceTask[];
  /**
   * Stops what the feature runs in the background (a worker, a timer) and waits for work in
   * flight; `auth.close()` calls it before closing the database and the stores.
   */
  readonly close?: () => Promise<void>;
}

/** One capability of Gatehouse (or of the application): everything it declares and builds. */
export interface FeatureDefinition<Options = undefined> {
  /** kebab-case, unique in the list. */
  readonly id: string;
  /** Features whose ports `build` uses; built first. A missing or cyclic requirement refuses to start. */
  readonly requires?: readonly string[];
  /** Features whose ports it reads at request time only (`context.later(id)`); cycles allowed. */
  readonly uses?: readonly string[];
  /** Its own top-level configuration option (see {@link FeatureConfigSlice}). */
  readonly config?: FeatureConfigSlice;
  /** Its error codes (from `defineErrors(...).codes`), merged into the catalogue. */
  readonly errors?: ErrorCatalogue;
  /** Its rate-limit slots with their defaults (`rateLimits.slots` overrides them by name). */
  readonly rateLimits?: Readonly<Record<string, RateLimitSlotRule>>;
  /** Labels of the keys it derives from the master secrets, by what it calls them. */
  readonly keyPurposes?: Readonly<Record<string, string>>;
  /** Its SQL migrations by name (unique across features; Kysely applies them in name order). */
  readonly migrations?: Readonly<Record<string, (context: FeatureMigrationContext) => Migration>>;
  /** How its credentials authenticate, for the OpenAPI document. */
  readonly credentialSchemes?: readonly CredentialScheme[];
  /** Its 401 codes that mean a presented credential was refused (`error="invalid_token"`). */
  readonly invalidTokenCodes?: readonly string[];
  /** What a step-up 403 may answer, and the header that carries a fresh code (OpenAPI). */
  readonly stepUp?: { readonly errorCodes: readonly string[]; readonly codeHeader: string };
  build(context: FeatureContext<Options>): FeatureParts | Promise<FeatureParts>;
}

/**
 * Declares a feature. An identity at run time: it exists so the definition is checked against
 * {@link FeatureDefinition} where it is written, and `Options` is inferred from `config.schema`.
 *
 * @example
 * export const widgetFeature = defineFeature({
 *   id: 'widget',
 *   config: { key: 'widget', schema: z.strictObject({ size: z.int().default(3) }).prefault({}) },
 *   build: (context) => ({ routes: [widgetRoute(context.options.size)] }),
 * });
 */
export function defineFeature<S extends z.ZodType, const K extends string>(
  definition: Omit<FeatureDefinition<z.output<S>>, 'config'> & { readonly config: FeatureConfigSlice<S, K> },
): FeatureDefinition<z.output<S>> & { readonly config: FeatureConfigSlice<S, K> };
export function defineFeature(definition: FeatureDefinition): FeatureDefinition;
export function defineFeature(definition: FeatureDefinition<unknown>): FeatureDefinition<unknown> {
  return Object.freeze(definition);
}

type OptionOf<F> = F extends { readonly config: FeatureConfigSlice<infer S, infer K> }
  ? { readonly [P in K]?: z.input<S> }
  : Record<never, never>;
type Intersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void
  ? I
  : never;

/**
 * The configuration keys a list of features adds to `createAuth`'s input, each typed by the
 * input of its feature's schema (`{ widget?: { greeting?: string } }`), so an application's
 * option type-checks like a built-in one.
 */
export type FeatureOptionsInput<F extends readonly unknown[]> = Intersection<OptionOf<F[number]>>;

/** A feature of any options, as lists hold them. */
// biome-ignore lint/suspicious/noExplicitAny: a list holds features of different option types
export type AnyFeatureDefinition = FeatureDefinition<any>;
