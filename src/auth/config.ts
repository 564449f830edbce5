/**
 * The configuration as Gatehouse's users see it: core's options joined with the options each
 * built-in feature declares in its own folder (`apiKeys` lives in features/apikeys/config.ts).
 * The public names (`AuthConfigInput`, `ResolvedConfig` — `AuthConfig` here —, `DEFAULTS`) keep their shape whichever
 * side of that line an option sits on.
 */
import type { z } from 'zod';
import {
  DEFAULTS as CORE_DEFAULTS,
  type AuthConfigInput as CoreConfigInput,
  type ResolvedConfig as CoreResolvedConfig,
} from '../core/index.ts';
import type { FeatureConfigSlice, FeatureOptionsInput } from '../feature/index.ts';
import { ACCOUNTS_DEFAULTS } from '../features/accounts/index.ts';
import { API_KEY_DEFAULTS } from '../features/apikeys/index.ts';
import { AUDIT_DEFAULTS } from '../features/audit/index.ts';
import { EMAIL_CODE_DEFAULTS } from '../features/email-code/index.ts';
import { PASSKEY_DEFAULTS } from '../features/passkeys/index.ts';
import { WEBHOOK_DEFAULTS } from '../features/webhooks/index.ts';
import { BUILT_IN_FEATURES } from './feature-list.ts';

type BuiltInFeature = (typeof BUILT_IN_FEATURES)[number];

/** What `createAuth` accepts: core's options and every built-in feature's option. */
export type AuthConfigInput = CoreConfigInput & FeatureOptionsInput<typeof BUILT_IN_FEATURES>;

type ResolvedOptionOf<F> = F extends { readonly config: FeatureConfigSlice<infer S, infer K> }
  ? { readonly [P in K]: z.output<S> }
  : never;
type Intersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void
  ? I
  : never;

/** `auth.config`: core's resolved options and every built-in feature's parsed option. */
export type AuthConfig = CoreResolvedConfig & Intersection<ResolvedOptionOf<BuiltInFeature>>;

/** Every default Gatehouse applies, core's and the built-in features'. */
export const DEFAULTS = Object.freeze({
  ...CORE_DEFAULTS,
  ...API_KEY_DEFAULTS,
  ...ACCOUNTS_DEFAULTS,
  ...AUDIT_DEFAULTS,
  ...WEBHOOK_DEFAULTS,
  ...PASSKEY_DEFAULTS,
  ...EMAIL_CODE_DEFAULTS,
});

/** Freezes what an option holds (lists), as core freezes its resolved configuration. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/**
 * Joins core's resolved configuration with the built-in features' parsed options (by feature
 * id), under the keys they are given in `createAuth`'s input. An application feature's option
 * stays its own (`context.options`).
 */
export function joinBuiltInOptions(
  config: CoreResolvedConfig,
  featureOptions: ReadonlyMap<string, unknown>,
): AuthConfig {
  const joined: Record<string, unknown> = { ...config };
  for (const feature of BUILT_IN_FEATURES as readonly { id: string; config?: { key: string } }[]) {
    if (feature.config) joined[feature.config.key] = deepFreeze(featureOptions.get(feature.id));
  }
  return Object.freeze(joined) as unknown as AuthConfig;
}
