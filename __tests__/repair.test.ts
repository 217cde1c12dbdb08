// `pgshift repair` and the action's repair-versions (issue 9, item 2): accepting an applied migration's
// changed file records its new checksum and a history row with the reason, the old and the new checksum
// and the actor; `--all` lists first and asks on a terminal, refuses without one unless --yes. Through
// the built bundles, on a real Postgres.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAction, startActionFixture, stopActionFixture, type ActionFixture } from './helpers/action';
import { CLI, createDatabase, ROOT, type TestDatabase } from './helpers/db';
import { appliedVersions, cli, dirWith, history, sha256, userTables } from './helpers/files';

const table = (n: number) => `CREATE TABLE t${n} (id int);\n`;

interface RepairRow {
  version: string;
  action: string;
  status: string;
  environment: string;
  executed_by: string;
  checksum: string;
  error_message: string;
}

async function repairRows(db: TestDatabase): Promise<RepairRow[]> {
  return [
    ...(await db.sql<RepairRow[]>`
      select version, action, status, environment, executed_by, checksum, error_message from migration_history where action = 'repair' order by id`),
  ];
}

describe('pgshift repair', () => {
  let db: TestDatabase;
  let dir: string;
  let stored: Record<string, string>;
  const now = (name: string) => sha256(readFileSync(join(dir, name), 'utf8'));

  beforeEach(async () => {
    db = await createDatabase();
    dir = dirWith({ '1_a.sql': table(1), '2_b.sql': table(2), '3_c.sql': table(3) });
    expect((await cli(['up'], dir, db)).code).toBe(0);
    stored = Object.fromEntries((await appliedVersions(db.sql)).map((r) => [r.version, r.checksum]));
  });
  afterEach(async () => {
    await db.drop();
  });

  test('<version> --reason accepts the new checksum, records it in the history, and the next up runs', async () => {
    writeFileSync(join(dir, '1_a.sql'), 'CREATE TABLE t1 (id int);   -- whitespace and a comment\n');
    writeFileSync(join(dir, '4_d.sql'), table(4));
    expect((await cli(['up'], dir, db)).code).toBe(3);

    // The reason is required, and checked before anything is read or written.
    const bare = await cli(['repair', '1'], dir, db);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/repair needs a reason \(--reason\)/);

    const fixed = await cli(['repair', '1', '--reason', 'comment only', '--env', 'staging'], dir, db);
    expect(fixed.stderr).toBe('');
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toBe(`repaired 1 a: checksum ${stored['1']} -> ${now('1_a.sql')} (reason recorded: comment only).\n`);
    expect((await appliedVersions(db.sql)).map((r) => [r.version, r.checksum])).toEqual([
      ['1', now('1_a.sql')],
      ['2', stored['2']],
      ['3', stored['3']],
    ]);
    expect(await repairRows(db)).toEqual([
      {
        version: '1',
        action: 'repair',
        status: 'success',
        environment: 'staging',
        executed_by: 'files-test',
        checksum: now('1_a.sql'),
        error_message: `repair: checksum ${stored['1']} -> ${now('1_a.sql')}; reason: comment only`,
      },
    ]);

    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(0);
    expect(await userTables(db.sql)).toEqual(['t1', 't2', 't3', 't4']);
    expect((await cli(['status', '--exit-code'], dir, db)).code).toBe(0);
  });

  test('a version that is not modified says so, exits 0 and writes nothing', async () => {
    const before = await history(db.sql);
    const run = await cli(['repair', '2', '--reason', 'just checking'], dir, db);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('migration 2 is not modified: its file matches the stored checksum. Nothing was written.');
    expect(await history(db.sql)).toEqual(before);
  });

  test('a row without a checksum gets the file’s (the fix the unverified warning names)', async () => {
    await db.sql`update schema_migrations set checksum = '' where version = '2'`;
    const run = await cli(['repair', '2', '--reason', 'checked by hand'], dir, db);
    expect(run.code).toBe(0);
    expect((await appliedVersions(db.sql))[1].checksum).toBe(now('2_b.sql'));
    expect((await repairRows(db))[0].error_message).toBe(`repair: checksum none -> ${now('2_b.sql')}; reason: checked by hand`);
  });

  test('a missing file, a pending, unknown or failed migration cannot be repaired: each says what to do, nothing is written', async () => {
    const before = await history(db.sql);
    rmSync(join(dir, '3_c.sql'));
    const missing = await cli(['repair', '3', '--reason', 'x'], dir, db);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/migration 3 \(c\) is applied but its file is gone from .*, so it cannot be repaired: there is no new checksum to record\. Restore the file as it was applied/);

    writeFileSync(join(dir, '5_e.sql'), table(5));
    const pending = await cli(['repair', '5', '--reason', 'x'], dir, db);
    expect(pending.code).toBe(2);
    expect(pending.stderr).toMatch(/migration 5 has no row in public\.schema_migrations: it is pending, not applied/);

    expect((await cli(['repair', '9', '--reason', 'x'], dir, db)).stderr).toMatch(/migration 9 has no row in public\.schema_migrations\. There is nothing to repair/);

    await db.sql`update schema_migrations set status = 'failed' where version = '2'`;
    const failed = await cli(['repair', '2', '--reason', 'x'], dir, db);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/migration 2 is marked failed, so it cannot be repaired .*pgshift resolve 2 --applied/);
    expect(await history(db.sql)).toEqual(before);
  });

  test('--all without a terminal lists every change and refuses (exit 3); with --yes it repairs them all', async () => {
    writeFileSync(join(dir, '1_a.sql'), table(1) + '-- one\n');
    writeFileSync(join(dir, '3_c.sql'), table(3) + '-- three\n');

    const refused = await cli(['repair', '--all', '--reason', 'comments'], dir, db);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('repair --all found 2 applied migrations changed after they ran:');
    for (const [v, name] of [
      ['1', '1_a.sql'],
      ['3', '3_c.sql'],
    ]) {
      expect(refused.stderr).toMatch(new RegExp(`^  ${v}  \\S*${name}\\n      stored:  ${stored[v]}\\n      current: ${now(name)}$`, 'm'));
    }
    expect(refused.stderr).toContain('Nothing was written: without a terminal to ask, pass --yes');
    expect(await repairRows(db)).toEqual([]);

    const yes = await cli(['repair', '--all', '--reason', 'comments', '--yes'], dir, db);
    expect(yes.code).toBe(0);
    expect(yes.stdout.trim().split('\n')).toEqual([
      `repaired 1 a: checksum ${stored['1']} -> ${now('1_a.sql')} (reason recorded: comments).`,
      `repaired 3 c: checksum ${stored['3']} -> ${now('3_c.sql')} (reason recorded: comments).`,
    ]);
    expect((await repairRows(db)).map((r) => [r.version, r.checksum])).toEqual([
      ['1', now('1_a.sql')],
      ['3', now('3_c.sql')],
    ]);
    expect((await cli(['plan'], dir, db)).code).toBe(0);

    const again = await cli(['repair', '--all', '--reason', 'comments'], dir, db);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no applied migration has a changed file: there is nothing to repair.');
  });

  // A pseudo-terminal (util-linux `script`) makes stdin and stdout TTYs, as for a person.
  const onTerminal = existsSync('/usr/bin/script') ? test : test.skip;
  onTerminal('--all on a terminal lists, then asks "repair it? [y/N]": y repairs, anything else writes nothing', async () => {
    writeFileSync(join(dir, '2_b.sql'), table(2) + '-- tidied\n');
    const no = await onPty(['repair', '--all', '--reason', 'tidy', '--dir', dir, '--database-url', db.url], 'n');
    expect(no.output).toMatch(/1 applied migration changed after it ran:\r?\n {2}2 {2}\S*2_b\.sql/);
    expect(no.output).toContain('repair it? [y/N]');
    expect(no.code).toBe(3);
    expect(no.output).toContain('not confirmed: nothing was written');
    expect(await repairRows(db)).toEqual([]);

    const yes = await onPty(['repair', '--all', '--reason', 'tidy', '--dir', dir, '--database-url', db.url], 'y');
    expect(yes.code).toBe(0);
    expect(yes.output).toContain(`repaired 2 b: checksum ${stored['2']} -> ${now('2_b.sql')}`);
    expect((await repairRows(db)).map((r) => r.version)).toEqual(['2']);
  });

  test('a history table made before repair existed has its action check widened (and a role that may not is told the ALTER)', async () => {
    // What pgshift created before this change: action in ('apply', 'rollback', 'resolve').
    await db.sql.unsafe(`alter table migration_history drop constraint migration_history_action_check,
      add constraint migration_history_action_check check (action in ('apply', 'rollback', 'resolve'))`);
    writeFileSync(join(dir, '1_a.sql'), table(1) + '-- one\n');
    const role = `pgshift_repair_${process.pid}_${Date.now().toString(36)}`;
    await db.sql.unsafe(`create role ${role} login password 'repair-pw'`);
    try {
      await db.sql.unsafe(`grant usage on schema public to ${role}; grant select, insert, update, delete on schema_migrations to ${role}; grant insert on migration_history to ${role}`);
      const u = new URL(db.url);
      u.username = role;
      u.password = 'repair-pw';
      const denied = await cli(['repair', '1', '--reason', 'comment', '--database-url', u.toString()], dir);
      expect(denied.code).toBe(2);
      expect(denied.stderr).toContain(
        `public.migration_history was created before pgshift recorded repairs: its check on action allows apply, rollback and resolve only, and the role ${role} may not change it`,
      );
      expect(denied.stderr).toContain(
        "As the owner of the table, run: ALTER TABLE public.migration_history DROP CONSTRAINT migration_history_action_check, ADD CONSTRAINT migration_history_action_check CHECK (action IN ('apply', 'rollback', 'resolve', 'repair'));",
      );
      expect((await appliedVersions(db.sql))[0].checksum).toBe(stored['1']);
      expect(await repairRows(db)).toEqual([]);
    } finally {
      await db.sql.unsafe(`drop owned by ${role}; drop role ${role}`);
    }

    // The owner widens the check itself, in the repair's transaction.
    const owner = await cli(['repair', '1', '--reason', 'comment'], dir, db);
    expect(owner.code).toBe(0);
    expect((await repairRows(db)).map((r) => r.version)).toEqual(['1']);
    const [{ def }] = await db.sql<{ def: string }[]>`
      select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'migration_history_action_check'`;
    expect(def).toContain("'repair'");
  });
});

/** Runs the CLI on a pseudo-terminal, answering `answer` once the question is asked. */
function onPty(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const env: NodeJS.ProcessEnv = { ...process.env, GITHUB_ACTOR: 'files-test' };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', [process.execPath, CLI, ...args].map(quote).join(' '), '/dev/null'], { cwd: ROOT, env });
    let output = '';
    let answered = false;
    child.stdout.on('data', (d) => {
      output += d;
      if (!answered && output.includes('[y/N]')) {
        answered = true;
        child.stdin.write(`${answer}\n`);
      }
    });
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the action’s repair-versions', () => {
  let f: ActionFixture;
  beforeEach(async () => {
    f = await startActionFixture();
  });
  afterEach(async () => {
    await stopActionFixture(f);
  });

  const edit = () => writeFileSync(join(f.workspace, 'migrations', '1_users.sql'), '-- migrate:up\nCREATE TABLE users (id int); -- reviewed\n-- migrate:down\nDROP TABLE users;\n');
  const addPending = () => writeFileSync(join(f.workspace, 'migrations', '3_items.sql'), 'CREATE TABLE items (id int);\n');

  test('repairs the named versions first, then deploys in the same run; the log and the summary say what was repaired', async () => {
    const base = { 'database-url': f.db.url, environment: 'staging' };
    expect((await runAction({ inputs: base, apiUrl: f.gh.url, workspace: f.workspace })).outputs.status).toBe('applied');
    const stored = (await appliedVersions(f.db.sql))[0].checksum;
    edit();
    addPending();
    // Never implicitly: without the input the deploy is refused.
    expect((await runAction({ inputs: base, apiUrl: f.gh.url, workspace: f.workspace })).outputs.status).toBe('refused');

    const run = await runAction({ inputs: { ...base, 'repair-versions': '1', 'repair-reason': 'a comment was added' }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('applied');
    expect(run.outputs['applied-versions']).toBe('["3"]');
    // The dbmate form's checksum is of its up section (the text between the markers, trimmed).
    const current = sha256('CREATE TABLE users (id int); -- reviewed');
    expect((await appliedVersions(f.db.sql))[0].checksum).toBe(current);
    const line = `repaired 1 users: checksum ${stored} -> ${current} (reason recorded: a comment was added).`;
    expect(run.stdout).toContain(line);
    expect(run.summary).toContain(`## pgshift repair\n\n- ${line}`);
    // The repair's report comes before the deploy's.
    expect(run.summary.indexOf('## pgshift repair')).toBeLessThan(run.summary.indexOf('## pgshift up'));
    const rows = await f.db.sql<{ version: string; action: string; environment: string; executed_by: string }[]>`
      select version, action, environment, executed_by from migration_history order by id`;
    expect(rows.map((r) => [r.version, r.action, r.environment, r.executed_by])).toEqual([
      ['1', 'apply', 'staging', 'octocat'],
      ['2', 'apply', 'staging', 'octocat'],
      ['1', 'repair', 'staging', 'octocat'],
      ['3', 'apply', 'staging', 'octocat'],
    ]);
  });

  test('repair-versions: all works without a terminal (the input is the yes)', async () => {
    const base = { 'database-url': f.db.url };
    expect((await runAction({ inputs: base, apiUrl: f.gh.url, workspace: f.workspace })).outputs.status).toBe('applied');
    edit();
    const run = await runAction({ inputs: { ...base, 'repair-versions': 'all', 'repair-reason': 'tidy' }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('up-to-date');
    expect(run.stdout).toMatch(/repaired 1 users: checksum sha256:\S+ -> sha256:\S+ \(reason recorded: tidy\)\./);
  });

  test('repair-reason is required, a dry run refuses repair-versions, and a bad version is named: nothing is written', async () => {
    const base = { 'database-url': f.db.url };
    expect((await runAction({ inputs: base, apiUrl: f.gh.url, workspace: f.workspace })).outputs.status).toBe('applied');
    edit();
    const before = await history(f.db.sql);

    const noReason = await runAction({ inputs: { ...base, 'repair-versions': '1' }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(noReason.outputs.status).toBe('refused');
    expect(noReason.code).not.toBe(0);
    expect(noReason.stdout).toContain('::error::repair needs a reason (the repair-reason input)');

    const dry = await runAction({ inputs: { ...base, 'repair-versions': '1', 'repair-reason': 'x', 'dry-run': 'true' }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(dry.outputs.status).toBe('refused');
    expect(dry.stdout).toContain('::error::input repair-versions writes to the database, and a dry run never writes');

    const bad = await runAction({ inputs: { ...base, 'repair-versions': '1, latest', 'repair-reason': 'x' }, apiUrl: f.gh.url, workspace: f.workspace });
    expect(bad.outputs.status).toBe('refused');
    expect(bad.stdout).toContain('::error::input repair-versions: "latest" is not a version');

    expect(await history(f.db.sql)).toEqual(before);
  });
});
