// Small readers over libpg-query's parse tree (types from @pgsql/types, which libpg-query ships with).
import type { DefElem, Node, RangeVar } from '@pgsql/types';
import type { Statement } from '../types';

/** Every node type name ("AlterTableCmd", "DropStmt", ...). */
export type NodeKind = Node extends infer U ? (U extends unknown ? keyof U : never) : never;
/** The node type under a name: NodeOf<'DropStmt'> is DropStmt. */
export type NodeOf<K extends NodeKind> = Extract<Node, Record<K, unknown>>[K];

/** The `K` node wrapped in `n`, if that is what `n` holds. */
export function as<K extends NodeKind>(n: Node | undefined, kind: K): NodeOf<K> | undefined {
  return n && kind in n ? (n as unknown as Record<K, NodeOf<K>>)[kind] : undefined;
}

/** An object name as written: schema optional, both already case-folded by the parser. */
export interface QName {
  schema?: string;
  name: string;
}

export function fromRangeVar(rv: RangeVar | undefined): QName | undefined {
  return rv?.relname ? { schema: rv.schemaname, name: rv.relname } : undefined;
}

/** `[schema, name]` or `[name]` (a String list, as in DROP and CREATE TYPE) to a QName. */
export function fromNames(names: Node[] | undefined): QName | undefined {
  const parts = strings(names);
  if (!parts.length) return undefined;
  return { schema: parts.length > 1 ? parts[parts.length - 2] : undefined, name: parts[parts.length - 1] };
}

/** Same object, when a side leaves the schema out: lenient on purpose, as search_path is unknown here. */
export function sameName(a: QName, b: QName): boolean {
  return a.name === b.name && (!a.schema || !b.schema || a.schema === b.schema);
}

export function show(q: QName | undefined): string {
  if (!q) return '?';
  return q.schema ? `${q.schema}.${q.name}` : q.name;
}

export function strings(list: Node[] | undefined): string[] {
  return (list ?? []).map((n) => as(n, 'String')?.sval).filter((s): s is string => s !== undefined);
}

export function option(list: Node[] | undefined, name: string): DefElem | undefined {
  return (list ?? []).map((n) => as(n, 'DefElem')).find((d) => d?.defname === name);
}

/** An option given as `FULL`, `FULL true`, `FULL on` or `FULL 1`. */
export function enabled(d: DefElem | undefined): boolean {
  if (!d) return false;
  if (!d.arg) return true;
  const s = as(d.arg, 'String')?.sval ?? as(d.arg, 'Boolean')?.boolval ?? as(d.arg, 'Integer')?.ival;
  if (typeof s === 'string') return !/^(false|off|0|no)$/i.test(s);
  return s === undefined ? true : Boolean(s);
}

/** Names of every function called anywhere under `node`. */
export function calledFunctions(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const x of node) calledFunctions(x, out);
  } else if (node && typeof node === 'object') {
    const call = (node as { FuncCall?: { funcname?: Node[] } }).FuncCall;
    if (call) out.push(strings(call.funcname).pop() ?? '');
    for (const v of Object.values(node)) calledFunctions(v, out);
  }
  return out;
}

/**
 * What makes a statement refuse to run inside a transaction block (Postgres's
 * PreventInTransactionBlock), as the words a message should show; undefined when it can run in one.
 */
export function outsideTransactionOnly(stmt: Statement): string | undefined {
  const n = stmt.node;
  switch (stmt.kind) {
    case 'IndexStmt':
      return (n as NodeOf<'IndexStmt'>).concurrent ? 'CREATE INDEX CONCURRENTLY' : undefined;
    case 'DropStmt':
      return (n as NodeOf<'DropStmt'>).concurrent ? 'DROP INDEX CONCURRENTLY' : undefined;
    case 'ReindexStmt': {
      const r = n as NodeOf<'ReindexStmt'>;
      if (enabled(option(r.params, 'concurrently'))) return 'REINDEX CONCURRENTLY';
      const whole = { REINDEX_OBJECT_SCHEMA: 'REINDEX SCHEMA', REINDEX_OBJECT_DATABASE: 'REINDEX DATABASE', REINDEX_OBJECT_SYSTEM: 'REINDEX SYSTEM' } as Record<string, string>;
      return whole[r.kind ?? ''];
    }
    case 'VacuumStmt':
      return (n as NodeOf<'VacuumStmt'>).is_vacuumcmd ? 'VACUUM' : undefined;
    case 'CreatedbStmt':
      return 'CREATE DATABASE';
    case 'DropdbStmt':
      return 'DROP DATABASE';
    case 'AlterSystemStmt':
      return 'ALTER SYSTEM';
    case 'CreateTableSpaceStmt':
      return 'CREATE TABLESPACE';
    case 'DropTableSpaceStmt':
      return 'DROP TABLESPACE';
    default:
      return undefined;
  }
}

/** Statements that may share a transaction:false section without widening its partial-failure window. */
export function belongsOutsideTransaction(stmt: Statement): boolean {
  if (outsideTransactionOnly(stmt)) return true;
  switch (stmt.kind) {
    case 'VariableSetStmt': // SET lock_timeout and the like configure the statements after them
    case 'TransactionStmt': // a BEGIN/COMMIT block of its own, on purpose
      return true;
    case 'AlterEnumStmt': {
      // ADD VALUE (not RENAME VALUE): committed on its own so that later statements can use the value.
      const n = stmt.node as NodeOf<'AlterEnumStmt'>;
      return Boolean(n.newVal && !n.oldVal);
    }
    case 'VacuumStmt': // ANALYZE (VACUUM was caught above): cheap, repeatable, usually right after an index build
      return true;
    default:
      return false;
  }
}
