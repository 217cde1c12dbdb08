// Bad input found by fault testing (issue 9, 0a/0b): each case is refused, or reported, in a plain
// sentence naming the object and the fix, never as "unexpected error" with a stack, and never by
// doing something other than what the words say. End to end through the built CLI (and the action
// where a setting's input is concerned), on a real Postgres.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { jest } from '@jest/globals';
import { stepStatusSink } from '../src/action/sinks';
import { printError } from '../src/cli/progress';
import { UnexpectedError, type Outcome } from '../src/commands';
import { readSettings } from '../src/settings';
import { normaliseText } from '../src/files/checksum';
import { MAX_SECTION_BYTES } from '../src/sql/split';
import { runAction, startActionFixture, stopActionFixture } from './helpers/action';
import { adminUrl, CLI, createDatabase, ROOT, type CliRun, type TestDatabase } from './helpers/db';
import { cli, dirWith, sha256, userTables } from './helpers/files';

const made: string[] = [];
/** A migrations directory holding `files`, removed after the tests. */
function dir(files: Record<string, string | Buffer>): string {
  const d = dirWith(files);
  made.push(dirname(d));
  return d;
}
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

/** No stack trace and no "unexpected error": a plain message. */
function expectPlain(r: CliRun): void {
  expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
}

const UP_DOWN = (table: string) => `-- migrate:up\nCREATE TABLE ${table} (id int);\n-- migrate:down\nDROP TABLE ${table};\n`;

describe('--schema', () => {
  test('a name Postgres would cut (63 bytes; counted in bytes, not characters) is refused before connecting', async () => {
    const d = dir({ '1_a.sql': UP_DOWN('a') });
    // 32 characters, 64 bytes: under the limit in characters, over it in bytes.
    const long = 'é'.repeat(32);
    const r = await cli(['up', '--schema', long], d, db);
    expectPlain(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--schema "${long}" is 64 bytes long; Postgres keeps only the first 63 bytes of a name`);
    expect(await userTables(db.sql)).toEqual([]);
    // 63 bytes is fine.
    const fits = await cli(['up', '--schema', 'é'.repeat(31) + 'x'], d, db);
    expect(fits.code).toBe(0);
  });

  test.each([
    ['empty', '', '--schema is empty: give the schema of the tracking tables, or leave it out for public.'],
    ['pg_catalog', 'pg_catalog', '--schema pg_catalog is a system schema'],
    ['pg_toast', 'pg_toast', '--schema pg_toast is a system schema'],
    ['information_schema', 'information_schema', '--schema information_schema is a system schema'],
  ])('%s is refused with a plain message (exit 2)', async (_name, schema, message) => {
    const d = dir({ '1_a.sql': UP_DOWN('a') });
    for (const command of ['up', 'status']) {
      const r = await cli([command, '--schema', schema], d, db);
      expectPlain(r);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect(await userTables(db.sql)).toEqual([]);
  });

  test('the action refuses a tracking-schema input Postgres would cut, naming the input', async () => {
    const f = await startActionFixture();
    try {
      const r = await runAction({
        inputs: { 'github-token': 't0ken', 'database-url': f.db.url, 'tracking-schema': 's'.repeat(64) },
        eventName: 'workflow_dispatch',
        apiUrl: f.gh.url,
        workspace: f.workspace,
      });
      expect(r.code).toBe(1);
      expect(r.outputs.status).toBe('refused');
      expect(r.stdout).toContain('input tracking-schema');
      expect(r.stdout).toContain('is 64 bytes long');
      expect(r.stdout).not.toContain('unexpected error');
      expect(await userTables(f.db.sql)).toEqual([]);
    } finally {
      await stopActionFixture(f);
      rmSync(f.workspace, { recursive: true, force: true });
    }
  });
});

describe('migration files', () => {
  test('a NUL byte is refused, naming the line: Postgres would drop everything after it', async () => {
    const d = dir({ '1_nul.sql': Buffer.from('-- migrate:up\nCREATE TABLE kept (id int);\nCREATE TABLE cut (id int);\u0000\nCREATE TABLE dropped (id int);\n') });
    const r = await cli(['up'], d, db);
    expectPlain(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/1_nul\.sql:3: the file holds a NUL byte \(byte 69\): Postgres would stop reading the SQL there and drop the rest/);
    expect(await userTables(db.sql)).toEqual([]);
  });

  test('a section over the size limit is refused up front with its size, the limit and what to do (not as bad SQL)', async () => {
    const row = "INSERT INTO big VALUES (1, 'some text to make the file large');\n";
    const body = row.repeat(Math.ceil((MAX_SECTION_BYTES + 512 * 1024) / row.length));
    const d = dir({ '1_big.sql': `-- migrate:up\nCREATE TABLE big (id int, t text);\n${body}` });
    const r = await cli(['plan'], d);
    expectPlain(r);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/1_big\.sql:2:1: this section is 10\.5 MB of SQL; pgshift reads at most 10\.0 MB per section/);
    expect(r.stdout).toContain('The SQL is not wrong: split it into several migrations, and load data with COPY');
    expect(r.stdout).not.toContain('fix the SQL');
  });

  test('a symlink loop and a dangling symlink are named, not reported as a missing directory', async () => {
    const d = dir({ '1_a.sql': UP_DOWN('a') });
    symlinkSync('3_loop.sql', join(d, '2_loop.sql'));
    symlinkSync('2_loop.sql', join(d, '3_loop.sql'));
    symlinkSync('/nonexistent/4_gone.sql', join(d, '4_gone.sql'));
    const r = await cli(['plan'], d);
    expectPlain(r);
    expect(r.stderr).not.toContain('does not exist: create it');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('2_loop.sql: the file is a symbolic link that loops');
    expect(r.stdout).toContain('4_gone.sql: the file is a symbolic link to /nonexistent/4_gone.sql, which does not exist');
  });

  test('an unreadable file and an unreadable directory are named, with the fix', async () => {
    const d = dir({ '1_a.sql': UP_DOWN('a'), '2_secret.sql': UP_DOWN('b') });
    chmodSync(dirname(d), 0o755);
    chmodSync(join(d, '2_secret.sql'), 0o000);
    // As root every file is readable: run as nobody then.
    const r = await runAsUnprivileged(['plan', '--dir', d]);
    expectPlain(r);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('2_secret.sql: the file cannot be read: permission denied to the user running pgshift. Make it readable (chmod a+r');

    chmodSync(d, 0o000);
    const dirRun = await runAsUnprivileged(['plan', '--dir', d]);
    chmodSync(d, 0o755);
    expectPlain(dirRun);
    expect(dirRun.code).toBe(2);
    expect(dirRun.stderr).toContain(`migrations directory ${d} cannot be read: permission denied`);
  });

  test.each([
    // [the file's marker lines, the near miss, its right spelling]
    [['-- Migrate:Up', '-- Migrate:Down'], '-- Migrate:Up', '-- migrate:up'],
    [['--migrate: up', '-- migrate:down'], '--migrate: up', '-- migrate:up'],
    [['-- migrate:up', '-- migrate : down'], '-- migrate : down', '-- migrate:down'],
    [['-- MIGRATE:UP transaction:false', '-- migrate:down'], '-- MIGRATE:UP transaction:false', '-- migrate:up transaction:false'],
  ])('a near-miss marker (%j) is refused with the right spelling', async ([upLine, downLine], bad, right) => {
    const d = dir({ '1_m.sql': `${upLine}\nCREATE TABLE m (id int);\n${downLine}\nDROP TABLE m;\n` });
    const r = await cli(['up'], d, db);
    expectPlain(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`"${bad}" is not a section marker: markers are lower case with no space around the colon. Write "${right}"`);
    expect(await userTables(db.sql)).toEqual([]);
  });

  test('a near-miss dbmate marker in a one-direction file (pair form) is refused too', async () => {
    const d = dir({ '1_m.up.sql': 'CREATE TABLE m (id int);\n-- Migrate:Down\nDROP TABLE m;\n' });
    const r = await cli(['plan'], d);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('1_m.up.sql:2: "-- Migrate:Down" is a dbmate marker, but this file\'s name gives it one direction only');
  });

  test('CR-only line ends (classic Mac) are read like LF: the sections are found and run', async () => {
    const d = dir({ '1_mac.sql': UP_DOWN('mac').replace(/\n/g, '\r') });
    const up = await cli(['up'], d, db);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(await userTables(db.sql)).toEqual(['mac']);
    const [row] = await db.sql`select checksum from schema_migrations`;
    expect(row.checksum).toBe(sha256('CREATE TABLE mac (id int);'));
    const down = await cli(['down'], d, db);
    expect(down.code).toBe(0);
    expect(await userTables(db.sql)).toEqual([]);
  });

  test('line-end normalisation keeps the checksums of LF and CRLF files as they were', () => {
    const lf = '-- migrate:up\nCREATE TABLE t (id int);\n';
    expect(normaliseText(lf)).toBe(lf);
    expect(normaliseText(lf.replace(/\n/g, '\r\n'))).toBe(lf);
    // A stray CR in a file with LF (or CRLF) line ends was always kept: it still is.
    expect(normaliseText("SELECT 'a\rb';\n")).toBe("SELECT 'a\rb';\n");
    expect(normaliseText("SELECT 'a\rb';\r\n")).toBe("SELECT 'a\rb';\n");
    expect(normaliseText('\ufeffSELECT 1;\rSELECT 2;\r')).toBe('SELECT 1;\nSELECT 2;\n');
  });

  test('a directory named *.sql is reported, not ignored without a word', async () => {
    const d = dir({ '1_a.sql': UP_DOWN('a') });
    mkdirSync(join(d, '2_more.sql'));
    writeFileSync(join(d, '2_more.sql', 'inside.sql'), 'CREATE TABLE inside (id int);\n');
    const r = await cli(['plan'], d);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2_more.sql: a directory named like a migration file. pgshift reads only the files directly in the migrations directory, so nothing in it will run');
  });
});

describe('durations', () => {
  test.each([
    ['--lock-timeout', '0.1ms', '--lock-timeout 0.1ms is less than a millisecond, which would round to 0 (lock_timeout = 0 means no lock timeout'],
    ['--statement-timeout', '0.4ms', '--statement-timeout 0.4ms is less than a millisecond, which would round to 0 (statement_timeout = 0 means no timeout'],
    ['--lock-timeout', '0', '--lock-timeout cannot be 0: lock_timeout = 0 means no lock timeout'],
    ['--statement-timeout', '2147483648ms', "--statement-timeout 2147483648ms is more than 2147483647ms (about 24 days), Postgres's limit for statement_timeout"],
    ['--lock-timeout', '597h', "--lock-timeout 597h is more than 2147483647ms (about 24 days), Postgres's limit for lock_timeout"],
    ['--lock-wait', '7h', '--lock-wait 7h is more than 6h'],
    ['--connect-timeout', '0', '--connect-timeout cannot be 0'],
    ['--connect-timeout', '7200', '--connect-timeout 7200 is more than 1h (a bare number means seconds)'],
  ])('%s %s is refused before anything runs', async (flag, value, message) => {
    const d = dir({ '1_a.sql': UP_DOWN('a') });
    const r = await cli(['up', flag, value], d, db);
    expectPlain(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(await userTables(db.sql)).toEqual([]);
  });

  test("Postgres's own limit is accepted, and so is --lock-wait 0 (do not wait)", async () => {
    const d = dir({ '1_a.sql': UP_DOWN('a') });
    const r = await cli(['up', '--statement-timeout', '2147483647ms', '--lock-timeout', '2147483647ms', '--lock-wait', '0'], d, db);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await userTables(db.sql)).toEqual(['a']);
  });

  test('the action refuses a lock-timeout that rounds to 0, naming the input', async () => {
    const f = await startActionFixture();
    try {
      const r = await runAction({
        inputs: { 'github-token': 't0ken', 'database-url': f.db.url, 'lock-timeout': '0.1ms' },
        eventName: 'workflow_dispatch',
        apiUrl: f.gh.url,
        workspace: f.workspace,
      });
      expect(r.code).toBe(1);
      expect(r.outputs.status).toBe('refused');
      expect(r.stdout).toContain('input lock-timeout 0.1ms is less than a millisecond');
      expect(await userTables(f.db.sql)).toEqual([]);
    } finally {
      await stopActionFixture(f);
      rmSync(f.workspace, { recursive: true, force: true });
    }
  });
});

describe('the tracking tables', () => {
  let role: string;
  let roleUrl: string;
  beforeEach(async () => {
    role = `pgshift_weak_${process.pid}_${Date.now().toString(36)}`;
    await db.sql.unsafe(`create role ${role} login password 'weak-role-pw'`);
    const u = new URL(db.url);
    u.username = role;
    u.password = 'weak-role-pw';
    roleUrl = u.toString();
  });
  afterEach(async () => {
    // Roles belong to the whole server: its grants in this database go first, then the role.
    await db.sql.unsafe(`drop owned by ${role}`);
    const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop role if exists ${role}`);
    await admin.end();
  });

  /** The GRANT or ALTER a message tells the user to run, run as the owner. */
  async function runTheFix(message: string, pattern: RegExp): Promise<void> {
    const m = message.match(pattern);
    expect(m).not.toBeNull();
    await db.sql.unsafe(m![1]);
  }

  test('a role without privileges is told which table, which privilege and the GRANT to run', async () => {
    const d = dir({ '1_a.sql': UP_DOWN('a'), '2_b.sql': UP_DOWN('b') });
    expect((await cli(['up', '--target', '1'], d, db)).code).toBe(0);
    const asRole = (args: string[]) => cli(args, d, { ...db, url: roleUrl });

    const status = await asRole(['status']);
    expectPlain(status);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain(`the role ${role} may not read public.schema_migrations (permission denied)`);
    await runTheFix(status.stderr, /run: (GRANT SELECT ON public\.schema_migrations TO \w+);/);
    expect((await asRole(['status'])).code).toBe(0);

    const up = await asRole(['up']);
    expectPlain(up);
    expect(up.code).toBe(2);
    expect(up.stderr).toContain(`the role ${role} may not INSERT, UPDATE, DELETE on public.schema_migrations`);
    await runTheFix(up.stderr, /run: (GRANT INSERT, UPDATE, DELETE ON public\.schema_migrations TO \w+);/);

    const again = await asRole(['up']);
    expectPlain(again);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`the role ${role} may not INSERT into public.migration_history`);
    await runTheFix(again.stderr, /run: (GRANT INSERT ON public\.migration_history TO \w+);/);

    // With the tracking privileges (and CREATE for the migration's own table), the run goes through.
    await db.sql.unsafe(`grant create on schema public to ${role}`);
    const done = await asRole(['up']);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(await userTables(db.sql)).toEqual(['a', 'b']);
  });

  test('a role that may not use the tracking schema is told so', async () => {
    const d = dir({ '1_a.sql': UP_DOWN('a') });
    await db.sql`create schema tracking`;
    const r = await cli(['status', '--schema', 'tracking'], d, { ...db, url: roleUrl });
    expectPlain(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `the role ${role} may not use schema tracking, where the tracking tables are (permission denied). As the owner of the tracking tables or a superuser, run: GRANT USAGE ON SCHEMA tracking TO ${role};`,
    );
  });

  test('adopting dbmate\'s table as a role that does not own it says who may, not "unexpected error"', async () => {
    const d = dir({ '1_a.sql': UP_DOWN('a') });
    await db.sql.unsafe(`create table schema_migrations (version varchar primary key); grant select, insert, update, delete on schema_migrations to ${role}; grant create on schema public to ${role}`);
    const r = await cli(['up'], d, { ...db, url: roleUrl });
    expectPlain(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("must be owner of table schema_migrations. Adopting dbmate's schema_migrations alters the table, which only its owner may do");
    expect(await userTables(db.sql)).toEqual([]);
  });

  test('a tracking table missing a column (altered by hand) names the column and the ALTER that puts it back', async () => {
    const d = dir({ '1_a.sql': UP_DOWN('a'), '2_b.sql': UP_DOWN('b') });
    expect((await cli(['up', '--target', '1'], d, db)).code).toBe(0);

    await db.sql`alter table schema_migrations drop column applied_by`;
    const status = await cli(['status'], d, db);
    expectPlain(status);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('public.schema_migrations has no applied_by column (the table was altered by hand)');
    await runTheFix(status.stderr, /Put it back with: (ALTER TABLE public\.schema_migrations ADD COLUMN applied_by text);/);
    expect((await cli(['status'], d, db)).code).toBe(0);

    await db.sql`alter table migration_history drop column environment`;
    const up = await cli(['up'], d, db);
    expectPlain(up);
    expect(up.code).toBe(2);
    expect(up.stderr).toContain('public.migration_history has no environment column');
    expect(await userTables(db.sql)).toEqual(['a']);
    await runTheFix(up.stderr, /Put it back with: (ALTER TABLE public\.migration_history ADD COLUMN environment text);/);
    expect((await cli(['up'], d, db)).code).toBe(0);
    expect(await userTables(db.sql)).toEqual(['a', 'b']);
  });

  test('a row whose checksum is empty or NULL is reported by status and plan, naming the version and the fix', async () => {
    const d = dir({ '1_a.sql': UP_DOWN('a'), '2_b.sql': UP_DOWN('b'), '3_c.sql': UP_DOWN('c') });
    expect((await cli(['up', '--target', '2'], d, db)).code).toBe(0);
    await db.sql`alter table schema_migrations alter column checksum drop not null`;
    await db.sql`update schema_migrations set checksum = '' where version = '1'`;
    await db.sql`update schema_migrations set checksum = null where version = '2'`;

    const status = await cli(['status'], d, db);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/migration 1 \(a\) has no checksum in schema_migrations \(it is empty\), so pgshift cannot tell whether \S*1_a\.sql changed after it ran/);
    expect(status.stdout).toContain('migration 2 (b) has no checksum in schema_migrations (it is NULL)');
    expect(status.stdout).toContain('then record its checksum with "pgshift repair 2", giving the reason.');

    const plan = await cli(['plan'], d, db);
    // Not blocking: the pending migration is still planned.
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('migration 1 (a) has no checksum in schema_migrations');
    expect(plan.stdout).toContain('migration 2 (b) has no checksum in schema_migrations');
  });
});

test('down --target 0 rolls back everything, a version-0 migration included', async () => {
  const d = dir({ '0_zero.sql': UP_DOWN('zero'), '1_one.sql': UP_DOWN('one') });
  expect((await cli(['up'], d, db)).code).toBe(0);
  expect(await userTables(db.sql)).toEqual(['one', 'zero']);
  const plan = await cli(['plan', 'down', '--target', '0'], d, db);
  expect(plan.stdout).toContain('↓ 0 zero');
  const r = await cli(['down', '--target', '0'], d, db);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Rolled back 2 migrations');
  expect(await userTables(db.sql)).toEqual([]);
  expect(await db.sql`select version from schema_migrations`).toHaveLength(0);
});

test('"unexpected error" is kept for bugs, and says how to report one', () => {
  const lines: string[] = [];
  printError({ out: (t) => lines.push(t), err: (t) => lines.push(t) }, new TypeError('boom'), false);
  expect(lines.join('\n')).toMatch(/^pgshift: unexpected error: TypeError: boom\n\s+at [\s\S]*\nthis is a bug in pgshift: please report it with the text above\.$/);
});

test('the action marks an unexpected error as a bug, with its stack and how to report it', async () => {
  const written: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const exitCode = process.exitCode;
  try {
    const c = { settings: readSettings('action', () => undefined), migrationsDir: 'migrations', redact: (t: string) => t };
    const outcome: Outcome = {
      command: 'up',
      status: 'failed',
      incident: true,
      environment: 'development',
      protected: false,
      review: { findings: [], refused: [] },
      error: new UnexpectedError(new TypeError('boom')),
      applied: [],
    };
    await stepStatusSink(c).finished(outcome);
  } finally {
    write.mockRestore();
    process.exitCode = exitCode;
  }
  expect(written.join('')).toMatch(/::error::TypeError: boom%0A\s+at [^\n]*%0Athis is a bug in pgshift: please report it with the text above\./);
});

/** Runs the CLI as an unprivileged user (nobody when the tests run as root, who can read anything). */
function runAsUnprivileged(args: string[]): Promise<CliRun> {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
