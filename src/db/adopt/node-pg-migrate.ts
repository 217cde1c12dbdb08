// node-pg-migrate: pgmigrations(id serial primary key, name varchar not null, run_on timestamp not null),
// one row per applied migration, keyed by the file name without its extension (a down deletes it).
import { qualified, type Reader } from './types';

export const nodePgMigrate: Reader = {
  tool: 'node-pg-migrate',
  table: 'pgmigrations',
  recognises: (columns) => ['name', 'run_on'].every((c) => columns.includes(c)),
  async read(sql, table) {
    const rows = await sql.unsafe<{ name: string }[]>(`select name from ${qualified(table)} order by run_on, id`);
    return { entries: rows.map((r) => ({ key: r.name, by: 'name', state: 'applied' })) };
  },
};
