// Migrations pipelined across their COMMITs: each keeps its own transaction and tracking rows, and a
// failure stops everything behind it on the server, whatever the client library sends after it. The
// guard that makes it so is proven on the wire with postgres.js itself; the rest through the built CLI.
import postgres from 'postgres';
import { Tracking } from '../src/db/tracking';
import { WINDOW_STEPS } from '../src/execute/run';
import { createDatabase, type TestDatabase } from './helpers/db';
import { dbmate, historyRows, migrationRows, migrationsDir, pgshift, waitFor } from './helpers/pgshift';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

const versions = async () => (await migrationRows(db.sql)).map((r) => `${r.version}:${r.status}`);
const tables = async () =>
  (await db.sql<{ t: string }[]>`select relname as t from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace and relname like 't%' order by length(relname), relname`).map(
    (r) => r.t,
  );

/** n trivial migrations creating t1..tn, each with its down; `replace` swaps some for other SQL. */
function numbered(n: number, replace: Record<number, string> = {}, downs: Record<number, string> = {}): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= n; i++) files[`${i}_m${i}.sql`] = dbmate(replace[i] ?? `CREATE TABLE t${i} (id int);`, downs[i] ?? `DROP TABLE t${i};`);
  return files;
}

describe('the guard, on the wire', () => {
  // What postgres.js does after a failure: each query ends with its own Sync, so after migration 1's
  // COMMIT turns into ROLLBACK, migration 2's BEGIN starts a fresh transaction and would run.
  async function pipeline(withGuard: boolean): Promise<string[]> {
    await db.sql`create table schema_migrations (version text primary key, status text not null)`;
    const tracking = new Tracking('public');
    const sql = postgres(db.url, { max: 1, onnotice: () => {}, prepare: true, fetch_types: false });
    try {
      // postgres.js reserves an open connection only: open it first (pgshift's connect() does the same).
      await sql`select 1`;
      const reserved = await sql.reserve();
      const guard = tracking.guardAfter({ version: '1', direction: 'up' });
      const parts = [
        reserved.unsafe('begin'),
        reserved.unsafe('create table a (id int)'),
        reserved.unsafe('select 1 / 0'),
        reserved.unsafe(`insert into schema_migrations values ('1', 'applied')`),
        reserved.unsafe('commit'),
        reserved.unsafe('begin'),
        ...(withGuard ? [reserved.unsafe(guard.text, guard.params, { prepare: true })] : []),
        reserved.unsafe('create table b (id int)'),
        reserved.unsafe(`insert into schema_migrations values ('2', 'applied')`),
        reserved.unsafe('commit'),
      ];
      for (const p of parts) p.execute();
      await Promise.allSettled(parts);
      reserved.release();
    } finally {
      await sql.end();
    }
    return (await db.sql<{ relname: string }[]>`select relname from pg_class where relname in ('a', 'b') order by 1`).map((r) => r.relname);
  }

  test('without it, the migration after a failed one runs and commits (what the guard is for)', async () => {
    expect(await pipeline(false)).toEqual(['b']);
  });

  test('with it, the migration after a failed one is refused by the server', async () => {
    expect(await pipeline(true)).toEqual([]);
    expect((await db.sql`select count(*)::int as n from schema_migrations`)[0].n).toBe(0);
  });
});

describe('through the CLI', () => {
  test('a failure in migration 3 of 50 sent in one pipeline: 1 and 2 applied and recorded, 3 recorded as failed, 4 to 50 untouched and unrecorded', async () => {
    expect(WINDOW_STEPS).toBeGreaterThanOrEqual(50);
    const dir = migrationsDir(numbered(50, { 3: 'CREATE TABLE t3 (id int);\nINSERT INTO t3 VALUES (1 / 0);' }));
    const r = await pgshift(['up'], dir, db);
    expect(r.code).toBe(1);
    // One progress line per migration as its result arrives, with its duration; then the failure at file:line:column.
    expect(r.stdout.split('\n').filter((l) => l.startsWith('✓ applied'))).toEqual([
      expect.stringMatching(/^✓ applied {5}1 m1 {2}\d+(\.\d+)? m?s$/),
      expect.stringMatching(/^✓ applied {5}2 m2 {2}\d+(\.\d+)? m?s$/),
    ]);
    expect(r.stderr).toContain('3_m3.sql:3:1');
    expect(r.stderr).toContain('division by zero');
    expect(r.stderr).toMatch(/not run: 4 m4, 5 m5, .*50 m50/);
    expect(await versions()).toEqual(['1:applied', '2:applied']);
    expect(await tables()).toEqual(['t1', 't2']);
    const history = await historyRows(db.sql);
    expect(history.map((h) => `${h.version}:${h.action}:${h.status}`)).toEqual(['1:apply:success', '2:apply:success', '3:apply:failed']);
  });

  test('more migrations than a window (150): all applied, in order, each recorded once', async () => {
    const dir = migrationsDir(numbered(150));
    const r = await pgshift(['up'], dir, db);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = await migrationRows(db.sql);
    expect(rows.map((x) => x.version)).toEqual(Array.from({ length: 150 }, (_, i) => String(i + 1)));
    const history = await historyRows(db.sql);
    expect(history.map((h) => h.version)).toEqual(Array.from({ length: 150 }, (_, i) => String(i + 1)));
    // And down, pipelined too: everything rolled back newest first.
    const down = await pgshift(['down', '--target', '0', '--yes'], dir, db);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(await versions()).toEqual([]);
    expect(await tables()).toEqual([]);
  });

  test('a down that fails in the middle: the ones before it rolled back, it stays applied, the ones after it untouched', async () => {
    const dir = migrationsDir(numbered(20, {}, { 15: 'DROP TABLE t15_typo;' }));
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    const r = await pgshift(['down', '--steps', '20', '--yes'], dir, db);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('t15_typo');
    expect(await versions()).toEqual(Array.from({ length: 15 }, (_, i) => `${i + 1}:applied`));
    const rollbacks = (await historyRows(db.sql)).filter((h) => h.action === 'rollback');
    expect(rollbacks.map((h) => `${h.version}:${h.status}`)).toEqual(['20:success', '19:success', '18:success', '17:success', '16:success', '15:failed']);
  });

  test('a lock timeout in the middle of a pipeline is retried from that migration; the run completes', async () => {
    await db.sql`create table busy (id int)`;
    const holder = postgres(db.url, { max: 1, onnotice: () => {} });
    const reserved = await holder.reserve();
    await reserved`begin`;
    await reserved`lock table busy in access exclusive mode`;
    try {
      const dir = migrationsDir(numbered(10, { 4: 'ALTER TABLE busy ADD COLUMN x int;\nCREATE TABLE t4 (id int);' }));
      const run = pgshift(['up'], dir, db, ['--lock-timeout', '300ms', '--lock-retries', '5']);
      // Released once migration 4 has waited past its lock timeout: its retry (1 s later) then gets the lock.
      await waitFor('migration 4 to wait for the lock', async () => (await db.sql`select 1 from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid()`).length > 0, 30_000, 10);
      await new Promise((r) => setTimeout(r, 600));
      await reserved`commit`;
      const r = await run;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/↻ 4 m4: .*lock timeout.*; retry 1 in/);
      expect(await versions()).toEqual(Array.from({ length: 10 }, (_, i) => `${i + 1}:applied`));
    } finally {
      await reserved`commit`.catch(() => {});
      reserved.release();
      await holder.end();
    }
  });

  test('SIGINT in the middle of a pipeline: the ones before applied, the running one rolled back and recorded, none after it touched', async () => {
    const dir = migrationsDir(numbered(12, { 5: 'CREATE TABLE t5 (id int);\nSELECT pg_sleep(30);' }));
    let child: import('node:child_process').ChildProcess | undefined;
    const run = pgshift(['up'], dir, db, [], { onSpawn: (c) => (child = c) });
    await waitFor('migration 5 to be running', async () => (await db.sql`select 1 from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()`).length > 0);
    child!.kill('SIGINT');
    const r = await run;
    expect(r.code).not.toBe(0);
    expect(await versions()).toEqual(['1:applied', '2:applied', '3:applied', '4:applied']);
    expect(await tables()).toEqual(['t1', 't2', 't3', 't4']);
    const history = await historyRows(db.sql);
    expect(history.map((h) => `${h.version}:${h.status}`)).toEqual(['1:success', '2:success', '3:success', '4:success', '5:failed']);
  });

  test('a terminated backend in the middle of a pipeline: what committed is reported applied, the rest untouched', async () => {
    const dir = migrationsDir(numbered(10, { 3: 'CREATE TABLE t3 (id int);\nSELECT pg_sleep(30);' }));
    const run = pgshift(['up'], dir, db);
    const victim = await waitFor('migration 3 to be running', async () => {
      const rows = await db.sql<{ pid: number }[]>`select pid from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()`;
      return rows[0];
    });
    await db.sql`select pg_terminate_backend(${victim.pid})`;
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/3 m3 lost its connection/);
    expect(r.stderr).toMatch(/not run: 4 m4, .*10 m10/);
    expect(await versions()).toEqual(['1:applied', '2:applied']);
    expect(await tables()).toEqual(['t1', 't2']);
  });
});
