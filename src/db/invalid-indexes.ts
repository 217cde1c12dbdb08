// Indexes left INVALID by an interrupted CREATE INDEX CONCURRENTLY. Such an index is not used by
// queries yet still exists, so a re-run's `IF NOT EXISTS` skips it and records the migration applied:
// pgshift names them, and refuses to re-run a migration while one it creates is invalid.
import type { IndexStmt } from '@pgsql/types';
import type { PlannedStep } from '../types';
import type { ReservedSql, Sql } from './connect';
import { quoteIdent } from './identifiers';

export interface InvalidIndex {
  /** The migration whose statement creates it. */
  version: string;
  schema: string;
  name: string;
  table: string;
  /** `schema.name` as a user pastes it into SQL. */
  qualified: string;
}

function sqlName(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : quoteIdent(name);
}

/** The named indexes a step's CREATE INDEX CONCURRENTLY statements create, with their tables as written. */
export function concurrentIndexes(step: PlannedStep): { name: string; table: string }[] {
  const out: { name: string; table: string }[] = [];
  for (const s of step.statements) {
    if (s.kind !== 'IndexStmt') continue;
    const n = s.node as IndexStmt;
    // An unnamed index gets a new name on every attempt: it cannot be skipped by IF NOT EXISTS.
    if (!n.concurrent || !n.idxname || !n.relation?.relname) continue;
    out.push({ name: n.idxname, table: n.relation.schemaname ? `${quoteIdent(n.relation.schemaname)}.${quoteIdent(n.relation.relname)}` : quoteIdent(n.relation.relname) });
  }
  return out;
}

/** The invalid indexes that `steps` create, as the database has them now. Read-only. */
export async function invalidIndexesOf(sql: Sql | ReservedSql, steps: PlannedStep[]): Promise<InvalidIndex[]> {
  const found: InvalidIndex[] = [];
  for (const step of steps) {
    for (const ix of concurrentIndexes(step)) {
      const rows = await sql<{ schema: string; name: string; table: string }[]>`
        select n.nspname::text as schema, c.relname::text as name, t.relname::text as table
          from pg_index i
          join pg_class c on c.oid = i.indexrelid
          join pg_namespace n on n.oid = c.relnamespace
          join pg_class t on t.oid = i.indrelid
         where not i.indisvalid and c.relname = ${ix.name} and i.indrelid = to_regclass(${ix.table})`;
      for (const r of rows) found.push({ version: step.migration.version, ...r, qualified: `${sqlName(r.schema)}.${sqlName(r.name)}` });
    }
  }
  return found;
}

/** The statements that clear them, one per index. */
export function dropStatements(indexes: InvalidIndex[]): string {
  return indexes.map((i) => `DROP INDEX CONCURRENTLY ${i.qualified};`).join(' ');
}
