// The CLI refuses exactly as the action does: the protected-environment guard, the safety policy in
// production, --policy additive-only and --fail-on-lint, through the built CLI on a real Postgres.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { createDatabase, writeMigrations, type CliRun, type TestDatabase } from './helpers/db';
import { dbmate, migrationRows, migrationsDir, pgshift, tableExists } from './helpers/pgshift';

/** Nothing listens on port 9: a connection attempt would fail (and retry) rather than refuse at once. */
const CLOSED = 'postgres://u:closed-pw@127.0.0.1:9/x';

let db: TestDatabase;
let dir: string;
beforeEach(async () => {
  db = await createDatabase();
  dir = migrationsDir({ '1_users.sql': USERS });
});
afterEach(async () => {
  await db.drop();
  rmSync(dirname(dir), { recursive: true, force: true });
});

const USERS = dbmate('CREATE TABLE users (id int primary key, email text);', 'DROP TABLE users;');
// DROP TABLE on line 2.
const DROP_USERS = dbmate('DROP TABLE users;', 'CREATE TABLE users (id int primary key, email text);');
// An error-level, non-destructive finding (add-column-not-null-without-default) on line 2.
const ADD_NOT_NULL = dbmate('ALTER TABLE users ADD COLUMN plan text NOT NULL;', 'ALTER TABLE users DROP COLUMN plan;');

const applied = async () => (await migrationRows(db.sql)).filter((r) => r.status === 'applied').map((r) => r.version);
/** The last "pgshift: …" paragraph of stderr (the reason the command stopped). */
const reason = (r: CliRun) => r.stderr.slice(r.stderr.lastIndexOf('pgshift: '));

function expectOk(r: CliRun): void {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
}

async function applyUsers(env: string): Promise<void> {
  expectOk(await pgshift(['up', '--env', env, '--backup', 'none'], dir, db));
  expect(await applied()).toEqual(['1']);
}

describe('the safety policy', () => {
  test('up --env production refuses a pending DROP TABLE (exit 3, the finding and file:line), --allow-destructive runs it', async () => {
    await applyUsers('production');
    writeMigrations(dir, { '2_drop_users.sql': DROP_USERS });

    const refused = await pgshift(['up', '--env', 'production'], dir, db);
    expect(refused.code).toBe(3);
    expect(reason(refused)).toContain('drop-table');
    expect(reason(refused)).toMatch(/2_drop_users\.sql:2\b/);
    expect(reason(refused)).toContain('refused');
    // The plan was on record before the refusal.
    expect(refused.stdout).toContain('Plan for protected environment');
    expect(refused.stdout).toContain('DROP TABLE users');
    expect(refused.stdout).not.toContain('Applied');
    expect(await tableExists(db.sql, 'users')).toBe(true);
    expect(await applied()).toEqual(['1']);
    expect((await migrationRows(db.sql)).map((r) => r.version)).toEqual(['1']);

    const allowed = await pgshift(['up', '--env', 'production', '--allow-destructive', '--backup', 'none'], dir, db);
    expectOk(allowed);
    expect(allowed.stdout).toContain('Applied 1 migration');
    expect(await tableExists(db.sql, 'users')).toBe(false);
    expect(await applied()).toEqual(['1', '2']);
  });

  test('--policy additive-only refuses a destructive up in staging (exit 3); without it staging runs it', async () => {
    await applyUsers('staging');
    writeMigrations(dir, { '2_drop_users.sql': DROP_USERS });

    const refused = await pgshift(['up', '--env', 'staging', '--policy', 'additive-only'], dir, db);
    expect(refused.code).toBe(3);
    expect(reason(refused)).toContain('drop-table');
    expect(reason(refused)).toMatch(/2_drop_users\.sql:2\b/);
    expect(await tableExists(db.sql, 'users')).toBe(true);
    expect(await applied()).toEqual(['1']);

    expectOk(await pgshift(['up', '--env', 'staging'], dir, db));
    expect(await tableExists(db.sql, 'users')).toBe(false);
    expect(await applied()).toEqual(['1', '2']);
  });

  test('--fail-on-lint refuses an error-level non-destructive finding in staging (exit 3); without it staging runs it', async () => {
    await applyUsers('staging');
    writeMigrations(dir, { '2_plan.sql': ADD_NOT_NULL });

    const refused = await pgshift(['up', '--env', 'staging', '--fail-on-lint'], dir, db);
    expect(refused.code).toBe(3);
    expect(reason(refused)).toContain('add-column-not-null-without-default');
    expect(reason(refused)).toMatch(/2_plan\.sql:2\b/);
    expect(await applied()).toEqual(['1']);

    expectOk(await pgshift(['up', '--env', 'staging'], dir, db));
    expect(await applied()).toEqual(['1', '2']);
  });
});

describe('the protected-environment guard', () => {
  test('down --env production needs --confirm MIGRATE-PRODUCTION (exit 3, nothing rolled back, no connection); with it, rolls back', async () => {
    await applyUsers('production');

    for (const extra of [[], ['--confirm', 'yes'], ['--confirm', 'MIGRATE-STAGING']]) {
      const refused = await pgshift(['down', '--env', 'production', ...extra], dir, db);
      expect(refused.code).toBe(3);
      expect(reason(refused)).toContain('--confirm');
      expect(reason(refused)).toContain('MIGRATE-PRODUCTION');
      expect(refused.stdout).not.toContain('Rolled back');
    }
    expect(await applied()).toEqual(['1']);
    expect(await tableExists(db.sql, 'users')).toBe(true);

    // Refused before connecting: a closed port makes no difference, and no retry is reported.
    const started = Date.now();
    const closed = await pgshift(['down', '--env', 'production'], dir, CLOSED);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(closed.code).toBe(3);
    expect(closed.stderr).not.toContain('cannot connect');
    expect(reason(closed)).toContain('MIGRATE-PRODUCTION');

    const confirmed = await pgshift(['down', '--env', 'production', '--confirm', 'MIGRATE-PRODUCTION', '--backup', 'none'], dir, db);
    expectOk(confirmed);
    expect(confirmed.stdout).toContain('Rolled back 1 migration');
    expect(await applied()).toEqual([]);
    expect(await tableExists(db.sql, 'users')).toBe(false);
  });

  test('--protected-environments live --env live: the same guard with MIGRATE-LIVE', async () => {
    await applyUsers('live');
    const args = ['down', '--env', 'live', '--protected-environments', 'live', '--backup', 'none'];

    const refused = await pgshift(args, dir, db);
    expect(refused.code).toBe(3);
    expect(reason(refused)).toContain('--confirm');
    expect(reason(refused)).toContain('MIGRATE-LIVE');
    // MIGRATE-PRODUCTION is not the phrase for live.
    const wrong = await pgshift([...args, '--confirm', 'MIGRATE-PRODUCTION'], dir, db);
    expect(wrong.code).toBe(3);
    expect(reason(wrong)).toContain('MIGRATE-LIVE');
    expect(await applied()).toEqual(['1']);

    // production is no longer protected once the list is "live": its down needs no phrase.
    // (Checked on the plan only, read-only, so that the database keeps version 1 for the next step.)
    const prodPlan = await pgshift(['plan', 'down', '--env', 'production', '--protected-environments', 'live'], dir, db);
    expect(prodPlan.code).toBe(0);

    const confirmed = await pgshift([...args, '--confirm', 'MIGRATE-LIVE'], dir, db);
    expectOk(confirmed);
    expect(await applied()).toEqual([]);
    expect(await tableExists(db.sql, 'users')).toBe(false);
  });
});

describe('plan', () => {
  test('plan --env production with a destructive pending migration: exit 3, the plan and the refusal; --allow-destructive: exit 0', async () => {
    await applyUsers('production');
    writeMigrations(dir, { '2_drop_users.sql': DROP_USERS });

    const refused = await pgshift(['plan', '--env', 'production'], dir, db);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain('1 migration to apply (current version 1)');
    expect(refused.stdout).toContain('DROP TABLE users');
    expect(refused.stdout).toMatch(/Safety \(1 finding\):\n {2}✗ .*2_drop_users\.sql:2 {2}error {2}drop-table \(destructive\)/);
    expect(reason(refused)).toContain('drop-table');
    expect(reason(refused)).toMatch(/2_drop_users\.sql:2\b/);

    const allowed = await pgshift(['plan', '--env', 'production', '--allow-destructive'], dir, db);
    expectOk(allowed);
    expect(allowed.stdout).toContain('1 migration to apply (current version 1)');
    // A plan is read-only either way.
    expect(await tableExists(db.sql, 'users')).toBe(true);
    expect(await applied()).toEqual(['1']);
  });
});
