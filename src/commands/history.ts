// `history`: the audit log (migration_history), newest first. Read-only: no lock, nothing created; a
// database without the table has no history yet, which is an answer, not an error.
import type { Sql } from '../db/connect';
import { quoteIdent } from '../db/identifiers';
import { ConfigError } from '../errors';
import { versionId } from '../files/version';
import { withSession, type SessionOptions } from './session';

export type HistoryAction = 'apply' | 'rollback' | 'resolve' | 'repair' | 'adopt' | 'baseline';

/** One row of migration_history. */
export interface HistoryEntry {
  id: number;
  /** When it ran, by the server's clock. */
  executedAt: Date;
  version: string;
  name: string | null;
  action: HistoryAction;
  status: 'success' | 'failed';
  environment: string | null;
  executedBy: string | null;
  executionTimeMs: number | null;
  /** error_message: a failure's error, or the note of a resolve, repair, adopt, baseline or empty rollback (redacted). */
  note: string | null;
  checksum: string | null;
}

export interface HistoryOptions extends SessionOptions {
  /** Only the rows of this environment (case-insensitive); absent: every environment. */
  environment?: string;
  /** Only the rows of this version ("001" and "1" are one version). */
  version?: string;
  /** At most this many rows, newest first; absent: all. */
  limit?: number;
}

export interface HistoryReport {
  /** The table as a user writes it: public.migration_history. */
  table: string;
  /** Whether the table exists (no pgshift run has written to this database yet when it does not). */
  exists: boolean;
  entries: HistoryEntry[];
  /** More rows match than `limit` let through. */
  more: boolean;
}

/**
 * versionId() in SQL, for a numeric version: parts split on . or _, leading zeros dropped, trailing zero
 * parts dropped. So the filter and the limit both run in the database, on every row shape other tools
 * left (a non-numeric version is compared as it is, as versionId does).
 */
export const VERSION_ID_SQL = (column: string) =>
  `case when ${column} ~ '^[0-9]+([._][0-9]+)*$' then regexp_replace(regexp_replace(translate(${column}, '_', '.'), '(^|\\.)0+([0-9])', '\\1\\2', 'g'), '(\\.0)+$', '') else ${column} end`;

/** A Postgres error's SQLSTATE, if it is one. */
function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The history rows, newest first, with what the report needs to say about them. */
export async function historyReport(o: HistoryOptions): Promise<HistoryReport> {
  return withSession(o, async (s) => {
    const schema = /^[a-z_][a-z0-9_]*$/.test(s.tracking.schema) ? s.tracking.schema : quoteIdent(s.tracking.schema);
    const shown = `${schema}.migration_history`;
    try {
      return await s.sql.begin('read only', async (t) => {
        const tx = t as unknown as Sql;
        const [{ found }] = await tx.unsafe<{ found: boolean }[]>(`select to_regclass($1) is not null as found`, [s.tracking.history]);
        if (!found) return { table: shown, exists: false, entries: [], more: false };
        const limit = o.limit ?? null;
        // One row more than asked: whether to say that older rows were left out.
        const rows = await tx.unsafe<
          {
            id: string;
            executed_at: Date;
            version: string;
            name: string | null;
            action: HistoryAction;
            status: HistoryEntry['status'];
            environment: string | null;
            executed_by: string | null;
            execution_time_ms: number | null;
            error_message: string | null;
            checksum: string | null;
          }[]
        >(
          `select id::text as id, executed_at, version::text as version, name, action, status, environment, executed_by, execution_time_ms, error_message, checksum
             from ${s.tracking.history}
            where ($1::text is null or lower(environment) = lower($1::text))
              and ($2::text is null or ${VERSION_ID_SQL('version::text')} = $2::text)
            order by executed_at desc, id desc
            limit $3::bigint`,
          [o.environment ?? null, o.version === undefined ? null : versionId(o.version.trim()), limit === null ? null : limit + 1],
        );
        const entries = rows.slice(0, limit ?? rows.length).map((r): HistoryEntry => ({
          id: Number(r.id),
          executedAt: r.executed_at,
          version: r.version,
          name: r.name,
          action: r.action,
          status: r.status,
          environment: r.environment,
          executedBy: r.executed_by,
          executionTimeMs: r.execution_time_ms,
          note: r.error_message === null ? null : s.redactor.redact(r.error_message),
          checksum: r.checksum,
        }));
        return { table: shown, exists: true, entries, more: limit !== null && rows.length > limit };
      });
    } catch (err) {
      const state = sqlState(err);
      if (state === '42501') {
        throw new ConfigError(
          `the role may not read ${shown}: ${(err as Error).message}. As the owner of the tracking tables or a superuser, grant it: GRANT USAGE ON SCHEMA ${schema} and GRANT SELECT ON ${shown}.`,
        );
      }
      if (state === '42703') throw new ConfigError(`${shown} does not have the shape pgshift made it with: ${(err as Error).message}. Put back what was dropped or renamed by hand.`);
      throw err;
    }
  });
}

/** The history rows, newest first (see historyReport for whether the table exists at all). */
export async function history(o: HistoryOptions): Promise<HistoryEntry[]> {
  return (await historyReport(o)).entries;
}
