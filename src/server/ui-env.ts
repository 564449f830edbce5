import type { AuthConfigInput, ConfigProblem } from '../index.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** What the hosted pages' variables add to the configuration (merged by `settingsFromEnv`). */
export interface UiFromEnv {
  readonly ui?: { readonly enabled: boolean };
  readonly appName?: string;
  readonly mail?: { readonly linkBase?: string; readonly links?: Record<string, unknown> };
  readonly trustedOrigin?: string;
}

/**
 * The standalone server serves the hosted pages unless told otherwise (`GATEHOUSE_UI=false`):
 * it is what a person opens in a browser. The library's default stays off.
 */
export function withPagesByDefault(config: AuthConfigInput): AuthConfigInput {
  return { ...config, ui: { enabled: true, ...config.ui } };
}

/**
 * The standalone server's page variables. `GATEHOUSE_PUBLIC_URL` is where the pages are
 * reached when that is not `GATEHOUSE_BASE_URL`: mail links point there (unless
 * `GATEHOUSE_MAIL_LINK_BASE` says otherwise) and its origin may post the pages' forms.
 * Values are checked here only as far as parsing goes; the config schema checks the rest.
 */
export function uiFromEnv(env: Env, problems: ConfigProblem[]): UiFromEnv {
  let enabled: boolean | undefined;
  const flag = env.GATEHOUSE_UI;
  if (flag !== undefined && flag !== '') {
    if (flag === 'true' || flag === 'false') enabled = flag === 'true';
    else problems.push({ path: 'GATEHOUSE_UI', message: 'must be true or false' });
  }
  let trustedOrigin: string | undefined;
  const publicUrl = env.GATEHOUSE_PUBLIC_URL || undefined;
  if (publicUrl) {
    try {
      const url = new URL(publicUrl);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('not http(s)');
      trustedOrigin = url.origin;
    } catch {
      problems.push({ path: 'GATEHOUSE_PUBLIC_URL', message: 'must be an http(s) URL' });
    }
  }
  const linkBase = env.GATEHOUSE_MAIL_LINK_BASE || publicUrl;
  let links: Record<string, unknown> | undefined;
  if (env.GATEHOUSE_MAIL_LINKS) {
    try {
      const parsed: unknown = JSON.parse(env.GATEHOUSE_MAIL_LINKS);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new TypeError('not an object');
      links = parsed as Record<string, unknown>;
    } catch {
      problems.push({
        path: 'GATEHOUSE_MAIL_LINKS',
        message: 'must be a JSON object like {"verifyEmail":"/verify-email"}',
      });
    }
  }
  return {
    ...(enabled === undefined ? {} : { ui: { enabled } }),
    ...(env.GATEHOUSE_APP_NAME ? { appName: env.GATEHOUSE_APP_NAME } : {}),
    ...(linkBase || links
      ? { mail: { ...(linkBase ? { linkBase } : {}), ...(links ? { links } : {}) } }
      : {}),
    ...(trustedOrigin ? { trustedOrigin } : {}),
  };
}
