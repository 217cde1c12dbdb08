// The tracking tables: which migrations are applied (schema_migrations) and every attempt ever made
// (migration_history). Created by the first run that writes; an existing dbmate table is adopted.
import { ConfigError } from '../errors';
import { versionId } from '../files/version';
import type { AppliedMigration, Direction, MigrationFile } from '../types';
import type { ReservedSql, Sql } from './connect';
import { quoteIdent } from './identifiers';
import { inTransaction } from './transaction';

/** Columns of pgshift's schema_migrations; dbmate's table has only `version`. */
const OWN_COLUMNS = ['version', 'name', 'checksum', 'status', 'applied_at', 'execution_time_ms', 'error_message', 'applied_by'];

export class Tracking {
  readonly migrations: string;
  readonly history: string;

  constructor(readonly schema: string) {
    this.migrations = `${quoteIdent(schema)}.schema_migrations`;
    this.history = `${quoteIdent(schema)}.migration_history`;
  }

  /** Columns of schema_migrations, or null when it does not exist. Read-only. */
  async columns(sql: Sql | ReservedSql): Promise<string[] | null> {
    const rows = await sql<{ column_name: string }[]>`
      select a.attname as column_name
        from pg_attribute a
       where a.attrelid = to_regclass(${this.migrations}) and a.attnum > 0 and not a.attisdropped`;
    if (rows.length === 0) {
      const [{ exists }] = await sql<{ exists: boolean }[]>`select to_regclass(${this.migrations}) is not null as exists`;
      return exists ? [] : null;
    }
    return rows.map((r) => r.column_name);
  }

  /**
   * Refuses a schema_migrations that is neither pgshift's nor dbmate's (golang-migrate's version+dirty,
   * say). Checked on every read, before its rows are taken for applied migrations: read as ours, such a
   * table would be reported as out-of-order or missing migrations instead of as the wrong table.
   */
  private checkShape(columns: string[]): void {
    if (!columns.includes('version') || columns.some((c) => !OWN_COLUMNS.includes(c))) {
      throw new ConfigError(`${this.schema}.schema_migrations exists but is neither pgshift's nor dbmate's (columns: ${columns.join(', ')}). Use --schema to keep pgshift's tables in another schema.`);
    }
  }

  /** Rows of schema_migrations; [] when the table does not exist. Read-only. */
  async read(sql: Sql | ReservedSql): Promise<{ exists: boolean; rows: AppliedMigration[] }> {
    const columns = await this.columns(sql);
    if (columns === null) return { exists: false, rows: [] };
    this.checkShape(columns);
    if (!columns.includes('checksum')) {
      // A dbmate table not adopted yet: its versions are applied, their checksums unknown.
      const rows = await sql.unsafe<{ version: string }[]>(`select version::text as version from ${this.migrations}`);
      return {
        exists: true,
        rows: rows.map((r) => ({ version: r.version, name: '', checksum: '', status: 'applied', appliedAt: null, executionTimeMs: null, errorMessage: null, appliedBy: null })),
      };
    }
    const rows = await sql.unsafe<
      {
        version: string;
        name: string;
        checksum: string;
        status: AppliedMigration['status'];
        applied_at: Date | null;
        execution_time_ms: number | null;
        error_message: string | null;
        applied_by: string | null;
      }[]
    >(`select version::text as version, name, checksum, status, applied_at, execution_time_ms, error_message, applied_by from ${this.migrations}`);
    return {
      exists: true,
      rows: rows.map((r) => ({
        version: r.version,
        name: r.name,
        checksum: r.checksum,
        status: r.status,
        appliedAt: r.applied_at,
        executionTimeMs: r.execution_time_ms,
        errorMessage: r.error_message,
        appliedBy: r.applied_by,
      })),
    };
  }

  /**
   * Creates the tables if missing, or adopts a dbmate schema_migrations(version) table. Runs under the
   * migration lock. Returns what it did, for the log.
   */
  async ensure(
    sql: ReservedSql,
    files: Map<string, { file: MigrationFile; checksum: () => string | undefined }>,
    actor: string,
    environment: string,
  ): Promise<'exists' | 'created' | { adopted: number }> {
    const columns = await this.columns(sql);
    const [{ has_schema }] = await sql<{ has_schema: boolean }[]>`select to_regnamespace(${quoteIdent(this.schema)}) is not null as has_schema`;
    const historyDdl = `create table if not exists ${this.history} (
        id bigint generated always as identity primary key,
        version text not null,
        name text,
        action text not null check (action in ('apply', 'rollback', 'resolve')),
        status text not null check (status in ('success', 'failed')),
        environment text,
        executed_by text,
        executed_at timestamptz not null default now(),
        execution_time_ms integer,
        error_message text,
        checksum text)`;
    if (columns !== null && columns.includes('checksum')) {
      await sql.unsafe(historyDdl);
      return 'exists';
    }
    if (columns === null) {
      await inTransaction(sql, async (tx) => {
        if (!has_schema) await tx.unsafe(`create schema if not exists ${quoteIdent(this.schema)}`);
        await tx.unsafe(`create table ${this.migrations} (
            version text primary key,
            name text not null,
            checksum text not null,
            status text not null check (status in ('applied', 'running', 'failed')),
            applied_at timestamptz,
            execution_time_ms integer,
            error_message text,
            applied_by text)`);
        await tx.unsafe(historyDdl);
      });
      return 'created';
    }
    this.checkShape(columns);
    // dbmate's table: add our columns, keep its rows, fill checksums from the files as they are now.
    let adopted = 0;
    await inTransaction(sql, async (tx) => {
      await tx.unsafe(`alter table ${this.migrations}
          add column if not exists name text,
          add column if not exists checksum text,
          add column if not exists status text,
          add column if not exists applied_at timestamptz,
          add column if not exists execution_time_ms integer,
          add column if not exists error_message text,
          add column if not exists applied_by text`);
      await tx.unsafe(historyDdl);
      const rows = await tx.unsafe<{ version: string }[]>(`select version::text as version from ${this.migrations}`);
      for (const { version } of rows) {
        const match = files.get(versionId(version));
        const name = match?.file.name ?? '';
        const sum = match?.checksum() ?? 'unknown';
        await tx.unsafe(`update ${this.migrations} set name = $1, checksum = $2, status = 'applied', applied_by = $3 where version = $4`, [name, sum, actor, version]);
        await tx.unsafe(`insert into ${this.history} (version, name, action, status, environment, executed_by, checksum, error_message) values ($1, $2, 'resolve', 'success', $3, $4, $5, $6)`, [
          version,
          name,
          environment,
          actor,
          sum,
          'adopted from dbmate schema_migrations',
        ]);
        adopted++;
      }
      await tx.unsafe(`alter table ${this.migrations}
          alter column name set not null,
          alter column checksum set not null,
          alter column status set not null,
          add constraint schema_migrations_status_check check (status in ('applied', 'running', 'failed'))`);
    });
    return { adopted };
  }

  /** SQL and parameters that record a finished step; run inside the step's transaction. */
  recordSuccess(
    step: { version: string; name: string; checksum: string; direction: Direction },
    ms: number | null,
    actor: string,
    environment: string,
  ): { text: string; params: (string | number | null)[] } {
    // Inside a pipelined transaction the duration is not known yet: the server measures it from BEGIN.
    const duration = `coalesce($6::integer, (extract(epoch from clock_timestamp() - now()) * 1000)::integer)`;
    if (step.direction === 'up') {
      return {
        text: `with h as (insert into ${this.history} (version, name, action, status, environment, executed_by, execution_time_ms, checksum)
                 values ($1, $2, 'apply', 'success', $5, $4, ${duration}, $3))
               insert into ${this.migrations} (version, name, checksum, status, applied_at, execution_time_ms, applied_by)
               values ($1, $2, $3, 'applied', now(), ${duration}, $4)
               on conflict (version) do update set name = excluded.name, checksum = excluded.checksum, status = 'applied',
                 applied_at = excluded.applied_at, execution_time_ms = excluded.execution_time_ms, error_message = null, applied_by = excluded.applied_by`,
        params: [step.version, step.name, step.checksum, actor, environment, ms === null ? null : Math.round(ms)],
      };
    }
    return {
      text: `with h as (insert into ${this.history} (version, name, action, status, environment, executed_by, execution_time_ms, checksum)
               values ($1, $2, 'rollback', 'success', $4, $3, ${duration}, $5))
             delete from ${this.migrations} where version = $1`,
      params: [step.version, step.name, actor, environment, step.checksum, ms === null ? null : Math.round(ms)],
    };
  }

  async recordFailure(
    sql: Sql | ReservedSql,
    step: { version: string; name: string; checksum: string; direction: Direction },
    ms: number,
    error: string,
    actor: string,
    environment: string,
  ): Promise<void> {
    await sql.unsafe(
      `insert into ${this.history} (version, name, action, status, environment, executed_by, execution_time_ms, error_message, checksum)
       values ($1, $2, $3, 'failed', $4, $5, $6, $7, $8)`,
      [step.version, step.name, step.direction === 'up' ? 'apply' : 'rollback', environment, actor, Math.round(ms), error, step.checksum],
    );
  }

  /** Marks a non-transactional step as running before its first statement. */
  async markRunning(sql: ReservedSql, step: { version: string; name: string; checksum: string }, actor: string): Promise<void> {
    await sql.unsafe(
      `insert into ${this.migrations} (version, name, checksum, status, applied_at, applied_by) values ($1, $2, $3, 'running', now(), $4)
       on conflict (version) do update set status = 'running', error_message = null, applied_by = excluded.applied_by`,
      [step.version, step.name, step.checksum, actor],
    );
  }

  async markFailed(sql: ReservedSql, version: string, ms: number, error: string): Promise<void> {
    await sql.unsafe(`update ${this.migrations} set status = 'failed', execution_time_ms = $2, error_message = $3 where version = $1`, [version, Math.round(ms), error]);
  }

  /** `pgshift resolve`: settles a failed or running row by hand. */
  async resolve(sql: ReservedSql, row: AppliedMigration, as: 'applied' | 'rolled-back', actor: string, environment: string): Promise<void> {
    await inTransaction(sql, async (tx) => {
      if (as === 'applied') {
        await tx.unsafe(`update ${this.migrations} set status = 'applied', error_message = null, applied_by = $2 where version = $1`, [row.version, actor]);
      } else {
        await tx.unsafe(`delete from ${this.migrations} where version = $1`, [row.version]);
      }
      await tx.unsafe(`insert into ${this.history} (version, name, action, status, environment, executed_by, checksum, error_message) values ($1, $2, 'resolve', 'success', $3, $4, $5, $6)`, [
        row.version,
        row.name,
        environment,
        actor,
        row.checksum,
        `resolved as ${as} (was ${row.status}${row.errorMessage ? `: ${row.errorMessage}` : ''})`,
      ]);
    });
  }
}
