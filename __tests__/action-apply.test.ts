// The action applying migrations on deploy events: outputs, summary, log groups, and the failure
// issue's life cycle (opened, commented on, closed on recovery), against real Postgres and a fake
// GitHub API that records every request.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { lockKey } from '../src/db/lock';
import { runAction, type ActionRunResult } from './helpers/action';
import { createDatabase, tempDir, writeMigrations, type TestDatabase } from './helpers/db';
import { FakeGitHub } from './helpers/github-server';

let db: TestDatabase;
let gh: FakeGitHub;
let workspace: string;
let migrations: string;
beforeEach(async () => {
  db = await createDatabase();
  gh = await new FakeGitHub().start();
  workspace = tempDir();
  migrations = writeMigrations(join(workspace, 'migrations'), {
    '1_users.sql': '-- migrate:up\nCREATE TABLE users (id int primary key);\n-- migrate:down\nDROP TABLE users;\n',
    '2_orders.up.sql': 'CREATE TABLE orders (id int, user_id int references users(id));\n',
    '2_orders.down.sql': 'DROP TABLE orders;\n',
  });
});
afterEach(async () => {
  await gh.stop();
  await db.drop();
});

const RUN_URL = 'https://github.test/acme/app/actions/runs/4242';
const SHA = '0123456789abcdef0123456789abcdef01234567';
const BAD = '-- migrate:up\nCREATE TABLE audit (id int);\n\nDROP TABLE users;\n-- migrate:down\nDROP TABLE audit;\n';

const errors = (r: ActionRunResult) => r.annotations.filter((a) => a.startsWith('::error'));
const warnings = (r: ActionRunResult) => r.annotations.filter((a) => a.startsWith('::warning'));
const tables = async () => (await db.sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`).map((r) => r.table_name as string);
const rows = async () => (await db.sql`select version, status from schema_migrations order by version`).map((r) => `${r.version}:${r.status}`);

function apply(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRunResult> {
  return runAction({
    inputs: { 'database-url': db.url, environment: 'staging', 'github-token': 't0ken', ...inputs },
    eventName: 'push',
    event: { ref: 'refs/heads/staging' },
    apiUrl: gh.url,
    workspace,
    env,
  });
}

test('apply on push sets every output, writes the summary and one log group per migration, never comments', async () => {
  const runnerTemp = tempDir('pgshift-runner-temp-');
  const r = await apply({}, { RUNNER_TEMP: runnerTemp });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.outputs.status).toBe('applied');
  expect(r.outputs['applied-count']).toBe('2');
  expect(r.outputs['pending-count']).toBe('0');
  expect(r.outputs['current-version']).toBe('2');
  expect(JSON.parse(r.outputs['applied-versions'])).toEqual(['1', '2']);
  expect(r.outputs['comment-url']).toBeUndefined();
  expect(r.outputs['issue-number']).toBeUndefined();

  const planFile = r.outputs['plan-file'];
  expect(planFile.startsWith(runnerTemp + '/')).toBe(true);
  expect(existsSync(planFile)).toBe(true);
  const plan = JSON.parse(readFileSync(planFile, 'utf8'));
  expect(plan.environment).toBe('staging');
  expect(plan.direction).toBe('up');
  expect(plan.steps.map((s: { migration: { version: string } }) => s.migration.version)).toEqual(['1', '2']);

  // The summary: each migration with its status and duration.
  expect(r.summary).toContain('✅ **Applied 2 migrations** in `staging`');
  expect(r.summary).toMatch(/\| `1` \| users \| ✅ applied \| \d+(\.\d+)? (ms|s) \|/);
  expect(r.summary).toMatch(/\| `2` \| orders \| ✅ applied \| \d+(\.\d+)? (ms|s) \|/);

  // The log: a group per migration, holding its SQL and result.
  const lines = r.stdout.split('\n');
  const groups = lines.filter((l) => l.startsWith('::group::'));
  expect(groups).toEqual(['::group::↑ 1 users (1/2)', '::group::↑ 2 orders (2/2)']);
  expect(lines.filter((l) => l === '::endgroup::')).toHaveLength(2);
  const first = lines.slice(lines.indexOf(groups[0]), lines.indexOf('::endgroup::')).join('\n');
  expect(first).toContain('CREATE TABLE users (id int primary key);');
  expect(first).toMatch(/✓ applied in \d+/);

  // Not a pull request: no comment requests at all; the only call looks for an open failure issue.
  expect(gh.requests.filter((q) => q.path.includes('/comments'))).toEqual([]);
  expect(gh.writes()).toEqual([]);
  expect(await tables()).toEqual(['migration_history', 'orders', 'schema_migrations', 'users']);
  expect(await rows()).toEqual(['1:applied', '2:applied']);

  const again = await apply();
  expect(again.code).toBe(0);
  expect(again.outputs.status).toBe('up-to-date');
  expect(again.outputs['applied-count']).toBe('0');
  expect(again.outputs['applied-versions']).toBe('[]');
  expect(again.outputs['pending-count']).toBe('0');
  expect(again.outputs['current-version']).toBe('2');
  expect(again.summary).toContain('✅ **Up to date** in `staging` at `2`');
  expect(again.stdout).not.toContain('::group::');
  expect(gh.writes()).toEqual([]);
});

test('steps and target-version bound an apply, and pending-count counts what is left', async () => {
  writeMigrations(migrations, { '3_tags.sql': '-- migrate:up\nCREATE TABLE tags (id int);\n-- migrate:down\nDROP TABLE tags;\n' });
  const one = await apply({ steps: '1' });
  expect(one.outputs.status).toBe('applied');
  expect(one.outputs['applied-versions']).toBe('["1"]');
  expect(one.outputs['pending-count']).toBe('2');
  const upTo = await apply({ 'target-version': '2' });
  expect(upTo.outputs['applied-versions']).toBe('["2"]');
  expect(upTo.outputs['pending-count']).toBe('1');
  expect(upTo.outputs['current-version']).toBe('2');
  expect(await rows()).toEqual(['1:applied', '2:applied']);
  // down without steps rolls back exactly one
  const down = await apply({ direction: 'down' });
  expect(down.code).toBe(0);
  expect(down.outputs.status).toBe('rolled-back');
  expect(down.outputs['applied-versions']).toBe('["2"]');
  expect(down.outputs['current-version']).toBe('1');
  expect(down.outputs['pending-count']).toBe('2');
  expect(down.stdout).toContain('::group::↓ 2 orders (1/1)');
  expect(await rows()).toEqual(['1:applied']);
});

test('a failing migration: annotation at its line, one issue, a comment on it next time, closed on recovery', async () => {
  writeMigrations(migrations, { '3_bad.sql': BAD });
  const r = await apply();
  expect(r.stderr).toBe('');
  expect(r.code).toBe(1);
  expect(r.outputs.status).toBe('failed');
  expect(r.outputs['applied-versions']).toBe('["1","2"]');
  expect(r.outputs['applied-count']).toBe('2');
  expect(r.outputs['pending-count']).toBe('1');
  expect(r.outputs['current-version']).toBe('2');
  // The annotation points at the failing statement: line 4 of migrations/3_bad.sql.
  const annotation = errors(r).find((a) => a.includes('file='));
  expect(annotation).toBeDefined();
  expect(annotation).toMatch(/[:,]file=migrations\/3_bad\.sql[,:]/);
  expect(annotation).toMatch(/[:,]line=4[,:]/);
  expect(annotation).toContain('2BP01');
  expect(errors(r).some((a) => a.startsWith('::error::') && a.includes('migration 3 (bad) failed'))).toBe(true);
  expect(r.stdout).toContain('::group::↑ 3 bad (3/3)');
  expect(r.summary).toContain('❌ **Migration failed** in `staging`');
  expect(r.summary).toContain('| `3` | bad | ❌ failed |');
  expect(await tables()).not.toContain('audit'); // rolled back

  expect(gh.issues).toHaveLength(1);
  const issue = gh.issues[0];
  expect(issue.title).toBe('Migration failed in staging');
  expect(issue.labels.map((l) => l.name)).toEqual(['database-migration']);
  expect(gh.labels.has('database-migration')).toBe(true);
  expect(issue.body).toContain('<!-- pgshift:failure env=staging -->');
  for (const part of [
    '| Environment | `staging` |',
    '[`migrations/3_bad.sql:4`](https://github.test/acme/app/blob/0123456789abcdef0123456789abcdef01234567/migrations/3_bad.sql#L4), column',
    '| Migration | `3` bad (up) |',
    '`2BP01`',
    'cannot drop table users because other objects depend on it',
    '| Detail | constraint orders_user_id_fkey on table orders depends on table users |',
    '| Hint | Use DROP ... CASCADE to drop the dependent objects too. |',
    'DROP TABLE users',
    `\`${SHA}\``,
    '@octocat',
    RUN_URL,
    '### How to recover',
    'fix forward',
  ]) {
    expect(issue.body).toContain(part);
  }
  expect(r.outputs['issue-number']).toBe(String(issue.number));
  expect(r.outputs['issue-url']).toBe(issue.html_url);

  // Another environment failing gets an issue of its own.
  const qa = await apply({ environment: 'qa' });
  expect(qa.code).toBe(1);
  expect(gh.issues.map((i) => i.title)).toEqual(['Migration failed in staging', 'Migration failed in qa']);
  const qaIssue = gh.issues[1];

  // Failing again in staging: a comment on the open issue, no second issue.
  const again = await apply({}, { GITHUB_RUN_ID: '4243', GITHUB_SHA: 'fedcba9876543210fedcba9876543210fedcba98' });
  expect(again.code).toBe(1);
  expect(again.outputs.status).toBe('failed');
  expect(gh.issues).toHaveLength(2);
  expect(gh.requests.filter((q) => q.method === 'POST' && q.path === '/repos/acme/app/issues')).toHaveLength(2);
  const onIssue = () => gh.comments.filter((c) => c.issue_number === issue.number);
  expect(onIssue()).toHaveLength(1);
  expect(onIssue()[0].body).toContain('Failed again');
  expect(onIssue()[0].body).toContain('https://github.test/acme/app/actions/runs/4243');
  expect(onIssue()[0].body).toContain('fedcba9');
  expect(onIssue()[0].body).toContain('2BP01');
  expect(gh.comments.filter((c) => c.issue_number === qaIssue.number)).toHaveLength(0);
  expect(again.outputs['issue-number']).toBe(String(issue.number));
  expect(again.outputs['issue-url']).toBe(issue.html_url);

  // Fixed: the next successful run in staging says it recovered and closes the staging issue only.
  writeMigrations(migrations, { '3_bad.sql': '-- migrate:up\nCREATE TABLE audit (id int);\n-- migrate:down\nDROP TABLE audit;\n' });
  const fixed = await apply({}, { GITHUB_RUN_ID: '4244' });
  expect(fixed.code).toBe(0);
  expect(fixed.outputs.status).toBe('applied');
  expect(fixed.outputs['applied-versions']).toBe('["3"]');
  expect(onIssue()).toHaveLength(2);
  expect(onIssue()[1].body).toContain('Recovered');
  expect(onIssue()[1].body).toContain('https://github.test/acme/app/actions/runs/4244');
  const close = gh.requests.filter((q) => q.method === 'PATCH' && q.path === `/repos/acme/app/issues/${issue.number}`);
  expect(close).toHaveLength(1);
  expect(close[0].body).toMatchObject({ state: 'closed' });
  expect(issue.state).toBe('closed');
  expect(qaIssue.state).toBe('open');
  expect(fixed.outputs['issue-number']).toBe(String(issue.number));

  // Closed means done: the next run finds no open issue and writes nothing.
  const writes = gh.writes().length;
  const quiet = await apply();
  expect(quiet.outputs.status).toBe('up-to-date');
  expect(gh.writes()).toHaveLength(writes);
  expect(quiet.outputs['issue-number']).toBeUndefined();
});

test('a non-transactional migration that stops part-way: the issue says how to resolve it, the refused rerun comments on it', async () => {
  writeMigrations(migrations, {
    '3_concurrent.sql': '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY orders_user ON orders (user_id);\nDROP TABLE users;\n-- migrate:down\nDROP INDEX orders_user;\n',
  });
  const r = await apply();
  expect(r.code).toBe(1);
  expect(r.outputs.status).toBe('failed');
  expect(errors(r).find((a) => a.includes('file='))).toMatch(/file=migrations\/3_concurrent\.sql,line=3[,:]/);
  expect(gh.issues).toHaveLength(1);
  expect(gh.issues[0].body).toContain('pgshift resolve 3 --rolled-back');
  expect(gh.issues[0].body).toContain('pgshift resolve 3 --applied');
  expect(await rows()).toEqual(['1:applied', '2:applied', '3:failed']);

  // The failed row refuses the next run before anything runs; that is reported on the same issue.
  const again = await apply();
  expect(again.code).toBe(1);
  expect(again.outputs.status).toBe('refused');
  expect(gh.issues).toHaveLength(1);
  const comments = gh.comments.filter((c) => c.issue_number === gh.issues[0].number);
  expect(comments).toHaveLength(1);
  expect(comments[0].body).toContain('Failed again');
  expect(again.outputs['issue-number']).toBe(String(gh.issues[0].number));
});

test('open-issue-on-failure false and custom issue-labels', async () => {
  writeMigrations(migrations, { '3_bad.sql': BAD });
  const off = await apply({ 'open-issue-on-failure': 'false' });
  expect(off.code).toBe(1);
  expect(gh.requests).toEqual([]);
  const labelled = await apply({ 'issue-labels': 'db, incident' });
  expect(labelled.code).toBe(1);
  expect(gh.issues).toHaveLength(1);
  expect(gh.issues[0].labels.map((l) => l.name)).toEqual(['db', 'incident']);
  expect(gh.requests.find((q) => q.method === 'GET' && q.path === '/repos/acme/app/issues')?.query.labels).toBe('db');
});

test('with a read-only token a successful apply stays green and only warns', async () => {
  // An open failure issue makes the successful run try to comment and close: refused with 403.
  gh.addIssue({ title: 'Migration failed in staging', body: '<!-- pgshift:failure env=staging -->\nold failure', labels: [{ name: 'database-migration' }] });
  gh.options.forbidWrites = true;
  const r = await apply();
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.outputs.status).toBe('applied');
  expect(errors(r)).toEqual([]);
  expect(warnings(r)).toHaveLength(1);
  expect(warnings(r)[0]).toContain('HTTP 403');
  expect(warnings(r)[0]).toContain('issues: write');
  expect(gh.writes().map((q) => q.method)).toEqual(['POST']); // tried the recovery comment
  expect(gh.issues[0].state).toBe('open');
  expect(await rows()).toEqual(['1:applied', '2:applied']);

  // A token that may not even read issues changes nothing either.
  gh.options.forbidAll = true;
  writeMigrations(migrations, { '3_tags.sql': 'CREATE TABLE tags (id int);\n' });
  const r2 = await apply();
  expect(r2.code).toBe(0);
  expect(r2.outputs.status).toBe('applied');
  expect(warnings(r2)).toHaveLength(1);
});

test('with a read-only token a failing migration fails the step, reports its error, and does not crash', async () => {
  writeMigrations(migrations, { '3_bad.sql': BAD });
  gh.options.forbidWrites = true;
  const r = await apply();
  expect(r.stderr).toBe('');
  expect(r.code).toBe(1);
  expect(r.outputs.status).toBe('failed');
  expect(r.outputs['issue-number']).toBeUndefined();
  expect(r.outputs['issue-url']).toBeUndefined();
  expect(r.stdout).not.toContain('unexpected error');
  expect(errors(r).find((a) => a.includes('file='))).toMatch(/file=migrations\/3_bad\.sql,line=4[,:]/);
  expect(errors(r).some((a) => a.includes('migration 3 (bad) failed'))).toBe(true);
  expect(warnings(r)).toHaveLength(1);
  expect(warnings(r)[0]).toContain('HTTP 403');
  expect(warnings(r)[0]).toContain('issues: write');
  expect(gh.issues).toHaveLength(0);
});

test('a run that cannot take the migration lock fails, opens the issue, and the next good run closes it', async () => {
  const holder = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await holder.unsafe(`set application_name = 'someone-else'`);
    await holder`select pg_advisory_lock(${lockKey('public').key}::bigint)`;
    const r = await apply({ 'lock-wait': '1s' });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('failed');
    expect(errors(r).some((a) => a.includes('another migration run holds the lock') && a.includes('someone-else'))).toBe(true);
    // The engine's advice names the CLI flag; the action names its input.
    expect(errors(r).some((a) => a.includes('raise the lock-wait input'))).toBe(true);
    expect(r.stdout).not.toContain('--lock-wait');
    expect(await tables()).toEqual([]);
    expect(gh.issues).toHaveLength(1);
    expect(gh.issues[0].title).toBe('Migration failed in staging');
    expect(gh.issues[0].body).toContain('another migration run holds the lock');
    expect(gh.issues[0].body).toContain(RUN_URL);
    expect(r.outputs['issue-number']).toBe(String(gh.issues[0].number));
  } finally {
    await holder.end({ timeout: 1 });
  }
  const ok = await apply();
  expect(ok.code).toBe(0);
  expect(ok.outputs.status).toBe('applied');
  expect(gh.issues[0].state).toBe('closed');
});

test('a failing 150 KB one-line statement still gets its issue, under the 65,536-character limit', async () => {
  const values = Array.from({ length: 20_000 }, (_, i) => `(${i + 1})`).join(',');
  writeMigrations(migrations, { '3_seed.sql': `-- migrate:up\nINSERT INTO users (id) VALUES ${values},('not a number');\n` });
  const r = await apply();
  expect(r.code).toBe(1);
  expect(r.outputs.status).toBe('failed');
  expect(errors(r).find((a) => a.includes('file='))).toMatch(/file=migrations\/3_seed\.sql,line=2[,:]/);
  expect(warnings(r)).toEqual([]);
  expect(gh.issues).toHaveLength(1);
  const body = gh.issues[0].body;
  expect(body.length).toBeLessThan(65_536);
  expect(body).toContain('`22P02`');
  expect(body).toContain('invalid input syntax for type integer');
  expect(body).toContain("'not a number'"); // the excerpt keeps the spot that failed
  expect(body).toContain('### How to recover');
  expect(r.outputs['issue-number']).toBe(String(gh.issues[0].number));
  // and the comment of a second failure too
  const again = await apply();
  expect(again.code).toBe(1);
  expect(warnings(again)).toEqual([]);
  const comments = gh.comments.filter((c) => c.issue_number === gh.issues[0].number);
  expect(comments).toHaveLength(1);
  expect(comments[0].body.length).toBeLessThan(65_536);
});

test('a database that refuses the login fails the deploy (not "refused") and opens the issue, password redacted', async () => {
  const wrong = new URL(db.url);
  wrong.password = 'Wr0ng-Passw0rd-Here';
  const r = await apply({ 'database-url': wrong.toString() });
  expect(r.code).toBe(1);
  expect(r.outputs.status).toBe('failed');
  expect(gh.issues).toHaveLength(1);
  expect(gh.issues[0].title).toBe('Migration failed in staging');
  expect(gh.issues[0].body).toMatch(/cannot connect to Postgres at 127\.0\.0\.1:\d+\//);
  for (const text of [r.stdout.replace(/^::add-mask::.*$/gm, ''), r.stderr, r.summary, gh.issues[0].body]) expect(text).not.toContain('Wr0ng-Passw0rd-Here');
  expect(await rows().catch(() => [])).toEqual([]);
});
