// What the batch has done so far, for the rules that depend on it: objects it created (empty and
// unused, so locking or dropping them is harmless), NOT VALID constraints it added or validated, and
// the table locks the open transaction holds until it commits.
import type { AlterTableCmd, Constraint, Node } from '@pgsql/types';
import type { Statement } from '../types';
import { as, fromNames, fromRangeVar, sameName, show, strings, type NodeOf, type QName } from './ast';

interface ConstraintRef {
  table: QName;
  constraint: string;
}

/** Table locks that block writes, weakest first. Weaker ones (SHARE UPDATE EXCLUSIVE) let reads and writes through. */
export const BLOCKING_LOCKS = ['SHARE', 'SHARE ROW EXCLUSIVE', 'ACCESS EXCLUSIVE'] as const;
export type BlockingLock = (typeof BLOCKING_LOCKS)[number];

/** A lock a statement of the open transaction took on a table the batch did not create: held until commit. */
export interface HeldLock {
  table: QName;
  mode: BlockingLock;
  /** The statement that took it, in words ("ALTER TABLE tasks"). */
  by: string;
  /** Its line in the file. */
  line: number;
}

/** The lock an ALTER TABLE subcommand takes on its table, when it blocks writes (see the ALTER TABLE docs). */
function alterTableLock(cmd: AlterTableCmd): BlockingLock | undefined {
  switch (cmd.subtype) {
    case 'AT_SetStatistics':
    case 'AT_SetOptions':
    case 'AT_ResetOptions':
    case 'AT_ClusterOn':
    case 'AT_DropCluster':
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions':
    case 'AT_ValidateConstraint':
    case 'AT_AttachPartition':
    case 'AT_DetachPartitionFinalize':
      return undefined; // SHARE UPDATE EXCLUSIVE
    case 'AT_EnableTrig':
    case 'AT_EnableAlwaysTrig':
    case 'AT_EnableReplicaTrig':
    case 'AT_DisableTrig':
    case 'AT_EnableTrigAll':
    case 'AT_DisableTrigAll':
    case 'AT_EnableTrigUser':
    case 'AT_DisableTrigUser':
      return 'SHARE ROW EXCLUSIVE';
    case 'AT_AddConstraint':
      return as(cmd.def, 'Constraint')?.contype === 'CONSTR_FOREIGN' ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE';
    default:
      return 'ACCESS EXCLUSIVE';
  }
}

export class Batch {
  private readonly tables: QName[] = [];
  /** Indexes on tables the batch created (an index the batch put on an old table still locks it). */
  private readonly indexes: QName[] = [];
  private readonly types: QName[] = [];
  private readonly schemas = new Set<string>();
  private readonly databases = new Set<string>();
  /** NOT VALID constraints that, once validated, prove a column holds no NULL. */
  private readonly pendingNotNull: (ConstraintRef & { column: string })[] = [];
  private readonly provenNotNull: { table: QName; column: string }[] = [];
  /** Constraints added NOT VALID in the transaction now open: validating them there gains nothing. */
  private notValidInTransaction: ConstraintRef[] = [];
  /** Write-blocking locks the open transaction holds on old tables, the strongest per table. */
  private locks: HeldLock[] = [];
  /** Tables the open transaction emptied (TRUNCATE, or DELETE with no WHERE), and how; nothing put rows back since. */
  private emptied: { table: QName; by: 'TRUNCATE' | 'DELETE' }[] = [];
  /** Names something was renamed to: an object the database does not hold yet may be there by then. */
  private readonly renamedTo = new Set<string>();
  /** Columns of old tables an earlier statement added, dropped, retyped or renamed into: the catalog's type is not theirs by then. */
  private readonly touched: { table: QName; column: string }[] = [];

  isNewTable(q: QName | undefined): boolean {
    return !!q && ((q.schema !== undefined && this.schemas.has(q.schema)) || this.tables.some((t) => sameName(t, q)));
  }

  isNewIndex(q: QName | undefined): boolean {
    return !!q && ((q.schema !== undefined && this.schemas.has(q.schema)) || this.indexes.some((i) => sameName(i, q)));
  }

  isNewType(q: QName | undefined): boolean {
    return !!q && ((q.schema !== undefined && this.schemas.has(q.schema)) || this.types.some((t) => sameName(t, q)));
  }

  isNewSchema(name: string | undefined): boolean {
    return !!name && this.schemas.has(name);
  }

  isNewDatabase(name: string | undefined): boolean {
    return !!name && this.databases.has(name);
  }

  isProvenNotNull(table: QName, column: string): boolean {
    return this.provenNotNull.some((p) => p.column === column && sameName(p.table, table));
  }

  addedNotValidInTransaction(table: QName, constraint: string): boolean {
    return this.notValidInTransaction.some((c) => c.constraint === constraint && sameName(c.table, table));
  }

  /** How the open transaction emptied the table, if it did and nothing has inserted into it since. */
  emptiedBy(table: QName): 'TRUNCATE' | 'DELETE' | undefined {
    return this.emptied.find((e) => sameName(e.table, table))?.by;
  }

  /** An earlier statement changed the column (or renamed a table to this table's name). */
  columnTouched(table: QName, column: string): boolean {
    return this.renamedTo.has(table.name) || this.touched.some((t) => t.column === column && sameName(t.table, table));
  }

  /** An earlier statement renamed something to this name. */
  wasRenamedTo(name: string): boolean {
    return this.renamedTo.has(name);
  }

  /** Locks on tables the batch did not create that the open transaction holds until it commits. */
  heldLocks(): readonly HeldLock[] {
    return this.locks;
  }

  /** The open transaction committed (a section ended, or a statement ran outside a transaction). */
  transactionEnded(): void {
    this.notValidInTransaction = [];
    this.locks = [];
    this.emptied = [];
  }

  /** Records a statement, after the rules have looked at it. ALTER TABLE goes through observeCmd. */
  observe(stmt: Statement): void {
    this.observeLock(stmt);
    this.observeRows(stmt);
    this.observeNode(stmt.kind, stmt.node);
  }

  /** Which tables the statement empties, or fills again. */
  private observeRows(stmt: Statement): void {
    const refill = (t: QName | undefined) => t && (this.emptied = this.emptied.filter((e) => !sameName(e.table, t)));
    const empty = (t: QName | undefined, by: 'TRUNCATE' | 'DELETE') => t && (refill(t), this.emptied.push({ table: t, by }));
    switch (stmt.kind) {
      case 'TruncateStmt':
        for (const r of (stmt.node as NodeOf<'TruncateStmt'>).relations ?? []) empty(fromRangeVar(as(r, 'RangeVar')), 'TRUNCATE');
        break;
      case 'DeleteStmt': {
        const n = stmt.node as NodeOf<'DeleteStmt'>;
        // USING joins: only the rows with a match go. A CTE may write elsewhere: not counted.
        if (!n.whereClause && !n.usingClause?.length && !n.withClause) empty(fromRangeVar(n.relation), 'DELETE');
        break;
      }
      case 'InsertStmt':
        refill(fromRangeVar((stmt.node as NodeOf<'InsertStmt'>).relation));
        break;
      case 'CopyStmt': {
        const n = stmt.node as NodeOf<'CopyStmt'>;
        if (n.is_from) refill(fromRangeVar(n.relation));
        break;
      }
      case 'MergeStmt':
        refill(fromRangeVar((stmt.node as NodeOf<'MergeStmt'>).relation));
        break;
      case 'RenameStmt': {
        const n = stmt.node as NodeOf<'RenameStmt'>;
        if (n.newname) this.renamedTo.add(n.newname);
        const table = fromRangeVar(n.relation);
        if (n.renameType === 'OBJECT_COLUMN' && table && n.newname) this.touched.push({ table, column: n.newname });
        // Another table may take the emptied one's name: it is not known to be empty.
        refill(fromRangeVar(n.relation));
        if (n.newname) refill({ name: n.newname });
        break;
      }
      default:
        // Anything else that may write rows where the linter cannot see (a function, a DO block) fills them again.
        if (stmt.kind === 'DoStmt' || stmt.kind === 'CallStmt' || (stmt.kind === 'SelectStmt' && this.emptied.length)) this.emptied = [];
    }
  }

  private lock(table: QName | undefined, mode: BlockingLock | undefined, by: string, line: number): void {
    if (!table || !mode || this.isNewTable(table)) return;
    const held = this.locks.findIndex((l) => sameName(l.table, table));
    if (held < 0) this.locks.push({ table, mode, by, line });
    else if (BLOCKING_LOCKS.indexOf(mode) > BLOCKING_LOCKS.indexOf(this.locks[held].mode)) this.locks[held] = { table, mode, by, line };
  }

  /** The table locks of statements other than ALTER TABLE that block writes until commit. */
  private observeLock(stmt: Statement): void {
    switch (stmt.kind) {
      case 'IndexStmt': {
        const n = stmt.node as NodeOf<'IndexStmt'>;
        if (!n.concurrent) this.lock(fromRangeVar(n.relation), 'SHARE', `CREATE INDEX${n.idxname ? ` ${n.idxname}` : ''}`, stmt.line);
        break;
      }
      case 'CreateTrigStmt': {
        const n = stmt.node as NodeOf<'CreateTrigStmt'>;
        this.lock(fromRangeVar(n.relation), 'SHARE ROW EXCLUSIVE', `CREATE TRIGGER ${n.trigname ?? ''}`.trim(), stmt.line);
        break;
      }
      case 'CreatePolicyStmt': {
        const n = stmt.node as NodeOf<'CreatePolicyStmt'>;
        this.lock(fromRangeVar(n.table), 'ACCESS EXCLUSIVE', `CREATE POLICY ${n.policy_name ?? ''}`.trim(), stmt.line);
        break;
      }
      case 'RenameStmt': {
        const n = stmt.node as NodeOf<'RenameStmt'>;
        const table = fromRangeVar(n.relation);
        if (table) this.lock(table, 'ACCESS EXCLUSIVE', `ALTER TABLE ${show(table)} RENAME`, stmt.line);
        break;
      }
    }
  }

  private observeNode(kind: string, node: unknown, schema?: string): void {
    const add = (list: QName[], q: QName | undefined) => q && list.push(q.schema || !schema ? q : { ...q, schema });
    switch (kind) {
      case 'CreateStmt':
        add(this.tables, fromRangeVar((node as NodeOf<'CreateStmt'>).relation));
        break;
      case 'CreateTableAsStmt': // CREATE TABLE AS and CREATE MATERIALIZED VIEW
        add(this.tables, fromRangeVar((node as NodeOf<'CreateTableAsStmt'>).into?.rel));
        break;
      case 'SelectStmt': // SELECT ... INTO new_table
        add(this.tables, fromRangeVar((node as NodeOf<'SelectStmt'>).intoClause?.rel));
        break;
      case 'IndexStmt': {
        const n = node as NodeOf<'IndexStmt'>;
        const table = fromRangeVar(n.relation);
        // An index lives in its table's schema.
        if (n.idxname && this.isNewTable(table)) add(this.indexes, { schema: table?.schema, name: n.idxname });
        break;
      }
      case 'CreateSchemaStmt': {
        const n = node as NodeOf<'CreateSchemaStmt'>;
        if (!n.schemaname) break;
        this.schemas.add(n.schemaname);
        for (const elt of n.schemaElts ?? []) {
          const [k] = Object.keys(elt);
          this.observeNode(k, (elt as Record<string, unknown>)[k], n.schemaname);
        }
        break;
      }
      case 'CreateEnumStmt':
      case 'CreateRangeStmt':
        add(this.types, fromNames((node as NodeOf<'CreateEnumStmt'>).typeName));
        break;
      case 'CompositeTypeStmt':
        add(this.types, fromRangeVar((node as NodeOf<'CompositeTypeStmt'>).typevar));
        break;
      case 'CreateDomainStmt':
        add(this.types, fromNames((node as NodeOf<'CreateDomainStmt'>).domainname));
        break;
      case 'DefineStmt': {
        const n = node as NodeOf<'DefineStmt'>;
        if (n.kind === 'OBJECT_TYPE') add(this.types, fromNames(n.defnames));
        break;
      }
      case 'CreatedbStmt':
        if ((node as NodeOf<'CreatedbStmt'>).dbname) this.databases.add((node as NodeOf<'CreatedbStmt'>).dbname!);
        break;
      case 'RenameStmt': {
        // A new table keeps being new under its new name.
        const n = node as NodeOf<'RenameStmt'>;
        const from = fromRangeVar(n.relation);
        if (n.renameType === 'OBJECT_TABLE' && n.newname && this.isNewTable(from)) add(this.tables, { schema: from?.schema, name: n.newname });
        break;
      }
    }
  }

  /** Records one ALTER TABLE subcommand, in order, after the rules have looked at it. */
  observeCmd(table: QName, cmd: AlterTableCmd, stmt?: Statement): void {
    if (stmt) {
      this.lock(table, alterTableLock(cmd), `ALTER TABLE ${show(table)}`, stmt.line);
      // A foreign key locks the table it references too.
      const fk = as(cmd.def, 'Constraint');
      if (cmd.subtype === 'AT_AddConstraint' && fk?.contype === 'CONSTR_FOREIGN') this.lock(fromRangeVar(fk.pktable), 'SHARE ROW EXCLUSIVE', `ALTER TABLE ${show(table)}`, stmt.line);
    }
    if (cmd.subtype === 'AT_AlterColumnType' || cmd.subtype === 'AT_DropColumn') {
      if (cmd.name) this.touched.push({ table, column: cmd.name });
    } else if (cmd.subtype === 'AT_AddColumn') {
      const col = as(cmd.def, 'ColumnDef');
      if (col?.colname) this.touched.push({ table, column: col.colname });
    }
    if (cmd.subtype === 'AT_AddConstraint') {
      const c = as(cmd.def, 'Constraint');
      if (!c) return;
      const name = constraintName(table, c);
      const column = notNullColumn(c);
      if (c.skip_validation) {
        this.notValidInTransaction.push({ table, constraint: name });
        if (column) this.pendingNotNull.push({ table, constraint: name, column });
      } else if (column) {
        this.provenNotNull.push({ table, column });
      }
    } else if (cmd.subtype === 'AT_ValidateConstraint' && cmd.name) {
      const p = this.pendingNotNull.find((x) => x.constraint === cmd.name && sameName(x.table, table));
      if (p) this.provenNotNull.push({ table, column: p.column });
    }
  }
}

/** The column a constraint proves NOT NULL: CHECK (col IS NOT NULL), or Postgres 18's NOT NULL col. */
function notNullColumn(c: Constraint): string | undefined {
  if (c.contype === 'CONSTR_NOTNULL') return strings(c.keys)[0];
  if (c.contype !== 'CONSTR_CHECK') return undefined;
  const test = as(c.raw_expr, 'NullTest');
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = strings(as(test.arg, 'ColumnRef')?.fields);
  return fields.length === 1 ? fields[0] : undefined;
}

/** The constraint's name, or the one Postgres would choose for it (so VALIDATE can be matched). */
function constraintName(table: QName, c: Constraint): string {
  if (c.conname) return c.conname;
  const columnsIn = (n: Node | undefined) => [...new Set(columnRefs(n))];
  switch (c.contype) {
    case 'CONSTR_CHECK': {
      const cols = columnsIn(c.raw_expr);
      return cols.length === 1 ? `${table.name}_${cols[0]}_check` : `${table.name}_check`;
    }
    case 'CONSTR_FOREIGN':
      return `${table.name}_${strings(c.fk_attrs).join('_')}_fkey`;
    case 'CONSTR_NOTNULL':
      return `${table.name}_${strings(c.keys)[0]}_not_null`;
    default:
      return `${table.name}_${c.contype?.toLowerCase()}`;
  }
}

function columnRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const x of node) columnRefs(x, out);
  else if (node && typeof node === 'object') {
    const ref = (node as { ColumnRef?: { fields?: Node[] } }).ColumnRef;
    if (ref) out.push(strings(ref.fields).pop() ?? '');
    for (const v of Object.values(node)) columnRefs(v, out);
  }
  return out;
}
