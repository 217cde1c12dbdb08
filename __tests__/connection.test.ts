// Connecting: retries while the server is unreachable, no retry on a wrong password, one sentence
// naming host, port and database, and the password nowhere in any output.
import type { ChildProcess } from 'node:child_process';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { createDatabase, runCli, type TestDatabase } from './helpers/db';
import { dbmate, historyRows, migrationsDir, pgshift, waitFor } from './helpers/pgshift';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

/** The test server's admin password (see scripts/embedded-pg.mjs), present in db.url. */
const ADMIN_PASSWORD = new URL(process.env.PGSHIFT_TEST_ADMIN_URL ?? 'postgres://x:y@h/d').password;

function withUrl(url: string, change: (u: URL) => void): string {
  const u = new URL(url);
  change(u);
  return u.toString();
}

/** A port nothing listens on (it was free a moment ago). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A TCP proxy on `port` to the test server: a database that comes up late. */
function proxy(port: number, to: URL): Promise<{ server: Server; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(to.port), to.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        server,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}

function expectNoSecret(text: string, secret: string) {
  expect(text).not.toContain(secret);
  expect(text).not.toContain(encodeURIComponent(secret));
}

describe('an unreachable server', () => {
  test('--connect-timeout 1s: retries, then exits 2 naming host, port and database', async () => {
    const port = await freePort();
    const url = withUrl(db.url, (u) => (u.port = String(port)));
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    const started = Date.now();
    const run = await pgshift(['up', '--connect-timeout', '1s'], dir, url);
    const took = Date.now() - started;
    expect(run.code).toBe(2);
    // At least two retries were announced, then given up on, about a second later.
    const retries = run.stderr.split('\n').filter((l) => l.includes(`cannot connect to 127.0.0.1:${port}/${db.name} as postgres yet`));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]).toMatch(/retrying in \d+ ms/);
    const final = run.stderr.split('\n').find((l) => l.startsWith('pgshift: '))!;
    expect(final).toContain(`cannot connect to Postgres at 127.0.0.1:${port}/${db.name} as postgres`);
    expect(final).toContain('ECONNREFUSED');
    expect(final).toMatch(/gave up after \d+ attempts; raise --connect-timeout/);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(6000);
    expectNoSecret(run.stdout + run.stderr, ADMIN_PASSWORD);
  });

  test('a server that comes up while pgshift retries is used as soon as it answers', async () => {
    const port = await freePort();
    const url = withUrl(db.url, (u) => (u.port = String(port)));
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    const run = pgshift(['up', '--connect-timeout', '20s'], dir, url);
    await new Promise((r) => setTimeout(r, 700));
    const p = await proxy(port, new URL(db.url));
    try {
      const result = await run;
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('retrying in');
      expect((await historyRows(db.sql)).map((h) => [h.version, h.status])).toEqual([['1', 'success']]);
    } finally {
      await p.close();
    }
  });

  test('SIGINT while retrying the connection stops at once', async () => {
    const port = await freePort();
    const url = withUrl(db.url, (u) => (u.port = String(port)));
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    let child!: ChildProcess;
    let err = '';
    const run = pgshift(['up', '--connect-timeout', '60s'], dir, url, [], {
      onSpawn: (c) => {
        child = c;
        c.stderr!.on('data', (d) => (err += d));
      },
      timeoutMs: 30_000,
    });
    await waitFor('a retry', async () => /retrying in/.test(err), 10_000);
    const signalled = Date.now();
    child.kill('SIGINT');
    const result = await run;
    expect(Date.now() - signalled).toBeLessThan(1500);
    expect(result.signal).toBeNull();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('interrupted');
  });

  test('a server that accepts the connection but never answers: timed out per --connect-timeout, and SIGINT ends the wait', async () => {
    const silent = createServer(() => {});
    const sockets = new Set<Socket>();
    silent.on('connection', (s) => {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const url = withUrl(db.url, (u) => (u.port = String(port)));
      const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
      const started = Date.now();
      const run = await pgshift(['status', '--connect-timeout', '1s'], dir, url);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`cannot connect to Postgres at 127.0.0.1:${port}/${db.name}`);
      expect(Date.now() - started).toBeLessThan(6000);

      // One attempt may last 10 s here; an interrupt must not wait for it.
      let child!: ChildProcess;
      const long = pgshift(['up', '--connect-timeout', '60s'], dir, url, [], { onSpawn: (c) => (child = c), timeoutMs: 30_000 });
      for (const s of sockets) s.destroy();
      sockets.clear();
      await waitFor('the connection attempt', async () => sockets.size > 0, 10_000);
      const signalled = Date.now();
      child.kill('SIGINT');
      const result = await long;
      expect(Date.now() - signalled).toBeLessThan(1500);
      expect(result.signal).toBeNull();
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('interrupted while connecting');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('plan and status report an unreachable server the same way', async () => {
    const port = await freePort();
    const url = withUrl(db.url, (u) => (u.port = String(port)));
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    for (const command of ['plan', 'status']) {
      const run = await pgshift([command, '--connect-timeout', '300ms'], dir, url);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`cannot connect to Postgres at 127.0.0.1:${port}/${db.name}`);
    }
  });
});

describe('a wrong password', () => {
  const WRONG = 'Zebra-Wrong-Pass-8842';

  test('exits 2 promptly, with no retry loop, and the password appears nowhere (text and --json)', async () => {
    const url = withUrl(db.url, (u) => (u.password = WRONG));
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });

    const started = Date.now();
    const run = await pgshift(['up', '--connect-timeout', '20s', '--verbose'], dir, url);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain('retrying');
    expect(run.stderr).toContain(`cannot connect to Postgres at 127.0.0.1:${new URL(db.url).port}/${db.name} as postgres`);
    expect(run.stderr).toContain('password authentication failed');
    expectNoSecret(run.stdout + run.stderr, WRONG);

    const json = await pgshift(['up', '--connect-timeout', '20s', '--json'], dir, url);
    expect(json.code).toBe(2);
    const { error } = JSON.parse(json.stdout);
    expect(error).toMatchObject({ type: 'ConnectionError', exitCode: 2 });
    expect(error.message).toContain('password authentication failed');
    expectNoSecret(json.stdout + json.stderr, WRONG);

    // Given through DATABASE_URL instead of the flag: the same.
    const env = await runWithEnvUrl(['status'], dir, url);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('password authentication failed');
    expectNoSecret(env.stdout + env.stderr, WRONG);
    expect(await historyTableExists()).toBe(false);
  });

  test('a database that does not exist, a malformed URL, another scheme: exit 2 at once, the password never echoed', async () => {
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    const missing = withUrl(db.url, (u) => (u.pathname = '/no_such_db_here'));
    const started = Date.now();
    const run = await pgshift(['up', '--connect-timeout', '20s'], dir, missing);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`cannot connect to Postgres at 127.0.0.1:${new URL(db.url).port}/no_such_db_here as postgres`);
    expect(run.stderr).toContain('does not exist');
    expectNoSecret(run.stdout + run.stderr, ADMIN_PASSWORD);

    for (const url of [`postgres://postgres:${WRONG}@127.0.0.1:notaport/db`, `mysql://root:${WRONG}@127.0.0.1:3306/db`]) {
      const bad = await pgshift(['up', '--json'], dir, url);
      expect(bad.code).toBe(2);
      expect(JSON.parse(bad.stdout).error.message).toMatch(/database URL/);
      expectNoSecret(bad.stdout + bad.stderr, WRONG);
    }
  });

  test('a password with URL-encoded characters is redacted raw and decoded', async () => {
    const secret = 'p@ss:w/rd-Quokka-5150';
    const url = withUrl(db.url, (u) => (u.password = encodeURIComponent(secret)));
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    const run = await pgshift(['up', '--json'], dir, url);
    expect(run.code).toBe(2);
    expectNoSecret(run.stdout + run.stderr, secret);
  });
});

async function historyTableExists(): Promise<boolean> {
  return (await db.sql`select to_regclass('migration_history') is not null as t`)[0].t as boolean;
}

function runWithEnvUrl(command: string[], dir: string, url: string) {
  return runCli([...command, '--dir', dir], { env: { DATABASE_URL: url } });
}

describe('the password is redacted from everything a successful or failed run prints', () => {
  test('--verbose run: the password is nowhere in the output', async () => {
    const dir = migrationsDir({
      '1_a.sql': dbmate('CREATE TABLE a (id int);', 'DROP TABLE a;'),
      '2_b.sql': dbmate('CREATE INDEX CONCURRENTLY a_idx ON a (id);', 'DROP INDEX CONCURRENTLY a_idx;', { upTransaction: false, downTransaction: false }),
    });
    for (const command of [['plan'], ['up', '--verbose'], ['status'], ['down', '--verbose'], ['up', '--verbose', '--json']]) {
      const run = await pgshift(command, dir, db);
      expect(run.code).toBe(0);
      expectNoSecret(run.stdout + run.stderr, ADMIN_PASSWORD);
    }
  });

  test('a failed migration whose error mentions the URL or the password: redacted on screen, in --json and in the tracking tables', async () => {
    const dir = migrationsDir({
      '1_url.sql': dbmate(`SELECT '${db.url}'::int;`),
    });
    const run = await pgshift(['up', '--verbose'], dir, db);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('invalid input syntax for type integer');
    expect(run.stderr).toContain('postgres://postgres:***@');
    expectNoSecret(run.stdout + run.stderr, ADMIN_PASSWORD);
    const [failed] = await historyRows(db.sql);
    expect(failed.status).toBe('failed');
    expect(failed.error_message).toContain('invalid input syntax for type integer');
    expectNoSecret(failed.error_message!, ADMIN_PASSWORD);

    // The bare password (no URL around it), in message, detail and hint, text and JSON.
    const dir2 = migrationsDir({
      '1_raise.sql': dbmate(`DO $$ BEGIN RAISE EXCEPTION 'boom %', '${ADMIN_PASSWORD}' USING DETAIL = 'detail ${ADMIN_PASSWORD}', HINT = 'hint ${db.url}'; END $$;`),
    });
    for (const extra of [['--verbose'], ['--json']]) {
      const r = await pgshift(['up', ...extra], dir2, db);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain('boom ***');
      expect(r.stdout + r.stderr).toContain('detail ***');
      expectNoSecret(r.stdout + r.stderr, ADMIN_PASSWORD);
    }
    for (const h of await historyRows(db.sql)) expectNoSecret(h.error_message ?? '', ADMIN_PASSWORD);

    // The same in a non-transactional migration, whose error goes into schema_migrations too.
    const dir3 = migrationsDir({ '1_nontx.sql': dbmate(`SELECT '${db.url}'::int;`, undefined, { upTransaction: false }) });
    const r3 = await pgshift(['up'], dir3, db);
    expect(r3.code).toBe(1);
    expectNoSecret(r3.stdout + r3.stderr, ADMIN_PASSWORD);
    const [row] = await db.sql`select status, error_message from schema_migrations`;
    expect(row.status).toBe('failed');
    expect(row.error_message).toContain('postgres://postgres:***@');
    expectNoSecret(row.error_message, ADMIN_PASSWORD);
  });
});
