/**
 * A programming or configuration mistake, raised at construction time (never per request).
 * It lists every problem at once so an operator fixes them in one pass.
 */
export interface ConfigProblem {
  /** Dotted path of the offending option, e.g. `secrets.0.secret`; empty for the root. */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_INVALID_CONFIG';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], heading = 'Invalid Gatehouse configuration') {
    super(`${heading}:\n${problems.map((p) => `  - ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n')}`);
    this.problems = Object.freeze([...problems]);
  }
}
