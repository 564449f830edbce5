/** Standard input as a command sees it: a stream, and whether a person is typing at it. */
export interface CliStdin extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
}

/** Where commands write; injectable so tests run commands in process. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(line: string): void;
  err(line: string): void;
  /**
   * Where secrets are read from (a password must never come from the arguments, which land
   * in shell history and `ps`). Absent: the command has no input.
   */
  readonly stdin?: CliStdin;
}

/** Exit codes: 0 success, 1 the command ran and failed, 2 the command line was wrong. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 });

/** A wrong command line; printed with the usage text and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const processIo: CliIo = {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  // A getter: touching process.stdin opens fd 0, which only commands that read it should do.
  get stdin() {
    return process.stdin;
  },
};
