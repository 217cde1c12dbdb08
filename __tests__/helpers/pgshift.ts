// Helpers shared by the execution, locking, tracking and connection tests: run the built CLI against a
// test database and read back what it left in the tracking tables and the catalog.
import { join } from 'node:path';
import postgres from 'postgres';
import { runCli, tempDir, writeMigrations, type CliOptions, type CliRun, type TestDatabase } from './db';

/** A fresh migrations directory holding `files`. */
export function migrationsDir(files: Record<string, string>): string {
  return writeMigrations(join(tempDir(), 'migrations'), files);
}

/** `pgshift <command> --dir <dir> --database-url <db> ...extra`, with a fixed actor. */
export function pgshift(command: string[], dir: string, db: TestDatabase | string, extra: string[] = [], opts: CliOptions = {}): Promise<CliRun> {
  const url = typeof db === 'string' ? db : db.url;
  return runCli([...command, '--dir', dir, '--database-url', url, ...extra], { ...opts, env: { GITHUB_ACTOR: 'test-actor', ...opts.env } });
}

export interface MigrationRow {
  version: string;
  name: string;
  checksum: string;
  status: string;
  error_message: string | null;
}

export async function migrationRows(sql: postgres.Sql, schema = 'public'): Promise<MigrationRow[]> {
  const rows = await sql.unsafe<MigrationRow[]>(`select version, name, checksum, status, error_message from "${schema}".schema_migrations
    order by case when version ~ '^[0-9]+([.][0-9]+)?$' then version::numeric end nulls last, version`);
  return [...rows];
}

export interface HistoryRow {
  id: string;
  version: string;
  name: string | null;
  action: string;
  status: string;
  environment: string | null;
  executed_by: string | null;
  error_message: string | null;
  checksum: string | null;
}

export async function historyRows(sql: postgres.Sql, schema = 'public'): Promise<HistoryRow[]> {
  const rows = await sql.unsafe<HistoryRow[]>(
    // Ordered by the bigint column: the output column id is text, and "10" sorts before "2".
    `select h.id::text as id, version, name, action, status, environment, executed_by, error_message, checksum from "${schema}".migration_history h order by h.id`,
  );
  return [...rows];
}

export async function tableExists(sql: postgres.Sql, name: string): Promise<boolean> {
  const [{ t }] = await sql`select to_regclass(${name}) is not null as t`;
  return t as boolean;
}

/** Advisory locks held or awaited by any session on the test database (classid/objid as text). */
export async function advisoryLocks(sql: postgres.Sql): Promise<{ pid: number; classid: string; objid: string; granted: boolean }[]> {
  const rows = await sql<{ pid: number; classid: string; objid: string; granted: boolean }[]>`
    select pid, classid::text as classid, objid::text as objid, granted
      from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`;
  return [...rows];
}

/** Polls `check` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** An extra session on the test database (its own connection), for holding locks or transactions. */
export function session(db: TestDatabase, applicationName = 'pgshift-test-session'): postgres.Sql {
  return postgres(db.url, { max: 1, onnotice: () => {}, connection: { application_name: applicationName } });
}

/** A dbmate-form migration file. */
export function dbmate(up: string, down?: string, opts: { upTransaction?: boolean; downTransaction?: boolean } = {}): string {
  const upHeader = `-- migrate:up${opts.upTransaction === false ? ' transaction:false' : ''}`;
  const downHeader = `-- migrate:down${opts.downTransaction === false ? ' transaction:false' : ''}`;
  return `${upHeader}\n${up}\n${down !== undefined ? `\n${downHeader}\n${down}\n` : ''}`;
}
