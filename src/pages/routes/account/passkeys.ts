import type { UserView } from '../../../core/index.ts';
import type { Page, PageGroup, View } from '../../page.ts';
import { errorSummary, type FieldError, field, form, links } from '../../render/form.ts';
import { type Html, html, nothing } from '../../render/html.ts';
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
import { reauthenticate } from './sessions.ts';

interface PasskeyItem {
  readonly id: string;
  readonly name: string;
  readonly backupEligible: boolean;
  readonly backedUp: boolean;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/** A refusal that belongs to one passkey (removing the last way in), shown beside it. */
interface ItemError {
  readonly id: string;
  readonly message: string;
}

const NAME_MAX = 100;

async function listPasskeys(page: Page): Promise<PasskeyItem[]> {
  const answer = await page.api('GET', '/users/me/passkeys');
  return answer.status === 200 ? (answer.body.passkeys as PasskeyItem[]) : [];
}

function backupState(page: Page, passkey: PasskeyItem): string {
  if (passkey.backedUp) return page.t('passkeys.backedUp');
  return passkey.backupEligible ? page.t('passkeys.backupEligible') : page.t('passkeys.deviceBound');
}

/**
 * The passkey script (the sign-in page's file): it reveals `[data-passkey-add]` and hides
 * `[data-passkey-unsupported]` when the browser can make passkeys, and runs a ceremony.
 */
function script(page: Page): Html {
  return html`<script nonce="${page.nonce}" src="${page.paths.passkeyScript}" defer></script>`;
}

/** Without JavaScript (or WebAuthn) this is what shows instead of the button. */
const unsupported = (page: Page): Html =>
  html`<p data-passkey-unsupported>${page.t('passkeys.needsScript')}</p>`;

function nameField(page: Page, value: string, errors: readonly FieldError[], required: boolean): Html {
  return field({
    name: 'name',
    label: page.t(required ? 'field.passkeyName' : 'field.passkeyNameOptional'),
    hint: page.t('hint.passkeyName'),
    type: 'text',
    autocomplete: 'off',
    value,
    maxlength: NAME_MAX,
    required,
    errors,
  });
}

function listView(
  page: Page,
  passkeys: readonly PasskeyItem[],
  errors: readonly FieldError[],
  itemError: ItemError | null,
  status?: number,
): View {
  const { t } = page;
  const path = accountPaths(page.paths).passkeys;
  return sectionView(
    page,
    t('passkeys.title'),
    html`${errorSummary(t, errors)}${doneNotice(page, {
      added: t('passkeys.added'),
      renamed: t('passkeys.renamed'),
      removed: t('passkeys.removed'),
      confirmed: t('stepUp.confirmed'),
    })}
<p>${t('passkeys.intro')}</p>
${passkeys.length === 0 ? html`<p>${t('passkeys.none')}</p>` : nothing}
<ul class="items">${passkeys.map((passkey, index) => {
      const refused = itemError?.id === passkey.id ? itemError.message : null;
      return html`<li id="passkey-${index}">
<p class="item-title">${passkey.name}</p>
<p class="item-meta">${t('passkeys.created', { time: formatTime(page, passkey.createdAt) })}<br>${t(
        'passkeys.lastUsed',
        { time: formatTime(page, passkey.lastUsedAt) },
      )}<br>${backupState(page, passkey)}</p>
${refused ? html`<p class="field-error" id="passkey-${index}-error">${refused}</p>` : nothing}
<p><a href="${path}?rename=${encodeURIComponent(passkey.id)}">${t('passkeys.rename', { name: passkey.name })}</a></p>
${form({
  action: path,
  csrfToken: page.csrfToken,
  submit: t('passkeys.remove', { name: passkey.name }),
  hidden: { intent: 'remove', id: passkey.id },
  variant: 'secondary',
})}</li>`;
    })}</ul>
<h2>${t('passkeys.addTitle')}</h2>
${unsupported(page)}
<div data-passkey-add hidden>${form({
      action: path,
      csrfToken: page.csrfToken,
      submit: t('passkeys.add'),
      hidden: { intent: 'add' },
      body: nameField(page, '', [], false),
    })}</div>
${script(page)}`,
    status,
  );
}

function renameView(
  page: Page,
  passkey: PasskeyItem,
  value: string,
  errors: FieldError[],
  status?: number,
): View {
  const { t } = page;
  return sectionView(
    page,
    t('passkeys.renameTitle'),
    html`${errorSummary(t, errors)}${form({
      action: accountPaths(page.paths).passkeys,
      csrfToken: page.csrfToken,
      submit: t('passkeys.renameSubmit'),
      hidden: { intent: 'rename', id: passkey.id },
      body: nameField(page, value, errors, true),
    })}`,
    status,
  );
}

/**
 * The ceremony: the creation options the API gave (after any step-up) go to the script, which
 * asks the browser for the passkey when the button is pressed and sends the result to the API
 * (`POST /users/me/passkeys`, within the step-up window just opened), then comes back here.
 */
function ceremonyView(page: Page, options: unknown, name: string): View {
  const { t, settings } = page;
  const path = accountPaths(page.paths).passkeys;
  return sectionView(
    page,
    t('passkeys.ceremonyTitle'),
    html`<p>${t('passkeys.ceremonyIntro')}</p>
${unsupported(page)}
<div id="passkey-register" hidden data-api="${settings.apiBasePath}" data-options="${JSON.stringify(
      options,
    )}" data-name="${name}" data-done="${path}?done=added">
<button type="button">${t('passkeys.create')}</button>
<p class="error" role="alert" data-error hidden>${t('passkeys.failed')}</p>
</div>
${links([{ href: path, text: t('passkeys.cancel') }])}
${script(page)}`,
  );
}

async function add(page: Page, user: UserView, path: string): Promise<Response> {
  const name = (page.form.get('name') ?? '').trim().slice(0, NAME_MAX);
  const answer = await page.api('POST', '/users/me/passkeys/options', {
    session: true,
    headers: stepUpHeaders(page),
  });
  const { problem } = answer;
  if (problem?.code === 'STEP_UP_REQUIRED' || problem?.code === 'TWO_FACTOR_CODE_INVALID') {
    return page.render(
      stepUpView(page, user, {
        action: path,
        hidden: { intent: 'add', name },
        submit: page.t('passkeys.add'),
        errors: user.twoFactorEnabled ? stepUpErrors(page, problem) : [],
        status: answer.status,
      }),
    );
  }
  if (problem) {
    return page.render(listView(page, await listPasskeys(page), page.errorsOf(problem), null, answer.status));
  }
  return page.render(ceremonyView(page, answer.body, name));
}

async function rename(page: Page, path: string): Promise<Response> {
  const id = page.form.get('id') ?? '';
  const name = (page.form.get('name') ?? '').trim();
  const answer = await page.api('PATCH', `/users/me/passkeys/${encodeURIComponent(id)}`, {
    body: { name },
    session: true,
  });
  if (!answer.problem) return page.redirect(`${path}?done=renamed`);
  const passkeys = await listPasskeys(page);
  const passkey = passkeys.find((p) => p.id === id);
  if (!passkey)
    return page.render(listView(page, passkeys, page.errorsOf(answer.problem), null, answer.status));
  const errors = page.errorsOf(answer.problem, { name: 'name' });
  return page.render(renameView(page, passkey, name, errors, answer.status));
}

async function remove(page: Page, path: string): Promise<Response> {
  const id = page.form.get('id') ?? '';
  const answer = await page.api('DELETE', `/users/me/passkeys/${encodeURIComponent(id)}`, { session: true });
  if (!answer.problem) return page.redirect(`${path}?done=removed`);
  const passkeys = await listPasskeys(page);
  if (answer.problem.code === 'LAST_SIGN_IN_METHOD') {
    const message = page.t('passkeys.lastMethod');
    return page.render(listView(page, passkeys, [{ message }], { id, message }, answer.status));
  }
  return page.render(listView(page, passkeys, page.errorsOf(answer.problem), null, answer.status));
}

/**
 * Passkeys: the account's (name, added, last used, backup state), each renamed on a page of
 * its own (`?rename=<id>`) or removed (never the last way to sign in: the refusal shows beside
 * it); a new one needs JavaScript and WebAuthn, after the step-up the API asks for.
 */
export const passkeyPages: PageGroup = (router) => {
  const path = accountPaths(router.paths).passkeys;
  section(router, path, {
    async get(page) {
      const passkeys = await listPasskeys(page);
      const renaming = passkeys.find((p) => p.id === page.url.searchParams.get('rename'));
      if (renaming) return page.render(renameView(page, renaming, renaming.name, []));
      return page.render(listView(page, passkeys, [], null));
    },
    async post(page, user) {
      const intent = page.form.get('intent');
      if (intent === 'reauthenticate') return reauthenticate(page, user, path);
      if (intent === 'add') return add(page, user, path);
      if (intent === 'rename') return rename(page, path);
      if (intent === 'remove') return remove(page, path);
      return page.redirect(path);
    },
  });
};
