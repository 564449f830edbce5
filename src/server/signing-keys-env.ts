import { readFileSync } from 'node:fs';
import type { ConfigProblem } from '../index.ts';

/** One key as `tokens.signingKeys` takes it. */
export interface SigningKeyEntry {
  readonly kid?: string;
  readonly key: string | Record<string, unknown>;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * The signing keys of `GATEHOUSE_SIGNING_KEYS` (or of the file `GATEHOUSE_SIGNING_KEYS_FILE`
 * names), first signs, the others only verify and stay published. The value is either
 *
 * - JSON: an array whose items are JWKs or `{"kid": "…", "pem": "-----BEGIN …"}` objects, or a
 *   JWK Set `{"keys": [ … ]}` read as its array; or
 * - one or more PEM blocks one after the other (key ids are then their RFC 7638 thumbprints).
 *
 * Only the shape is checked here; `createAuth` reads each key against the algorithm. Problems
 * name the variable and the position, never the value: it holds private keys.
 */
export function signingKeysFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  problems: ConfigProblem[],
): SigningKeyEntry[] | undefined {
  const inline = env.GATEHOUSE_SIGNING_KEYS;
  const file = env.GATEHOUSE_SIGNING_KEYS_FILE;
  if (inline && file) {
    problems.push({
      path: 'GATEHOUSE_SIGNING_KEYS',
      message: 'give GATEHOUSE_SIGNING_KEYS or GATEHOUSE_SIGNING_KEYS_FILE, not both',
    });
    return undefined;
  }
  if (!inline && !file) return undefined;
  const name = inline ? 'GATEHOUSE_SIGNING_KEYS' : 'GATEHOUSE_SIGNING_KEYS_FILE';
  let raw: string;
  if (inline) raw = inline;
  else {
    try {
      raw = readFileSync(file as string, 'utf8');
    } catch {
      problems.push({ path: name, message: 'names a file that cannot be read' });
      return undefined;
    }
  }
  const text = raw.trim();
  if (text.startsWith('-----BEGIN ')) {
    const blocks = text.match(PEM_BLOCK) ?? [];
    if (blocks.length === 0) problems.push({ path: name, message: 'holds no complete PEM block' });
    return blocks.map((key) => ({ key }));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push({ path: name, message: 'must be JSON (an array of keys or a JWK Set) or PEM blocks' });
    return undefined;
  }
  const list =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'keys' in parsed
      ? (parsed as { keys: unknown }).keys
      : parsed;
  if (!Array.isArray(list) || list.length === 0) {
    problems.push({
      path: name,
      message: 'must be a non-empty JSON array of keys or a JWK Set {"keys": […]}',
    });
    return undefined;
  }
  const entries: SigningKeyEntry[] = [];
  list.forEach((item: unknown, index) => {
    const path = `${name}[${index}]`;
    const entry =
      typeof item === 'object' && item !== null && !Array.isArray(item)
        ? (item as Record<string, unknown>)
        : null;
    if (entry && typeof entry.pem === 'string') {
      const { kid, pem, ...rest } = entry;
      if (Object.keys(rest).length > 0 || (kid !== undefined && typeof kid !== 'string')) {
        problems.push({ path, message: 'a PEM entry has only "kid" (a string) and "pem"' });
        return;
      }
      entries.push({ ...(kid === undefined ? {} : { kid }), key: pem });
    } else if (entry && typeof entry.kty === 'string') {
      entries.push({ key: entry });
    } else {
      problems.push({ path, message: 'must be a JWK or {"kid": "…", "pem": "-----BEGIN …"}' });
    }
  });
  return entries;
}
