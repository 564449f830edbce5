/**
 * Sign-in providers as small plain objects. A provider is either a generic OpenID Connect issuer
 * (discovery, JWKS and ID-token validation do the rest) or GitHub (plain OAuth 2 plus its user
 * and emails API). Scopes are fixed here, by server configuration: nothing in a request to
 * `/authorize` can change them.
 *
 * Adding a provider is one object. Any OIDC provider:
 *
 * ```ts
 * const gitlab: ProviderConfig = {
 *   kind: 'oidc',
 *   issuer: 'https://gitlab.com',
 *   clientId: process.env.GITLAB_CLIENT_ID!,
 *   clientSecret: process.env.GITLAB_CLIENT_SECRET!,
 * };
 * ```
 *
 * or a preset: `google({ clientId, clientSecret })`, `microsoft({ clientId, clientSecret,
 * tenant })`, `github({ clientId, clientSecret })`.
 */

/** A generic OpenID Connect provider, found through its discovery document. */
export interface OidcProviderConfig {
  readonly kind: 'oidc';
  /** What the hosted pages call it ("Continue with …"). Presets set it; default: the provider's key. */
  readonly displayName?: string;
  /**
   * The issuer identifier, exactly as the provider publishes it. Discovery is fetched from
   * `<issuer>/.well-known/openid-configuration`, and the document's `issuer` must equal this
   * (or {@link issuerTemplate}). Must be `https:`; plain `http:` only on a loopback host and only
   * when the client is created with `allowInsecureLoopback`.
   */
  readonly issuer: string;
  readonly clientId: string;
  /** Omit for a public client: the code is then redeemed with PKCE alone. */
  readonly clientSecret?: string;
  /** Scopes to request. `openid` is always included. Default: `openid email profile`. */
  readonly scopes?: readonly string[];
  /**
   * For multi-tenant issuers only (Microsoft's `common` and `organizations`): the issuer the
   * discovery document advertises, a template holding `{tenantid}`, such as
   * `https://login.microsoftonline.com/{tenantid}/v2.0`. Each ID token's `iss` must then equal
   * the template with `{tenantid}` replaced by the token's own `tid` claim (a GUID). The
   * signature is still checked against the provider's JWKS, so only the provider can choose
   * the tenant; any tenant of that provider can sign in, though (see `microsoft()`).
   */
  readonly issuerTemplate?: string;
  /**
   * Whether the provider's `email_verified` claim is believed (default `true`). Turn it off for
   * providers whose addresses account administrators can set freely, so that their addresses
   * are always reported as unverified and can never be used to link accounts.
   */
  readonly trustEmailVerified?: boolean;
}

/** GitHub's endpoints: github.com by default; override for GitHub Enterprise Server. */
export interface GitHubEndpoints {
  readonly authorization: string;
  readonly token: string;
  /** `GET` the signed-in user (`id`, `login`, `name`). */
  readonly user: string;
  /** `GET` the user's addresses (`email`, `primary`, `verified`). Needs the `user:email` scope. */
  readonly emails: string;
}

/** GitHub: plain OAuth 2 (no ID token), identity and addresses read from its REST API. */
export interface GitHubProviderConfig {
  readonly kind: 'github';
  /** What the hosted pages call it ("Continue with …"). The preset sets `GitHub`; default: the provider's key. */
  readonly displayName?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Scopes to request. Default: `read:user user:email`. */
  readonly scopes?: readonly string[];
  /** Endpoint overrides (GitHub Enterprise Server, tests); each omitted one is github.com's. */
  readonly endpoints?: Partial<GitHubEndpoints>;
}

export type ProviderConfig = OidcProviderConfig | GitHubProviderConfig;

/** Scopes an OIDC provider gets when its config names none. */
export const DEFAULT_OIDC_SCOPES: readonly string[] = Object.freeze(['openid', 'email', 'profile']);

/** Scopes GitHub gets when its config names none: the profile and the address list. */
export const DEFAULT_GITHUB_SCOPES: readonly string[] = Object.freeze(['read:user', 'user:email']);

/** github.com's endpoints. */
export const GITHUB_ENDPOINTS: GitHubEndpoints = Object.freeze({
  authorization: 'https://github.com/login/oauth/authorize',
  token: 'https://github.com/login/oauth/access_token',
  user: 'https://api.github.com/user',
  emails: 'https://api.github.com/user/emails',
});

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Replaces the preset's name on the pages (e.g. `Example Corp (Google)`). */
  readonly displayName?: string;
}

/** Google (OpenID Connect). Google asserts `email_verified`, so its addresses can count as verified. */
export function google(credentials: ClientCredentials): OidcProviderConfig {
  return Object.freeze({
    kind: 'oidc',
    displayName: credentials.displayName ?? 'Google',
    issuer: 'https://accounts.google.com',
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    scopes: DEFAULT_OIDC_SCOPES,
  });
}

/** The tenant id Microsoft gives personal accounts; usable in place of `consumers`. */
const MICROSOFT_CONSUMER_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface MicrosoftOptions extends ClientCredentials {
  /**
   * Who may sign in: `common` (default: any work, school or personal account), `organizations`
   * (any work or school account), `consumers` (personal accounts), or one directory's tenant
   * id (a GUID). Domain names are refused: their discovery document names the GUID as issuer,
   * so pass the GUID itself.
   */
  readonly tenant?: string;
}

/**
 * Microsoft identity platform (Entra ID, v2.0 endpoints).
 *
 * `common` and `organizations` publish the templated issuer
 * `https://login.microsoftonline.com/{tenantid}/v2.0`; each ID token is checked against the
 * template filled with its own `tid` claim. That lets users of *every* tenant in, so use a
 * tenant id to restrict sign-in to one directory. A tenant administrator can put any address on
 * an account and Microsoft does not vouch for it, so `trustEmailVerified` is off: addresses from
 * this provider are always reported as unverified and never link to an existing account.
 * `consumers` is mapped to the consumer tenant's GUID, whose discovery `issuer` matches.
 */
export function microsoft(options: MicrosoftOptions): OidcProviderConfig {
  const tenant = options.tenant ?? 'common';
  const base = 'https://login.microsoftonline.com';
  const common = {
    kind: 'oidc' as const,
    displayName: options.displayName ?? 'Microsoft',
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scopes: DEFAULT_OIDC_SCOPES,
    trustEmailVerified: false,
  };
  if (tenant === 'common' || tenant === 'organizations') {
    return Object.freeze({
      ...common,
      issuer: `${base}/${tenant}/v2.0`,
      issuerTemplate: `${base}/{tenantid}/v2.0`,
    });
  }
  if (tenant === 'consumers')
    return Object.freeze({ ...common, issuer: `${base}/${MICROSOFT_CONSUMER_TENANT}/v2.0` });
  if (TENANT_ID.test(tenant)) return Object.freeze({ ...common, issuer: `${base}/${tenant}/v2.0` });
  throw new TypeError(
    'microsoft(): tenant must be "common", "organizations", "consumers" or a tenant id (a lower-case GUID)',
  );
}

/**
 * GitHub (plain OAuth 2). Identity comes from `GET /user`; the address is the one
 * `GET /user/emails` marks both `primary` and `verified`. A primary address GitHub has not
 * verified is returned with `emailVerified: false`.
 */
export function github(credentials: ClientCredentials): GitHubProviderConfig {
  return Object.freeze({
    kind: 'github',
    displayName: credentials.displayName ?? 'GitHub',
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    scopes: DEFAULT_GITHUB_SCOPES,
  });
}
