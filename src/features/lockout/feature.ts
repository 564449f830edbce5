import type { AuditLog, LoginGuard } from '../../core/index.ts';
import { defineFeature } from '../../feature/index.ts';
import { createLoginGuard } from './login-guard.ts';

/** What other features use: the failed-login guard, `null` when lockout is off. */
export interface LockoutPorts {
  readonly loginGuard: LoginGuard | null;
}

/** Failed-login lockout per account and per address (counters keyed like rate limits). */
export const lockoutFeature = defineFeature({
  id: 'lockout',
  requires: ['audit', 'ratelimit'],
  build({ config, stores, port }) {
    const { audit } = port<{ audit: AuditLog }>('audit');
    const { subjectDigest } = port<{ subjectDigest: (subject: string) => string }>('ratelimit');
    const { enabled, ...policy } = config.lockout;
    const loginGuard = enabled
      ? createLoginGuard({
          policy,
          counters: stores.counters,
          keyValue: stores.keyValue,
          subjectDigest,
          audit,
        })
      : null;
    const ports: LockoutPorts = { loginGuard };
    return { ports };
  },
});
