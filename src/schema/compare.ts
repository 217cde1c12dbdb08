// Two schema models → the differences, each naming the object and what differs in words a reviewer
// reads at a glance: "index tasks_title_idx: missing", "column tasks.title: nullable → NOT NULL",
// "policy tasks_tenant on tasks: USING changed". Column order is a note, never a difference.
import type { ColumnDef, ConstraintDef, FunctionDef, Grant, IndexDef, PolicyDef, SchemaModel, TableDef, TriggerDef, TypeDef, ViewDef } from './model';

export type ObjectKind =
  'schema' | 'extension' | 'type' | 'sequence' | 'table' | 'column' | 'constraint' | 'index' | 'trigger' | 'policy' | 'view' | 'materialized view' | 'function' | 'procedure' | 'aggregate';

export interface Difference {
  kind: ObjectKind;
  /** The object as a reviewer names it: "tasks_title_idx", "tasks.title", "tasks_tenant on tasks". */
  object: string;
  /** in `a` only ("removed" between before and after; "missing" on a target compared with what it should be). */
  change: 'only-in-a' | 'only-in-b' | 'changed';
  /** For a change, what changed: "nullable → NOT NULL", "USING changed". */
  details: string[];
  /** The table the object belongs to, for grouping ("public.tasks"). */
  table?: string;
  /** true for what is worth saying but is no difference (column order). */
  note?: boolean;
}

/** How the two sides are named in words: between before and after, or between expected and actual. */
export interface Words {
  onlyInA: string;
  onlyInB: string;
}
export const BEFORE_AFTER: Words = { onlyInA: 'removed', onlyInB: 'added' };
export const EXPECTED_ACTUAL: Words = { onlyInA: 'missing', onlyInB: 'not made by the migrations' };

/** "tasks" for public.tasks, "app.tasks" elsewhere: what a reviewer of a public-schema app expects. */
export function shortName(schema: string, name: string): string {
  return schema === 'public' ? name : `${schema}.${name}`;
}

export function describeDifference(d: Difference, words: Words = BEFORE_AFTER): string {
  const what = d.change === 'only-in-a' ? words.onlyInA : d.change === 'only-in-b' ? words.onlyInB : d.details.join('; ');
  return `${d.kind} ${d.object}: ${what}${d.note ? ' (a note, not a difference)' : ''}`;
}

const arrow = (a: unknown, b: unknown) => `${show(a)} → ${show(b)}`;
function show(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return v.length ? v.join(', ') : 'none';
  return String(v);
}

/** The same two lists keyed by name: what only one side has, and the pairs present in both. */
function pairUp<T>(a: T[], b: T[], key: (x: T) => string): { onlyA: T[]; onlyB: T[]; both: [T, T][] } {
  const mapB = new Map(b.map((x) => [key(x), x]));
  const keysA = new Set(a.map(key));
  return {
    onlyA: a.filter((x) => !mapB.has(key(x))),
    onlyB: b.filter((x) => !keysA.has(key(x))),
    both: a.filter((x) => mapB.has(key(x))).map((x) => [x, mapB.get(key(x))!]),
  };
}

function privilegeChanges(a: Grant[], b: Grant[]): string[] {
  const added = b.filter((g) => !a.includes(g));
  const removed = a.filter((g) => !b.includes(g));
  if (!added.length && !removed.length) return [];
  return [`privileges ${[...removed.map((g) => `-${g}`), ...added.map((g) => `+${g}`)].join(' ')}`];
}

function ownerChange(a: { owner?: string }, b: { owner?: string }): string[] {
  return a.owner !== undefined && b.owner !== undefined && a.owner !== b.owner ? [`owner ${arrow(a.owner, b.owner)}`] : [];
}

class Collector {
  readonly out: Difference[] = [];
  /** Adds the differences of one kind of named object, with `changes` for the pairs in both. */
  add<T>(kind: ObjectKind | ((x: T) => ObjectKind), a: T[], b: T[], key: (x: T) => string, label: (x: T) => string, changes: (x: T, y: T) => string[], table?: string): [T, T][] {
    const k = (x: T) => (typeof kind === 'function' ? kind(x) : kind);
    const { onlyA, onlyB, both } = pairUp(a, b, key);
    for (const x of onlyA) this.out.push({ kind: k(x), object: label(x), change: 'only-in-a', details: [], table });
    for (const x of onlyB) this.out.push({ kind: k(x), object: label(x), change: 'only-in-b', details: [], table });
    for (const [x, y] of both) {
      const details = changes(x, y);
      if (details.length) this.out.push({ kind: k(y), object: label(y), change: 'changed', details, table });
    }
    return both;
  }
}

function columnChanges(a: ColumnDef, b: ColumnDef): string[] {
  const out: string[] = [];
  if (a.type !== b.type) out.push(`type ${arrow(a.type, b.type)}`);
  if (a.notNull !== b.notNull) out.push(a.notNull ? 'NOT NULL → nullable' : 'nullable → NOT NULL');
  if (a.default !== b.default) out.push(`default ${arrow(a.default, b.default)}`);
  if (a.identity !== b.identity) out.push(`identity ${arrow(a.identity, b.identity)}`);
  if (a.generated !== b.generated) out.push(`generated ${arrow(a.generated, b.generated)}`);
  if (a.collation !== b.collation) out.push(`collation ${arrow(a.collation ?? 'default', b.collation ?? 'default')}`);
  if (a.comment !== b.comment) out.push('comment changed');
  return out;
}

function constraintChanges(a: ConstraintDef, b: ConstraintDef): string[] {
  const out: string[] = [];
  if (a.kind !== b.kind || a.definition.replace(/ NOT VALID$/, '') !== b.definition.replace(/ NOT VALID$/, '')) out.push(`definition ${arrow(a.definition, b.definition)}`);
  if (a.validated !== b.validated) out.push(a.validated ? 'validated → NOT VALID' : 'NOT VALID → validated');
  if (a.deferrable !== b.deferrable || a.initiallyDeferred !== b.initiallyDeferred) out.push(`deferrable ${arrow(deferral(a), deferral(b))}`);
  return out;
}
const deferral = (c: ConstraintDef) => (!c.deferrable ? 'not deferrable' : c.initiallyDeferred ? 'initially deferred' : 'initially immediate');

function indexChanges(a: IndexDef, b: IndexDef): string[] {
  const out: string[] = [];
  if (a.definition !== b.definition) out.push(`definition ${arrow(a.definition, b.definition)}`);
  if (a.valid !== b.valid) out.push(a.valid ? 'valid → INVALID' : 'INVALID → valid');
  return out;
}

function triggerChanges(a: TriggerDef, b: TriggerDef): string[] {
  const out: string[] = [];
  if (a.definition !== b.definition) out.push('definition changed');
  if (a.enabled !== b.enabled)
    out.push(`${a.enabled === 'disabled' ? 'disabled' : 'enabled'} → ${b.enabled === 'disabled' ? 'disabled' : b.enabled === 'origin' ? 'enabled' : `enabled (${b.enabled})`}`);
  return out;
}

function policyChanges(a: PolicyDef, b: PolicyDef): string[] {
  const out: string[] = [];
  if (a.command !== b.command) out.push(`command ${arrow(a.command, b.command)}`);
  if (a.permissive !== b.permissive) out.push(a.permissive ? 'permissive → restrictive' : 'restrictive → permissive');
  if (show(a.roles) !== show(b.roles)) out.push(`roles ${arrow(a.roles, b.roles)}`);
  if (a.using !== b.using) out.push('USING changed');
  if (a.check !== b.check) out.push('WITH CHECK changed');
  return out;
}

function tableChanges(a: TableDef, b: TableDef): string[] {
  const out: string[] = [];
  if (a.partitioned !== b.partitioned || a.partitionKey !== b.partitionKey) out.push(`partitioning ${arrow(a.partitionKey ?? 'none', b.partitionKey ?? 'none')}`);
  if (a.partitionOf !== b.partitionOf) out.push(`partition of ${arrow(a.partitionOf, b.partitionOf)}`);
  if (a.rowSecurity.enabled !== b.rowSecurity.enabled) out.push(`row-level security ${a.rowSecurity.enabled ? 'enabled → disabled' : 'disabled → enabled'}`);
  if (a.rowSecurity.forced !== b.rowSecurity.forced) out.push(`row-level security ${a.rowSecurity.forced ? 'forced → not forced' : 'not forced → forced'}`);
  if (a.comment !== b.comment) out.push('comment changed');
  return [...out, ...privilegeChanges(a.privileges, b.privileges), ...ownerChange(a, b)];
}

function typeChanges(a: TypeDef, b: TypeDef): string[] {
  if (a.kind !== b.kind) return [`kind ${arrow(a.kind, b.kind)}`];
  const out: string[] = [];
  if (a.kind === 'enum' && b.kind === 'enum' && show(a.values) !== show(b.values)) out.push(`values ${arrow(a.values, b.values)}`);
  if (a.kind === 'domain' && b.kind === 'domain') {
    if (a.base !== b.base) out.push(`type ${arrow(a.base, b.base)}`);
    if (a.notNull !== b.notNull) out.push(a.notNull ? 'NOT NULL → nullable' : 'nullable → NOT NULL');
    if (a.default !== b.default) out.push(`default ${arrow(a.default, b.default)}`);
    if (show(a.checks) !== show(b.checks)) out.push(`checks ${arrow(a.checks, b.checks)}`);
  }
  if (a.kind === 'composite' && b.kind === 'composite') {
    const attrs = (t: typeof a) => t.attributes.map((x) => `${x.name} ${x.type}`);
    if (show(attrs(a)) !== show(attrs(b))) out.push(`attributes ${arrow(attrs(a), attrs(b))}`);
  }
  return [...out, ...ownerChange(a, b)];
}

/** The differences from `a` to `b`, tables first, each table's parts after it. */
export function compare(a: SchemaModel, b: SchemaModel): Difference[] {
  const c = new Collector();
  const q = (x: { schema: string; name: string }) => `${x.schema}.${x.name}`;
  const label = (x: { schema: string; name: string }) => shortName(x.schema, x.name);

  c.add(
    'schema',
    a.schemas,
    b.schemas,
    (x) => x.name,
    (x) => x.name,
    (x, y) => [...(x.comment !== y.comment ? ['comment changed'] : []), ...privilegeChanges(x.privileges, y.privileges), ...ownerChange(x, y)],
  );
  c.add(
    'extension',
    a.extensions,
    b.extensions,
    (x) => x.name,
    (x) => x.name,
    (x, y) => [...(x.schema !== y.schema ? [`schema ${arrow(x.schema, y.schema)}`] : []), ...(x.version !== y.version ? [`version ${arrow(x.version, y.version)}`] : [])],
  );
  c.add('type', a.types, b.types, q, label, typeChanges);
  c.add('sequence', a.sequences, b.sequences, q, label, (x, y) => {
    const fields = ['type', 'start', 'increment', 'min', 'max', 'cache', 'cycle', 'ownedBy'] as const;
    return [...fields.filter((f) => x[f] !== y[f]).map((f) => `${f === 'ownedBy' ? 'owned by' : f} ${arrow(x[f], y[f])}`), ...privilegeChanges(x.privileges, y.privileges), ...ownerChange(x, y)];
  });

  const tables = c.add('table', a.tables, b.tables, q, label, tableChanges);
  for (const [x, y] of tables) {
    const t = label(y);
    const table = q(y);
    c.add(
      'column',
      x.columns,
      y.columns,
      (col) => col.name,
      (col) => `${t}.${col.name}`,
      columnChanges,
      table,
    );
    // Order among the columns both sides have: where a column sits is the table's layout, not its meaning.
    const shared = (cols: ColumnDef[], other: ColumnDef[]) => cols.filter((col) => other.some((o) => o.name === col.name)).map((col) => col.name);
    const orderA = shared(x.columns, y.columns);
    const orderB = shared(y.columns, x.columns);
    if (orderA.join(',') !== orderB.join(',')) c.out.push({ kind: 'table', object: t, change: 'changed', details: [`column order ${arrow(orderA, orderB)}`], table, note: true });
    c.add(
      'constraint',
      x.constraints,
      y.constraints,
      (k) => k.name,
      (k) => `${k.name} on ${t}`,
      constraintChanges,
      table,
    );
    c.add(
      'index',
      x.indexes,
      y.indexes,
      (i) => i.name,
      (i) => i.name,
      indexChanges,
      table,
    );
    c.add(
      'trigger',
      x.triggers,
      y.triggers,
      (g) => g.name,
      (g) => `${g.name} on ${t}`,
      triggerChanges,
      table,
    );
    c.add(
      'policy',
      x.policies,
      y.policies,
      (p) => p.name,
      (p) => `${p.name} on ${t}`,
      policyChanges,
      table,
    );
  }

  const views = c.add(
    (v: ViewDef) => (v.materialized ? 'materialized view' : 'view'),
    a.views,
    b.views,
    q,
    label,
    (x, y) => [
      ...(x.materialized !== y.materialized ? [`materialized ${arrow(x.materialized, y.materialized)}`] : []),
      ...(x.definition !== y.definition ? ['definition changed'] : []),
      ...(x.comment !== y.comment ? ['comment changed'] : []),
      ...privilegeChanges(x.privileges, y.privileges),
      ...ownerChange(x, y),
    ],
  );
  for (const [x, y] of views)
    c.add(
      'index',
      x.indexes,
      y.indexes,
      (i) => i.name,
      (i) => i.name,
      indexChanges,
      q(y),
    );

  c.add(
    (f: FunctionDef) => (f.kind === 'window' ? 'function' : f.kind),
    a.functions,
    b.functions,
    (f) => `${q(f)}(${f.args})`,
    (f) => `${label(f)}(${f.args})`,
    (x, y) => [...(x.definition !== y.definition ? ['definition changed'] : []), ...privilegeChanges(x.privileges, y.privileges), ...ownerChange(x, y)],
  );
  return c.out;
}

/** The differences that are differences (not notes). */
export function realDifferences(diffs: Difference[]): Difference[] {
  return diffs.filter((d) => !d.note);
}
