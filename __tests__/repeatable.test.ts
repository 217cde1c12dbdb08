// Flyway repeatable migrations (R__<name>.sql): run after the versioned ones whenever they are new or
// their file changed, tracked, shown in plan, status and the PR comment, never skipped without a word.
// Real Postgres, the built CLI and action bundles.
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createDatabase, type TestDatabase } from './helpers/db';
import { runAction, startActionFixture, stopActionFixture, type ActionFixture } from './helpers/action';
import { historyRows, migrationRows, migrationsDir, pgshift } from './helpers/pgshift';

const FLYWAY = {
  'V1__tasks.sql': 'CREATE TABLE tasks (id int primary key, title text, done boolean not null default false);\n',
  'U1__tasks.sql': 'DROP TABLE tasks;\n',
  'V2__owner.sql': 'ALTER TABLE tasks ADD COLUMN owner text;\n',
  'U2__owner.sql': 'ALTER TABLE tasks DROP COLUMN owner;\n',
  'R__open_tasks.sql': 'CREATE OR REPLACE VIEW open_tasks AS SELECT id, title FROM tasks WHERE NOT done;\n',
  'R__counts.sql': 'CREATE OR REPLACE FUNCTION task_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM tasks $$;\n',
};

const states = (json: string) => JSON.parse(json).entries.map((e: { version: string; state: string }) => [e.version, e.state]);

describe('the CLI', () => {
  let db: TestDatabase;
  let dir: string;
  beforeEach(async () => {
    db = await createDatabase();
    dir = migrationsDir(FLYWAY);
  });
  afterEach(async () => {
    await db.drop();
    rmSync(dirname(dir), { recursive: true, force: true });
  });

  test('up runs the versioned migrations, then the repeatables by name; a second up has nothing to do', async () => {
    const plan = await pgshift(['plan'], dir, db);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/1\. ↑ 1 tasks[\s\S]*2\. ↑ 2 owner[\s\S]*3\. ↑ R__counts counts[\s\S]*4\. ↑ R__open_tasks open_tasks/);
    expect(plan.stdout).toContain('repeatable: runs for the first time (then again whenever its file changes)');
    expect(plan.stdout + plan.stderr).not.toMatch(/ignored/);

    const up = await pgshift(['up'], dir, db);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('current version 2');
    expect((await migrationRows(db.sql)).map((r) => [r.version, r.status])).toEqual([
      ['1', 'applied'],
      ['2', 'applied'],
      ['R__counts', 'applied'],
      ['R__open_tasks', 'applied'],
    ]);
    expect((await db.sql`select task_count() as n`)[0].n).toBe('0');
    expect(await db.sql`select * from open_tasks`).toEqual([]);

    const again = await pgshift(['up'], dir, db);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Up to date at 2');
    expect(states((await pgshift(['status', '--json'], dir, db)).stdout)).toEqual([
      ['1', 'applied'],
      ['2', 'applied'],
      ['R__counts', 'applied'],
      ['R__open_tasks', 'applied'],
    ]);
  });

  test('a changed repeatable is outdated (not a changed history): plan shows it, status --exit-code says 1, up runs it again', async () => {
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    writeFileSync(join(dir, 'R__open_tasks.sql'), 'CREATE OR REPLACE VIEW open_tasks AS SELECT id, title, owner FROM tasks WHERE NOT done;\n');

    const status = await pgshift(['status', '--json', '--exit-code'], dir, db);
    expect(status.code).toBe(1);
    expect(states(status.stdout)).toContainEqual(['R__open_tasks', 'outdated']);
    const text = await pgshift(['status'], dir, db);
    expect(text.stdout).toMatch(/R__open_tasks\s+open_tasks\s+outdated/);

    const plan = await pgshift(['plan'], dir, db);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/1\. ↑ R__open_tasks open_tasks/);
    expect(plan.stdout).toContain('repeatable: runs again because its file changed since it last ran');
    expect(plan.stdout).not.toMatch(/changed after it ran/);

    const up = await pgshift(['up'], dir, db);
    expect(up.code).toBe(0);
    const columns = await db.sql`select column_name from information_schema.columns where table_name = 'open_tasks' order by ordinal_position`;
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'title', 'owner']);
    const applies = (await historyRows(db.sql)).filter((h) => h.version === 'R__open_tasks').map((h) => [h.action, h.status]);
    expect(applies).toEqual([
      ['apply', 'success'],
      ['apply', 'success'],
    ]);
    expect((await pgshift(['status', '--exit-code'], dir, db)).code).toBe(0);
  });

  test('a repeatable waits while a versioned migration is left pending (--target), and runs once none is', async () => {
    const first = await pgshift(['up', '--target', '1'], dir, db);
    expect(first.code).toBe(0);
    expect((await migrationRows(db.sql)).map((r) => r.version)).toEqual(['1']);
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    expect((await migrationRows(db.sql)).map((r) => r.version)).toEqual(['1', '2', 'R__counts', 'R__open_tasks']);
  });

  test('down rolls back versioned migrations only; a failed repeatable keeps what ran before', async () => {
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    const down = await pgshift(['down'], dir, db);
    expect(down.code).toBe(0);
    expect((await migrationRows(db.sql)).map((r) => r.version)).toEqual(['1', 'R__counts', 'R__open_tasks']);
    expect(down.stdout).toContain('current version 1');

    writeFileSync(join(dir, 'R__counts.sql'), 'CREATE OR REPLACE FUNCTION task_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM no_such_table $$;\n');
    const up = await pgshift(['up'], dir, db);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/R__counts\.sql:1/);
    expect(up.stderr).toContain('no_such_table');
    // Version 2 ran and committed before the repeatable; the repeatable's row keeps its old checksum.
    const rows = await migrationRows(db.sql);
    expect(rows.map((r) => [r.version, r.status])).toEqual([
      ['1', 'applied'],
      ['2', 'applied'],
      ['R__counts', 'applied'],
      ['R__open_tasks', 'applied'],
    ]);
    expect(states((await pgshift(['status', '--json'], dir, db)).stdout)).toContainEqual(['R__counts', 'outdated']);
  });

  test('a repeatable whose file is gone is missing, as a versioned one is', async () => {
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    unlinkSync(join(dir, 'R__counts.sql'));
    const plan = await pgshift(['plan'], dir, db);
    expect(plan.code).toBe(3);
    expect(plan.stdout + plan.stderr).toMatch(/migration R__counts \(counts\) is applied but its file is gone/);
    expect(states((await pgshift(['status', '--json'], dir, db)).stdout)).toContainEqual(['R__counts', 'missing']);
  });
});

describe('the action', () => {
  let f: ActionFixture;
  beforeEach(async () => {
    f = await startActionFixture(FLYWAY);
  });
  afterEach(async () => {
    await stopActionFixture(f);
  });

  test('the PR comment lists the repeatables with the versioned migrations; the deploy applies them', async () => {
    const inputs = { 'database-url': f.db.url, 'github-token': 't0ken' };
    const dry = await runAction({ inputs: { ...inputs, 'dry-run': 'true' }, eventName: 'pull_request', event: { pull_request: { number: 3 }, number: 3 }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(dry.outputs.status).toBe('planned');
    const comment = f.gh.comments.find((c) => c.body.includes('<!-- pgshift:plan'));
    expect(comment).toBeDefined();
    expect(comment!.body).toMatch(/`R__counts`/);
    expect(comment!.body).toMatch(/`R__open_tasks`/);
    expect(dry.outputs['pending-count']).toBe('4');

    const run = await runAction({ inputs, apiUrl: f.gh.url, workspace: f.workspace });
    expect(run.outputs.status).toBe('applied');
    expect(JSON.parse(run.outputs['applied-versions'])).toEqual(['1', '2', 'R__counts', 'R__open_tasks']);
    expect(run.outputs['current-version']).toBe('2');
  });
});
