import { join } from 'node:path';
import { runAction } from './helpers/action';
import { createDatabase, tempDir, writeMigrations, type TestDatabase } from './helpers/db';
import { FakeGitHub } from './helpers/github-server';

let db: TestDatabase;
let gh: FakeGitHub;
let workspace: string;
beforeEach(async () => {
  db = await createDatabase();
  gh = await new FakeGitHub().start();
  workspace = tempDir();
  writeMigrations(join(workspace, 'migrations'), {
    '1_users.sql': '-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\nDROP TABLE users;\n',
    '2_orders.up.sql': 'CREATE TABLE orders (id int);\n',
    '2_orders.down.sql': 'DROP TABLE orders;\n',
  });
});
afterEach(async () => {
  await gh.stop();
  await db.drop();
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
