export { DEFAULTS } from './defaults.ts';
export type { Mode } from './mode.ts';
export {
  databaseDialectOf,
  type ResolvedConfig,
  type ResolvedDatabase,
  type ResolveOptions,
  resolveConfig,
} from './resolve.ts';
export { type AuthConfigInput, configSchema, type ParsedConfig } from './schema.ts';
export type { ConfigWarning } from './warning.ts';
