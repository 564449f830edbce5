import { CORE_ERROR_CODES, type ErrorCatalogue, mergeCatalogues } from '../core/index.ts';

/**
 * Every error code a Gatehouse response can carry: the core codes plus each feature's. This is
 * the one catalogue; `docs/ERRORS.md` is checked against it by a test.
 */
export const ERROR_CATALOGUE: ErrorCatalogue = mergeCatalogues(CORE_ERROR_CODES);
