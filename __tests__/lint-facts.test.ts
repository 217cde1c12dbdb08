// Linter precision with a database (issue 10, part 4): a DROP ... IF EXISTS of nothing, a type change
// Postgres makes without a rewrite, and ADD COLUMN ... NOT NULL on a table the migration just emptied.
// Without a database, the same files keep today's findings.
import type { Finding } from '../src/types';
import { createDatabase, runCli, type TestDatabase } from './helpers/db';
import { migrationsDir, pgshift } from './helpers/pgshift';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
  await db.sql.unsafe(`
    create table users_keep (id int);
    create type mood as enum ('calm');
    create table t (name varchar(20), code varchar(10), code2 varchar(10), amount numeric(8,2), amount2 numeric(8,2), amount3 numeric(8,2),
                    at timestamp, at_ix timestamp, net cidr, bits varbit(4), n int);
    create index t_at_ix on t (at_ix);
    create table a (id int); create table b (id int); create table c (id int); create table d (id int);
    insert into a values (1); insert into b values (1); insert into c values (1); insert into d values (1);
  `);
  // The rewrite of timestamp <-> timestamptz is skipped only under a zone of offset 0 for all time.
  await db.sql.unsafe(`alter database "${db.name}" set timezone = 'UTC'`);
});
afterEach(async () => {
  await db.drop();
});

const DROPS = {
  '1_drops.sql': [
    '-- migrate:up',
    'DROP TABLE IF EXISTS ghost;',
    'DROP TYPE IF EXISTS ghost_mood;',
    'DROP TABLE IF EXISTS users_keep;',
    'DROP TYPE IF EXISTS mood;',
    'ALTER TABLE t RENAME TO renamed_away;',
    'DROP TABLE IF EXISTS renamed_away;',
    'DROP SCHEMA IF EXISTS ghost_schema;',
    'DROP DOMAIN IF EXISTS ghost_domain;',
    '',
  ].join('\n'),
};

const TYPES = {
  '1_types.sql': [
    '-- migrate:up',
    'ALTER TABLE t ALTER COLUMN name TYPE text;',
    'ALTER TABLE t ALTER COLUMN code TYPE varchar(40);',
    'ALTER TABLE t ALTER COLUMN code2 TYPE varchar(5);',
    'ALTER TABLE t ALTER COLUMN amount TYPE numeric(12,2);',
    'ALTER TABLE t ALTER COLUMN amount2 TYPE numeric(12,3);',
    'ALTER TABLE t ALTER COLUMN amount3 TYPE numeric;',
    'ALTER TABLE t ALTER COLUMN at TYPE timestamptz;',
    'ALTER TABLE t ALTER COLUMN at_ix TYPE timestamp with time zone;',
    'ALTER TABLE t ALTER COLUMN net TYPE inet;',
    'ALTER TABLE t ALTER COLUMN bits TYPE bit varying(8);',
    'ALTER TABLE t ALTER COLUMN n TYPE bigint;',
    'ALTER TABLE t ALTER COLUMN name TYPE varchar(5);',
    '',
  ].join('\n'),
};

const EMPTIED = {
  '1_emptied.sql': [
    '-- migrate:up',
    'TRUNCATE a;',
    'ALTER TABLE a ADD COLUMN x int NOT NULL;',
    'DELETE FROM b;',
    'ALTER TABLE b ADD COLUMN x int NOT NULL;',
    'ALTER TABLE c ADD COLUMN x int NOT NULL;',
    'DELETE FROM d;',
    'INSERT INTO d VALUES (1);',
    'ALTER TABLE d ADD COLUMN x int NOT NULL;',
    '',
  ].join('\n'),
  // Another migration, another transaction: the TRUNCATE before it no longer holds the table empty.
  '2_later.sql': '-- migrate:up\nALTER TABLE a ADD COLUMN y int NOT NULL;\n',
};

const shown = (fs: Finding[]) => fs.map((f) => `${f.path.split('/').pop()}:${f.line} ${f.rule} ${f.severity}`);

/** `pgshift lint --json`: with a database, its pending migrations; without one, the directory's files. */
async function lint(files: Record<string, string>, withDb: boolean): Promise<string[]> {
  const dir = migrationsDir(files);
  const run = withDb ? await pgshift(['lint', '--json'], dir, db) : await runCli(['lint', '--json', '--dir', dir]);
  expect(run.stdout).toMatch(/^\[/);
  return shown(JSON.parse(run.stdout) as Finding[]);
}

/** `pgshift plan --json` with the database: the findings of what up would run. */
async function plan(files: Record<string, string>): Promise<string[]> {
  const run = await pgshift(['plan', '--json'], migrationsDir(files), db);
  expect(run.stderr).toBe('');
  return shown((JSON.parse(run.stdout) as { findings: Finding[] }).findings);
}

describe('DROP ... IF EXISTS', () => {
  const CAUTIOUS = [
    '1_drops.sql:2 drop-table error',
    '1_drops.sql:3 drop-type error',
    '1_drops.sql:4 drop-table error',
    '1_drops.sql:5 drop-type error',
    '1_drops.sql:6 rename-table warning',
    '1_drops.sql:7 drop-table error',
    '1_drops.sql:8 drop-schema error',
    '1_drops.sql:9 drop-type error',
  ];
  const KNOWING = ['1_drops.sql:4 drop-table error', '1_drops.sql:5 drop-type error', '1_drops.sql:6 rename-table warning', '1_drops.sql:7 drop-table error'];

  test('of an object the database does not hold is no finding; of one it holds, or one renamed into being, still is', async () => {
    expect(await lint(DROPS, true)).toEqual(KNOWING);
    expect(await plan(DROPS)).toEqual(KNOWING);
  });

  test('without a database every one is still reported', async () => {
    expect(await lint(DROPS, false)).toEqual(CAUTIOUS);
  });

  test('a protected environment runs a DROP TABLE IF EXISTS of nothing, and still refuses one of a real table', async () => {
    const dir = migrationsDir({ '1_clean.sql': '-- migrate:up\nDROP TABLE IF EXISTS ghost;\n', '2_real.sql': '-- migrate:up\nDROP TABLE IF EXISTS users_keep;\n' });
    const nothing = await pgshift(['up', '--env', 'production', '--target', '1', '--backup', 'none'], dir, db);
    expect(nothing.code).toBe(0);
    const real = await pgshift(['up', '--env', 'production', '--backup', 'none'], dir, db);
    expect(real.code).toBe(3);
    expect(real.stderr).toContain('drop-table');
  });
});

describe('ALTER COLUMN ... TYPE', () => {
  test('a change Postgres makes without a rewrite is not reported; a rewrite still is', async () => {
    const expected = [
      '1_types.sql:4 alter-column-type warning', // varchar(10) -> varchar(5): every value is checked
      '1_types.sql:6 alter-column-type warning', // numeric scale 2 -> 3: rewritten
      '1_types.sql:9 alter-column-type warning', // timestamptz under UTC, but its index is rebuilt
      '1_types.sql:12 alter-column-type warning', // int -> bigint: rewritten
      '1_types.sql:13 alter-column-type warning', // the column was retyped to text on line 2: its type is no longer known
    ];
    expect(await lint(TYPES, true)).toEqual(expected);
    expect(await plan(TYPES)).toEqual(expected);
  });

  test('timestamp -> timestamptz is reported under a zone that is not UTC for all time', async () => {
    await db.sql.unsafe(`alter database "${db.name}" set timezone = 'Europe/London'`);
    expect(await lint(TYPES, true)).toContain('1_types.sql:8 alter-column-type warning');
  });

  test('without a database every change is reported', async () => {
    expect(await lint(TYPES, false)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((line) => `1_types.sql:${line} alter-column-type warning`));
  });
});

describe('ADD COLUMN ... NOT NULL after the migration emptied the table', () => {
  const expected = [
    '1_emptied.sql:2 truncate error',
    '1_emptied.sql:3 add-column-not-null-without-default warning',
    '1_emptied.sql:4 delete-without-where error',
    '1_emptied.sql:5 add-column-not-null-without-default warning',
    '1_emptied.sql:6 add-column-not-null-without-default error',
    '1_emptied.sql:7 delete-without-where error',
    '1_emptied.sql:9 add-column-not-null-without-default error',
    '2_later.sql:2 add-column-not-null-without-default error',
  ];

  test('is a warning about running code, not an error; a table not emptied, or filled again, is still an error', async () => {
    expect(await lint(EMPTIED, true)).toEqual(expected);
    expect(await lint(EMPTIED, false)).toEqual(expected);
  });

  test('and it runs', async () => {
    const dir = migrationsDir({ '1_emptied.sql': '-- migrate:up\nTRUNCATE a;\nALTER TABLE a ADD COLUMN x int NOT NULL;\nDELETE FROM b;\nALTER TABLE b ADD COLUMN x int NOT NULL;\n' });
    const run = await pgshift(['up'], dir, db);
    expect(run.code).toBe(0);
  });
});
