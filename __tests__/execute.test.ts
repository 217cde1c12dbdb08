// Execution on a real Postgres: transactional and non-transactional migrations, failures and what they
// leave, resolve, lock_timeout retries, up/down selection and --single-transaction.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase, type TestDatabase } from './helpers/db';
import { dbmate, historyRows, migrationRows, migrationsDir, pgshift, session, tableExists, waitFor } from './helpers/pgshift';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

const versions = async () => (await migrationRows(db.sql)).map((r) => [r.version, r.status]);

describe('a failed transactional migration', () => {
  test('leaves nothing but its failed history row; the migrations before it in the run stay applied; exit 1', async () => {
    const dir = migrationsDir({
      '1_a.sql': dbmate('CREATE TABLE a (id int);'),
      '2_b.sql': dbmate('CREATE TABLE b (id int);'),
      '3_bad.sql': dbmate('CREATE TABLE c (id int);\nINSERT INTO c VALUES (1);\nINSERT INTO c VALUES (1 / 0);\nCREATE TABLE c2 (id int);'),
      '4_d.sql': dbmate('CREATE TABLE d (id int);'),
    });
    const run = await pgshift(['up'], dir, db);
    expect(run.code).toBe(1);
    // The report points at the file, line and statement.
    expect(run.stderr).toContain('3 bad failed at');
    expect(run.stderr).toMatch(/3_bad\.sql:4:\d+ \(statement 3, up\)/);
    expect(run.stderr).toContain('22012');
    expect(run.stderr).toContain('division by zero');
    expect(run.stderr).toContain('rolled back');

    expect(await versions()).toEqual([
      ['1', 'applied'],
      ['2', 'applied'],
    ]);
    expect(await tableExists(db.sql, 'a')).toBe(true);
    expect(await tableExists(db.sql, 'b')).toBe(true);
    expect(await tableExists(db.sql, 'c')).toBe(false);
    expect(await tableExists(db.sql, 'c2')).toBe(false);
    expect(await tableExists(db.sql, 'd')).toBe(false);

    const history = await historyRows(db.sql);
    expect(history.map((h) => [h.version, h.action, h.status])).toEqual([
      ['1', 'apply', 'success'],
      ['2', 'apply', 'success'],
      ['3', 'apply', 'failed'],
    ]);
    expect(history[2].error_message).toMatch(/^statement 3 at 3_bad\.sql:4:\d+: 22012 division by zero$/);
    expect(history[2].checksum).toMatch(/^sha256:/);
    expect(history[2].environment).toBe('development');
    expect(history[2].executed_by).toBe('test-actor');

    // Nothing to resolve: fixing the file and running again applies 3 and 4.
    writeFileSync(join(dir, '3_bad.sql'), dbmate('CREATE TABLE c (id int);'));
    const again = await pgshift(['up'], dir, db);
    expect(again.code).toBe(0);
    expect((await versions()).map((v) => v[0])).toEqual(['1', '2', '3', '4']);
  });

  test('the JSON result carries the failure, with the database state it left', async () => {
    const dir = migrationsDir({ '1_bad.sql': dbmate('CREATE TABLE x (id int);\nSELECT no_such_column FROM x;') });
    const run = await pgshift(['up', '--json'], dir, db);
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ version: '1', statementNumber: 2, line: 3, column: 8, code: '42703', outcome: 'rolled-back' });
    expect(await tableExists(db.sql, 'x')).toBe(false);
    expect(await migrationRows(db.sql)).toEqual([]);
  });
});

/** 1 ok, 2 non-transactional: statement 1 creates a table with duplicates, statement 2 fails on them; 3 later. */
function failingOnce() {
  return {
    '1_ok.sql': dbmate('CREATE TABLE ok (id int);'),
    '2_uniq.sql': dbmate('CREATE TABLE dup AS SELECT 1 AS x FROM generate_series(1, 2);\nCREATE UNIQUE INDEX CONCURRENTLY dup_x ON dup (x);', 'DROP TABLE dup;', { upTransaction: false }),
    '3_later.sql': dbmate('CREATE TABLE later (id int);'),
  };
}

describe('transaction:false', () => {
  test('CREATE INDEX CONCURRENTLY applies (the index is valid) and is marked applied, while another session sits connected and idle', async () => {
    await db.sql`create table big (id int)`;
    await db.sql`insert into big select generate_series(1, 1000)`;
    const idle = session(db, 'idle-client');
    try {
      await idle`select 1`;
      const dir = migrationsDir({
        '1_seed.sql': dbmate('INSERT INTO big VALUES (1001);'),
        '2_idx.sql': dbmate('CREATE INDEX CONCURRENTLY big_id_idx ON big (id);', 'DROP INDEX CONCURRENTLY big_id_idx;', { upTransaction: false, downTransaction: false }),
        '3_after.sql': dbmate('CREATE TABLE after_idx (id int);', 'DROP TABLE after_idx;'),
      });
      const run = await pgshift(['up', '--lock-wait', '300ms'], dir, db, [], { timeoutMs: 15_000 });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const [idx] = await db.sql`select indisvalid, indisready from pg_index where indexrelid = to_regclass('big_id_idx')`;
      expect(idx).toEqual({ indisvalid: true, indisready: true });
      expect(await versions()).toEqual([
        ['1', 'applied'],
        ['2', 'applied'],
        ['3', 'applied'],
      ]);
      const [row] = await db.sql`select error_message, execution_time_ms, applied_by from schema_migrations where version = '2'`;
      expect(row.error_message).toBeNull();
      expect(row.execution_time_ms).toBeGreaterThanOrEqual(0);
      expect((await historyRows(db.sql)).map((h) => [h.version, h.action, h.status])).toEqual([
        ['1', 'apply', 'success'],
        ['2', 'apply', 'success'],
        ['3', 'apply', 'success'],
      ]);

      // Its down section runs non-transactionally too.
      const down = await pgshift(['down', '--target', '1'], dir, db, [], { timeoutMs: 15_000 });
      expect(down.stderr).toBe('');
      expect(down.code).toBe(0);
      expect(await tableExists(db.sql, 'big_id_idx')).toBe(false);
      expect(await versions()).toEqual([['1', 'applied']]);
    } finally {
      await idle.end();
    }
  });

  test('CREATE INDEX CONCURRENTLY does not deadlock with another pgshift run waiting for the lock', async () => {
    await db.sql`create table big (id int)`;
    await db.sql`insert into big select generate_series(1, 20000)`;
    const dir = migrationsDir({
      // The first run holds the lock through this, so the second is surely waiting when the index is built.
      '1_pause.sql': dbmate('SELECT pg_sleep(0.6);'),
      '2_idx.sql': dbmate('CREATE INDEX CONCURRENTLY big_id_idx ON big (id);', undefined, { upTransaction: false }),
    });
    const [a, b] = await Promise.all(
      [0, 150].map(async (delay) => {
        await new Promise((r) => setTimeout(r, delay));
        return pgshift(['up', '--lock-wait', '20s'], dir, db, [], { timeoutMs: 20_000 });
      }),
    );
    expect([a.code, b.code]).toEqual([0, 0]);
    expect([a, b].filter((r) => r.stdout.includes('Applied 2 migrations'))).toHaveLength(1);
    expect([a, b].filter((r) => /waiting for the migration lock/.test(r.stderr))).toHaveLength(1);
    const [idx] = await db.sql`select indisvalid from pg_index where indexrelid = to_regclass('big_id_idx')`;
    expect(idx.indisvalid).toBe(true);
  });

  test('a row left running by a crash refuses later runs until resolved', async () => {
    const dir = migrationsDir(failingOnce());
    expect((await pgshift(['up', '--target', '1'], dir, db)).code).toBe(0);
    // What a process killed inside a non-transactional migration leaves behind.
    await db.sql`insert into schema_migrations (version, name, checksum, status, applied_at) values ('2', 'uniq', 'sha256:x', 'running', now())`;
    const refused = await pgshift(['up'], dir, db);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('migration 2 (uniq) is marked running');
    const resolved = await pgshift(['resolve', '2', '--rolled-back'], dir, db);
    expect(resolved.code).toBe(0);
    expect((await historyRows(db.sql)).at(-1)!.error_message).toBe('resolved as rolled-back (was running)');
    expect(await versions()).toEqual([['1', 'applied']]);
  });

  const failing = failingOnce();

  async function failOnce(dir: string) {
    const run = await pgshift(['up'], dir, db);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/2 uniq failed at .*2_uniq\.sql:3:\d+ \(statement 2, up\)/);
    expect(run.stderr).toContain('23505');
    expect(run.stderr).toContain('invalid index dup_x');
    expect(run.stderr).toContain('pgshift resolve 2');
    const rows = await migrationRows(db.sql);
    expect(rows.map((r) => [r.version, r.status])).toEqual([
      ['1', 'applied'],
      ['2', 'failed'],
    ]);
    expect(rows[1].error_message).toMatch(/^statement 2 at 2_uniq\.sql:3:\d+: 23505 /);
    expect(rows[1].error_message).toContain('left invalid index dup_x');
    // Statement 1 stayed done; the index is there, invalid; 3 never ran.
    expect(await tableExists(db.sql, 'dup')).toBe(true);
    const [idx] = await db.sql`select indisvalid from pg_index where indexrelid = to_regclass('dup_x')`;
    expect(idx.indisvalid).toBe(false);
    expect(await tableExists(db.sql, 'later')).toBe(false);
    const history = await historyRows(db.sql);
    expect(history.map((h) => [h.version, h.action, h.status])).toEqual([
      ['1', 'apply', 'success'],
      ['2', 'apply', 'failed'],
    ]);
    expect(history[1].error_message).toContain('statement 2');

    // Every later run is refused until someone resolves it.
    const refused = await pgshift(['up'], dir, db);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('migration 2 (uniq) is marked failed');
    expect(refused.stderr).toContain('pgshift resolve 2 --applied');
    expect(refused.stderr).toContain('pgshift resolve 2 --rolled-back');
    expect(await tableExists(db.sql, 'later')).toBe(false);
    const down = await pgshift(['down'], dir, db);
    expect(down.code).toBe(3);
    expect(await tableExists(db.sql, 'ok')).toBe(true);
  }

  test('a failure leaves the row failed (statement number, invalid index named); up refuses; resolve --rolled-back deletes the row and up proceeds', async () => {
    const dir = migrationsDir(failing);
    await failOnce(dir);

    const resolved = await pgshift(['resolve', '2', '--rolled-back'], dir, db);
    expect(resolved.stderr).toBe('');
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toContain('resolved 2 uniq as rolled-back');
    expect(await versions()).toEqual([['1', 'applied']]);
    const last = (await historyRows(db.sql)).at(-1)!;
    expect([last.version, last.name, last.action, last.status]).toEqual(['2', 'uniq', 'resolve', 'success']);
    expect(last.error_message).toMatch(/^resolved as rolled-back \(was failed: statement 2/);

    // Nothing left to resolve.
    const twice = await pgshift(['resolve', '2', '--rolled-back'], dir, db);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('no row');

    // Clean up by hand what statement 1 left, fix the data problem in the (now pending) file, run again.
    await db.sql`drop table dup`;
    writeFileSync(join(dir, '2_uniq.sql'), dbmate('CREATE TABLE dup AS SELECT 1 AS x;\nCREATE UNIQUE INDEX CONCURRENTLY dup_x ON dup (x);', 'DROP TABLE dup;', { upTransaction: false }));
    const up = await pgshift(['up'], dir, db);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(await versions()).toEqual([
      ['1', 'applied'],
      ['2', 'applied'],
      ['3', 'applied'],
    ]);
    const [idx] = await db.sql`select indisvalid from pg_index where indexrelid = to_regclass('dup_x')`;
    expect(idx.indisvalid).toBe(true);
  });

  test('resolve --applied marks the failed row applied (history action resolve) and up proceeds past it', async () => {
    const dir = migrationsDir(failing);
    await failOnce(dir);
    // Finish the migration's work by hand, then tell pgshift.
    await db.sql`drop index dup_x`;
    await db.sql`delete from dup where ctid <> (select min(ctid) from dup)`;
    await db.sql`create unique index dup_x on dup (x)`;

    const resolved = await pgshift(['resolve', '2', '--applied', '--env', 'prod'], dir, db);
    expect(resolved.code).toBe(0);
    const rows = await migrationRows(db.sql);
    expect(rows.map((r) => [r.version, r.status, r.error_message])).toEqual([
      ['1', 'applied', null],
      ['2', 'applied', null],
    ]);
    const last = (await historyRows(db.sql)).at(-1)!;
    expect([last.version, last.action, last.status, last.environment]).toEqual(['2', 'resolve', 'success', 'prod']);
    expect(last.error_message).toMatch(/^resolved as applied \(was failed/);

    // An applied row cannot be resolved again.
    const twice = await pgshift(['resolve', '2', '--rolled-back'], dir, db);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('is applied, not failed');

    const up = await pgshift(['up'], dir, db);
    expect(up.code).toBe(0);
    expect(await versions()).toEqual([
      ['1', 'applied'],
      ['2', 'applied'],
      ['3', 'applied'],
    ]);
    // The file was not run again: the table still holds the single row left by hand.
    expect((await db.sql`select count(*)::int as n from dup`)[0].n).toBe(1);
  });

  test('resolve needs --applied or --rolled-back', async () => {
    const dir = migrationsDir(failing);
    const r = await pgshift(['resolve', '2'], dir, db);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--applied|--rolled-back');
  });
});

describe('lock_timeout retries', () => {
  const files = { '1_alter.sql': dbmate('ALTER TABLE t ADD COLUMN c int;', 'ALTER TABLE t DROP COLUMN c;') };

  async function holdTable(): Promise<{ holder: ReturnType<typeof session>; release: () => void; done: Promise<unknown> }> {
    await db.sql`create table t (id int)`;
    const holder = session(db, 'table-holder');
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const done = holder.begin(async (tx) => {
      await tx`lock table t in access exclusive mode`;
      locked();
      await released;
    });
    await isLocked;
    return { holder, release, done };
  }

  test('a migration that hits lock_timeout is retried with backoff and applies once the lock is free', async () => {
    const dir = migrationsDir(files);
    const { holder, release, done } = await holdTable();
    try {
      const run = pgshift(['up', '--lock-timeout', '200ms', '--lock-retries', '3'], dir, db);
      // Once pgshift waits on the table lock, keep it waiting ~700 ms more, then commit.
      await waitFor(
        'pgshift to wait on the table lock',
        async () => (await db.sql`select 1 from pg_stat_activity where datname = current_database() and application_name like 'pgshift@%' and wait_event_type = 'Lock'`).length > 0,
      );
      await new Promise((r) => setTimeout(r, 700));
      release();
      await done;
      const result = await run;
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/↻ 1 alter: canceling statement due to lock timeout; retry 1 in 1\.0 s/);
      expect(await versions()).toEqual([['1', 'applied']]);
      expect((await db.sql`select column_name from information_schema.columns where table_name = 't' order by ordinal_position`).map((r) => r.column_name)).toEqual(['id', 'c']);
      // The failed attempts were rolled back: one success row, no failed ones.
      expect((await historyRows(db.sql)).map((h) => [h.action, h.status])).toEqual([['apply', 'success']]);
    } finally {
      release();
      await holder.end();
    }
  });

  test('with --lock-retries 0 the first lock_timeout fails the migration with 55P03, exit 1', async () => {
    const dir = migrationsDir(files);
    const { holder, release, done } = await holdTable();
    try {
      const started = Date.now();
      const result = await pgshift(['up', '--lock-timeout', '200ms', '--lock-retries', '0'], dir, db);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(result.code).toBe(1);
      expect(result.stdout).not.toContain('↻');
      expect(result.stderr).toContain('55P03');
      expect(result.stderr).toContain('lock timeout');
      expect(await migrationRows(db.sql)).toEqual([]);
      const history = await historyRows(db.sql);
      expect(history.map((h) => [h.action, h.status])).toEqual([['apply', 'failed']]);
      expect(history[0].error_message).toContain('55P03');
    } finally {
      release();
      await done;
      await holder.end();
    }
    expect((await db.sql`select column_name from information_schema.columns where table_name = 't'`).map((r) => r.column_name)).toEqual(['id']);
  });

  test('SIGINT during the backoff between retries ends the run at once, the migration rolled back', async () => {
    const dir = migrationsDir(files);
    const { holder, release, done } = await holdTable();
    try {
      let child!: ChildProcess;
      let out = '';
      // 10 retries: the later backoffs are minutes long, so only an interruptible wait ends promptly.
      const run = pgshift(['up', '--lock-timeout', '100ms', '--lock-retries', '10'], dir, db, [], {
        onSpawn: (c) => {
          child = c;
          c.stdout!.on('data', (d) => (out += d));
        },
        timeoutMs: 30_000,
      });
      await waitFor('the second retry to be announced', async () => out.includes('retry 2 in 2.0 s'), 15_000);
      const signalled = Date.now();
      child.kill('SIGINT');
      const result = await run;
      expect(Date.now() - signalled).toBeLessThan(1500);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('interrupted');
      expect(await migrationRows(db.sql)).toEqual([]);
      const history = await historyRows(db.sql);
      expect(history.map((h) => [h.action, h.status])).toEqual([['apply', 'failed']]);
      expect(history[0].error_message).toContain('55P03');
    } finally {
      release();
      await done;
      await holder.end();
    }
  });

  test('--statement-timeout cancels a statement that runs too long (57014), exit 1', async () => {
    const dir = migrationsDir({ '1_slow.sql': dbmate('CREATE TABLE s (id int);\nSELECT pg_sleep(5);') });
    const started = Date.now();
    const result = await pgshift(['up', '--statement-timeout', '300ms'], dir, db);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('57014');
    expect(result.stderr).toContain('statement timeout');
    expect(await tableExists(db.sql, 's')).toBe(false);
  });
});

describe('selection: --target, --steps, down', () => {
  const five = () => migrationsDir(Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`${n}_m${n}.sql`, dbmate(`CREATE TABLE m${n} (id int);`, `DROP TABLE m${n};`)])));
  const tables = async () => (await db.sql`select relname from pg_class where relname ~ '^m[0-9]$' and relkind = 'r' order by relname`).map((r) => r.relname);

  test('up --target V and up --steps N apply exactly that far', async () => {
    const dir = five();
    expect((await pgshift(['up', '--target', '2'], dir, db)).code).toBe(0);
    expect(await tables()).toEqual(['m1', 'm2']);
    expect((await pgshift(['up', '--steps', '2'], dir, db)).code).toBe(0);
    expect(await tables()).toEqual(['m1', 'm2', 'm3', 'm4']);
    const unknown = await pgshift(['up', '--target', '9'], dir, db);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--target 9 matches no migration');
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    expect(await tables()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  test('down rolls back one by default, --steps N newest first, --target V everything above V, --target 0 all', async () => {
    const dir = five();
    expect((await pgshift(['up'], dir, db)).code).toBe(0);

    const one = await pgshift(['down'], dir, db);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('Rolled back 1 migration');
    expect(await tables()).toEqual(['m1', 'm2', 'm3', 'm4']);

    expect((await pgshift(['down', '--steps', '2'], dir, db)).code).toBe(0);
    expect(await tables()).toEqual(['m1', 'm2']);
    expect((await versions()).map((v) => v[0])).toEqual(['1', '2']);

    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    expect((await pgshift(['down', '--target', '2'], dir, db)).code).toBe(0);
    expect(await tables()).toEqual(['m1', 'm2']);

    expect((await pgshift(['down', '--target', '0'], dir, db)).code).toBe(0);
    expect(await tables()).toEqual([]);
    expect(await migrationRows(db.sql)).toEqual([]);
    const nothing = await pgshift(['down'], dir, db);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toContain('Nothing to roll back');

    // Rollbacks are recorded newest first.
    const rollbacks = (await historyRows(db.sql)).filter((h) => h.action === 'rollback').map((h) => h.version);
    expect(rollbacks).toEqual(['5', '4', '3', '5', '4', '3', '2', '1']);
  });

  test('a selected migration with no down section stops the run before anything is rolled back (exit 3)', async () => {
    const dir = migrationsDir({
      '1_a.sql': dbmate('CREATE TABLE m1 (id int);', 'DROP TABLE m1;'),
      '2_b.sql': dbmate('CREATE TABLE m2 (id int);'),
      '3_c.sql': dbmate('CREATE TABLE m3 (id int);', 'DROP TABLE m3;'),
    });
    expect((await pgshift(['up'], dir, db)).code).toBe(0);

    // 3 has a down, 2 does not: nothing runs, not even 3.
    for (const extra of [
      ['--steps', '2'],
      ['--target', '1'],
      ['--target', '0'],
    ]) {
      const run = await pgshift(['down', ...extra], dir, db);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('migration 2 has no down at all');
      expect(await tables()).toEqual(['m1', 'm2', 'm3']);
    }
    // Only the newest one selected: it rolls back.
    expect((await pgshift(['down'], dir, db)).code).toBe(0);
    expect(await tables()).toEqual(['m1', 'm2']);
    // Now the newest is the one without a down: a plain `down` is refused, not "nothing to roll back".
    const refused = await pgshift(['down'], dir, db);
    expect(refused.stdout).not.toContain('Nothing to roll back');
    expect(refused.stderr).toContain('migration 2 has no down at all');
    expect(refused.code).toBe(3);
    expect(await tables()).toEqual(['m1', 'm2']);
    expect((await historyRows(db.sql)).filter((h) => h.action === 'rollback').map((h) => h.version)).toEqual(['3']);
  });

  test('a failed down leaves the migration applied and records a failed rollback', async () => {
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE m1 (id int);', 'DROP TABLE m1;\nDROP TABLE no_such_table;') });
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    const run = await pgshift(['down'], dir, db);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('(statement 2, down)');
    expect(await tables()).toEqual(['m1']);
    expect(await versions()).toEqual([['1', 'applied']]);
    expect((await historyRows(db.sql)).map((h) => [h.action, h.status])).toEqual([
      ['apply', 'success'],
      ['rollback', 'failed'],
    ]);
  });
});

describe('--single-transaction', () => {
  test('a batch whose 3rd migration fails leaves none of the batch applied', async () => {
    const dir = migrationsDir({
      '1_a.sql': dbmate('CREATE TABLE s1 (id int);'),
      '2_b.sql': dbmate('CREATE TABLE s2 (id int);'),
      '3_c.sql': dbmate('CREATE TABLE s3 (id int);\nSELECT 1 / 0;'),
    });
    const run = await pgshift(['up', '--single-transaction'], dir, db);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/3 c failed at .*3_c\.sql:3:\d+ \(statement 2, up\)/);
    expect(await migrationRows(db.sql)).toEqual([]);
    for (const t of ['s1', 's2', 's3']) expect(await tableExists(db.sql, t)).toBe(false);
    const history = await historyRows(db.sql);
    expect(history.map((h) => [h.version, h.action, h.status])).toEqual([['3', 'apply', 'failed']]);
    expect(history[0].error_message).toContain('whole batch rolled back');

    // Without the failing one, the batch applies as a whole.
    writeFileSync(join(dir, '3_c.sql'), dbmate('CREATE TABLE s3 (id int);'));
    const ok = await pgshift(['up', '--single-transaction'], dir, db);
    expect(ok.code).toBe(0);
    expect((await versions()).map((v) => v[0])).toEqual(['1', '2', '3']);
  });

  test('down --single-transaction rolls back the selected migrations all or nothing', async () => {
    const dir = migrationsDir({
      '1_a.sql': dbmate('CREATE TABLE s1 (id int);', 'DROP TABLE s1;'),
      '2_b.sql': dbmate('CREATE TABLE s2 (id int);', 'DROP TABLE s2;'),
      '3_c.sql': dbmate('CREATE TABLE s3 (id int);', 'DROP TABLE s3;\nDROP TABLE no_such_table;'),
    });
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    const failed = await pgshift(['down', '--target', '0', '--single-transaction'], dir, db);
    expect(failed.code).toBe(1);
    expect((await versions()).map((v) => v[0])).toEqual(['1', '2', '3']);
    for (const t of ['s1', 's2', 's3']) expect(await tableExists(db.sql, t)).toBe(true);

    writeFileSync(join(dir, '3_c.sql'), dbmate('CREATE TABLE s3 (id int);', 'DROP TABLE s3;'));
    const ok = await pgshift(['down', '--steps', '2', '--single-transaction'], dir, db);
    expect(ok.code).toBe(0);
    expect(await versions()).toEqual([['1', 'applied']]);
    expect((await historyRows(db.sql)).filter((h) => h.action === 'rollback').map((h) => [h.version, h.status])).toEqual([
      ['3', 'failed'],
      ['3', 'success'],
      ['2', 'success'],
    ]);
  });

  test('a batch with a transaction:false migration is refused (exit 2) before anything runs', async () => {
    const dir = migrationsDir({
      '1_a.sql': dbmate('CREATE TABLE s1 (id int);'),
      '2_idx.sql': dbmate('CREATE INDEX CONCURRENTLY s1_idx ON s1 (id);', undefined, { upTransaction: false }),
      '3_c.sql': dbmate('CREATE TABLE s3 (id int);'),
    });
    const run = await pgshift(['up', '--single-transaction'], dir, db);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--single-transaction cannot include non-transactional migrations (2)');
    expect(await tableExists(db.sql, 's1')).toBe(false);
    expect(await tableExists(db.sql, 'schema_migrations')).toBe(false);
    // Stopping before it, as the message suggests, works.
    expect((await pgshift(['up', '--single-transaction', '--target', '1'], dir, db)).code).toBe(0);
    expect(await versions()).toEqual([['1', 'applied']]);
  });
});
