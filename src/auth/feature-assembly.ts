/**
 * The assembly loop: takes the feature list, merges what each definition declares (error codes,
 * rate-limit slots, key purposes, migrations, configuration slices), refuses a clash before
 * anything is built, then builds the features in dependency order and collects their parts in
 * list order (routes are served and documented in that order).
 */

import type { Migration } from 'kysely';
import {
  type AuthConfigInput,
  type ConfigProblem,
  configSchema,
  type ErrorCatalogue,
  mergeCatalogues,
  type OpenSqlTransaction,
  type SignInMethodSource,
  type SignInMethods,
  signInMethodsOf,
} from '../core/index.ts';
import {
  type AnyFeatureDefinition,
  type FeatureContext,
  type FeatureMigrationContext,
  type FeatureParts,
  type MaintenanceTask,
  type RateLimitSlotRule,
  STORED_SECRETS_PURPOSE,
  type UserChange,
} from '../feature/index.ts';
import type {
  AccessDeniedHook,
  Authenticator,
  CredentialScheme,
  RateLimitHook,
  RouteDefinition,
  ScopeCheck,
  StepUpHook,
} from '../http/index.ts';
import { routeShape } from '../http/route.ts';

const FEATURE_ID = /^[a-z][a-z0-9-]{0,63}$/;

/** What the definitions declare, merged and checked (no feature built yet). */
export interface FeatureDeclarations {
  readonly features: readonly AnyFeatureDefinition[];
  readonly errors: ErrorCatalogue;
  readonly rateLimitSlots: Readonly<Record<string, RateLimitSlotRule>>;
  readonly keyPurposes: readonly string[];
  readonly migrations: Readonly<Record<string, (context: FeatureMigrationContext) => Migration>>;
  readonly credentialSchemes: readonly CredentialScheme[];
  readonly invalidTokenCodes: readonly string[];
  readonly stepUp: { readonly errorCodes: readonly string[]; readonly codeHeader: string } | undefined;
  /** Features in the order they must be built (every requirement before its user). */
  readonly buildOrder: readonly AnyFeatureDefinition[];
}

/**
 * Merges and checks the definitions. Refuses (TypeError, a programming mistake) two features
 * with one id, a missing or cyclic requirement, an error code declared twice with different
 * meanings, a slot, key purpose, migration or configuration key declared twice, or a
 * configuration key a built-in option already uses.
 */
export function declareFeatures(
  features: readonly AnyFeatureDefinition[],
  base: { readonly errors: ErrorCatalogue },
): FeatureDeclarations {
  const byId = new Map<string, AnyFeatureDefinition>();
  for (const feature of features) {
    if (!FEATURE_ID.test(feature.id)) throw new TypeError(`feature id "${feature.id}" must be kebab-case`);
    if (byId.has(feature.id)) throw new TypeError(`feature "${feature.id}" is listed twice`);
    byId.set(feature.id, feature);
  }
  const owner = (kind: string) => {
    const seen = new Map<string, string>();
    return (name: string, featureId: string): void => {
      const first = seen.get(name);
      if (first !== undefined)
        throw new TypeError(`${kind} "${name}" is declared by both "${first}" and "${featureId}"`);
      seen.set(name, featureId);
    };
  };
  const claimSlot = owner('rate-limit slot');
  const claimPurpose = owner('key purpose');
  claimPurpose(STORED_SECRETS_PURPOSE, 'gatehouse');
  const claimMigration = owner('migration');
  const claimConfigKey = owner('configuration key');
  const rateLimitSlots: Record<string, RateLimitSlotRule> = {};
  const keyPurposes: string[] = [];
  const migrations: Record<string, (context: FeatureMigrationContext) => Migration> = {};
  const credentialSchemes: CredentialScheme[] = [];
  const invalidTokenCodes: string[] = [];
  let stepUp: FeatureDeclarations['stepUp'];
  const catalogues: ErrorCatalogue[] = [base.errors];
  for (const feature of features) {
    for (const [slot, rule] of Object.entries(feature.rateLimits ?? {})) {
      claimSlot(slot, feature.id);
      rateLimitSlots[slot] = rule;
    }
    for (const purpose of Object.values(feature.keyPurposes ?? {})) {
      claimPurpose(purpose, feature.id);
      keyPurposes.push(purpose);
    }
    for (const [name, migration] of Object.entries(feature.migrations ?? {})) {
      claimMigration(name, feature.id);
      migrations[name] = migration;
    }
    if (feature.config) {
      if (Object.hasOwn(configSchema.shape, feature.config.key))
        throw new TypeError(`feature "${feature.id}" claims the built-in option "${feature.config.key}"`);
      claimConfigKey(feature.config.key, feature.id);
    }
    if (feature.stepUp) {
      if (stepUp) throw new TypeError(`a second feature ("${feature.id}") declares step-up`);
      stepUp = feature.stepUp;
    }
    if (feature.errors) catalogues.push(feature.errors);
    credentialSchemes.push(...(feature.credentialSchemes ?? []));
    invalidTokenCodes.push(...(feature.invalidTokenCodes ?? []));
  }
  // A code declared twice with another status or title throws here.
  const errors = mergeCatalogues(...catalogues);
  return Object.freeze({
    features: Object.freeze([...features]),
    errors,
    rateLimitSlots: Object.freeze(rateLimitSlots),
    keyPurposes: Object.freeze(keyPurposes),
    migrations: Object.freeze(migrations),
    credentialSchemes: Object.freeze(credentialSchemes),
    invalidTokenCodes: Object.freeze(invalidTokenCodes),
    stepUp,
    buildOrder: buildOrder(features, byId),
  });
}

/** Depth-first: each feature after everything it requires; list order otherwise. */
function buildOrder(
  features: readonly AnyFeatureDefinition[],
  byId: ReadonlyMap<string, AnyFeatureDefinition>,
): AnyFeatureDefinition[] {
  const order: AnyFeatureDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (feature: AnyFeatureDefinition, path: readonly string[]): void => {
    const seen = state.get(feature.id);
    if (seen === 'done') return;
    if (seen === 'visiting')
      throw new TypeError(`features require each other in a cycle: ${[...path, feature.id].join(' → ')}`);
    state.set(feature.id, 'visiting');
    for (const used of feature.uses ?? []) {
      if (!byId.has(used)) throw new TypeError(`feature "${feature.id}" uses "${used}", which is not listed`);
    }
    for (const required of feature.requires ?? []) {
      const dependency = byId.get(required);
      if (!dependency)
        throw new TypeError(`feature "${feature.id}" requires "${required}", which is not listed`);
      visit(dependency, [...path, feature.id]);
    }
    state.set(feature.id, 'done');
    order.push(feature);
  };
  for (const feature of features) visit(feature, []);
  return order;
}

/**
 * Takes each feature's configuration slice out of `input` and validates it. What remains goes
 * to the built-in schema, whose strictness still refuses every unknown key.
 */
export function splitFeatureConfig(
  declarations: FeatureDeclarations,
  input: Readonly<Record<string, unknown>>,
): { rest: AuthConfigInput; options: ReadonlyMap<string, unknown>; problems: ConfigProblem[] } {
  const rest: Record<string, unknown> = { ...input };
  const options = new Map<string, unknown>();
  const problems: ConfigProblem[] = [];
  for (const feature of declarations.features) {
    if (!feature.config) continue;
    const { key, schema } = feature.config;
    const value = rest[key];
    delete rest[key];
    const parsed = schema.safeParse(value);
    if (parsed.success) {
      options.set(feature.id, Object.freeze(parsed.data));
    } else {
      for (const issue of parsed.error.issues) {
        const path = [key, ...issue.path.map(String)].join('.');
        problems.push(
          issue.code === 'unrecognized_keys'
            ? { path, message: `unknown option(s): ${issue.keys.join(', ')}` }
            : { path, message: issue.message },
        );
      }
    }
  }
  return { rest: rest as AuthConfigInput, options, problems };
}

/** Everything the features built, merged. */
export interface BuiltFeatures {
  readonly routes: readonly RouteDefinition[];
  readonly api: Readonly<Record<string, unknown>>;
  readonly authenticators: readonly Authenticator[];
  readonly stepUp: StepUpHook | undefined;
  readonly checkScopes: ScopeCheck | undefined;
  readonly onAccessDenied: AccessDeniedHook | undefined;
  readonly rateLimit: RateLimitHook | undefined;
  /** Tells every feature of a user change through `auth.api.users`, in list order. */
  readonly userChanged: (userId: string, change: UserChange) => Promise<void>;
  /** Every feature's pruning tasks, in list order. */
  readonly maintenance: readonly MaintenanceTask[];
  /** Stops every feature's background work (reverse build order); never rejects. */
  readonly close: () => Promise<void>;
}

type SharedContext = Omit<
  FeatureContext<unknown>,
  'options' | 'port' | 'later' | 'rateLimitSlots' | 'userChanged' | 'signInMethods'
>;

/**
 * Builds every feature (requirements first) and merges their parts in list order. Refuses two
 * routes with one method and path or one operationId, two contributions of one `auth.api`
 * member or of one pipeline hook.
 */
export async function buildFeatures(
  declarations: FeatureDeclarations,
  shared: SharedContext,
  options: ReadonlyMap<string, unknown>,
): Promise<BuiltFeatures> {
  const parts = new Map<string, FeatureParts>();
  let assembled = false;
  const listeners: NonNullable<FeatureParts['onUserChange']>[] = [];
  const userChanged = async (userId: string, change: UserChange): Promise<void> => {
    for (const listener of listeners) await listener(userId, change);
  };
  const sources: SignInMethodSource[] = [];
  const everySource = signInMethodsOf(sources);
  const signInMethods: SignInMethods = Object.freeze({
    async count(userId: string, within: OpenSqlTransaction): Promise<number> {
      if (!assembled) throw new TypeError('sign-in methods were counted before assembly ended');
      return everySource.count(userId, within);
    },
  });
  for (const feature of declarations.buildOrder) {
    const allowed = new Set(feature.requires ?? []);
    const usable = new Set(feature.uses ?? []);
    const context: FeatureContext<unknown> = Object.freeze({
      ...shared,
      options: options.get(feature.id),
      rateLimitSlots: declarations.rateLimitSlots,
      userChanged,
      signInMethods,
      port<T>(featureId: string): T {
        if (!allowed.has(featureId))
          throw new TypeError(`feature "${feature.id}" uses "${featureId}" without requiring it`);
        return (parts.get(featureId)?.ports ?? {}) as T;
      },
      later<T>(featureId: string): () => T {
        if (!usable.has(featureId))
          throw new TypeError(
            `feature "${feature.id}" uses "${featureId}" later without declaring it in uses`,
          );
        return () => {
          if (!assembled)
            throw new TypeError(`feature "${feature.id}" read "${featureId}" before assembly ended`);
          return (parts.get(featureId)?.ports ?? {}) as T;
        };
      },
    });
    try {
      parts.set(feature.id, await feature.build(context));
    } catch (error) {
      // A refused start must not leave a feature built before it working in the background.
      await closeParts([...parts.values()]);
      throw error;
    }
  }

  assembled = true;
  const routes: RouteDefinition[] = [];
  const api: Record<string, unknown> = {};
  const authenticators: Authenticator[] = [];
  const maintenance: MaintenanceTask[] = [];
  const hooks: {
    -readonly [K in 'stepUp' | 'checkScopes' | 'onAccessDenied' | 'rateLimit']?: FeatureParts[K];
  } = {};
  for (const feature of declarations.features) {
    const built = parts.get(feature.id) ?? {};
    routes.push(...(built.routes ?? []));
    for (const [name, member] of Object.entries(built.api ?? {})) {
      if (Object.hasOwn(api, name)) throw new TypeError(`auth.api.${name} is contributed twice`);
      api[name] = member;
    }
    const contributed = built.authenticators ?? [];
    const before = built.authenticatorsBefore;
    const at = before === undefined ? -1 : authenticators.findIndex((a) => a.id === before);
    if (before !== undefined && at === -1)
      throw new TypeError(`feature "${feature.id}" places its authenticators before unknown "${before}"`);
    authenticators.splice(at === -1 ? authenticators.length : at, 0, ...contributed);
    for (const hook of ['stepUp', 'checkScopes', 'onAccessDenied', 'rateLimit'] as const) {
      if (built[hook] === undefined) continue;
      if (hooks[hook] !== undefined) throw new TypeError(`the ${hook} hook is contributed twice`);
      (hooks as Record<string, unknown>)[hook] = built[hook];
    }
    if (built.onUserChange) listeners.push(built.onUserChange);
    sources.push(...(built.signInMethods ?? []));
    for (const task of built.maintenance ?? []) {
      if (maintenance.some((known) => known.name === task.name))
        throw new TypeError(`maintenance task "${task.name}" is contributed twice`);
      maintenance.push(task);
    }
  }
  return Object.freeze({
    routes: Object.freeze(routes),
    api: Object.freeze(api),
    authenticators: Object.freeze(authenticators),
    stepUp: hooks.stepUp,
    checkScopes: hooks.checkScopes,
    onAccessDenied: hooks.onAccessDenied,
    rateLimit: hooks.rateLimit,
    userChanged,
    maintenance: Object.freeze(maintenance),
    close: () => closeParts([...parts.values()]),
  });
}

/** Calls every part's `close`, last built first, each failure ignored (shutdown goes on). */
async function closeParts(built: readonly FeatureParts[]): Promise<void> {
  for (const part of [...built].reverse()) await part.close?.().catch(() => {});
}

/** Refuses two routes with one method and path, or one operationId (a programming mistake). */
export function checkRouteClashes(routes: readonly RouteDefinition[]): void {
  const paths = new Set<string>();
  const operations = new Set<string>();
  for (const route of routes) {
    const key = `${route.method} ${routeShape(route.path)}`;
    if (paths.has(key)) throw new TypeError(`two routes answer ${key}`);
    if (operations.has(route.operationId))
      throw new TypeError(`two routes use operationId ${route.operationId}`);
    paths.add(key);
    operations.add(route.operationId);
  }
}
