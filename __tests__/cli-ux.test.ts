// The CLI's first hour, through the built CLI on a real Postgres: each command's --help from the
// settings rows, "did you mean", flags that do not apply, a bare `pgshift`, .env and --env-file, two
// `new` in one second, an empty new file that must not block a down, what `up` prints about the
// findings it applied, and the question a terminal asks before destroying (on a real pseudo-terminal).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { COMMANDS } from '../src/cli/args';
import { newMigration } from '../src/commands/new';
import { SETTING_ROWS } from '../src/settings';
import { CLI, createDatabase, runCli, tempDir, writeMigrations, type CliRun, type TestDatabase } from './helpers/db';
import { dbmate, migrationRows, migrationsDir, pgshift, tableExists } from './helpers/pgshift';

const USERS = dbmate('CREATE TABLE users (id int primary key, email text);', 'DROP TABLE users;');
const ORDERS = dbmate('CREATE TABLE orders (id int primary key);', 'DROP TABLE orders;');
// DROP TABLE on line 2: a destructive finding (users was created by an earlier migration).
const DROP_USERS = dbmate('DROP TABLE users;', 'CREATE TABLE users (id int primary key, email text);');

const applied = async (db: TestDatabase) => (await migrationRows(db.sql)).filter((r) => r.status === 'applied').map((r) => r.version);
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function scratch(prefix: string): string {
  const d = tempDir(prefix);
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('help', () => {
  const commands = COMMANDS.filter((c) => c !== 'help' && c !== 'version');

  test('pgshift <command> --help: its usage, what it does, and exactly the flags whose settings row applies to it', async () => {
    for (const command of commands) {
      const r = await runCli([command, '--help']);
      expect([command, r.code, r.stderr]).toEqual([command, 0, '']);
      expect(r.stdout).toMatch(new RegExp(`^Usage: pgshift ${command}\\b`));
      const listed = [...r.stdout.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]);
      const expected = SETTING_ROWS.filter((s) => s.flag && (!s.commands || (s.commands as readonly string[]).includes(command))).map((s) => s.flag!);
      expect([command, listed]).toEqual([command, [...expected, '--help']]);
    }
    // Spot checks that the rows say what the commands read.
    const up = (await runCli(['up', '--help'])).stdout;
    expect(up).toContain('--lock-timeout');
    expect(up).toContain('--yes');
    expect(up).not.toContain('--exit-code');
    const status = (await runCli(['status', '--help'])).stdout;
    expect(status).toContain('--exit-code');
    expect(status).not.toContain('--steps');
    // `pgshift help <command>` is the same page.
    expect((await runCli(['help', 'down'])).stdout).toBe((await runCli(['down', '--help'])).stdout);
  });

  test('a bare pgshift prints the help on stderr and exits 2; pgshift --help exits 0', async () => {
    const bare = await runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toContain('Usage: pgshift <command> [options]');
    expect(bare.stderr).toContain('pgshift <command> --help');
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: pgshift <command> [options]');
  });
});

describe('did you mean', () => {
  test.each([
    [['up', '--stpes', '2'], 'unknown option --stpes: did you mean --steps? See "pgshift up --help".'],
    [['rollback'], 'unknown command "rollback": did you mean "pgshift down"?'],
    [['migrate'], 'unknown command "migrate": did you mean "pgshift up"?'],
    [['apply'], 'unknown command "apply": did you mean "pgshift up"?'],
    [['stauts'], 'unknown command "stauts": did you mean "pgshift status"?'],
    [['--dry-run'], 'unknown option --dry-run: a dry run is a command of its own: "pgshift plan" (or "pgshift plan down").'],
    [['up', '--migrations-dir', 'db'], "unknown option --migrations-dir: did you mean --dir? (migrations-dir is the GitHub Action's name for it)"],
  ])('pgshift %j', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`pgshift: ${message}`);
  });

  test('a word nothing resembles lists the commands', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pgshift: unknown command "frobnicate". The commands are up, down, status, plan, lint, new, resolve');
  });
});

describe('a flag the command does not read is an error', () => {
  test('pgshift new x --steps 2 refuses (exit 2) and writes no file; status --confirm X refuses before connecting', async () => {
    const dir = join(scratch('pgshift-ux-'), 'migrations');
    const r = await runCli(['new', 'x', '--steps', '2', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('pgshift: --steps does not apply to "pgshift new": it is for up, down, plan and lint. See "pgshift new --help".\n');
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);

    // Nothing listens on port 9: had it connected, it would have retried for --connect-timeout.
    const status = await runCli(['status', '--confirm', 'X', '--database-url', 'postgres://u@127.0.0.1:9/x']);
    expect(status.code).toBe(2);
    expect(status.stderr).toBe('pgshift: --confirm does not apply to "pgshift status": it is for down and plan. See "pgshift status --help".\n');
  });
});

describe('.env and --env-file', () => {
  let db: TestDatabase;
  let work: string;
  beforeEach(async () => {
    db = await createDatabase();
    work = scratch('pgshift-env-');
    writeMigrations(join(work, 'migrations'), { '1_users.sql': USERS });
  });
  afterEach(() => db.drop());

  test('.env in the working directory gives DATABASE_URL (export, quotes, comments); the real environment wins', async () => {
    writeFileSync(join(work, '.env'), `# local settings\nexport DATABASE_URL="${db.url}"  # the test database\nOTHER='a # not a comment'\n\n`);
    const up = await runCli(['up'], { cwd: work });
    expect({ code: up.code, stderr: up.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await applied(db)).toEqual(['1']);

    // The real environment wins over .env: the .env database is never reached.
    writeFileSync(join(work, '.env'), 'DATABASE_URL=postgres://nobody:envfile-secret@127.0.0.1:9/nowhere\n');
    const status = await runCli(['status'], { cwd: work, env: { DATABASE_URL: db.url } });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('1 applied');
  });

  test('--env-file <path> is read instead of .env; a missing one is an error; a bad line names file:line, not its text', async () => {
    writeFileSync(join(work, '.env'), 'DATABASE_URL=postgres://nobody@127.0.0.1:9/nowhere\n');
    writeFileSync(join(work, 'test.env'), `DATABASE_URL='${db.url}'\n`);
    const up = await runCli(['up', '--env-file', 'test.env'], { cwd: work });
    expect({ code: up.code, stderr: up.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await applied(db)).toEqual(['1']);

    // Node itself exits 9 on `--env-file <missing>` anywhere on its command line (nodejs/node#54232);
    // after `--` it leaves the word to the script, as the pgshift bin's users see it.
    const missing = spawnSync(process.execPath, ['--', CLI, 'status', '--env-file', 'missing.env'], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`pgshift: --env-file missing.env: there is no such file in ${work}.`);

    writeFileSync(join(work, 'bad.env'), '# ok\nDATABASE_URL=x\nthis line has s3cret-text\n');
    const bad = await runCli(['status', '--env-file', 'bad.env'], { cwd: work });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('pgshift: bad.env:3: not a NAME=value line (write it as DATABASE_URL=postgres://…; a line starting with # is a comment).\n');
  });
});

describe('pgshift new', () => {
  test('two files made in the same second both succeed, the second a second later (in process)', () => {
    const dir = join(scratch('pgshift-new-'), 'migrations');
    const at = new Date('2024-03-01T12:00:00.400Z');
    const first = newMigration(dir, 'add users', at);
    const second = newMigration(dir, 'add orders', new Date(at.getTime() + 300));
    expect([first, second].map((p) => p.slice(dir.length + 1))).toEqual(['20240301120000_add_users.sql', '20240301120001_add_orders.sql']);
  });

  test('through the CLI: a version already taken this second does not refuse the next file', async () => {
    const dir = join(scratch('pgshift-new-'), 'migrations');
    mkdirSync(dir);
    // Every version from a second ago to five seconds ahead is taken, whatever the second the CLI starts in.
    const now = Date.now();
    for (let s = -1; s <= 5; s++) writeFileSync(join(dir, `${new Date(now + s * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14)}_taken.sql`), '-- migrate:up\nselect 1;\n');
    const runs = [await runCli(['new', 'first', '--dir', dir]), await runCli(['new', 'second', '--dir', dir])];
    expect(runs.map((r) => [r.code, r.stderr])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    const made = readdirSync(dir).filter((f) => !f.endsWith('_taken.sql'));
    expect(made).toHaveLength(2);
    expect(made.every((f) => /^\d{14}_(first|second)\.sql$/.test(f))).toBe(true);
    expect(new Set(readdirSync(dir).map((f) => f.slice(0, 14))).size).toBe(9);
  });
});

describe('with a database', () => {
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

  test('an empty migration just made by `pgshift new` does not block a down (a warning), and still refuses up', async () => {
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    const made = await runCli(['new', 'next_change', '--dir', dir]);
    expect(made.code).toBe(0);

    const down = await pgshift(['down'], dir, db);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('Rolled back 1 migration');
    expect(down.stderr).toMatch(/^warning: .*_next_change\.sql:\d+: the up migration is empty/m);
    expect(await applied(db)).toEqual([]);
    expect(await tableExists(db.sql, 'users')).toBe(false);

    const up = await pgshift(['up'], dir, db);
    expect(up.code).toBe(3);
    expect(up.stderr).toContain('the up migration is empty');
    expect(await applied(db)).toEqual([]);
  });

  test('up prints the safety findings of what it applied, as plan does', async () => {
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    writeMigrations(dir, { '2_drop_users.sql': DROP_USERS });
    const up = await pgshift(['up'], dir, db);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/Safety \(1 finding\):\n {2}✗ \S*2_drop_users\.sql:2 {2}error {2}drop-table \(destructive\): DROP TABLE users/);
    expect(up.stdout).toContain('Applied 1 migration');
  });

  test('without a terminal nothing is asked: a destructive up and a down of several migrations run as before', async () => {
    writeMigrations(dir, { '2_orders.sql': ORDERS });
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    writeMigrations(dir, { '3_drop_users.sql': DROP_USERS });
    const up = await pgshift(['up'], dir, db);
    expect(up.code).toBe(0);
    expect(up.stdout + up.stderr).not.toContain('Proceed?');
    const down = await pgshift(['down', '--steps', '2'], dir, db);
    expect(down.code).toBe(0);
    expect(down.stdout + down.stderr).not.toContain('Proceed?');
    expect(await applied(db)).toEqual(['1']);
  });
});

// A real pseudo-terminal: util-linux `script` runs the CLI with a TTY for stdin and stdout, and what the
// test writes to script's stdin is what a person types.
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

function onTerminal(args: string[], typed: string): Promise<CliRun> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', [process.execPath, CLI, ...args].map(quote).join(' '), '/dev/null'], { env });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stdout += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // The terminal's line ends, and what it echoed of the typing, are the terminal's.
      resolve({ code, signal, stdout: stdout.replace(/\r\n/g, '\n'), stderr: '' });
    });
    child.stdin.end(typed);
  });
}

(hasScript ? describe : describe.skip)('on a terminal, destroying asks first', () => {
  let db: TestDatabase;
  let dir: string;
  const run = (args: string[], typed: string) => onTerminal([...args, '--dir', dir, '--database-url', db.url], typed);
  beforeEach(async () => {
    db = await createDatabase();
    dir = migrationsDir({ '1_users.sql': USERS });
  });
  afterEach(async () => {
    await db.drop();
    rmSync(dirname(dir), { recursive: true, force: true });
  });

  async function usersWithRows(): Promise<void> {
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    await db.sql`insert into users select g, null from generate_series(1, 1234) g`;
    await db.sql`analyze users`;
  }

  test('a destructive up shows the migration, the finding and the rows at stake, then asks: n refuses (exit 3), y runs', async () => {
    await usersWithRows();
    writeMigrations(dir, { '2_drop_users.sql': DROP_USERS });

    const no = await run(['up'], 'n\n');
    expect(no.code).toBe(3);
    expect(no.stdout).toContain('This applies 1 migration with 1 destructive finding');
    expect(no.stdout).toMatch(/1\. ↑ 2 drop_users {2}\S*2_drop_users\.sql:2/);
    expect(no.stdout).toMatch(/drop-table \(destructive\): DROP TABLE users/);
    expect(no.stdout).toContain("This drops 1 table (users) holding about 1,234 rows by the catalog's estimates.");
    expect(no.stdout).toContain('Proceed? [y/N]');
    expect(no.stdout).toContain('pgshift: not confirmed: nothing was run (pass --yes to run without asking).');
    expect(await tableExists(db.sql, 'users')).toBe(true);
    expect(await applied(db)).toEqual(['1']);

    const yes = await run(['up'], 'y\n');
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain('Proceed? [y/N]');
    expect(yes.stdout).toContain('Applied 1 migration');
    expect(await tableExists(db.sql, 'users')).toBe(false);
    expect(await applied(db)).toEqual(['1', '2']);
  });

  test('a down of several migrations, and a down --target 0, ask; a down of one does not; the end of input is a no', async () => {
    await usersWithRows();
    writeMigrations(dir, { '2_orders.sql': ORDERS });
    expect((await pgshift(['up'], dir, db)).code).toBe(0);

    const several = await run(['down', '--steps', '2'], 'no\n');
    expect(several.code).toBe(3);
    expect(several.stdout).toContain('This rolls back 2 migrations');
    expect(several.stdout).toMatch(/1\. ↓ 2 orders .*\n {2}2\. ↓ 1 users /);
    expect(several.stdout).toMatch(/This drops 2 tables \((users, orders|orders, users)\) holding about 1,234 rows/);
    expect(await applied(db)).toEqual(['1', '2']);

    const toZero = await run(['down', '--target', '0'], '');
    expect(toZero.code).toBe(3);
    expect(toZero.stdout).toContain('This rolls back every applied migration (2 migrations, --target 0)');
    expect(await applied(db)).toEqual(['1', '2']);

    const one = await run(['down'], '');
    expect(one.code).toBe(0);
    expect(one.stdout).not.toContain('Proceed?');
    expect(await applied(db)).toEqual(['1']);

    const zero = await run(['down', '--target', '0'], 'yes\n');
    expect(zero.code).toBe(0);
    expect(zero.stdout).toContain('Proceed? [y/N]');
    expect(await applied(db)).toEqual([]);
  });

  test('--yes runs without asking', async () => {
    await usersWithRows();
    writeMigrations(dir, { '2_drop_users.sql': DROP_USERS });
    const r = await run(['up', '--yes'], '');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Proceed?');
    expect(await tableExists(db.sql, 'users')).toBe(false);
  });
});
