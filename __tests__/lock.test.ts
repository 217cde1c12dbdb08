// The migration lock on a real Postgres: concurrent runs apply each migration once, a held lock ends
// in exit 4 naming its holder, and the lock is released after failures, refusals and SIGINT.
import type { ChildProcess } from 'node:child_process';
import { createDatabase, writeMigrations, type TestDatabase } from './helpers/db';
import { advisoryLocks, dbmate, historyRows, migrationRows, migrationsDir, pgshift, session, tableExists, waitFor } from './helpers/pgshift';
import { lockKey } from '../src/db/lock';
import { migrate } from '../src/commands';
import { AbortedError } from '../src/errors';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

/** pgshift's lock on `schema` as pg_locks shows it, held or awaited by anyone. */
/**
 * Runs `pgshift up …args`, waits until its `pg_sleep(30)` is running, sends `signal`; returns the
 * finished run and how long it took to end after the signal.
 */
async function interruptDuringSleep(dir: string, args: string[], signal: NodeJS.Signals) {
  let child!: ChildProcess;
  const run = pgshift(['up', ...args], dir, db, [], { onSpawn: (c) => (child = c), timeoutMs: 20_000 });
  await waitFor(
    'pg_sleep to run',
    async () => (await db.sql`select 1 from pg_stat_activity where datname = current_database() and query like '%pg_sleep(30)%' and state = 'active' and pid <> pg_backend_pid()`).length > 0,
  );
  const signalled = Date.now();
  child.kill(signal);
  const result = await run;
  return { result, took: Date.now() - signalled };
}

async function pgshiftLocks(schema = 'public') {
  const { classid, objid } = lockKey(schema);
  return (await advisoryLocks(db.sql)).filter((l) => l.classid === String(classid) && l.objid === String(objid));
}

test('lockKey is the one pg_advisory_lock(key) shows in pg_locks, and differs per schema', async () => {
  const holder = session(db, 'key-check');
  try {
    const { key, classid, objid } = lockKey('public');
    const [{ pid }] = await holder`select pg_backend_pid() as pid`;
    await holder`select pg_advisory_lock(${key}::bigint)`;
    const locks = await pgshiftLocks('public');
    expect(locks).toEqual([{ pid, classid: String(classid), objid: String(objid), granted: true }]);
    expect(lockKey('other').key).not.toBe(key);
    expect(await pgshiftLocks('other')).toEqual([]);
  } finally {
    await holder.end();
  }
});

test('5 concurrent `up` runs on 20 migrations apply each migration exactly once and all succeed', async () => {
  const files: Record<string, string> = {};
  for (let i = 1; i <= 20; i++) {
    // Each migration also counts its own runs: a second application would fail on the primary key.
    files[`${i}_m${i}.sql`] = dbmate(`CREATE TABLE IF NOT EXISTS runs (version int primary key);\nINSERT INTO runs VALUES (${i});\nCREATE TABLE m${i} (id int);`);
  }
  const dir = migrationsDir(files);
  const runs = await Promise.all(Array.from({ length: 5 }, () => pgshift(['up', '--lock-wait', '30s'], dir, db, [], { timeoutMs: 45_000 })));
  for (const r of runs) {
    expect(r.stderr.replace(/^… waiting for the migration lock.*\n/gm, '')).toBe('');
    expect(r.code).toBe(0);
  }
  // Exactly one run applied anything; the others found it done (they may have waited for the lock).
  const applied = runs.filter((r) => r.stdout.includes('Applied 20 migrations'));
  expect(applied).toHaveLength(1);
  expect(runs.filter((r) => r.stdout.includes('Up to date at 20'))).toHaveLength(4);

  const history = await historyRows(db.sql);
  expect(history).toHaveLength(20);
  expect(history.map((h) => [h.version, h.action, h.status])).toEqual(Array.from({ length: 20 }, (_, i) => [String(i + 1), 'apply', 'success']));
  expect((await migrationRows(db.sql)).filter((r) => r.status === 'applied')).toHaveLength(20);
  expect((await db.sql`select count(*)::int as n from runs`)[0].n).toBe(20);
  expect(await pgshiftLocks()).toEqual([]);
});

describe('a lock held by another session', () => {
  test('up --lock-wait 500ms exits 4 naming the holder’s pid and application_name; after it unlocks, up succeeds', async () => {
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    const holder = session(db, 'deploy-script-42');
    try {
      const [{ pid }] = await holder`select pg_backend_pid() as pid`;
      await holder`select pg_advisory_lock(${lockKey('public').key}::bigint)`;

      const started = Date.now();
      const run = await pgshift(['up', '--lock-wait', '500ms'], dir, db);
      const took = Date.now() - started;
      expect(run.code).toBe(4);
      const final = run.stderr.split('\n').find((l) => l.startsWith('pgshift: '));
      expect(final).toContain('another migration run holds the lock on public.schema_migrations');
      expect(final).toContain(`pid ${pid} (deploy-script-42)`);
      expect(final).toContain('--lock-wait');
      expect(took).toBeGreaterThanOrEqual(500);
      expect(took).toBeLessThan(5000);
      // Nothing was written while waiting, not even the tracking tables.
      expect(await tableExists(db.sql, 'schema_migrations')).toBe(false);
      expect(await tableExists(db.sql, 'a')).toBe(false);

      // --json carries the same error and exit code.
      const json = await pgshift(['up', '--lock-wait', '300ms', '--json'], dir, db);
      expect(json.code).toBe(4);
      const { error } = JSON.parse(json.stdout);
      expect(error).toMatchObject({ type: 'LockError', exitCode: 4 });
      expect(error.message).toContain(`pid ${pid} (deploy-script-42)`);

      // The lock on another schema's tables is another lock.
      const other = await pgshift(['up', '--lock-wait', '300ms', '--schema', 'elsewhere'], dir, db);
      expect(other.code).toBe(0);
      await db.sql`drop table a`;

      await holder`select pg_advisory_unlock(${lockKey('public').key}::bigint)`;
      const ok = await pgshift(['up', '--lock-wait', '500ms'], dir, db);
      expect(ok.code).toBe(0);
      expect(await migrationRows(db.sql)).toHaveLength(1);
    } finally {
      await holder.end();
    }
  });

  test('the holder named is the one in this database: the same key held in other databases is another lock', async () => {
    // Advisory locks belong to a database; pg_locks shows every database's. Runs against other
    // databases on the same server (other apps, parallel CI jobs) hold the same key all the time.
    const others = await Promise.all([0, 1, 2].map(() => createDatabase()));
    const otherHolders = others.map((o) => session(o, 'other-db-holder'));
    const holder = session(db, 'this-db-holder');
    try {
      for (const h of otherHolders) await h`select pg_advisory_lock(${lockKey('public').key}::bigint)`;
      const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
      // Held elsewhere only: this database's lock is free.
      const free = await pgshift(['up', '--lock-wait', '300ms'], dir, db);
      expect(free.code).toBe(0);

      writeMigrations(dir, { '2_b.sql': dbmate('CREATE TABLE b (id int);') });
      const [{ pid }] = await holder`select pg_backend_pid() as pid`;
      await holder`select pg_advisory_lock(${lockKey('public').key}::bigint)`;
      const run = await pgshift(['up', '--lock-wait', '300ms'], dir, db);
      expect(run.code).toBe(4);
      expect(run.stderr).not.toContain('other-db-holder');
      expect(run.stderr.split('\n').find((l) => l.startsWith('pgshift: '))).toContain(`pid ${pid} (this-db-holder)`);
    } finally {
      await holder.end();
      for (const h of otherHolders) await h.end();
      for (const o of others) await o.drop();
    }
  });

  test('a run that waits gets the lock as soon as the holder lets go', async () => {
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    const holder = session(db, 'slow-holder');
    try {
      await holder`select pg_advisory_lock(${lockKey('public').key}::bigint)`;
      const run = pgshift(['up', '--lock-wait', '20s'], dir, db);
      await waitFor('pgshift to report the wait', async () => (await db.sql`select 1 from pg_stat_activity where datname = current_database() and application_name like 'pgshift@%'`).length > 0);
      await new Promise((r) => setTimeout(r, 300));
      await holder`select pg_advisory_unlock(${lockKey('public').key}::bigint)`;
      const result = await run;
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/waiting for the migration lock held by pid \d+ \(slow-holder\)/);
      expect(await tableExists(db.sql, 'a')).toBe(true);
    } finally {
      await holder.end();
    }
  });
});

describe('the lock is always released', () => {
  /** Asserts, right after the run's exit, that no session holds pgshift's lock; then that it is free. */
  async function released() {
    expect(await pgshiftLocks()).toEqual([]);
    // And a run with almost no patience gets it at once.
    const dir = migrationsDir({});
    const check = await pgshift(['up', '--lock-wait', '0ms'], dir, db);
    expect(check.stderr).not.toContain('holds the lock');
  }

  test('after a failed migration', async () => {
    const dir = migrationsDir({ '1_bad.sql': dbmate('SELECT 1 / 0;') });
    const run = await pgshift(['up'], dir, db);
    expect(run.code).toBe(1);
    await released();
  });

  test('after a failed non-transactional migration', async () => {
    const dir = migrationsDir({ '1_bad.sql': dbmate('SELECT 1;\nSELECT 1 / 0;', undefined, { upTransaction: false }) });
    const run = await pgshift(['up'], dir, db);
    expect(run.code).toBe(1);
    await released();
  });

  test('after a validation refusal', async () => {
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    await db.sql`update schema_migrations set checksum = 'sha256:0000'`;
    writeMigrations(dir, { '2_b.sql': dbmate('CREATE TABLE b (id int);') });
    const run = await pgshift(['up'], dir, db);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('was changed after it ran');
    expect(await tableExists(db.sql, 'b')).toBe(false);
    await released();
  });

  test('after SIGINT during a long migration: exits non-zero promptly, rolled back, failed history row, no lock left', async () => {
    const dir = migrationsDir({
      '1_first.sql': dbmate('CREATE TABLE first (id int);'),
      '2_slow.sql': dbmate('CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\nCREATE TABLE slow2 (id int);'),
      '3_never.sql': dbmate('CREATE TABLE never (id int);'),
    });
    const { result, took } = await interruptDuringSleep(dir, [], 'SIGINT');

    expect(result.signal).toBeNull();
    expect(result.code).not.toBe(0);
    expect(result.code).toBe(1);
    expect(took).toBeLessThan(5000);
    expect(result.stderr).toContain('SIGINT received');
    expect(result.stderr).toContain('interrupted');

    expect(await migrationRows(db.sql)).toEqual([expect.objectContaining({ version: '1', status: 'applied' })]);
    expect(await tableExists(db.sql, 'first')).toBe(true);
    expect(await tableExists(db.sql, 'slow')).toBe(false);
    expect(await tableExists(db.sql, 'never')).toBe(false);
    const history = await historyRows(db.sql);
    expect(history.map((h) => [h.version, h.action, h.status])).toEqual([
      ['1', 'apply', 'success'],
      ['2', 'apply', 'failed'],
    ]);
    expect(history[1].error_message).toContain('57014');
    expect(history[1].error_message).toContain('statement 2');
    await released();
  });

  test('after SIGINT during a non-transactional migration: marked failed, no lock left', async () => {
    const dir = migrationsDir({
      '1_slow.sql': dbmate('CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\nCREATE TABLE slow2 (id int);', undefined, { upTransaction: false }),
    });
    const { result, took } = await interruptDuringSleep(dir, [], 'SIGINT');
    expect(took).toBeLessThan(5000);
    expect(result.code).toBe(1);
    // Statement 1 stayed done, 3 never ran: the row says failed until resolved.
    expect(await tableExists(db.sql, 'slow')).toBe(true);
    expect(await tableExists(db.sql, 'slow2')).toBe(false);
    const rows = await migrationRows(db.sql);
    expect(rows.map((r) => [r.version, r.status])).toEqual([['1', 'failed']]);
    expect(rows[0].error_message).toContain('statement 2');
    expect((await historyRows(db.sql)).map((h) => [h.version, h.action, h.status])).toEqual([['1', 'apply', 'failed']]);
    await released();
  });

  test('after SIGTERM during a --single-transaction batch: the whole batch rolled back', async () => {
    const dir = migrationsDir({
      '1_a.sql': dbmate('CREATE TABLE a (id int);'),
      '2_slow.sql': dbmate('SELECT pg_sleep(30);'),
      '3_c.sql': dbmate('CREATE TABLE c (id int);'),
    });
    const { result, took } = await interruptDuringSleep(dir, ['--single-transaction'], 'SIGTERM');
    expect(took).toBeLessThan(5000);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SIGTERM received');
    expect(await migrationRows(db.sql)).toEqual([]);
    expect(await tableExists(db.sql, 'a')).toBe(false);
    expect(await tableExists(db.sql, 'c')).toBe(false);
    const history = await historyRows(db.sql);
    expect(history.map((h) => [h.version, h.action, h.status])).toEqual([['2', 'apply', 'failed']]);
    expect(history[0].error_message).toContain('whole batch rolled back');
    await released();
  });

  test('an interrupt between two statements of a non-transactional migration: marked failed, with its failed history row', async () => {
    // In-process, to time the interrupt: it comes as statement 1 (fast) starts, which then completes;
    // the run must stop before statement 2.
    const dir = migrationsDir({ '1_two.sql': dbmate('CREATE TABLE one (id int);\nCREATE TABLE two (id int);', undefined, { upTransaction: false }) });
    const controller = new AbortController();
    const run = migrate(
      {
        dir,
        databaseUrl: db.url,
        actor: 'in-process',
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'statement-start' && e.statementNumber === 1) controller.abort();
        },
      },
      { direction: 'up' },
    );
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    const rows = await migrationRows(db.sql);
    expect(rows.map((r) => [r.version, r.status])).toEqual([['1', 'failed']]);
    expect(await tableExists(db.sql, 'two')).toBe(false);
    const history = await historyRows(db.sql);
    expect(history.map((h) => [h.version, h.action, h.status, h.executed_by])).toEqual([['1', 'apply', 'failed', 'in-process']]);
    expect(history[0].error_message).toBe(rows[0].error_message);
    expect(await pgshiftLocks()).toEqual([]);
  });

  test('after SIGINT while waiting for the lock', async () => {
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    const holder = session(db, 'holder');
    try {
      await holder`select pg_advisory_lock(${lockKey('public').key}::bigint)`;
      let child!: ChildProcess;
      const run = pgshift(['up', '--lock-wait', '30s'], dir, db, [], { onSpawn: (c) => (child = c), timeoutMs: 20_000 });
      await waitFor('pgshift to connect', async () => (await db.sql`select 1 from pg_stat_activity where datname = current_database() and application_name like 'pgshift@%'`).length > 0);
      await new Promise((r) => setTimeout(r, 200));
      const signalled = Date.now();
      child.kill('SIGINT');
      const result = await run;
      expect(Date.now() - signalled).toBeLessThan(3000);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('interrupted while waiting for the migration lock');
      expect(await tableExists(db.sql, 'a')).toBe(false);
      expect(await pgshiftLocks()).toEqual([expect.objectContaining({ granted: true })]);
    } finally {
      await holder.end();
    }
  });
});
