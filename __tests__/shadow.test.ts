// verify, dump and drift on a shadow database. The test server serves as the target (a database per
// test) and as the shadow server (pgshift makes pgshift_shadow_<random> on it and drops it). Real
// Postgres, the built CLI and action bundles.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import postgres from 'postgres';
import { adminUrl, createDatabase, ROOT, type TestDatabase } from './helpers/db';
import { runAction, startActionFixture, stopActionFixture, type ActionFixture } from './helpers/action';
import { dbmate, migrationsDir, pgshift, waitFor } from './helpers/pgshift';

const SHADOW = () => adminUrl();

/** Databases named pgshift_shadow_% on the test server. */
async function shadows(): Promise<string[]> {
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  try {
    return (await admin<{ datname: string }[]>`select datname from pg_database where datname like 'pgshift\\_shadow\\_%'`).map((r) => r.datname);
  } finally {
    await admin.end();
  }
}

const USERS = dbmate('CREATE TABLE users (id int primary key, email text);', 'DROP TABLE users;');

let db: TestDatabase;
let dirs: string[] = [];
const dirOf = (files: Record<string, string>) => {
  const d = migrationsDir(files);
  dirs.push(d);
  return d;
};
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
  for (const d of dirs) rmSync(dirname(d), { recursive: true, force: true });
  dirs = [];
});

const verify = (dir: string, extra: string[] = []) => pgshift(['verify', '--shadow-url', SHADOW(), ...extra], dir, db);

describe('pgshift verify', () => {
  test('each migration: verified, no-down; a failure at runtime names file:line and skips the rest; the shadow is dropped', async () => {
    const dir = dirOf({
      '1_users.sql': USERS,
      '2_seed.sql': "INSERT INTO users VALUES (1, 'a@b');\n",
      '3_bad.sql': dbmate('ALTER TABLE users ADD COLUMN name text;\nUPDATE users SET name = nickname;', 'ALTER TABLE users DROP COLUMN name;'),
      '4_later.sql': dbmate('CREATE TABLE later (id int);', 'DROP TABLE later;'),
    });
    const r = await verify(dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✓ 1 users: verified');
    expect(r.stdout).toContain('– 2 seed: no-down');
    expect(r.stdout).toMatch(/✗ 3 bad: up-failed — its up failed at \S*3_bad\.sql:3:\d+: column "nickname" does not exist/);
    expect(r.stdout).toContain('· 4 later: skipped — not run (after 3 failed)');
    expect(r.stdout).toContain('1 of 4 migrations verified; 3 not');
    expect(await shadows()).toEqual([]);
    // Nothing was applied to the target.
    expect((await db.sql`select to_regclass('public.users') is null as none`)[0].none).toBe(true);
  });

  test('a down that forgets an index, and one that drops a column the up did not add: down-mismatch naming the object', async () => {
    const forgets = await verify(dirOf({ '1_users.sql': USERS, '2_idx.sql': dbmate('CREATE INDEX users_email_idx ON users (email);', 'SELECT 1;') }));
    expect(forgets.code).toBe(1);
    expect(forgets.stdout).toContain('✗ 2 idx: down-mismatch — its down does not restore the schema (1 difference)');
    expect(forgets.stdout).toContain('- index users_email_idx: left behind by the down');

    const tooMuch = await verify(
      dirOf({ '1_users.sql': USERS, '2_col.sql': dbmate('ALTER TABLE users ADD COLUMN name text;', 'ALTER TABLE users DROP COLUMN name;\nALTER TABLE users DROP COLUMN email;') }),
    );
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.stdout).toContain('- column users.email: removed by the down but not added by the up');
  });

  test('a down that fails, and an up that cannot run again after its down', async () => {
    const failing = await verify(dirOf({ '1_users.sql': USERS, '2_t.sql': dbmate('CREATE TABLE t (id int);', 'DROP TABLE nope;') }));
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/✗ 2 t: down-failed — its down failed at \S*2_t\.sql:5:\d+: table "nope" does not exist/);

    const once = await verify(dirOf({ '1_users.sql': USERS, '2_row.sql': dbmate("INSERT INTO users VALUES (1, 'a@b');", 'SELECT 1;') }));
    expect(once.code).toBe(1);
    expect(once.stdout).toMatch(/✗ 2 row: reapply-failed — it does not run again after its down at \S*2_row\.sql:2:\d+: duplicate key value/);
  });

  test('with a target, what it has is applied first and only the pending ones are verified; --json', async () => {
    const dir = dirOf({ '1_users.sql': USERS, '2_t.sql': dbmate('CREATE TABLE t (id int);', 'DROP TABLE t;') });
    expect((await pgshift(['up', '--target', '1'], dir, db)).code).toBe(0);
    const r = await verify(dir, ['--json']);
    expect(r.code).toBe(0);
    const proof = JSON.parse(r.stdout);
    expect(proof.verdicts.map((v: { version: string; verdict: string }) => [v.version, v.verdict])).toEqual([['2', 'verified']]);
    expect(proof.changes.map((d: { kind: string; object: string; change: string }) => [d.kind, d.object, d.change])).toEqual([['table', 't', 'only-in-b']]);
  });

  test('every example migration is verified', async () => {
    const r = await pgshift(['verify', '--shadow-url', SHADOW(), '--allow-no-down'], join(ROOT, 'migrations-example'), db, [], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/down-mismatch|failed|skipped/);
  }, 120_000);

  test('refuses a shadow URL that is the target database, and without one says what to pass', async () => {
    const dir = dirOf({ '1_users.sql': USERS });
    const same = await pgshift(['verify', '--shadow-url', db.url], dir, db);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('the shadow database URL points at the target database itself');
    const none = await pgshift(['verify'], dir, db);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no shadow database given: pass --shadow-url');
  });

  test('SIGINT in the middle of verify: exit non-zero, and the shadow database is gone', async () => {
    const dir = dirOf({ '1_users.sql': USERS, '2_slow.sql': dbmate('SELECT pg_sleep(30);', 'SELECT 1;') });
    let child!: ChildProcess;
    const run = pgshift(['verify', '--shadow-url', SHADOW()], dir, db, [], { onSpawn: (c) => (child = c), timeoutMs: 40_000 });
    const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
    try {
      await waitFor(
        'the shadow migration to sleep',
        async () => (await admin`select 1 from pg_stat_activity where query like '%pg_sleep(30)%' and datname like 'pgshift\\_shadow\\_%' and pid <> pg_backend_pid()`).length > 0,
        20_000,
      );
    } finally {
      await admin.end();
    }
    expect(await shadows()).toHaveLength(1);
    child.kill('SIGINT');
    const r = await run;
    expect(r.code).not.toBe(0);
    expect(await shadows()).toEqual([]);
  }, 60_000);
});

describe('pgshift dump and drift', () => {
  const TRIGGERED = {
    '1_users.sql': USERS,
    '2_more.sql': dbmate(
      `CREATE INDEX users_email_idx ON users (email);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_self ON users USING (id > 0);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();`,
      'DROP TRIGGER users_touch ON users; DROP FUNCTION touch(); DROP POLICY users_self ON users; ALTER TABLE users DISABLE ROW LEVEL SECURITY; DROP INDEX users_email_idx;',
    ),
  };

  test('dump of the target and dump --from-migrations give the same bytes', async () => {
    const dir = dirOf(TRIGGERED);
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    const live = await pgshift(['dump'], dir, db);
    expect(live.code).toBe(0);
    expect(live.stdout).toContain('CREATE TABLE public.users (');
    expect(live.stdout).not.toContain('schema_migrations');
    const fromMigrations = await pgshift(['dump', '--from-migrations', '--shadow-url', SHADOW()], dir, db);
    expect(fromMigrations.code).toBe(0);
    expect(fromMigrations.stdout).toBe(live.stdout);
  });

  test('no drift on a target built from the migrations; hand-made changes are each named (exit 1)', async () => {
    const dir = dirOf(TRIGGERED);
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    const clean = await pgshift(['drift', '--shadow-url', SHADOW()], dir, db);
    expect(clean.stdout).toContain('No drift: the database matches what its applied migrations (up to 2) produce.');
    expect(clean.code).toBe(0);

    await db.sql.unsafe(`CREATE INDEX by_hand ON users (id, email);
      ALTER TABLE users ALTER COLUMN email TYPE varchar(200);
      ALTER TABLE users DISABLE TRIGGER users_touch;
      DROP POLICY users_self ON users;`);
    const drifted = await pgshift(['drift', '--shadow-url', SHADOW()], dir, db);
    expect(drifted.code).toBe(1);
    for (const line of [
      '- index by_hand: not made by the migrations',
      '- column users.email: type text → character varying(200)',
      '- trigger users_touch on users: enabled → disabled',
      '- policy users_self on users: missing',
    ])
      expect(drifted.stdout).toContain(line);
    expect(await shadows()).toEqual([]);
  });
});

describe('pgshift baseline with a shadow database', () => {
  test('is proven first: a live schema that matches is baselined; one that does not is refused with the differences, nothing written', async () => {
    const dir = dirOf({ '1_users.sql': USERS, '2_t.sql': dbmate('CREATE TABLE t (id int);', 'DROP TABLE t;') });
    await db.sql.unsafe('CREATE TABLE users (id int primary key, email text)');
    const refused = await pgshift(['baseline', '2', '--shadow-url', SHADOW()], dir, db);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the live schema is not what the migrations up to 2 produce on a shadow database (1 difference)');
    expect(refused.stderr).toContain('- table t: missing');
    expect((await db.sql`select to_regclass('public.schema_migrations') is null as none`)[0].none).toBe(true);

    const proven = await pgshift(['baseline', '1', '--shadow-url', SHADOW()], dir, db);
    expect(proven.code).toBe(0);
    expect(proven.stdout).toContain('Proven: replaying the migrations up to 1 on a shadow database gives the live schema.');
    expect(await shadows()).toEqual([]);
  });
});

describe('the action with shadow-database-url', () => {
  let f: ActionFixture;
  afterEach(async () => {
    await stopActionFixture(f);
  });

  test('a dry run verifies the pending migrations: outputs verified and schema-changes; a failed verification fails the check', async () => {
    f = await startActionFixture({ '1_users.sql': USERS, '2_idx.sql': dbmate('CREATE INDEX users_email_idx ON users (email);', 'DROP INDEX users_email_idx;') });
    const inputs = { 'database-url': f.db.url, 'dry-run': 'true', 'shadow-database-url': SHADOW(), 'github-token': 't0ken' };
    const ok = await runAction({ inputs, eventName: 'pull_request', event: { pull_request: { number: 9, head: { sha: 'a'.repeat(40) } }, number: 9 }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(ok.outputs.status).toBe('planned');
    // The PR comment shows what the shadow proved: the schema changes, the ER diagram, a Verified column.
    const comment = f.gh.comments.find((c) => c.body.includes('<!-- pgshift:plan'))!.body;
    expect(comment).toContain('### Schema changes');
    expect(comment).toContain('```mermaid');
    expect(comment).toContain('erDiagram');
    expect(comment).toMatch(/\| Verified \|/);
    expect(comment).toContain('✅');
    expect(ok.outputs.verified).toBe('true');
    // A new table carries its index: one change, not two.
    expect(JSON.parse(ok.outputs['schema-changes'])).toEqual([{ kind: 'table', object: 'users', change: 'added', details: [] }]);
    // Only the mask command itself carries it.
    expect(
      (ok.stdout + ok.stderr)
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain(new URL(SHADOW()).password);

    const bad = { ...inputs };
    await stopActionFixture(f);
    f = await startActionFixture({ '1_users.sql': USERS, '2_idx.sql': dbmate('CREATE INDEX users_email_idx ON users (email);', 'SELECT 1;') });
    bad['database-url'] = f.db.url;
    const refused = await runAction({ inputs: bad, apiUrl: f.gh.url, workspace: f.workspace });
    expect(refused.outputs.status).toBe('refused');
    expect(refused.outputs.verified).toBe('false');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain('the shadow database did not verify a migration');
    expect(await shadows()).toEqual([]);
  });

  test('production: drift is checked before applying (output drift), fail-on-drift refuses; schema-file is written, and a stale one is a finding', async () => {
    f = await startActionFixture({ '1_users.sql': USERS });
    const schemaFile = join(f.workspace, 'db-schema.sql');
    const deployInputs = { 'database-url': f.db.url, environment: 'production', backup: 'none', 'shadow-database-url': SHADOW(), 'schema-file': 'db-schema.sql' };
    const first = await runAction({ inputs: deployInputs, apiUrl: f.gh.url, workspace: f.workspace });
    expect(first.outputs.status).toBe('applied');
    expect(first.outputs.drift).toBe('false');
    expect(first.outputs['schema-file']).toBe(schemaFile);
    expect(readFileSync(schemaFile, 'utf8')).toContain('CREATE TABLE public.users (');

    await f.db.sql.unsafe('CREATE INDEX by_hand ON users (email)');
    writeFileSync(join(f.workspace, 'migrations', '2_t.sql'), dbmate('CREATE TABLE t (id int);', 'DROP TABLE t;'));
    const refused = await runAction({ inputs: { ...deployInputs, 'fail-on-drift': 'true' }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(refused.outputs.status).toBe('refused');
    expect(refused.outputs.drift).toBe('true');
    expect(refused.stdout).toContain('drift in production: index by_hand: not made by the migrations');
    expect(refused.stdout).toContain('has drifted from its migrations (1 difference');
    expect(refused.stdout).toContain('fail-on-drift');
    expect(refused.summary).toContain('⚠️ **Schema drift in `production`**');
    expect(refused.summary).toContain('- index by_hand: not made by the migrations');
    expect((await f.db.sql`select to_regclass('public.t') is null as none`)[0].none).toBe(true);

    // The committed schema file predates 2_t: a dry run with a shadow says it is stale.
    const dry = await runAction({ inputs: { 'database-url': f.db.url, 'dry-run': 'true', 'shadow-database-url': SHADOW(), 'schema-file': 'db-schema.sql' }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(dry.stdout).toContain('db-schema.sql is stale: it is not the schema the migrations produce');
    expect(await shadows()).toEqual([]);
  });

  test('drift-only (the scheduled check): drift opens "Schema drift in production" with each difference; once gone, the issue is closed', async () => {
    f = await startActionFixture({ '1_users.sql': USERS });
    const deployed = await runAction({ inputs: { 'database-url': f.db.url }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(deployed.outputs.status).toBe('applied');
    await f.db.sql.unsafe('CREATE INDEX by_hand ON users (email)');
    const inputs = { 'database-url': f.db.url, environment: 'production', 'drift-only': 'true', 'shadow-database-url': SHADOW(), 'github-token': 't0ken' };
    const found = await runAction({ inputs, eventName: 'schedule', apiUrl: f.gh.url, workspace: f.workspace });
    expect(found.code).not.toBe(0);
    expect(found.outputs.drift).toBe('true');
    expect(f.gh.issues).toHaveLength(1);
    expect(f.gh.issues[0].title).toBe('Schema drift in production');
    expect(f.gh.issues[0].body).toContain('- index by_hand: not made by the migrations');
    expect(found.summary).toContain('## pgshift drift');

    await f.db.sql.unsafe('DROP INDEX by_hand');
    const clean = await runAction({ inputs, eventName: 'schedule', apiUrl: f.gh.url, workspace: f.workspace });
    expect(clean.code).toBe(0);
    expect(clean.outputs.drift).toBe('false');
    expect(f.gh.issues[0].state).toBe('closed');
    expect(await shadows()).toEqual([]);
  });
});
