// The linter in the action, end to end on real Postgres and the fake GitHub API: the Safety section of
// the PR comment and the summaries, annotations on each finding's line, and the safety policy
// (protected environments, allow-destructive, fail-on-lint, policy: additive-only) refusing runs
// before anything runs.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAction, type ActionRunResult } from './helpers/action';
import { createDatabase, runCli, tempDir, writeMigrations, type TestDatabase } from './helpers/db';
import { FakeGitHub } from './helpers/github-server';

let db: TestDatabase;
let gh: FakeGitHub;
let workspace: string;
let migrations: string;

// users and audit_log exist before the migrations under test: they are not new to the linter.
const BASE = '-- migrate:up\nCREATE TABLE users (id int primary key, legacy text, email text);\nCREATE TABLE audit_log (id int);\n-- migrate:down\nDROP TABLE audit_log;\nDROP TABLE users;\n';
const DROP_LEGACY = '-- migrate:up\n-- legacy has been unused since v2\nALTER TABLE users DROP COLUMN legacy;\n-- migrate:down\nALTER TABLE users ADD COLUMN legacy text;\n';
const DROP_AUDIT = '-- migrate:up\n-- audit_log is unused since v3\nDROP TABLE audit_log;\n-- migrate:down\nCREATE TABLE audit_log (id int);\n';
const EMAIL_INDEX = '-- migrate:up\nCREATE INDEX users_email_idx ON users (email);\n-- migrate:down\nDROP INDEX users_email_idx;\n';
// Error-level, not destructive: fine on an empty table, so only the policy can stop it.
const TENANT = '-- migrate:up\nALTER TABLE users ADD COLUMN tenant_id int NOT NULL;\n-- migrate:down\nALTER TABLE users DROP COLUMN tenant_id;\n';
const TAGS = '-- migrate:up\nCREATE TABLE tags (id int, name text);\n-- migrate:down\nDROP TABLE tags;\n';
const TAGS_INDEX = '-- migrate:up\nCREATE INDEX tags_name_idx ON tags (name);\n-- migrate:down\nDROP INDEX tags_name_idx;\n';

const prEvent = { pull_request: { number: 7 }, number: 7 };
const ACTION_ENV = { GITHUB_ACTION_REPOSITORY: 'pgshift/pgshift', GITHUB_ACTION_REF: 'v1' };
const RULES = 'https://github.test/pgshift/pgshift/blob/v1/docs/rules.md';

beforeEach(async () => {
  db = await createDatabase();
  gh = await new FakeGitHub().start();
  workspace = tempDir('pgshift-safety-action-');
  migrations = join(workspace, 'migrations');
});
afterEach(async () => {
  await gh.stop();
  await db.drop();
});

/** Applies the base migration with the CLI, so the fake GitHub sees nothing of it. */
async function base(): Promise<void> {
  writeMigrations(migrations, { '1_base.sql': BASE });
  const up = await runCli(['up', '--dir', migrations], { env: { DATABASE_URL: db.url } });
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
}

const errors = (r: ActionRunResult) => r.annotations.filter((a) => a.startsWith('::error'));
const warnings = (r: ActionRunResult) => r.annotations.filter((a) => a.startsWith('::warning'));
/** The annotations at a file and line, by the properties the runner reads. */
const at = (list: string[], file: string, line: number) => list.filter((a) => new RegExp(`[ ,]file=migrations/${file.replace(/\./g, '\\.')},line=${line}[,:]`).test(a));
const tables = async () => (await db.sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`).map((r) => r.table_name as string);
const columns = async (table: string) =>
  (await db.sql`select column_name from information_schema.columns where table_schema = 'public' and table_name = ${table} order by ordinal_position`).map((r) => r.column_name as string);
const versions = async () => (await db.sql`select version from schema_migrations order by version`).map((r) => r.version as string);
const indexes = async () => (await db.sql`select indexname from pg_indexes where schemaname = 'public' and indexname not like '%pkey' order by 1`).map((r) => r.indexname as string);
const ourComments = (env: string) => gh.comments.filter((c) => c.body.includes(`<!-- pgshift:plan env=${env} dir=migrations -->`));
/** The "### Safety" section of a markdown text, up to the next heading. */
function safetySection(markdown: string): string {
  const start = markdown.indexOf('### Safety');
  if (start < 0) return '';
  const next = markdown.indexOf('\n#', start + 1);
  return markdown.slice(start, next < 0 ? undefined : next);
}

function prDryRun(inputs: Record<string, string> = {}): Promise<ActionRunResult> {
  return runAction({
    inputs: { 'database-url': db.url, 'dry-run': 'true', environment: 'staging', 'github-token': 't0ken', ...inputs },
    eventName: 'pull_request',
    event: prEvent,
    apiUrl: gh.url,
    workspace,
    env: ACTION_ENV,
  });
}

function deploy(environment: string, inputs: Record<string, string> = {}): Promise<ActionRunResult> {
  return runAction({
    // Backups have their own tests (backup-deploy): these are about the safety policy.
    inputs: { 'database-url': db.url, environment, 'github-token': 't0ken', backup: 'none', ...inputs },
    eventName: 'push',
    event: { ref: 'refs/heads/main' },
    apiUrl: gh.url,
    workspace,
    env: ACTION_ENV,
  });
}

describe('PR dry run', () => {
  test("a finding: a row in the comment's Safety section, a warning on its line, the step stays green", async () => {
    await base();
    writeMigrations(migrations, { '2_drop_legacy.sql': DROP_LEGACY });
    const r = await prDryRun();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('planned');
    expect(r.outputs['pending-count']).toBe('1');

    expect(ourComments('staging')).toHaveLength(1);
    const comment = ourComments('staging')[0].body;
    const section = safetySection(comment);
    expect(section).toContain('⚠️ 1 finding to review');
    expect(section).not.toContain('❌');
    expect(section).not.toContain('No findings');
    const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| |') && !l.startsWith('| ---'));
    expect(rows).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\| 🛑 error · destructive \\| \\[drop-column\\]\\(${RULES.replace(/[.]/g, '\\.')}#drop-column\\) \\| \\[\`migrations/2_drop_legacy\\.sql:3\`\\]\\(https://github\\.test/acme/app/blob/[0-9a-f]{40}/migrations/2_drop_legacy\\.sql#L3\\) \\| ALTER TABLE users DROP COLUMN legacy: .+ \\|$`,
        ),
      ),
    ]);
    // The summary carries the same section.
    expect(safetySection(r.summary)).toBe(section);

    // One warning annotation, on the statement's line; no error anywhere.
    expect(errors(r)).toEqual([]);
    expect(warnings(r)).toHaveLength(1);
    expect(at(warnings(r), '2_drop_legacy.sql', 3)).toHaveLength(1);
    expect(warnings(r)[0]).toContain('title=pgshift%3A drop-column (destructive)');
    expect(warnings(r)[0]).toContain('ALTER TABLE users DROP COLUMN legacy');

    // The plan file has the findings too.
    const planFile = JSON.parse(readFileSync(r.outputs['plan-file'], 'utf8'));
    expect(planFile.findings.map((f: { rule: string; line: number }) => `${f.rule}:${f.line}`)).toEqual(['drop-column:3']);
    // A dry run: nothing changed.
    expect(await columns('users')).toEqual(['id', 'legacy', 'email']);
    expect(await versions()).toEqual(['1']);
  });

  test('a clean batch (a new table, then its index): the green "No findings" line, no annotation', async () => {
    await base();
    writeMigrations(migrations, { '2_tags.sql': TAGS, '3_tags_index.sql': TAGS_INDEX });
    const r = await prDryRun();
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('planned');
    const comment = ourComments('staging')[0].body;
    expect(safetySection(comment).trim()).toBe('### Safety\n\n✅ No findings: nothing destructive, no long locks, nothing that breaks running code.');
    expect(r.annotations).toEqual([]);

    // The index on a table that exists already is reported: the same comment is edited to show it.
    writeMigrations(migrations, { '4_email_index.sql': EMAIL_INDEX });
    const again = await prDryRun();
    expect(again.code).toBe(0);
    expect(ourComments('staging')).toHaveLength(1);
    const edited = safetySection(ourComments('staging')[0].body);
    expect(edited).not.toContain('No findings');
    expect(edited).toContain('| ⚠️ warning | [index-without-concurrently]');
    expect(edited).toContain('`migrations/4_email_index.sql:2`');
    expect(edited).not.toContain('tags_name_idx');
    expect(at(warnings(again), '4_email_index.sql', 2)).toHaveLength(1);
  });

  test('a pgshift.json at the workspace root tunes the rules', async () => {
    await base();
    writeMigrations(migrations, { '2_drop_legacy.sql': DROP_LEGACY });
    writeFileSync(join(workspace, 'pgshift.json'), JSON.stringify({ lint: { rules: { 'drop-column': 'off' } } }));
    const r = await prDryRun({ environment: 'production' });
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('planned');
    expect(safetySection(ourComments('production')[0].body)).toContain('✅ No findings');
    expect(r.annotations).toEqual([]);

    // A broken pgshift.json refuses the run, naming the file.
    writeFileSync(join(workspace, 'pgshift.json'), '{"lint": {"rules": {"drop-column": "sometimes"}}}');
    const bad = await prDryRun();
    expect(bad.code).toBe(1);
    expect(bad.outputs.status).toBe('refused');
    expect(errors(bad).join('\n')).toContain('lint.rules["drop-column"] is "sometimes"');
  });
});

describe('protected environment', () => {
  test('a pending DROP TABLE is refused before anything runs; allow-destructive lets the same run apply it', async () => {
    await base();
    writeMigrations(migrations, { '2_drop_audit.sql': DROP_AUDIT, '3_email_index.sql': EMAIL_INDEX });
    const r = await deploy('production');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('refused');
    // The refused finding is an error on its line; the one the policy allows stays a warning.
    expect(at(errors(r), '2_drop_audit.sql', 3)).toHaveLength(1);
    expect(at(errors(r), '2_drop_audit.sql', 3)[0]).toContain('title=pgshift%3A drop-table (destructive)');
    expect(at(errors(r), '3_email_index.sql', 2)).toEqual([]);
    expect(at(warnings(r), '3_email_index.sql', 2)).toHaveLength(1);
    const failure = errors(r).find((a) => a.startsWith('::error::'));
    expect(failure).toContain('refused before anything ran');
    expect(failure).toContain('migrations/2_drop_audit.sql:3: drop-table');
    expect(failure).not.toContain('index-without-concurrently');
    // Nothing ran: neither migration, not even the harmless one after it.
    expect(await tables()).toContain('audit_log');
    expect(await indexes()).toEqual([]);
    expect(await versions()).toEqual(['1']);
    // The plan on record shows the refusal.
    const section = safetySection(r.summary);
    expect(section).toContain('❌ **The safety policy refuses 1 of these in `production`**');
    expect(section).toMatch(/\| ❌ refused · destructive \| \[drop-table\]\([^)]*#drop-table\) \| \[`migrations\/2_drop_audit\.sql:3`\]\([^)]*\/migrations\/2_drop_audit\.sql#L3\) \|/);
    expect(section).toMatch(/\| ⚠️ warning \| \[index-without-concurrently\]\([^)]*\) \| \[`migrations\/3_email_index\.sql:2`\]\([^)]*\/migrations\/3_email_index\.sql#L2\) \|/);
    expect(r.summary).toContain('❌ **Refused** in `production`');
    // A deploy that could not run is an incident: an issue, saying why.
    expect(gh.issues).toHaveLength(1);
    expect(gh.issues[0].body).toContain('pgshift could not run in `production`');
    expect(gh.issues[0].body).toContain('migrations/2_drop_audit.sql:3: drop-table');
    expect(r.outputs['issue-number']).toBe(String(gh.issues[0].number));

    const allowed = await deploy('production', { 'allow-destructive': 'true' });
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
    expect(allowed.outputs.status).toBe('applied');
    expect(allowed.outputs['applied-versions']).toBe('["2","3"]');
    expect(await tables()).not.toContain('audit_log');
    expect(await indexes()).toEqual(['users_email_idx']);
    expect(await versions()).toEqual(['1', '2', '3']);
    // Still findings, shown as warnings now; no error.
    expect(errors(allowed)).toEqual([]);
    expect(at(warnings(allowed), '2_drop_audit.sql', 3)).toHaveLength(1);
    expect(at(warnings(allowed), '3_email_index.sql', 2)).toHaveLength(1);
    expect(safetySection(allowed.summary)).toContain('| 🛑 error · destructive | [drop-table]');
    expect(safetySection(allowed.summary)).not.toContain('refused');
    // The incident is over: the issue is closed.
    expect(gh.issues[0].state).toBe('closed');
  });

  test('an error-level finding that is not destructive is refused even with allow-destructive', async () => {
    await base();
    writeMigrations(migrations, {
      '2_tenant.sql': TENANT,
      '3_email_concurrently.sql': '-- migrate:up\nSELECT 1;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n-- migrate:down\nDROP INDEX users_email_idx;\n',
    });
    const r = await deploy('production', { 'allow-destructive': 'true' });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('refused');
    expect(at(errors(r), '2_tenant.sql', 2)).toHaveLength(1);
    expect(at(errors(r), '2_tenant.sql', 2)[0]).toContain('title=pgshift%3A add-column-not-null-without-default');
    expect(at(errors(r), '3_email_concurrently.sql', 3)).toHaveLength(1);
    expect(at(errors(r), '3_email_concurrently.sql', 3)[0]).toContain('title=pgshift%3A concurrently-in-transaction');
    // Refused, not failed: migration 2 would have worked on the empty table, and did not run.
    expect(await columns('users')).toEqual(['id', 'legacy', 'email']);
    expect(await versions()).toEqual(['1']);

    // Staging is not protected: the same finding only warns, and the migration applies.
    writeMigrations(migrations, { '3_email_concurrently.sql': EMAIL_INDEX });
    const staging = await deploy('staging');
    expect(staging.code).toBe(0);
    expect(staging.outputs.status).toBe('applied');
    expect(await columns('users')).toEqual(['id', 'legacy', 'email', 'tenant_id']);
  });

  test('a production dry run previews the refusal without changing anything', async () => {
    await base();
    writeMigrations(migrations, { '2_drop_audit.sql': DROP_AUDIT });
    const r = await deploy('production', { 'dry-run': 'true' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('refused');
    expect(r.outputs['pending-count']).toBe('1');
    expect(at(errors(r), '2_drop_audit.sql', 3)).toHaveLength(1);
    const failure = errors(r).find((a) => a.startsWith('::error::'));
    expect(failure).toContain('the safety policy would refuse this run in production');
    expect(failure).toContain('migrations/2_drop_audit.sql:3: drop-table');
    expect(safetySection(r.summary)).toContain('❌ refused · destructive');
    expect(await tables()).toContain('audit_log');
    expect(await versions()).toEqual(['1']);
    // A preview is not an incident, and a push has no PR to comment on.
    expect(gh.writes()).toEqual([]);

    const allowed = await deploy('production', { 'dry-run': 'true', 'allow-destructive': 'true' });
    expect(allowed.code).toBe(0);
    expect(allowed.outputs.status).toBe('planned');
    expect(errors(allowed)).toEqual([]);
    expect(at(warnings(allowed), '2_drop_audit.sql', 3)).toHaveLength(1);
    expect(await tables()).toContain('audit_log');
    expect(await versions()).toEqual(['1']);
  });
});

describe('unprotected environment', () => {
  test('an error-level finding only warns; fail-on-lint refuses it before anything runs', async () => {
    await base();
    writeMigrations(migrations, { '2_tags.sql': TAGS, '3_tenant.sql': TENANT });

    const strict = await deploy('staging', { 'fail-on-lint': 'true' });
    expect(strict.stderr).toBe('');
    expect(strict.code).toBe(1);
    expect(strict.outputs.status).toBe('refused');
    expect(at(errors(strict), '3_tenant.sql', 2)).toHaveLength(1);
    expect(errors(strict).find((a) => a.startsWith('::error::'))).toContain('migrations/3_tenant.sql:2: add-column-not-null-without-default');
    // Before anything ran: not even the clean migration before it.
    expect(await tables()).not.toContain('tags');
    expect(await columns('users')).toEqual(['id', 'legacy', 'email']);
    expect(await versions()).toEqual(['1']);
    expect(gh.issues).toHaveLength(1);

    const lenient = await deploy('staging');
    expect(lenient.stderr).toBe('');
    expect(lenient.code).toBe(0);
    expect(lenient.outputs.status).toBe('applied');
    expect(lenient.outputs['applied-versions']).toBe('["2","3"]');
    expect(errors(lenient)).toEqual([]);
    expect(warnings(lenient)).toHaveLength(1);
    expect(at(warnings(lenient), '3_tenant.sql', 2)).toHaveLength(1);
    expect(await columns('users')).toEqual(['id', 'legacy', 'email', 'tenant_id']);
    expect(await versions()).toEqual(['1', '2', '3']);
    // The run's summary lists the finding too.
    expect(safetySection(lenient.summary)).toMatch(/\| 🛑 error \| \[add-column-not-null-without-default\]\([^)]*\) \| \[`migrations\/3_tenant\.sql:2`\]\([^)]*\/migrations\/3_tenant\.sql#L2\) \|/);

    // fail-on-lint refuses error-level findings only: a warning passes.
    writeMigrations(migrations, { '4_email_index.sql': EMAIL_INDEX });
    const warned = await deploy('staging', { 'fail-on-lint': 'true' });
    expect(warned.code).toBe(0);
    expect(warned.outputs.status).toBe('applied');
    expect(at(warnings(warned), '4_email_index.sql', 2)).toHaveLength(1);
    expect(await indexes()).toEqual(['users_email_idx']);
  });
});

describe('policy: additive-only', () => {
  test('refuses a destructive finding in staging, but not an error-level one that destroys nothing', async () => {
    await base();
    writeMigrations(migrations, { '2_drop_audit.sql': DROP_AUDIT });
    const r = await deploy('staging', { policy: 'additive-only' });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('refused');
    expect(at(errors(r), '2_drop_audit.sql', 3)).toHaveLength(1);
    expect(await tables()).toContain('audit_log');
    expect(await versions()).toEqual(['1']);
    expect(gh.issues).toHaveLength(1);
    // allow-destructive is about protected environments; it does not lift the policy.
    const allowed = await deploy('staging', { policy: 'additive-only', 'allow-destructive': 'true' });
    expect(allowed.code).toBe(1);
    expect(allowed.outputs.status).toBe('refused');
    expect(await tables()).toContain('audit_log');

    writeMigrations(migrations, { '2_drop_audit.sql': TENANT });
    const additive = await deploy('staging', { policy: 'additive-only' });
    expect(additive.code).toBe(0);
    expect(additive.outputs.status).toBe('applied');
    expect(at(warnings(additive), '2_drop_audit.sql', 2)).toHaveLength(1);
  });

  test('a PR dry run with a destructive finding fails, and its comment shows the finding as refused', async () => {
    await base();
    writeMigrations(migrations, { '2_drop_audit.sql': DROP_AUDIT, '3_tenant.sql': TENANT });
    const r = await prDryRun({ policy: 'additive-only' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('refused');
    expect(ourComments('staging')).toHaveLength(1);
    expect(r.outputs['comment-url']).toBe(ourComments('staging')[0].html_url);
    const section = safetySection(ourComments('staging')[0].body);
    expect(section).toContain('❌ **The safety policy refuses 1 of these in `staging`**');
    expect(section).toContain(
      `| ❌ refused · destructive | [drop-table](${RULES}#drop-table) | [\`migrations/2_drop_audit.sql:3\`](https://github.test/acme/app/blob/0123456789abcdef0123456789abcdef01234567/migrations/2_drop_audit.sql#L3) |`,
    );
    // The error-level finding that destroys nothing is shown, not refused.
    expect(section).toContain(
      `| 🛑 error | [add-column-not-null-without-default](${RULES}#add-column-not-null-without-default) | [\`migrations/3_tenant.sql:2\`](https://github.test/acme/app/blob/0123456789abcdef0123456789abcdef01234567/migrations/3_tenant.sql#L2) |`,
    );
    expect(at(errors(r), '2_drop_audit.sql', 3)).toHaveLength(1);
    expect(at(errors(r), '3_tenant.sql', 2)).toEqual([]);
    expect(at(warnings(r), '3_tenant.sql', 2)).toHaveLength(1);
    expect(errors(r).find((a) => a.startsWith('::error::'))).toContain('the safety policy would refuse this run in staging');
    // A dry run: no issue, nothing ran.
    expect(gh.issues).toEqual([]);
    expect(await tables()).toContain('audit_log');
    expect(await versions()).toEqual(['1']);

    // Without the policy the same PR is green in staging.
    const plain = await prDryRun();
    expect(plain.code).toBe(0);
    expect(plain.outputs.status).toBe('planned');
    expect(ourComments('staging')).toHaveLength(1);
    expect(safetySection(ourComments('staging')[0].body)).not.toContain('refused');
  });
});

describe('bad safety inputs', () => {
  test('policy: sideways is refused before connecting', async () => {
    writeMigrations(migrations, { '1_base.sql': BASE });
    // An address where nothing listens: trying to connect would fail differently, and slowly.
    const nowhere = await deploy('staging', { policy: 'sideways', 'database-url': 'postgres://app:pw@127.0.0.1:1/app' });
    expect(nowhere.code).toBe(1);
    expect(nowhere.outputs.status).toBe('refused');
    expect(errors(nowhere)).toEqual(['::error::input policy must be empty or "additive-only", not "sideways".']);
    expect(warnings(nowhere)).toEqual([]);
    expect(gh.requests).toEqual([]);

    // On a real database nothing is created.
    const real = await deploy('staging', { policy: 'sideways' });
    expect(real.code).toBe(1);
    expect(real.outputs.status).toBe('refused');
    expect((await db.sql`select to_regclass('public.schema_migrations') as t`)[0].t).toBeNull();
    expect(await tables()).toEqual([]);

    for (const [name, value] of [
      ['fail-on-lint', 'maybe'],
      ['allow-destructive', 'sure'],
    ]) {
      const bad = await deploy('staging', { [name]: value, 'database-url': 'postgres://app:pw@127.0.0.1:1/app' });
      expect(bad.code).toBe(1);
      expect(bad.outputs.status).toBe('refused');
      expect(errors(bad)).toEqual([`::error::input ${name} must be true or false, not "${value}".`]);
    }
    expect(gh.requests).toEqual([]);
  });
});
