/**
 * The email sign-in code options, `createAuth({ emailCode: {…} })`: off unless turned on (see
 * docs/EMAIL-CODES.md for why), their defaults and the schema that validates them with the
 * rest of the configuration.
 */
import { z } from 'zod';

/** The defaults of the `emailCode` options (part of the `DEFAULTS` Gatehouse exports). */
export const EMAIL_CODE_DEFAULTS = Object.freeze({
  emailCodeEnabled: false,
  emailCodeLength: 6,
  emailCodeTtlSeconds: 600,
  emailCodeMaxAttempts: 5,
  emailCodeLinkPath: '/email-code',
});

/** The top-level option this feature owns. */
export const EMAIL_CODE_CONFIG_KEY = 'emailCode';

export const emailCodeOptionsSchema = z
  .strictObject({
    /** Sign-in by a code (and link) mailed to the address; off by default. */
    enabled: z.boolean().default(EMAIL_CODE_DEFAULTS.emailCodeEnabled),
    /** Digits of the code. */
    codeLength: z.int().min(6).max(8).default(EMAIL_CODE_DEFAULTS.emailCodeLength),
    /** How long a code (and its link) works. */
    ttlSeconds: z.int().min(60).max(3600).default(EMAIL_CODE_DEFAULTS.emailCodeTtlSeconds),
    /** Checks one code may have (right or wrong) before it is dead. */
    maxAttempts: z.int().min(1).max(10).default(EMAIL_CODE_DEFAULTS.emailCodeMaxAttempts),
    /** Path under `mail.linkBase` (or `baseUrl`) of the page the mailed link opens. */
    linkPath: z
      .string()
      .regex(/^\/[A-Za-z0-9/_.-]{0,199}$/, 'must be a path starting with /')
      .default(EMAIL_CODE_DEFAULTS.emailCodeLinkPath),
  })
  .prefault({});

/** The parsed options, as `build` reads them from `context.options`. */
export type EmailCodeOptions = z.output<typeof emailCodeOptionsSchema>;
