// The schema model: what a database's catalogs say about its objects, with nothing that differs between
// two databases built from the same SQL (OIDs, relfilenodes, the database's name, statistics). Names
// replace OIDs, every list is sorted, and owners are kept only when asked for (a shadow database has
// other owners). inspect.ts builds it, compare.ts diffs two, render.ts prints one.

/** A privilege granted to someone other than the object's owner: "app:SELECT", "PUBLIC:USAGE", "*" when grantable. */
export type Grant = string;

export interface SchemaDef {
  name: string;
  comment: string | null;
  privileges: Grant[];
  owner?: string;
}

export interface ExtensionDef {
  name: string;
  schema: string;
  version: string;
}

export interface ColumnDef {
  name: string;
  /** format_type(): the type with its typmod ("character varying(20)", "numeric(10,2)"). */
  type: string;
  notNull: boolean;
  default: string | null;
  /** 'always' | 'by default' for identity columns. */
  identity: 'always' | 'by default' | null;
  /** The expression of a generated (stored or virtual) column. */
  generated: string | null;
  /** Only when it differs from the type's default collation. */
  collation: string | null;
  comment: string | null;
  /** 1-based position among the live columns: column order is a note, not a difference. */
  position: number;
}

export type ConstraintKind = 'primary key' | 'unique' | 'foreign key' | 'check' | 'exclusion';

export interface ConstraintDef {
  name: string;
  kind: ConstraintKind;
  /** pg_get_constraintdef(): "FOREIGN KEY (owner) REFERENCES users(id) ON DELETE CASCADE". */
  definition: string;
  deferrable: boolean;
  initiallyDeferred: boolean;
  /** false for a constraint added NOT VALID and not validated since. */
  validated: boolean;
}

export interface IndexDef {
  name: string;
  /** pg_get_indexdef(), which carries the table, method, columns, predicate and uniqueness. */
  definition: string;
  unique: boolean;
  /** false for an index a failed CREATE INDEX CONCURRENTLY left behind. */
  valid: boolean;
}

export interface TriggerDef {
  name: string;
  definition: string;
  /** pg_trigger.tgenabled in words. */
  enabled: 'origin' | 'disabled' | 'replica' | 'always';
}

export interface PolicyDef {
  name: string;
  command: 'ALL' | 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
  permissive: boolean;
  roles: string[];
  using: string | null;
  check: string | null;
}

export interface TableDef {
  schema: string;
  name: string;
  partitioned: boolean;
  /** pg_get_partkeydef() of a partitioned table; the parent and bound of a partition. */
  partitionKey: string | null;
  partitionOf: string | null;
  columns: ColumnDef[];
  /** Constraints other than NOT NULL (which is a column's), by name. */
  constraints: ConstraintDef[];
  /** Indexes that no constraint owns, by name (a primary key's index is the constraint's). */
  indexes: IndexDef[];
  triggers: TriggerDef[];
  policies: PolicyDef[];
  rowSecurity: { enabled: boolean; forced: boolean };
  comment: string | null;
  privileges: Grant[];
  owner?: string;
}

export interface ViewDef {
  schema: string;
  name: string;
  materialized: boolean;
  definition: string;
  /** A materialized view's indexes. */
  indexes: IndexDef[];
  comment: string | null;
  privileges: Grant[];
  owner?: string;
}

export interface SequenceDef {
  schema: string;
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** "table.column" of a serial column that owns it. */
  ownedBy: string | null;
  privileges: Grant[];
  owner?: string;
}

export type TypeDef =
  | { schema: string; name: string; kind: 'enum'; values: string[]; owner?: string }
  | { schema: string; name: string; kind: 'domain'; base: string; notNull: boolean; default: string | null; checks: string[]; owner?: string }
  | { schema: string; name: string; kind: 'composite'; attributes: { name: string; type: string }[]; owner?: string };

export interface FunctionDef {
  schema: string;
  name: string;
  /** pg_get_function_identity_arguments(): what tells overloads apart. */
  args: string;
  kind: 'function' | 'procedure' | 'aggregate' | 'window';
  /** pg_get_functiondef() (an aggregate's signature and parts instead). */
  definition: string;
  privileges: Grant[];
  owner?: string;
}

export interface SchemaModel {
  /** The server's major version: render() says it, compare() never looks at it. */
  serverMajor: number;
  schemas: SchemaDef[];
  extensions: ExtensionDef[];
  types: TypeDef[];
  sequences: SequenceDef[];
  tables: TableDef[];
  views: ViewDef[];
  functions: FunctionDef[];
}

export interface InspectOptions {
  /** The tracking schema: its schema_migrations and migration_history are pgshift's, never the model's. */
  trackingSchema?: string;
  /** Keep owners (left out by default: a shadow database has other owners). */
  includeOwners?: boolean;
}
