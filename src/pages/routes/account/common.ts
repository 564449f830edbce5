import type { UserView } from '../../../core/index.ts';
import type { ApiProblem } from '../../api.ts';
import type { Page, PageHandler, PagePaths, PageRouter, View } from '../../page.ts';
import { errorSummary, type FieldError, field, form, links } from '../../render/form.ts';
import { type Html, html, nothing, raw } from '../../render/html.ts';

/** The sections of the account page, each a page of its own under `/account`. */
export interface AccountPaths {
  readonly overview: string;
  readonly profile: string;
  readonly password: string;
  readonly email: string;
  readonly sessions: string;
  readonly twoFactor: string;
  readonly providers: string;
  readonly apiKeys: string;
  readonly passkeys: string;
}

export function accountPaths(paths: PagePaths): AccountPaths {
  const under = (section: string) => `${paths.account}/${section}`;
  return {
    overview: paths.account,
    profile: under('profile'),
    password: under('password'),
    email: under('email'),
    sessions: under('sessions'),
    twoFactor: under('two-factor'),
    providers: under('providers'),
    apiKeys: under('api-keys'),
    passkeys: under('passkeys'),
  };
}

/** A page handler of a signed-in person. */
export type AccountHandler = (page: Page, user: UserView) => Promise<Response>;

/**
 * Runs `handler` for a signed-in browser; any other is sent to sign in and brought back here
 * (a POST whose session ended meanwhile does nothing: the person signs in and sends it again).
 */
function signedIn(path: string, handler: AccountHandler): PageHandler {
  return async (page) => {
    const user = await page.currentUser();
    if (!user) return page.redirect(`${page.paths.signIn}?returnTo=${encodeURIComponent(path)}`);
    return handler(page, user);
  };
}

/** Registers a section's GET and POST for signed-in browsers only. */
export function section(
  router: PageRouter,
  path: string,
  handlers: { readonly get: AccountHandler; readonly post?: AccountHandler },
): void {
  router.get(path, signedIn(path, handlers.get));
  if (handlers.post) router.post(path, signedIn(path, handlers.post));
}

/** A section's page: its content, then the way back to the account overview. */
export function sectionView(page: Page, title: string, body: Html, status?: number): View {
  return {
    title,
    body: html`${body}${links([{ href: page.paths.account, text: page.t('account.back') }])}`,
    ...(status === undefined ? {} : { status }),
  };
}

/** The field a step-up code is typed into, on forms of sensitive actions. */
export const STEP_UP_FIELD = 'stepUpCode';

/**
 * The headers of a sensitive API call: the code typed into the step-up field travels in
 * `X-2FA-Code`, the API's own step-up mechanism (the page never checks a code itself).
 */
export function stepUpHeaders(page: Page): Record<string, string> {
  const code = (page.form.get(STEP_UP_FIELD) ?? '').replace(/\s+/g, '');
  return code ? { 'x-2fa-code': code } : {};
}

/** The step-up code field, with its error when the code sent was refused. */
export function stepUpField(page: Page, errors: readonly FieldError[]): Html {
  return field({
    name: STEP_UP_FIELD,
    label: page.t('field.stepUpCode'),
    hint: page.t('hint.stepUpCode'),
    type: 'text',
    autocomplete: 'one-time-code',
    inputmode: 'numeric',
    maxlength: 64,
    errors,
    autofocus: true,
  });
}

/**
 * The errors of a sensitive action's refusal: a step-up request or a refused code go next to
 * the step-up field; anything else as `fields` maps it.
 */
export function stepUpErrors(
  page: Page,
  problem: ApiProblem,
  fields: Readonly<Record<string, string>> = {},
): FieldError[] {
  if (problem.code === 'STEP_UP_REQUIRED')
    return [{ field: STEP_UP_FIELD, message: page.t('stepUp.needed') }];
  return page.errorsOf(problem, { TWO_FACTOR_CODE_INVALID: STEP_UP_FIELD, ...fields });
}

/** Whether a refusal is about the step-up (so the form shows the step-up field). */
export const isStepUpProblem = (problem: ApiProblem): boolean =>
  problem.code === 'STEP_UP_REQUIRED' || problem.code === 'TWO_FACTOR_CODE_INVALID';

/**
 * The page a sensitive action without a form of its own (revoking a session, linking a
 * provider) answers when the API wants proof that it is still the person: for an account
 * with two-step verification, a code (sent again with the same action); for one without,
 * the password (a fresh sign-in, see the sessions page).
 */
export function stepUpView(
  page: Page,
  user: UserView,
  input: {
    readonly action: string;
    readonly hidden: Readonly<Record<string, string | undefined>>;
    readonly submit: string;
    readonly errors: readonly FieldError[];
    readonly status: number;
  },
): View {
  const { t } = page;
  if (!user.twoFactorEnabled) {
    return sectionView(
      page,
      t('stepUp.title'),
      html`${errorSummary(t, input.errors)}<p>${t('stepUp.passwordIntro')}</p>${form({
        action: input.action,
        csrfToken: page.csrfToken,
        submit: t('stepUp.passwordSubmit'),
        hidden: { intent: 'reauthenticate' },
        body: [usernameHint(user), currentPasswordField(page, input.errors)],
      })}`,
      input.status,
    );
  }
  return sectionView(
    page,
    t('stepUp.title'),
    html`${errorSummary(t, input.errors)}<p>${t('stepUp.codeIntro')}</p>${form({
      action: input.action,
      csrfToken: page.csrfToken,
      submit: input.submit,
      hidden: input.hidden,
      body: stepUpField(page, input.errors),
    })}`,
    input.status,
  );
}

/** The current-password field (name `currentPassword`). */
export function currentPasswordField(page: Page, errors: readonly FieldError[]): Html {
  return field({
    name: 'currentPassword',
    label: page.t('field.currentPassword'),
    type: 'password',
    autocomplete: 'current-password',
    errors,
  });
}

/**
 * The account's address as a hidden `username` for password managers, which file a password
 * under the username beside it (no `name`: it is not sent).
 */
export function usernameHint(user: UserView): Html {
  return html`<input type="email" autocomplete="username" value="${user.email}" hidden readonly>`;
}

/** A confirmation after a redirect (`?done=<what>`), when it is one this section knows. */
export function doneNotice(page: Page, messages: Readonly<Record<string, string>>): Html {
  const done = page.url.searchParams.get('done');
  if (!done || !Object.hasOwn(messages, done)) return nothing;
  return html`<p class="notice" role="status">${messages[done]}</p>`;
}

/** A date and time of the API (ISO 8601, UTC) in the page's language. */
export function formatTime(page: Page, iso: string | null): string {
  if (!iso) return page.t('account.never');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // Styles and a zone name cannot be combined: the zone is named after the time.
  return `${new Intl.DateTimeFormat(page.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(date)} UTC`;
}

/**
 * A "Copy" button for a secret shown once (progressive enhancement): hidden without
 * JavaScript or the Clipboard API, revealed and wired by a script carrying this response's
 * nonce; the outcome is announced in a status region.
 */
export function copyButton(page: Page, text: string, label: string): Html {
  const script =
    "(function(){var b=document.getElementById('copy-secret'),s=document.getElementById('copy-status');" +
    "if(!b||!navigator.clipboard)return;b.hidden=false;b.addEventListener('click',function(){" +
    "navigator.clipboard.writeText(b.getAttribute('data-copy')).then(function(){s.textContent=b.getAttribute('data-done')}," +
    "function(){s.textContent=b.getAttribute('data-failed')})})})();";
  return html`<button type="button" id="copy-secret" class="secondary" data-copy="${text}" data-done="${page.t(
    'secret.copied',
  )}" data-failed="${page.t('secret.copyFailed')}" hidden>${label}</button>
<p id="copy-status" class="hint" role="status"></p>
<script nonce="${page.nonce}">${raw(script)}</script>`;
}
