import { z } from 'zod';
import {
  type CookieSessionStart,
  coreError,
  type Principal,
  type TokenResponse,
  toUserView,
} from '../../core/index.ts';
import {
  CSRF_HEADER,
  defineRoute,
  isAllowedOrigin,
  type RouteDefinition,
  type RouteResult,
  requestMeta,
} from '../../http/index.ts';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from './ceremony.ts';
import type { Passkey } from './repository.ts';
import type { PasskeyService } from './service.ts';

export interface PasskeyRoutesOptions {
  readonly passkeys: PasskeyService;
  readonly tokenBody: (tokens: TokenResponse) => unknown;
  readonly tokenSchema: z.ZodType;
  readonly userSchema: z.ZodType;
  readonly challengeSchema: z.ZodType;
  readonly allowedOrigins: ReadonlySet<string>;
}

/** base64url as WebAuthn JSON carries it (bounded: an attestation object is a few KB). */
const b64url = (max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'must be base64url')
    .max(max);
const credentialId = b64url(1366).min(1);
const extensions = z.record(z.string().max(64), z.unknown());
const attachment = z.enum(['platform', 'cross-platform']).optional();

/** What `navigator.credentials.create()` answers, as JSON (`@simplewebauthn/browser`, `toJSON()`). */
const registrationResponse = z.strictObject({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.strictObject({
    clientDataJSON: b64url(4096),
    attestationObject: b64url(32768),
    authenticatorData: b64url(16384).optional(),
    transports: z.array(z.string().max(32)).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: b64url(8192).optional(),
  }),
  authenticatorAttachment: attachment,
  clientExtensionResults: extensions,
});

/** What `navigator.credentials.get()` answers, as JSON. */
const authenticationResponse = z.strictObject({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.strictObject({
    clientDataJSON: b64url(4096),
    authenticatorData: b64url(4096),
    // ML-DSA signatures (post-quantum, which Chromium's authenticator offers) run to ~6 KB.
    signature: b64url(8192),
    userHandle: b64url(128).nullable().optional(),
  }),
  authenticatorAttachment: attachment,
  clientExtensionResults: extensions,
});

/** The options handed to `navigator.credentials` (WebAuthn JSON; `@simplewebauthn/browser` takes them). */
const creationOptions = z.looseObject({
  challenge: z.string(),
  rp: z.looseObject({}),
  user: z.looseObject({}),
});
const requestOptions = z.looseObject({ challenge: z.string() });

const passkeyView = z.strictObject({
  id: z.string(),
  name: z.string(),
  deviceType: z.string(),
  backupEligible: z.boolean(),
  backedUp: z.boolean(),
  transports: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});

function viewOf(passkey: Passkey) {
  return {
    id: passkey.id,
    name: passkey.name,
    deviceType: passkey.deviceType,
    backupEligible: passkey.backupEligible,
    backedUp: passkey.backedUp,
    transports: [...passkey.transports],
    createdAt: new Date(passkey.createdAt).toISOString(),
    lastUsedAt: passkey.lastUsedAt === null ? null : new Date(passkey.lastUsedAt).toISOString(),
  };
}

const name = z.string().trim().min(1).max(100);
const flowId = z.string().min(1).max(64);
const principalOf = (principal: Principal | null): Principal => principal!;
const perUser = ({ principal }: { principal: Principal | null }) => principal?.userId ?? null;
const asRegistration = (value: unknown) => value as RegistrationResponseJSON;
const asAssertion = (value: unknown) => value as AuthenticationResponseJSON;

function renewedHeaders(renewed: CookieSessionStart | null): Record<string, string> {
  return renewed ? { 'Set-Cookie': renewed.setCookie, [CSRF_HEADER]: renewed.csrfToken } : {};
}

/** The passkey rows of API.md: registration, sign-in, step-up, and managing one's passkeys. */
export function passkeyRoutes(options: PasskeyRoutesOptions): RouteDefinition[] {
  const { passkeys } = options;
  return [
    defineRoute({
      method: 'POST',
      path: '/users/me/passkeys/options',
      operationId: 'passkeyRegistrationOptions',
      rateLimit: { slot: 'passkeyRegister', identifier: perUser },
      summary: 'Start registering a passkey: creation options for navigator.credentials.create()',
      description:
        'The challenge is single-use, bound to this session and lives 5 minutes. Needs a fresh ' +
        'second factor (step-up) on an account with 2FA. Attestation `none`; resident key preferred; ' +
        'the account’s passkeys are excluded.',
      tags: ['passkeys'],
      auth: 'required',
      sessionOnly: true,
      stepUp: true,
      responses: { 200: { description: 'Creation options (WebAuthn JSON)', schema: creationOptions } },
      errorCodes: ['PASSKEY_LIMIT_REACHED', 'STEP_UP_REQUIRED', 'TWO_FACTOR_CODE_INVALID'],
      async handler(ctx) {
        const creation = await passkeys.registrationOptions(principalOf(ctx.principal), requestMeta(ctx));
        return { status: 200, body: creation };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/users/me/passkeys',
      operationId: 'registerPasskey',
      rateLimit: { slot: 'passkeyRegister', identifier: perUser },
      summary: 'Finish registering a passkey with the authenticator’s attestation response',
      tags: ['passkeys'],
      auth: 'required',
      sessionOnly: true,
      stepUp: true,
      body: z.strictObject({ response: registrationResponse, name: name.optional() }),
      responses: { 201: { description: 'Registered', schema: z.strictObject({ passkey: passkeyView }) } },
      errorCodes: [
        'PASSKEY_CHALLENGE_INVALID',
        'PASSKEY_VERIFICATION_FAILED',
        'PASSKEY_ALREADY_REGISTERED',
        'PASSKEY_LIMIT_REACHED',
        'STEP_UP_REQUIRED',
        'TWO_FACTOR_CODE_INVALID',
      ],
      async handler(ctx) {
        const passkey = await passkeys.register(
          principalOf(ctx.principal),
          { response: asRegistration(ctx.body.response), name: ctx.body.name },
          requestMeta(ctx),
        );
        return { status: 201, body: { passkey: viewOf(passkey) } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/me/passkeys',
      operationId: 'listPasskeys',
      summary: 'My passkeys',
      tags: ['passkeys'],
      auth: 'required',
      sessionOnly: true,
      responses: {
        200: { description: 'Passkeys', schema: z.strictObject({ passkeys: z.array(passkeyView) }) },
      },
      async handler(ctx) {
        const list = await passkeys.list(principalOf(ctx.principal).userId);
        return { status: 200, body: { passkeys: list.map(viewOf) } };
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/users/me/passkeys/:passkeyId',
      operationId: 'renamePasskey',
      summary: 'Rename one of my passkeys',
      tags: ['passkeys'],
      auth: 'required',
      sessionOnly: true,
      body: z.strictObject({ name }),
      responses: { 200: { description: 'The passkey', schema: z.strictObject({ passkey: passkeyView }) } },
      errorCodes: ['PASSKEY_NOT_FOUND'],
      async handler(ctx) {
        const passkey = await passkeys.rename(
          principalOf(ctx.principal),
          ctx.params.passkeyId,
          ctx.body.name,
          requestMeta(ctx),
        );
        return { status: 200, body: { passkey: viewOf(passkey) } };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/users/me/passkeys/:passkeyId',
      operationId: 'deletePasskey',
      summary: 'Remove one of my passkeys (never the last way to sign in)',
      tags: ['passkeys'],
      auth: 'required',
      sessionOnly: true,
      responses: { 204: { description: 'Removed' } },
      errorCodes: ['PASSKEY_NOT_FOUND', 'LAST_SIGN_IN_METHOD'],
      async handler(ctx) {
        await passkeys.remove(principalOf(ctx.principal), ctx.params.passkeyId, requestMeta(ctx));
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/users/me/passkeys/step-up/options',
      operationId: 'passkeyStepUpOptions',
      rateLimit: { slot: 'passkeyRegister', identifier: perUser },
      summary: 'Request options to step up this session with one of my passkeys (user verification required)',
      tags: ['passkeys'],
      auth: 'required',
      sessionOnly: true,
      responses: { 200: { description: 'Request options (WebAuthn JSON)', schema: requestOptions } },
      errorCodes: ['PASSKEY_NOT_FOUND'],
      async handler(ctx) {
        return { status: 200, body: await passkeys.stepUpOptions(principalOf(ctx.principal)) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/users/me/passkeys/step-up',
      operationId: 'passkeyStepUp',
      rateLimit: { slot: 'passkeyLogin', identifier: perUser },
      summary: 'Step up this session with a user-verified passkey assertion (opens the step-up window)',
      tags: ['passkeys'],
      auth: 'required',
      sessionOnly: true,
      body: z.strictObject({ response: authenticationResponse }),
      responses: { 204: { description: 'Verified; a cookie session gets a new cookie and CSRF token' } },
      errorCodes: ['PASSKEY_CHALLENGE_INVALID', 'PASSKEY_SIGN_IN_FAILED'],
      async handler(ctx) {
        const renewed = await passkeys.stepUp(
          principalOf(ctx.principal),
          asAssertion(ctx.body.response),
          requestMeta(ctx),
        );
        return { status: 204, headers: renewedHeaders(renewed) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/passkey/options',
      operationId: 'passkeySignInOptions',
      rateLimit: { slot: 'passkeyOptions' },
      summary: 'Start a passkey sign-in: request options and a flow id (usernameless, or for an email)',
      description:
        'Without an email the options allow any discoverable credential (conditional UI). With an ' +
        'email they list that account’s passkeys; an unknown address gets a decoy, so the answer ' +
        'does not tell whether the account exists. The challenge is single-use and lives 5 minutes.',
      tags: ['passkeys'],
      body: z.strictObject({ email: z.string().max(320).optional() }),
      responses: {
        200: {
          description: 'Request options and the flow id to send back',
          schema: z.strictObject({ flowId: z.string(), options: requestOptions }),
        },
      },
      async handler(ctx) {
        const result = await passkeys.signInOptions({ email: ctx.body.email });
        return { status: 200, body: result };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/passkey/login',
      operationId: 'passkeyLogin',
      rateLimit: { slot: 'passkeyLogin' },
      summary: 'Sign in with a passkey; answers as POST /auth/login',
      tags: ['passkeys'],
      body: z.strictObject({ flowId, response: authenticationResponse }),
      responses: {
        200: {
          description:
            'Signed in (or, for a passkey without user verification on a 2FA account, the second step)',
          schema: z.union([
            z.object({ user: options.userSchema }).and(options.tokenSchema),
            options.challengeSchema,
          ]),
        },
      },
      errorCodes: ['PASSKEY_CHALLENGE_INVALID', 'PASSKEY_SIGN_IN_FAILED'],
      async handler(ctx): Promise<RouteResult> {
        const result = await passkeys.signIn(
          { flowId: ctx.body.flowId, response: asAssertion(ctx.body.response) },
          'bearer',
          requestMeta(ctx),
        );
        if ('challenge' in result) return { status: 200, body: result.challenge };
        if (!('tokens' in result)) throw new TypeError('a bearer sign-in answers tokens');
        return {
          status: 200,
          body: { ...(options.tokenBody(result.tokens) as object), user: toUserView(result.user) },
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/passkey/session',
      operationId: 'passkeySession',
      rateLimit: { slot: 'passkeyLogin' },
      summary: 'Sign in with a passkey; starts a cookie session as POST /auth/session',
      description: 'Sets the HttpOnly session cookie; the request must come from an allowed origin.',
      tags: ['passkeys'],
      body: z.strictObject({ flowId, response: authenticationResponse, rememberMe: z.boolean().optional() }),
      responses: {
        200: {
          description: 'Signed in; the cookie is set (or the second step, as POST /auth/session)',
          schema: z.union([
            z.strictObject({ user: options.userSchema, csrfToken: z.string() }),
            options.challengeSchema,
          ]),
        },
      },
      errorCodes: ['PASSKEY_CHALLENGE_INVALID', 'PASSKEY_SIGN_IN_FAILED', 'CSRF_FAILED'],
      async handler(ctx): Promise<RouteResult> {
        // Login CSRF: checked before the challenge is spent.
        if (!isAllowedOrigin(ctx.request, options.allowedOrigins)) throw coreError('CSRF_FAILED');
        const result = await passkeys.signIn(
          {
            flowId: ctx.body.flowId,
            response: asAssertion(ctx.body.response),
            rememberMe: ctx.body.rememberMe,
          },
          'cookie',
          requestMeta(ctx),
        );
        if ('challenge' in result) return { status: 200, body: result.challenge };
        if (!('session' in result)) throw new TypeError('a cookie sign-in answers a session');
        return {
          status: 200,
          body: { user: toUserView(result.user), csrfToken: result.session.csrfToken },
          headers: { 'Set-Cookie': result.session.setCookie },
        };
      },
    }),
  ];
}
