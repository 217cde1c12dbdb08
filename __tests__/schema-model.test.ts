// The schema model (src/schema): inspect a real database, render it byte for byte the same for two
// databases built from the same SQL, and name each difference in reviewer's words. In-process, real Postgres.
import type postgres from 'postgres';
import { createDatabase, type TestDatabase } from './helpers/db';
import { compare, describeDifference, EXPECTED_ACTUAL, inspect, realDifferences, render, type SchemaModel } from '../src/schema';
import type { Sql } from '../src/db/connect';

/** Every kind of object the model covers, in one script. */
const SCHEMA = `
create extension if not exists pgcrypto;
create schema app;
comment on schema app is 'the app''s own';
create type mood as enum ('sad', 'ok', 'happy');
create domain email as text not null check (value like '%@%');
create type money_pair as (amount numeric(10,2), currency char(3));
create table users (id bigint generated always as identity primary key, email email unique, mood mood default 'ok');
create table tasks (
  id serial primary key,
  tenant int not null,
  title varchar(200) collate "C" not null default '',
  owner bigint references users(id) on delete set null deferrable initially deferred,
  price money_pair,
  title_len int generated always as (length(title)) stored
);
alter table tasks add constraint title_not_blank check (title <> '') not valid;
comment on table tasks is 'work to do';
comment on column tasks.title is 'what to do';
create index tasks_title_idx on tasks (title) where tenant > 0;
create table app.events (id int, during tstzrange, exclude using gist (during with &&));
alter table tasks enable row level security;
create policy tasks_tenant on tasks using (tenant = current_setting('app.tenant')::int) with check (tenant > 0);
create function touch() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger tasks_touch before update on tasks for each row execute function touch();
create procedure noop() language sql as $$ select 1 $$;
create aggregate total(int) (sfunc = int4pl, stype = int, initcond = '0');
create view open_tasks as select id, title from tasks where title <> '';
create materialized view task_counts as select tenant, count(*) from tasks group by tenant;
create index task_counts_tenant on task_counts (tenant);
create sequence app.ticket_seq start 100 increment 5;
grant select on tasks to public;
grant usage on schema app to public;
`;

const HISTORY = `create table schema_migrations (version text primary key); create table migration_history (id int); create table goose_db_version (id int);`;

let a: TestDatabase;
let b: TestDatabase;
const sqlOf = (db: TestDatabase) => db.sql as unknown as Sql;
beforeEach(async () => {
  a = await createDatabase();
  b = await createDatabase();
  for (const db of [a, b]) await db.sql.unsafe(SCHEMA);
});
afterEach(async () => {
  await a.drop();
  await b.drop();
});

const diffWords = (x: SchemaModel, y: SchemaModel) => realDifferences(compare(x, y)).map((d) => describeDifference(d, EXPECTED_ACTUAL));

test('covers every kind of object, in names rather than OIDs, leaving out the tracking tables', async () => {
  await a.sql.unsafe(HISTORY);
  const m = await inspect(sqlOf(a));
  expect(m.schemas.map((s) => s.name)).toEqual(['app', 'public']);
  expect(m.extensions.map((e) => e.name)).toEqual(expect.arrayContaining(['pgcrypto', 'plpgsql']));
  expect(m.types.map((t) => [t.name, t.kind])).toEqual([
    ['email', 'domain'],
    ['money_pair', 'composite'],
    ['mood', 'enum'],
  ]);
  expect(m.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['app.events', 'public.tasks', 'public.users']);
  const tasks = m.tables.find((t) => t.name === 'tasks')!;
  expect(tasks.columns.map((c) => [c.name, c.type, c.notNull])).toEqual([
    ['id', 'integer', true],
    ['tenant', 'integer', true],
    ['title', 'character varying(200)', true],
    ['owner', 'bigint', false],
    ['price', 'money_pair', false],
    ['title_len', 'integer', false],
  ]);
  expect(tasks.columns.find((c) => c.name === 'title')).toMatchObject({ collation: 'pg_catalog."C"', default: "''::character varying", comment: 'what to do' });
  expect(tasks.columns.find((c) => c.name === 'title_len')!.generated).toBe('length((title)::text) STORED');
  expect(tasks.constraints.map((k) => [k.name, k.kind, k.validated, k.deferrable])).toEqual([
    ['tasks_owner_fkey', 'foreign key', true, true],
    ['tasks_pkey', 'primary key', true, false],
    ['title_not_blank', 'check', false, false],
  ]);
  expect(tasks.indexes.map((i) => i.name)).toEqual(['tasks_title_idx']);
  expect(tasks.triggers.map((t) => [t.name, t.enabled])).toEqual([['tasks_touch', 'origin']]);
  expect(tasks.policies).toEqual([expect.objectContaining({ name: 'tasks_tenant', command: 'ALL', permissive: true, roles: ['PUBLIC'] })]);
  expect(tasks.rowSecurity).toEqual({ enabled: true, forced: false });
  expect(tasks.privileges).toEqual(['PUBLIC:SELECT']);
  expect(m.sequences.map((s) => [s.name, s.ownedBy])).toEqual([
    ['ticket_seq', null],
    ['tasks_id_seq', 'public.tasks.id'],
  ]);
  expect(m.views.map((v) => [v.name, v.materialized, v.indexes.map((i) => i.name)])).toEqual([
    ['open_tasks', false, []],
    ['task_counts', true, ['task_counts_tenant']],
  ]);
  expect(m.functions.map((f) => [f.name, f.kind])).toEqual(
    expect.arrayContaining([
      ['touch', 'function'],
      ['noop', 'procedure'],
      ['total', 'aggregate'],
    ]),
  );
  // pgcrypto's functions are the extension's, not the schema's.
  expect(m.functions.some((f) => f.name === 'digest')).toBe(false);
  expect(m.tables.some((t) => ['schema_migrations', 'migration_history', 'goose_db_version'].includes(t.name))).toBe(false);
  expect(m).not.toHaveProperty('tables.0.owner');
});

test('two databases built from the same SQL render to the same bytes, and compare equal', async () => {
  const [x, y] = [await inspect(sqlOf(a)), await inspect(sqlOf(b))];
  expect(render(x)).toBe(render(y));
  expect(compare(x, y)).toEqual([]);
  const text = render(x);
  expect(text).toContain('CREATE TABLE public.tasks (');
  expect(text).toContain('CREATE POLICY tasks_tenant ON public.tasks AS PERMISSIVE FOR ALL TO PUBLIC USING');
  expect(text).toContain("CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');");
  expect(text).toContain('GRANT SELECT ON TABLE public.tasks TO PUBLIC;');
  expect(text).not.toMatch(/schema_migrations|\boid\b/);
});

test('hand-made changes are each named in words', async () => {
  await b.sql.unsafe(`
    drop index tasks_title_idx;
    create index tasks_by_hand on tasks (tenant);
    alter table tasks alter column owner set not null;
    alter table app.events alter column id type bigint;
    alter table tasks disable trigger tasks_touch;
    drop policy tasks_tenant on tasks;
    create policy tasks_tenant on tasks using (tenant > 1) with check (tenant > 0);
    alter table tasks validate constraint title_not_blank;
    alter type mood add value 'great';
    create or replace view open_tasks as select id, title from tasks where title <> 'x';
    revoke select on tasks from public;
    alter table users disable row level security;
    alter table users enable row level security;
    comment on column tasks.title is 'changed';
  `);
  const diffs = diffWords(await inspect(sqlOf(a)), await inspect(sqlOf(b)));
  expect(diffs).toEqual(
    expect.arrayContaining([
      'index tasks_title_idx: missing',
      'index tasks_by_hand: not made by the migrations',
      'column tasks.owner: nullable → NOT NULL',
      'column app.events.id: type integer → bigint',
      'column tasks.title: comment changed',
      'trigger tasks_touch on tasks: enabled → disabled',
      'policy tasks_tenant on tasks: USING changed',
      'constraint title_not_blank on tasks: NOT VALID → validated',
      'type mood: values sad, ok, happy → sad, ok, happy, great',
      'view open_tasks: definition changed',
      'table tasks: privileges -PUBLIC:SELECT',
      'table users: row-level security disabled → enabled',
    ]),
  );
  expect(diffs).toHaveLength(12);
});

test('column order is a note, not a difference', async () => {
  const make = (db: TestDatabase, cols: string) => (db.sql as postgres.Sql).unsafe(`create table pair (${cols})`);
  await make(a, 'x int, y int');
  await make(b, 'y int, x int');
  const diffs = compare(await inspect(sqlOf(a)), await inspect(sqlOf(b)));
  expect(realDifferences(diffs)).toEqual([]);
  expect(diffs.map((d) => describeDifference(d))).toEqual(['table pair: column order x, y → y, x (a note, not a difference)']);
});

test('owners are left out unless asked for', async () => {
  const m = await inspect(sqlOf(a), { includeOwners: true });
  expect(m.tables[0].owner).toEqual(expect.any(String));
  expect(render(m)).toMatch(/ALTER TABLE public\.tasks OWNER TO /);
});
