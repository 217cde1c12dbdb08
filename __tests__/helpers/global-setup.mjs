// One real Postgres for the whole run (embedded, or DATABASE_URL when set); each test makes its own
// database on it. Workers inherit the URL through the environment.
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../../scripts/embedded-pg.mjs';

export default async function globalSetup() {
  // Every temporary folder of the run goes under one root, which the teardown removes whatever a test
  // left behind (a failed test skips its own cleanup).
  process.env.PGSHIFT_TEST_TMP = mkdtempSync(join(tmpdir(), 'pgshift-run-'));
  // Servers a test starts itself run as the postgres user: it must be able to reach their data folders.
  chmodSync(process.env.PGSHIFT_TEST_TMP, 0o755);
  const pg = await startPostgres();
  process.env.PGSHIFT_TEST_ADMIN_URL = pg.url;
  globalThis.__pgshiftPostgres = pg;
}
