import { ConfigError, type ConfigProblem } from '../../core/index.ts';
import type { RateLimitHook } from '../../http/index.ts';
import type { RateLimiter, RateLimitRule } from '../../stores/contract.ts';
import { ipScope } from './ip-scope.ts';
import type { RateLimitSlotRule } from './slots.ts';

export type SlotOverride = false | RateLimitSlotRule | { readonly group: string };

export interface RateLimitEnforcerOptions {
  readonly limiter: RateLimiter;
  /** Every slot with its default rule: the merge of the features' `rateLimits`. */
  readonly table: Readonly<Record<string, RateLimitSlotRule>>;
  /** Overrides of the table (config `rateLimits.slots`). */
  readonly slots?: Readonly<Record<string, SlotOverride>>;
  readonly groups?: Readonly<Record<string, RateLimitSlotRule>>;
  /**
   * Keyed digest of a counter's subject: an attacker-chosen email never reaches the store as is,
   * and keys have a fixed length whatever was typed.
   */
  readonly subjectDigest: (subject: string) => string;
  readonly ipv6PrefixLength: number;
}

interface ResolvedSlot {
  /** Counter namespace: the slot itself, or the group it shares a budget with. */
  readonly bucket: string;
  readonly rule: RateLimitSlotRule;
}

export interface RateLimitEnforcer {
  /** The hook the HTTP app calls for routes that declare a slot. */
  readonly hook: RateLimitHook;
  /** Every slot the enforcer knows (turned-off slots included), to check routes at assembly. */
  readonly slots: ReadonlySet<string>;
}

/**
 * Applies the slot table: each request of a limited route is counted once (one store round
 * trip) against `<bucket>:<scope>:<digest of subject>`, and refused with `Retry-After` when the
 * budget is spent. Headers follow the IETF RateLimit header fields draft (version 07 syntax):
 * `RateLimit-Policy: <limit>;w=<window>` and `RateLimit: limit=…, remaining=…, reset=…`.
 */
export function createRateLimitEnforcer(options: RateLimitEnforcerOptions): RateLimitEnforcer {
  const problems = slotOverrideProblems(options.table, options.slots, options.groups);
  if (problems.length > 0) throw new ConfigError(problems);
  const resolved = new Map<string, ResolvedSlot | null>();
  const names = new Set([...Object.keys(options.table), ...Object.keys(options.slots ?? {})]);
  for (const name of names) {
    const override = options.slots?.[name];
    if (override === false) {
      resolved.set(name, null);
    } else if (override && 'group' in override) {
      const rule = options.groups?.[override.group] as RateLimitSlotRule;
      resolved.set(name, { bucket: `g.${override.group}`, rule });
    } else {
      const rule = override ?? options.table[name];
      if (rule) resolved.set(name, { bucket: `s.${name}`, rule });
    }
  }

  const hook: RateLimitHook = async (slot, subject) => {
    const entry = resolved.get(slot);
    if (entry === undefined) throw new TypeError(`unknown rate-limit slot ${slot}`);
    if (entry === null) return { headers: {}, retryAfterSeconds: null };
    const { rule, bucket } = entry;
    const ip = ipScope(subject.clientIp, options.ipv6PrefixLength);
    // Without an identifier (e.g. a malformed email), count per address: never unlimited.
    const who =
      rule.scope === 'ip' || subject.identifier === null
        ? `ip\u0000${ip}`
        : rule.scope === 'identifier'
          ? `id\u0000${subject.identifier}`
          : `ipid\u0000${ip}\u0000${subject.identifier}`;
    const storeRule: RateLimitRule = { limit: rule.limit, windowMs: rule.windowSeconds * 1000 };
    const decision = await options.limiter.consume(`${bucket}:${options.subjectDigest(who)}`, storeRule);
    const headers = {
      'RateLimit-Policy': `${rule.limit};w=${rule.windowSeconds}`,
      RateLimit: `limit=${rule.limit}, remaining=${decision.remaining}, reset=${Math.ceil(decision.resetMs / 1000)}`,
    };
    return {
      headers,
      retryAfterSeconds: decision.allowed ? null : Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
    };
  };
  return { hook, slots: new Set(resolved.keys()) };
}

/**
 * Overrides that name no slot of the table, or a group that is not declared. A misspelled slot
 * (`logn`) would otherwise apply no limit at all, silently: the operator meant to set one.
 */
export function slotOverrideProblems(
  table: RateLimitEnforcerOptions['table'],
  slots: RateLimitEnforcerOptions['slots'],
  groups: RateLimitEnforcerOptions['groups'],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [name, override] of Object.entries(slots ?? {})) {
    if (!Object.hasOwn(table, name)) {
      problems.push({
        path: `rateLimits.slots.${name}`,
        message: `no rate-limit slot has this name (known slots: ${Object.keys(table).join(', ')})`,
      });
    } else if (override && 'group' in override && !Object.hasOwn(groups ?? {}, override.group)) {
      problems.push({
        path: `rateLimits.slots.${name}.group`,
        message: 'names a group that rateLimits.groups does not declare',
      });
    }
  }
  return problems;
}
