// `pgshift adopt --from <tool>` and `pgshift baseline <version>` (issue 10, part 2): each tool's history
// table is created and filled exactly as that tool does it (its own DDL and inserts, read from its
// source), then adopted (a --dry-run first writes nothing), then `up` applies only what is new, and the
// other tool's rows are still there. Through the built CLI and action bundles, on a real Postgres.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAction, startActionFixture, stopActionFixture, type ActionFixture } from './helpers/action';
import { createDatabase, tempDir, type TestDatabase } from './helpers/db';
import { cli, dirWith, sha256, snapshot, userTables } from './helpers/files';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

interface Row {
  version: string;
  status: string;
  checksum: string;
}

async function recorded(schema = 'public'): Promise<Row[]> {
  return [...(await db.sql.unsafe<Row[]>(`select version, status, checksum from "${schema}".schema_migrations order by version`))];
}

async function actions(): Promise<[string, string][]> {
  const rows = await db.sql<{ version: string; action: string }[]>`select version, action from migration_history order by id`;
  return rows.map((r) => [r.version, r.action]);
}

/** A dry run, then the adoption: the dry run writes nothing and says what the adoption then records. */
async function dryRunThenAdopt(tool: string, dir: string, extra: string[] = []): Promise<{ dry: string; out: string }> {
  const before = await snapshot(db.sql);
  const dry = await cli(['adopt', '--from', tool, '--dry-run', ...extra], dir, db);
  expect(dry.stderr).toBe('');
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain('Nothing was written (--dry-run).');
  expect(await snapshot(db.sql)).toEqual(before);
  const run = await cli(['adopt', '--from', tool, ...extra], dir, db);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout.replace(/^dry run: would record/, 'recorded')).toContain(dry.stdout.split('\n')[0].replace(/^dry run: would record/, 'recorded'));
  return { dry: dry.stdout, out: run.stdout };
}

/** `up` after the adoption: only `expected` runs, and adopting again does nothing. */
async function upAppliesOnly(tool: string, dir: string, expected: string[]): Promise<void> {
  const up = await cli(['up', '--verbose'], dir, db);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  const applied = [...up.stdout.matchAll(/✓ applied\s+(\S+)/g)].map((m) => m[1]);
  expect(applied).toEqual(expected);
  const again = await cli(['adopt', '--from', tool], dir, db);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/adopted before|already pgshift's/);
}

const sum = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Three golang-migrate pairs, the layout golang-migrate's own CLI writes. */
const GOLANG_MIGRATE_FILES = {
  '1_a.up.sql': 'CREATE TABLE t1 (id int);\n',
  '1_a.down.sql': 'DROP TABLE t1;\n',
  '2_b.up.sql': 'CREATE TABLE t2 (id int);\n',
  '2_b.down.sql': 'DROP TABLE t2;\n',
  '3_c.up.sql': 'CREATE TABLE t3 (id int);\n',
  '3_c.down.sql': 'DROP TABLE t3;\n',
};

describe('adopt --from <tool>', () => {
  test('dbmate: its schema_migrations becomes pgshift’s, rows kept, history action adopt', async () => {
    const dir = dirWith({
      '1_a.sql': '-- migrate:up\nCREATE TABLE t1 (id int);\n-- migrate:down\nDROP TABLE t1;\n',
      '2_b.sql': '-- migrate:up\nCREATE TABLE t2 (id int);\n-- migrate:down\nDROP TABLE t2;\n',
      '3_c.sql': '-- migrate:up\nCREATE TABLE t3 (id int);\n-- migrate:down\nDROP TABLE t3;\n',
    });
    // dbmate's postgres driver: create table if not exists schema_migrations (version varchar(128) primary key).
    await db.sql.unsafe(`create table if not exists public.schema_migrations (version varchar(128) primary key);
      create table t1 (id int); create table t2 (id int);
      insert into public.schema_migrations (version) values ('1'), ('2')`);
    const { out } = await dryRunThenAdopt('dbmate', dir);
    expect(out).toContain("recorded 2 migrations as applied from dbmate's public.schema_migrations, without running them:");
    expect(out).toContain('To go back: ALTER TABLE public.schema_migrations DROP COLUMN name');
    expect(await recorded()).toEqual([
      { version: '1', status: 'applied', checksum: sha256('CREATE TABLE t1 (id int);') },
      { version: '2', status: 'applied', checksum: sha256('CREATE TABLE t2 (id int);') },
    ]);
    expect(await actions()).toEqual([
      ['1', 'adopt'],
      ['2', 'adopt'],
    ]);
    await upAppliesOnly('dbmate', dir, ['3']);
  });

  test('golang-migrate: up names the table; adopt renames it (row untouched), records every version up to its one; up runs the rest', async () => {
    const dir = dirWith(GOLANG_MIGRATE_FILES);
    // golang-migrate's postgres driver: CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null);
    // SetVersion: TRUNCATE, then INSERT (version, dirty).
    await db.sql.unsafe(`CREATE TABLE IF NOT EXISTS "public"."schema_migrations" (version bigint not null primary key, dirty boolean not null);
      create table t1 (id int); create table t2 (id int);
      TRUNCATE "public"."schema_migrations"; INSERT INTO "public"."schema_migrations" (version, dirty) VALUES (2, false)`);
    for (const command of [['up'], ['plan']]) {
      const refused = await cli(command, dir, db);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("this is golang-migrate's table: run pgshift adopt --from golang-migrate");
    }
    const { out } = await dryRunThenAdopt('golang-migrate', dir);
    expect(out).toContain("recorded 2 migrations as applied from golang-migrate's public.golang_migrate_schema_migrations");
    expect(out).toContain('golang-migrate keeps working against it with ?x-migrations-table=golang_migrate_schema_migrations');
    expect([...(await db.sql`select version::text, dirty from golang_migrate_schema_migrations`)]).toEqual([{ version: '2', dirty: false }]);
    expect((await recorded()).map((r) => r.version)).toEqual(['1', '2']);
    await upAppliesOnly('golang-migrate', dir, ['3']);
    expect(await userTables(db.sql)).toEqual(['golang_migrate_schema_migrations', 't1', 't2', 't3']);
  });

  test('golang-migrate: a dirty version refuses with what migrate force would do; nothing is written', async () => {
    const dir = dirWith({ '1_a.up.sql': 'CREATE TABLE t1 (id int);\n', '2_b.up.sql': 'CREATE TABLE t2 (id int);\n' });
    await db.sql.unsafe(`CREATE TABLE IF NOT EXISTS "public"."schema_migrations" (version bigint not null primary key, dirty boolean not null);
      INSERT INTO "public"."schema_migrations" (version, dirty) VALUES (2, true)`);
    const before = await snapshot(db.sql);
    const run = await cli(['adopt', '--from', 'golang-migrate'], dir, db);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("golang-migrate's public.schema_migrations says version 2 is dirty");
    expect(run.stderr).toContain('as "migrate force 2" would: UPDATE public.schema_migrations SET dirty = false;');
    expect(run.stderr).toContain('as "migrate force 1" would: UPDATE public.schema_migrations SET version = 1, dirty = false;');
    expect(run.stderr).toContain('Nothing was written.');
    expect(await snapshot(db.sql)).toEqual(before);
  });

  test('goose: the latest row of each version decides, version 0 is goose’s own', async () => {
    const goose = (up: string, down: string) => `-- +goose Up\n${up}\n\n-- +goose Down\n${down}\n`;
    const dir = dirWith({
      '00001_a.sql': goose('CREATE TABLE t1 (id int);', 'DROP TABLE t1;'),
      '00002_b.sql': goose('CREATE TABLE t2 (id int);', 'DROP TABLE t2;'),
      '00003_c.sql': goose('CREATE TABLE t3 (id int);', 'DROP TABLE t3;'),
      '00004_d.sql': goose('CREATE TABLE t4 (id int);', 'DROP TABLE t4;'),
    });
    // goose's postgres dialect (CreateTable, then InsertVersion(0, true) for the table's own row).
    await db.sql.unsafe(`CREATE TABLE goose_db_version (
        id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id));
      INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true);
      INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, true);
      INSERT INTO goose_db_version (version_id, is_applied) VALUES (2, true);
      INSERT INTO goose_db_version (version_id, is_applied) VALUES (3, true);
      INSERT INTO goose_db_version (version_id, is_applied) VALUES (3, false);
      create table t1 (id int); create table t2 (id int)`);
    await dryRunThenAdopt('goose', dir);
    expect((await recorded()).map((r) => r.version)).toEqual(['00001', '00002']);
    await upAppliesOnly('goose', dir, ['00003', '00004']);
    expect(await userTables(db.sql)).toEqual(['goose_db_version', 't1', 't2', 't3', 't4']);
    expect((await db.sql`select count(*)::int as n from goose_db_version`)[0].n).toBe(5);
  });

  test('sql-migrate: keyed by file name, bare-number names included', async () => {
    const m = (up: string, down: string) => `-- +migrate Up\n${up}\n\n-- +migrate Down\n${down}\n`;
    const dir = dirWith({
      '1677078479.sql': m('CREATE TABLE t1 (id int);', 'DROP TABLE t1;'),
      '1677078480_b.sql': m('CREATE TABLE t2 (id int);', 'DROP TABLE t2;'),
      '1677078481_c.sql': m('CREATE TABLE t3 (id int);', 'DROP TABLE t3;'),
    });
    // gorp's CreateTablesIfNotExists for sql-migrate's MigrationRecord; a migration's Id is its file name.
    await db.sql.unsafe(`create table if not exists "gorp_migrations" ("id" text not null primary key, "applied_at" timestamp with time zone);
      insert into "gorp_migrations" ("id","applied_at") values ('1677078479.sql', now()), ('1677078480_b.sql', now());
      create table t1 (id int); create table t2 (id int)`);
    await dryRunThenAdopt('sql-migrate', dir);
    expect((await recorded()).map((r) => r.version)).toEqual(['1677078479', '1677078480']);
    await upAppliesOnly('sql-migrate', dir, ['1677078481']);
    expect((await db.sql`select id from gorp_migrations order by id`).map((r) => r.id)).toEqual(['1677078479.sql', '1677078480_b.sql']);
  });

  test('node-pg-migrate: keyed by file name without extension', async () => {
    const m = (up: string, down: string) => `-- Up Migration\n${up}\n\n-- Down Migration\n${down}\n`;
    const dir = dirWith({
      '1677078479000_create-a.sql': m('CREATE TABLE t1 (id int);', 'DROP TABLE t1;'),
      '1677078480000_create-b.sql': m('CREATE TABLE t2 (id int);', 'DROP TABLE t2;'),
      '1677078481000_create-c.sql': m('CREATE TABLE t3 (id int);', 'DROP TABLE t3;'),
    });
    // node-pg-migrate's runner: CREATE TABLE, then INSERT (name, run_on) per migration.
    await db.sql.unsafe(`CREATE TABLE "public"."pgmigrations" (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
      INSERT INTO "public"."pgmigrations" (name, run_on) VALUES ('1677078479000_create-a', NOW());
      INSERT INTO "public"."pgmigrations" (name, run_on) VALUES ('1677078480000_create-b', NOW());
      create table t1 (id int); create table t2 (id int)`);
    await dryRunThenAdopt('node-pg-migrate', dir);
    expect((await recorded()).map((r) => r.version)).toEqual(['1677078479000', '1677078480000']);
    await upAppliesOnly('node-pg-migrate', dir, ['1677078481000']);
    expect((await db.sql`select count(*)::int as n from pgmigrations`)[0].n).toBe(2);
  });

  describe('prisma', () => {
    const prismaDir = () => {
      const dir = join(tempDir('pgshift-prisma-'), 'migrations');
      for (const [name, sql] of [
        ['20230101000000_init', 'CREATE TABLE t1 (id int);\n'],
        ['20230102000000_b', 'CREATE TABLE t2 (id int);\n'],
        ['20230103000000_c', 'CREATE TABLE t3 (id int);\n'],
      ]) {
        mkdirSync(join(dir, name), { recursive: true });
        writeFileSync(join(dir, name, 'migration.sql'), sql);
      }
      writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
      return dir;
    };
    // Prisma's schema engine creates _prisma_migrations so, and writes one row per attempt.
    const table = `CREATE TABLE "_prisma_migrations" (
        "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
        "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
        "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`;
    const row = (id: string, name: string, finished: boolean, rolledBack: boolean, logs: string | null = null) =>
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ('${id}', '${sum(name)}', ${finished ? 'now()' : 'NULL'}, '${name}', ${logs === null ? 'NULL' : `'${logs}'`}, ${rolledBack ? 'now()' : 'NULL'}, now(), ${finished ? 1 : 0});`;

    test('folders by name; a rolled-back row is not applied, a later finished one is', async () => {
      const dir = prismaDir();
      await db.sql.unsafe(`${table};
        ${row('0b1c5a2e-0000-4000-8000-000000000001', '20230101000000_init', true, false)}
        ${row('0b1c5a2e-0000-4000-8000-000000000002', '20230102000000_b', false, true, 'relation "x" does not exist')}
        ${row('0b1c5a2e-0000-4000-8000-000000000003', '20230102000000_b', true, false)}
        create table t1 (id int); create table t2 (id int)`);
      await dryRunThenAdopt('prisma', dir);
      expect((await recorded()).map((r) => r.version)).toEqual(['20230101000000', '20230102000000']);
      await upAppliesOnly('prisma', dir, ['20230103000000']);
      expect((await db.sql`select count(*)::int as n from _prisma_migrations`)[0].n).toBe(3);
    });

    test('an unfinished migration refuses with prisma migrate resolve; nothing is written', async () => {
      const dir = prismaDir();
      await db.sql.unsafe(`${table};
        ${row('0b1c5a2e-0000-4000-8000-000000000001', '20230101000000_init', true, false)}
        ${row('0b1c5a2e-0000-4000-8000-000000000002', '20230102000000_b', false, false, 'relation "x" does not exist')}`);
      const before = await snapshot(db.sql);
      const run = await cli(['adopt', '--from', 'prisma'], dir, db);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("Prisma's public._prisma_migrations says migration 20230102000000_b started at");
      expect(run.stderr).toContain('npx prisma migrate resolve --applied 20230102000000_b');
      expect(run.stderr).toContain('npx prisma migrate resolve --rolled-back 20230102000000_b');
      expect(await snapshot(db.sql)).toEqual(before);
    });
  });

  test('supabase: supabase_migrations.schema_migrations', async () => {
    const dir = dirWith({
      '20230101000000_a.sql': 'CREATE TABLE t1 (id int);\n',
      '20230102000000_b.sql': 'CREATE TABLE t2 (id int);\n',
      '20230103000000_c.sql': 'CREATE TABLE t3 (id int);\n',
    });
    // The Supabase CLI's history table (pkg/migration/history.go) and its insert per pushed file.
    await db.sql.unsafe(`CREATE SCHEMA IF NOT EXISTS supabase_migrations;
      CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
      ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
      ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;
      INSERT INTO supabase_migrations.schema_migrations(version, name, statements) VALUES ('20230101000000', 'a', ARRAY['CREATE TABLE t1 (id int)']);
      INSERT INTO supabase_migrations.schema_migrations(version, name, statements) VALUES ('20230102000000', 'b', ARRAY['CREATE TABLE t2 (id int)']);
      create table t1 (id int); create table t2 (id int)`);
    const { out } = await dryRunThenAdopt('supabase', dir);
    expect(out).toContain('supabase_migrations.schema_migrations is left as it was, so supabase can take over again');
    expect((await recorded()).map((r) => r.version)).toEqual(['20230101000000', '20230102000000']);
    await upAppliesOnly('supabase', dir, ['20230103000000']);
    expect((await db.sql`select count(*)::int as n from supabase_migrations.schema_migrations`)[0].n).toBe(2);
  });

  test('a version the other tool applied with no file refuses, unless --allow-missing', async () => {
    const dir = dirWith({ '20230102000000_b.sql': 'CREATE TABLE t2 (id int);\n' });
    await db.sql.unsafe(`CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text);
      INSERT INTO supabase_migrations.schema_migrations(version, name) VALUES ('20230101000000', 'a'), ('20230102000000', 'b')`);
    const before = await snapshot(db.sql);
    const refused = await cli(['adopt', '--from', 'supabase'], dir, db);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('a migration that supabase applied has no file in');
    expect(refused.stderr).toContain(': 20230101000000. Restore it');
    expect(await snapshot(db.sql)).toEqual(before);
    const allowed = await cli(['adopt', '--from', 'supabase', '--allow-missing'], dir, db);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('20230101000000    (no file: recorded as missing)');
    expect((await recorded()).map((r) => r.version)).toEqual(['20230101000000', '20230102000000']);
    expect((await cli(['status'], dir, db)).stdout).toMatch(/20230101000000\s.*missing/);
  });

  test('no such table: says where it looked', async () => {
    const run = await cli(['adopt', '--from', 'goose'], dirWith({ '1_a.sql': 'SELECT 1;\n' }), db);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no goose history table was found: pgshift looked for goose_db_version (in schema public or the search path)');
    const bad = await cli(['adopt', '--from', 'liquibase'], dirWith({ '1_a.sql': 'SELECT 1;\n' }), db);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from must be one of dbmate, golang-migrate, goose, sql-migrate, flyway, node-pg-migrate, prisma, supabase, not "liquibase"');
  });
});

/** Flyway's checksum of a script: CRC32 of its lines' UTF-8 bytes without line ends, as a signed int. */
function flywayCrc(text: string): number {
  let crc = -1;
  for (const byte of Buffer.from(
    text
      .replace(/^\uFEFF/, '')
      .split(/\r\n|\r|\n/)
      .join(''),
    'utf8',
  )) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ -1) | 0;
}

describe('adopt --from flyway', () => {
  // Flyway's createMetaDataTable.sql for PostgreSQL.
  const TABLE = `CREATE TABLE "public"."flyway_schema_history" (
      "installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL,
      "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL,
      "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL);
    ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
    CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");`;
  const FILES: Record<string, string> = {
    'V1__a.sql': 'CREATE TABLE t1 (id int);\r\n',
    'V2__b.sql': 'CREATE TABLE t2 (id int);\n',
    'V3__c.sql': 'CREATE TABLE t3 (id int);\n',
    'U3__c.sql': 'DROP TABLE t3;\n',
    'V4__d.sql': 'CREATE TABLE t4 (id int);\n',
  };
  let rank = 0;
  const row = (version: string | null, type: string, script: string, success = true, checksum: number | null = FILES[script] ? flywayCrc(FILES[script]) : null) =>
    `INSERT INTO "public"."flyway_schema_history" (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
     VALUES (${++rank}, ${version === null ? 'NULL' : `'${version}'`}, '${script.replace(/^[VUR]\d*__|\.sql$/g, '')}', '${type}', '${script}', ${checksum ?? 'NULL'}, 'flyway', 12, ${success});`;
  beforeEach(() => {
    rank = 0;
  });

  test('versioned rows, an undo: up runs only what is new; the history table is untouched', async () => {
    const dir = dirWith(FILES);
    await db.sql.unsafe(`${TABLE}
      ${row('1', 'SQL', 'V1__a.sql')} ${row('2', 'SQL', 'V2__b.sql')} ${row('3', 'SQL', 'V3__c.sql')} ${row('3', 'UNDO_SQL', 'U3__c.sql')}
      create table t1 (id int); create table t2 (id int)`);
    const before = [...(await db.sql`select * from flyway_schema_history order by installed_rank`)];
    await dryRunThenAdopt('flyway', dir);
    expect((await recorded()).map((r) => [r.version, r.status])).toEqual([
      ['1', 'applied'],
      ['2', 'applied'],
    ]);
    await upAppliesOnly('flyway', dir, ['3', '4']);
    expect([...(await db.sql`select * from flyway_schema_history order by installed_rank`)]).toEqual(before);
  });

  test('a BASELINE row stands for every version up to it', async () => {
    const dir = dirWith(FILES);
    await db.sql.unsafe(`${TABLE}
      ${row('2', 'BASELINE', '<< Flyway Baseline >>', true, null)} ${row('3', 'SQL', 'V3__c.sql')}
      create table t1 (id int); create table t2 (id int); create table t3 (id int)`);
    await dryRunThenAdopt('flyway', dir);
    expect((await recorded()).map((r) => r.version)).toEqual(['1', '2', '3']);
    await upAppliesOnly('flyway', dir, ['4']);
  });

  test('a failed row is recorded failed, with the recovery; resolve settles it', async () => {
    const dir = dirWith(FILES);
    await db.sql.unsafe(`${TABLE} ${row('1', 'SQL', 'V1__a.sql')} ${row('2', 'SQL', 'V2__b.sql', false)} create table t1 (id int)`);
    const { out } = await dryRunThenAdopt('flyway', dir);
    expect(out).toContain('recorded 2 b as failed: adopted from flyway: public.flyway_schema_history records V2__b.sql as failed (installed_rank 2');
    expect(out).toContain('"pgshift resolve 2 --applied" if its changes are in place, or "--rolled-back" if not');
    expect((await recorded()).map((r) => [r.version, r.status])).toEqual([
      ['1', 'applied'],
      ['2', 'failed'],
    ]);
    const refused = await cli(['up'], dir, db);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('pgshift resolve 2');
    expect((await cli(['resolve', '2', '--rolled-back'], dir, db)).code).toBe(0);
    const up = await cli(['up', '--verbose'], dir, db);
    expect(up.code).toBe(0);
    expect([...up.stdout.matchAll(/✓ applied\s+(\S+)/g)].map((m) => m[1])).toEqual(['2', '3', '4']);
  });

  test('a versioned script changed since Flyway ran it refuses (Flyway’s validate would too)', async () => {
    const dir = dirWith(FILES);
    await db.sql.unsafe(`${TABLE} ${row('1', 'SQL', 'V1__a.sql', true, 12345)}`);
    const run = await cli(['adopt', '--from', 'flyway'], dir, db);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`a migration changed after Flyway applied it: 1 (V1__a.sql: Flyway checksum 12345, the file's now ${flywayCrc(FILES['V1__a.sql'])})`);
    expect(run.stderr).toContain('flyway repair');
  });

  test('repeatables: the one that ran as it is now is recorded, a changed one stays pending', async () => {
    const dir = dirWith({ ...FILES, 'R__views.sql': 'CREATE OR REPLACE VIEW v1 AS SELECT 1 AS one;\n', 'R__fn.sql': 'CREATE OR REPLACE VIEW v2 AS SELECT 2 AS two;\n' });
    await db.sql.unsafe(`${TABLE} ${row('1', 'SQL', 'V1__a.sql')} ${row(null, 'SQL', 'R__views.sql', true, flywayCrc('CREATE OR REPLACE VIEW v1 AS SELECT 1 AS one;\n'))}
      ${row(null, 'SQL', 'R__fn.sql', true, flywayCrc('CREATE OR REPLACE VIEW v2 AS SELECT 1 AS old;\n'))}
      create table t1 (id int); create view v1 as select 1 as one`);
    const { out } = await dryRunThenAdopt('flyway', dir);
    expect(out).toContain('R__fn: its file changed since flyway last ran it, so it stays pending and the next pgshift up runs it again.');
    expect(await recorded()).toEqual([
      { version: '1', status: 'applied', checksum: sha256(FILES['V1__a.sql'].replace(/\r\n/g, '\n')) },
      { version: 'R__views', status: 'applied', checksum: sha256('CREATE OR REPLACE VIEW v1 AS SELECT 1 AS one;\n') },
    ]);
  });

  test('plan and up warn that adopt exists when pgshift has recorded nothing', async () => {
    const dir = dirWith(FILES);
    await db.sql.unsafe(`${TABLE} ${row('1', 'SQL', 'V1__a.sql')}`);
    const plan = await cli(['plan'], dir, db);
    expect(plan.stderr).toContain(
      'warning: public.flyway_schema_history is flyway\'s history and pgshift has recorded no migration yet: run "pgshift adopt --from flyway" first, or every migration flyway applied is run again',
    );
  });
});

describe('baseline <version>', () => {
  test('records every migration up to the version as applied without running it; refused once there are rows', async () => {
    const dir = dirWith({ '1_a.sql': 'CREATE TABLE t1 (id int);\n', '2_b.sql': 'CREATE TABLE t2 (id int);\n', '3_c.sql': 'CREATE TABLE t3 (id int);\n' });
    await db.sql.unsafe('create table t1 (id int); create table t2 (id int)');
    const before = await snapshot(db.sql);
    const dry = await cli(['baseline', '2', '--dry-run'], dir, db);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run: would record 2 migrations up to and including 2 as applied, without running them:');
    expect(await snapshot(db.sql)).toEqual(before);

    expect((await cli(['baseline', '9'], dir, db)).stderr).toContain('baseline: version 9 matches no migration in');
    const run = await cli(['baseline', '2', '--env', 'production'], dir, db);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('recorded 2 migrations up to and including 2 as applied, without running them:');
    expect(run.stdout).toContain('Not proven against the live schema: pass --shadow-url');
    expect(await recorded()).toEqual([
      { version: '1', status: 'applied', checksum: sha256('CREATE TABLE t1 (id int);\n') },
      { version: '2', status: 'applied', checksum: sha256('CREATE TABLE t2 (id int);\n') },
    ]);
    const notes = await db.sql<{ action: string; environment: string; error_message: string }[]>`select action, environment, error_message from migration_history order by id`;
    expect(notes.map((n) => [n.action, n.environment, n.error_message])).toEqual([
      ['baseline', 'production', 'baseline 2: recorded as applied without running it'],
      ['baseline', 'production', 'baseline 2: recorded as applied without running it'],
    ]);
    const up = await cli(['up', '--verbose'], dir, db);
    expect([...up.stdout.matchAll(/✓ applied\s+(\S+)/g)].map((m) => m[1])).toEqual(['3']);

    const again = await cli(['baseline', '3'], dir, db);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('public.schema_migrations already records 3 migrations: baseline is for a database with no history at all. Nothing was written.');
  });

  test('a history table made before adopt and baseline existed has its action check widened', async () => {
    const dir = dirWith({ '1_a.sql': 'CREATE TABLE t1 (id int);\n', '2_b.sql': 'CREATE TABLE t2 (id int);\n' });
    // What pgshift created before: action in ('apply', 'rollback', 'resolve'), and empty tables.
    await db.sql.unsafe(`create table schema_migrations (version text primary key, name text not null, checksum text not null,
        status text not null check (status in ('applied', 'running', 'failed')), applied_at timestamptz, execution_time_ms integer, error_message text, applied_by text);
      create table migration_history (id bigint generated always as identity primary key, version text not null, name text,
        action text not null check (action in ('apply', 'rollback', 'resolve')), status text not null check (status in ('success', 'failed')),
        environment text, executed_by text, executed_at timestamptz not null default now(), execution_time_ms integer, error_message text, checksum text)`);
    expect((await cli(['baseline', '1'], dir, db)).code).toBe(0);
    const [{ def }] = await db.sql<{ def: string }[]>`select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'migration_history_action_check'`;
    expect(def).toContain("'baseline'");
    expect(def).toContain("'repair'");
    expect(await actions()).toEqual([['1', 'baseline']]);
  });
});

describe('the action’s adopt-from', () => {
  let f: ActionFixture;
  afterEach(async () => {
    await stopActionFixture(f);
  });

  test('adopts once before the deploy (outputs say what), then is a no-op; a dry run writes nothing', async () => {
    f = await startActionFixture({
      '20230101000000_a.sql': 'CREATE TABLE t1 (id int);\n',
      '20230102000000_b.sql': 'CREATE TABLE t2 (id int);\n',
      '20230103000000_c.sql': 'CREATE TABLE t3 (id int);\n',
    });
    await f.db.sql.unsafe(`CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text);
      INSERT INTO supabase_migrations.schema_migrations(version, name) VALUES ('20230101000000', 'a'), ('20230102000000', 'b');
      create table t1 (id int); create table t2 (id int)`);
    const inputs = { 'database-url': f.db.url, 'adopt-from': 'supabase' };

    const dry = await runAction({ inputs: { ...inputs, 'dry-run': 'true' }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("dry run: would record 2 migrations as applied from supabase's supabase_migrations.schema_migrations");
    expect(dry.outputs['adopted-count']).toBe('0');
    // The plan reads as if the adoption were done: only the migration supabase never applied is pending.
    expect(dry.outputs['pending-count']).toBe('1');
    expect(dry.outputs['current-version']).toBe('20230102000000');
    expect((await f.db.sql`select to_regclass('public.schema_migrations') is null as none`)[0].none).toBe(true);

    const run = await runAction({ inputs, apiUrl: f.gh.url, workspace: f.workspace });
    expect(run.code).toBe(0);
    expect(run.outputs['adopted-count']).toBe('2');
    expect(run.outputs['adopted-versions']).toBe('["20230101000000","20230102000000"]');
    expect(run.outputs.status).toBe('applied');
    expect(run.outputs['applied-versions']).toBe('["20230103000000"]');
    expect(run.summary.indexOf('## pgshift adopt --from supabase')).toBeLessThan(run.summary.indexOf('## pgshift up'));

    const again = await runAction({ inputs, apiUrl: f.gh.url, workspace: f.workspace });
    expect(again.code).toBe(0);
    expect(again.outputs['adopted-count']).toBe('0');
    expect(again.outputs.status).toBe('up-to-date');
    const rows = await f.db.sql<{ action: string; n: number }[]>`select action, count(*)::int as n from migration_history group by action order by action`;
    expect(rows.map((r) => [r.action, r.n])).toEqual([
      ['adopt', 2],
      ['apply', 1],
    ]);
  });

  test('a pull request dry run over golang-migrate’s table plans what pgshift would run after the adoption, writing nothing', async () => {
    f = await startActionFixture(GOLANG_MIGRATE_FILES);
    await f.db.sql.unsafe(`CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null);
      INSERT INTO schema_migrations (version, dirty) VALUES (2, false); create table t1 (id int); create table t2 (id int)`);
    const inputs = { 'database-url': f.db.url, 'adopt-from': 'golang-migrate', 'dry-run': 'true', 'github-token': 't0ken' };
    const dry = await runAction({ inputs, eventName: 'pull_request', event: { pull_request: { number: 4 }, number: 4 }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(dry.code).toBe(0);
    expect(dry.outputs.status).toBe('planned');
    expect(dry.outputs['pending-count']).toBe('1');
    const comment = f.gh.comments.find((c) => c.body.includes('<!-- pgshift:plan'));
    expect(comment!.body).toContain('`3`');
    expect(comment!.body).not.toContain('`1`');
    // Nothing renamed, nothing created.
    const tables = await f.db.sql<{ t: string }[]>`select tablename as t from pg_tables where schemaname = 'public' order by 1`;
    expect(tables.map((r) => r.t)).toEqual(['schema_migrations', 't1', 't2']);
    expect((await f.db.sql`select version, dirty from schema_migrations`).map((r) => [String(r.version), r.dirty])).toEqual([['2', false]]);
  });

  test('a refused adoption is the run’s outcome: nothing deployed', async () => {
    f = await startActionFixture({ '1_a.sql': 'CREATE TABLE t1 (id int);\n' });
    const run = await runAction({ inputs: { 'database-url': f.db.url, 'adopt-from': 'goose' }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(run.code).not.toBe(0);
    expect(run.outputs.status).toBe('refused');
    expect(run.stdout).toContain('::error::no goose history table was found');
    expect(await userTables(f.db.sql)).toEqual([]);
    const bad = await runAction({ inputs: { 'database-url': f.db.url, 'adopt-from': 'rails' }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(bad.outputs.status).toBe('refused');
    expect(bad.stdout).toContain('::error::input adopt-from must be one of dbmate, golang-migrate');
  });
});
