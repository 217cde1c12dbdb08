// Every file form read as its own tool reads it (issue 10, part 1), through the built CLI on a real
// Postgres: a fixture directory per form (written for pgshift, under fixtures/forms/) applied, rolled
// back to zero and applied again with the schema compared; and each defect the issue lists.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type postgres from 'postgres';
import { createDatabase, ROOT, type TestDatabase } from './helpers/db';
import { cli, dirWith, history, userTables } from './helpers/files';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

const fixture = (form: string) => join(ROOT, '__tests__/fixtures/forms', form);

/** What the migrations built: tables, columns, indexes (with validity), functions, triggers, views and constraints outside the tracking tables. */
async function schemaOf(sql: postgres.Sql): Promise<Record<string, unknown>> {
  const tracking = `('schema_migrations', 'migration_history')`;
  const q = (text: string) => sql.unsafe(text).then((rows) => JSON.parse(JSON.stringify(rows)));
  return {
    columns: await q(`select table_name, column_name, data_type, is_nullable from information_schema.columns
                       where table_schema = 'public' and table_name not in ${tracking} order by 1, 2`),
    indexes: await q(`select c.relname as index, i.indisvalid as valid, pg_get_indexdef(i.indexrelid) as def
                        from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
                       where t.relnamespace = 'public'::regnamespace and t.relname not in ${tracking} order by 1`),
    functions: await q(`select p.oid::regprocedure::text as f, md5(p.prosrc) as src from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1`),
    triggers: await q(`select tgname from pg_trigger where not tgisinternal order by 1`),
    views: await q(`select table_name from information_schema.views where table_schema = 'public' order by 1`),
    constraints: await q(`select conname, pg_get_constraintdef(oid) as def from pg_constraint
                           where connamespace = 'public'::regnamespace and conrelid::regclass::text not in ${tracking} order by 1`),
  };
}

/** The rows of a reversible fixture: how many migrations, and which one has an empty down. */
const REVERSIBLE: Record<string, { count: number; emptyDown: string }> = {
  dbmate: { count: 4, emptyDown: '20240301120300' },
  pair: { count: 3, emptyDown: '000003' },
  flyway: { count: 4, emptyDown: '3' },
  goose: { count: 4, emptyDown: '00004' },
  'sql-migrate': { count: 4, emptyDown: '1677078700' },
  'node-pg-migrate': { count: 4, emptyDown: '1704100300000' },
};

describe.each(Object.keys(REVERSIBLE))('the %s fixture', (form) => {
  test('applies, rolls back to zero (an empty down as a no-op), applies again: the same schema', async () => {
    const dir = fixture(form);
    const first = await cli(['up'], dir, db);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Applied ${REVERSIBLE[form].count} migrations`);
    const applied = await schemaOf(db.sql);
    // Every index built CONCURRENTLY is valid: it ran outside a transaction, as its header (or Flyway) says.
    expect((applied.indexes as { valid: boolean }[]).every((i) => i.valid)).toBe(true);

    const down = await cli(['down', '--target', '0'], dir, db);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(await userTables(db.sql)).toEqual([]);
    expect((await schemaOf(db.sql)).functions).toEqual([]);
    const rollbacks = (await history(db.sql)).filter((h) => h.action === 'rollback');
    expect(rollbacks).toHaveLength(REVERSIBLE[form].count);
    // Recorded as a rollback, with a note that the down was empty; the others carry none.
    expect(rollbacks.filter((h) => h.error_message).map((h) => [h.version, h.status, h.error_message])).toEqual([
      [REVERSIBLE[form].emptyDown, 'success', expect.stringContaining('the down section is empty')],
    ]);

    const again = await cli(['up'], dir, db);
    expect(again.code).toBe(0);
    expect(await schemaOf(db.sql)).toEqual(applied);
  });
});

// Prisma and plain files have no down: what is tested instead is that they apply in order (Prisma's
// folders, its migration_lock.toml left alone and not reported), that a second up has nothing to do, and
// that a rollback is refused, saying the migration has no down at all.
describe.each([
  ['prisma', 3, 'Prisma migrations have no down'],
  ['plain', 3, 'A plain file has no down'],
])('the %s fixture (no downs)', (form, count, noDown) => {
  test('applies in order, then is up to date; a rollback is refused as irreversible', async () => {
    const dir = fixture(form as string);
    const first = await cli(['up'], dir, db);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Applied ${count} migrations`);
    const schema = await schemaOf(db.sql);
    expect(schema.columns).not.toEqual([]);

    const again = await cli(['up'], dir, db);
    expect([again.code, again.stdout.trim(), again.stderr]).toEqual([0, expect.stringMatching(/^Up to date at /), '']);

    const plan = await cli(['plan', 'down'], dir, db);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toContain('has no down at all, so it cannot be rolled back');
    expect(plan.stdout).toContain(noDown);
    const down = await cli(['down'], dir, db);
    expect(down.code).toBe(3);
    expect(await schemaOf(db.sql)).toEqual(schema);
  });
});

describe('goose and sql-migrate: the Down section never runs as part of up', () => {
  test.each([
    ['goose', '-- +goose Up\nCREATE TABLE kept (id int);\n\n-- +goose Down\nDROP TABLE kept;\n'],
    ['sql-migrate', '-- +migrate Up\nCREATE TABLE kept (id int);\n\n-- +migrate Down\nDROP TABLE kept;\n'],
  ])('%s', async (_form, text) => {
    const dir = dirWith({ '20240101000000_kept.sql': text });
    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(0);
    expect(await userTables(db.sql)).toEqual(['kept']);
    const down = await cli(['down'], dir, db);
    expect(down.code).toBe(0);
    expect(await userTables(db.sql)).toEqual([]);
  });
});

describe('a directory with .sql files pgshift does not recognise', () => {
  test('nothing recognised: up, plan, status and lint refuse with exit 3, never "Up to date"', async () => {
    const dir = dirWith({ 'create_users.sql': 'CREATE TABLE users (id int);\n', 'seed.sql': 'SELECT 1;\n', 'README.md': 'not SQL' });
    for (const command of [['up'], ['plan'], ['status'], ['lint']]) {
      const r = await cli(command, dir, command[0] === 'lint' ? undefined : db);
      expect([command[0], r.code]).toEqual([command[0], 3]);
      expect(r.stdout).not.toContain('Up to date');
      expect(r.stdout + r.stderr).toContain('none of its 2 .sql files is a migration pgshift recognises (create_users.sql, seed.sql)');
    }
    expect(await userTables(db.sql)).toEqual([]);
  });

  test('some ignored: every command says how many and which, last', async () => {
    const dir = dirWith({
      '1_a.sql': '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n',
      'stray.sql': 'SELECT 1;\n',
      'notes.sql': '-- scratch\n',
    });
    const said = '2 .sql files ignored, not named as migrations, so they do not run: notes.sql, stray.sql.';
    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(0);
    expect(up.stderr.trim().split('\n').pop()).toContain(said);
    for (const command of [['plan'], ['status']]) {
      const r = await cli(command, dir, db);
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n').pop()).toContain(said);
    }
    // lint --dir used to drop even the warning.
    const lint = await cli(['lint'], dir);
    expect(lint.code).toBe(0);
    expect(lint.stderr.trim().split('\n').pop()).toContain(said);
    const lintDb = await cli(['lint'], dir, db);
    expect(lintDb.stderr.trim().split('\n').pop()).toContain(said);
  });
});

describe('an empty down is a no-op down; no down at all is irreversible', () => {
  test('an empty -- migrate:down and an empty .down.sql roll back, recorded as such', async () => {
    const dir = dirWith({
      '1_t.sql': '-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n',
      '2_comment.sql': "-- migrate:up\nCOMMENT ON TABLE t IS 'x';\n\n-- migrate:down\n-- nothing to undo\n",
      '3_analyze.up.sql': 'ANALYZE t;\n',
      '3_analyze.down.sql': '',
    });
    expect((await cli(['up'], dir, db)).code).toBe(0);
    const plan = await cli(['plan', 'down', '--steps', '2'], dir, db);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('note: the down section is empty (nothing to undo)');
    const down = await cli(['down', '--steps', '2'], dir, db);
    expect([down.code, down.stderr]).toEqual([0, '']);
    expect(down.stdout).toContain('Rolled back 2 migrations');
    expect(await userTables(db.sql)).toEqual(['t']);
    const rows = (await history(db.sql)).filter((h) => h.action === 'rollback').map((h) => [h.version, h.status, h.error_message]);
    expect(rows).toEqual([
      ['3', 'success', expect.stringContaining('the down section is empty')],
      ['2', 'success', expect.stringContaining('the down section is empty')],
    ]);
  });

  test('the plan of an up says which of the two each rollback is; a missing down refuses the rollback, saying so', async () => {
    const dir = dirWith({ '1_t.sql': 'CREATE TABLE t (id int);\n', '2_c.sql': "-- migrate:up\nCOMMENT ON TABLE t IS 'x';\n-- migrate:down\n" });
    const plan = await cli(['plan'], dir, db);
    expect(plan.stdout).toContain('rollback: none (this migration has no down, so it cannot be rolled back)');
    expect(plan.stdout).toContain('rollback: empty down section (rolling back runs no SQL');
    expect((await cli(['up'], dir, db)).code).toBe(0);
    const down = await cli(['down', '--target', '0'], dir, db);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('migration 1 has no down at all, so it cannot be rolled back');
  });
});

test('an indented "-- migrate:down" is not a dbmate marker: the file is refused, naming the line', async () => {
  const dir = dirWith({ '1_t.sql': '-- migrate:up\nCREATE TABLE t (id int);\n    -- migrate:down\nDROP TABLE t;\n' });
  const up = await cli(['up'], dir, db);
  expect(up.code).toBe(3);
  expect(up.stderr).toContain('1_t.sql:3: "-- migrate:down" is indented, and dbmate reads a marker only at the start of the line');
  expect(await userTables(db.sql)).toEqual([]);
});

test('a Flyway V script with CREATE INDEX CONCURRENTLY runs without a transaction, as Flyway runs it, and the plan says so', async () => {
  const dir = dirWith({ 'V1__t.sql': 'CREATE TABLE t (id int);\n', 'V2__t_id.sql': '-- an index\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n' });
  const plan = await cli(['plan'], dir, db);
  expect(plan.stdout).toContain('2 t_id  [non-transactional, 1 statement]');
  expect(plan.stdout).toContain('note: runs without a transaction, as Flyway runs it: line 2 (CREATE INDEX CONCURRENTLY t_id …) cannot run inside one');
  // Not flagged as an index built CONCURRENTLY inside a transaction.
  expect(plan.stdout).not.toContain('concurrently-in-transaction');
  const up = await cli(['up'], dir, db);
  expect([up.code, up.stderr]).toEqual([0, '']);
  const [{ valid }] = await db.sql`select indisvalid as valid from pg_index where indexrelid = 't_id'::regclass`;
  expect(valid).toBe(true);
});

describe('markers that the name does not fit, or of two forms, are refused before anything runs', () => {
  test.each([
    [
      'goose markers in a Flyway file',
      { 'V1__x.sql': '-- +goose Up\nCREATE TABLE x (id int);\n-- +goose Down\nDROP TABLE x;\n' },
      'V1__x.sql:1: "-- +goose Up" is a goose marker, but V1__x.sql is named as a Flyway migration',
    ],
    [
      'dbmate markers in a pair file',
      { '1_x.up.sql': '-- migrate:up\nCREATE TABLE x (id int);\n' },
      '1_x.up.sql:1: "-- migrate:up" is a dbmate marker, but 1_x.up.sql is named as a golang-migrate migration',
    ],
    [
      'sql-migrate markers in a Prisma folder',
      { '20240101000000_x/migration.sql': '-- +migrate Up\nCREATE TABLE x (id int);\n' },
      'migration.sql:1: "-- +migrate Up" is a sql-migrate marker, but 20240101000000_x/migration.sql is named as a Prisma migration',
    ],
    [
      'markers of two forms',
      { '1_x.sql': '-- +goose Up\nCREATE TABLE x (id int);\n-- migrate:down\nDROP TABLE x;\n' },
      '1_x.sql:3: "-- migrate:down" is a dbmate marker, but line 1 ("-- +goose Up") is a goose one',
    ],
  ])('%s', async (_what, files, message) => {
    // Written one by one: a file may sit in a folder (Prisma).
    const dir = dirWith({});
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(3);
    expect(up.stderr).toContain(message);
    expect(await userTables(db.sql)).toEqual([]);
  });
});
