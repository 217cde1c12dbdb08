// The production guard and input validation: both refuse before any connection is made.
import { runAction, type ActionRunResult, startActionFixture, stopActionFixture } from './helpers/action';
import type { TestDatabase } from './helpers/db';
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

/** Nothing listens on port 9: a connection attempt would fail (and retry) instead of refusing. */
const CLOSED = 'postgres://pgshift:closed-port-pw@127.0.0.1:9/nowhere';

const errors = (r: ActionRunResult) => r.annotations.filter((a) => a.startsWith('::error'));
const run = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runAction({ inputs: { 'github-token': 't0ken', ...inputs }, eventName: 'workflow_dispatch', apiUrl: gh.url, workspace, env });

async function snapshot(): Promise<unknown> {
  const tables = await db.sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`;
  const rows = await db.sql`select version, status, checksum from schema_migrations order by version`;
  const history = await db.sql`select count(*)::int as n from migration_history`;
  return { tables: tables.map((t) => t.table_name), rows: rows.map((r) => ({ ...r })), history: history[0].n };
}

/** A refusal: exit 1, status refused, one plain sentence, no connection attempted. */
function expectRefused(r: ActionRunResult, mentions: string | RegExp): string {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(1);
  expect(r.outputs.status).toBe('refused');
  // Nothing ran, and the counts say so rather than being unset.
  expect(r.outputs['applied-count']).toBe('0');
  expect(r.outputs['applied-versions']).toBe('[]');
  const errs = errors(r);
  expect(errs).toHaveLength(1);
  const message = errs[0].replace(/^::error::/, '');
  expect(message).toMatch(mentions);
  expect(message).not.toContain('%0A'); // one line
  expect(message.split(/[.!?](\s|$)/).filter((s) => s && s.trim()).length).toBeLessThanOrEqual(2); // one sentence (plus "Nothing was run.")
  expect(r.stdout).not.toMatch(/ECONNREFUSED|connect|unexpected error|    at /i);
  expect(r.annotations.filter((a) => a.startsWith('::warning'))).toEqual([]);
  return message;
}

describe('production guard', () => {
  // Backups have their own tests (backup-deploy): these are about the guard.
  const prod = { environment: 'production', backup: 'none' };

  test('a down in production without the confirm phrase is refused, changes nothing, and needs no connection', async () => {
    const up = await run({ ...prod, 'database-url': db.url });
    expect(up.outputs.status).toBe('applied');
    const before = await snapshot();
    expect(before).toMatchObject({ tables: ['migration_history', 'orders', 'schema_migrations', 'users'], history: 2 });

    for (const confirm of [undefined, 'yes', 'MIGRATE-production', 'MIGRATE-STAGING', 'MIGRATE-PRODUCTION-NOW']) {
      const r = await run({ ...prod, 'database-url': db.url, direction: 'down', ...(confirm !== undefined ? { confirm } : {}) });
      const message = expectRefused(r, /confirm/);
      expect(message).toContain('MIGRATE-PRODUCTION');
      expect(message).toContain('production');
      expect(r.stdout).not.toContain('::group::');
      expect(r.outputs['applied-count']).toBe('0');
    }
    expect(await snapshot()).toEqual(before);

    // The same refusal with a database that cannot be reached: it never tried.
    const t0 = Date.now();
    const closed = await run({ ...prod, 'database-url': CLOSED, direction: 'down' });
    expectRefused(closed, /confirm/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    // Protected environments are case-insensitive and configurable.
    expectRefused(await run({ environment: 'Production', 'database-url': CLOSED, direction: 'down' }), /MIGRATE-PRODUCTION/);
    expectRefused(await run({ environment: 'live', 'protected-environments': 'production, live', 'database-url': CLOSED, direction: 'down', confirm: 'MIGRATE-PRODUCTION' }), /MIGRATE-LIVE/);
    // No issue is opened for a refusal by the guard.
    expect(gh.issues).toHaveLength(0);
  });

  test('with confirm MIGRATE-PRODUCTION it rolls back one migration, with the plan on record first', async () => {
    expect((await run({ ...prod, 'database-url': db.url })).outputs.status).toBe('applied');
    const r = await run({ ...prod, 'database-url': db.url, direction: 'down', confirm: 'MIGRATE-PRODUCTION' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('rolled-back');
    expect(r.outputs['applied-count']).toBe('1');
    expect(r.outputs['applied-versions']).toBe('["2"]');
    expect(r.outputs['current-version']).toBe('1');
    expect(await snapshot()).toMatchObject({ tables: ['migration_history', 'schema_migrations', 'users'], rows: [{ version: '1', status: 'applied' }] });
    // The plan is in the log and the summary before the migration ran.
    const planAt = r.stdout.indexOf('Plan for protected environment production');
    const groupAt = r.stdout.indexOf('::group::↓ 2 orders (1/1)');
    expect(planAt).toBeGreaterThanOrEqual(0);
    expect(groupAt).toBeGreaterThan(planAt);
    expect(r.stdout.slice(planAt, groupAt)).toContain('DROP TABLE orders;');
    const summaryPlan = r.summary.indexOf('## pgshift plan (production)');
    const summaryRun = r.summary.indexOf('## pgshift down');
    expect(summaryPlan).toBeGreaterThanOrEqual(0);
    expect(summaryRun).toBeGreaterThan(summaryPlan);
    expect(r.summary.slice(summaryPlan, summaryRun)).toContain('1 migration to roll back');
    expect(r.summary.slice(summaryPlan, summaryRun)).toContain('DROP TABLE orders;');
    expect(r.summary.slice(summaryRun)).toMatch(/\| `2` \| orders \| ✅ rolled-back \|/);
  });

  test('an up in production also puts the plan on record before applying; a dry-run down needs no confirm', async () => {
    const r = await run({ ...prod, 'database-url': db.url });
    expect(r.code).toBe(0);
    const planAt = r.stdout.indexOf('Plan for protected environment production');
    expect(planAt).toBeGreaterThanOrEqual(0);
    expect(r.stdout.indexOf('::group::↑ 1 users (1/2)')).toBeGreaterThan(planAt);
    expect(r.summary.indexOf('## pgshift plan (production)')).toBeGreaterThanOrEqual(0);
    expect(r.summary.indexOf('## pgshift up')).toBeGreaterThan(r.summary.indexOf('## pgshift plan (production)'));

    const dry = await run({ ...prod, 'database-url': db.url, direction: 'down', 'dry-run': 'true' });
    expect(dry.code).toBe(0);
    expect(dry.outputs.status).toBe('planned');
    expect(dry.summary).toContain('DROP TABLE orders;');
    expect((await snapshot()) as { tables: string[] }).toMatchObject({ tables: ['migration_history', 'orders', 'schema_migrations', 'users'] });
    // Outside protected environments a down needs no phrase.
    const staging = await run({ environment: 'staging', 'database-url': db.url, direction: 'down' });
    expect(staging.outputs.status).toBe('rolled-back');
    expect(staging.stdout).not.toContain('Plan for protected environment');
  });
});

describe('inputs are checked before any connection', () => {
  test.each([
    ['direction sideways', { direction: 'sideways' }, /^input direction must be "up" or "down", not "sideways"\.$/],
    ['steps -1', { steps: '-1' }, /^input steps must be .*"-1"\.$/],
    ['steps abc', { steps: 'abc' }, /^input steps must be .*"abc"\.$/],
    ['steps 0', { steps: '0' }, /^input steps must be at least 1/],
    ['unknown target-version', { 'target-version': '999' }, /^input target-version "999" matches no migration in migrations/],
    ['target-version that is no version', { 'target-version': 'latest' }, /^input target-version "latest" is not a version/],
    ['missing migrations-dir', { 'migrations-dir': 'db/nope' }, /^migrations directory "db\/nope" does not exist .*migrations-dir input/],
    ['dry-run maybe', { 'dry-run': 'maybe' }, /^input dry-run must be true or false, not "maybe"\.$/],
    ['lock-timeout soon', { 'lock-timeout': 'soon' }, /^input lock-timeout soon is not a duration/],
  ])('%s', async (_name, inputs, message) => {
    const t0 = Date.now();
    const r = await run({ 'database-url': CLOSED, ...inputs });
    expectRefused(r, message);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.outputs['plan-file']).toBeUndefined();
    expect(gh.requests).toEqual([]);
  });

  test('down to target-version 0 is a valid input: it rolls back everything', async () => {
    expect((await run({ environment: 'staging', 'database-url': db.url })).outputs.status).toBe('applied');
    const r = await run({ environment: 'staging', 'database-url': db.url, direction: 'down', 'target-version': '0' });
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('rolled-back');
    expect(JSON.parse(r.outputs['applied-versions'])).toEqual(['2', '1']);
    expect(r.outputs['current-version']).toBe('');
    expect(await snapshot()).toMatchObject({ tables: ['migration_history', 'schema_migrations'], rows: [] });
  });
});
