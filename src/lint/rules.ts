// The rule table. A rule is its text, its defaults and a check per parse-node kind; adding one is an
// entry here and a "## <id>" section in docs/rules.md (a test holds the two together).
import type { AlterTableCmd, ColumnDef, Constraint, Node, TypeName } from '@pgsql/types';
import { formById } from '../files/forms';
import { as, belongsOutsideTransaction, calledFunctions, enabled, fromNames, fromRangeVar, option, outsideTransactionOnly, sameName, show, strings, type NodeOf, type QName } from './ast';
import type { BlockingLock } from './batch';
import { withoutRewrite, type ObjectKind } from './facts';
import type { CmdContext, Hit, Rule, RuleContext, RuleInfo } from './rule';

/** Functions whose value differs per row, so a default using them is computed for every existing row. */
const VOLATILE_FUNCTIONS = new Set([
  'random',
  'random_normal',
  'clock_timestamp',
  'timeofday',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'gen_random_bytes',
  'nextval',
]);
const SERIAL_TYPES = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);
const TYPE_NAMES: Record<string, string> = { int2: 'smallint', int4: 'integer', int8: 'bigint', float4: 'real', float8: 'double precision', bool: 'boolean', bpchar: 'char' };

function typeLabel(t: TypeName | undefined): string {
  const parts = strings(t?.names).filter((p) => p !== 'pg_catalog');
  const last = parts.pop() ?? '?';
  return [...parts, TYPE_NAMES[last] ?? last].join('.');
}

function columnConstraints(col: ColumnDef): Constraint[] {
  return (col.constraints ?? []).map((n) => as(n, 'Constraint')).filter((c): c is Constraint => !!c);
}

/** The column an ALTER TABLE ... ADD COLUMN adds, on a table the batch did not create. */
function addedColumn(cmd: AlterTableCmd, ctx: CmdContext): ColumnDef | undefined {
  return cmd.subtype === 'AT_AddColumn' && !ctx.tableIsNew ? as(cmd.def, 'ColumnDef') : undefined;
}

/** The constraint an ALTER TABLE ... ADD CONSTRAINT adds, on a table the batch did not create. */
function addedConstraint(cmd: AlterTableCmd, ctx: CmdContext): Constraint | undefined {
  return cmd.subtype === 'AT_AddConstraint' && !ctx.tableIsNew ? as(cmd.def, 'Constraint') : undefined;
}

function named(c: Constraint): string {
  return c.conname ? `CONSTRAINT ${c.conname} ` : '';
}

/** The start of a statement, for messages about statements of any kind. */
function brief(sql: string): string {
  const line = sql.split('\n')[0].trim();
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

/** The objects of a DROP ... statement that the batch did not create. */
function droppedNames(objects: Node[] | undefined, isNew: (q: QName) => boolean): QName[] {
  return (objects ?? []).map((o) => fromNames(as(o, 'List')?.items ?? as(o, 'TypeName')?.names ?? [o])).filter((q): q is QName => !!q && !isNew(q));
}

/**
 * A DROP ... IF EXISTS of an object the database does not hold, and that no earlier statement of the
 * batch created or renamed into being, drops nothing. Without a database nothing is known to be absent.
 */
function absent(n: NodeOf<'DropStmt'>, kind: ObjectKind, q: QName, ctx: RuleContext): boolean {
  return !!n.missing_ok && ctx.facts?.exists(kind, q) === false && !ctx.batch.wasRenamedTo(q.name);
}

/** What starts a new migration that runs outside a transaction, in the migration's own form. */
function noTransactionHeader(ctx: RuleContext): string {
  // The advice is a migration of its own, so its up section.
  const header = formById(ctx.migration.form).noTransactionHeader('up');
  return header.isSectionHeader ? `"${header.line}"` : `the line "${header.line}"`;
}

/** How a down section asks to run outside a transaction: a rollback cannot move to a migration of its own. */
function noTransactionDown(ctx: RuleContext): string {
  const header = formById(ctx.migration.form).noTransactionHeader('down');
  return `Run this down section without a transaction: ${header.isSectionHeader ? 'give it the header' : 'start its file with the line'} "${header.line}".`;
}

const DOCS_ONLY = {}; // rules reported by the linter itself, not by a check on a statement

/**
 * Whether a DROP SCHEMA/TYPE deletes data. In a down section it drops what its up created; the tables
 * holding data go with rollback-drop-table, so only CASCADE (which takes other objects' data) counts.
 */
function dropsData(n: NodeOf<'DropStmt'>, ctx: RuleContext): boolean {
  return ctx.direction === 'up' || n.behavior === 'DROP_CASCADE';
}

/** What a lock held until commit blocks, in words. */
const BLOCKS: Record<BlockingLock, string> = {
  SHARE: 'no writes',
  'SHARE ROW EXCLUSIVE': 'no writes',
  'ACCESS EXCLUSIVE': 'no reads or writes',
};

/** A backfill (UPDATE, INSERT ... SELECT) of `target` run while the transaction holds write-blocking locks taken before it. */
function backfillUnderLocks(verb: string, target: QName | undefined, ctx: RuleContext, tail = ''): Hit | undefined {
  const locks = ctx.batch.heldLocks();
  if (!target || !locks.length) return undefined;
  const first = locks[0];
  const held = locks.map((l) => `${show(l.table)} stays locked ${l.mode} (${BLOCKS[l.mode]})${l === first ? '' : `, taken by ${l.by} on line ${l.line}`}`);
  return {
    what: `${verb} ${show(target)}${tail} after ${first.by} (line ${first.line}) in the same transaction`,
    why: `locks are held until commit, so for the whole backfill ${held.join('; ')}.`,
  };
}

export const RULES: Rule[] = [
  // ---- Destructive: data or objects are gone once this commits. ----
  {
    id: 'drop-table',
    severity: 'error',
    destructive: true,
    direction: 'up', // in a down section: rollback-drop-table
    why: 'deletes the table and every row in it for good, and code still using it fails at once.',
    safe: 'Ship code that no longer uses the table first, keep a backup, then drop it in a later migration.',
    on: {
      DropStmt: (n, ctx) => {
        if (n.removeType !== 'OBJECT_TABLE') return;
        const names = droppedNames(n.objects, (q) => ctx.batch.isNewTable(q) || absent(n, 'table', q, ctx));
        return names.length > 0 && `DROP TABLE ${names.map(show).join(', ')}${n.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''}`;
      },
    },
  },
  {
    id: 'drop-column',
    severity: 'error',
    destructive: true,
    direction: 'up', // in a down section: rollback-drop-column
    why: "deletes the column's data for good, and code still selecting or inserting it fails at once (ORMs list every column they know).",
    safe: 'Stop using the column in code (tell the ORM to ignore it) in one release, then drop it in a later migration.',
    on: {
      AlterTableCmd: (cmd, ctx) => cmd.subtype === 'AT_DropColumn' && !ctx.tableIsNew && `ALTER TABLE ${show(ctx.table)} DROP COLUMN ${cmd.name}`,
    },
  },
  {
    id: 'drop-schema',
    severity: 'error',
    destructive: true,
    why: 'deletes the schema, and with CASCADE every table, view and function in it, with their data.',
    safe: 'Drop the objects in it one by one, each once nothing uses it, then drop the empty schema without CASCADE.',
    on: {
      DropStmt: (n, ctx) => {
        if (n.removeType !== 'OBJECT_SCHEMA' || !dropsData(n, ctx)) return;
        const names = strings(n.objects).filter((s) => !ctx.batch.isNewSchema(s) && !absent(n, 'schema', { name: s }, ctx));
        return names.length > 0 && `DROP SCHEMA ${names.join(', ')}${n.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''}`;
      },
    },
  },
  {
    id: 'drop-database',
    severity: 'error',
    destructive: true,
    why: 'deletes a whole database and all its data for good.',
    safe: 'Drop databases by hand, after a backup, not from a migration.',
    on: {
      DropdbStmt: (n, ctx) => !ctx.batch.isNewDatabase(n.dbname) && `DROP DATABASE ${n.dbname}`,
    },
  },
  {
    id: 'drop-type',
    severity: 'error',
    destructive: true,
    why: 'deletes the type (or domain), and with CASCADE every column of that type with its data; code using the type fails.',
    safe: 'Move every column and function off the type first, then drop it without CASCADE in a later migration.',
    on: {
      DropStmt: (n, ctx) => {
        if ((n.removeType !== 'OBJECT_TYPE' && n.removeType !== 'OBJECT_DOMAIN') || !dropsData(n, ctx)) return;
        const names = droppedNames(n.objects, (q) => ctx.batch.isNewType(q) || absent(n, 'type', q, ctx));
        return names.length > 0 && `DROP ${n.removeType === 'OBJECT_DOMAIN' ? 'DOMAIN' : 'TYPE'} ${names.map(show).join(', ')}${n.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''}`;
      },
    },
  },
  {
    id: 'truncate',
    severity: 'error',
    destructive: true,
    why: 'deletes every row for good, under an ACCESS EXCLUSIVE lock that blocks all reads and writes of the table.',
    safe: 'Delete only the rows you mean, with a WHERE clause and in batches, or do one-off cleanups by hand after a backup.',
    on: {
      TruncateStmt: (n, ctx) => {
        const names = (n.relations ?? []).map((r) => fromRangeVar(as(r, 'RangeVar'))).filter((q): q is QName => !!q && !ctx.batch.isNewTable(q));
        return names.length > 0 && `TRUNCATE ${names.map(show).join(', ')}`;
      },
    },
  },
  {
    id: 'delete-without-where',
    severity: 'error',
    destructive: true,
    why: 'deletes every row of the table, holding a row lock on each until commit.',
    safe: 'Add a WHERE clause naming the rows to delete; for many rows, delete in batches.',
    on: {
      DeleteStmt: (n, ctx) => !n.whereClause && !ctx.batch.isNewTable(fromRangeVar(n.relation)) && `DELETE FROM ${show(fromRangeVar(n.relation))} with no WHERE`,
    },
  },
  {
    id: 'update-without-where',
    severity: 'error',
    destructive: true,
    why: 'overwrites every row of the table, holding a row lock on each until commit (writers wait) and leaving a dead copy of each row behind.',
    safe: 'Add a WHERE clause naming the rows to change; for a backfill, update in batches of a few thousand rows.',
    on: {
      UpdateStmt: (n, ctx) => !n.whereClause && !ctx.batch.isNewTable(fromRangeVar(n.relation)) && `UPDATE ${show(fromRangeVar(n.relation))} with no WHERE`,
    },
  },

  // ---- Long locks on tables that already hold data. ----
  {
    id: 'index-without-concurrently',
    severity: 'warning',
    destructive: false,
    why: 'CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the table waits until it is done.',
    safe: 'Use CREATE INDEX CONCURRENTLY (DROP INDEX CONCURRENTLY) in a migration of its own marked transaction:false.',
    on: {
      IndexStmt: (n, ctx) => {
        const table = fromRangeVar(n.relation);
        if (n.concurrent || ctx.batch.isNewTable(table)) return;
        return `CREATE ${n.unique ? 'UNIQUE ' : ''}INDEX ${n.idxname ? `${n.idxname} ` : ''}ON ${show(table)}`;
      },
      DropStmt: (n, ctx) => {
        if (n.removeType !== 'OBJECT_INDEX' || n.concurrent) return;
        const names = droppedNames(n.objects, (q) => ctx.batch.isNewIndex(q));
        return (
          names.length > 0 && {
            what: `DROP INDEX ${names.map(show).join(', ')}`,
            why: "DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table: it waits for every running query on the table, and every query after it waits too.",
          }
        );
      },
    },
  },
  {
    id: 'add-column-volatile-default',
    severity: 'warning',
    destructive: false,
    why: 'a value must be computed for every existing row, so Postgres rewrites the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until it is done (a constant or now() default is stored once and is instant).',
    safe: 'Add the column without that default, SET DEFAULT for new rows in a second statement, then backfill existing rows in batches.',
    on: {
      AlterTableCmd: (cmd, ctx) => {
        const col = addedColumn(cmd, ctx);
        if (!col) return;
        const reasons: string[] = [];
        const type = strings(col.typeName?.names).pop() ?? '';
        if (SERIAL_TYPES.has(type)) reasons.push(`type ${type}`);
        for (const c of columnConstraints(col)) {
          if (c.contype === 'CONSTR_DEFAULT') {
            const volatile = calledFunctions(c.raw_expr).filter((f) => VOLATILE_FUNCTIONS.has(f));
            if (volatile.length) reasons.push(`DEFAULT ${volatile[0]}()`);
          } else if (c.contype === 'CONSTR_GENERATED' && c.generated_kind === 's') reasons.push('GENERATED ... STORED');
          else if (c.contype === 'CONSTR_IDENTITY') reasons.push('GENERATED ... AS IDENTITY');
        }
        return reasons.length > 0 && `ALTER TABLE ${show(ctx.table)} ADD COLUMN ${col.colname} with ${reasons.join(' and ')}`;
      },
    },
  },
  {
    id: 'alter-column-type',
    severity: 'warning',
    destructive: false,
    why: 'most type changes rewrite the table and rebuild its indexes under an ACCESS EXCLUSIVE lock (no reads or writes meanwhile), and code expecting the old type may break.',
    safe: 'Add a column of the new type, write to both, backfill in batches, switch reads, then drop the old column; with a database the linter reads the type of the column and leaves out changes Postgres makes without a rewrite (varchar(n) to text or a longer varchar, numeric to a wider precision, cidr to inet, timestamp to timestamptz under UTC).',
    on: {
      AlterTableCmd: (cmd, ctx) => {
        if (cmd.subtype !== 'AT_AlterColumnType' || ctx.tableIsNew) return;
        const what = `ALTER TABLE ${show(ctx.table)} ALTER COLUMN ${cmd.name} TYPE ${typeLabel(as(cmd.def, 'ColumnDef')?.typeName)}`;
        // The column's type today, unless an earlier statement of the batch changes it first.
        const old = cmd.name && !ctx.batch.columnTouched(ctx.table, cmd.name) ? ctx.facts?.column(ctx.table, cmd.name) : undefined;
        const verdict = old && ctx.facts ? withoutRewrite(cmd, old, ctx.facts) : undefined;
        if (verdict?.ok) return;
        return verdict?.indexRebuild ? { what, why: `${verdict.indexRebuild} under an ACCESS EXCLUSIVE lock: no reads or writes until they are done.` } : what;
      },
    },
  },
  {
    id: 'set-not-null',
    severity: 'warning',
    destructive: false,
    why: 'Postgres scans the whole table for NULLs while holding an ACCESS EXCLUSIVE lock: no reads or writes until the scan ends.',
    safe: 'Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later migration (that scan lets reads and writes through), then SET NOT NULL, which trusts the check and skips the scan.',
    on: {
      AlterTableCmd: (cmd, ctx) => {
        if (ctx.tableIsNew) return;
        if (cmd.subtype === 'AT_SetNotNull' && cmd.name && !ctx.batch.isProvenNotNull(ctx.table, cmd.name)) {
          return `ALTER TABLE ${show(ctx.table)} ALTER COLUMN ${cmd.name} SET NOT NULL`;
        }
        // Postgres 18's ADD CONSTRAINT ... NOT NULL col does the same scan unless NOT VALID.
        const c = addedConstraint(cmd, ctx);
        if (c?.contype === 'CONSTR_NOTNULL' && !c.skip_validation) return `ALTER TABLE ${show(ctx.table)} ADD ${named(c)}NOT NULL ${strings(c.keys).join(', ')}`;
      },
    },
  },
  {
    id: 'add-foreign-key',
    severity: 'warning',
    destructive: false,
    why: 'Postgres checks every existing row against the referenced table while holding SHARE ROW EXCLUSIVE locks on both: writes to both tables wait until it is done.',
    safe: 'Add the foreign key with NOT VALID (only new rows are checked; the lock is brief), then VALIDATE CONSTRAINT in a later migration, which lets reads and writes through.',
    on: {
      AlterTableCmd: (cmd, ctx) => {
        const c = addedConstraint(cmd, ctx);
        if (c?.contype === 'CONSTR_FOREIGN' && !c.skip_validation) {
          return `ALTER TABLE ${show(ctx.table)} ADD ${named(c)}FOREIGN KEY (${strings(c.fk_attrs).join(', ')}) REFERENCES ${show(fromRangeVar(c.pktable))}`;
        }
        const col = addedColumn(cmd, ctx);
        const ref = col && columnConstraints(col).find((k) => k.contype === 'CONSTR_FOREIGN');
        if (col && ref) return `ALTER TABLE ${show(ctx.table)} ADD COLUMN ${col.colname} ... REFERENCES ${show(fromRangeVar(ref.pktable))}`;
      },
    },
  },
  {
    id: 'add-check',
    severity: 'warning',
    destructive: false,
    why: 'Postgres checks every existing row while holding an ACCESS EXCLUSIVE lock: no reads or writes until it is done.',
    safe: 'Add the check with NOT VALID (only new rows are checked), then VALIDATE CONSTRAINT in a later migration, which lets reads and writes through.',
    on: {
      AlterTableCmd: (cmd, ctx) => {
        const c = addedConstraint(cmd, ctx);
        return c?.contype === 'CONSTR_CHECK' && !c.skip_validation && `ALTER TABLE ${show(ctx.table)} ADD ${named(c)}CHECK`;
      },
    },
  },
  {
    id: 'add-unique-constraint',
    severity: 'warning',
    destructive: false,
    why: 'Postgres builds the unique index under an ACCESS EXCLUSIVE lock: no reads or writes for the whole build.',
    safe: 'CREATE UNIQUE INDEX CONCURRENTLY in a transaction:false migration, then ADD CONSTRAINT ... UNIQUE USING INDEX, which is instant.',
    on: {
      AlterTableCmd: (cmd, ctx) => {
        const c = addedConstraint(cmd, ctx);
        if (c?.contype === 'CONSTR_UNIQUE' && !c.indexname) return `ALTER TABLE ${show(ctx.table)} ADD ${named(c)}UNIQUE (${strings(c.keys).join(', ')})`;
        const col = addedColumn(cmd, ctx);
        if (col && columnConstraints(col).some((k) => k.contype === 'CONSTR_UNIQUE')) return `ALTER TABLE ${show(ctx.table)} ADD COLUMN ${col.colname} ... UNIQUE`;
      },
    },
  },
  {
    id: 'add-primary-key',
    severity: 'warning',
    destructive: false,
    why: 'Postgres builds the index, and checks the columns for NULLs, under an ACCESS EXCLUSIVE lock: no reads or writes until both are done.',
    safe: 'CREATE UNIQUE INDEX CONCURRENTLY in a transaction:false migration, make the columns NOT NULL safely (see set-not-null), then ADD CONSTRAINT ... PRIMARY KEY USING INDEX.',
    on: {
      AlterTableCmd: (cmd, ctx) => {
        const c = addedConstraint(cmd, ctx);
        if (c?.contype === 'CONSTR_PRIMARY' && !c.indexname) return `ALTER TABLE ${show(ctx.table)} ADD ${named(c)}PRIMARY KEY (${strings(c.keys).join(', ')})`;
        const col = addedColumn(cmd, ctx);
        if (col && columnConstraints(col).some((k) => k.contype === 'CONSTR_PRIMARY')) return `ALTER TABLE ${show(ctx.table)} ADD COLUMN ${col.colname} ... PRIMARY KEY`;
      },
    },
  },
  {
    id: 'vacuum-full',
    severity: 'warning',
    destructive: false,
    why: 'rewrites the table (with no table named, every table) under an ACCESS EXCLUSIVE lock: no reads or writes until it is done, and it needs disk for a full copy.',
    safe: 'Leave space to autovacuum (plain VACUUM takes no blocking lock), or reclaim it outside migrations with pg_repack or pg_squeeze.',
    on: {
      VacuumStmt: (n, ctx) => {
        if (!n.is_vacuumcmd || !enabled(option(n.options, 'full'))) return;
        const rels = (n.rels ?? []).map((r) => fromRangeVar(as(r, 'VacuumRelation')?.relation)).filter((q): q is QName => !!q);
        if (!rels.length) return 'VACUUM FULL of the whole database';
        const old = rels.filter((q) => !ctx.batch.isNewTable(q));
        return old.length > 0 && `VACUUM FULL ${old.map(show).join(', ')}`;
      },
    },
  },
  {
    id: 'cluster',
    severity: 'warning',
    destructive: false,
    why: 'rewrites the table in index order under an ACCESS EXCLUSIVE lock: no reads or writes until it is done.',
    safe: 'Reorder tables outside migrations with pg_repack (which does it online), or leave the order alone.',
    on: {
      ClusterStmt: (n, ctx) => {
        const table = fromRangeVar(n.relation);
        if (!table) return 'CLUSTER of every previously clustered table';
        return !ctx.batch.isNewTable(table) && `CLUSTER ${show(table)}`;
      },
    },
  },
  {
    id: 'reindex-without-concurrently',
    severity: 'warning',
    destructive: false,
    why: 'REINDEX blocks writes to the table, and reads that would use the index, until every index is rebuilt.',
    safe: 'Use REINDEX ... CONCURRENTLY (Postgres 12+) in a migration of its own marked transaction:false.',
    on: {
      ReindexStmt: (n, ctx) => {
        if (enabled(option(n.params, 'concurrently'))) return;
        const target = fromRangeVar(n.relation);
        switch (n.kind) {
          case 'REINDEX_OBJECT_TABLE':
            return !ctx.batch.isNewTable(target) && `REINDEX TABLE ${show(target)}`;
          case 'REINDEX_OBJECT_INDEX':
            return !ctx.batch.isNewIndex(target) && `REINDEX INDEX ${show(target)}`;
          case 'REINDEX_OBJECT_SCHEMA':
            return !ctx.batch.isNewSchema(n.name) && `REINDEX SCHEMA ${n.name}`;
          default:
            return `REINDEX ${n.kind?.replace('REINDEX_OBJECT_', '')}${n.name ? ` ${n.name}` : ''}`;
        }
      },
    },
  },
  {
    id: 'refresh-materialized-view-without-concurrently',
    severity: 'warning',
    destructive: false,
    why: 'holds an ACCESS EXCLUSIVE lock on the view for the whole refresh: every query reading it waits.',
    safe: 'Give the view a unique index, then use REFRESH MATERIALIZED VIEW CONCURRENTLY, which lets readers through.',
    on: {
      RefreshMatViewStmt: (n, ctx) => !n.concurrent && !n.skipData && !ctx.batch.isNewTable(fromRangeVar(n.relation)) && `REFRESH MATERIALIZED VIEW ${show(fromRangeVar(n.relation))}`,
    },
  },
  {
    id: 'validate-in-same-transaction',
    severity: 'warning',
    destructive: false,
    why: 'the lock ADD CONSTRAINT took is held until commit, so the validation scan runs under it and NOT VALID gains nothing.',
    safe: 'Validate in a later migration: there the scan takes a lock that lets reads and writes through.',
    on: {
      AlterTableCmd: (cmd, ctx) =>
        cmd.subtype === 'AT_ValidateConstraint' &&
        !!cmd.name &&
        !ctx.tableIsNew &&
        ctx.batch.addedNotValidInTransaction(ctx.table, cmd.name) &&
        `ALTER TABLE ${show(ctx.table)} VALIDATE CONSTRAINT ${cmd.name} in the transaction that added it`,
    },
  },
  {
    id: 'backfill-in-same-transaction',
    severity: 'warning',
    destructive: false,
    why: 'the lock the schema change took is held until commit, so the table stays blocked for the whole backfill.',
    safe: 'Commit the schema change first: move the backfill to a migration of its own after this one (on a big table, update in batches), where it takes only row locks.',
    on: {
      // A table the batch created is empty: updating it is instant. Copying rows into it is not.
      UpdateStmt: (n, ctx) => !ctx.batch.isNewTable(fromRangeVar(n.relation)) && backfillUnderLocks('UPDATE', fromRangeVar(n.relation), ctx),
      InsertStmt: (n, ctx) => {
        // INSERT ... SELECT ... FROM copies rows; VALUES (or a SELECT of constants) adds a few.
        const select = as(n.selectStmt, 'SelectStmt');
        if (!select?.fromClause?.length) return;
        return backfillUnderLocks('INSERT INTO', fromRangeVar(n.relation), ctx, ' ... SELECT');
      },
    },
  },

  // ---- Breaks the code that is running while the migration deploys. ----
  {
    id: 'rename-table',
    severity: 'warning',
    destructive: false,
    why: 'code still deployed uses the old name and fails from the moment this commits until every instance runs new code.',
    safe: 'Create a view under the old name in the same migration (simple views accept writes), and drop it once no code uses the old name.',
    on: {
      RenameStmt: (n, ctx) => {
        const kinds: Record<string, string> = { OBJECT_TABLE: 'TABLE', OBJECT_VIEW: 'VIEW', OBJECT_MATVIEW: 'MATERIALIZED VIEW', OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE' };
        const from = fromRangeVar(n.relation);
        if (!kinds[n.renameType ?? ''] || !from || ctx.batch.isNewTable(from)) return;
        // The old name kept alive as a view later in the section is the safe pattern itself.
        const later = ctx.statements.slice(ctx.statements.indexOf(ctx.stmt) + 1);
        if (later.some((s) => s.kind === 'ViewStmt' && sameName(fromRangeVar((s.node as NodeOf<'ViewStmt'>).view) ?? { name: '' }, from))) return;
        return `ALTER ${kinds[n.renameType!]} ${show(from)} RENAME TO ${n.newname}`;
      },
    },
  },
  {
    id: 'rename-column',
    severity: 'warning',
    destructive: false,
    why: 'code still deployed uses the old column name and fails from the moment this commits until every instance runs new code.',
    safe: 'Add the new column, write to both and backfill, move reads to it, then drop the old column in a later release.',
    on: {
      RenameStmt: (n, ctx) => {
        const table = fromRangeVar(n.relation);
        return n.renameType === 'OBJECT_COLUMN' && !ctx.batch.isNewTable(table) && `ALTER TABLE ${show(table)} RENAME COLUMN ${n.subname} TO ${n.newname}`;
      },
    },
  },
  {
    id: 'add-column-not-null-without-default',
    severity: 'error',
    destructive: false,
    why: 'fails with "contains null values" as soon as the table has a row, and once it runs, code still deployed that inserts rows without the column fails.',
    safe: 'Give the column a DEFAULT (a constant is instant), or add it nullable, backfill, and make it NOT NULL safely (see set-not-null).',
    on: {
      AlterTableCmd: (cmd, ctx) => {
        const col = addedColumn(cmd, ctx);
        if (!col) return;
        const kinds = new Set(columnConstraints(col).map((c) => c.contype));
        const notNull = kinds.has('CONSTR_NOTNULL') || kinds.has('CONSTR_PRIMARY');
        const filled = kinds.has('CONSTR_DEFAULT') || kinds.has('CONSTR_IDENTITY') || kinds.has('CONSTR_GENERATED') || SERIAL_TYPES.has(strings(col.typeName?.names).pop() ?? '');
        if (!notNull || filled) return;
        const what = `ALTER TABLE ${show(ctx.table)} ADD COLUMN ${col.colname} ${typeLabel(col.typeName)} NOT NULL without a DEFAULT`;
        // Emptied earlier in this transaction: the column goes onto no rows, so it does not fail for them.
        const emptied = ctx.batch.emptiedBy(ctx.table);
        if (!emptied) return what;
        const running = 'code still deployed that inserts rows without the column fails once this commits.';
        return {
          what,
          severity: 'warning',
          why:
            emptied === 'TRUNCATE'
              ? `the table is emptied by TRUNCATE earlier in this transaction (its lock keeps new rows out until commit), so adding the column succeeds; but ${running}`
              : `the table is emptied by DELETE earlier in this transaction, so adding the column succeeds unless another session inserts a row in between (TRUNCATE would lock them out); and ${running}`,
          safe: 'Ship code that writes the column first, or give the column a DEFAULT.',
        };
      },
    },
  },

  // ---- Rolling back: what a down section destroys. ----
  {
    id: 'rollback-drop-table',
    severity: 'warning',
    destructive: true,
    direction: 'down',
    why: 'rolling back deletes the table with every row written to it since the migration was applied, for good; code still using the table fails at once.',
    safe: 'Where the table holds data you need, copy it out before rolling back, or fix forward with a new migration instead.',
    on: {
      DropStmt: (n, ctx) => {
        if (n.removeType !== 'OBJECT_TABLE') return;
        const names = droppedNames(n.objects, (q) => ctx.batch.isNewTable(q) || absent(n, 'table', q, ctx));
        return names.length > 0 && `DROP TABLE ${names.map(show).join(', ')}${n.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''}`;
      },
    },
  },
  {
    id: 'rollback-drop-column',
    severity: 'warning',
    destructive: true,
    direction: 'down',
    why: 'rolling back deletes the column with every value written to it since the migration was applied, for good; code still selecting or inserting it fails at once.',
    safe: 'Where the column holds data you need, copy it out before rolling back, or fix forward with a new migration instead.',
    on: {
      AlterTableCmd: (cmd, ctx) => cmd.subtype === 'AT_DropColumn' && !ctx.tableIsNew && `ALTER TABLE ${show(ctx.table)} DROP COLUMN ${cmd.name}`,
    },
  },
  {
    id: 'rollback-restore-column',
    severity: 'warning',
    destructive: false,
    direction: 'down',
    why: 'rolling back brings the column back empty (NULL, or its default, in every row): the values the migration dropped are not restored, and code reading the column gets the empty value.',
    safe: 'Restore the values from a backup after rolling back, or keep a copy of the column (a table of key and value) before it is dropped.',
    on: {
      AlterTableCmd: (cmd, ctx) => {
        const col = addedColumn(cmd, ctx);
        return col && `ALTER TABLE ${show(ctx.table)} ADD COLUMN ${col.colname}`;
      },
    },
  },

  // ---- Will not run as written. ----
  {
    id: 'concurrently-in-transaction',
    severity: 'error',
    destructive: false,
    why: 'cannot run inside a transaction block, and this section runs in one: it fails in production with "cannot run inside a transaction block" (25001).',
    safe: 'Move it to a migration of its own marked transaction:false.',
    on: {
      '*': (stmt, ctx) => {
        const what = outsideTransactionOnly(stmt);
        if (!what || !ctx.inTransaction) return;
        if (!ctx.section.transaction) {
          return {
            what,
            why: 'cannot run inside a transaction block, and it sits in a BEGIN block this file opens: it fails with "cannot run inside a transaction block" (25001).',
            safe: 'Move it out of the BEGIN ... COMMIT block.',
          };
        }
        if (ctx.direction === 'down') return { what, safe: noTransactionDown(ctx) };
        return { what, safe: `Move it to a migration of its own that starts with ${noTransactionHeader(ctx)}.` };
      },
    },
  },
  {
    id: 'transaction-control',
    severity: 'warning',
    destructive: false,
    why: "pgshift already runs each migration in a single transaction with its tracking row, and drops the file's own BEGIN/COMMIT: they do nothing.",
    safe: 'Remove them; for statements that cannot run in a transaction, use a transaction:false migration.',
    on: {
      TransactionStmt: (n, ctx): Hit | undefined => {
        if (!ctx.section.transaction) return; // a transaction:false section's own blocks are real
        switch (n.kind) {
          case 'TRANS_STMT_BEGIN':
          case 'TRANS_STMT_START':
            return brief(ctx.stmt.sql);
          case 'TRANS_STMT_COMMIT': {
            // One finding per BEGIN ... COMMIT pair is enough.
            const before = ctx.statements.slice(0, ctx.statements.indexOf(ctx.stmt));
            return before.some((s) => s.kind === 'TransactionStmt' && /BEGIN|START/.test(String(s.node.kind))) ? undefined : brief(ctx.stmt.sql);
          }
          case 'TRANS_STMT_ROLLBACK':
          case 'TRANS_STMT_PREPARE':
          case 'TRANS_STMT_COMMIT_PREPARED':
          case 'TRANS_STMT_ROLLBACK_PREPARED':
            return {
              what: brief(ctx.stmt.sql),
              severity: 'error',
              why: "would end pgshift's transaction early or undo it, losing the tracking row; pgshift refuses to run the migration.",
              safe: 'Remove it: a failed migration is rolled back for you.',
            };
        }
      },
    },
  },
  {
    id: 'mixed-no-transaction',
    severity: 'warning',
    destructive: false,
    why: 'in a transaction:false section each statement commits on its own, so a failure part-way leaves the earlier ones applied and the migration marked failed.',
    safe: 'Keep only what must run outside a transaction (CREATE INDEX CONCURRENTLY and the like) in this migration; move the rest to a transactional one.',
    on: {
      '*': (stmt, ctx) => {
        if (ctx.section.transaction || belongsOutsideTransaction(stmt)) return;
        const others = ctx.statements.filter((s) => s !== stmt && s.kind !== 'VariableSetStmt' && s.kind !== 'TransactionStmt');
        return others.length > 0 && brief(stmt.sql);
      },
    },
  },

  // ---- Reported by the linter itself. ----
  {
    id: 'ignore-without-rules',
    severity: 'warning',
    destructive: false,
    why: 'an ignore must name the rules it silences, so that new rules still report.',
    safe: 'Name them: -- pgshift:ignore <rule>[, <rule>...].',
    on: DOCS_ONLY,
  },
  {
    id: 'unknown-rule',
    severity: 'warning',
    destructive: false,
    why: 'no rule has that id, so the ignore silences nothing.',
    safe: 'Use a rule id from docs/rules.md (it is printed with each finding).',
    on: DOCS_ONLY,
  },
  {
    id: 'misplaced-ignore',
    severity: 'warning',
    destructive: false,
    why: 'it is neither in the comment block right above a statement nor at the top of the file, so it silences nothing.',
    safe: 'Put it on the line right above the statement (no blank line between), or at the top of the file for the whole file.',
    on: DOCS_ONLY,
  },
  {
    id: 'syntax-error',
    severity: 'error',
    destructive: false,
    why: 'the Postgres parser rejects the SQL, so the migration cannot run.',
    safe: 'Fix the SQL at that spot.',
    on: DOCS_ONLY,
  },
  {
    id: 'invalid-file',
    severity: 'error',
    destructive: false,
    why: 'pgshift cannot use the file as a migration.',
    safe: 'Fix what the message says.',
    on: DOCS_ONLY,
  },
];

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));

/** Rules whose findings stop a migration from running at all: config may not turn them off or down. */
export const FIXED_RULES: ReadonlySet<string> = new Set(['syntax-error', 'invalid-file']);

export function ruleInfo(id: string): RuleInfo {
  const r = RULES_BY_ID.get(id);
  if (!r) throw new Error(`internal: unknown lint rule ${id}`);
  return r;
}
