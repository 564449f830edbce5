import type { CORE_ERROR_CODES } from './catalogue.ts';

type CoreCodeMap = typeof CORE_ERROR_CODES;

/**
 * Every error code Gatehouse answers, as a type: code → its spec, with the literal status.
 *
 * Core declares its own codes here. The composition root (`auth/catalogue.ts`) adds the codes of
 * every assembled feature by declaration merging, from the very catalogue it serves, so code
 * below it (core, http, each feature) can name any code of the product, and have a typo fail to
 * compile, without importing the features that declare them.
 */
export interface ErrorCodeRegistry extends CoreCodeMap {}

/** Every error code a Gatehouse response can carry: core codes plus every feature's. */
export type GatehouseErrorCode = keyof ErrorCodeRegistry & string;

/** The HTTP status of each code, as a type: `GatehouseErrorStatus['RATE_LIMITED']` is `429`. */
export type GatehouseErrorStatus = { readonly [C in GatehouseErrorCode]: ErrorCodeRegistry[C]['status'] };

/** The status of code `C` when the catalogue knows it (a union for a union of codes), else `number`. */
export type ErrorStatusOf<C extends string> = C extends GatehouseErrorCode ? GatehouseErrorStatus[C] : number;
