// The backup before a deploy, with a real pg_dump against a real Postgres 15 (pg_dump refuses a server
// newer than itself, and this machine's client may be older than the suite's Postgres 18): what auto
// puts in the archive, that its restore command brings a dropped column's values back, that the
// password never reaches the command line, and that a failed or interrupted pg_dump leaves nothing.
// Without a Postgres 15 or a pg_dump, the tests that need them say why and pass, except in CI.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import postgres from 'postgres';
import { backupTables, dataAtRisk } from '../src/commands/backup';
import { migrate } from '../src/commands/migrate';
import { plan } from '../src/commands/plan';
import { findPgDump, pgDumpConnection, serverMajor, takeBackup, type PgDumpTool } from '../src/db/backup';
import type { Sql } from '../src/db/connect';
import { AbortedError, BackupError, ConfigError, PgshiftError } from '../src/errors';
import { Redactor } from '../src/report/redact';
import { tempDir, withDatabase, writeMigrations, type TestDatabase } from './helpers/db';
import { locatePgDump } from './helpers/pg-dump';
import { createDatabaseOn, startPostgres15, type Postgres15 } from './helpers/pg15';

let pg15: Postgres15 | undefined;
let tool: PgDumpTool | undefined;
let why = '';
const dirs: string[] = [];
const dir = (prefix = 'pgshift-backup-') => {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  const found = locatePgDump();
  if (!found) why = 'no pg_dump: set PGSHIFT_PG_DUMP, put pg_dump on PATH, or install postgresql-client-15';
  pg15 = await startPostgres15();
  if (!pg15) why ||= 'no Postgres 15 (the reason is printed above)';
  if (found) {
    try {
      tool = await findPgDump({ path: found.path, serverMajor: 15, env: process.env });
    } catch (err) {
      why ||= `the pg_dump from ${found.from} (${found.path}) cannot be used: ${(err as Error).message}`;
    }
  }
}, 120_000);

afterAll(async () => {
  await pg15?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Without a Postgres 15 or a pg_dump the test says so and passes, except in CI, where both must be there. */
function missing(): boolean {
  if (pg15 && tool) return false;
  if (process.env.CI) throw new Error(`backup tests cannot run in CI: ${why}`);
  process.stderr.write(`backup test skipped: ${why}\n`);
  return true;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

const SETUP = `
  create table users (id int primary key, email text not null, nickname text);
  create table orders (id int primary key, user_id int references users (id), total numeric);
  insert into users values (1, 'ann@example.com', 'annie'), (2, 'bob@example.com', 'bobby');
  insert into orders values (10, 1, 9.50), (11, 2, 3.00);`;

/** Drops the nickname column; a table it creates and drops on the way; orders untouched. */
const MIGRATIONS = {
  '1_drop_nickname.sql': `-- migrate:up
create table scratch (id int);
insert into scratch values (1);
drop table scratch;
alter table users drop column nickname;

-- migrate:down
alter table users add column nickname text;
`,
};

let db: TestDatabase | undefined;
const scratchDbs: string[] = [];
async function freshDb(): Promise<TestDatabase> {
  db = await createDatabaseOn(pg15!.url);
  await db.sql.unsafe(SETUP);
  return db;
}
afterEach(async () => {
  await db?.drop();
  db = undefined;
  if (pg15 && scratchDbs.length) {
    const admin = postgres(pg15.url, { max: 1, onnotice: () => {} });
    for (const name of scratchDbs.splice(0)) await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
});

async function toc(file: string): Promise<string[]> {
  const list = await run(tool!.restorePath, ['--list', file]);
  expect(list.code).toBe(0);
  return list.stdout.split('\n').filter((l) => /^\d+;/.test(l));
}
const tableData = (entries: string[]) =>
  entries
    .map((l) => /^\d+; \d+ \d+ TABLE DATA (\S+ \S+)/.exec(l)?.[1])
    .filter(Boolean)
    .sort();

/** Runs a restore command as a person would paste it, with DATABASE_URL set and the client on PATH. */
async function restore(command: string, url: string): Promise<void> {
  const r = await run('/bin/sh', ['-c', command], { ...process.env, DATABASE_URL: url, PATH: `${dirname(tool!.path)}:${process.env.PATH ?? ''}` });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

describe('what the backup must hold', () => {
  test('DROP COLUMN on users, a table created then dropped, orders untouched: exactly users', async () => {
    if (missing()) return;
    const d = await freshDb();
    const p = await plan({ dir: writeMigrations(join(dir(), 'm'), MIGRATIONS), databaseUrl: d.url }, { direction: 'up' });
    expect(dataAtRisk(p)).toEqual({
      tables: [
        { schema: undefined, name: 'scratch' },
        { schema: undefined, name: 'users' },
      ],
      schemas: [],
    });
    // scratch does not exist before the run: nothing of it to keep.
    expect(await backupTables(d.sql as unknown as Sql, p)).toEqual(['public.users']);
  });

  test('every destructive kind, names that need quoting, DROP SCHEMA CASCADE and TRUNCATE CASCADE', async () => {
    if (missing()) return;
    const d = await freshDb();
    await d.sql.unsafe(`
      create schema app; create table app."Line Items" (id int primary key); create table app.notes (id int);
      create table kept (id int); create table retyped (v int); create table wiped (v int); create table emptied (v int);
      create table parent (id int primary key); create table child (pid int references parent (id)); create table grandchild (c int);
      create table updated (v int); create table filtered (v int);`);
    const files = {
      '1_all.sql': `-- migrate:up
alter table retyped alter column v type bigint;
delete from wiped;
delete from filtered where v > 1;
update updated set v = 0;
update filtered set v = 1 where v = 2;
with gone as (delete from emptied returning *) select count(*) from gone;
truncate parent cascade;
drop schema app cascade;
explain delete from kept;
create function f() returns void language sql begin atomic delete from kept; end;
`,
    };
    const p = await plan({ dir: writeMigrations(join(dir(), 'm'), files), databaseUrl: d.url }, { direction: 'up' });
    expect(dataAtRisk(p).schemas).toEqual(['app']);
    expect(await backupTables(d.sql as unknown as Sql, p)).toEqual([
      'app."Line Items"',
      'app.notes',
      'public.child',
      'public.emptied',
      'public.parent',
      'public.retyped',
      'public.updated',
      'public.wiped',
    ]);
  });

  test('the server major, from server_version_num', async () => {
    if (missing()) return;
    const d = await freshDb();
    expect(await serverMajor(d.sql as unknown as Sql)).toBe(15);
  });
});

describe('auto and full archives', () => {
  test('auto before DROP COLUMN holds users’ rows only; its restore command brings the dropped values back', async () => {
    if (missing()) return;
    const d = await freshDb();
    const out = dir();
    const m = writeMigrations(join(dir(), 'm'), MIGRATIONS);
    let report: Awaited<ReturnType<typeof takeBackup>> | undefined;
    // As a deploy takes it: under the migration lock, on its session, before anything runs.
    await migrate(
      {
        dir: m,
        databaseUrl: d.url,
        beforeRun: async (p, sql) => {
          const tables = await backupTables(sql, p);
          report = await takeBackup({
            tool: tool!,
            databaseUrl: d.url,
            mode: 'auto',
            dataTables: tables,
            dir: out,
            label: 'Prod EU/1',
            redactor: new Redactor(),
            sql,
            now: new Date('2025-03-04T05:06:07.890Z'),
          });
        },
      },
      { direction: 'up' },
    );
    expect(report).toBeDefined();
    const r = report!;
    expect(basename(r.file)).toBe('pgshift-backup-prod-eu-1-20250304T050607Z.dump');
    expect(readdirSync(out)).toEqual([basename(r.file)]);
    expect(r).toMatchObject({ mode: 'auto', dataTables: ['public.users'], tool: tool!.version });
    expect(r.bytes).toBeGreaterThan(0);
    const entries = await toc(r.file);
    expect(r.entries).toBe(entries.length);
    expect(tableData(entries)).toEqual(['public users']);
    expect(entries.some((l) => / TABLE public orders /.test(l))).toBe(true);
    expect(r.restoreCommand).not.toContain(d.url);
    expect(r.restoreCommand).not.toMatch(/--clean/);

    // The migration ran: the column is gone from the live database.
    const cols = await d.sql`select column_name from information_schema.columns where table_name = 'users' order by ordinal_position`;
    expect(cols.map((c) => c.column_name)).toEqual(['id', 'email']);

    // Restored into a new database as the report says, the values are there; orders' rows were never in it.
    const scratch = /createdb .* (pgshift_restore_[a-z0-9]+) &&/.exec(r.restoreCommand)?.[1];
    expect(scratch).toBe('pgshift_restore_20250304t050607z');
    scratchDbs.push(scratch!);
    await restore(r.restoreCommand, d.url);
    const back = postgres(withDatabase(pg15!.url, scratch!), { max: 1, onnotice: () => {} });
    try {
      expect((await back`select id, nickname from users order by id`).map((x) => [x.id, x.nickname])).toEqual([
        [1, 'annie'],
        [2, 'bobby'],
      ]);
      expect((await back`select count(*)::int as n from orders`)[0].n).toBe(0);
    } finally {
      await back.end();
    }
  });

  test('auto for a partitioned table holds its partitions’ rows (pg_dump dumps each partition’s own)', async () => {
    if (missing()) return;
    const d = await freshDb();
    await d.sql.unsafe(`create table events (at date not null, v int) partition by range (at);
      create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01');
      create table events_2025 partition of events for values from ('2025-01-01') to ('2026-01-01');
      insert into events values ('2024-05-01', 1), ('2025-05-01', 2);`);
    const r = await takeBackup({ tool: tool!, databaseUrl: d.url, mode: 'auto', dataTables: ['public.events'], dir: dir(), label: 'x', redactor: new Redactor() });
    expect(r.dataTables).toEqual(['public.events']);
    expect(tableData(await toc(r.file))).toEqual(['public events_2024', 'public events_2025']);
  });

  test('auto with no table at risk is the schema alone', async () => {
    if (missing()) return;
    const d = await freshDb();
    const r = await takeBackup({ tool: tool!, databaseUrl: d.url, mode: 'auto', dataTables: [], dir: dir(), label: 'x', redactor: new Redactor() });
    expect(r.dataTables).toEqual([]);
    expect(tableData(await toc(r.file))).toEqual([]);
  });

  test('full holds every table’s rows, and its restore command brings them into an empty database', async () => {
    if (missing()) return;
    const d = await freshDb();
    const out = dir();
    // A name with a space and quotes: quoted in the report, present in the archive.
    await d.sql.unsafe(`create table "odd ""name""" (v int); insert into "odd ""name""" values (7)`);
    const r = await takeBackup({ tool: tool!, databaseUrl: d.url, mode: 'full', dataTables: [], dir: out, label: 'staging', redactor: new Redactor() });
    expect(r.dataTables).toEqual(['public."odd ""name"""', 'public.orders', 'public.users']);
    const entries = await toc(r.file);
    expect(entries.filter((l) => / TABLE DATA public /.test(l))).toHaveLength(3);
    expect(r.restoreCommand).toBe(`pg_restore --clean --if-exists --no-owner --dbname "$DATABASE_URL" ${r.file}`);
    const target = await createDatabaseOn(pg15!.url);
    try {
      await restore(r.restoreCommand, target.url);
      expect((await target.sql`select count(*)::int as n from orders`)[0].n).toBe(2);
      expect((await target.sql`select nickname from users order by id`).map((x) => x.nickname)).toEqual(['annie', 'bobby']);
    } finally {
      await target.drop();
    }
  });
});

describe('finding pg_dump', () => {
  const FIX = 'sudo apt-get install -y postgresql-common && sudo /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y && sudo apt-get install -y postgresql-client-15';

  test('a --pg-dump path that does not exist, or no pg_dump on PATH: refused with the fix', async () => {
    const nowhere = join(dir(), 'nope', 'pg_dump');
    const e1 = await findPgDump({ path: nowhere, serverMajor: 15, env: process.env }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ConfigError);
    expect((e1 as Error).message).toContain(`--pg-dump ${nowhere}: ${nowhere} does not exist`);
    expect((e1 as Error).message).toContain(FIX);
    expect((e1 as Error).message).toContain('then pass --pg-dump /usr/lib/postgresql/15/bin/pg_dump');
    expect((e1 as Error).message).toContain('--backup none');
    const e2 = await findPgDump({ serverMajor: 15, env: { PATH: '' } }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(ConfigError);
    expect((e2 as Error).message).toMatch(/^no pg_dump on PATH \(PATH is empty\): a backup needs pg_dump 15 or newer/);
    expect((e2 as Error).message).toContain(FIX);
  });

  test('an older pg_dump is refused, naming both majors and the apt command; one that cannot run too', async () => {
    const bin = dir();
    const fake = join(bin, 'pg_dump');
    writeFileSync(fake, '#!/bin/sh\necho "pg_dump (PostgreSQL) 12.1"\n');
    chmodSync(fake, 0o755);
    // Found on PATH as well as given.
    for (const o of [{ path: fake }, { env: { PATH: bin } }]) {
      const e = await findPgDump({ serverMajor: 15, ...o }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      expect(msg).toContain(`${fake} is pg_dump 12 ("pg_dump (PostgreSQL) 12.1"), older than the server (Postgres 15)`);
      expect(msg).toContain(FIX);
      // A new-enough client installed beside it is named, not picked.
      if (existsSync('/usr/lib/postgresql/15/bin/pg_dump')) expect(msg).toContain('A pg_dump 15 is already installed here: pass --pg-dump /usr/lib/postgresql/15/bin/pg_dump.');
    }
    const broken = join(bin, 'broken');
    writeFileSync(broken, '#!/nonexistent/interpreter\n');
    chmodSync(broken, 0o755);
    const e = await findPgDump({ path: broken, serverMajor: 15, env: {} }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toContain(`${broken} cannot run`);
  });

  test('pg_restore is the one beside pg_dump', async () => {
    if (missing()) return;
    expect(tool!.restorePath).toBe(join(dirname(tool!.path), 'pg_restore'));
    expect(tool!.major).toBeGreaterThanOrEqual(15);
    expect(tool!.version).toMatch(/^pg_dump \(PostgreSQL\) \d+/);
  });
});

describe('the password', () => {
  test('--dbname keeps everything of the URL but the password, in libpq spelling', () => {
    expect(pgDumpConnection('postgresql://us%40er:p%2Fss%20w@db.example.com:6543/my%20db?sslmode=require&application_name=x')).toEqual({
      dbname: 'postgresql://us%40er@db.example.com:6543/my%20db?sslmode=require&application_name=x',
      password: 'p/ss w',
    });
    // Only in a parameter; a socket folder as host=; postgres.js's ssl and server settings.
    expect(pgDumpConnection('postgres:///app?host=/var/run/postgresql&password=hunter22&ssl=true&search_path=a b&max=3')).toEqual({
      dbname: 'postgres:///app?host=%2Fvar%2Frun%2Fpostgresql&sslmode=verify-full&options=-c%20search_path%3Da%5C%20b',
      password: 'hunter22',
    });
    expect(pgDumpConnection('postgres://u@h/d')).toEqual({ dbname: 'postgres://u@h/d', password: undefined });
    expect(() => pgDumpConnection('mysql://u@h/d')).toThrow(ConfigError);
  });

  test.each([
    ['in the URL', (u: string, p: string) => u.replace('@', `:${encodeURIComponent(p)}@`)],
    ['as a password parameter', (u: string, p: string) => `${u}?password=${encodeURIComponent(p)}`],
  ])('never on pg_dump’s command line (%s): only in PGPASSWORD', async (_how, withPassword) => {
    if (missing()) return;
    const d = await freshDb();
    const password = `S3cr3t-${process.pid}/p@ss wörd`;
    const role = `backup_${process.pid}_${Date.now().toString(36)}`;
    await d.sql.unsafe(`create role ${role} login password '${password.replace(/'/g, "''")}'`);
    await d.sql.unsafe(`grant connect on database "${d.name}" to ${role}; grant select on all tables in schema public to ${role}`);
    const bin = dir();
    const wrapper = join(bin, 'pg_dump');
    const log = join(bin, 'argv.log');
    writeFileSync(
      wrapper,
      `#!/bin/sh
for a in "$@"; do printf '%s\\n' "$a" >> '${log}'; done
env | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p' > '${log}.env'
if [ "$PGPASSWORD" = '${password.replace(/'/g, `'\\''`)}' ]; then echo same > '${log}.password'; fi
exec '${tool!.path}' "$@"
`,
    );
    chmodSync(wrapper, 0o755);
    const url = withPassword(d.url.replace(/\/\/[^@]*@/, `//${role}@`), password);
    try {
      const out = dir();
      const r = await takeBackup({ tool: { ...tool!, path: wrapper }, databaseUrl: url, mode: 'auto', dataTables: ['public.users'], dir: out, label: password, redactor: new Redactor() });
      const argv = readFileSync(log, 'utf8');
      expect(argv).toContain('--no-password');
      expect(argv).toContain(`--dbname\npostgres://${role}@127.0.0.1:`);
      for (const form of [password, encodeURIComponent(password), 'S3cr3t']) expect(argv).not.toContain(form);
      expect(readFileSync(`${log}.env`, 'utf8').split('\n')).toContain('PGPASSWORD');
      expect(readFileSync(`${log}.password`, 'utf8').trim()).toBe('same');
      // The label was the password itself: the file name does not carry it.
      expect(basename(r.file)).toMatch(/^pgshift-backup-db-\d{8}T\d{6}Z\.dump$/);
      expect(JSON.stringify(r)).not.toContain('S3cr3t');
      expect(tableData(await toc(r.file))).toEqual(['public users']);
    } finally {
      await d.sql.unsafe(`drop owned by ${role}; drop role ${role}`);
    }
  });
});

describe('a pg_dump that fails leaves nothing', () => {
  /** A pg_dump stand-in: `body` runs with $f set to its --file argument. */
  function fakeDump(body: string): PgDumpTool {
    const bin = dir();
    const path = join(bin, 'pg_dump');
    writeFileSync(path, `#!/bin/sh\nwhile [ $# -gt 0 ]; do if [ "$1" = --file ]; then f="$2"; fi; shift; done\n${body}\n`);
    chmodSync(path, 0o755);
    return { ...tool!, path };
  }

  test('exit 1 after writing garbage: no file, the error carries its stderr, redacted', async () => {
    if (missing()) return;
    const d = await freshDb();
    const out = join(dir(), 'backups');
    mkdirSync(out);
    const fake = fakeDump(`echo garbage > "$f"; echo "pg_dump: error: connection to ${d.url} failed: simulated" >&2; exit 1`);
    const e = await takeBackup({ tool: fake, databaseUrl: d.url, mode: 'auto', dataTables: ['public.users'], dir: out, label: 'prod', redactor: new Redactor() }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BackupError);
    expect(e).toBeInstanceOf(PgshiftError);
    const msg = (e as Error).message;
    expect(msg).toMatch(/exited with code 1: pg_dump: error: connection to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\S+ failed: simulated/);
    expect(msg).not.toContain('pgshift-test-password');
    expect(msg).toContain('--backup none');
    expect(readdirSync(out)).toEqual([]);
  });

  test('exit 0 with an archive pg_restore cannot read: no file either', async () => {
    if (missing()) return;
    const d = await freshDb();
    const out = dir();
    const e = await takeBackup({ tool: fakeDump('echo garbage > "$f"'), databaseUrl: d.url, mode: 'full', dataTables: [], dir: out, label: 'prod', redactor: new Redactor() }).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(BackupError);
    expect((e as Error).message).toMatch(/pg_restore cannot read it/);
    expect(readdirSync(out)).toEqual([]);
  });

  test('an interrupt stops pg_dump and removes its partial file', async () => {
    if (missing()) return;
    const d = await freshDb();
    const out = dir();
    const ac = new AbortController();
    const fake = fakeDump(`echo partial > "$f"; exec sleep 30`);
    const started = Date.now();
    setTimeout(() => ac.abort(), 500);
    const e = await takeBackup({ tool: fake, databaseUrl: d.url, mode: 'full', dataTables: [], dir: out, label: 'prod', redactor: new Redactor(), signal: ac.signal }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readdirSync(out)).toEqual([]);
  });
});
