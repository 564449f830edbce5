/** What a migration may need to know about the database it runs on. */
export interface MigrationContext {
  /** Which SQL the database speaks, for the rare statement that differs. */
  readonly dialect: 'sqlite' | 'postgres';
}
