// dbmate: schema_migrations(version varchar primary key), one row per applied migration. pgshift's own
// table has the same name and grows from it (src/db/tracking.ts), so adopting keeps the rows in place.
import { qualified, type Reader } from './types';

export const dbmate: Reader = {
  tool: 'dbmate',
  table: 'schema_migrations',
  recognises: (columns) => columns.length === 1 && columns[0] === 'version',
  async read(sql, table) {
    const rows = await sql.unsafe<{ version: string }[]>(`select version::text as version from ${qualified(table)}`);
    return { entries: rows.map((r) => ({ key: r.version, by: 'version', state: 'applied' })) };
  },
};
