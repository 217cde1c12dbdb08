// Issue 9: redact first, cut after; every password source is redacted (PGPASSWORD, ?password=,
// .pgpass); and the words after a failure are true for the direction that failed, with a final tally.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAction, startActionFixture, stopActionFixture } from './helpers/action';
import { createDatabase, runCli, tempDir, writeMigrations, type TestDatabase } from './helpers/db';
import type { FakeGitHub } from './helpers/github-server';
import { dbmate, migrationsDir } from './helpers/pgshift';

const PASSWORD = 'Zq9xW3vT7kLp2R';

/** A login role of our own with a distinctive password; its URL with and without the password. */
async function role(db: TestDatabase): Promise<{ name: string; url: string; bare: URL; drop: () => Promise<void> }> {
  const name = `pgshift_pw_${process.pid}_${Date.now().toString(36)}`;
  await db.sql.unsafe(`create role ${name} login password '${PASSWORD}' superuser`);
  const u = new URL(db.url);
  u.username = name;
  u.password = PASSWORD;
  const bare = new URL(u.toString());
  bare.password = '';
  return { name, url: u.toString(), bare, drop: () => db.sql.unsafe(`drop owned by ${name}; drop role if exists ${name}`).then(() => undefined) };
}

describe('redact first, cut after', () => {
  let db: TestDatabase;
  let gh: FakeGitHub;
  let workspace: string;
  beforeEach(async () => {
    ({ db, gh, workspace } = await startActionFixture({}));
  });
  afterEach(async () => {
    await stopActionFixture({ db, gh, workspace });
  });

  test('a PR comment cut to fit GitHub keeps no piece of a password that straddled the cut', async () => {
    const r = await role(db);
    try {
      // Twelve long one-line comments made of the password, each shifted by one character: wherever the
      // even cut falls, some block is cut inside a password (12 consecutive phases of a 15-char period).
      const files: Record<string, string> = {};
      for (let i = 0; i < 12; i++) files[`${i + 1}_m${i}.sql`] = `-- ${'.'.repeat(i)}${`${PASSWORD} `.repeat(1500)}\nSELECT ${i};\n`;
      writeMigrations(join(workspace, 'migrations'), files);
      const run = await runAction({
        inputs: { 'database-url': r.url, 'dry-run': 'true', 'github-token': 't0ken' },
        eventName: 'pull_request',
        event: { pull_request: { number: 7 }, number: 7 },
        apiUrl: gh.url,
        workspace,
      });
      expect(run.code).toBe(0);
      expect(gh.comments).toHaveLength(1);
      const body = gh.comments[0].body;
      expect(body).toContain('cut here');
      expect(body).toContain('***');
      for (let n = 4; n <= PASSWORD.length; n++) expect([n, body.includes(PASSWORD.slice(0, n))]).toEqual([n, false]);
      expect(run.summary).not.toContain(PASSWORD.slice(0, 6));
    } finally {
      await r.drop();
    }
  });
});

describe('every password source is redacted', () => {
  let db: TestDatabase;
  let r: Awaited<ReturnType<typeof role>>;
  beforeEach(async () => {
    db = await createDatabase();
    r = await role(db);
  });
  afterEach(async () => {
    await r.drop();
    await db.drop();
  });

  /** A migration whose error message repeats the password, so a leak would show in the report. */
  const leaky = () => migrationsDir({ '1_ok.sql': dbmate('CREATE TABLE ok (id int);'), '2_leak.sql': dbmate(`SELECT '${PASSWORD}'::int;`) });

  test('PGPASSWORD: used to connect, and redacted from the failure report', async () => {
    const run = await runCli(['up', '--dir', leaky(), '--database-url', r.bare.toString()], { env: { PGPASSWORD: PASSWORD } });
    expect(run.code).toBe(1); // it connected: the second migration failed, as written
    expect(run.stderr).toContain('invalid input syntax for type integer');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    expect(run.stderr).toContain('"***"');
  });

  test('?password= in the URL is used (libpq spelling), and redacted', async () => {
    const url = new URL(r.bare.toString());
    url.searchParams.set('password', PASSWORD);
    const run = await runCli(['up', '--dir', leaky(), '--database-url', url.toString()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('invalid input syntax for type integer');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  test('.pgpass (0600) supplies the password as libpq reads it; one that others can read is ignored with a warning', async () => {
    const home = tempDir('pgshift-home-');
    const pgpass = join(home, '.pgpass');
    const db = decodeURIComponent(r.bare.pathname.slice(1));
    writeFileSync(pgpass, `# comment\notherhost:*:*:*:nope\n${r.bare.hostname}:${r.bare.port}:${db}:${r.name}:${PASSWORD}\n`);
    chmodSync(pgpass, 0o600);
    const run = await runCli(['up', '--dir', leaky(), '--database-url', r.bare.toString()], { env: { HOME: home, PGPASSWORD: undefined } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('invalid input syntax for type integer');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);

    chmodSync(pgpass, 0o644);
    const open = await runCli(['status', '--dir', leaky(), '--database-url', r.bare.toString(), '--connect-timeout', '1s'], { env: { HOME: home, PGPASSWORD: undefined } });
    expect(open.stderr).toContain('can be read by other users, so it is ignored');
    expect(open.code).toBe(2);
    expect(open.stdout + open.stderr).not.toContain(PASSWORD);
  });
});

describe('words that are true after a failure', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  test('a failed up ends with what was applied, what failed and what never ran', async () => {
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);'), '2_b.sql': dbmate('SELECT nope;'), '3_c.sql': dbmate('CREATE TABLE c (id int);') });
    const run = await runCli(['up', '--dir', dir, '--database-url', db.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('The migration was rolled back: nothing of it remains.');
    expect(run.stderr.trim().split('\n').at(-1)).toBe('1 applied (1 a); failed: 2 b; not run: 3 c.');
  });

  test('a failed down says the migration is still applied, not that nothing of it remains', async () => {
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);', 'DROP TABLE nope;'), '2_b.sql': dbmate('CREATE TABLE b (id int);', 'DROP TABLE b;') });
    expect((await runCli(['up', '--dir', dir, '--database-url', db.url])).code).toBe(0);
    const run = await runCli(['down', '--steps', '2', '--dir', dir, '--database-url', db.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain('nothing of it remains');
    expect(run.stderr).toContain('The failed rollback was undone: migration 1 is still applied');
    expect(run.stderr.trim().split('\n').at(-1)).toBe('1 rolled back (2 b); failed: 1 a; nothing left unrun.');
    const rows = await db.sql`select version from schema_migrations order by version`;
    expect(rows.map((x) => x.version)).toEqual(['1']);
  });

  test('the step summary lists the migrations that never ran and links the issue; the issue tells how to recover a failed down', async () => {
    const gh = await import('./helpers/github-server').then((m) => new m.FakeGitHub().start());
    const workspace = tempDir();
    try {
      writeMigrations(join(workspace, 'migrations'), {
        '1_a.sql': dbmate('CREATE TABLE a (id int);', 'DROP TABLE nope;'),
        '2_b.sql': dbmate('SELECT nope;'),
        '3_c.sql': dbmate('CREATE TABLE c (id int);'),
      });
      const up = await runAction({ inputs: { 'database-url': db.url, environment: 'staging', 'github-token': 't0ken' }, apiUrl: gh.url, workspace });
      expect(up.outputs.status).toBe('failed');
      expect(up.summary).toMatch(/\| `3` \| c \| ⏸️ not run \|/);
      expect(up.summary).toContain('1 applied (1 a); failed: 2 b; not run: 3 c.');
      expect(gh.issues).toHaveLength(1);
      expect(up.summary).toContain(`Tracked in [issue #${gh.issues[0].number}](${gh.issues[0].html_url})`);

      writeMigrations(join(workspace, 'migrations'), { '2_b.sql': dbmate('SELECT 1;', 'SELECT 1;'), '3_c.sql': dbmate('CREATE TABLE c (id int);', 'DROP TABLE c;') });
      // (the fixed 2_b never ran, so it may be edited; the up then succeeds and closes the issue)
      expect((await runAction({ inputs: { 'database-url': db.url, environment: 'staging', 'github-token': 't0ken' }, apiUrl: gh.url, workspace })).outputs.status).toBe('applied');
      const down = await runAction({ inputs: { 'database-url': db.url, environment: 'staging', 'github-token': 't0ken', direction: 'down', 'target-version': '0' }, apiUrl: gh.url, workspace });
      expect(down.outputs.status).toBe('failed');
      const issue = gh.issues.find((i) => i.state === 'open')!;
      expect(issue.body).toContain('the rollback was undone: the migration is **still applied**');
      expect(issue.body).toContain('The failed rollback was undone: `1` is still applied');
      expect(issue.body).not.toContain('nothing of this migration remains');
    } finally {
      await gh.stop();
    }
  });
});
