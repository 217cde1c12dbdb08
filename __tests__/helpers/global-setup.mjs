// One real Postgres for the whole run (embedded, or DATABASE_URL when set); each test makes its own
// database on it. Workers inherit the URL through the environment.
import { startPostgres } from '../../scripts/embedded-pg.mjs';

export default async function globalSetup() {
  const pg = await startPostgres();
  process.env.PGSHIFT_TEST_ADMIN_URL = pg.url;
  globalThis.__pgshiftPostgres = pg;
}
