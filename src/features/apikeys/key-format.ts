import { randomBytes } from 'node:crypto';

/** A fresh key: what the owner sees once, and the parts the server keeps. */
export interface NewKeyMaterial {
  readonly id: string;
  readonly secret: string;
  /** `gh_<env>_<id>.<secret>` */
  readonly token: string;
}

/** `env`: a short lower-case label such as `live` or `test` (no `_`, which separates parts). */
export const API_KEY_ENV_PATTERN = /^[a-z0-9]{1,16}$/;
/** 16 bytes (128 bits) and 32 bytes (256 bits), base64url: fixed lengths, so `_` inside is safe. */
const KEY_PATTERN = /^gh_([a-z0-9]{1,16})_([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export function newApiKeyMaterial(env: string): NewKeyMaterial {
  if (!API_KEY_ENV_PATTERN.test(env)) throw new TypeError('the API key env is 1-16 of a-z and 0-9');
  const id = randomBytes(16).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `gh_${env}_${id}.${secret}` };
}

/** Whether a bearer token has the shape of an API key (told apart from JWTs and opaque tokens). */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('gh_');
}

/** The parts of an API key, or `null` for anything not exactly that shape. Never throws. */
export function parseApiKey(token: string): { env: string; id: string; secret: string } | null {
  if (typeof token !== 'string' || token.length > 128) return null;
  const match = KEY_PATTERN.exec(token);
  if (!match) return null;
  return { env: match[1] as string, id: match[2] as string, secret: match[3] as string };
}
