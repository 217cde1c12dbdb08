// golang-migrate: schema_migrations(version bigint not null primary key, dirty boolean not null) holds ONE
// row, the current version (its postgres driver truncates and inserts on every step): every migration
// at or below it is applied. A dirty row is a migration that failed part-way; golang-migrate refuses to
// go on until `migrate force` settles it, and so does adoption.
import { compareVersions } from '../../files/version';
import { qualified, shownTable, type Reader } from './types';

/** The name golang-migrate's table takes when pgshift adopts it: pgshift's own table is schema_migrations. */
export const GOLANG_RENAMED = 'golang_migrate_schema_migrations';

export const golangMigrate: Reader = {
  tool: 'golang-migrate',
  table: 'schema_migrations',
  recognises: (columns) => columns.length === 2 && columns.includes('version') && columns.includes('dirty'),
  async read(sql, table, files) {
    const rows = await sql.unsafe<{ version: string; dirty: boolean }[]>(`select version::text as version, dirty from ${qualified(table)}`);
    if (!rows.length) return { entries: [] };
    // The driver keeps one row; should there be more, the highest is where it stands.
    const row = rows.sort((a, b) => compareVersions(b.version, a.version))[0];
    const t = shownTable(table);
    if (row.dirty) {
      const before = files.versions
        .filter((v) => compareVersions(v, row.version) < 0)
        .sort(compareVersions)
        .pop();
      const back = before
        ? `go back to the version before it, as "migrate force ${before}" would: UPDATE ${t} SET version = ${before}, dirty = false;`
        : `go back to no version, as "migrate force -1" would: DELETE FROM ${t};`;
      return {
        entries: [],
        refusal:
          `golang-migrate's ${t} says version ${row.version} is dirty: that migration failed part-way, and golang-migrate itself refuses to run until it is settled. ` +
          `Check in the database what the up migration of ${row.version} did. If all of it took effect, mark it clean, as "migrate force ${row.version}" would: UPDATE ${t} SET dirty = false; ` +
          `if none of it did (undo by hand what did), ${back} Then run pgshift adopt --from golang-migrate again (in the second case pgshift up then runs ${row.version}). Nothing was written.`,
      };
    }
    if (Number(row.version) < 0) return { entries: [] };
    return { entries: [], upTo: { version: row.version, why: `golang-migrate's current version is ${row.version}` } };
  },
};
