import { CORE_ERROR_CODES } from './catalogue.ts';
import { defineErrors } from './define-errors.ts';

/**
 * The core codes as a family, like every feature's. The map itself stays in `catalogue.ts`
 * because the type of every code (`registry.ts`) starts from it, and `AuthError` names that type.
 */
export const CORE_ERRORS = defineErrors(CORE_ERROR_CODES);

/** Builds an `AuthError` for one of the core codes. */
export const coreError = CORE_ERRORS.error;
