import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, open, rename, unlink } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { MailMessage, MailTransport } from './contract.ts';
import { MailError } from './contract.ts';
import { checkFrom, checkMessage, invalidArgument, toComposerOptions } from './message.ts';

export interface FileTransportOptions {
  /** Absolute path of the folder that receives one `.eml` file per message. */
  directory: string;
  /** Sender address, e.g. `Example <no-reply@example.com>`. */
  from: string;
}

/** Suffix of finished messages; files being written carry another name until renamed. */
export const EML_SUFFIX = '.eml';

/**
 * Writes each message as an RFC 5322 `.eml` file (the exact bytes SMTP would send), for
 * development, tests and mail pipelines that pick files up from a folder.
 *
 * - The folder is created on demand with mode `0700` and each file with mode `0600`: messages
 *   hold verification and reset links, which are bearer secrets.
 * - File names sort by creation time and never collide: `<UTC time>-<random>.eml`.
 * - Writes are atomic: a message is written to a hidden temporary file, flushed to disk, then
 *   renamed, so a reader watching for `*.eml` never sees a partial message.
 */
export function createFileTransport(options: FileTransportOptions): MailTransport {
  const from = checkFrom(options.from);
  const { directory } = options;
  if (typeof directory !== 'string' || !isAbsolute(directory)) {
    throw invalidArgument('File mail option "directory" must be an absolute path');
  }

  return {
    kind: 'file',
    async send(message: MailMessage): Promise<void> {
      checkMessage(message);
      const raw = await new MailComposer(toComposerOptions(message, from)).compile().build();
      try {
        await mkdir(directory, { recursive: true, mode: 0o700 });
        await writeAtomically(directory, newMessageName(), raw);
      } catch (error) {
        // File system errors name paths, never the recipient or the body.
        throw new MailError('write', { reason: errorCode(error), cause: error });
      }
    },
    async verify(): Promise<void> {
      try {
        await mkdir(directory, { recursive: true, mode: 0o700 });
        await access(directory, constants.W_OK);
      } catch (error) {
        throw new MailError('write', { reason: errorCode(error), cause: error });
      }
    },
  };
}

/** `20250102T030405.678Z-<16 hex>.eml`: lexical order is creation order (to the millisecond). */
function newMessageName(): string {
  const time = new Date().toISOString().replace(/[-:]/g, '');
  return `${time}-${randomBytes(8).toString('hex')}${EML_SUFFIX}`;
}

async function writeAtomically(directory: string, name: string, content: Buffer): Promise<void> {
  // The dot hides the file from most watchers, and the suffix is not `.eml` until the rename.
  const temporary = join(directory, `.${name}.tmp`);
  // `wx`: never follow or reuse an existing file (a planted symlink, a stale temporary).
  const handle = await open(temporary, 'wx', 0o600);
  let renamed = false;
  try {
    // The umask may have cleared bits, never added them; set the mode exactly regardless.
    await handle.chmod(0o600);
    await handle.writeFile(content);
    await handle.sync();
    await handle.close();
    await rename(temporary, join(directory, name));
    renamed = true;
  } finally {
    if (!renamed) {
      await handle.close().catch(() => {});
      await unlink(temporary).catch(() => {});
    }
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
