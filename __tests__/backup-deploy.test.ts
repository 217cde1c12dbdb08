// The backup step of a deploy, end to end through the action bundle, on a Postgres 15 with the real
// pg_dump: a protected deploy backs up by default (auto), says where in its outputs and summary, and a
// pg_dump that is missing or too old refuses the deploy before anything changes. Without a Postgres 15
// or a pg_dump, the tests say why and pass, except in CI (CI set), where that fails.
import { execFile } from 'node:child_process';
import { existsSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { runAction } from './helpers/action';
import { tempDir, writeMigrations, type TestDatabase } from './helpers/db';
import { FakeGitHub } from './helpers/github-server';
import { locatePgDump } from './helpers/pg-dump';
import { createDatabaseOn, startPostgres15, type Postgres15 } from './helpers/pg15';

let pg15: Postgres15 | undefined;
let pgDump: string | undefined;
let db: TestDatabase | undefined;
let gh: FakeGitHub;

beforeAll(async () => {
  pgDump = locatePgDump()?.path;
  pg15 = await startPostgres15();
}, 120_000);
afterAll(async () => {
  await pg15?.stop();
});
beforeEach(async () => {
  gh = await new FakeGitHub().start();
  if (pg15) db = await createDatabaseOn(pg15.url);
});
afterEach(async () => {
  await gh.stop();
  await db?.drop();
});

function missing(): boolean {
  if (pg15 && pgDump && db) return false;
  const why = !pgDump ? 'no pg_dump (PGSHIFT_PG_DUMP, PATH or /usr/lib/postgresql/*/bin)' : 'no Postgres 15';
  if (process.env.CI) throw new Error(`backup deploy tests cannot run in CI: ${why}`);
  process.stderr.write(`backup deploy test skipped: ${why}\n`);
  return true;
}

const list = (file: string): Promise<string> => new Promise((resolve, reject) => execFile(join(pgDump!, '..', 'pg_restore'), ['--list', file], (err, stdout) => (err ? reject(err) : resolve(stdout))));

const MIGRATIONS = {
  '1_drop_nickname.sql': '-- migrate:up\nALTER TABLE users DROP COLUMN nickname;\n-- migrate:down\nALTER TABLE users ADD COLUMN nickname text;\n',
};

async function seed(d: TestDatabase): Promise<void> {
  await d.sql.unsafe(`create table users (id int primary key, nickname text); create table orders (id int primary key);
    insert into users values (1, 'annie'); insert into orders values (10);`);
}

function deploy(d: TestDatabase, workspace: string, inputs: Record<string, string>) {
  return runAction({
    inputs: { 'database-url': d.url, environment: 'production', 'allow-destructive': 'true', 'github-token': 't0ken', ...inputs },
    eventName: 'push',
    event: { ref: 'refs/tags/v1.2.3' },
    apiUrl: gh.url,
    workspace,
  });
}

test('a protected deploy backs up the table it drops a column of (auto, the default), and says where', async () => {
  if (missing()) return;
  await seed(db!);
  const workspace = tempDir();
  writeMigrations(join(workspace, 'migrations'), MIGRATIONS);
  const r = await deploy(db!, workspace, { 'pg-dump-path': pgDump! });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const file = r.outputs['backup-file'];
  expect(file).toMatch(/\/runner-temp\/pgshift-backup-production-\d{8}T\d{6}Z\.dump$/);
  expect(existsSync(file)).toBe(true);
  const toc = await list(file);
  expect(toc).toMatch(/TABLE DATA public users /);
  expect(toc).not.toMatch(/TABLE DATA public orders /);
  expect(r.summary).toContain(`💾 Backup \`${file}\``);
  expect(r.summary).toContain('the schema and the rows of public.users');
  expect(r.summary).toContain('pg_restore');
  expect(r.stdout).toContain('✓ backed up');
  expect(statSync(file).size).toBeGreaterThan(0);
  // The column is gone from the database, and its values are in the archive.
  expect((await db!.sql`select count(*)::int as n from information_schema.columns where table_name = 'users' and column_name = 'nickname'`)[0].n).toBe(0);
});

test('backup none skips it; a missing pg_dump or one older than the server refuses the deploy before anything changes', async () => {
  if (missing()) return;
  await seed(db!);
  const workspace = tempDir();
  writeMigrations(join(workspace, 'migrations'), MIGRATIONS);
  const gone = await deploy(db!, workspace, { 'pg-dump-path': '/nonexistent/pg_dump' });
  expect(gone.code).toBe(1);
  expect(gone.outputs.status).toBe('refused');
  expect(gone.stdout).toContain('apt-get install -y postgresql-client-15');
  expect(gone.stdout).toContain('the backup input');
  // An old pg_dump: a script that says it is 12.
  const fake = join(tempDir(), 'pg_dump');
  writeFileSync(fake, '#!/bin/sh\necho "pg_dump (PostgreSQL) 12.1"\n');
  chmodSync(fake, 0o755);
  const old = await deploy(db!, workspace, { 'pg-dump-path': fake });
  expect(old.code).toBe(1);
  expect(old.outputs.status).toBe('refused');
  expect(old.stdout).toMatch(/12/);
  // Nothing changed: no tracking tables, the column still there.
  expect((await db!.sql`select to_regclass('public.schema_migrations') as t`)[0].t).toBeNull();
  expect((await db!.sql`select nickname from users`)[0].nickname).toBe('annie');
  const none = await deploy(db!, workspace, { backup: 'none', 'pg-dump-path': '/nonexistent/pg_dump' });
  expect(none.code).toBe(0);
  expect(none.outputs['backup-file']).toBeUndefined();
});
