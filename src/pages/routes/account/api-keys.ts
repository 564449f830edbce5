import type { UserView } from '../../../core/index.ts';
import type { Page, PageGroup, View } from '../../page.ts';
import { errorSummary, type FieldError, field, form, inputId } from '../../render/form.ts';
import { type Html, html, nothing } from '../../render/html.ts';
import {
  accountPaths,
  copyButton,
  doneNotice,
  formatTime,
  isStepUpProblem,
  section,
  sectionView,
  stepUpErrors,
  stepUpField,
  stepUpHeaders,
} from './common.ts';

interface KeyItem {
  readonly id: string;
  readonly prefix: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

interface CreateInput {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly days: number;
  readonly stepUp: boolean;
}

const DAY_MS = 24 * 3600 * 1000;
/** Lifetimes offered (days), those within `apiKeys.maxTtlDays`, and the default's. */
const LIFETIMES = [7, 30, 90, 180, 365];

function lifetimes(page: Page): number[] {
  const { maxTtlDays, defaultTtlDays } = page.settings.apiKeys;
  return [...new Set([...LIFETIMES.filter((d) => d <= maxTtlDays), defaultTtlDays, maxTtlDays])].sort(
    (a, b) => a - b,
  );
}

/** Scopes the person may put on a key: the application's declared ones and their own roles. */
function grantable(page: Page, user: UserView): string[] {
  return [...new Set([...page.settings.apiKeys.scopes, ...user.roles])].sort();
}

function errorText(errors: readonly FieldError[], name: string, id: string): Html {
  const mine = errors.filter((e) => e.field === name);
  return mine.length === 0
    ? nothing
    : html`<span class="field-error" id="${id}-error">${mine.map((e) => e.message).join(' ')}</span>`;
}

function scopesFieldset(page: Page, user: UserView, input: CreateInput, errors: readonly FieldError[]): Html {
  const scopes = grantable(page, user);
  if (scopes.length === 0) return html`<p class="hint">${page.t('apiKeys.noScopes')}</p>`;
  const id = inputId('scopes');
  return html`<fieldset class="field" id="${id}"${
    errors.some((e) => e.field === 'scopes') ? html` aria-describedby="${id}-error"` : nothing
  }>
<legend>${page.t('field.scopes')}</legend>
<span class="hint">${page.t('hint.scopes')}</span>
${errorText(errors, 'scopes', id)}
${scopes.map(
  (scope, index) =>
    html`<div class="check"><input id="${id}-${index}" name="scopes" type="checkbox" value="${scope}"${
      input.scopes.includes(scope) ? html` checked` : nothing
    }><label for="${id}-${index}">${scope}</label></div>`,
)}
</fieldset>`;
}

function lifetimeSelect(page: Page, input: CreateInput): Html {
  const id = inputId('expiresInDays');
  return html`<div class="field"><label for="${id}">${page.t('field.expiresIn')}</label>
<select id="${id}" name="expiresInDays">${lifetimes(page).map(
    (days) =>
      html`<option value="${days}"${days === input.days ? html` selected` : nothing}>${page.t(
        'apiKeys.days',
        {
          days,
        },
      )}</option>`,
  )}</select></div>`;
}

function keysView(
  page: Page,
  user: UserView,
  keys: readonly KeyItem[],
  input: CreateInput,
  errors: FieldError[],
  status?: number,
): View {
  const { t } = page;
  const path = accountPaths(page.paths).apiKeys;
  const live = keys.filter((k) => k.revokedAt === null);
  return sectionView(
    page,
    t('apiKeys.title'),
    html`${errorSummary(t, errors)}${doneNotice(page, { revoked: t('apiKeys.revoked') })}
<p>${t('apiKeys.intro')}</p>
${live.length === 0 ? html`<p>${t('apiKeys.none')}</p>` : nothing}
<ul class="items">${live.map(
      (key) => html`<li>
<p class="item-title">${key.name}</p>
<p class="item-meta"><code>${key.prefix}</code><br>${
        key.scopes.length > 0
          ? t('apiKeys.scopesList', { scopes: key.scopes.join(', ') })
          : t('apiKeys.noScopesOnKey')
      }<br>${t('apiKeys.expires', { time: formatTime(page, key.expiresAt) })}<br>${t('apiKeys.lastUsed', {
        time: formatTime(page, key.lastUsedAt),
      })}</p>
${form({
  action: path,
  csrfToken: page.csrfToken,
  submit: t('apiKeys.revoke', { name: key.name }),
  hidden: { intent: 'revoke', id: key.id },
  variant: 'secondary',
})}</li>`,
    )}</ul>
<h2>${t('apiKeys.createTitle')}</h2>
${form({
  action: path,
  csrfToken: page.csrfToken,
  submit: t('apiKeys.create'),
  hidden: { intent: 'create' },
  body: [
    field({
      name: 'name',
      label: t('field.keyName'),
      hint: t('hint.keyName'),
      type: 'text',
      autocomplete: 'off',
      value: input.name,
      maxlength: 100,
      errors,
    }),
    scopesFieldset(page, user, input, errors),
    lifetimeSelect(page, input),
    input.stepUp ? stepUpField(page, errors) : nothing,
  ],
})}`,
    status,
  );
}

/** The new key, shown once, with a copy button. */
function createdView(page: Page, apiKey: string, name: string): View {
  const { t } = page;
  return sectionView(
    page,
    t('apiKeys.createdTitle'),
    html`<p>${t('apiKeys.createdIntro', { name })}</p>
<p><code class="secret" id="new-api-key">${apiKey}</code></p>
${copyButton(page, apiKey, t('apiKeys.copy'))}
<p><a href="${accountPaths(page.paths).apiKeys}">${t('apiKeys.createdDone')}</a></p>`,
  );
}

async function listKeys(page: Page): Promise<KeyItem[]> {
  const answer = await page.api('GET', '/users/me/api-keys');
  return answer.status === 200 ? (answer.body.keys as KeyItem[]) : [];
}

/**
 * API keys: the live ones (metadata only) with a revoke button each, and a new key with a
 * name, scopes and a lifetime; the key itself is shown once. Creating one is a sensitive
 * action: an account with two-step verification may be asked for a code.
 */
export const apiKeyPages: PageGroup = (router) => {
  const path = accountPaths(router.paths).apiKeys;
  const blank = (page: Page): CreateInput => ({
    name: '',
    scopes: [],
    days: page.settings.apiKeys.defaultTtlDays,
    stepUp: false,
  });
  section(router, path, {
    get: async (page, user) => page.render(keysView(page, user, await listKeys(page), blank(page), [])),
    async post(page, user) {
      const intent = page.form.get('intent');
      if (intent === 'revoke') {
        const id = page.form.get('id') ?? '';
        const answer = await page.api('DELETE', `/users/me/api-keys/${encodeURIComponent(id)}`, {
          session: true,
        });
        if (answer.problem) {
          const errors = page.errorsOf(answer.problem);
          return page.render(keysView(page, user, await listKeys(page), blank(page), errors, answer.status));
        }
        return page.redirect(`${path}?done=revoked`);
      }
      if (intent !== 'create') return page.redirect(path);
      const offered = lifetimes(page);
      const asked = Number(page.form.get('expiresInDays'));
      const days = offered.includes(asked) ? asked : page.settings.apiKeys.defaultTtlDays;
      const input: CreateInput = {
        name: (page.form.get('name') ?? '').trim(),
        scopes: page.form.getAll('scopes'),
        days,
        stepUp: page.form.has('stepUpCode'),
      };
      const answer = await page.api('POST', '/users/me/api-keys', {
        body: {
          name: input.name,
          scopes: input.scopes,
          // The default lifetime is left to the API, which counts it on its own clock.
          ...(days === page.settings.apiKeys.defaultTtlDays
            ? {}
            : { expiresAt: new Date(Date.now() + days * DAY_MS).toISOString() }),
        },
        session: true,
        headers: stepUpHeaders(page),
      });
      if (answer.problem) {
        const errors = stepUpErrors(page, answer.problem, {
          name: 'name',
          scopes: 'scopes',
          API_KEY_SCOPE_DENIED: 'scopes',
        });
        const again = { ...input, stepUp: input.stepUp || isStepUpProblem(answer.problem) };
        return page.render(keysView(page, user, await listKeys(page), again, errors, answer.status));
      }
      return page.render(createdView(page, String(answer.body.apiKey), input.name));
    },
  });
};
