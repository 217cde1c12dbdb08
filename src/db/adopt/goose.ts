// goose: goose_db_version(id serial, version_id bigint, is_applied boolean, tstamp timestamp). Older goose
// records a down as a new row with is_applied = false, newer goose deletes the row: either way the latest
// row of a version (highest id) decides. Version 0 is the row goose writes when it creates the table.
import { qualified, type ForeignEntry, type Reader } from './types';

export const goose: Reader = {
  tool: 'goose',
  table: 'goose_db_version',
  recognises: (columns) => ['version_id', 'is_applied'].every((c) => columns.includes(c)),
  async read(sql, table) {
    const rows = await sql.unsafe<{ version: string; applied: boolean }[]>(`select version_id::text as version, is_applied as applied from ${qualified(table)} order by id desc`);
    const seen = new Set<string>();
    const entries: ForeignEntry[] = [];
    for (const r of rows) {
      if (seen.has(r.version)) continue;
      seen.add(r.version);
      if (r.version !== '0' && r.applied) entries.push({ key: r.version, by: 'version', state: 'applied' });
    }
    return { entries };
  },
};
