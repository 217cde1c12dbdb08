// What a backup before a deploy must hold: the tables whose rows the run can destroy or rewrite. The
// rest of the database is covered by the schema alone (backup auto), since the run leaves its data be.
import type { Node } from '@pgsql/types';
import type { ReservedSql, Sql } from '../db/connect';
import { quoteIdent } from '../db/identifiers';
import { as, enabled, fromNames, fromRangeVar, option, strings, type NodeOf, type QName } from '../lint/ast';
import type { Plan, Statement } from '../types';

/** The tables whose data the run can destroy or rewrite, and the schemas it drops with CASCADE. */
interface Risk {
  tables: QName[];
  schemas: string[];
  /** Tables truncated with CASCADE: the tables that reference them are emptied too. */
  cascade: QName[];
}

/**
 * Nodes under which DML is defined, not run (a rule's actions, a function body, a prepared statement):
 * a DELETE there empties nothing now.
 */
const NOT_RUN = new Set(['RuleStmt', 'CreateFunctionStmt', 'PrepareStmt', 'CreateTrigStmt']);

/** DELETE and UPDATE without WHERE anywhere a statement runs them: at the top, in a CTE, under EXPLAIN ANALYZE. */
function unfilteredDml(node: unknown, out: QName[]): void {
  if (Array.isArray(node)) {
    for (const x of node) unfilteredDml(x, out);
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (NOT_RUN.has(key)) continue;
    // EXPLAIN without ANALYZE only plans its statement.
    if (key === 'ExplainStmt' && !enabled(option((value as NodeOf<'ExplainStmt'>).options, 'analyze'))) continue;
    if (key === 'DeleteStmt' || key === 'UpdateStmt') {
      const stmt = value as NodeOf<'DeleteStmt'> | NodeOf<'UpdateStmt'>;
      const name = fromRangeVar(stmt.relation);
      if (name && !stmt.whereClause) out.push(name);
    }
    unfilteredDml(value, out);
  }
}

function risk(plan: Plan): Risk {
  const out: Risk = { tables: [], schemas: [], cascade: [] };
  // A StatementBegin/StatementEnd block runs several statements as one query: each of them counts.
  const statements = plan.steps.flatMap((step) => step.statements.flatMap((st: Statement) => st.parts ?? [st]));
  for (const st of statements) {
    const node = { [st.kind]: st.node } as unknown as Node;
    const drop = as(node, 'DropStmt');
    if (drop?.removeType === 'OBJECT_TABLE') {
      for (const o of drop.objects ?? []) {
        const name = fromNames((as(o, 'List')?.items ?? []) as Node[]);
        if (name) out.tables.push(name);
      }
    }
    if (drop?.removeType === 'OBJECT_SCHEMA' && drop.behavior === 'DROP_CASCADE') out.schemas.push(...strings(drop.objects));
    const alter = as(node, 'AlterTableStmt');
    if (alter && (alter.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') {
      const name = fromRangeVar(alter.relation);
      // DROP COLUMN loses the column's values; ALTER COLUMN TYPE rewrites every row through a cast.
      const destructive = (alter.cmds ?? []).some((c) => ['AT_DropColumn', 'AT_AlterColumnType'].includes(as(c, 'AlterTableCmd')?.subtype ?? ''));
      if (name && destructive) out.tables.push(name);
    }
    const truncate = as(node, 'TruncateStmt');
    for (const r of truncate?.relations ?? []) {
      const name = fromRangeVar(as(r, 'RangeVar'));
      if (!name) continue;
      out.tables.push(name);
      if (truncate?.behavior === 'DROP_CASCADE') out.cascade.push(name);
    }
    unfilteredDml(node, out.tables);
  }
  return out;
}

/**
 * The tables whose DATA the statements of the plan (whichever direction its steps run) can destroy or
 * rewrite: DROP TABLE, DROP COLUMN, ALTER COLUMN TYPE, TRUNCATE, DELETE or UPDATE without WHERE; and the
 * schemas dropped with CASCADE, every table in them. Names as written (schema optional), in order.
 */
export function dataAtRisk(plan: Plan): { tables: QName[]; schemas: string[] } {
  const { tables, schemas } = risk(plan);
  return { tables, schemas };
}

type Queryable = Sql | ReservedSql;

const regclassOf = (q: QName) => (q.schema ? `${quoteIdent(q.schema)}.${quoteIdent(q.name)}` : quoteIdent(q.name));

/** The qualified name as Postgres would read it back: quote_ident on each part. */
const QUALIFIED = `quote_ident(n.nspname) || '.' || quote_ident(c.relname)`;

/**
 * The existing tables (plain or partitioned) among those the plan puts at risk, qualified and quoted so
 * that they round-trip (`public.users`, `app."Order Items"`), sorted and without repeats. A table the run
 * creates before it drops it does not exist now, holds nothing yet, and is left out. A table truncated
 * with CASCADE brings the tables whose foreign keys reference it (those are emptied too).
 */
export async function backupTables(sql: Queryable, plan: Plan): Promise<string[]> {
  const { tables, schemas, cascade } = risk(plan);
  const found = new Set<string>();
  const names = tables.map(regclassOf);
  if (names.length) {
    const rows = await sql.unsafe<{ name: string }[]>(
      `select ${QUALIFIED} as name from json_array_elements_text($1::text::json) t(name)
        join pg_class c on c.oid = to_regclass(t.name) join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p')`,
      [JSON.stringify(names)],
    );
    for (const r of rows) found.add(r.name);
  }
  if (cascade.length) {
    // TRUNCATE … CASCADE empties every table that references a truncated one, and so on down the chain.
    const rows = await sql.unsafe<{ name: string }[]>(
      `with recursive emptied(oid) as (
          select to_regclass(t.name)::oid from json_array_elements_text($1::text::json) t(name) where to_regclass(t.name) is not null
          union
          select k.conrelid from pg_constraint k join emptied e on k.confrelid = e.oid where k.contype = 'f')
        select ${QUALIFIED} as name from emptied e join pg_class c on c.oid = e.oid join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p')`,
      [JSON.stringify(cascade.map(regclassOf))],
    );
    for (const r of rows) found.add(r.name);
  }
  if (schemas.length) {
    const rows = await sql.unsafe<{ name: string }[]>(
      `select ${QUALIFIED} as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in (select json_array_elements_text($1::text::json)) and c.relkind in ('r', 'p')`,
      [JSON.stringify(schemas)],
    );
    for (const r of rows) found.add(r.name);
  }
  return [...found].sort();
}
