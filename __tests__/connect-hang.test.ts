// Connecting never hangs: an endpoint that accepts TCP and closes, never answers, or answers with
// another protocol is retried within --connect-timeout and then refused with exit 2, naming host,
// port, database and what the server did. A refused connection gets a short window unless
// --connect-timeout is given; sslmode=require against a server without TLS fails at once; an
// interrupt while connecting says that nothing ran.
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { createDatabase, type TestDatabase } from './helpers/db';
import { runAction } from './helpers/action';
import { FakeGitHub } from './helpers/github-server';
import { dbmate, migrationsDir, pgshift, tableExists, waitFor } from './helpers/pgshift';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

type Behaviour = 'close' | 'silent' | 'garbage';

/** A TCP server on 127.0.0.1 that is not Postgres; counts the connections it was offered. */
async function impostor(behaviour: Behaviour): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((s) => {
    count++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    if (behaviour === 'close') s.end();
    else if (behaviour === 'garbage') s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => count,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function urlOn(port: number): string {
  const u = new URL(db.url);
  u.port = String(port);
  return u.toString();
}

const finalLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('pgshift: ')) ?? '';

describe.each([
  ['close', 'the server closed the connection before answering', true],
  ['silent', 'the server accepted the connection but did not answer within 2.0 s', false],
  ['garbage', 'the server answered with something that is not the Postgres protocol (it began "HTTP/1.1 400 Bad Request', true],
] as const)('an endpoint that is not Postgres (%s)', (behaviour, said, retried) => {
  test('up ends with exit 2 within --connect-timeout, naming host, port, database and what the server did', async () => {
    const server = await impostor(behaviour);
    try {
      const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
      const started = Date.now();
      const run = await pgshift(['up', '--connect-timeout', '2s'], dir, urlOn(server.port), [], { timeoutMs: 20_000 });
      const took = Date.now() - started;
      expect(run.signal).toBeNull(); // not killed by the test's timeout: it ended on its own
      expect(run.code).toBe(2);
      expect(took).toBeLessThan(6000);
      const final = finalLine(run.stderr);
      expect(final).toContain(`cannot connect to Postgres at 127.0.0.1:${server.port}/${db.name} as postgres: ${said}`);
      expect(final).toMatch(/gave up after \d+ attempts?; raise --connect-timeout to wait longer\)\.$/);
      if (retried) expect(run.stderr).toMatch(new RegExp(`… cannot connect to 127\\.0\\.0\\.1:${server.port}/${db.name} as postgres yet \\(.*\\); retrying in \\d+ ms`));
      // Retried with backoff, not in a tight loop, and not after giving up.
      const offered = server.connections();
      expect(offered).toBeLessThan(15);
      await new Promise((r) => setTimeout(r, 500));
      expect(server.connections()).toBe(offered);
      expect(await tableExists(db.sql, 'schema_migrations')).toBe(false);
    } finally {
      await server.close();
    }
  });
});

test('the action against an endpoint that accepts and closes: status failed within connect-timeout, naming what the server did', async () => {
  const server = await impostor('close');
  const gh = await new FakeGitHub().start();
  const workspace = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') }).replace(/\/migrations$/, '');
  try {
    const started = Date.now();
    const r = await runAction({ inputs: { 'database-url': urlOn(server.port), 'connect-timeout': '2s', 'github-token': 't0ken' }, apiUrl: gh.url, workspace });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('failed');
    expect(r.stdout).toContain(`cannot connect to Postgres at 127.0.0.1:${server.port}/${db.name} as postgres: the server closed the connection before answering`);
    expect(r.stdout).toContain('raise the connect-timeout input');
  } finally {
    await gh.stop();
    await server.close();
  }
});

describe('a refused connection (nothing listens on the port)', () => {
  async function closedPort(): Promise<number> {
    const server = await impostor('close');
    await server.close();
    return server.port;
  }

  test('without --connect-timeout: retried for 5 s, not 30 s, and the message says how to wait longer', async () => {
    const port = await closedPort();
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    const started = Date.now();
    const run = await pgshift(['status'], dir, urlOn(port), [], { timeoutMs: 40_000 });
    const took = Date.now() - started;
    expect(run.code).toBe(2);
    expect(took).toBeGreaterThanOrEqual(4500);
    expect(took).toBeLessThan(9000);
    const final = finalLine(run.stderr);
    expect(final).toContain(`cannot connect to Postgres at 127.0.0.1:${port}/${db.name} as postgres: the connection was refused: nothing listens on port ${port} there (ECONNREFUSED)`);
    expect(final).toContain('a refused connection is retried for 5.0 s only: raise --connect-timeout to wait longer for a server that is still starting');
  });

  test('with --connect-timeout given: retried for all of it', async () => {
    const port = await closedPort();
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    const started = Date.now();
    const run = await pgshift(['status', '--connect-timeout', '7s'], dir, urlOn(port), [], { timeoutMs: 40_000 });
    expect(run.code).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(6500);
    expect(finalLine(run.stderr)).toMatch(/ECONNREFUSED\) \(gave up after \d+ attempts; raise --connect-timeout to wait longer\)\.$/);
  });
});

test('sslmode=require against a server without TLS fails at once, saying the server does not offer TLS', async () => {
  const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
  const url = new URL(db.url);
  url.searchParams.set('sslmode', 'require');
  const started = Date.now();
  const run = await pgshift(['up'], dir, url.toString(), [], { timeoutMs: 40_000 });
  expect(run.code).toBe(2);
  expect(Date.now() - started).toBeLessThan(4000);
  expect(run.stderr).not.toContain('retrying');
  const final = finalLine(run.stderr);
  expect(final).toContain(`cannot connect to Postgres at 127.0.0.1:${url.port}/${db.name} as postgres: the server does not offer TLS`);
  expect(final).toContain('sslmode=require');
  expect(final).not.toContain('--connect-timeout');
});

test('SIGTERM while connecting says pgshift stopped connecting and nothing ran, not that a migration is cancelled', async () => {
  const server = await impostor('silent');
  try {
    const dir = migrationsDir({ '1_a.sql': dbmate('CREATE TABLE a (id int);') });
    let child!: ChildProcess;
    const run = pgshift(['up', '--connect-timeout', '60s'], dir, urlOn(server.port), [], { onSpawn: (c) => (child = c), timeoutMs: 30_000 });
    await waitFor('the connection attempt', async () => server.connections() > 0);
    child.kill('SIGTERM');
    const result = await run;
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toContain('cancelling the running migration');
    expect(result.stderr).toContain('pgshift: SIGTERM received: stopping');
    expect(result.stderr).toMatch(/^pgshift: interrupted while connecting to the database; nothing ran/m);
  } finally {
    await server.close();
  }
});
