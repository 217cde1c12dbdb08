// A changed applied history turns every check red (issue 9, item 2): a modified or missing applied
// migration, or one left failed or running, makes `plan` and `status --exit-code` exit 3, refuses `up`
// even with nothing pending, and refuses the action's PR dry run with the comment's headline saying so
// first. Through the built bundles, on a real Postgres.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAction, startActionFixture, stopActionFixture, type ActionFixture } from './helpers/action';
import { createDatabase, type TestDatabase } from './helpers/db';
import { appliedVersions, cli, dirWith, history, sha256 } from './helpers/files';

const table = (n: number) => `CREATE TABLE t${n} (id int);\n`;

describe('the CLI', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  test('an applied migration edited after it ran, with nothing pending: plan, status --exit-code and up exit 3, naming it', async () => {
    const dir = dirWith({ '1_a.sql': table(1), '2_b.sql': table(2) });
    expect((await cli(['up'], dir, db)).code).toBe(0);
    const stored = (await appliedVersions(db.sql))[0].checksum;
    // A comment only: still a change of what was applied.
    writeFileSync(join(dir, '1_a.sql'), table(1) + '-- reviewed\n');
    const now = sha256(readFileSync(join(dir, '1_a.sql'), 'utf8'));
    const changed = `1_a.sql: applied migration 1 was changed after it ran (stored ${stored}, now ${now})`;

    const plan = await cli(['plan'], dir, db);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toContain(changed);
    expect(plan.stdout).toContain('Problems (the run would be refused):');
    expect(plan.stdout).toContain('pgshift repair 1');
    expect(plan.stdout).not.toMatch(/Up to date/);
    const json = JSON.parse((await cli(['plan', '--json'], dir, db)).stdout);
    expect(json.blocked).toBe(true);
    expect(json.problems.map((p: { kind: string; version: string; blocking: boolean }) => [p.kind, p.version, p.blocking])).toEqual([['modified', '1', true]]);

    const status = await cli(['status', '--exit-code'], dir, db);
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/^1\s+a\s+modified/m);
    expect(status.stderr).toMatch(/the applied history changed: 1 modified\./);
    // Without --exit-code, status only reports.
    expect((await cli(['status'], dir, db)).code).toBe(0);

    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(3);
    expect(up.stderr).toContain('the run was refused before anything ran');
    expect(up.stderr).toContain(changed);
    expect(up.stdout).not.toMatch(/Up to date/);
    // Refused before anything was written: the history holds the two applies only.
    expect((await history(db.sql)).map((h) => [h.version, h.action])).toEqual([
      ['1', 'apply'],
      ['2', 'apply'],
    ]);
    expect((await appliedVersions(db.sql))[0].checksum).toBe(stored);
  });

  test('a missing applied file refuses plan, status --exit-code and up; --allow-missing still lets it through', async () => {
    const dir = dirWith({ '1_a.sql': table(1), '2_b.sql': table(2) });
    expect((await cli(['up'], dir, db)).code).toBe(0);
    rmSync(join(dir, '1_a.sql'));

    const plan = await cli(['plan'], dir, db);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toMatch(/migration 1 \(a\) is applied but its file is gone/);
    const status = await cli(['status', '--exit-code'], dir, db);
    expect(status.code).toBe(3);
    expect(status.stderr).toMatch(/the applied history changed: 1 missing\./);
    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(3);
    expect(up.stderr).toMatch(/Restore the file, or pass --allow-missing/);

    // That is what --allow-missing means: going on without the file, with a warning.
    const allowedPlan = await cli(['plan', '--allow-missing'], dir, db);
    expect(allowedPlan.code).toBe(0);
    expect(allowedPlan.stdout).toMatch(/Up to date at 2/);
    const allowed = await cli(['up', '--allow-missing'], dir, db);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/^warning: .*Going on without it \(--allow-missing\)/m);
  });

  test('a migration left failed or running makes status --exit-code exit 3, not 0', async () => {
    const dir = dirWith({
      '1_a.sql': table(1),
      '2_b.sql': '-- migrate:up transaction:false\nCREATE TABLE t2 (id int);\nSELECT 1 / 0;\n',
    });
    expect((await cli(['up'], dir, db)).code).toBe(1);
    const failed = await cli(['status', '--exit-code'], dir, db);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(/the applied history changed: 2 failed\./);
    expect((await cli(['plan'], dir, db)).code).toBe(3);

    await db.sql`update schema_migrations set status = 'running' where version = '2'`;
    const running = await cli(['status', '--exit-code', '--json'], dir, db);
    expect(running.code).toBe(3);
    expect(JSON.parse(running.stdout).entries.map((e: { state: string }) => e.state)).toEqual(['applied', 'running']);
    expect((await cli(['up'], dir, db)).code).toBe(3);
  });
});

describe('the action', () => {
  let f: ActionFixture;
  beforeEach(async () => {
    f = await startActionFixture();
  });
  afterEach(async () => {
    await stopActionFixture(f);
  });

  const prEvent = { pull_request: { number: 7 }, number: 7 };

  test('a PR dry run over an edited applied migration is refused (a red check), the comment headline saying so first', async () => {
    const applied = await runAction({ inputs: { 'database-url': f.db.url }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(applied.outputs.status).toBe('applied');
    writeFileSync(join(f.workspace, 'migrations', '2_orders.up.sql'), 'CREATE TABLE orders (id int);  -- tidied\n');

    const inputs = { 'database-url': f.db.url, 'dry-run': 'true', 'github-token': 't0ken' };
    const run = await runAction({ inputs, eventName: 'pull_request', event: prEvent, apiUrl: f.gh.url, workspace: f.workspace });
    expect(run.outputs.status).toBe('refused');
    expect(run.code).not.toBe(0);
    expect(run.stdout).toMatch(/::error::the plan would be refused:/);
    const comment = f.gh.comments.find((c) => c.body.includes('<!-- pgshift:plan env=development dir=migrations -->'));
    expect(comment).toBeDefined();
    // The headline comes right under the title: the changed history, before anything else.
    expect(comment!.body.split('\n').slice(0, 4)).toEqual([
      '<!-- pgshift:plan env=development dir=migrations -->',
      '## pgshift plan',
      '',
      '❌ **Applied history changed: 1 migration edited after it ran** in `development` (`migrations`) — the run would be refused',
    ]);
    expect(comment!.body).not.toContain('Up to date');
    expect(comment!.body).toMatch(/❌ \S*2_orders\.up\.sql: applied migration 2 was changed after it ran/);
    expect(run.summary).toContain('❌ **Applied history changed: 1 migration edited after it ran**');
  });

  test('a deploy with nothing pending over an edited applied migration is refused, not up-to-date', async () => {
    const inputs = { 'database-url': f.db.url, 'github-token': 't0ken' };
    expect((await runAction({ inputs, apiUrl: f.gh.url, workspace: f.workspace })).outputs.status).toBe('applied');
    writeFileSync(join(f.workspace, 'migrations', '1_users.sql'), '-- migrate:up\nCREATE TABLE users (id int); -- edited\n-- migrate:down\nDROP TABLE users;\n');
    const run = await runAction({ inputs, apiUrl: f.gh.url, workspace: f.workspace });
    expect(run.outputs.status).toBe('refused');
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('applied migration 1 was changed after it ran');
    expect(run.outputs['applied-count']).toBe('0');
  });
});
