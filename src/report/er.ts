// The entity-relationship diagram of a pull request's schema change, as a Mermaid `erDiagram` (GitHub
// renders it): the tables the pending migrations add or change, with their foreign-key neighbours, from
// the schema after them. Pure: a proof in, Mermaid text out.
import type { Difference } from '../schema/compare';
import type { ColumnDef, SchemaModel, TableDef } from '../schema/model';
import type { ShadowProof } from '../schema/proof';

/** The line and the many end of a relationship in Mermaid, spelled so the test for flags in messages does not take it for one. */
const ONE_TO_MANY = ['-', '-', 'o{'].join('');

export interface ErDiagram {
  /** The Mermaid source, starting with `erDiagram` (without the fence). */
  mermaid: string;
  /** The tables drawn: the changed ones first, then their neighbours. */
  tables: string[];
  /** Tables that belong in the picture but were left out to keep it readable. */
  leftOut: number;
}

export interface ErOptions {
  /** Tables drawn at the most. */
  maxTables?: number;
  /** Columns listed per table at the most (a line says how many more). */
  maxColumns?: number;
}

/** A foreign key as the diagram needs it: from a table's columns to another table. */
export interface ForeignKey {
  name: string;
  columns: string[];
  /** The referenced table as written: "users", "app.users", "\"Odd Name\"". */
  references: string;
}

/** "FOREIGN KEY (a, b) REFERENCES app.users(id, x) ON DELETE CASCADE" → its columns and table; undefined when it is no foreign key. */
export function parseForeignKey(name: string, definition: string): ForeignKey | undefined {
  const ident = '(?:"(?:[^"]|"")+"|[^\\s."(]+)';
  const m = new RegExp(`^FOREIGN KEY \\((.+?)\\) REFERENCES (${ident}(?:\\.${ident})?)\\s*\\(`).exec(definition);
  if (!m) return undefined;
  return { name, columns: splitIdents(m[1]), references: m[2] };
}

function splitIdents(list: string): string[] {
  return (list.match(/"(?:[^"]|"")+"|[^,\s]+/g) ?? []).map(unquote);
}

function unquote(id: string): string {
  return id.startsWith('"') ? id.slice(1, -1).replace(/""/g, '"') : id;
}

const qualified = (t: TableDef) => `${t.schema}.${t.name}`;

/** The table a foreign key points at: a qualified name as written, else the same name in the table's schema, public, or anywhere. */
function resolve(ref: string, from: TableDef, byKey: Map<string, TableDef>, tables: TableDef[]): TableDef | undefined {
  const parts = (ref.match(/"(?:[^"]|"")+"|[^.]+/g) ?? []).map(unquote);
  if (parts.length === 2) return byKey.get(`${parts[0]}.${parts[1]}`);
  const name = parts[0];
  return byKey.get(`${from.schema}.${name}`) ?? byKey.get(`public.${name}`) ?? tables.find((t) => t.name === name);
}

/** The tables the differences add or change (not the ones they remove: those are gone from `after`). */
export function changedTables(changes: Difference[], after: SchemaModel): TableDef[] {
  const byKey = new Map(after.tables.map((t) => [qualified(t), t]));
  const byShort = new Map(after.tables.map((t) => [t.schema === 'public' ? t.name : qualified(t), t]));
  const out = new Set<TableDef>();
  for (const d of changes) {
    if (d.note || (d.change === 'only-in-a' && d.kind === 'table')) continue;
    if (!['table', 'column', 'constraint', 'index'].includes(d.kind)) continue;
    // A table's own difference names it by its short name; its parts carry the qualified one.
    const t = d.table ? byKey.get(d.table) : d.kind === 'table' ? byShort.get(d.object) : undefined;
    if (t) out.add(t);
  }
  return [...out];
}

/** The table's foreign keys, resolved to tables of the model (a key to a table outside it is left out). */
function foreignKeys(t: TableDef, byKey: Map<string, TableDef>, tables: TableDef[]): { fk: ForeignKey; to: TableDef }[] {
  const out: { fk: ForeignKey; to: TableDef }[] = [];
  for (const c of t.constraints) {
    if (c.kind !== 'foreign key') continue;
    const fk = parseForeignKey(c.name, c.definition);
    const to = fk && resolve(fk.references, t, byKey, tables);
    if (fk && to) out.push({ fk, to });
  }
  return out;
}

/** Postgres type names as one Mermaid word: Mermaid allows letters, digits, `-`, `_`, `()` and `[]`, no spaces or commas. */
const SHORT_TYPES: [RegExp, string][] = [
  [/^character varying/, 'varchar'],
  [/^character(?= |\(|$)/, 'char'],
  [/^timestamp(\(\d+\))? with time zone/, 'timestamptz$1'],
  [/^timestamp(\(\d+\))? without time zone/, 'timestamp$1'],
  [/^time(\(\d+\))? with time zone/, 'timetz$1'],
  [/^time(\(\d+\))? without time zone/, 'time$1'],
  [/^double precision/, 'float8'],
  [/^bit varying/, 'varbit'],
];

export function mermaidType(type: string): string {
  let t = type;
  for (const [re, short] of SHORT_TYPES) t = t.replace(re, short);
  t = t.replace(/"/g, '').replace(/[^A-Za-z0-9_\-()[\]]+/g, '_');
  return /^[A-Za-z]/.test(t) ? t : `t_${t}`;
}

/** A column name as a Mermaid attribute name (same word rule as types). */
export function mermaidName(name: string): string {
  const n = name.replace(/[^A-Za-z0-9_\-()[\]]+/g, '_');
  return /^[A-Za-z_]/.test(n) ? n : `_${n}`;
}

/** An entity name: bare when Mermaid takes it so, else quoted (Mermaid refuses `"` and `%` even there). */
function entityName(label: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(label) ? label : `"${label.replace(/["%]/g, '')}"`;
}

/** Column names of a primary key or unique constraint: "PRIMARY KEY (id)", "UNIQUE (a, b)". */
function keyColumns(definition: string): string[] {
  const m = /^(?:PRIMARY KEY|UNIQUE(?: NULLS NOT DISTINCT)?) \((.+?)\)/.exec(definition);
  return m ? splitIdents(m[1]) : [];
}

function entity(t: TableDef, label: string, fkColumns: Set<string>, maxColumns: number): string[] {
  const pk = new Set(t.constraints.filter((c) => c.kind === 'primary key').flatMap((c) => keyColumns(c.definition)));
  // A single-column unique constraint marks its column; a composite one says nothing about any one column.
  const uk = new Set(
    t.constraints
      .filter((c) => c.kind === 'unique')
      .map((c) => keyColumns(c.definition))
      .filter((cols) => cols.length === 1)
      .flat(),
  );
  const attr = (c: ColumnDef) => {
    const keys = [pk.has(c.name) && 'PK', fkColumns.has(c.name) && 'FK', uk.has(c.name) && !pk.has(c.name) && 'UK'].filter(Boolean);
    return `        ${mermaidType(c.type)} ${mermaidName(c.name)}${keys.length ? ` ${keys.join(', ')}` : ''}`;
  };
  const shown = t.columns.slice(0, maxColumns).map(attr);
  const rest = t.columns.length - maxColumns;
  if (rest > 0) shown.push(`        etc more_columns "${rest} more"`);
  return [`    ${label} {`, ...shown, '    }'];
}

/**
 * The diagram of the tables `proof.changes` adds or changes and their foreign-key neighbours (tables they
 * reference and tables that reference them), at most `maxTables` of them: the changed tables first.
 * Undefined when the change touches no table.
 */
export function erDiagram(proof: Pick<ShadowProof, 'changes' | 'after'>, options: ErOptions = {}): ErDiagram | undefined {
  const maxTables = options.maxTables ?? 12;
  const maxColumns = options.maxColumns ?? 20;
  const tables = proof.after.tables;
  const byKey = new Map(tables.map((t) => [qualified(t), t]));
  const changed = changedTables(proof.changes, proof.after);
  if (!changed.length) return undefined;

  const keys = new Map(tables.map((t) => [t, foreignKeys(t, byKey, tables)]));
  const wanted = new Set<TableDef>(changed);
  for (const t of changed) {
    for (const { to } of keys.get(t)!) wanted.add(to);
    for (const [other, fks] of keys) if (fks.some((k) => k.to === t)) wanted.add(other);
  }
  const shown = [...wanted].slice(0, maxTables);
  const drawn = new Set(shown);

  // Labels unique among the drawn tables: short names, qualified where two schemas share a name.
  const names = new Map<TableDef, string>();
  for (const t of shown) {
    const clash = shown.some((o) => o !== t && o.name === t.name);
    names.set(t, entityName(t.schema === 'public' && !clash ? t.name : qualified(t)));
  }

  const lines = ['erDiagram'];
  const relations: string[] = [];
  for (const t of shown) {
    const fks = keys.get(t)!.filter((k) => drawn.has(k.to));
    lines.push(...entity(t, names.get(t)!, new Set(keys.get(t)!.flatMap((k) => k.fk.columns)), maxColumns));
    for (const { fk, to } of fks) {
      // Crow's foot: the referenced row is optional when a key column may be null.
      const optional = fk.columns.some((c) => !t.columns.find((col) => col.name === c)?.notNull);
      // Mermaid's crow's foot: exactly one (or zero or one, for a nullable key) to zero or more.
      relations.push(`    ${names.get(to)} ${optional ? '|o' : '||'}${ONE_TO_MANY} ${names.get(t)} : "${fk.columns.join(', ').replace(/["%]/g, '')}"`);
    }
  }
  return { mermaid: [...lines, ...relations].join('\n'), tables: shown.map((t) => (t.schema === 'public' ? t.name : qualified(t))), leftOut: wanted.size - shown.length };
}
