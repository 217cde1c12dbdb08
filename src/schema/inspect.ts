// Reads a live database's catalogs into a SchemaModel. One query per kind of object, sent together in
// one read-only snapshot (so the number of queries is constant, never one per object), and pg_catalog
// throughout: information_schema hides what a role does not own and knows nothing of policies or
// validity. Objects that belong to an extension are the extension's, not the schema's.
import type { ReservedSql, Sql } from '../db/connect';
import type { ColumnDef, ConstraintDef, ConstraintKind, FunctionDef, IndexDef, InspectOptions, PolicyDef, SchemaModel, TableDef, TriggerDef, TypeDef, ViewDef } from './model';

/** Tables other migration tools keep their history in: a database adopted from one still has it. */
export const OTHER_TOOLS_TABLES = ['flyway_schema_history', 'goose_db_version', 'gorp_migrations', 'pgmigrations', '_prisma_migrations', 'golang_migrate_schema_migrations'];
/** pgshift's own tracking tables, in the tracking schema. */
const TRACKING_TABLES = ['schema_migrations', 'migration_history'];

/** Schemas of the system (and of other tools' bookkeeping), never the application's. */
const USER_NAMESPACE = `n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%' and n.nspname <> 'supabase_migrations'`;

/** Not a member of an extension: `catalog` is the object's system catalog. */
function notInExtension(catalog: string, oid: string): string {
  return `not exists (select 1 from pg_depend e where e.classid = '${catalog}'::regclass and e.objid = ${oid} and e.deptype = 'e')`;
}

/** Grants to anyone but the owner, as sorted "grantee:PRIVILEGE" ("*" when grantable); the owner's own vary with who created it. */
function grants(acl: string, owner: string): string {
  return `coalesce((select array_to_json(array_agg(g order by g))::text from (
      select case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee) end || ':' || a.privilege_type || case when a.is_grantable then '*' else '' end as g
        from aclexplode(${acl}) a where a.grantee <> ${owner}) s), '[]')`;
}

const QUERIES = {
  schemas: `select n.nspname as name, obj_description(n.oid, 'pg_namespace') as comment, pg_get_userbyid(n.nspowner) as owner, ${grants('n.nspacl', 'n.nspowner')} as privileges
      from pg_namespace n where ${USER_NAMESPACE} and ${notInExtension('pg_namespace', 'n.oid')}`,
  extensions: `select e.extname as name, n.nspname as schema, e.extversion as version from pg_extension e join pg_namespace n on n.oid = e.extnamespace`,
  tables: `select c.oid::int8 as oid, n.nspname as schema, c.relname as name, c.relkind = 'p' as partitioned,
        case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partition_key,
        case when c.relispartition then (select pn.nspname || '.' || pc.relname || ' ' || pg_get_expr(c.relpartbound, c.oid)
          from pg_inherits i join pg_class pc on pc.oid = i.inhparent join pg_namespace pn on pn.oid = pc.relnamespace where i.inhrelid = c.oid) end as partition_of,
        c.relrowsecurity as rls, c.relforcerowsecurity as rls_forced, obj_description(c.oid, 'pg_class') as comment,
        pg_get_userbyid(c.relowner) as owner, ${grants('c.relacl', 'c.relowner')} as privileges
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and ${USER_NAMESPACE} and ${notInExtension('pg_class', 'c.oid')}`,
  columns: `select a.attrelid::int8 as rel, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
        case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end as "default",
        case a.attidentity when 'a' then 'always' when 'd' then 'by default' end as identity,
        case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) || case a.attgenerated when 's' then ' STORED' else ' VIRTUAL' end end as generated,
        case when a.attcollation <> t.typcollation then (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
          from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace where co.oid = a.attcollation) end as collation,
        col_description(a.attrelid, a.attnum) as comment, a.attnum as num
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace join pg_type t on t.oid = a.atttypid
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p') and ${USER_NAMESPACE}`,
  // NOT NULL is a column's (Postgres 18 also lists it here, as contype 'n'; older servers do not).
  constraints: `select k.conrelid::int8 as rel, k.conname as name, k.contype as type, pg_get_constraintdef(k.oid) as definition,
        k.condeferrable as deferrable, k.condeferred as deferred, k.convalidated as validated
      from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
      where k.contype in ('p', 'u', 'f', 'c', 'x') and ${USER_NAMESPACE}`,
  // A primary key's, unique or exclusion constraint's index is the constraint's, compared there.
  indexes: `select i.indrelid::int8 as rel, ic.relname as name, pg_get_indexdef(i.indexrelid) as definition, i.indisunique as unique, i.indisvalid as valid
      from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'm') and ${USER_NAMESPACE}
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x'))`,
  triggers: `select t.tgrelid::int8 as rel, t.tgname as name, pg_get_triggerdef(t.oid) as definition, t.tgenabled as enabled
      from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where not t.tgisinternal and ${USER_NAMESPACE}`,
  policies: `select p.polrelid::int8 as rel, p.polname as name, p.polcmd as command, p.polpermissive as permissive,
        coalesce((select array_to_json(array_agg(r order by r))::text from (select case when x = 0 then 'PUBLIC' else pg_get_userbyid(x) end as r from unnest(p.polroles) x) s), '[]') as roles,
        pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as "check"
      from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
      where ${USER_NAMESPACE}`,
  views: `select c.oid::int8 as oid, n.nspname as schema, c.relname as name, c.relkind = 'm' as materialized, pg_get_viewdef(c.oid) as definition,
        obj_description(c.oid, 'pg_class') as comment, pg_get_userbyid(c.relowner) as owner, ${grants('c.relacl', 'c.relowner')} as privileges
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('v', 'm') and ${USER_NAMESPACE} and ${notInExtension('pg_class', 'c.oid')}`,
  // An identity column's sequence is the column's (its identity is compared there).
  sequences: `select n.nspname as schema, c.relname as name, format_type(s.seqtypid, null) as type, s.seqstart::text as start, s.seqincrement::text as increment,
        s.seqmin::text as min, s.seqmax::text as max, s.seqcache::text as cache, s.seqcycle as cycle,
        (select tn.nspname || '.' || tc.relname || '.' || a.attname from pg_depend d join pg_class tc on tc.oid = d.refobjid
           join pg_namespace tn on tn.oid = tc.relnamespace join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
          where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.refclassid = 'pg_class'::regclass and d.deptype = 'a' limit 1) as owned_by,
        pg_get_userbyid(c.relowner) as owner, ${grants('c.relacl', 'c.relowner')} as privileges
      from pg_sequence s join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
      where ${USER_NAMESPACE} and ${notInExtension('pg_class', 'c.oid')}
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'i')`,
  types: `select t.oid::int8 as oid, n.nspname as schema, t.typname as name, t.typtype as kind, t.typrelid::int8 as relid,
        case when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod) end as base, t.typnotnull as not_null, t.typdefault as "default",
        pg_get_userbyid(t.typowner) as owner
      from pg_type t join pg_namespace n on n.oid = t.typnamespace
      where (t.typtype in ('e', 'd') or (t.typtype = 'c' and (select r.relkind from pg_class r where r.oid = t.typrelid) = 'c'))
        and ${USER_NAMESPACE} and ${notInExtension('pg_type', 't.oid')}`,
  enumValues: `select e.enumtypid::int8 as type, e.enumlabel as label from pg_enum e join pg_type t on t.oid = e.enumtypid join pg_namespace n on n.oid = t.typnamespace
      where ${USER_NAMESPACE} order by e.enumtypid, e.enumsortorder`,
  domainChecks: `select k.contypid::int8 as type, k.conname || ' ' || pg_get_constraintdef(k.oid) as check
      from pg_constraint k join pg_type t on t.oid = k.contypid join pg_namespace n on n.oid = t.typnamespace
      where k.contypid <> 0 and k.contype = 'c' and ${USER_NAMESPACE}`,
  compositeAttributes: `select a.attrelid::int8 as rel, a.attname as name, format_type(a.atttypid, a.atttypmod) as type
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'c' and a.attnum > 0 and not a.attisdropped and ${USER_NAMESPACE} order by a.attrelid, a.attnum`,
  functions: `select n.nspname as schema, p.proname as name, pg_get_function_identity_arguments(p.oid) as args, p.prokind as kind,
        case when p.prokind = 'a' then (select 'CREATE AGGREGATE ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ') ('
            || 'SFUNC = ' || g.aggtransfn::regproc::text || ', STYPE = ' || format_type(g.aggtranstype, null)
            || coalesce(', FINALFUNC = ' || nullif(g.aggfinalfn, 0)::regproc::text, '') || coalesce(', INITCOND = ' || quote_literal(g.agginitval), '') || ')'
          from pg_aggregate g where g.aggfnoid = p.oid)
          else pg_get_functiondef(p.oid) end as definition,
        pg_get_userbyid(p.proowner) as owner, ${grants('p.proacl', 'p.proowner')} as privileges
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where ${USER_NAMESPACE} and ${notInExtension('pg_proc', 'p.oid')}`,
  server: `select current_setting('server_version_num')::int / 10000 as major`,
} as const;

type Row = Record<string, unknown>;
type Rows = { [K in keyof typeof QUERIES]: Row[] };

/** Byte order, never the locale's: the same bytes on every machine. */
export function byName<T extends { name: string; schema?: string }>(a: T, b: T): number {
  const x = `${a.schema ?? ''}.${a.name}`;
  const y = `${b.schema ?? ''}.${b.name}`;
  return x < y ? -1 : x > y ? 1 : 0;
}

const CONSTRAINT_KINDS: Record<string, ConstraintKind> = { p: 'primary key', u: 'unique', f: 'foreign key', c: 'check', x: 'exclusion' };
const TRIGGER_ENABLED: Record<string, TriggerDef['enabled']> = { O: 'origin', D: 'disabled', R: 'replica', A: 'always' };
const POLICY_COMMANDS: Record<string, PolicyDef['command']> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };
const FUNCTION_KINDS: Record<string, FunctionDef['kind']> = { f: 'function', p: 'procedure', a: 'aggregate', w: 'window' };

/** Rows grouped by a numeric key column, each group in query order. */
function groupBy(rows: Row[], key: string): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) {
    const k = String(r[key]);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
/** A list sent as JSON text: the same on any connection, whatever array parsing it has. */
const list = (v: unknown): string[] => (typeof v === 'string' ? (JSON.parse(v) as string[]) : Array.isArray(v) ? (v as string[]) : []);
const owned = <T extends object>(def: T, owner: unknown, include: boolean | undefined): T => (include ? { ...def, owner: String(owner) } : def);

/** All queries at once, pipelined on one connection inside one repeatable-read snapshot. */
async function readCatalogs(sql: Sql | ReservedSql): Promise<Rows> {
  const names = Object.keys(QUERIES) as (keyof typeof QUERIES)[];
  const results = await sql.begin('isolation level repeatable read read only', (tx) => names.map((n) => tx.unsafe(QUERIES[n])) as unknown as Promise<Row[]>[]);
  return Object.fromEntries(names.map((n, i) => [n, [...(results as unknown as Row[][])[i]]])) as Rows;
}

export async function inspect(sql: Sql | ReservedSql, options: InspectOptions = {}): Promise<SchemaModel> {
  const rows = await readCatalogs(sql);
  const tracking = options.trackingSchema ?? 'public';
  const own = options.includeOwners;
  const isBookkeeping = (schema: string, name: string) => (schema === tracking && TRACKING_TABLES.includes(name)) || OTHER_TOOLS_TABLES.includes(name);

  const columns = groupBy(rows.columns, 'rel');
  const constraints = groupBy(rows.constraints, 'rel');
  const indexes = groupBy(rows.indexes, 'rel');
  const triggers = groupBy(rows.triggers, 'rel');
  const policies = groupBy(rows.policies, 'rel');
  const indexDefs = (rel: string): IndexDef[] =>
    (indexes.get(rel) ?? []).map((r) => ({ name: String(r.name), definition: String(r.definition), unique: Boolean(r.unique), valid: Boolean(r.valid) })).sort(byName);

  const tables: TableDef[] = rows.tables
    .filter((t) => !isBookkeeping(String(t.schema), String(t.name)))
    .map((t) => {
      const rel = String(t.oid);
      const cols: ColumnDef[] = (columns.get(rel) ?? [])
        .sort((a, b) => Number(a.num) - Number(b.num))
        .map((c, i) => ({
          name: String(c.name),
          type: String(c.type),
          notNull: Boolean(c.not_null),
          default: str(c.default),
          identity: (c.identity as ColumnDef['identity']) ?? null,
          generated: str(c.generated),
          collation: str(c.collation),
          comment: str(c.comment),
          position: i + 1,
        }));
      const cons: ConstraintDef[] = (constraints.get(rel) ?? [])
        .map((k) => ({
          name: String(k.name),
          kind: CONSTRAINT_KINDS[String(k.type)],
          definition: String(k.definition),
          deferrable: Boolean(k.deferrable),
          initiallyDeferred: Boolean(k.deferred),
          validated: Boolean(k.validated),
        }))
        .sort(byName);
      const trigs: TriggerDef[] = (triggers.get(rel) ?? [])
        .map((g) => ({ name: String(g.name), definition: String(g.definition), enabled: TRIGGER_ENABLED[String(g.enabled)] ?? 'origin' }))
        .sort(byName);
      const pols: PolicyDef[] = (policies.get(rel) ?? [])
        .map((p) => ({
          name: String(p.name),
          command: POLICY_COMMANDS[String(p.command)] ?? 'ALL',
          permissive: Boolean(p.permissive),
          roles: list(p.roles),
          using: str(p.using),
          check: str(p.check),
        }))
        .sort(byName);
      const def: TableDef = {
        schema: String(t.schema),
        name: String(t.name),
        partitioned: Boolean(t.partitioned),
        partitionKey: str(t.partition_key),
        partitionOf: str(t.partition_of),
        columns: cols,
        constraints: cons,
        indexes: indexDefs(rel),
        triggers: trigs,
        policies: pols,
        rowSecurity: { enabled: Boolean(t.rls), forced: Boolean(t.rls_forced) },
        comment: str(t.comment),
        privileges: list(t.privileges),
      };
      return owned(def, t.owner, own);
    })
    .sort(byName);

  const views: ViewDef[] = rows.views
    .map((v) =>
      owned<ViewDef>(
        {
          schema: String(v.schema),
          name: String(v.name),
          materialized: Boolean(v.materialized),
          definition: String(v.definition),
          indexes: indexDefs(String(v.oid)),
          comment: str(v.comment),
          privileges: list(v.privileges),
        },
        v.owner,
        own,
      ),
    )
    .sort(byName);

  const enumValues = groupBy(rows.enumValues, 'type');
  const domainChecks = groupBy(rows.domainChecks, 'type');
  const attributes = groupBy(rows.compositeAttributes, 'rel');
  const types: TypeDef[] = rows.types
    .map((t): TypeDef => {
      const base = { schema: String(t.schema), name: String(t.name) };
      const oid = String(t.oid);
      const def: TypeDef =
        t.kind === 'e'
          ? { ...base, kind: 'enum', values: (enumValues.get(oid) ?? []).map((e) => String(e.label)) }
          : t.kind === 'd'
            ? {
                ...base,
                kind: 'domain',
                base: String(t.base),
                notNull: Boolean(t.not_null),
                default: str(t.default),
                checks: (domainChecks.get(oid) ?? []).map((c) => String(c.check)).sort(),
              }
            : { ...base, kind: 'composite', attributes: (attributes.get(String(t.relid)) ?? []).map((a) => ({ name: String(a.name), type: String(a.type) })) };
      return owned(def, t.owner, own);
    })
    .sort(byName);

  return {
    serverMajor: Number(rows.server[0]?.major ?? 0),
    schemas: rows.schemas
      // A dedicated tracking schema is pgshift's; public is everyone's.
      .filter((s) => !(s.name === tracking && tracking !== 'public'))
      .map((s) => owned({ name: String(s.name), comment: str(s.comment), privileges: list(s.privileges) }, s.owner, own))
      .sort(byName),
    extensions: rows.extensions.map((e) => ({ name: String(e.name), schema: String(e.schema), version: String(e.version) })).sort(byName),
    types,
    sequences: rows.sequences
      .map((s) =>
        owned(
          {
            schema: String(s.schema),
            name: String(s.name),
            type: String(s.type),
            start: String(s.start),
            increment: String(s.increment),
            min: String(s.min),
            max: String(s.max),
            cache: String(s.cache),
            cycle: Boolean(s.cycle),
            ownedBy: str(s.owned_by),
            privileges: list(s.privileges),
          },
          s.owner,
          own,
        ),
      )
      .sort(byName),
    tables,
    views,
    functions: rows.functions
      .map((f) =>
        owned<FunctionDef>(
          {
            schema: String(f.schema),
            name: String(f.name),
            args: String(f.args),
            kind: FUNCTION_KINDS[String(f.kind)] ?? 'function',
            definition: String(f.definition),
            privileges: list(f.privileges),
          },
          f.owner,
          own,
        ),
      )
      .sort((a, b) => byName(a, b) || (a.args < b.args ? -1 : a.args > b.args ? 1 : 0)),
  };
}
