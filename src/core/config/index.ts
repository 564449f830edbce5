export { DEFAULTS } from './defaults.ts';
export {
  type ConfigWarning,
  databaseDialectOf,
  type Mode,
  type ResolvedConfig,
  type ResolvedDatabase,
  type ResolveOptions,
  resolveConfig,
} from './resolve.ts';
export { type AuthConfigInput, configSchema, type ParsedConfig } from './schema.ts';
