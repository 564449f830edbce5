import type { UserView } from '../../../core/index.ts';
import type { ApiAnswer } from '../../api.ts';
import type { Page, PageGroup } from '../../page.ts';
import { errorSummary, type FieldError, form } from '../../render/form.ts';
import { html, nothing } from '../../render/html.ts';
import {
  accountPaths,
  doneNotice,
  formatTime,
  section,
  sectionView,
  stepUpErrors,
  stepUpHeaders,
  stepUpView,
} from './common.ts';

interface SessionItem {
  readonly id: string;
  readonly createdAt: string;
  readonly lastUsedAt: string;
  readonly userAgent: string | null;
  readonly current: boolean;
}

const BROWSERS: readonly [RegExp, string][] = [
  [/Edg\//, 'Edge'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];
const SYSTEMS: readonly [RegExp, string][] = [
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux/, 'Linux'],
];

/** "Firefox on Linux" from a user agent; its first 80 characters when nothing is recognised. */
function deviceName(page: Page, userAgent: string | null): string {
  if (!userAgent) return page.t('sessions.unknownDevice');
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return page.t('sessions.device', { browser, system });
  return browser ?? system ?? userAgent.slice(0, 80);
}

function sessionsView(page: Page, sessions: readonly SessionItem[], errors: FieldError[], status?: number) {
  const { t } = page;
  const path = accountPaths(page.paths).sessions;
  const others = sessions.filter((s) => !s.current).length;
  return sectionView(
    page,
    t('sessions.title'),
    html`${errorSummary(t, errors)}${doneNotice(page, {
      revoked: t('sessions.revoked'),
      revokedOthers: t('sessions.revokedOthers'),
      confirmed: t('stepUp.confirmed'),
    })}
<p>${t('sessions.intro')}</p>
<ul class="items">${sessions.map(
      (s) => html`<li>
<p class="item-title">${deviceName(page, s.userAgent)}${s.current ? html` <strong class="badge">${t('sessions.current')}</strong>` : nothing}</p>
<p class="item-meta">${t('sessions.signedIn', { time: formatTime(page, s.createdAt) })}<br>${t('sessions.lastUsed', { time: formatTime(page, s.lastUsedAt) })}</p>
${
  s.current
    ? nothing
    : form({
        action: path,
        csrfToken: page.csrfToken,
        submit: t('sessions.revoke'),
        hidden: { intent: 'revoke', id: s.id },
        variant: 'secondary',
      })
}</li>`,
    )}</ul>
${
  others > 0
    ? form({
        action: path,
        csrfToken: page.csrfToken,
        submit: t('sessions.revokeOthers'),
        hidden: { intent: 'revokeOthers' },
      })
    : nothing
}`,
    status,
  );
}

async function listSessions(page: Page): Promise<SessionItem[]> {
  const answer = await page.api('GET', '/users/me/sessions');
  return answer.status === 200 ? (answer.body.sessions as SessionItem[]) : [];
}

/**
 * A fresh sign-in for an account without two-step verification whose session is too old for
 * a sensitive action: the password signs in again (the API's own login, with its rate limits
 * and lockout), and the old session is ended, so the browser carries one fresh session.
 */
export async function reauthenticate(page: Page, user: UserView, path: string): Promise<Response> {
  const login = await page.api('POST', '/auth/session', {
    body: { email: user.email, password: page.form.get('currentPassword') ?? '' },
  });
  const retry = (errors: FieldError[], status: number) =>
    page.render(stepUpView(page, user, { action: path, hidden: {}, submit: '', errors, status }));
  if (login.problem) {
    const errors =
      login.problem.code === 'LOGIN_BAD_CREDENTIALS'
        ? [{ field: 'currentPassword', message: page.t('account.wrongPassword') }]
        : page.errorsOf(login.problem, { password: 'currentPassword' });
    return retry(errors, login.status);
  }
  // Two-step verification was turned on meanwhile: from now on a code confirms it is the
  // person, which the sessions page asks for when the action is sent again.
  if (login.body?.twoFactorRequired === true) return page.redirect(path);
  // The old session ends; only the new session's cookie goes to the browser.
  await page.api('DELETE', '/auth/session', { session: true });
  return page.redirect(`${path}?done=confirmed`, login.setCookies);
}

/**
 * The sessions of the account: this device marked, each other one revocable, and "sign out
 * everywhere else". Revoking another session needs a recent sign-in (the API's rule): a code
 * for an account with two-step verification, else the password.
 */
export const sessionPages: PageGroup = (router) => {
  const path = accountPaths(router.paths).sessions;
  section(router, path, {
    get: async (page) => page.render(sessionsView(page, await listSessions(page), [])),
    async post(page, user) {
      const intent = page.form.get('intent');
      if (intent === 'reauthenticate') return reauthenticate(page, user, path);
      const id = page.form.get('id') ?? '';
      let answer: ApiAnswer;
      if (intent === 'revoke' && id) {
        answer = await page.api('DELETE', `/users/me/sessions/${encodeURIComponent(id)}`, {
          session: true,
          headers: stepUpHeaders(page),
        });
      } else if (intent === 'revokeOthers') {
        answer = await page.api('POST', '/users/me/sessions/revoke-others', {
          session: true,
          headers: stepUpHeaders(page),
        });
      } else {
        return page.redirect(path);
      }
      const { problem } = answer;
      if (problem?.code === 'STEP_UP_REQUIRED' || problem?.code === 'TWO_FACTOR_CODE_INVALID') {
        const errors = user.twoFactorEnabled ? stepUpErrors(page, problem) : [];
        return page.render(
          stepUpView(page, user, {
            action: path,
            hidden: { intent, id: intent === 'revoke' ? id : undefined },
            submit: intent === 'revoke' ? page.t('sessions.revoke') : page.t('sessions.revokeOthers'),
            errors,
            status: answer.status,
          }),
        );
      }
      if (problem) {
        const errors =
          problem.code === 'SESSION_NOT_FOUND'
            ? [{ message: page.t('sessions.notFound') }]
            : page.errorsOf(problem);
        return page.render(sessionsView(page, await listSessions(page), errors, answer.status));
      }
      return page.redirect(`${path}?done=${intent === 'revoke' ? 'revoked' : 'revokedOthers'}`);
    },
  });
};
