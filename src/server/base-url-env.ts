import type { ListenOptions } from './env.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Bind addresses that mean "every interface": the browser on this machine reaches them at localhost. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

/** The host a browser on this machine uses for a server bound to `host`, as a URL host. */
function browserHost(host: string): string {
  // `localhost` rather than 127.0.0.1: it is one origin with what the README says to open (one
  // cookie jar), and WebAuthn refuses an IP address as the relying party id.
  if (host === '' || WILDCARD_HOSTS.has(host) || LOOPBACK_HOST.test(host)) return 'localhost';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * The base URL of a development server told where to listen (`PORT` or `HOST`) but not its
 * public origin (`GATEHOUSE_BASE_URL`): where it listens, so links in mail reach it. Decided
 * here, from the environment alone, so that every command run with the same environment
 * (`serve`, `create-user`, `doctor`) builds the same links, issuer and audience.
 *
 * Undefined when nothing needs deciding: an explicit base URL, production (which requires one),
 * neither variable set (the configuration's own default, `http://localhost:3000`, is that
 * address), or `PORT=0` (the port is known only once listening).
 */
export function listeningBaseUrl(env: Env, listen: ListenOptions): string | undefined {
  if (env.GATEHOUSE_BASE_URL) return undefined;
  if (!env.PORT && !env.HOST) return undefined;
  const mode = env.GATEHOUSE_MODE || (env.NODE_ENV === 'production' ? 'production' : 'development');
  if (mode !== 'development' || listen.port === 0) return undefined;
  return `http://${browserHost(listen.host)}:${listen.port}`;
}
