import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSecret } from '../../crypto/random.ts';

export interface DevSecret {
  readonly secret: string;
  readonly path: string;
  /** `true` when this call created the file. */
  readonly created: boolean;
}

/**
 * Development only: the master secret kept at `<dataDir>/secret`, created on first start with
 * mode 0600 so other local users cannot read it. Tokens then survive restarts of the dev server.
 */
export function loadOrCreateDevSecret(dataDir: string): DevSecret {
  const path = join(dataDir, 'secret');
  try {
    const secret = readFileSync(path, 'utf8').trim();
    // Tighten a file someone loosened; a readable secret is a forgeable token.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { secret, path, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = generateSecret();
  // 'wx' fails if another process created it meanwhile; then that one wins and we read it.
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateDevSecret(dataDir);
    throw error;
  }
  return { secret, path, created: true };
}
