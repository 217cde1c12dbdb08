// `pgshift history`: the audit log through the built CLI on a real Postgres: applies, a rollback and a
// failure, newest first, as a table and as JSON; --env, --version ("001" is "1") and --limit; a database
// with no tracking tables has no history yet (exit 0, JSON []), and reading creates nothing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { history, VERSION_ID_SQL, type HistoryEntry } from '../src/commands/history';
import { versionId } from '../src/files/version';
import { createDatabase, type TestDatabase } from './helpers/db';
import { lockKey } from '../src/db/lock';
import { dbmate, migrationsDir, pgshift, session, tableExists } from './helpers/pgshift';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

/** The rows of `pgshift history --json`, with the dates left as the text the CLI printed. */
type Printed = Omit<HistoryEntry, 'executedAt'> & { executedAt: string };

/**
 * Applies 001 and 002 in staging, rolls 002 back, then in qa applies 002 again and fails on 003.
 * History, oldest first: apply 001, apply 002 (staging); rollback 002 (staging); apply 002, failed apply 003 (qa).
 */
async function scenario(): Promise<string> {
  const dir = migrationsDir({
    '001_users.sql': dbmate('CREATE TABLE users (id int primary key);', 'DROP TABLE users;'),
    '002_orders.sql': dbmate('CREATE TABLE orders (id int primary key);', 'DROP TABLE orders;'),
  });
  expect((await pgshift(['up'], dir, db, ['--env', 'staging'])).code).toBe(0);
  expect((await pgshift(['down'], dir, db, ['--env', 'staging'])).code).toBe(0);
  writeFileSync(join(dir, '003_broken.sql'), dbmate('CREATE TABLE items (id int references nowhere(id));', 'DROP TABLE items;'));
  expect((await pgshift(['up'], dir, db, ['--env', 'qa'])).code).toBe(1);
  return dir;
}

test('newest first, as a table and as JSON: applies, a rollback and a failure, with who, where and why', async () => {
  const dir = await scenario();
  const table = await pgshift(['history'], dir, db);
  expect([table.code, table.stderr]).toEqual([0, '']);
  const lines = table.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^WHEN \(UTC\)\s+VERSION\s+NAME\s+ACTION\s+STATUS\s+ENVIRONMENT\s+BY\s+DURATION\s+NOTE$/);
  const rows = lines.slice(1, 6);
  expect(rows.map((l) => l.split(/\s{2,}/).slice(1, 7))).toEqual([
    ['003', 'broken', 'apply', 'failed', 'qa', 'test-actor'],
    ['002', 'orders', 'apply', 'success', 'qa', 'test-actor'],
    ['002', 'orders', 'rollback', 'success', 'staging', 'test-actor'],
    ['002', 'orders', 'apply', 'success', 'staging', 'test-actor'],
    ['001', 'users', 'apply', 'success', 'staging', 'test-actor'],
  ]);
  for (const r of rows) expect(r).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  /);
  // The failure's note: the first line of its error, on the row.
  expect(rows[0]).toMatch(/relation "nowhere" does not exist/);
  expect(lines.slice(6).join('\n')).toBe('\n5 rows.');

  const json = await pgshift(['history', '--json'], dir, db);
  expect(json.code).toBe(0);
  const entries = JSON.parse(json.stdout) as Printed[];
  expect(entries.map((e) => [e.version, e.action, e.status, e.environment])).toEqual([
    ['003', 'apply', 'failed', 'qa'],
    ['002', 'apply', 'success', 'qa'],
    ['002', 'rollback', 'success', 'staging'],
    ['002', 'apply', 'success', 'staging'],
    ['001', 'apply', 'success', 'staging'],
  ]);
  const failed = entries[0];
  expect(failed).toMatchObject({ name: 'broken', executedBy: 'test-actor' });
  expect(failed.note).toContain('relation "nowhere" does not exist');
  expect(Object.keys(failed).sort()).toEqual(['action', 'checksum', 'environment', 'executedAt', 'executedBy', 'executionTimeMs', 'id', 'name', 'note', 'status', 'version'].sort());
  expect(new Date(failed.executedAt).toISOString()).toBe(failed.executedAt);
  expect(entries.map((e) => e.id)).toEqual([...entries.map((e) => e.id)].sort((a, b) => b - a));
  expect(typeof entries[4].executionTimeMs).toBe('number');
});

test('--env filters only when given (the default environment is no filter), case-insensitively', async () => {
  const dir = await scenario();
  const staging = JSON.parse((await pgshift(['history', '--json', '--env', 'STAGING'], dir, db)).stdout) as Printed[];
  expect(staging.map((e) => `${e.action} ${e.version}`)).toEqual(['rollback 002', 'apply 002', 'apply 001']);
  const dev = await pgshift(['history', '--env', 'development'], dir, db);
  expect([dev.code, dev.stdout.trimEnd()]).toEqual([0, 'no history rows for --env development.']);
  // Without --env: every environment, although the environment setting defaults to development.
  expect((JSON.parse((await pgshift(['history', '--json'], dir, db)).stdout) as Printed[]).length).toBe(5);
});

test('--version filters by version ("1" and "001" are one version); pgshift --version still prints the version', async () => {
  const dir = await scenario();
  const two = JSON.parse((await pgshift(['history', '--json', '--version', '2'], dir, db)).stdout) as Printed[];
  expect(two.map((e) => `${e.action} ${e.environment}`)).toEqual(['apply qa', 'rollback staging', 'apply staging']);
  const one = await pgshift(['history', '--version', '001'], dir, db);
  expect(one.code).toBe(0);
  expect(one.stdout.split('\n').filter((l) => /^\d{4}-/.test(l))).toHaveLength(1);
  expect(one.stdout.trimEnd()).toMatch(/\n1 row for --version 001\.$/);
  const both = JSON.parse((await pgshift(['history', '--json', '--version', '0002', '--env', 'qa'], dir, db)).stdout) as Printed[];
  expect(both.map((e) => e.action)).toEqual(['apply']);
  const none = await pgshift(['history', '--version', '9'], dir, db);
  expect([none.code, none.stdout.trimEnd()]).toEqual([0, 'no history rows for --version 9.']);
  // Elsewhere --version is pgshift's own version, as before.
  const version = await pgshift(['--version'], dir, db);
  expect([version.code, version.stdout.trim()]).toEqual([0, expect.stringMatching(/^\d+\.\d+\.\d+/)]);
  const missing = await pgshift(['history'], dir, db, ['--version']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('--version after "pgshift history" takes the version whose rows to show');
});

test('--limit: the newest n rows, saying more are left out', async () => {
  const dir = await scenario();
  const r = await pgshift(['history', '--limit', '2'], dir, db);
  expect(r.code).toBe(0);
  const rows = r.stdout.split('\n').filter((l) => /^\d{4}-/.test(l));
  expect(rows.map((l) => l.split(/\s{2,}/).slice(1, 4))).toEqual([
    ['003', 'broken', 'apply'],
    ['002', 'orders', 'apply'],
  ]);
  expect(r.stdout.trimEnd()).toMatch(/\nthe newest 2 rows; --limit <n> shows more\.$/);
  expect((JSON.parse((await pgshift(['history', '--json', '--limit', '3'], dir, db)).stdout) as Printed[]).length).toBe(3);
  // Exactly as many rows as the limit: nothing left out.
  expect((await pgshift(['history', '--limit', '5'], dir, db)).stdout.trimEnd()).toMatch(/\n5 rows\.$/);
  const bad = await pgshift(['history', '--limit', '0'], dir, db);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--limit must be at least 1');
});

test('no tracking tables: no history yet, exit 0 (JSON []), and nothing is created', async () => {
  const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
  const r = await pgshift(['history'], dir, db);
  expect([r.code, r.stderr]).toEqual([0, '']);
  expect(r.stdout.trimEnd()).toBe('no history yet: public.migration_history does not exist (the first pgshift up, down, resolve, repair, adopt or baseline creates it).');
  const json = await pgshift(['history', '--json', '--schema', 'Audit Log'], dir, db);
  expect([json.code, JSON.parse(json.stdout)]).toEqual([0, []]);
  expect(await tableExists(db.sql, 'public.schema_migrations')).toBe(false);
  expect(await tableExists(db.sql, 'public.migration_history')).toBe(false);
  const [{ n }] = await db.sql`select count(*)::int as n from pg_namespace where nspname = 'Audit Log'`;
  expect(n).toBe(0);
  const args = await pgshift(['history', 'extra'], dir, db);
  expect(args.code).toBe(2);
  expect(args.stderr).toContain('history takes no arguments (got "extra")');
});

test('read-only: history answers while another run holds the migration lock, and writes nothing', async () => {
  const dir = await scenario();
  const holder = session(db);
  try {
    await holder`select pg_advisory_lock(${lockKey('public').key}::bigint)`;
    const started = Date.now();
    const r = await pgshift(['history', '--json'], dir, db);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Printed[]).length).toBe(5);
    expect(Date.now() - started).toBeLessThan(5000);
    const [{ n }] = await db.sql`select count(*)::int as n from migration_history`;
    expect(n).toBe(5);
  } finally {
    await holder.end();
  }
});

test('notes pass through the redactor: URL credentials and the database password never print', async () => {
  const dir = await scenario();
  const password = new URL(db.url).password || 'no-password-in-test-url';
  await db.sql.unsafe(
    `insert into public.migration_history (version, name, action, status, environment, executed_by, error_message) values ('004', 'leak', 'resolve', 'success', 'qa', 'someone', $1)`,
    [`resolved: see postgres://admin:topsecret-42@db.example.com/app and ${password}`],
  );
  for (const args of [['history'], ['history', '--json']]) {
    const r = await pgshift(args, dir, db);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('postgres://admin:***@db.example.com/app');
    expect(r.stdout).not.toContain('topsecret-42');
    if (new URL(db.url).password.length >= 4) expect(r.stdout).not.toContain(password);
  }
});

test('in process: history() returns typed entries, and the SQL version identity is versionId', async () => {
  const dir = await scenario();
  const entries = await history({ dir, databaseUrl: db.url, version: '1' });
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ version: '001', action: 'apply', status: 'success', environment: 'staging' });
  expect(entries[0].executedAt).toBeInstanceOf(Date);
  const samples = ['1', '001', '0', '000', '1.0', '1.00', '1_0', '0.0', '10.0.0', '1.10', '1.010', '2024_01_01', '20240101000000', '0.0.1', '1.0.1', 'V1', 'R__x', 'abc.0', '007.0_0'];
  const rows = await db.sql.unsafe<{ v: string; id: string }[]>(`select v, ${VERSION_ID_SQL('v')} as id from unnest($1::text[]) as v`, [samples]);
  expect(rows.map((r) => [r.v, r.id])).toEqual(samples.map((v) => [v, versionId(v)]));
});
