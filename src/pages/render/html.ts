import { html, raw } from 'hono/html';

/**
 * Markup is built with Hono's `html` tagged template: every interpolated value is escaped
 * (text and attribute values alike) unless it is itself markup made by `html`. `raw` is for
 * markup we wrote ourselves (never for anything a request or the database supplied).
 */
export { html, raw };

/** A piece of markup (escaped), as `html` returns it. */
export type Html = ReturnType<typeof html>;

/** Nothing, for optional parts of a template. */
export const nothing: Html = html``;
