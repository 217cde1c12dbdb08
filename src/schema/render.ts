// A schema model as diff-friendly, SQL-like text: one object per block, blocks in a fixed order of kinds
// and sorted by name within each, so the same schema gives the same bytes on every run. It reads like
// SQL but is a description, not a script to replay (objects are not ordered by dependency).
import { quoteIdent } from '../db/identifiers';
import type { ColumnDef, Grant, SchemaModel, TableDef } from './model';

const ident = (name: string) => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : quoteIdent(name));
const qualified = (x: { schema: string; name: string }) => `${ident(x.schema)}.${ident(x.name)}`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** "GRANT SELECT ON TABLE public.t TO app;" per grant; a grantable one WITH GRANT OPTION. */
function grantLines(on: string, grants: Grant[]): string[] {
  return grants.map((g) => {
    const [grantee, privilege] = g.split(':');
    const grantable = privilege.endsWith('*');
    return `GRANT ${grantable ? privilege.slice(0, -1) : privilege} ON ${on} TO ${grantee === 'PUBLIC' ? 'PUBLIC' : ident(grantee)}${grantable ? ' WITH GRANT OPTION' : ''};`;
  });
}

function column(c: ColumnDef): string {
  const parts = [`    ${ident(c.name)} ${c.type}`];
  if (c.collation) parts.push(`COLLATE ${c.collation}`);
  if (c.notNull) parts.push('NOT NULL');
  if (c.default !== null) parts.push(`DEFAULT ${c.default}`);
  if (c.identity) parts.push(`GENERATED ${c.identity.toUpperCase()} AS IDENTITY`);
  if (c.generated) {
    const m = c.generated.match(/^([\s\S]*) (STORED|VIRTUAL)$/);
    parts.push(m ? `GENERATED ALWAYS AS (${m[1]}) ${m[2]}` : `GENERATED ALWAYS AS (${c.generated})`);
  }
  return parts.join(' ');
}

function table(t: TableDef): string {
  const name = qualified(t);
  const body = [...t.columns.map(column), ...t.constraints.map((k) => `    CONSTRAINT ${ident(k.name)} ${k.definition}`)];
  let head = `CREATE TABLE ${name} (\n${body.join(',\n')}\n)`;
  if (t.partitionOf) head = `CREATE TABLE ${name} PARTITION OF ${t.partitionOf}`;
  if (t.partitionKey) head += ` PARTITION BY ${t.partitionKey}`;
  const lines = [`${head};`];
  if (t.owner) lines.push(`ALTER TABLE ${name} OWNER TO ${ident(t.owner)};`);
  for (const i of t.indexes) lines.push(`${i.definition};${i.valid ? '' : ' -- INVALID'}`);
  if (t.rowSecurity.enabled) lines.push(`ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY;`);
  if (t.rowSecurity.forced) lines.push(`ALTER TABLE ${name} FORCE ROW LEVEL SECURITY;`);
  for (const p of t.policies) {
    const roles = p.roles.length ? p.roles.map((r) => (r === 'PUBLIC' ? 'PUBLIC' : ident(r))).join(', ') : 'PUBLIC';
    lines.push(
      `CREATE POLICY ${ident(p.name)} ON ${name} AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${p.command} TO ${roles}${p.using ? ` USING (${p.using})` : ''}${p.check ? ` WITH CHECK (${p.check})` : ''};`,
    );
  }
  for (const g of t.triggers) {
    lines.push(`${g.definition};`);
    if (g.enabled !== 'origin') lines.push(`ALTER TABLE ${name} ${g.enabled === 'disabled' ? 'DISABLE' : `ENABLE ${g.enabled.toUpperCase()}`} TRIGGER ${ident(g.name)};`);
  }
  if (t.comment !== null) lines.push(`COMMENT ON TABLE ${name} IS ${literal(t.comment)};`);
  for (const c of t.columns) if (c.comment !== null) lines.push(`COMMENT ON COLUMN ${name}.${ident(c.name)} IS ${literal(c.comment)};`);
  lines.push(...grantLines(`TABLE ${name}`, t.privileges));
  return lines.join('\n');
}

export function render(model: SchemaModel): string {
  const blocks: string[] = [];
  for (const s of model.schemas) {
    const lines = s.name === 'public' ? [] : [`CREATE SCHEMA ${ident(s.name)};`];
    if (s.owner) lines.push(`ALTER SCHEMA ${ident(s.name)} OWNER TO ${ident(s.owner)};`);
    if (s.comment !== null) lines.push(`COMMENT ON SCHEMA ${ident(s.name)} IS ${literal(s.comment)};`);
    lines.push(...grantLines(`SCHEMA ${ident(s.name)}`, s.privileges));
    if (lines.length) blocks.push(lines.join('\n'));
  }
  for (const e of model.extensions) blocks.push(`CREATE EXTENSION ${ident(e.name)} WITH SCHEMA ${ident(e.schema)} VERSION ${literal(e.version)};`);
  for (const t of model.types) {
    const name = qualified(t);
    let text: string;
    if (t.kind === 'enum') text = `CREATE TYPE ${name} AS ENUM (${t.values.map(literal).join(', ')});`;
    else if (t.kind === 'composite') text = `CREATE TYPE ${name} AS (${t.attributes.map((a) => `${ident(a.name)} ${a.type}`).join(', ')});`;
    else text = [`CREATE DOMAIN ${name} AS ${t.base}`, t.notNull ? ' NOT NULL' : '', t.default !== null ? ` DEFAULT ${t.default}` : '', ...t.checks.map((c) => `\n    CONSTRAINT ${c}`), ';'].join('');
    blocks.push(t.owner ? `${text}\nALTER TYPE ${name} OWNER TO ${ident(t.owner)};` : text);
  }
  for (const s of model.sequences) {
    const name = qualified(s);
    const lines = [`CREATE SEQUENCE ${name} AS ${s.type} START ${s.start} INCREMENT ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} CACHE ${s.cache}${s.cycle ? ' CYCLE' : ''};`];
    if (s.ownedBy) lines.push(`ALTER SEQUENCE ${name} OWNED BY ${s.ownedBy};`);
    if (s.owner) lines.push(`ALTER SEQUENCE ${name} OWNER TO ${ident(s.owner)};`);
    lines.push(...grantLines(`SEQUENCE ${name}`, s.privileges));
    blocks.push(lines.join('\n'));
  }
  for (const t of model.tables) blocks.push(table(t));
  for (const v of model.views) {
    const name = qualified(v);
    const lines = [`CREATE ${v.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${name} AS\n${v.definition.trimEnd().replace(/;$/, '')};`];
    if (v.owner) lines.push(`ALTER ${v.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${name} OWNER TO ${ident(v.owner)};`);
    for (const i of v.indexes) lines.push(`${i.definition};`);
    if (v.comment !== null) lines.push(`COMMENT ON ${v.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${name} IS ${literal(v.comment)};`);
    lines.push(...grantLines(`TABLE ${name}`, v.privileges));
    blocks.push(lines.join('\n'));
  }
  for (const f of model.functions) {
    const signature = `${qualified(f)}(${f.args})`;
    const keyword = f.kind === 'procedure' ? 'PROCEDURE' : f.kind === 'aggregate' ? 'AGGREGATE' : 'FUNCTION';
    const lines = [`${f.definition.trimEnd().replace(/;$/, '')};`];
    if (f.owner) lines.push(`ALTER ${keyword} ${signature} OWNER TO ${ident(f.owner)};`);
    lines.push(...grantLines(`${keyword === 'AGGREGATE' ? 'FUNCTION' : keyword} ${signature}`, f.privileges));
    blocks.push(lines.join('\n'));
  }
  // No server version in the text: the same schema on two majors should give the same bytes.
  return `-- Schema as pgshift reads it from the catalogs; pgshift's tracking tables are left out.\n\n${blocks.join('\n\n')}\n`;
}
