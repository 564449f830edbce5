import { generateSecret } from '../index.ts';
import { type CliIo, EXIT, UsageError } from './output.ts';

/** `gatehouse generate-secret`: prints a fresh 256-bit secret, base64url, and nothing else. */
export function generateSecretCommand(args: readonly string[], io: CliIo): number {
  if (args.length > 0) throw new UsageError('generate-secret takes no arguments');
  io.out(generateSecret());
  return EXIT.ok;
}
