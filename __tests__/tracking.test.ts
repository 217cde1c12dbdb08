// The tracking tables on a real Postgres: created by the first run that writes, with exactly the
// spec's columns, in --schema, with --env recorded; dbmate's table adopted, foreign tables refused;
// values with quotes passed as parameters.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase, type TestDatabase } from './helpers/db';
import { dbmate, historyRows, migrationRows, migrationsDir, pgshift, tableExists } from './helpers/pgshift';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

async function columns(schema: string, table: string) {
  return db.sql`
    select column_name, data_type, is_nullable, is_identity, identity_generation
      from information_schema.columns
     where table_schema = ${schema} and table_name = ${table}
     order by ordinal_position`;
}

async function primaryKey(schema: string, table: string): Promise<string[]> {
  const rows = await db.sql`
    select a.attname
      from pg_index i
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
     where i.indrelid = to_regclass(${`"${schema}".${table}`}) and i.indisprimary`;
  return rows.map((r) => r.attname as string);
}

const col = (column_name: string, data_type: string, nullable: boolean, identity?: 'ALWAYS') => ({
  column_name,
  data_type,
  is_nullable: nullable ? 'YES' : 'NO',
  is_identity: identity ? 'YES' : 'NO',
  identity_generation: identity ?? null,
});

const SCHEMA_MIGRATIONS = [
  col('version', 'text', false),
  col('name', 'text', false),
  col('checksum', 'text', false),
  col('status', 'text', false),
  col('applied_at', 'timestamp with time zone', true),
  col('execution_time_ms', 'integer', true),
  col('error_message', 'text', true),
  col('applied_by', 'text', true),
];

const MIGRATION_HISTORY = [
  col('id', 'bigint', false, 'ALWAYS'),
  col('version', 'text', false),
  col('name', 'text', true),
  col('action', 'text', false),
  col('status', 'text', false),
  col('environment', 'text', true),
  col('executed_by', 'text', true),
  col('executed_at', 'timestamp with time zone', false),
  col('execution_time_ms', 'integer', true),
  col('error_message', 'text', true),
  col('checksum', 'text', true),
];

test('the first run that writes creates both tracking tables with exactly the spec columns; plan and status create nothing', async () => {
  const dir = migrationsDir({ '1_users.sql': dbmate('CREATE TABLE users (id int);', 'DROP TABLE users;') });

  const st = await pgshift(['status'], dir, db);
  expect(st.code).toBe(0);
  const pl = await pgshift(['plan'], dir, db);
  expect(pl.code).toBe(0);
  expect(pl.stdout).toContain('does not exist yet');
  expect(await tableExists(db.sql, 'public.schema_migrations')).toBe(false);
  expect(await tableExists(db.sql, 'public.migration_history')).toBe(false);

  const up = await pgshift(['up', '--verbose'], dir, db);
  expect(up.code).toBe(0);
  expect(up.stdout).toContain('created public.schema_migrations and public.migration_history');

  expect(await columns('public', 'schema_migrations')).toEqual(SCHEMA_MIGRATIONS);
  expect(await primaryKey('public', 'schema_migrations')).toEqual(['version']);
  expect(await columns('public', 'migration_history')).toEqual(MIGRATION_HISTORY);
  expect(await primaryKey('public', 'migration_history')).toEqual(['id']);

  const [row] = await db.sql`select * from schema_migrations`;
  const upText = readFileSync(join(dir, '1_users.sql'), 'utf8').split('\n').slice(1).join('\n').split('\n-- migrate:down')[0];
  expect(row).toMatchObject({ version: '1', name: 'users', status: 'applied', error_message: null, applied_by: 'test-actor' });
  expect(row.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(row.checksum).toBe('sha256:' + createHash('sha256').update(upText).digest('hex'));
  expect(row.applied_at).toBeInstanceOf(Date);
  expect(typeof row.execution_time_ms).toBe('number');
  expect(row.execution_time_ms).toBeGreaterThanOrEqual(0);

  const history = await db.sql`select * from migration_history`;
  expect(history).toHaveLength(1);
  expect(history[0]).toMatchObject({
    version: '1',
    name: 'users',
    action: 'apply',
    status: 'success',
    environment: 'development',
    executed_by: 'test-actor',
    checksum: row.checksum,
    error_message: null,
  });
  expect(history[0].executed_at).toBeInstanceOf(Date);
  expect(typeof history[0].execution_time_ms).toBe('number');

  // A second run finds everything applied and writes nothing more.
  const again = await pgshift(['up'], dir, db);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('Up to date at 1');
  expect(await historyRows(db.sql)).toHaveLength(1);
});

test('--schema puts the tracking tables in that schema (created if missing) and --env is recorded in the history', async () => {
  const dir = migrationsDir({
    '1_a.sql': dbmate('CREATE TABLE a (id int);', 'DROP TABLE a;'),
    '2_b.sql': dbmate('CREATE TABLE b (id int);', 'DROP TABLE b;'),
  });
  const up = await pgshift(['up', '--schema', 'other', '--env', 'staging'], dir, db);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);

  expect(await tableExists(db.sql, 'public.schema_migrations')).toBe(false);
  expect(await tableExists(db.sql, 'public.migration_history')).toBe(false);
  expect(await columns('other', 'schema_migrations')).toEqual(SCHEMA_MIGRATIONS);
  expect(await columns('other', 'migration_history')).toEqual(MIGRATION_HISTORY);
  // The migrations' own objects still go where their SQL says (the search_path), not into the tracking schema.
  expect(await tableExists(db.sql, 'public.a')).toBe(true);
  expect(await tableExists(db.sql, 'other.a')).toBe(false);

  expect((await migrationRows(db.sql, 'other')).map((r) => [r.version, r.status])).toEqual([
    ['1', 'applied'],
    ['2', 'applied'],
  ]);
  expect((await historyRows(db.sql, 'other')).map((h) => [h.version, h.action, h.status, h.environment])).toEqual([
    ['1', 'apply', 'success', 'staging'],
    ['2', 'apply', 'success', 'staging'],
  ]);

  // The same schema on a later run: the tables are found, the rollback is recorded with its environment.
  const down = await pgshift(['down', '--schema', 'other', '--env', 'production', '--confirm', 'MIGRATE-PRODUCTION', '--backup', 'none'], dir, db);
  expect(down.code).toBe(0);
  expect((await migrationRows(db.sql, 'other')).map((r) => r.version)).toEqual(['1']);
  const last = (await historyRows(db.sql, 'other')).at(-1)!;
  expect([last.version, last.action, last.status, last.environment]).toEqual(['2', 'rollback', 'success', 'production']);

  // A run without --schema knows nothing of those rows: it would apply everything again into public.
  const pl = await pgshift(['plan'], dir, db);
  expect(pl.stdout).toContain('2 migrations to apply');
});

test('an existing schema is used as is, and a schema name needing quotes works', async () => {
  await db.sql`create schema "Track Ing"`;
  const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
  const up = await pgshift(['up', '--schema', 'Track Ing'], dir, db);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  expect((await migrationRows(db.sql, 'Track Ing')).map((r) => r.version)).toEqual(['1']);

  // Quotes of both kinds in the name: created, used, and the lock taken on it.
  const weird = `we"ird'o`;
  await db.sql`drop table a`;
  const again = await pgshift(['up', '--schema', weird, '--verbose'], dir, db);
  expect(again.stderr).toBe('');
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(`created ${weird}.schema_migrations`);
  const [{ n }] = await db.sql`select count(*)::int as n from pg_namespace where nspname = ${weird}`;
  expect(n).toBe(1);
  expect((await migrationRows(db.sql, weird.replace(/"/g, '""'))).map((r) => [r.version, r.status])).toEqual([['1', 'applied']]);
});

test('values are passed as parameters: a name and an environment with quotes are recorded exactly', async () => {
  const dir = migrationsDir({
    "5_it's.sql": dbmate('CREATE TABLE quoted (id int);', 'DROP TABLE quoted;'),
    '6_back\\slash.sql': dbmate('CREATE TABLE slashed (id int);', 'DROP TABLE slashed;'),
  });
  const up = await pgshift(['up', '--env', "o'brien"], dir, db);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  expect((await migrationRows(db.sql)).map((r) => [r.version, r.name, r.status])).toEqual([
    ['5', "it's", 'applied'],
    ['6', 'back\\slash', 'applied'],
  ]);
  expect((await historyRows(db.sql)).map((h) => [h.version, h.name, h.environment])).toEqual([
    ['5', "it's", "o'brien"],
    ['6', 'back\\slash', "o'brien"],
  ]);
  const down = await pgshift(['down', '--steps', '2', '--env', "o'brien"], dir, db);
  expect(down.code).toBe(0);
  expect(await migrationRows(db.sql)).toEqual([]);
  expect((await historyRows(db.sql)).slice(2).map((h) => [h.version, h.name, h.action, h.environment])).toEqual([
    ['6', 'back\\slash', 'rollback', "o'brien"],
    ['5', "it's", 'rollback', "o'brien"],
  ]);
});

describe('dbmate adoption', () => {
  const files = {
    '20240101000001_users.sql': dbmate('CREATE TABLE users (id int);', 'DROP TABLE users;'),
    '20240101000002_posts.sql': dbmate('CREATE TABLE posts (id int);', 'DROP TABLE posts;'),
    '20240101000003_tags.sql': dbmate('CREATE TABLE tags (id int);', 'DROP TABLE tags;'),
  };

  test("dbmate's schema_migrations is adopted: columns added, rows kept, checksums filled, adoption in the history, only the pending file applied", async () => {
    const dir = migrationsDir(files);
    // What dbmate leaves: its table (version varchar(128) primary key) and the objects of applied files.
    await db.sql`create table schema_migrations (version varchar(128) primary key)`;
    await db.sql`insert into schema_migrations (version) values ('20240101000001'), ('20240101000002')`;
    await db.sql`create table users (id int)`;
    await db.sql`create table posts (id int)`;

    const up = await pgshift(['up'], dir, db);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain("adopted dbmate's public.schema_migrations (2 applied migrations kept");
    expect(up.stdout).toContain('Applied 1 migration');

    const cols = (await columns('public', 'schema_migrations')).map((c) => [c.column_name, c.is_nullable]);
    expect(cols).toEqual([
      ['version', 'NO'],
      ['name', 'NO'],
      ['checksum', 'NO'],
      ['status', 'NO'],
      ['applied_at', 'YES'],
      ['execution_time_ms', 'YES'],
      ['error_message', 'YES'],
      ['applied_by', 'YES'],
    ]);
    expect(await primaryKey('public', 'schema_migrations')).toEqual(['version']);

    // Reference checksums: what pgshift itself records for these files on a fresh database.
    const fresh = await createDatabase();
    try {
      expect((await pgshift(['up'], dir, fresh)).code).toBe(0);
      const want = await migrationRows(fresh.sql);
      const rows = await migrationRows(db.sql);
      expect(rows.map((r) => [r.version, r.name, r.status])).toEqual([
        ['20240101000001', 'users', 'applied'],
        ['20240101000002', 'posts', 'applied'],
        ['20240101000003', 'tags', 'applied'],
      ]);
      for (const r of rows) expect(r.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(rows.map((r) => r.checksum)).toEqual(want.map((r) => r.checksum));
    } finally {
      await fresh.drop();
    }

    const history = await historyRows(db.sql);
    expect(history.map((h) => [h.version, h.action, h.status])).toEqual([
      ['20240101000001', 'resolve', 'success'],
      ['20240101000002', 'resolve', 'success'],
      ['20240101000003', 'apply', 'success'],
    ]);
    expect(history[0].error_message).toMatch(/adopted from dbmate/);
    expect(await tableExists(db.sql, 'public.tags')).toBe(true);

    // From now on the adopted rows are checked like any other: editing an adopted file is refused.
    const again = await pgshift(['up'], dir, db);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Up to date at 20240101000003');
    expect(await historyRows(db.sql)).toHaveLength(3);
  });

  test('an applied dbmate version whose file is gone refuses the run before anything is adopted or applied', async () => {
    const dir = migrationsDir(files);
    await db.sql`create table schema_migrations (version varchar(128) primary key)`;
    await db.sql`insert into schema_migrations (version) values ('20240101000001'), ('20231231000000')`;
    const up = await pgshift(['up'], dir, db);
    expect(up.code).toBe(3);
    expect(up.stderr).toContain('20231231000000');
    expect(up.stderr).toContain('--allow-missing');
    expect((await columns('public', 'schema_migrations')).map((c) => c.column_name)).toEqual(['version']);
    expect(await tableExists(db.sql, 'public.migration_history')).toBe(false);
    expect(await tableExists(db.sql, 'public.posts')).toBe(false);
  });

  test("golang-migrate's schema_migrations(version bigint, dirty boolean) is refused with a clear message and left untouched", async () => {
    const dir = migrationsDir(files);
    // golang-migrate keeps one row: the current version. Read as pgshift rows it would look like
    // "1 is pending but older than 2" — the refusal must name the real problem instead.
    await db.sql`create table schema_migrations (version bigint not null primary key, dirty boolean not null)`;
    await db.sql`insert into schema_migrations values (20240101000002, false)`;
    const foreign = "public.schema_migrations has the columns version, dirty: this is golang-migrate's table: run pgshift adopt --from golang-migrate";
    const up = await pgshift(['up'], dir, db);
    expect(up.stderr).toContain(foreign);
    expect(up.stderr).toContain('--schema');
    expect(up.stderr).not.toContain('older than');
    expect(up.code).toBe(2);
    expect((await columns('public', 'schema_migrations')).map((c) => c.column_name)).toEqual(['version', 'dirty']);
    expect(await db.sql`select version::text, dirty from schema_migrations`).toEqual([{ version: '20240101000002', dirty: false }]);
    expect(await tableExists(db.sql, 'public.migration_history')).toBe(false);
    expect(await tableExists(db.sql, 'public.users')).toBe(false);

    // The read-only commands say the same rather than reporting golang-migrate's row as applied.
    for (const command of [['status'], ['plan']]) {
      const r = await pgshift(command, dir, db);
      expect(r.stderr).toContain(foreign);
      expect(r.code).toBe(2);
    }

    // Its suggestion works: pgshift's own tables in another schema.
    const other = await pgshift(['up', '--schema', 'pgshift'], dir, db);
    expect(other.code).toBe(0);
    expect((await migrationRows(db.sql, 'pgshift')).map((r) => r.version)).toHaveLength(3);
  });
});
