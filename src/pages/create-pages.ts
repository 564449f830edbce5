import { type Context, Hono } from 'hono';
import type { ResolvedConfig, UserView } from '../core/index.ts';
import { checkRedirectTarget } from '../core/redirect-target.ts';
import { readCookie, serializeCookie } from '../http/index.ts';
import { type ApiFetch, type ApiProblem, createApiClient } from './api.ts';
import { CSRF_FIELD, createFormCsrf, type FormDigests } from './csrf.ts';
import {
  CATALOGUES,
  isLocale,
  type Locale,
  type MessageKey,
  negotiateLocale,
  translator,
} from './i18n/index.ts';
import type { Page, PageGroup, PageHandler, PagePaths, PageRouter, PageSettings } from './page.ts';
import { PASSKEY_SCRIPT, PASSKEY_SCRIPT_FILE } from './passkey-script.generated.ts';
import type { FieldError } from './render/form.ts';
import { layout } from './render/layout.ts';
import { accountPages } from './routes/account.ts';
import { emailCodePages } from './routes/email-code.ts';
import { errorView, formExpiredView, notFoundView } from './routes/errors.ts';
import { homePages } from './routes/home.ts';
import { mailLinkPages } from './routes/mail-links.ts';
import { signInPages } from './routes/sign-in.ts';
import { signUpPages } from './routes/sign-up.ts';
import { contentSecurityPolicy, newNonce, pageHeaders } from './security-headers.ts';
import { STYLESHEET, STYLESHEET_FILE } from './stylesheet.ts';

/** The groups of pages, in the order their routes are registered. */
const PAGE_GROUPS: readonly PageGroup[] = [
  homePages,
  signInPages,
  emailCodePages,
  signUpPages,
  mailLinkPages,
  accountPages,
];

/** Largest form body a page accepts (a password of the policy's maximum length fits). */
const FORM_LIMIT_BYTES = 16 * 1024;
const LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600;

export interface PagesOptions {
  readonly config: ResolvedConfig;
  /** The JSON API, called in-process (the pages never reimplement what it does). */
  readonly api: ApiFetch;
  /** Keyed digests for the form tokens (their own key purpose). */
  readonly formDigests: FormDigests;
  /** Where a page that failed is logged (never with the request's body). */
  readonly logger?: { error(details: object, message: string): void };
  /** What the API-key page offers: the declared scopes and the key lifetimes (days). */
  readonly apiKeys?: PageSettings['apiKeys'];
  /** The `emailCode` option: its pages are served only when it is enabled. */
  readonly emailCode?: { readonly enabled: boolean; readonly linkPath: string };
  /** The `passkeys` option: the sign-in page offers passkeys when it is enabled. */
  readonly passkeys?: { readonly enabled: boolean };
}

/** The hosted pages: a fetch handler to mount, and where each page is. */
export interface Pages {
  /** The Hono app of the pages (mount it with `app.route('/', auth.pages.app)`). */
  readonly app: Hono;
  /** Handles a page request; `env` is passed to the API (it carries the client's socket). */
  fetch(request: Request, env?: unknown): Promise<Response>;
  readonly paths: PagePaths;
  /** Whether a path is one of the pages' (or their stylesheet's). */
  handles(pathname: string): boolean;
}

function joinUnder(base: string, path: string): string {
  return base === '/' ? path : `${base}${path}`;
}

export function pagePaths(config: ResolvedConfig): PagePaths {
  const base = config.ui.basePath;
  const under = (path: string) => joinUnder(base, path);
  return {
    home: base,
    signIn: under('/sign-in'),
    signUp: under('/sign-up'),
    forgotPassword: under('/forgot-password'),
    twoFactor: under('/two-factor'),
    signOut: under('/sign-out'),
    signedOut: under('/signed-out'),
    account: under('/account'),
    // The mail-link pages answer exactly the paths the links in mail name.
    verifyEmail: config.mail.links.verifyEmail,
    resetPassword: config.mail.links.resetPassword,
    confirmEmail: config.mail.links.confirmEmail,
    emailCode: under('/sign-in/email-code'),
    stylesheet: under(`/assets/${STYLESHEET_FILE}`),
    passkeyScript: under(`/assets/${PASSKEY_SCRIPT_FILE}`),
  };
}

function providerOrigins(config: ResolvedConfig): string[] {
  return Object.values(config.oauth.providers).map((provider) =>
    provider.kind === 'oidc'
      ? new URL(provider.issuer).origin
      : new URL(provider.endpoints?.authorization ?? 'https://github.com').origin,
  );
}

/**
 * Builds the hosted pages over the JSON API: sign-in, the 2FA step, sign-up, forgot and reset
 * password, the mail-link pages, signed out, and the account page. Every page answers with a
 * strict CSP (a fresh nonce each time), every form is CSRF-checked, and every action is a call
 * to the API's own route, in-process, with the browser's cookies and address.
 */
export function createPages(options: PagesOptions): Pages {
  const { config } = options;
  const paths = pagePaths(config);
  const apiBase = config.http.basePath;
  const allowedOrigins = new Set([
    new URL(config.baseUrl).origin,
    ...config.cors.origins,
    ...config.csrf.trustedOrigins,
  ]);
  const secure = config.cookies.secure;
  const csrf = createFormCsrf({ digests: options.formDigests, allowedOrigins, secure });
  const api = createApiClient({ fetch: options.api, basePath: apiBase });
  const languageCookie = secure ? '__Host-gh_lang' : 'gh_lang';
  const settings: PageSettings = {
    appName: config.ui.appName ?? config.appName,
    logoUrl: config.ui.logoUrl,
    colors: config.ui.colors,
    supportEmail: config.ui.supportEmail,
    minPasswordLength: config.passwords.minLength,
    providers: Object.entries(config.oauth.providers).map(([name, provider]) => ({
      name,
      displayName: provider.displayName ?? name,
      authorizePath: `${apiBase}/auth/oauth/${encodeURIComponent(name)}/authorize`,
    })),
    pendingLoginSeconds: config.twoFactor.pendingLoginTtlSeconds,
    secureCookies: secure,
    emailCode: options.emailCode?.enabled ? { linkPath: options.emailCode.linkPath } : null,
    passkeys: options.passkeys?.enabled === true,
    apiBasePath: apiBase,
    apiKeys: options.apiKeys ?? { scopes: [], defaultTtlDays: 365, maxTtlDays: 365 },
  };
  const logoOrigin = settings.logoUrl?.startsWith('https://') ? [new URL(settings.logoUrl).origin] : [];
  const formOrigins = [...new Set(providerOrigins(config))];
  const redirectPolicy = { baseUrl: config.baseUrl, allowedOrigins: config.oauth.redirectOrigins };
  const layoutSettings = { ...settings, stylesheetHref: paths.stylesheet };

  const app = new Hono();
  const served = new Set<string>([paths.stylesheet, paths.passkeyScript]);

  app.get(paths.passkeyScript, () => {
    return new Response(PASSKEY_SCRIPT, {
      headers: {
        'Content-Type': 'text/javascript; charset=utf-8',
        // The name carries the content's hash, as the stylesheet's does.
        'Cache-Control': 'public, max-age=31536000, immutable',
        'X-Content-Type-Options': 'nosniff',
      },
    });
  });

  app.get(paths.stylesheet, () => {
    return new Response(STYLESHEET, {
      headers: {
        'Content-Type': 'text/css; charset=utf-8',
        // The name carries the content's hash: a new sheet is a new URL.
        'Cache-Control': 'public, max-age=31536000, immutable',
        'X-Content-Type-Options': 'nosniff',
      },
    });
  });

  function localeOf(c: Context): { locale: Locale; setCookie: string | null } {
    const asked = c.req.query('lang');
    if (isLocale(asked)) {
      return {
        locale: asked,
        setCookie: serializeCookie(languageCookie, asked, {
          secure,
          sameSite: 'lax',
          maxAgeSeconds: LANGUAGE_COOKIE_SECONDS,
        }),
      };
    }
    const saved = readCookie(c.req.header('cookie') ?? null, languageCookie);
    if (saved.status === 'present' && isLocale(saved.value)) return { locale: saved.value, setCookie: null };
    return { locale: negotiateLocale(c.req.header('accept-language') ?? null), setCookie: null };
  }

  /** Builds the `Page` of a request; `form` is the parsed POST body (empty for GET). */
  function pageOf(c: Context, form: URLSearchParams, cookies: string[], locale: Locale, nonce: string): Page {
    const t = translator(locale);
    const request = c.req.raw;
    const secret = csrf.secretFor(request);
    if (secret.setCookie) cookies.push(secret.setCookie);
    const csp = contentSecurityPolicy(nonce, { imageOrigins: logoOrigin, formOrigins });
    const finish = (response: Response, extra: readonly string[]): Response => {
      for (const [name, value] of Object.entries(pageHeaders(csp))) response.headers.set(name, value);
      for (const cookie of [...cookies, ...extra]) response.headers.append('Set-Cookie', cookie);
      return response;
    };
    let user: Promise<UserView | null> | undefined;
    const page: Page = {
      request,
      url: new URL(request.url),
      locale,
      t,
      nonce,
      csrfToken: csrf.tokenFor(secret.secret),
      settings,
      paths,
      form,
      api: (method, path, callOptions) => api.call(request, c.env, method, path, callOptions),
      currentUser() {
        user ??= api
          .call(request, c.env, 'GET', '/users/me')
          .then((answer) => (answer.status === 200 ? (answer.body.user as UserView) : null));
        return user;
      },
      async render(view) {
        const document = await layout(layoutSettings, {
          title: view.title,
          body: view.body,
          locale,
          nonce,
          url: page.url,
        });
        const response = new Response(String(document), {
          status: view.status ?? 200,
          headers: { 'Content-Type': 'text/html; charset=utf-8' },
        });
        return finish(response, view.cookies ?? []);
      },
      redirect(location, extra = []) {
        return finish(new Response(null, { status: 303, headers: { Location: location } }), extra);
      },
      errorsOf(problem, fields = {}) {
        return errorsOf(page, problem, fields);
      },
      returnTo(value) {
        if (!value) return paths.account;
        const target = checkRedirectTarget(value, redirectPolicy);
        if (target === null) return paths.account;
        // A target on our own origin is sent as a path, so the redirect stays on the origin the
        // browser is on (the pages may be reached through a proxy).
        const url = new URL(target);
        return url.origin === new URL(config.baseUrl).origin
          ? `${url.pathname}${url.search}${url.hash}`
          : target;
      },
      has: (key): key is MessageKey => Object.hasOwn(CATALOGUES.en, key),
    };
    return page;
  }

  async function run(c: Context, handler: PageHandler, method: 'GET' | 'POST'): Promise<Response> {
    const { locale, setCookie } = localeOf(c);
    const cookies: string[] = setCookie ? [setCookie] : [];
    const nonce = newNonce();
    if (method === 'GET') return handler(pageOf(c, new URLSearchParams(), cookies, locale, nonce));
    const body = await readForm(c.req.raw);
    const page = pageOf(c, body ?? new URLSearchParams(), cookies, locale, nonce);
    if (body === null) return page.render({ ...errorView(page), status: 400 });
    if (!csrf.check(c.req.raw, body.get(CSRF_FIELD)))
      return page.render({ ...formExpiredView(page), status: 403 });
    return handler(page);
  }

  const router: PageRouter = {
    paths,
    settings,
    get(path, handler) {
      served.add(path);
      app.get(path, (c) => run(c, handler, 'GET'));
    },
    post(path, handler) {
      served.add(path);
      app.post(path, (c) => run(c, handler, 'POST'));
    },
  };
  for (const group of PAGE_GROUPS) group(router);

  app.notFound(async (c) => {
    const { locale } = localeOf(c);
    const page = pageOf(c, new URLSearchParams(), [], locale, newNonce());
    return page.render({ ...notFoundView(page), status: 404 });
  });
  app.onError(async (error, c) => {
    options.logger?.error({ err: error, path: c.req.path }, 'a page failed');
    const page = pageOf(c, new URLSearchParams(), [], localeOf(c).locale, newNonce());
    return page.render({ ...errorView(page), status: 500 });
  });

  // `/ui/` answers like `/ui` (browsers and people add the slash).
  if (paths.home !== '/') served.add(`${paths.home}/`);
  return {
    app,
    fetch: async (request, env) => app.fetch(request, env),
    paths,
    handles: (pathname) => served.has(pathname),
  };
}

/**
 * A POST body of the pages: `application/x-www-form-urlencoded`, at most FORM_LIMIT_BYTES, or
 * `null` (a page never reads JSON, and the JSON API never reads forms).
 */
async function readForm(request: Request): Promise<URLSearchParams | null> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return null;
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > FORM_LIMIT_BYTES) return null;
  const reader = request.body?.getReader();
  if (!reader) return new URLSearchParams();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > FORM_LIMIT_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** The messages of an API problem, placed next to the form's fields. */
function errorsOf(page: Page, problem: ApiProblem, fields: Readonly<Record<string, string>>): FieldError[] {
  const { t } = page;
  const fieldFor = (path: string): string | undefined => fields[path];
  if (
    problem.code === 'RATE_LIMITED' ||
    (problem.code === 'SERVICE_UNAVAILABLE' && problem.retryAfterSeconds)
  ) {
    const message =
      problem.code === 'RATE_LIMITED'
        ? problem.retryAfterSeconds
          ? t('code.RATE_LIMITED', { seconds: problem.retryAfterSeconds })
          : t('code.RATE_LIMITED_LATER')
        : t('code.SERVICE_UNAVAILABLE');
    return [{ message }];
  }
  if (problem.code === 'PASSWORD_POLICY' && problem.errors.length > 0) {
    return problem.errors.map((e) => {
      const key = `policy.${e.message}`;
      const field = fieldFor(e.path);
      const message = page.has(key)
        ? t(key, { min: page.settings.minPasswordLength })
        : t('code.VALIDATION_FAILED');
      return field ? { field, message } : { message };
    });
  }
  if (problem.code === 'VALIDATION_FAILED' && problem.errors.length > 0) {
    return problem.errors.map((e) => {
      const root = e.path.split('.')[0] ?? e.path;
      const field = fieldFor(root);
      const message =
        root === 'email' || root === 'newEmail' ? t('field.email.invalid') : t('field.required');
      return field ? { field, message } : { message: t('code.VALIDATION_FAILED') };
    });
  }
  const key = `code.${problem.code}`;
  const message = page.has(key) ? t(key) : t('code.generic');
  const field = fieldFor(problem.code);
  return [field ? { field, message } : { message }];
}
