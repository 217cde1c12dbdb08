// Lint the down sections too (issue 9, item 4): `plan down` and every rollback shown by an up plan
// (text and the pull request comment) say what rolling back destroys — the rows written since the up,
// a column brought back empty — on the down section's file and line. And the backfill rule: a schema
// change followed by a backfill in one transaction keeps the table locked for the whole backfill;
// the example set no longer teaches that.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../src/types';
import { runAction } from './helpers/action';
import { createDatabase, runCli, tempDir, writeMigrations, type TestDatabase } from './helpers/db';
import { EXAMPLE_DIR } from './helpers/example';
import { FakeGitHub } from './helpers/github-server';

const USERS = '-- migrate:up\nCREATE TABLE users (id int PRIMARY KEY, legacy text, email text);\n-- migrate:down\nDROP TABLE users;\n';
// The rollback of a DROP COLUMN (line 5) brings the column back empty.
const DROP_LEGACY = '-- migrate:up\n-- unused since v2\nALTER TABLE users DROP COLUMN legacy;\n-- migrate:down\nALTER TABLE users ADD COLUMN legacy text;\n';
const ORDERS = { '3_orders.up.sql': 'CREATE TABLE orders (id int, user_id int);\n', '3_orders.down.sql': '-- the rows go with it\nDROP TABLE orders;\n' };

/** The pattern migrations-example/007 used to teach: the schema change and the backfill in one transaction. */
const OLD_007 = [
  '-- migrate:up',
  'ALTER TABLE tasks ADD COLUMN organisation_id uuid;',
  'ALTER TABLE tasks DISABLE TRIGGER tasks_set_updated_at;',
  'UPDATE tasks AS t SET organisation_id = p.organisation_id FROM projects AS p WHERE p.id = t.project_id AND t.organisation_id IS NULL;',
  'ALTER TABLE tasks ENABLE TRIGGER tasks_set_updated_at;',
  'ALTER TABLE tasks ALTER COLUMN organisation_id SET NOT NULL;',
  '',
].join('\n');

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
/** A temporary folder, removed after the tests. */
const temp = (prefix: string) => {
  const t = tempDir(prefix);
  temps.push(t);
  return t;
};

const brief = (f: Finding) => `${f.path.split('/').pop()}:${f.line} ${f.rule}${f.destructive ? ' (destructive)' : ''}`;

describe('with a database', () => {
  let db: TestDatabase;
  let workspace: string;
  beforeEach(async () => {
    db = await createDatabase();
    workspace = temp('pgshift-lint-down-');
  });
  afterEach(async () => {
    await db.drop();
  });
  const cli = (...args: string[]) => runCli([...args, '--dir', 'migrations'], { cwd: workspace, env: { DATABASE_URL: db.url } });

  test("plan down: what the rollback destroys, on the down file's line; the policy's findings stay empty", async () => {
    writeMigrations(join(workspace, 'migrations'), { '1_users.sql': USERS, ...ORDERS });
    expect((await cli('up')).code).toBe(0);
    const text = await cli('plan', 'down');
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('1 migration to roll back');
    const lines = text.stdout.split('\n');
    const at = lines.indexOf('Safety of this rollback (1 finding):');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(
      /^ {2}! migrations\/3_orders\.down\.sql:2 {2}warning {2}rollback-drop-table \(destructive\): DROP TABLE orders: rolling back deletes the table with every row written to it since the migration was applied/,
    );
    const json = JSON.parse((await cli('plan', 'down', '--json')).stdout);
    expect(json.findings).toEqual([]);
    expect(json.rollbackFindings.map(brief)).toEqual(['3_orders.down.sql:2 rollback-drop-table (destructive)']);

    // In a protected environment the rollback findings inform; they do not refuse (--confirm is the gate).
    const prod = await cli('plan', 'down', '--env', 'production');
    expect(prod.code).toBe(0);
    expect(prod.stdout).toContain('rollback-drop-table');
  });

  test('an up plan lints each rollback and shows its findings under that rollback', async () => {
    writeMigrations(join(workspace, 'migrations'), { '1_users.sql': USERS });
    expect((await cli('up')).code).toBe(0);
    writeMigrations(join(workspace, 'migrations'), { '2_drop_legacy.sql': DROP_LEGACY, ...ORDERS });
    const text = await cli('plan');
    expect(text.code).toBe(0);
    const out = text.stdout;
    // Under 2's rollback: the column comes back empty. Under 3's: the table goes with its rows.
    const second = out.slice(out.indexOf('1. ↑ 2 drop_legacy'), out.indexOf('2. ↑ 3 orders'));
    expect(second).toMatch(
      / {3}rollback:\n {5}ALTER TABLE users ADD COLUMN legacy text;\n {3}rollback findings:\n {5}! migrations\/2_drop_legacy\.sql:5 {2}warning {2}rollback-restore-column: ALTER TABLE users ADD COLUMN legacy: rolling back brings the column back empty/,
    );
    const third = out.slice(out.indexOf('2. ↑ 3 orders'), out.indexOf('Safety ('));
    expect(third).toContain('rollback findings:\n     ! migrations/3_orders.down.sql:2  warning  rollback-drop-table (destructive): DROP TABLE orders');
    expect(out).toContain('Rolling back: 2 findings on the down sections, shown under each rollback above (not part of this run).');
    const json = JSON.parse((await cli('plan', '--json')).stdout);
    expect(json.findings.map(brief)).toEqual(['2_drop_legacy.sql:3 drop-column (destructive)']);
    // In the order a rollback of both would run: 3 first.
    expect(json.rollbackFindings.map(brief)).toEqual(['3_orders.down.sql:2 rollback-drop-table (destructive)', '2_drop_legacy.sql:5 rollback-restore-column']);
  });

  test('the pull request comment shows the findings under the rollback SQL', async () => {
    const gh = await new FakeGitHub().start();
    try {
      writeMigrations(join(workspace, 'migrations'), { '1_users.sql': USERS });
      expect((await cli('up')).code).toBe(0);
      writeMigrations(join(workspace, 'migrations'), { '2_drop_legacy.sql': DROP_LEGACY });
      const r = await runAction({
        inputs: { 'database-url': db.url, 'dry-run': 'true', 'github-token': 't0ken' },
        eventName: 'pull_request',
        event: { pull_request: { number: 5 }, number: 5 },
        apiUrl: gh.url,
        workspace,
      });
      expect(r.code).toBe(0);
      const body = gh.comments.find((c) => c.issue_number === 5)?.body ?? '';
      const details = body.slice(body.indexOf('<details>'));
      const rollbackSql = details.indexOf('**Rollback SQL**');
      const rollingBack = details.indexOf('**Rolling back** (1 finding)');
      expect(rollbackSql).toBeGreaterThan(0);
      expect(rollingBack).toBeGreaterThan(details.indexOf('ALTER TABLE users ADD COLUMN legacy text;', rollbackSql));
      expect(details.slice(rollingBack)).toMatch(
        /- ⚠️ \[rollback-restore-column\]\([^)]*docs\/rules\.md#rollback-restore-column\) \[`migrations\/2_drop_legacy\.sql:5`\]\([^)]*\/migrations\/2_drop_legacy\.sql#L5\): ALTER TABLE users ADD COLUMN legacy: rolling back brings the column back empty/,
      );
      expect(body).toContain("### Rolling back\n\n⚠️ 1 finding (not part of this run): listed under each migration's rollback SQL below.");
      // The policy reads the up findings only: the rollback's are not annotated as this run's.
      expect(r.annotations.filter((a) => a.includes('rollback-restore-column'))).toEqual([]);
    } finally {
      await gh.stop();
    }
  });
});

describe('backfill-in-same-transaction', () => {
  const lintJson = async (files: Record<string, string>, ...paths: string[]) => {
    const dir = writeMigrations(temp('pgshift-backfill-'), files);
    const r = await runCli(['lint', '--json', ...(paths.length ? paths.map((p) => join(dir, p)) : [dir])]);
    return (JSON.parse(r.stdout) as Finding[]).filter((f) => f.rule === 'backfill-in-same-transaction');
  };

  test('an UPDATE after ALTER TABLE in one transaction names the table, the lock and what it blocks', async () => {
    const [f, ...rest] = await lintJson({
      '5_org.sql': '-- migrate:up\nALTER TABLE tasks ADD COLUMN org_id uuid;\nUPDATE tasks SET org_id = p.org_id FROM projects p WHERE p.id = tasks.project_id;\n',
    });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'warning', line: 3, version: '5', destructive: false });
    expect(f.message).toMatch(
      /^UPDATE tasks after ALTER TABLE tasks \(line 2\) in the same transaction: locks are held until commit, so for the whole backfill tasks stays locked ACCESS EXCLUSIVE \(no reads or writes\)\. Commit the schema change first/,
    );
  });

  test('weaker locks are named as such, INSERT ... SELECT counts, VALUES and weak locks do not', async () => {
    const found = await lintJson({
      '1_trigger_off.sql': '-- migrate:up\nALTER TABLE tasks DISABLE TRIGGER audit;\nUPDATE tasks SET done = true WHERE done IS NULL;\n',
      '2_copy.sql': '-- migrate:up\nCREATE INDEX tasks_done_idx ON tasks (done);\nINSERT INTO archive SELECT * FROM tasks WHERE done;\n',
      '3_values.sql': "-- migrate:up\nALTER TABLE tasks ADD COLUMN note text;\nINSERT INTO tasks (title) VALUES ('seed');\n",
      '4_stats.sql': '-- migrate:up\nALTER TABLE tasks ALTER COLUMN title SET STATISTICS 500;\nUPDATE tasks SET title = trim(title) WHERE title <> trim(title);\n',
    });
    expect(found.map((f) => [f.version, f.line])).toEqual([
      ['1', 3],
      ['2', 3],
    ]);
    expect(found[0].message).toContain('tasks stays locked SHARE ROW EXCLUSIVE (no writes)');
    expect(found[1].message).toMatch(/^INSERT INTO archive \.\.\. SELECT after CREATE INDEX tasks_done_idx \(line 2\).* tasks stays locked SHARE \(no writes\)/);
  });

  test('split into two migrations, or in a transaction:false migration, the backfill runs with row locks only', async () => {
    const found = await lintJson({
      '1_add.sql': '-- migrate:up\nALTER TABLE tasks ADD COLUMN org_id uuid;\n',
      '2_fill.sql': '-- migrate:up\nUPDATE tasks SET org_id = 1 WHERE org_id IS NULL;\n',
      '3_notx.sql': '-- migrate:up transaction:false\nALTER TABLE tasks ADD COLUMN b int;\nUPDATE tasks SET b = 1 WHERE b IS NULL;\n',
      // The same statements in one transaction, for contrast: only this one is reported.
      '4_together.sql': '-- migrate:up\nALTER TABLE tasks ADD COLUMN c int;\nUPDATE tasks SET c = 1 WHERE c IS NULL;\n',
    });
    expect(found.map((f) => [f.version, f.line])).toEqual([['4', 3]]);
  });

  test('the example set no longer teaches it: its old 007 is flagged, the new 007 and 008 are not', async () => {
    // Linted as the batch a deploy after 006 would run: tasks is an old table there.
    const now = await lintJson(
      {
        '007_add_tasks_organisation_id.sql': readFileSync(join(EXAMPLE_DIR, '007_add_tasks_organisation_id.sql'), 'utf8'),
        '008_backfill_tasks_organisation_id.sql': readFileSync(join(EXAMPLE_DIR, '008_backfill_tasks_organisation_id.sql'), 'utf8'),
      },
      '007_add_tasks_organisation_id.sql',
      '008_backfill_tasks_organisation_id.sql',
    );
    expect(now).toEqual([]);
    // The example's 007 as it was before (expand, backfill, constrain in one migration), in short.
    const old = await lintJson({ '007_add_tasks_organisation_id.sql': OLD_007 });
    expect(old.map((f) => f.message.split(':')[0])).toEqual(['UPDATE tasks after ALTER TABLE tasks (line 2) in the same transaction']);
    expect(old[0].message).toContain('tasks stays locked ACCESS EXCLUSIVE (no reads or writes)');
  });
});
