// One clean session per migration (issue 10, part 3): whatever a migration leaves on the shared
// connection (a pg_dump file's set_config('search_path', '', false), a temporary table, SET ROLE, a
// PREPARE, a LISTEN, a WITH HOLD cursor) is gone before the next migration starts, and the migration
// lock stays held throughout.
import postgres from 'postgres';
import { adminUrl, createDatabase, type TestDatabase } from './helpers/db';
import { migrationRows, migrationsDir, pgshift } from './helpers/pgshift';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

const schemaOf = async (table: string) => (await db.sql`select n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relname = ${table}`)[0]?.nspname;
const ownerOf = async (table: string) => (await db.sql`select pg_get_userbyid(relowner) as owner from pg_class where relname = ${table}`)[0]?.owner;

/** A statement that fails the migration when `condition` (SQL) holds. */
const failIf = (condition: string, message: string) => `DO $$ BEGIN IF ${condition} THEN RAISE EXCEPTION '${message}'; END IF; END $$;`;

test("a pg_dump file's set_config('search_path', '', false) does not reach the next migration", async () => {
  const dir = migrationsDir({
    '1_dump.sql': "-- migrate:up\nSELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.dumped (id int);\nSELECT set_config('statement_timeout', '500', false);\n",
    '2_plain.sql': '-- migrate:up\nCREATE TABLE plain (id int);\nSELECT pg_sleep(0.6);\n',
  });
  const run = await pgshift(['up'], dir, db);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(await schemaOf('plain')).toBe('public');
  expect((await migrationRows(db.sql)).map((r) => r.status)).toEqual(['applied', 'applied']);
});

test('a non-transactional migration leaves nothing behind either', async () => {
  const dir = migrationsDir({
    '1_nontx.sql': "-- migrate:up transaction:false\nSELECT set_config('search_path', '', false);\nCREATE TEMP TABLE scratch (x int);\n",
    '2_after.sql': '-- migrate:up\nCREATE TEMP TABLE scratch (x int);\nCREATE TABLE after_nontx (id int);\n',
  });
  const run = await pgshift(['up'], dir, db);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(await schemaOf('after_nontx')).toBe('public');
});

test('a temporary table, a prepared statement and a WITH HOLD cursor can be made again by the next migration', async () => {
  const dir = migrationsDir({
    '1_scratch.sql':
      '-- migrate:up\nCREATE TEMP TABLE scratch (x int);\nINSERT INTO scratch VALUES (1);\nPREPARE pick AS SELECT x FROM scratch;\nEXECUTE pick;\nDECLARE rows CURSOR WITH HOLD FOR SELECT 1;\n',
    '2_again.sql': '-- migrate:up\nCREATE TEMP TABLE scratch (x int);\nPREPARE pick AS SELECT 2;\nDECLARE rows CURSOR WITH HOLD FOR SELECT 2;\nCREATE TABLE done (id int);\n',
    '3_once_more.sql': '-- migrate:up transaction:false\nCREATE TEMP TABLE scratch (x int);\nPREPARE pick AS SELECT 3;\n',
    '4_last.sql': '-- migrate:up\nPREPARE pick AS SELECT 4;\nCREATE TABLE last (id int);\n',
  });
  const run = await pgshift(['up'], dir, db);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(await schemaOf('last')).toBe('public');
});

test('LISTEN does not outlive its migration', async () => {
  const dir = migrationsDir({
    '1_listen.sql': '-- migrate:up\nLISTEN pgshift_test_channel;\n',
    '2_check.sql': `-- migrate:up\n${failIf('(SELECT count(*) FROM pg_listening_channels()) > 0', 'still listening')}\nCREATE TABLE checked (id int);\n`,
  });
  const run = await pgshift(['up'], dir, db);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(await schemaOf('checked')).toBe('public');
});

describe('roles', () => {
  // Roles belong to the server, not the test's database: a name of its own, dropped afterwards.
  const role = `pgshift_owner_${process.pid}_${Date.now().toString(36)}`;
  afterEach(async () => {
    const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop role if exists ${role}`).catch(() => {});
    await admin.end();
  });

  test('SET ROLE and SET SESSION AUTHORIZATION end with their migration; the tracking rows are still written', async () => {
    const me = (await db.sql`select current_user as u`)[0].u as string;
    const dir = migrationsDir({
      '1_role.sql': `-- migrate:up\nCREATE ROLE ${role};\nGRANT CREATE ON SCHEMA public TO ${role};\n`,
      '2_as_owner.sql': `-- migrate:up\nSET ROLE ${role};\nCREATE TABLE owned (id int);\n`,
      '3_plain.sql': '-- migrate:up\nCREATE TABLE mine (id int);\n',
      '4_as_owner.sql': `-- migrate:up\nSET SESSION AUTHORIZATION ${role};\nCREATE TABLE owned_too (id int);\n`,
      '5_plain.sql': '-- migrate:up\nCREATE TABLE mine_too (id int);\n',
    });
    const run = await pgshift(['up'], dir, db);
    try {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(await ownerOf('owned')).toBe(role);
      expect(await ownerOf('owned_too')).toBe(role);
      expect(await ownerOf('mine')).toBe(me);
      expect(await ownerOf('mine_too')).toBe(me);
      expect((await migrationRows(db.sql)).map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    } finally {
      await db.sql.unsafe(`drop owned by ${role}`).catch(() => {});
    }
  });
});

test('the migration lock stays held while the next migration runs', async () => {
  const dir = migrationsDir({
    '1_dirty.sql': "-- migrate:up\nSELECT pg_catalog.set_config('search_path', '', false);\nCREATE TEMP TABLE scratch (x int);\nLISTEN somewhere;\nPREPARE p AS SELECT 1;\n",
    '2_slow.sql': '-- migrate:up\nCREATE TABLE slow (id int);\nSELECT pg_sleep(1.5);\n',
  });
  // Watches from another session: the backend sleeping in migration 2 must hold an advisory lock.
  const watcher = postgres(db.url, { max: 1, onnotice: () => {} });
  let seen: { sleeping: boolean; locked: boolean } | undefined;
  let done = false;
  const watch = (async () => {
    while (!done) {
      const [row] = await watcher<{ sleeping: boolean; locked: boolean }[]>`
        select true as sleeping,
               exists (select 1 from pg_locks l where l.pid = a.pid and l.locktype = 'advisory' and l.granted and l.database = (select oid from pg_database where datname = current_database())) as locked
          from pg_stat_activity a
         where a.datname = current_database() and a.query like '%pg_sleep(1.5)%' and a.pid <> pg_backend_pid()`;
      if (row) seen = row;
      if (row) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    const run = await pgshift(['up'], dir, db);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  } finally {
    done = true;
    await watch;
    await watcher.end();
  }
  expect(seen).toEqual({ sleeping: true, locked: true });
});

test('a statement that cannot run in a transaction in a down section: the hint names the down header', async () => {
  const dir = migrationsDir({
    '1_index.sql': '-- migrate:up\nCREATE TABLE items (id int);\nCREATE INDEX items_id_idx ON items (id);\n-- migrate:down\nDROP INDEX CONCURRENTLY items_id_idx;\nDROP TABLE items;\n',
  });
  expect((await pgshift(['up'], dir, db)).code).toBe(0);
  const down = await pgshift(['down'], dir, db);
  expect(down.code).not.toBe(0);
  expect(down.stderr + down.stdout).toContain('-- migrate:down transaction:false');
  expect(down.stderr + down.stdout).not.toContain('-- migrate:up transaction:false');
});
