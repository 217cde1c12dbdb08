// sql-migrate: gorp_migrations(id text primary key, applied_at timestamptz), one row per applied
// migration, keyed by the file name (a down deletes it).
import { qualified, type Reader } from './types';

export const sqlMigrate: Reader = {
  tool: 'sql-migrate',
  table: 'gorp_migrations',
  recognises: (columns) => ['id', 'applied_at'].every((c) => columns.includes(c)),
  async read(sql, table) {
    const rows = await sql.unsafe<{ id: string }[]>(`select id from ${qualified(table)}`);
    return { entries: rows.map((r) => ({ key: r.id, by: 'name', state: 'applied' })) };
  },
};
