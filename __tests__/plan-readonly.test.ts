// `plan` is a dry run: it writes nothing (not even the tracking tables), takes no lock, and shows each
// step's SQL, transaction mode, rollback SQL and every problem.
import { writeFileSync } from 'node:fs';
import postgres from 'postgres';
import { lockKey } from '../src/db/lock';
import { createDatabase, type TestDatabase } from './helpers/db';
import { cli, dirWith, snapshot, trackingTables, userTables } from './helpers/files';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

const files = {
  '1_users.sql': "-- migrate:up\nCREATE TABLE users (id int PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'a@example.com');\n-- migrate:down\nDROP TABLE users;\n",
  '2_users_name.up.sql': 'ALTER TABLE users ADD COLUMN name text;\n',
  '2_users_name.down.sql': 'ALTER TABLE users DROP COLUMN name;\n',
  '3_orders.sql': '-- migrate:up\nCREATE TABLE orders (id int, user_id int REFERENCES users);\n-- migrate:down\nDROP TABLE orders;\n',
  '4_orders_idx.sql': '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY orders_user ON orders (user_id);\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY orders_user;\n',
  'V5__plain.sql': 'CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS $$ SELECT 42 $$;\n',
  'seed.sql': 'INSERT INTO users VALUES (2, NULL);\n',
};

test('plan, plan --json, plan down and status leave the database exactly as it was', async () => {
  const dir = dirWith(files);
  expect((await cli(['up', '--target', '2'], dir, db)).code).toBe(0);
  const before = await snapshot(db.sql);
  expect(Object.keys(before)).toEqual(expect.arrayContaining(['rows:users', 'rows:schema_migrations', 'rows:migration_history']));

  const runs = [
    await cli(['plan'], dir, db),
    await cli(['plan', '--json'], dir, db),
    await cli(['plan', 'down'], dir, db),
    await cli(['plan', 'down', '--json', '--target', '0'], dir, db),
    await cli(['status'], dir, db),
    await cli(['status', '--json'], dir, db),
  ];
  for (const run of runs) expect(run.code).toBe(0);
  expect(await snapshot(db.sql)).toEqual(before);

  // What plan said: 3, 4 and 5 pending, in order, with their SQL; the unmatched file is a warning.
  const text = runs[0].stdout;
  expect(text).toMatch(/3 migrations to apply \(current version 2\):/);
  expect(text).toMatch(/1\. ↑ 3 orders {2}\[transactional, 1 statement\]/);
  expect(text).toMatch(/2\. ↑ 4 orders_idx {2}\[non-transactional, 1 statement\]/);
  expect(text).toMatch(/3\. ↑ 5 plain {2}\[transactional, 1 statement\]/);
  expect(text).toContain('CREATE INDEX CONCURRENTLY orders_user ON orders (user_id);');
  expect(text).toMatch(/rollback:\n\s+DROP INDEX CONCURRENTLY orders_user;/);
  expect(text).toMatch(/rollback: none \(this migration has no down, so it cannot be rolled back\)/);
  expect(text).toMatch(/Warnings:\n.*1 \.sql file ignored, not named as migrations, so it does not run: seed\.sql\./);

  const p = JSON.parse(runs[1].stdout);
  expect(p).toMatchObject({ direction: 'up', currentVersion: '2', pendingCount: 3, trackingExists: true, databaseChecked: true, blocked: false });
  expect(p.applied.map((r: any) => [r.version, r.status])).toEqual([
    ['1', 'applied'],
    ['2', 'applied'],
  ]);
  expect(p.steps.map((s: any) => ({ v: s.migration.version, dir: s.direction, tx: s.transactional, sql: s.statements.map((x: any) => x.sql), rollback: s.rollback?.sql.trim() ?? null }))).toEqual([
    { v: '3', dir: 'up', tx: true, sql: ['CREATE TABLE orders (id int, user_id int REFERENCES users)'], rollback: 'DROP TABLE orders;' },
    { v: '4', dir: 'up', tx: false, sql: ['CREATE INDEX CONCURRENTLY orders_user ON orders (user_id)'], rollback: 'DROP INDEX CONCURRENTLY orders_user;' },
    { v: '5', dir: 'up', tx: true, sql: ['CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS $$ SELECT 42 $$'], rollback: null },
  ]);
  expect(p.problems).toEqual([expect.objectContaining({ kind: 'unmatched', blocking: false, message: expect.stringContaining('seed.sql') })]);

  // plan down: the newest applied migration, its down section as the SQL to run.
  expect(runs[2].stdout).toMatch(/1 migration to roll back \(current version 2\):\n\n1\. ↓ 2 users_name/);
  expect(runs[2].stdout).toContain('ALTER TABLE users DROP COLUMN name;');
  const down = JSON.parse(runs[3].stdout);
  expect(down.steps.map((s: any) => [s.migration.version, s.direction, s.statements[0].sql])).toEqual([
    ['2', 'down', 'ALTER TABLE users DROP COLUMN name'],
    ['1', 'down', 'DROP TABLE users'],
  ]);

  // Control: the snapshot does see a real run.
  expect((await cli(['up'], dir, db)).code).toBe(0);
  expect(await snapshot(db.sql)).not.toEqual(before);
});

test('plan with problems exits 3 and still writes nothing', async () => {
  const dir = dirWith(files);
  expect((await cli(['up', '--target', '3'], dir, db)).code).toBe(0);
  const before = await snapshot(db.sql);
  // A changed applied file and a parse error in a pending one.
  writeFileSync(`${dir}/1_users.sql`, files['1_users.sql'].replace('email text', 'email varchar'));
  writeFileSync(`${dir}/V5__plain.sql`, 'CREATE FUNCTON answer() RETURNS int;\n');
  const run = await cli(['plan', '--json'], dir, db);
  expect(run.code).toBe(3);
  const p = JSON.parse(run.stdout);
  expect(p.blocked).toBe(true);
  expect(p.problems.map((x: any) => [x.kind, x.version ?? null, x.blocking]).sort()).toEqual([
    ['file', '5', true],
    ['modified', '1', true],
    ['unmatched', null, false],
  ]);
  expect(p.problems.find((x: any) => x.kind === 'file')).toMatchObject({ line: 1 });
  expect(await snapshot(db.sql)).toEqual(before);
});

test('on a fresh database, plan and status create no tracking table', async () => {
  const dir = dirWith(files);
  const plan = await cli(['plan'], dir, db);
  expect(plan.code).toBe(0);
  expect(plan.stdout).toMatch(/^The tracking table does not exist yet: the first run that writes will create it\.\n5 migrations to apply:/);
  const json = JSON.parse((await cli(['plan', '--json'], dir, db)).stdout);
  expect(json).toMatchObject({ trackingExists: false, databaseChecked: true, currentVersion: null, pendingCount: 5 });
  expect(json.steps).toHaveLength(5);
  const status = await cli(['status', '--json'], dir, db);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout).trackingExists).toBe(false);
  expect(await trackingTables(db.sql)).toEqual([]);
  expect(await userTables(db.sql)).toEqual([]);
  const [{ n }] = await db.sql`select count(*)::int as n from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema'`;
  expect(n).toBe(1); // public only
});

test('plan takes no lock: it runs while another session holds the migration lock, when up cannot', async () => {
  const dir = dirWith(files);
  expect((await cli(['up', '--target', '1'], dir, db)).code).toBe(0);
  const holder = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const { key } = lockKey('public');
    await holder`select pg_advisory_lock(${key}::bigint)`;

    const started = Date.now();
    const plan = await cli(['plan', '--lock-wait', '30s'], dir, db);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/4 migrations to apply \(current version 1\)/);
    expect(plan.stderr).not.toMatch(/waiting for the migration lock/);
    expect(Date.now() - started).toBeLessThan(10_000);

    // Control: the lock is really held, so a writing run is turned away.
    const up = await cli(['up', '--lock-wait', '300ms'], dir, db);
    expect(up.code).toBe(4);
    expect(up.stderr).toMatch(/another migration run holds the lock/);
    expect(await userTables(db.sql)).toEqual(['users']);
  } finally {
    await holder.end({ timeout: 1 });
  }
});
