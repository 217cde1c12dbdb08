import type { ReservedSql } from './connect';

/** BEGIN … COMMIT on a reserved connection (which has no sql.begin); ROLLBACK when `fn` throws. */
export async function inTransaction<T>(sql: ReservedSql, fn: (tx: ReservedSql) => Promise<T>): Promise<T> {
  await sql.unsafe('begin');
  try {
    const out = await fn(sql);
    await sql.unsafe('commit');
    return out;
  } catch (err) {
    await sql.unsafe('rollback').catch(() => {});
    throw err;
  }
}
