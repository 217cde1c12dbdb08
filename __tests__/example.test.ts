// The example migration set (migrations-example/) on a real Postgres through the built CLI: it applies,
// the objects it promises exist and behave, every migration rolls back, and it applies again. Plus the
// demo script (scripts/demo.mjs) end to end.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createDatabase, ROOT, runCli, type TestDatabase } from './helpers/db';
import { EXAMPLE_DIR, EXAMPLE_MIGRATIONS } from './helpers/example';

const ACME = '00000000-0000-4000-8000-00000000000a';
const GLOBEX = '00000000-0000-4000-8000-00000000000b';
const ADA = '00000000-0000-4000-8000-0000000000a1';
const HANK = '00000000-0000-4000-8000-0000000000b1';
const WEBSITE = '00000000-0000-4000-8000-000000000a01';
const ROCKET = '00000000-0000-4000-8000-000000000b01';
const LONG_AGO = new Date('2000-01-01T00:00:00Z');

interface JsonStep {
  direction: string;
  transactional: boolean;
  statements: unknown[];
  migration: { version: string; name: string; form: string; down?: { transaction: boolean } };
  rollback?: unknown;
}

test('the example set mixes the file forms, in numeric order, each with a down section', async () => {
  const run = await runCli(['plan', '--json', '--dir', EXAMPLE_DIR]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const plan = JSON.parse(run.stdout) as { steps: JsonStep[]; problems: unknown[]; blocked: boolean; databaseChecked: boolean };
  expect(plan.databaseChecked).toBe(false);
  expect(plan.blocked).toBe(false);
  expect(plan.problems).toEqual([]);
  expect(plan.steps.map((s) => ({ version: s.migration.version, name: s.migration.name, form: s.migration.form }))).toEqual(EXAMPLE_MIGRATIONS);
  for (const step of plan.steps) {
    expect(step.rollback).toBeDefined();
    expect(step.statements.length).toBeGreaterThan(0);
    // Only the CREATE INDEX CONCURRENTLY migration runs outside a transaction, in both directions.
    const concurrent = step.migration.version === '010';
    expect(step.transactional).toBe(!concurrent);
    expect(step.migration.down?.transaction).toBe(!concurrent);
  }
});

describe('on a real Postgres', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  const pgshift = (...args: string[]) => runCli([...args, '--dir', EXAMPLE_DIR], { env: { DATABASE_URL: db.url } });

  /** Data written before migration 007, so the backfill (008) has rows to fill. */
  async function seed(): Promise<void> {
    const sql = db.sql;
    await sql`insert into organisations (id, slug, name) values (${ACME}, 'acme', 'Acme'), (${GLOBEX}, 'globex', 'Globex')`;
    await sql`insert into users (id, email, display_name) values (${ADA}, 'ada@acme.test', 'Ada'), (${HANK}, 'Hank@Globex.test', 'Hank')`;
    await sql`insert into memberships (organisation_id, user_id, role) values (${ACME}, ${ADA}, 'owner'), (${GLOBEX}, ${HANK}, 'admin')`;
    await sql`insert into projects (id, organisation_id, name, created_by) values (${WEBSITE}, ${ACME}, 'Website', ${ADA}), (${ROCKET}, ${GLOBEX}, 'Rocket', ${HANK})`;
    await sql`insert into tasks (project_id, assignee_id, title, updated_at) values
      (${WEBSITE}, ${ADA}, 'Write copy', ${LONG_AGO}),
      (${WEBSITE}, null, 'Ship it', ${LONG_AGO}),
      (${ROCKET}, ${HANK}, 'Launch', ${LONG_AGO})`;
    await sql`insert into comments (task_id, author_id, body) select id, assignee_id, 'On it' from tasks where assignee_id is not null`;
  }

  test('applies the whole set, and every object it promises is there and works', async () => {
    let run = await pgshift('up', '--target', '006');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    await seed();

    run = await pgshift('up');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Applied 5 migrations');
    expect(run.stdout).toContain('current version 011');
    const sql = db.sql;
    const rows = await sql`select version, name, status from schema_migrations order by version`;
    expect(rows).toEqual(EXAMPLE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name, status: 'applied' })));

    // Enum types.
    const [enums] = await sql`select enum_range(null::member_role)::text as roles, enum_range(null::task_status)::text as statuses`;
    expect(enums).toEqual({ roles: '{owner,admin,member,viewer}', statuses: '{todo,in_progress,done}' });

    // The backfill (008) filled every existing task from its project, and new tasks are filled by trigger.
    // A backfill is not an edit: updated_at kept its value.
    const tasks = await sql`select t.title, t.organisation_id, p.organisation_id as project_org, t.updated_at from tasks t join projects p on p.id = t.project_id order by t.id`;
    expect(tasks).toHaveLength(3);
    for (const t of tasks) {
      expect(t.organisation_id).toBe(t.project_org);
      expect(t.updated_at).toEqual(LONG_AGO);
    }
    const [column] = await sql`select is_nullable from information_schema.columns where table_name = 'tasks' and column_name = 'organisation_id'`;
    expect(column.is_nullable).toBe('NO');
    const [added] = await sql`insert into tasks (project_id, title) values (${ROCKET}, 'Fuel up') returning organisation_id`;
    expect(added.organisation_id).toBe(GLOBEX);

    // The PL/pgSQL trigger (004) sets updated_at on a real change and leaves it on a no-op update.
    const [noop] = await sql`update tasks set title = title where title = 'Ship it' returning updated_at`;
    expect(noop.updated_at).toEqual(LONG_AGO);
    const [changed] = await sql`update tasks set status = 'in_progress' where title = 'Write copy' returning updated_at`;
    expect(changed.updated_at.getTime()).toBeGreaterThan(LONG_AGO.getTime());
    expect(Math.abs(changed.updated_at.getTime() - Date.now())).toBeLessThan(60_000);
    const triggers = await sql`select tgname from pg_trigger where not tgisinternal order by tgname`;
    expect(triggers.map((t) => t.tgname)).toEqual(['organisations_set_updated_at', 'projects_set_updated_at', 'tasks_set_organisation_id', 'tasks_set_updated_at', 'users_set_updated_at']);

    // Row-level security (009, 011): enabled, with one policy per table.
    const rls = await sql`select relname, relrowsecurity from pg_class where relname in ('memberships', 'projects', 'tasks', 'comments', 'labels', 'task_labels') order by relname`;
    expect(rls.every((r) => r.relrowsecurity)).toBe(true);
    expect(rls).toHaveLength(6);
    const policies = await sql`select tablename, policyname from pg_policies where schemaname = 'public' order by tablename`;
    expect(policies.map((p) => `${p.tablename}.${p.policyname}`)).toEqual([
      'comments.comments_tenant_isolation',
      'labels.labels_tenant_isolation',
      'memberships.memberships_tenant_isolation',
      'projects.projects_tenant_isolation',
      'task_labels.task_labels_tenant_isolation',
      'tasks.tasks_tenant_isolation',
    ]);

    // …and they isolate tenants for a role that does not own the tables (created, then rolled back).
    const seen = await sql
      .begin(async (tx) => {
        const role = `pgshift_rls_${db.name}`;
        await tx.unsafe(`create role "${role}" nologin`);
        await tx.unsafe(`grant select on projects, tasks, comments to "${role}"`);
        await tx.unsafe(`set local role "${role}"`);
        const none = await tx`select count(*)::int as n from projects`;
        await tx`select set_config('app.organisation_id', ${ACME}, true)`;
        const projects = await tx`select name from projects order by name`;
        const titles = await tx`select title from tasks order by title`;
        const comments = await tx`select count(*)::int as n from comments`;
        throw Object.assign(new Error('rollback'), { seen: { none: none[0].n, projects: projects.map((r) => r.name), titles: titles.map((r) => r.title), comments: comments[0].n } });
      })
      .catch((err) => (err as { seen?: unknown }).seen ?? Promise.reject(err));
    expect(seen).toEqual({ none: 0, projects: ['Website'], titles: ['Ship it', 'Write copy'], comments: 1 });

    // CREATE INDEX CONCURRENTLY (009, transaction:false) left valid indexes.
    const indexes =
      await sql`select indexrelid::regclass::text as name, indisvalid from pg_index where indexrelid::regclass::text in ('tasks_assignee_open_idx', 'comments_task_id_created_at_idx') order by 1`;
    expect(indexes).toEqual([
      { name: 'comments_task_id_created_at_idx', indisvalid: true },
      { name: 'tasks_assignee_open_idx', indisvalid: true },
    ]);

    const status = await pgshift('status', '--exit-code');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('11 applied');
  });

  test('down --target 0 removes everything, and up applies it all again', async () => {
    let run = await pgshift('up');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Applied 11 migrations');

    run = await pgshift('down', '--target', '0');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Rolled back 11 migrations');
    expect(run.stdout).toContain('current version none');

    const sql = db.sql;
    const relations = await sql`select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') order by c.relname`;
    expect(relations.map((r) => r.relname)).toEqual(['migration_history', 'migration_history_id_seq', 'schema_migrations']);
    const types = await sql`select t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'public' and t.typtype in ('e', 'd')`;
    expect(types).toEqual([]);
    const functions = await sql`select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public'`;
    expect(functions).toEqual([]);
    expect(await sql`select * from schema_migrations`).toEqual([]);
    const history = await sql`select action, status, count(*)::int as n from migration_history group by 1, 2 order by 1`;
    expect(history).toEqual([
      { action: 'apply', status: 'success', n: 11 },
      { action: 'rollback', status: 'success', n: 11 },
    ]);

    run = await pgshift('up');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Applied 11 migrations');
    expect(await sql`select count(*)::int as n from schema_migrations where status = 'applied'`).toEqual([{ n: 11 }]);
  });
});

test('the demo runs status, plan, verify, up, status, drift, down --steps 2 and up through the built CLI', async () => {
  // The demo starts its own embedded Postgres (or, with DATABASE_URL set, uses a fresh database on that
  // server), and takes the bundles from PGSHIFT_DIST like the tests do.
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [join(ROOT, 'scripts/demo.mjs')], { cwd: ROOT, env });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGINT'), 100_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`demo exited with ${code}:\n${output}`);

  const headers = output.split('\n').filter((l) => l.startsWith('$ pgshift '));
  expect(headers).toEqual([
    '$ pgshift status --dir migrations-example',
    '$ pgshift plan --dir migrations-example',
    '$ pgshift verify --allow-no-down --dir migrations-example',
    '$ pgshift up --dir migrations-example',
    '$ pgshift status --dir migrations-example',
    '$ pgshift drift --dir migrations-example',
    '$ pgshift down --steps 2 --dir migrations-example',
    '$ pgshift up --dir migrations-example',
  ]);
  expect(output).toContain('11 pending');
  expect(output).toContain('11 migrations to apply');
  expect(output).toContain('Applied 11 migrations');
  expect(output).toContain('11 applied');
  expect(output).toContain('11 of 11 migrations verified.');
  expect(output).toContain('No drift: the database matches what its applied migrations (up to');
  expect(output).toContain('Rolled back 2 migrations');
  expect(output).toContain('Applied 2 migrations');
  expect(output).toContain('Demo finished');
  // The password never shows: neither the embedded server's nor one from DATABASE_URL.
  expect(output).not.toContain('pgshift-test-password');
  const password = process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL).password : '';
  if (password) expect(output).not.toContain(password);
  expect(output).toMatch(/Database: postgres:\/\/[^:\s]+:\*\*\*@/);
}, 120_000);
