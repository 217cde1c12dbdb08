import { join } from 'node:path';
import { createDatabase, runCli, tempDir, writeMigrations, type TestDatabase } from './helpers/db';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

test("a migration's session-level SET does not leak into the migrations after it", async () => {
  const dir = writeMigrations(join(tempDir(), 'm'), {
    '1_elsewhere.sql': '-- migrate:up\nCREATE SCHEMA side;\nSET search_path = side;\nSET statement_timeout = 500;\nCREATE TABLE in_side (id int);\n',
    '2_plain.sql': '-- migrate:up\nCREATE TABLE in_public (id int);\nSELECT pg_sleep(0.6);\n',
    '3_nontx.sql': '-- migrate:up transaction:false\nSET search_path = side;\nCREATE TABLE nontx_side (id int);\n',
    '4_after.sql': '-- migrate:up\nCREATE TABLE after_public (id int);\n',
  });
  const run = await runCli(['up', '--dir', dir, '--database-url', db.url]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const where = async (t: string) => (await db.sql`select n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relname = ${t}`)[0]?.nspname;
  expect(await where('in_side')).toBe('side');
  // With the SETs leaking, these would land in "side" and pg_sleep(0.6) would hit statement_timeout = 500ms.
  expect(await where('in_public')).toBe('public');
  expect(await where('nontx_side')).toBe('side');
  expect(await where('after_public')).toBe('public');
});
