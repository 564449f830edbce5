import type { MailMessage, MailTransport } from './contract.ts';
import { MailError } from './contract.ts';
import { checkFrom, checkMessage, invalidArgument } from './message.ts';

/** Something text can be written to: a function, or a stream such as `process.stdout`. */
export type ConsoleOutput = ((text: string) => void) | { write(text: string): unknown };

export interface ConsoleTransportOptions {
  /** Sender shown in the output, e.g. `Example <no-reply@example.com>`. */
  from: string;
  /** Where messages are written. Default: `process.stdout`. */
  output?: ConsoleOutput;
}

/**
 * Prints each message in a readable form instead of delivering it.
 *
 * **Development only.** Messages carry bearer secrets (verification and password-reset links),
 * and printing them puts those secrets wherever the output goes: terminals, log files, log
 * shippers. Never use this transport in production.
 */
export function createConsoleTransport(options: ConsoleTransportOptions): MailTransport {
  const from = checkFrom(options.from);
  const output = options.output ?? process.stdout;
  if (typeof output !== 'function' && typeof output?.write !== 'function') {
    throw invalidArgument('Console mail option "output" must be a function or have a write() method');
  }
  const write = typeof output === 'function' ? output : (text: string) => void output.write(text);

  return {
    kind: 'console',
    async send(message: MailMessage): Promise<void> {
      checkMessage(message);
      try {
        write(formatForConsole(message, from));
      } catch (error) {
        throw new MailError('write', { cause: error });
      }
    },
  };
}

/** The message as plain text: headers, the text body, and a note about the HTML part. */
function formatForConsole(message: MailMessage, from: string): string {
  const rule = '-'.repeat(72);
  const lines = [
    `${rule}`,
    'Mail (console transport, development only: nothing was delivered)',
    `From: ${from}`,
    `To: ${message.to}`,
    `Subject: ${message.subject}`,
    ...Object.entries(message.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
    '',
    message.text.replace(/\r\n?/g, '\n').trimEnd(),
  ];
  if (message.html !== undefined) {
    lines.push('', `[HTML alternative: ${message.html.length} characters, not shown]`);
  }
  lines.push(rule, '');
  return lines.join('\n');
}
