// Which runs a person at a terminal should confirm, and what to show them first: the migrations, the
// destructive findings, and how much data the statements would drop (from the catalog's estimates).
// Shell-neutral: the shell that can ask passes `ask`; without it nothing is ever asked. The question is
// asked under the migration lock, so what was confirmed is exactly what runs.
import type { Node } from '@pgsql/types';
import type { ReservedSql } from '../db/connect';
import { AbortedError, PolicyError } from '../errors';
import { as, fromNames, fromRangeVar, strings, type QName } from '../lint/ast';
import type { Selection } from '../plan/plan';
import type { Finding, Plan } from '../types';

/** Why a run needs a yes before it starts. */
export type ConfirmReason = 'destructive-up' | 'several-down' | 'down-to-zero';

/** A table the run drops or empties, with the catalog's estimate of its rows. */
export interface TableImpact {
  /** As Postgres names it (schema-qualified when not on the search_path). */
  table: string;
  action: 'drop' | 'truncate';
  /** pg_class.reltuples (partitions summed); null when the table was never analyzed, so unknown. */
  rows: number | null;
}

/** What a person is asked to confirm. */
export interface Confirmation {
  reason: ConfirmReason;
  /** One sentence: why this run asks. */
  why: string;
  plan: Plan;
  /** The destructive findings on what would run. */
  findings: Finding[];
  tables: TableImpact[];
  /** "This drops 2 tables holding about 1,200 rows …"; undefined when no existing table is dropped or emptied. */
  impact?: string;
}

/** The run needs a yes when it destroys: a destructive up, a down of several migrations, a down to 0. */
export function confirmReason(plan: Plan, selection: Selection): ConfirmReason | undefined {
  if (plan.steps.length === 0) return undefined;
  if (plan.direction === 'down') {
    if (selection.target !== undefined && /^0+$/.test(selection.target.trim())) return 'down-to-zero';
    return plan.steps.length > 1 ? 'several-down' : undefined;
  }
  return plan.findings.some((f) => f.destructive) ? 'destructive-up' : undefined;
}

function whyOf(reason: ConfirmReason, plan: Plan, findings: Finding[]): string {
  const n = plan.steps.length;
  const migrations = `${n} migration${n === 1 ? '' : 's'}`;
  switch (reason) {
    case 'destructive-up':
      return `This applies ${migrations} with ${findings.length} destructive finding${findings.length === 1 ? '' : 's'}: what they delete cannot be brought back by a rollback.`;
    case 'several-down':
      return `This rolls back ${migrations}: their down sections run one after another, and what they drop is gone with its data.`;
    case 'down-to-zero':
      return `This rolls back every applied migration (${migrations}, --target 0): the down sections run one after another, and what they drop is gone with its data.`;
  }
}

/** Tables (and schemas dropped with CASCADE) that the statements of the plan drop or empty, in order. */
export function destroyedObjects(plan: Plan): { tables: { name: QName; action: TableImpact['action'] }[]; schemas: string[] } {
  const tables: { name: QName; action: TableImpact['action'] }[] = [];
  const schemas: string[] = [];
  for (const step of plan.steps) {
    for (const st of step.statements) {
      const node = { [st.kind]: st.node } as unknown as Node;
      const drop = as(node, 'DropStmt');
      if (drop?.removeType === 'OBJECT_TABLE') {
        for (const o of drop.objects ?? []) {
          const name = fromNames((as(o, 'List')?.items ?? []) as Node[]);
          if (name) tables.push({ name, action: 'drop' });
        }
      }
      if (drop?.removeType === 'OBJECT_SCHEMA' && drop.behavior === 'DROP_CASCADE') schemas.push(...strings(drop.objects));
      const truncate = as(node, 'TruncateStmt');
      for (const r of truncate?.relations ?? []) {
        const name = fromRangeVar(as(r, 'RangeVar'));
        if (name) tables.push({ name, action: 'truncate' });
      }
    }
  }
  return { tables, schemas };
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** A table's estimated rows: its own reltuples, or its leaf partitions' for a partitioned table; null when never analyzed. */
const ROWS = `case when c.relkind = 'p'
    then (select sum(greatest(l.reltuples, 0)) from pg_partition_tree(c.oid) p join pg_class l on l.oid = p.relid where p.isleaf)
    else nullif(greatest(c.reltuples, -1), -1) end::float8`;

/**
 * The tables the run would drop or empty that exist now, with the catalog's row estimates (no table is
 * scanned). A table the same run creates first does not exist yet and holds nothing.
 */
export async function estimateImpact(sql: ReservedSql, plan: Plan): Promise<TableImpact[]> {
  const { tables, schemas } = destroyedObjects(plan);
  const out = new Map<string, TableImpact>();
  for (const t of tables) {
    const regclass = t.name.schema ? `${quoteIdent(t.name.schema)}.${quoteIdent(t.name.name)}` : quoteIdent(t.name.name);
    const rows = await sql.unsafe<{ table: string; rows: number | null }[]>(
      `select c.oid::regclass::text as table, ${ROWS} as rows from pg_class c where c.oid = to_regclass($1) and c.relkind in ('r', 'p')`,
      [regclass],
    );
    // A table dropped after being emptied counts once, as dropped.
    for (const r of rows) out.set(r.table, { table: r.table, action: out.get(r.table)?.action === 'drop' ? 'drop' : t.action, rows: r.rows });
  }
  for (const schema of schemas) {
    const rows = await sql.unsafe<{ table: string; rows: number | null }[]>(
      `select c.oid::regclass::text as table, ${ROWS} as rows from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition order by 1`,
      [schema],
    );
    for (const r of rows) out.set(r.table, { table: r.table, action: 'drop', rows: r.rows });
  }
  return [...out.values()];
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** "This drops 2 tables holding about 1,200 rows (…)", from the estimates; undefined when nothing existing is dropped or emptied. */
export function describeImpact(tables: TableImpact[]): string | undefined {
  if (!tables.length) return undefined;
  const dropped = tables.filter((t) => t.action === 'drop');
  const emptied = tables.filter((t) => t.action === 'truncate');
  const list = (ts: TableImpact[]) => ts.map((t) => t.table).join(', ');
  const plural = (n: number) => `${n} table${n === 1 ? '' : 's'}`;
  const what = [dropped.length ? `drops ${plural(dropped.length)} (${list(dropped)})` : '', emptied.length ? `empties ${plural(emptied.length)} (${list(emptied)})` : ''].filter(Boolean).join(' and ');
  const known = tables.filter((t) => t.rows !== null);
  const unknown = tables.filter((t) => t.rows === null);
  const rows = known.reduce((sum, t) => sum + (t.rows ?? 0), 0);
  const holding = known.length ? ` holding about ${count(rows)} row${Math.round(rows) === 1 ? '' : 's'} by the catalog's estimates` : '';
  const gap = unknown.length ? `; ${list(unknown)} ${unknown.length === 1 ? 'was' : 'were'} never analyzed, so ${unknown.length === 1 ? 'its' : 'their'} size is unknown` : '';
  return `This ${what}${holding}${gap}.`;
}

/** What to show before asking; undefined when the run needs no confirmation. */
export async function confirmationFor(sql: ReservedSql, plan: Plan, selection: Selection): Promise<Confirmation | undefined> {
  const reason = confirmReason(plan, selection);
  if (!reason) return undefined;
  const findings = plan.findings.filter((f) => f.destructive);
  const tables = await estimateImpact(sql, plan);
  return { reason, why: whyOf(reason, plan, findings), plan, findings, tables, impact: describeImpact(tables) };
}

/**
 * The hook a deploy runs under the lock before anything is written: when the run needs a yes, `ask`
 * shows the confirmation and answers. A no refuses the run with nothing done.
 */
export function askBeforeRun(selection: Selection, ask: (c: Confirmation) => Promise<boolean>, signal?: AbortSignal): (plan: Plan, sql: ReservedSql) => Promise<void> {
  return async (plan, sql) => {
    const c = await confirmationFor(sql, plan, selection);
    if (!c || (await ask(c))) return;
    if (signal?.aborted) throw new AbortedError('interrupted at the question: nothing was run');
    throw new PolicyError('not confirmed: nothing was run (pass --yes to run without asking).', []);
  };
}
