/**
 * A weakened setting that is allowed but logged on every start and shown by `doctor`. In a file
 * of its own, importing nothing, so the posture checks that `resolve.ts` runs can return
 * warnings without importing the resolver back.
 */
export interface ConfigWarning {
  readonly code: string;
  readonly message: string;
}
