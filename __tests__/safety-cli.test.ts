// The linter in the CLI, end to end on real Postgres: plan's Safety section (text and JSON), and
// `pgshift lint` linting only what the next deploy would run when it has a database.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../src/types';
import { createDatabase, runCli, tempDir, writeMigrations, type CliRun, type TestDatabase } from './helpers/db';

let db: TestDatabase;
let workspace: string;
let migrations: string;
beforeEach(async () => {
  db = await createDatabase();
  workspace = tempDir('pgshift-safety-cli-');
  migrations = join(workspace, 'migrations');
});
afterEach(async () => {
  await db.drop();
});

/** The CLI run in the workspace, on its migrations directory, with or without the test database. */
function cli(args: string[], withDb = true): Promise<CliRun> {
  return runCli([...args, '--dir', 'migrations'], { cwd: workspace, env: withDb ? { DATABASE_URL: db.url } : {} });
}

const USERS = '-- migrate:up\nCREATE TABLE users (id int primary key, legacy text, email text);\n-- migrate:down\nDROP TABLE users;\n';
// The DROP COLUMN is on line 3, under a comment.
const DROP_LEGACY = '-- migrate:up\n-- legacy has been unused since v2\nALTER TABLE users DROP COLUMN legacy;\n-- migrate:down\nALTER TABLE users ADD COLUMN legacy text;\n';

async function applyUsers(): Promise<void> {
  writeMigrations(migrations, { '1_users.sql': USERS });
  const up = await cli(['up']);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
}

const columns = async (table: string) =>
  (await db.sql`select column_name from information_schema.columns where table_schema = 'public' and table_name = ${table} order by ordinal_position`).map((r) => r.column_name as string);

/** The lines of the plan's Safety section: its heading and the finding lines under it. */
function safety(stdout: string): string[] {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('Safety'));
  if (at < 0) return [];
  const out = [lines[at]];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('  ')) break;
    out.push(l);
  }
  return out;
}

describe('plan', () => {
  test("a DROP COLUMN on a table an applied migration created: the Safety section and --json's findings", async () => {
    await applyUsers();
    writeMigrations(migrations, { '2_drop_legacy.sql': DROP_LEGACY });

    const text = await cli(['plan']);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0); // findings do not block a plan
    expect(text.stdout).toContain('1 migration to apply (current version 1)');
    expect(safety(text.stdout)).toEqual([
      'Safety (1 finding):',
      expect.stringMatching(
        /^ {2}✗ migrations\/2_drop_legacy\.sql:3 {2}error {2}drop-column \(destructive\): ALTER TABLE users DROP COLUMN legacy: .* \(https:\/\/github\.com\/pgshift\/pgshift\/blob\/main\/docs\/rules\.md#drop-column\)$/,
      ),
    ]);
    // Only the pending migration is linted: the applied CREATE TABLE is neither in the plan nor flagged.
    expect(text.stdout).not.toContain('1_users.sql');

    const json = await cli(['plan', '--json']);
    expect(json.code).toBe(0);
    const p = JSON.parse(json.stdout);
    expect(p.findings).toEqual([
      {
        rule: 'drop-column',
        severity: 'error',
        message: expect.stringContaining('ALTER TABLE users DROP COLUMN legacy'),
        path: join(migrations, '2_drop_legacy.sql'),
        line: 3,
        column: 1,
        version: '2',
        destructive: true,
        docs: 'https://github.com/pgshift/pgshift/blob/main/docs/rules.md#drop-column',
      },
    ]);
    // Nothing was run: the column is still there.
    expect(await columns('users')).toEqual(['id', 'legacy', 'email']);
  });

  test('a pending batch that creates a table and then indexes it: "Safety: no findings."', async () => {
    await applyUsers();
    writeMigrations(migrations, {
      '2_tags.sql': '-- migrate:up\nCREATE TABLE tags (id int, name text);\n-- migrate:down\nDROP TABLE tags;\n',
      '3_tags_name.sql': '-- migrate:up\nCREATE INDEX tags_name_idx ON tags (name);\n-- migrate:down\nDROP INDEX tags_name_idx;\n',
    });
    const text = await cli(['plan']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('2 migrations to apply');
    expect(safety(text.stdout)).toEqual(['Safety: no findings.']);
    expect(JSON.parse((await cli(['plan', '--json'])).stdout).findings).toEqual([]);

    // The index is only safe as part of the batch that creates the table: on its own the same file is flagged.
    const file = await runCli(['lint', join(migrations, '3_tags_name.sql'), '--json'], { cwd: workspace });
    expect(JSON.parse(file.stdout).map((f: Finding) => f.rule)).toEqual(['index-without-concurrently']);
  });

  test("a down plan's findings are on the down sections it runs (rollbackFindings); the policy's findings stay empty", async () => {
    await applyUsers();
    writeMigrations(migrations, { '2_drop_legacy.sql': DROP_LEGACY });
    const down = await cli(['plan', 'down']);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('1 migration to roll back');
    expect(safety(down.stdout)).toEqual([
      'Safety of this rollback (1 finding):',
      expect.stringMatching(/^ {2}! migrations\/1_users\.sql:4 {2}warning {2}rollback-drop-table \(destructive\): DROP TABLE users: /),
    ]);
    const json = JSON.parse((await cli(['plan', 'down', '--json'])).stdout);
    expect(json.findings).toEqual([]);
    expect(json.rollbackFindings.map((f: Finding) => f.rule)).toEqual(['rollback-drop-table']);
  });

  test('-- pgshift:ignore drop-column above the statement silences it in plan', async () => {
    await applyUsers();
    writeMigrations(migrations, {
      '2_drop_legacy.sql':
        '-- migrate:up\n-- pgshift:ignore drop-column -- unused since v2, approved in #12\nALTER TABLE users DROP COLUMN legacy;\n-- migrate:down\nALTER TABLE users ADD COLUMN legacy text;\n',
    });
    const text = await cli(['plan']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('ALTER TABLE users DROP COLUMN legacy;');
    expect(safety(text.stdout)).toEqual(['Safety: no findings.']);
    expect(JSON.parse((await cli(['plan', '--json'])).stdout).findings).toEqual([]);
    const lint = await cli(['lint']);
    expect(lint.stdout.trim()).toBe('no findings');
    expect(lint.code).toBe(0);

    // The ignore names one rule: a second rule on the same statement still reports.
    writeMigrations(migrations, {
      '2_drop_legacy.sql': '-- migrate:up\n-- pgshift:ignore drop-column\nALTER TABLE users DROP COLUMN legacy, ALTER COLUMN email SET NOT NULL;\n-- migrate:down\nSELECT 1;\n',
    });
    const other = JSON.parse((await cli(['plan', '--json'])).stdout);
    expect(other.findings.map((f: Finding) => `${f.rule}:${f.line}`)).toEqual(['set-not-null:3']);
  });

  test('plan reads ./pgshift.json, and --config <file>', async () => {
    await applyUsers();
    writeMigrations(migrations, { '2_drop_legacy.sql': DROP_LEGACY });
    writeFileSync(join(workspace, 'pgshift.json'), JSON.stringify({ lint: { rules: { 'drop-column': 'warning' } } }));
    const warned = JSON.parse((await cli(['plan', '--json'])).stdout);
    expect(warned.findings.map((f: Finding) => `${f.rule}:${f.severity}`)).toEqual(['drop-column:warning']);
    writeFileSync(join(workspace, 'off.json'), JSON.stringify({ lint: { rules: { 'drop-column': 'off' } } }));
    const off = await cli(['plan', '--config', 'off.json']);
    expect(safety(off.stdout)).toEqual(['Safety: no findings.']);
    const bad = await cli(['plan', '--config', 'missing.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('missing.json does not exist');
  });
});

describe('lint', () => {
  // A table the migrations never created (it predates them): indexing it without CONCURRENTLY is flagged.
  const INDEX_ACCOUNTS = '-- migrate:up\nCREATE INDEX accounts_email_idx ON accounts (email);\n-- migrate:down\nDROP INDEX accounts_email_idx;\n';
  const DROP_EMAIL = '-- migrate:up\n\nALTER TABLE accounts DROP COLUMN email;\n-- migrate:down\nALTER TABLE accounts ADD COLUMN email text;\n';
  beforeEach(async () => {
    await db.sql`create table accounts (id int primary key, email text)`;
  });

  const rulesAt = (out: string) => (JSON.parse(out) as Finding[]).map((f) => `${f.path.replace(/^(.*\/)?migrations\//, '')}:${f.line} ${f.severity} ${f.rule}`);

  test('with a database: only the pending migrations; exit 1 on an error, 0 on warnings only', async () => {
    writeMigrations(migrations, { '1_index_accounts.sql': INDEX_ACCOUNTS });
    // Pending, a warning only: reported, exit 0.
    const warn = await cli(['lint']);
    expect(warn.stderr).toBe('');
    expect(warn.stdout.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^migrations\/1_index_accounts\.sql:2:1 {2}warning {2}index-without-concurrently {2}CREATE INDEX .*accounts/),
      '0 errors, 1 warning',
    ]);
    expect(warn.code).toBe(0);

    expect((await cli(['up'])).code).toBe(0);
    writeMigrations(migrations, { '2_drop_email.sql': DROP_EMAIL });
    // 1 is applied now: only 2 is reported, an error, exit 1.
    const err = await cli(['lint']);
    expect(err.stdout.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^migrations\/2_drop_email\.sql:3:1 {2}error {2}drop-column {2}ALTER TABLE accounts DROP COLUMN email/),
      '1 error, 0 warnings',
    ]);
    expect(err.code).toBe(1);
    const json = await cli(['lint', '--json']);
    expect(json.code).toBe(1);
    expect(rulesAt(json.stdout)).toEqual(['2_drop_email.sql:3 error drop-column']);
    expect((JSON.parse(json.stdout) as Finding[])[0]).toMatchObject({ destructive: true, version: '2', column: 1, docs: 'https://github.com/pgshift/pgshift/blob/main/docs/rules.md#drop-column' });

    // Without a database, every migration in --dir, as one batch.
    const all = await cli(['lint', '--json'], false);
    expect(all.code).toBe(1);
    expect(rulesAt(all.stdout)).toEqual(['1_index_accounts.sql:2 warning index-without-concurrently', '2_drop_email.sql:3 error drop-column']);

    // DATABASE_URL and --database-url are the same thing.
    const flag = await runCli(['lint', '--json', '--dir', 'migrations', '--database-url', db.url], { cwd: workspace });
    expect(rulesAt(flag.stdout)).toEqual(['2_drop_email.sql:3 error drop-column']);

    // A path given lints that path even with a database.
    const given = await runCli(['lint', '--json', 'migrations/1_index_accounts.sql'], { cwd: workspace, env: { DATABASE_URL: db.url } });
    expect(given.code).toBe(0);
    expect(rulesAt(given.stdout)).toEqual(['1_index_accounts.sql:2 warning index-without-concurrently']);

    // Nothing pending: nothing to report.
    expect((await cli(['up'])).code).toBe(0);
    const none = await cli(['lint']);
    expect(none.stdout.trim()).toBe('no findings');
    expect(none.code).toBe(0);
    expect(JSON.parse((await cli(['lint', '--json'])).stdout)).toEqual([]);
  });

  test('--config turning drop-column off: not reported, exit 0 (and ./pgshift.json is read by default)', async () => {
    writeMigrations(migrations, { '1_index_accounts.sql': INDEX_ACCOUNTS });
    expect((await cli(['up'])).code).toBe(0);
    writeMigrations(migrations, { '2_drop_email.sql': DROP_EMAIL });
    writeFileSync(join(workspace, 'lint-off.json'), JSON.stringify({ lint: { rules: { 'drop-column': 'off' } } }));

    const withDb = await cli(['lint', '--config', 'lint-off.json']);
    expect(withDb.stdout.trim()).toBe('no findings');
    expect(withDb.code).toBe(0);
    const noDb = await cli(['lint', '--json', '--config', 'lint-off.json'], false);
    expect(noDb.code).toBe(0);
    expect(rulesAt(noDb.stdout)).toEqual(['1_index_accounts.sql:2 warning index-without-concurrently']);

    // Without --config, ./pgshift.json in the working directory.
    expect((await cli(['lint'])).code).toBe(1);
    writeFileSync(join(workspace, 'pgshift.json'), JSON.stringify({ lint: { rules: { 'drop-column': 'off' } } }));
    const byDefault = await cli(['lint', '--json']);
    expect(byDefault.code).toBe(0);
    expect(JSON.parse(byDefault.stdout)).toEqual([]);

    // A bad config is a usage error, before any database work.
    writeFileSync(join(workspace, 'pgshift.json'), JSON.stringify({ lint: { rules: { 'drop-colum': 'off' } } }));
    const bad = await cli(['lint']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown lint rule "drop-colum"');
    expect(bad.stderr).toContain('Did you mean "drop-column"?');
  });

  test('with a database, a pending file that does not parse is an error finding, as without one', async () => {
    writeMigrations(migrations, { '1_index_accounts.sql': INDEX_ACCOUNTS });
    expect((await cli(['up'])).code).toBe(0);
    writeMigrations(migrations, { '2_broken.sql': '-- migrate:up\nCREATE TABLE broken (id int,);\n-- migrate:down\nDROP TABLE broken;\n' });

    const noDb = await cli(['lint', '--json'], false);
    expect(noDb.code).toBe(1);
    expect(rulesAt(noDb.stdout)).toEqual(['1_index_accounts.sql:2 warning index-without-concurrently', '2_broken.sql:2 error syntax-error']);

    const withDb = await cli(['lint']);
    expect(withDb.stdout).toMatch(/^migrations\/2_broken\.sql:2:\d+ {2}error {2}syntax-error {2}syntax error at or near "\)"/m);
    expect(withDb.stdout).not.toContain('1_index_accounts');
    expect(withDb.stdout.trim().split('\n').at(-1)).toBe('1 error, 0 warnings');
    expect(withDb.code).toBe(1);
    expect(rulesAt((await cli(['lint', '--json'])).stdout)).toEqual(['2_broken.sql:2 error syntax-error']);

    // A pending file pgshift cannot read at all (no "-- migrate:up") is reported too.
    writeMigrations(migrations, { '2_broken.sql': 'CREATE TABLE broken (id int);\n-- migrate:down\nDROP TABLE broken;\n' });
    const unreadable = await cli(['lint', '--json']);
    expect(unreadable.code).toBe(1);
    expect((JSON.parse(unreadable.stdout) as Finding[]).map((f) => [f.rule, f.severity, f.path.endsWith('2_broken.sql')])).toEqual([['invalid-file', 'error', true]]);
  });
});
