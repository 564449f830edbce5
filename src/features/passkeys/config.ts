/**
 * The passkey options, `createAuth({ passkeys: {…} })`: the relying party (RP ID, origins,
 * name), the user-verification policy and what a signature counter going backwards does.
 */
import { z } from 'zod';

/** The defaults of the `passkeys` options (part of the `DEFAULTS` Gatehouse exports). */
export const PASSKEY_DEFAULTS = Object.freeze({
  passkeyUserVerification: 'preferred' as const,
  passkeyCounterRegression: 'refuse' as const,
  passkeyMaxPerUser: 20,
});

/** How long a ceremony may take: the browser's timeout and the stored challenge's life. */
export const PASSKEY_CHALLENGE_TTL_SECONDS = 300;

/** The top-level option this feature owns. */
export const PASSKEY_CONFIG_KEY = 'passkeys';

/** A WebAuthn RP ID: a registrable domain or host name (never an IP address, never a port). */
const rpId = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, {
    message: 'must be a lower-case host name (no scheme, port or path)',
  })
  .refine((value) => !/^[0-9.]+$/.test(value), { message: 'an IP address is not a valid RP ID' });

/** An origin as a browser sends it in clientDataJSON: scheme, host and port only. */
const origin = z.url().refine(
  (value) => {
    const url = new URL(value);
    return url.origin === value && (url.protocol === 'https:' || url.protocol === 'http:');
  },
  { message: 'must be an origin such as https://app.example.com (no path, no trailing slash)' },
);

export const passkeyOptionsSchema = z
  .strictObject({
    /** Turns the passkey routes on (default) or off. */
    enabled: z.boolean().default(true),
    /** The RP ID credentials are scoped to; default: the host of `baseUrl`. */
    rpId: rpId.optional(),
    /** The name authenticators show; default: `appName`. */
    rpName: z.string().trim().min(1).max(64).optional(),
    /** Origins a ceremony may come from; default: the origin of `baseUrl`. */
    origins: z.array(origin).min(1).max(32).optional(),
    /** `preferred` (a passkey without UV counts as one factor) or `required` (refused without UV). */
    userVerification: z.enum(['preferred', 'required']).default(PASSKEY_DEFAULTS.passkeyUserVerification),
    /** A counter that did not go up: `refuse` the sign-in (and audit), or only `audit` it. */
    counterRegression: z.enum(['refuse', 'audit']).default(PASSKEY_DEFAULTS.passkeyCounterRegression),
    /** The most passkeys one account may register. */
    maxPerUser: z.int().min(1).max(100).default(PASSKEY_DEFAULTS.passkeyMaxPerUser),
  })
  .prefault({});

/** The parsed options, as `build` reads them from `context.options`. */
export type PasskeyOptions = z.output<typeof passkeyOptionsSchema>;
