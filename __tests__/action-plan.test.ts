import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAction, startActionFixture, stopActionFixture } from './helpers/action';
import { createDatabase, writeMigrations, type TestDatabase } from './helpers/db';
import type { FakeGitHub } from './helpers/github-server';

let db: TestDatabase;
let gh: FakeGitHub;
let workspace: string;
beforeEach(async () => {
  ({ db, gh, workspace } = await startActionFixture());
});
afterEach(async () => {
  await stopActionFixture({ db, gh, workspace });
});

const prEvent = { pull_request: { number: 7 }, number: 7 };

test('a PR dry run keeps one comment, edited in place on the next push, past 100 other comments', async () => {
  gh.seedComments(7, 130);
  const inputs = { 'database-url': db.url, 'dry-run': 'true', 'github-token': 't0ken' };
  const first = await runAction({ inputs, eventName: 'pull_request', event: prEvent, apiUrl: gh.url, workspace });
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.outputs.status).toBe('planned');
  expect(first.outputs['pending-count']).toBe('2');
  const ours = () => gh.comments.filter((c) => c.body.includes('<!-- pgshift:plan env=development dir=migrations -->'));
  expect(ours()).toHaveLength(1);
  expect(ours()[0].body).toContain('CREATE TABLE orders (id int);');
  expect(ours()[0].body).toContain('DROP TABLE orders;');
  expect(ours()[0].body).not.toContain(new URL(db.url).password);
  expect(first.outputs['comment-url']).toBe(ours()[0].html_url);

  writeMigrations(join(workspace, 'migrations'), { '3_more.sql': 'CREATE TABLE more (id int);\n' });
  const second = await runAction({ inputs, eventName: 'pull_request', event: prEvent, apiUrl: gh.url, workspace });
  expect(second.code).toBe(0);
  expect(ours()).toHaveLength(1);
  expect(ours()[0].body).toContain('3 migrations pending');
  expect(gh.writes().filter((r) => r.method === 'POST')).toHaveLength(1);
  expect(gh.writes().filter((r) => r.method === 'PATCH')).toHaveLength(1);
  // the listing walked every page (130 + ours) both times
  expect(gh.requests.filter((r) => r.method === 'GET' && r.query.page === '2').length).toBeGreaterThanOrEqual(2);
  // read-only: no tracking tables were created
  expect((await db.sql`select to_regclass('schema_migrations') as t`)[0].t).toBeNull();
});

const PASSWORD = 'Sup3r-S3cret-Pw';
const ourComments = (env = 'development', dir = 'migrations') => gh.comments.filter((c) => c.body.includes(`<!-- pgshift:plan env=${env} dir=${dir} -->`));
const commentRequests = () => gh.requests.filter((r) => r.path.includes('/comments'));

test('the database password never leaves the run: log, summary, comment, outputs, plan file, API requests', async () => {
  // A role of our own with a distinctive password, so a leak cannot hide behind the admin's.
  const role = `pgshift_secret_${process.pid}_${Date.now().toString(36)}`;
  await db.sql.unsafe(`create role ${role} login password '${PASSWORD}' superuser`);
  try {
    const u = new URL(db.url);
    u.username = role;
    u.password = PASSWORD;
    const url = u.toString();
    // Apply the first migration through that URL, so the PR plan below really read the database with it.
    const applied = await runAction({ inputs: { 'database-url': url, 'target-version': '1', 'github-token': 't0ken' }, apiUrl: gh.url, workspace });
    expect(applied.code).toBe(0);
    expect(applied.outputs.status).toBe('applied');
    const planned = await runAction({ inputs: { 'database-url': url, 'dry-run': 'true', 'github-token': 't0ken' }, eventName: 'pull_request', event: prEvent, apiUrl: gh.url, workspace });
    expect(planned.code).toBe(0);
    expect(planned.outputs['pending-count']).toBe('1');
    expect(ourComments()).toHaveLength(1);
    expect(ourComments()[0].body).toContain('CREATE TABLE orders (id int);');
    expect(ourComments()[0].body).not.toContain('CREATE TABLE users (id int);');

    for (const run of [applied, planned]) {
      // The runner swallows ::add-mask:: commands: they are the only lines allowed to hold the secret,
      // and they must come before anything else is printed.
      const lines = run.stdout.split('\n');
      const masks = lines.filter((l) => l.startsWith('::add-mask::'));
      expect(masks).toContain(`::add-mask::${PASSWORD}`);
      expect(masks).toContain(`::add-mask::${url}`);
      expect(lines.slice(0, masks.length).every((l) => l.startsWith('::add-mask::'))).toBe(true);
      const log = lines.filter((l) => !l.startsWith('::add-mask::')).join('\n');
      expect(log).not.toContain(PASSWORD);
      expect(run.stderr).not.toContain(PASSWORD);
      expect(run.summary).not.toContain(PASSWORD);
      expect(run.summary.length).toBeGreaterThan(0);
      expect(JSON.stringify(run.outputs)).not.toContain(PASSWORD);
      const planFile = readFileSync(run.outputs['plan-file'], 'utf8');
      expect(planFile.length).toBeGreaterThan(0);
      expect(planFile).not.toContain(PASSWORD);
    }
    expect(JSON.stringify(gh.requests)).not.toContain(PASSWORD);
    expect(JSON.stringify(gh.comments)).not.toContain(PASSWORD);
  } finally {
    await db.drop();
    db = await createDatabase(); // afterEach drops it again
    await db.sql.unsafe(`drop role if exists ${role}`);
  }
});

test('one comment per environment and per migrations directory on the same PR', async () => {
  writeMigrations(join(workspace, 'db/analytics'), { '1_events.sql': '-- migrate:up\nCREATE TABLE events (id int);\n-- migrate:down\nDROP TABLE events;\n' });
  const run = (extra: Record<string, string>) =>
    runAction({ inputs: { 'database-url': db.url, 'dry-run': 'true', 'github-token': 't0ken', ...extra }, eventName: 'pull_request', event: prEvent, apiUrl: gh.url, workspace });
  for (const extra of <Record<string, string>[]>[{ environment: 'staging' }, { environment: 'production' }, { environment: 'staging', 'migrations-dir': 'db/analytics' }]) {
    const r = await run(extra);
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('planned');
  }
  expect(gh.comments).toHaveLength(3);
  expect(ourComments('staging')).toHaveLength(1);
  expect(ourComments('production')).toHaveLength(1);
  expect(ourComments('staging', 'db/analytics')).toHaveLength(1);
  expect(ourComments('staging', 'db/analytics')[0].body).toContain('CREATE TABLE events (id int);');
  expect(ourComments('staging', 'db/analytics')[0].body).not.toContain('CREATE TABLE orders');
  expect(ourComments('production')[0].body).toContain('`production`');

  // A rerun for one of them edits that one comment only.
  const before = gh.comments.map((c) => c.body);
  const again = await run({ environment: 'production' });
  expect(again.code).toBe(0);
  expect(gh.comments).toHaveLength(3);
  const patches = gh.requests.filter((r) => r.method === 'PATCH');
  expect(patches).toHaveLength(1);
  expect(patches[0].path).toBe(`/repos/acme/app/issues/comments/${ourComments('production')[0].id}`);
  // The same bodies, but for the minute the comment says it ran at.
  const stamp = (body: string) => body.replace(/ · \d{4}-\d\d-\d\d \d\d:\d\d UTC · /, ' · <time> UTC · ');
  expect(gh.comments.map((c) => stamp(c.body))).toEqual(before.map(stamp));
  expect(gh.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
});

test('a fork PR without database-url plans every migration as pending and says so', async () => {
  // Migration 1 is applied in the database, but without a URL the action cannot know.
  const applied = await runAction({ inputs: { 'database-url': db.url, 'target-version': '1' }, workspace });
  expect(applied.outputs.status).toBe('applied');
  const r = await runAction({ inputs: { 'database-url': '', 'dry-run': 'true', 'github-token': 't0ken' }, eventName: 'pull_request', event: prEvent, apiUrl: gh.url, workspace });
  expect(r.code).toBe(0);
  expect(r.outputs.status).toBe('planned');
  expect(r.outputs['pending-count']).toBe('2');
  expect(r.outputs['current-version']).toBe('');
  expect(r.stdout).toContain('No database given: every migration in the directory is treated as pending.');
  expect(r.summary).toContain('No database was available');
  expect(ourComments()).toHaveLength(1);
  const body = ourComments()[0].body;
  expect(body).toContain('No database was available');
  expect(body).toContain('2 migrations pending');
  expect(body).toContain('CREATE TABLE users (id int);');
  expect(body).toContain('DROP TABLE users;');
  expect(body).toContain('CREATE TABLE orders (id int);');
});

test('without database-url, a run that is not a PR dry run is refused', async () => {
  for (const [eventName, dryRun] of [
    ['push', 'true'],
    ['pull_request', 'false'],
  ]) {
    const r = await runAction({ inputs: { 'dry-run': dryRun, 'github-token': 't0ken' }, eventName, event: prEvent, apiUrl: gh.url, workspace });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('refused');
    expect(r.annotations.filter((a) => a.startsWith('::error'))).toEqual([expect.stringContaining('database-url is required')]);
  }
  expect(gh.requests).toHaveLength(0);
});

test('a read-only token (fork PR, HTTP 403) turns the comment into a warning; the step stays green', async () => {
  gh.options.forbidWrites = true;
  const r = await runAction({ inputs: { 'dry-run': 'true', 'github-token': 'read-only' }, eventName: 'pull_request', event: prEvent, apiUrl: gh.url, workspace });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  expect(r.outputs.status).toBe('planned');
  expect(r.outputs['comment-url']).toBeUndefined();
  const warnings = r.annotations.filter((a) => a.startsWith('::warning'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain('HTTP 403');
  expect(warnings[0]).toContain('pull-requests: write');
  expect(r.annotations.filter((a) => a.startsWith('::error'))).toEqual([]);
  // It tried: the listing, then the refused POST.
  expect(gh.requests.map((q) => q.method)).toEqual(['GET', 'POST']);
  expect(gh.comments).toHaveLength(0);
  expect(r.summary).toContain('2 migrations pending');
});

test('a dry run outside a pull request never comments, but writes the summary and outputs', async () => {
  const r = await runAction({ inputs: { 'database-url': db.url, 'dry-run': 'true', 'github-token': 't0ken' }, eventName: 'push', event: prEvent, apiUrl: gh.url, workspace });
  expect(r.code).toBe(0);
  expect(r.outputs.status).toBe('planned');
  expect(r.outputs['pending-count']).toBe('2');
  expect(r.outputs['comment-url']).toBeUndefined();
  expect(r.summary).toContain('## pgshift plan');
  expect(r.summary).toContain('CREATE TABLE orders (id int);');
  expect(gh.requests).toHaveLength(0);
});

test('comment-on-pr false keeps the plan off the PR', async () => {
  const r = await runAction({
    inputs: { 'database-url': db.url, 'dry-run': 'true', 'github-token': 't0ken', 'comment-on-pr': 'false' },
    eventName: 'pull_request',
    event: prEvent,
    apiUrl: gh.url,
    workspace,
  });
  expect(r.code).toBe(0);
  expect(r.outputs.status).toBe('planned');
  expect(commentRequests()).toHaveLength(0);
});

test('a huge plan keeps the comment under 65,536 characters and points at the summary, which has it all', async () => {
  const files: Record<string, string> = {};
  const pad = 'x'.repeat(90);
  for (let i = 1; i <= 30; i++) {
    const body = Array.from({ length: 100 }, (_, j) => `SELECT '${pad}' AS m${i}_line${j};`).join('\n');
    files[`${100 + i}_big_${i}.sql`] = `-- migrate:up\nCREATE TABLE big_${i} (id int);\n${body}\n-- migrate:down\nDROP TABLE big_${i};\n${body.replace(/line/g, 'down')}\n`;
  }
  const dir = writeMigrations(join(workspace, 'big'), files);
  expect(Object.values(files).every((f) => f.length > 20_000)).toBe(true);
  const r = await runAction({
    inputs: { 'database-url': db.url, 'dry-run': 'true', 'github-token': 't0ken', 'migrations-dir': 'big' },
    eventName: 'pull_request',
    event: prEvent,
    apiUrl: gh.url,
    workspace,
  });
  expect(r.code).toBe(0);
  expect(r.outputs['pending-count']).toBe('30');
  const posts = gh.requests.filter((q) => q.method === 'POST');
  expect(posts).toHaveLength(1);
  const body = String(posts[0].body?.body);
  expect(body.length).toBeLessThan(65_536);
  expect(body.length).toBeGreaterThan(30_000); // cut, not dropped
  expect(body).toContain('<!-- pgshift:plan env=development dir=big -->');
  expect(body).toContain("the full plan is in the run's summary (https://github.test/acme/app/actions/runs/4242)");
  // The table still lists all 30 migrations, and the SQL blocks stay well-formed.
  for (let i = 1; i <= 30; i++) expect(body).toContain(`| \`${100 + i}\` | big_${i} |`);
  expect((body.match(/<details>/g) ?? []).length).toBe((body.match(/<\/details>/g) ?? []).length);
  expect((body.match(/^```/gm) ?? []).length % 2).toBe(0);
  // The summary holds every line of every migration, up and down.
  for (let i = 1; i <= 30; i++) {
    expect(r.summary).toContain(`SELECT '${pad}' AS m${i}_line99;`);
    expect(r.summary).toContain(`SELECT '${pad}' AS m${i}_down99;`);
  }
  expect(r.summary).not.toContain('cut here');
  void dir;
});

test('a plan the run would refuse: the comment shows the problem, the step fails with status refused', async () => {
  const applied = await runAction({ inputs: { 'database-url': db.url }, workspace });
  expect(applied.outputs.status).toBe('applied');
  // An applied migration edited, and a new one that the edit would stop.
  writeMigrations(join(workspace, 'migrations'), {
    '1_users.sql': '-- migrate:up\nCREATE TABLE users (id bigint);\n-- migrate:down\nDROP TABLE users;\n',
    '3_tags.sql': 'CREATE TABLE tags (id int);\n',
  });
  const r = await runAction({ inputs: { 'database-url': db.url, 'dry-run': 'true', 'github-token': 't0ken' }, eventName: 'pull_request', event: prEvent, apiUrl: gh.url, workspace });
  expect(r.code).toBe(1);
  expect(r.outputs.status).toBe('refused');
  expect(ourComments()).toHaveLength(1);
  const body = ourComments()[0].body;
  expect(body).toContain('the run would be refused');
  expect(body).toContain('### Problems');
  expect(body).toMatch(/❌ .*1_users\.sql/);
  expect(r.annotations.some((a) => a.startsWith('::error') && a.includes('file=migrations/1_users.sql'))).toBe(true);
  // A dry run is not an incident: no failure issue.
  expect(gh.requests.filter((q) => q.path === '/repos/acme/app/issues')).toEqual([]);
});

test('a fork PR on a repository with 1,200 migrations: the table is cut too, the note survives', async () => {
  const files: Record<string, string> = {};
  for (let i = 1; i <= 1200; i++) files[`${1000 + i}_create_table_number_${i}_with_a_rather_long_name.sql`] = `CREATE TABLE t${i} (id int);\n`;
  writeMigrations(join(workspace, 'many'), files);
  const r = await runAction({ inputs: { 'dry-run': 'true', 'github-token': 't0ken', 'migrations-dir': 'many' }, eventName: 'pull_request', event: prEvent, apiUrl: gh.url, workspace });
  expect(r.code).toBe(0);
  expect(r.outputs['pending-count']).toBe('1200');
  const body = ourComments('development', 'many')[0].body;
  expect(body.length).toBeLessThan(65_536);
  expect(body).toContain('1200 migrations pending');
  expect(body).toContain('| `1001` | create_table_number_1_with_a_rather_long_name |');
  expect(body).toContain("the full plan is in the run's summary (https://github.test/acme/app/actions/runs/4242)");
  // whole rows only
  const lines = body.split('\n');
  expect(lines.filter((l) => l.startsWith('| `')).every((l) => /^\| `\d+` \| \w+ \| 1 \| yes \| ✅ none \| ⛔ no down \|$/.test(l))).toBe(true);
  expect(r.summary).toContain('| `2200` | create_table_number_1200_with_a_rather_long_name |');
  expect(r.summary).toContain('CREATE TABLE t1200 (id int);');
});
