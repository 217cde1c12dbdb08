// Prisma: _prisma_migrations(id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at,
// applied_steps_count), keyed by the migration's folder name. A migration is applied when one of its
// rows finished and was not rolled back; a row neither finished nor rolled back is a migration that
// failed part-way, which Prisma refuses to go past (P3009) until `prisma migrate resolve` settles it.
import { qualified, shownTable, type ForeignEntry, type Reader } from './types';

interface Row {
  name: string;
  finished: boolean;
  rolledBack: boolean;
  started: Date | null;
  logs: string | null;
}

export const prisma: Reader = {
  tool: 'prisma',
  table: '_prisma_migrations',
  recognises: (columns) => ['migration_name', 'finished_at', 'rolled_back_at'].every((c) => columns.includes(c)),
  async read(sql, table) {
    const rows = await sql.unsafe<Row[]>(
      `select migration_name as name, finished_at is not null as finished, rolled_back_at is not null as "rolledBack", started_at as started, logs from ${qualified(table)} order by started_at`,
    );
    const unfinished = rows.find((r) => !r.finished && !r.rolledBack);
    if (unfinished) {
      const n = unfinished.name;
      const logs = unfinished.logs?.trim().split('\n')[0];
      return {
        entries: [],
        refusal:
          `Prisma's ${shownTable(table)} says migration ${n} started${unfinished.started ? ` at ${unfinished.started.toISOString()}` : ''} and never finished${logs ? ` (${logs})` : ''}: it failed part-way, and Prisma itself refuses to deploy until it is settled. ` +
          `Check in the database what ${n}/migration.sql did. If all of it took effect: npx prisma migrate resolve --applied ${n}; if none of it did (undo by hand what did): npx prisma migrate resolve --rolled-back ${n}. ` +
          `Then run pgshift adopt --from prisma again (in the second case pgshift up then runs it). Nothing was written.`,
      };
    }
    const applied = new Set(rows.filter((r) => r.finished && !r.rolledBack).map((r) => r.name));
    const entries: ForeignEntry[] = [...applied].map((name) => ({ key: name, by: 'name', state: 'applied' }));
    return { entries };
  },
};
