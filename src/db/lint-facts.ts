// Reads what the linter asks (lint/facts.ts) from the catalogs, in one query. Names resolve as the
// migration session resolves them: the same role and database, so the same search_path and TimeZone.
import type { ColumnFacts, DatabaseFacts, ObjectKind, Questions } from '../lint/facts';
import type { QName } from '../lint/ast';
import type { ReservedSql, Sql } from './connect';
import { quoteIdent } from './identifiers';

/** A name as to_regclass() and friends read it: each part quoted, so case and dots stay as written. */
function written(q: QName): string {
  return q.schema ? `${quoteIdent(q.schema)}.${quoteIdent(q.name)}` : quoteIdent(q.name);
}

interface Row {
  objects: { k: ObjectKind; n: string; e: boolean }[] | null;
  columns: { t: string; c: string; base: string | null; typmod: number | null; domain: boolean | null; indexed: boolean | null }[] | null;
  version: number;
  tz: string;
}

export async function readLintFacts(sql: Sql | ReservedSql, q: Questions): Promise<DatabaseFacts> {
  const objects = q.objects.map((o) => ({ k: o.kind, n: written(o.name) }));
  const columns = q.columns.map((c) => ({ t: written(c.table), c: c.column }));
  // Sent as text (then cast): a json parameter would be serialized again by postgres.js.
  // to_regclass and the like answer NULL for a missing name (or schema) instead of failing. Each answer
  // comes back with its question, so the order of the rows does not matter.
  const [row] = await sql.unsafe<Row[]>(
    `select
       (select json_agg(json_build_object('k', o.k, 'n', o.n, 'e',
                case o.k when 'table' then to_regclass(o.n) is not null
                         when 'type' then to_regtype(o.n) is not null
                         else to_regnamespace(o.n) is not null end))
          from json_to_recordset($1::text::json) as o(k text, n text)) as objects,
       (select json_agg(json_build_object('t', c.t, 'c', c.c, 'base', t.typname, 'typmod', a.atttypmod, 'domain', t.typtype = 'd',
                -- An expression index may use the column too: counted, to be safe.
                'indexed', exists (select 1 from pg_index x where x.indrelid = a.attrelid and (a.attnum = any (x.indkey::int2[]) or x.indexprs is not null))))
          from json_to_recordset($2::text::json) as c(t text, c text)
          left join pg_attribute a on a.attrelid = to_regclass(c.t) and a.attname = c.c and a.attnum > 0 and not a.attisdropped
          left join pg_type t on t.oid = a.atttypid) as columns,
       current_setting('server_version_num')::int as version,
       current_setting('TimeZone') as tz`,
    [JSON.stringify(objects), JSON.stringify(columns)],
  );
  const exists = new Map<string, boolean>();
  for (const o of row.objects ?? []) exists.set(`${o.k}:${o.n}`, o.e);
  const found = new Map<string, ColumnFacts | null>();
  for (const c of row.columns ?? []) {
    found.set(JSON.stringify([c.t, c.c]), c.base === null ? null : { base: c.base, typmod: c.typmod ?? -1, domain: !!c.domain, indexed: !!c.indexed });
  }
  return {
    exists: (kind, name) => exists.get(`${kind}:${written(name)}`),
    column: (table, column) => found.get(JSON.stringify([written(table), column])),
    serverVersion: row.version,
    timeZone: row.tz,
  };
}
