import type { Translate } from '../i18n/index.ts';
import { type Html, html, nothing } from './html.ts';

/** A problem with what was entered: next to its field (`field`), or about the form as a whole. */
export interface FieldError {
  readonly field?: string;
  readonly message: string;
}

/** The `id` of a field's input, which the error summary links to. */
export const inputId = (name: string): string => `field-${name}`;

export interface FieldOptions {
  readonly name: string;
  readonly label: string;
  readonly type: 'email' | 'password' | 'text';
  /** The standard token (`email`, `current-password`, `new-password`, `one-time-code`, `name`). */
  readonly autocomplete: string;
  readonly value?: string;
  readonly required?: boolean;
  readonly hint?: string;
  readonly errors?: readonly FieldError[];
  readonly inputmode?: 'numeric' | 'text' | 'email';
  readonly autofocus?: boolean;
  readonly maxlength?: number;
  readonly minlength?: number;
}

/**
 * A labelled input with its hint and its error, tied together for assistive technology
 * (`aria-describedby`, `aria-invalid`). Values of password fields are never written back.
 */
export function field(options: FieldOptions): Html {
  const id = inputId(options.name);
  const errors = (options.errors ?? []).filter((e) => e.field === options.name);
  const hintId = options.hint ? `${id}-hint` : null;
  const errorId = errors.length > 0 ? `${id}-error` : null;
  const describedBy = [hintId, errorId].filter((part) => part !== null).join(' ');
  const value = options.type === 'password' ? undefined : options.value;
  return html`<div class="field">
<label for="${id}">${options.label}</label>
${hintId ? html`<span class="hint" id="${hintId}">${options.hint}</span>` : nothing}
${errorId ? html`<span class="field-error" id="${errorId}">${errors.map((e) => e.message).join(' ')}</span>` : nothing}
<input id="${id}" name="${options.name}" type="${options.type}" autocomplete="${options.autocomplete}"${
    value ? html` value="${value}"` : nothing
  }${options.required === false ? nothing : html` required`}${
    options.inputmode ? html` inputmode="${options.inputmode}"` : nothing
  }${options.maxlength ? html` maxlength="${options.maxlength}"` : nothing}${
    options.minlength ? html` minlength="${options.minlength}"` : nothing
  }${describedBy ? html` aria-describedby="${describedBy}"` : nothing}${
    errorId ? html` aria-invalid="true"` : nothing
  }${options.autofocus ? html` autofocus` : nothing}>
</div>`;
}

/** A checkbox with its label after it. */
export function checkbox(options: { name: string; label: string; checked?: boolean }): Html {
  const id = inputId(options.name);
  return html`<div class="check"><input id="${id}" name="${options.name}" type="checkbox" value="1"${
    options.checked ? html` checked` : nothing
  }><label for="${id}">${options.label}</label></div>`;
}

/**
 * The error summary at the top of a form (GOV.UK pattern): announced when the page loads
 * (`role="alert"`), each entry linking to its field. Nothing when there is no error.
 */
export function errorSummary(t: Translate, errors: readonly FieldError[]): Html {
  if (errors.length === 0) return nothing;
  return html`<div class="summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 id="error-summary-title">${t('form.errorSummary')}</h2>
<ul>${errors.map((e) =>
    e.field ? html`<li><a href="#${inputId(e.field)}">${e.message}</a></li>` : html`<li>${e.message}</li>`,
  )}</ul>
</div>`;
}

export interface FormOptions {
  readonly action: string;
  readonly csrfToken: string;
  readonly submit: string;
  readonly body?: Html | readonly Html[];
  readonly hidden?: Readonly<Record<string, string | undefined>>;
  /** `secondary` for a quieter button (sign out, start again). */
  readonly variant?: 'primary' | 'secondary';
}

/** A POST form to a page route with its CSRF token and hidden fields, and one submit button. */
export function form(options: FormOptions): Html {
  const hidden = Object.entries(options.hidden ?? {}).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
  );
  return html`<form method="post" action="${options.action}" novalidate>
<input type="hidden" name="_csrf" value="${options.csrfToken}">
${hidden.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
${options.body ?? nothing}
<button type="submit"${options.variant === 'secondary' ? html` class="secondary"` : nothing}>${options.submit}</button>
</form>`;
}

/** A short paragraph of confirmation (a mail was sent, a change was made). */
export function notice(text: string): Html {
  return html`<p class="notice" role="status">${text}</p>`;
}

/** A list of links under a form (forgot password, create an account). */
export function links(items: readonly { href: string; text: string }[]): Html {
  return html`<ul class="links">${items.map((item) => html`<li><a href="${item.href}">${item.text}</a></li>`)}</ul>`;
}
