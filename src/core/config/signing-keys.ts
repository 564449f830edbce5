import { importJwtKey, isJwtKeyError } from '../../crypto/jwt/import-key.ts';
import type { ConfigProblem } from '../errors/index.ts';
import type { ParsedConfig } from './schema.ts';

/**
 * Problems with `tokens.signingKeys`: each key is read as the algorithm needs it (the first
 * must be a private key that signs, the others may be public halves), key ids are unique, and
 * HS256 takes none (its keys come from the secrets and are never published). Messages describe
 * the key's type, never its material.
 */
export function signingKeyProblems(tokens: ParsedConfig['tokens']): ConfigProblem[] {
  const { signingKeys, algorithm } = tokens;
  if (!signingKeys) return [];
  if (algorithm === 'HS256') {
    return [
      {
        path: 'tokens.signingKeys',
        message: 'are for EdDSA and ES256 (set tokens.algorithm); HS256 keys are derived from the secrets',
      },
    ];
  }
  const problems: ConfigProblem[] = [];
  const kids = new Set<string>();
  signingKeys.forEach((entry, index) => {
    try {
      const key = importJwtKey(algorithm, entry, index === 0 ? 'sign' : 'verify');
      if (kids.has(key.kid)) {
        problems.push({
          path: `tokens.signingKeys.${index}.kid`,
          message: 'repeats the key id of another key',
        });
      }
      kids.add(key.kid);
    } catch (error) {
      problems.push({
        path: `tokens.signingKeys.${index}.key`,
        message: isJwtKeyError(error) ? error.message : 'cannot be read as a key',
      });
    }
  });
  return problems;
}
