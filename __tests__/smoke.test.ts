import { join } from 'node:path';
import { createDatabase, runCli, tempDir, writeMigrations, type TestDatabase } from './helpers/db';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

test('the built CLI applies a dbmate-form migration on a real Postgres and records it', async () => {
  const dir = writeMigrations(join(tempDir(), 'migrations'), {
    '1_users.sql': '-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\nDROP TABLE users;\n',
  });
  const run = await runCli(['up', '--dir', dir, '--database-url', db.url]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const rows = await db.sql`select version, status from schema_migrations`;
  expect(rows).toEqual([{ version: '1', status: 'applied' }]);
  expect((await db.sql`select to_regclass('users') as t`)[0].t).toBe('users');
});
