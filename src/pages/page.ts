import type { UserView } from '../core/index.ts';
import type { ApiAnswer, ApiCallOptions, ApiProblem } from './api.ts';
import type { Locale, MessageKey, Translate } from './i18n/index.ts';
import type { FieldError } from './render/form.ts';
import type { Html } from './render/html.ts';

/** Where each page is, with `ui.basePath` (and `mail.links` for the mail-link pages) applied. */
export interface PagePaths {
  readonly home: string;
  readonly signIn: string;
  readonly signUp: string;
  readonly forgotPassword: string;
  readonly twoFactor: string;
  readonly signOut: string;
  readonly signedOut: string;
  readonly account: string;
  readonly verifyEmail: string;
  readonly resetPassword: string;
  readonly confirmEmail: string;
  /** Sign-in by a mailed code (served only with `emailCode.enabled`). */
  readonly emailCode: string;
  readonly stylesheet: string;
  /** The sign-in page's passkey script (a file, like the stylesheet). */
  readonly passkeyScript: string;
}

/** What the pages show and link to, from the configuration. */
export interface PageSettings {
  readonly appName: string;
  readonly logoUrl: string | undefined;
  readonly colors: { readonly accent?: string | undefined; readonly accentDark?: string | undefined };
  readonly supportEmail: string | undefined;
  /** `passwords.minLength`, for the new-password hint. */
  readonly minPasswordLength: number;
  /**
   * The configured OAuth providers (a button each): the key of the routes, the name people
   * read (`displayName`, else the key), and the path that starts each.
   */
  readonly providers: readonly {
    readonly name: string;
    readonly displayName: string;
    readonly authorizePath: string;
  }[];
  /** Seconds a pending 2FA sign-in lasts (the pending cookie's lifetime). */
  readonly pendingLoginSeconds: number;
  /** Whether cookies are `Secure` (and so `__Host-` prefixed). */
  readonly secureCookies: boolean;
  /** Email sign-in codes when turned on: where the mailed link points (its page); `null` when off. */
  readonly emailCode: { readonly linkPath: string } | null;
  /** Whether passkeys are on: the sign-in page offers them (with JavaScript and WebAuthn). */
  readonly passkeys: boolean;
  /** The JSON API's base path, for the passkey script's calls. */
  readonly apiBasePath: string;
  /** `apiKeys.scopes` (offered beside the person's roles) and the key lifetimes, in days. */
  readonly apiKeys: {
    readonly scopes: readonly string[];
    readonly defaultTtlDays: number;
    readonly maxTtlDays: number;
  };
}

/** What a page renders: a title (the `<h1>` and `<title>`) and its content. */
export interface View {
  readonly title: string;
  readonly body: Html;
  /** @default 200 */
  readonly status?: number;
  /** `Set-Cookie` values to send along (the session cookie after a sign-in). */
  readonly cookies?: readonly string[];
}

/**
 * One page request, as every page handler gets it: the language, the nonce and form token of
 * this response, the settings and paths, and the ways to call the API and to answer.
 */
export interface Page {
  readonly request: Request;
  readonly url: URL;
  readonly locale: Locale;
  readonly t: Translate;
  /** The CSP nonce of this response (for an inline `<script>` or `<style>`). */
  readonly nonce: string;
  /** The token every form of this response carries (`form()` puts it in). */
  readonly csrfToken: string;
  readonly settings: PageSettings;
  readonly paths: PagePaths;
  /** The fields of a POST (its CSRF token and Origin were checked before the handler ran). */
  readonly form: URLSearchParams;
  /** Calls a JSON API route in-process with the browser's cookies, origin and address. */
  api(method: string, path: string, options?: ApiCallOptions): Promise<ApiAnswer>;
  /** The signed-in user of the browser's cookie session, or `null`. */
  currentUser(): Promise<UserView | null>;
  /** An HTML answer in the layout, with the security headers. */
  render(view: View): Promise<Response>;
  /** A 303 to `location` (a path of ours or a checked target). */
  redirect(location: string, cookies?: readonly string[]): Response;
  /**
   * The messages of an API problem, each next to its field: `fields` maps the API's field
   * paths (and codes, e.g. `LOGIN_BAD_CREDENTIALS`) to the form's field names.
   */
  errorsOf(problem: ApiProblem, fields?: Readonly<Record<string, string>>): FieldError[];
  /** `returnTo` if it passes the redirect rules (a path, or an allowed origin), else the account page. */
  returnTo(value: string | null | undefined): string;
  /** Whether a message key exists (codes without their own message fall back to a generic one). */
  has(key: string): key is MessageKey;
}

/** A page handler. */
export type PageHandler = (page: Page) => Promise<Response>;

/** How a group of pages registers its routes (see docs/PAGES.md, "Adding a page"). */
export interface PageRouter {
  readonly paths: PagePaths;
  readonly settings: PageSettings;
  get(path: string, handler: PageHandler): void;
  post(path: string, handler: PageHandler): void;
}

/** A group of pages: one file of `routes/`, listed in create-pages.ts. */
export type PageGroup = (router: PageRouter) => void;
