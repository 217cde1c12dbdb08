// The history tables of other migration tools pgshift can take over, one reader per tool, and where
// each is found: the tool's own schema when it fixes one, else the tracking schema, else the search path.
import type { ReservedSql, Sql } from '../connect';
import { dbmate } from './dbmate';
import { flyway } from './flyway';
import { golangMigrate, GOLANG_RENAMED } from './golang-migrate';
import { goose } from './goose';
import { nodePgMigrate } from './node-pg-migrate';
import { prisma } from './prisma';
import { sqlMigrate } from './sql-migrate';
import { supabase } from './supabase';
import { shownTable, TOOLS, type FoundTable, type Reader, type ToolId } from './types';

export { flywayChecksum } from './flyway';
export { GOLANG_RENAMED } from './golang-migrate';
export { qualified, shownTable, TOOLS, type ForeignEntry, type ForeignHistory, type FoundTable, type ToolId } from './types';

export const READERS: Record<ToolId, Reader> = {
  dbmate,
  'golang-migrate': golangMigrate,
  goose,
  'sql-migrate': sqlMigrate,
  flyway,
  'node-pg-migrate': nodePgMigrate,
  prisma,
  supabase,
};

export const isTool = (t: string): t is ToolId => (TOOLS as readonly string[]).includes(t);

/** Tables named `names` in `schemas` (in that order of schemas), with their columns. */
async function tablesNamed(sql: Sql | ReservedSql, names: string[], schemas: string[]): Promise<FoundTable[]> {
  // Lists go as json: one parameter each, whatever the names hold.
  const rows = await sql.unsafe<{ schema: string; name: string; columns: string | null }[]>(
    `select n.nspname::text as schema, c.relname::text as name,
            (select string_agg(a.attname::text, ',' order by a.attnum) from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join json_array_elements_text($1::json) with ordinality as s(name, pos) on s.name = n.nspname::text
      where c.relname::text in (select json_array_elements_text($2::json)) and c.relkind in ('r', 'p')
      order by s.pos`,
    // The driver serialises a json parameter itself (JSON.stringify), as the server describes it.
    [schemas, names] as never[],
  );
  return rows.map((r) => ({ schema: r.schema, name: r.name, columns: r.columns ? r.columns.split(',') : [] }));
}

/** The schemas a tool's table is looked for in: the tracking schema first, then the search path. */
async function schemasFor(sql: Sql | ReservedSql, reader: Reader, trackingSchema: string): Promise<string[]> {
  if (reader.schema) return [reader.schema];
  const [{ path }] = await sql<{ path: string[] }[]>`select current_schemas(false)::text[] as path`;
  return [...new Set([trackingSchema, ...path])];
}

/**
 * The other tool's history table, or undefined. golang-migrate's may already carry the name adoption
 * gave it (GOLANG_RENAMED); dbmate's and golang-migrate's share pgshift's name, so only the tracking
 * schema is theirs to look in.
 */
export async function locate(sql: Sql | ReservedSql, tool: ToolId, trackingSchema: string): Promise<FoundTable | undefined> {
  const reader = READERS[tool];
  const sharesOurName = tool === 'dbmate' || tool === 'golang-migrate';
  const schemas = sharesOurName ? [trackingSchema] : await schemasFor(sql, reader, trackingSchema);
  const names = tool === 'golang-migrate' ? [reader.table, GOLANG_RENAMED] : [reader.table];
  const found = await tablesNamed(sql, names, schemas);
  return found.find((t) => reader.recognises(t.columns) && (t.name !== GOLANG_RENAMED || tool === 'golang-migrate'));
}

/** Where to look for each tool's table, and what a person is told to run. */
export function whereLooked(tool: ToolId, trackingSchema: string): string {
  const reader = READERS[tool];
  return reader.schema ? `${reader.schema}.${reader.table}` : `${reader.table} (in schema ${trackingSchema}${tool === 'dbmate' || tool === 'golang-migrate' ? '' : ' or the search path'})`;
}

/**
 * Other tools' history tables holding rows, for the warning that `adopt --from <tool>` exists: dbmate's is
 * adopted on its own and golang-migrate's refuses by its shape, so they are not looked for here.
 */
export async function otherTools(sql: Sql | ReservedSql, trackingSchema: string): Promise<{ tool: ToolId; table: string }[]> {
  const out: { tool: ToolId; table: string }[] = [];
  for (const tool of TOOLS) {
    if (tool === 'dbmate' || tool === 'golang-migrate') continue;
    const t = await locate(sql, tool, trackingSchema);
    if (!t) continue;
    const [{ any }] = await sql.unsafe<{ any: boolean }[]>(`select exists (select 1 from "${t.schema.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}") as any`);
    if (any) out.push({ tool, table: shownTable(t) });
  }
  return out;
}
