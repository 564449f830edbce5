import type { UserView } from '../../../core/index.ts';
import type { Page, PageGroup, View } from '../../page.ts';
import { errorSummary, type FieldError, field, form } from '../../render/form.ts';
import { html } from '../../render/html.ts';
import { qrCodeSvg } from '../../render/qr-code.ts';
import {
  accountPaths,
  copyButton,
  currentPasswordField,
  doneNotice,
  section,
  sectionView,
  usernameHint,
} from './common.ts';

const CODE_MAX = 64;

function codeField(page: Page, name: string, hint: string, errors: readonly FieldError[]) {
  return field({
    name,
    label: page.t('field.code'),
    hint,
    type: 'text',
    autocomplete: 'one-time-code',
    inputmode: 'text',
    maxlength: CODE_MAX,
    errors,
  });
}

/** Two-step verification is off: turning it on starts with the password. */
function offView(page: Page, user: UserView, errors: FieldError[], status?: number): View {
  const { t } = page;
  return sectionView(
    page,
    t('twoFactorSettings.title'),
    html`${errorSummary(t, errors)}${doneNotice(page, { off: t('twoFactorSettings.turnedOff') })}
<p>${t('twoFactorSettings.offIntro')}</p>
${form({
  action: accountPaths(page.paths).twoFactor,
  csrfToken: page.csrfToken,
  submit: t('twoFactorSettings.start'),
  hidden: { intent: 'enable' },
  body: [usernameHint(user), currentPasswordField(page, errors)],
})}`,
    status,
  );
}

/** Two-step verification is on: new recovery codes, or turning it off, each with a code. */
function onView(page: Page, errors: FieldError[], status?: number): View {
  const { t } = page;
  const path = accountPaths(page.paths).twoFactor;
  return sectionView(
    page,
    t('twoFactorSettings.title'),
    html`${errorSummary(t, errors)}
<p class="notice" role="status">${t('twoFactorSettings.on')}</p>
<h2>${t('recoveryCodes.title')}</h2>
<p>${t('recoveryCodes.regenerateIntro')}</p>
${form({
  action: path,
  csrfToken: page.csrfToken,
  submit: t('recoveryCodes.regenerate'),
  hidden: { intent: 'regenerate' },
  body: codeField(page, 'regenerateCode', t('hint.codeOrRecovery'), errors),
  variant: 'secondary',
})}
<h2>${t('twoFactorSettings.offTitle')}</h2>
<p>${t('twoFactorSettings.offWarning')}</p>
${form({
  action: path,
  csrfToken: page.csrfToken,
  submit: t('twoFactorSettings.turnOff'),
  hidden: { intent: 'disable' },
  body: codeField(page, 'disableCode', t('hint.codeOrRecovery'), errors),
  variant: 'secondary',
})}`,
    status,
  );
}

/**
 * The enrolment: the `otpauth://` URI as a QR code (SVG made here), the secret as text for
 * typing in, and the first code to confirm. Nothing is stored until that code is right.
 */
function enrolView(
  page: Page,
  enrolment: { secret: string; otpauthUri: string; enrollmentToken: string },
): View {
  const { t } = page;
  return sectionView(
    page,
    t('enrol.title'),
    html`<ol class="steps">
<li><p>${t('enrol.scan')}</p>${qrCodeSvg(enrolment.otpauthUri, t('enrol.qrLabel'))}
<p><a href="${enrolment.otpauthUri}">${t('enrol.openApp')}</a></p></li>
<li><p>${t('enrol.typeSecret')}</p><p><code class="secret" id="totp-secret">${enrolment.secret}</code></p></li>
<li><p>${t('enrol.confirmIntro')}</p>
${form({
  action: accountPaths(page.paths).twoFactor,
  csrfToken: page.csrfToken,
  submit: t('enrol.confirm'),
  hidden: { intent: 'confirm', enrollmentToken: enrolment.enrollmentToken },
  body: field({
    name: 'code',
    label: t('field.code'),
    hint: t('enrol.codeHint'),
    type: 'text',
    autocomplete: 'one-time-code',
    inputmode: 'numeric',
    maxlength: CODE_MAX,
    errors: [],
    autofocus: true,
  }),
})}</li>
</ol>`,
  );
}

/**
 * The recovery codes, shown once: as a list, a text file to download (a `data:` link, so the
 * codes never travel again) and, with JavaScript, a copy button.
 */
function recoveryCodesView(page: Page, user: UserView, codes: readonly string[]): View {
  const { t } = page;
  const file = [
    t('recoveryCodes.fileHeading', { app: page.settings.appName, email: user.email }),
    t('recoveryCodes.fileNote'),
    '',
    ...codes,
    '',
  ].join('\n');
  return sectionView(
    page,
    t('recoveryCodes.shownTitle'),
    html`<p>${t('recoveryCodes.shownIntro')}</p>
<ol class="codes" id="recovery-codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ol>
<p><a class="button secondary" href="data:text/plain;charset=utf-8,${encodeURIComponent(file)}" download="recovery-codes.txt">${t(
      'recoveryCodes.download',
    )}</a></p>
${copyButton(page, codes.join('\n'), t('recoveryCodes.copy'))}
<p><a href="${accountPaths(page.paths).twoFactor}">${t('recoveryCodes.done')}</a></p>`,
  );
}

const clean = (value: string | null) => (value ?? '').replace(/\s+/g, '');

/**
 * Two-step verification: turn on (password, QR code and secret, the first code, recovery
 * codes shown once), new recovery codes, turn off. Every step is the API's own route.
 */
export const twoFactorPages: PageGroup = (router) => {
  const path = accountPaths(router.paths).twoFactor;
  section(router, path, {
    get: async (page, user) =>
      page.render(user.twoFactorEnabled ? onView(page, []) : offView(page, user, [])),
    async post(page, user) {
      const { t } = page;
      switch (page.form.get('intent')) {
        case 'enable': {
          const answer = await page.api('POST', '/auth/2fa/enable', {
            body: { currentPassword: page.form.get('currentPassword') ?? '' },
            session: true,
          });
          if (answer.problem?.code === 'TWO_FACTOR_ALREADY_ENABLED') return page.redirect(path);
          if (answer.problem) {
            const errors =
              answer.problem.code === 'LOGIN_BAD_CREDENTIALS'
                ? [{ field: 'currentPassword', message: t('account.wrongPassword') }]
                : page.errorsOf(answer.problem, { currentPassword: 'currentPassword' });
            return page.render(offView(page, user, errors, answer.status));
          }
          return page.render(enrolView(page, answer.body));
        }
        case 'confirm': {
          const answer = await page.api('POST', '/auth/2fa/enable/confirm', {
            body: {
              enrollmentToken: page.form.get('enrollmentToken') ?? '',
              code: clean(page.form.get('code')),
            },
            session: true,
          });
          if (answer.problem) {
            // A wrong code ends the enrolment (the API burns its token): start again.
            const restart =
              answer.problem.code === 'TWO_FACTOR_CODE_INVALID' ||
              answer.problem.code === 'ENROLLMENT_TOKEN_INVALID';
            const errors = restart ? [{ message: t('enrol.restart') }] : page.errorsOf(answer.problem);
            return page.render(offView(page, user, errors, answer.status));
          }
          // The session moved to a new id (a privilege change): the browser gets its cookie.
          return page.render({
            ...recoveryCodesView(page, user, answer.body.recoveryCodes),
            cookies: answer.setCookies,
          });
        }
        case 'regenerate': {
          const answer = await page.api('POST', '/auth/2fa/recovery-codes', {
            body: { code: clean(page.form.get('regenerateCode')) },
            session: true,
          });
          if (answer.problem) {
            const errors = page.errorsOf(answer.problem, {
              code: 'regenerateCode',
              TWO_FACTOR_CODE_INVALID: 'regenerateCode',
            });
            return page.render(onView(page, errors, answer.status));
          }
          return page.render(recoveryCodesView(page, user, answer.body.recoveryCodes));
        }
        case 'disable': {
          const answer = await page.api('POST', '/auth/2fa/disable', {
            body: { code: clean(page.form.get('disableCode')) },
            session: true,
          });
          if (answer.problem?.code === 'TWO_FACTOR_NOT_ENABLED') return page.redirect(path);
          if (answer.problem) {
            const errors = page.errorsOf(answer.problem, {
              code: 'disableCode',
              TWO_FACTOR_CODE_INVALID: 'disableCode',
            });
            return page.render(onView(page, errors, answer.status));
          }
          return page.redirect(`${path}?done=off`, answer.setCookies);
        }
        default:
          return page.redirect(path);
      }
    },
  });
};
