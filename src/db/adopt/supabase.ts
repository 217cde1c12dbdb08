// Supabase CLI: supabase_migrations.schema_migrations(version text primary key, statements text[], name
// text), one row per applied migration file <version>_<name>.sql (the CLI's migration repair, marking
// one reverted, deletes it).
import { qualified, type Reader } from './types';

export const supabase: Reader = {
  tool: 'supabase',
  table: 'schema_migrations',
  schema: 'supabase_migrations',
  recognises: (columns) => columns.includes('version'),
  async read(sql, table) {
    const rows = await sql.unsafe<{ version: string }[]>(`select version from ${qualified(table)}`);
    return { entries: rows.map((r) => ({ key: r.version, by: 'version', state: 'applied' })) };
  },
};
