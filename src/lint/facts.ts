// What the database knows that the SQL alone does not: whether an object a DROP ... IF EXISTS names is
// there at all, and a column's type today. Asked once, before linting (src/db/lint-facts.ts reads the
// catalogs); without a database the rules keep their caution.
import type { AlterTableCmd, TypeName } from '@pgsql/types';
import type { Statement } from '../types';
import { as, fromNames, fromRangeVar, strings, type NodeOf, type QName } from './ast';

/** The kinds of object a DROP ... IF EXISTS may name that the destructive rules look at. */
export type ObjectKind = 'table' | 'type' | 'schema';

/** A column as the catalog has it. */
export interface ColumnFacts {
  /** pg_type.typname of its type (varchar, numeric, timestamp, …); a domain's own name. */
  base: string;
  /** pg_attribute.atttypmod: -1 when the type has no modifier. */
  typmod: number;
  /** Its type is a domain: what a change of it costs is not worked out here. */
  domain: boolean;
  /** An index covers it: rebuilt even when the table is not rewritten. */
  indexed: boolean;
}

/** What to ask: names as written, resolved as the migration would resolve them (the search_path). */
export interface Questions {
  objects: { kind: ObjectKind; name: QName }[];
  columns: { table: QName; column: string }[];
}

/** The answers. */
export interface DatabaseFacts {
  /** false: not in the database; undefined: not asked. */
  exists(kind: ObjectKind, name: QName): boolean | undefined;
  /** null: the table has no such column (or the table is not there); undefined: not asked. */
  column(table: QName, column: string): ColumnFacts | null | undefined;
  /** server_version_num. */
  serverVersion: number;
  /** The TimeZone the linting session got, as the migration session gets it (role and database defaults). */
  timeZone: string;
}

const DROP_KINDS: Partial<Record<string, ObjectKind>> = { OBJECT_TABLE: 'table', OBJECT_TYPE: 'type', OBJECT_DOMAIN: 'type', OBJECT_SCHEMA: 'schema' };

/** The DROP ... IF EXISTS objects and the ALTER COLUMN ... TYPE columns of some statements. */
export function questionsOf(statements: Iterable<Statement>): Questions {
  const q: Questions = { objects: [], columns: [] };
  for (const stmt of statements) {
    if (stmt.kind === 'DropStmt') {
      const n = stmt.node as NodeOf<'DropStmt'>;
      const kind = DROP_KINDS[n.removeType ?? ''];
      if (!n.missing_ok || !kind) continue;
      for (const o of n.objects ?? []) {
        const name = kind === 'schema' ? { name: as(o, 'String')?.sval ?? '' } : fromNames(as(o, 'List')?.items ?? as(o, 'TypeName')?.names ?? [o]);
        if (name?.name) q.objects.push({ kind, name });
      }
    } else if (stmt.kind === 'AlterTableStmt') {
      const n = stmt.node as NodeOf<'AlterTableStmt'>;
      const table = n.objtype === 'OBJECT_TABLE' ? fromRangeVar(n.relation) : undefined;
      if (!table) continue;
      for (const c of n.cmds ?? []) {
        const cmd = as(c, 'AlterTableCmd');
        if (cmd?.name && cmd.subtype === 'AT_AlterColumnType') q.columns.push({ table, column: cmd.name });
      }
    }
  }
  return q;
}

/** Zones with one offset, 0, for all time: Postgres's pg_get_timezone_offset() says yes to these. */
const FIXED_UTC = new Set([
  'utc',
  'etc/utc',
  'uct',
  'etc/uct',
  'gmt',
  'etc/gmt',
  'gmt0',
  'etc/gmt0',
  'gmt+0',
  'etc/gmt+0',
  'gmt-0',
  'etc/gmt-0',
  'greenwich',
  'etc/greenwich',
  'universal',
  'etc/universal',
  'zulu',
  'etc/zulu',
]);

/** An integer type modifier as written ("varchar(20)": [20]); undefined when one is not a plain integer. */
function modifiers(t: TypeName): number[] | undefined {
  const out: number[] = [];
  for (const m of t.typmods ?? []) {
    const c = as(m, 'A_Const');
    if (!c || !c.ival) return undefined;
    out.push(c.ival.ival ?? 0);
  }
  return out;
}

/** numeric's typmod: ((precision << 16) | scale) + 4, scale in 11 bits (negative from Postgres 15). */
function numericParts(typmod: number): { precision: number; scale: number } {
  const v = typmod - 4;
  return { precision: (v >> 16) & 0xffff, scale: ((v & 0x7ff) ^ 1024) - 1024 };
}

/**
 * Why an ALTER COLUMN ... TYPE does not rewrite the table, or undefined when it may. Only changes
 * ALTER TABLE makes by relabelling (a binary-coercible cast) or that a length coercion's support
 * function drops (varchar_support, numeric_support, varbit_support: a wider or absent limit), and
 * timestamp <-> timestamptz where Postgres 12+ skips the rewrite (TimeZone with a fixed offset of 0;
 * see ATColumnChangeRequiresRewrite and TimestampTimestampTzRequiresRewrite in its source). A USING
 * clause, a COLLATE or a domain stays a rewrite as far as the linter knows.
 */
export function withoutRewrite(cmd: AlterTableCmd, old: ColumnFacts, facts: DatabaseFacts): { ok: true } | { ok: false; indexRebuild?: string } | undefined {
  const def = as(cmd.def, 'ColumnDef');
  const t = def?.typeName;
  if (!def || !t || def.raw_default || def.collClause || old.domain || t.arrayBounds?.length || t.setof || t.pct_type) return undefined;
  const parts = strings(t.names);
  // Every type below is pg_catalog's: a schema other than that is a type of the user's.
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'pg_catalog')) return undefined;
  const target = parts[parts.length - 1];
  const mods = modifiers(t);
  if (!mods) return undefined;
  const [first, second] = mods;
  const none = mods.length === 0;
  switch (`${old.base}->${target}`) {
    case 'varchar->text':
    case 'text->text':
      return { ok: true };
    case 'text->varchar':
      return none ? { ok: true } : undefined;
    case 'varchar->varchar':
      return none || (old.typmod >= 0 && first >= old.typmod - 4) ? { ok: true } : undefined;
    case 'varbit->varbit':
      return none || (old.typmod >= 0 && first >= old.typmod) ? { ok: true } : undefined;
    case 'numeric->numeric': {
      if (none) return { ok: true };
      if (old.typmod < 0) return undefined;
      const was = numericParts(old.typmod);
      return first >= was.precision && (second ?? 0) === was.scale ? { ok: true } : undefined;
    }
    case 'cidr->inet':
      return none ? { ok: true } : undefined;
    case 'timestamp->timestamptz':
    case 'timestamptz->timestamp': {
      // A precision below the maximum adds a length coercion the rewrite check does not look through.
      if (!(none || first >= 6) || facts.serverVersion < 120000 || !FIXED_UTC.has(facts.timeZone.toLowerCase())) return undefined;
      // The table is not rewritten, but an index on the column is rebuilt (another operator class).
      return old.indexed ? { ok: false, indexRebuild: `the table is not rewritten (TimeZone is ${facts.timeZone}), but the indexes on the column are rebuilt` } : { ok: true };
    }
    default:
      return undefined;
  }
}
