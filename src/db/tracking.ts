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

/** How to put back a column of schema_migrations that was dropped by hand (its values are gone). */
const COLUMN_FIX: Record<string, string> = {
  name: "name text not null default ''",
  // Rows without a checksum are reported as unverified until repaired.
  checksum: 'checksum text',
  status: "status text not null default 'applied' check (status in ('applied', 'running', 'failed'))",
  applied_at: 'applied_at timestamptz',
  execution_time_ms: 'execution_time_ms integer',
  error_message: 'error_message text',
  applied_by: 'applied_by text',
};

/** Columns of migration_history that pgshift writes, and how to put each back. */
const HISTORY_COLUMNS: Record<string, string> = {
  version: "version text not null default ''",
  name: 'name text',
  action: "action text not null default 'apply'",
  status: "status text not null default 'success'",
  environment: 'environment text',
  executed_by: 'executed_by text',
  executed_at: 'executed_at timestamptz not null default now()',
  execution_time_ms: 'execution_time_ms integer',
  error_message: 'error_message text',
  checksum: 'checksum text',
};

/** pgshift's schema_migrations, as the first run that writes creates it. */
function migrationsTableDdl(table: string): string {
  return `create table ${table} (
            version text primary key,
            name text not null,
            checksum text not null,
            status text not null check (status in ('applied', 'running', 'failed')),
            applied_at timestamptz,
            execution_time_ms integer,
            error_message text,
            applied_by text)`;
}

/** pgshift's migration_history, as the first run that writes creates it. */
function historyTableDdl(table: string): string {
  return `create table if not exists ${table} (
        id bigint generated always as identity primary key,
        version text not null,
        name text,
        action text not null check (action in ('apply', 'rollback', 'resolve', 'repair', 'adopt', 'baseline')),
        status text not null check (status in ('success', 'failed')),
        environment text,
        executed_by text,
        executed_at timestamptz not null default now(),
        execution_time_ms integer,
        error_message text,
        checksum text)`;
}

/** golang-migrate's schema_migrations(version, dirty), which has pgshift's table name. */
function isGolangMigrateShape(columns: string[]): boolean {
  return columns.length === 2 && columns.includes('version') && columns.includes('dirty');
}

/** A name as it is written in SQL a user can paste: bare when it may be, quoted otherwise. */
function sqlName(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : quoteIdent(name);
}

/** What the connected role may do with the tracking schema and tables; one catalog query, no error. */
interface Access {
  role: string;
  database: string;
  schemaExists: boolean;
  schemaUsage: boolean;
  schemaCreate: boolean;
  databaseCreate: boolean;
  /** null when the table does not exist. */
  migrations: { select: boolean; insert: boolean; update: boolean; delete: boolean; columns: string[] } | null;
  history: { insert: boolean; columns: string[] } | null;
}

/** A Postgres error's SQLSTATE, if it is one. */
function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export class Tracking {
  readonly migrations: string;
  readonly history: string;

  constructor(readonly schema: string) {
    this.migrations = `${quoteIdent(schema)}.schema_migrations`;
    this.history = `${quoteIdent(schema)}.migration_history`;
  }

  /** The tables as a user writes them in a GRANT or an ALTER: `public.schema_migrations`. */
  private shown(table: 'schema_migrations' | 'migration_history'): string {
    return `${sqlName(this.schema)}.${table}`;
  }

  /**
   * What the role may do, read from the catalogs: asking never fails, where a query on a table the role
   * may not read fails with a bare "permission denied" (and aborts a read-only transaction).
   */
  private async access(sql: Sql | ReservedSql): Promise<Access> {
    const [r] = await sql<
      {
        role: string;
        database: string;
        schema_exists: boolean;
        schema_usage: boolean | null;
        schema_create: boolean | null;
        database_create: boolean;
        m_exists: boolean;
        m_select: boolean | null;
        m_insert: boolean | null;
        m_update: boolean | null;
        m_delete: boolean | null;
        m_columns: string | null;
        h_exists: boolean;
        h_insert: boolean | null;
        h_columns: string | null;
      }[]
    >`
      select current_user::text as role,
             current_database()::text as database,
             n.oid is not null as schema_exists,
             has_schema_privilege(n.oid, 'USAGE') as schema_usage,
             has_schema_privilege(n.oid, 'CREATE') as schema_create,
             has_database_privilege(current_database(), 'CREATE') as database_create,
             m.oid is not null as m_exists,
             has_table_privilege(m.oid, 'SELECT') as m_select,
             has_table_privilege(m.oid, 'INSERT') as m_insert,
             has_table_privilege(m.oid, 'UPDATE') as m_update,
             has_table_privilege(m.oid, 'DELETE') as m_delete,
             (select string_agg(a.attname::text, ',' order by a.attnum) from pg_attribute a where a.attrelid = m.oid and a.attnum > 0 and not a.attisdropped) as m_columns,
             h.oid is not null as h_exists,
             has_table_privilege(h.oid, 'INSERT') as h_insert,
             (select string_agg(a.attname::text, ',' order by a.attnum) from pg_attribute a where a.attrelid = h.oid and a.attnum > 0 and not a.attisdropped) as h_columns
        from (select 1) as one
        left join pg_namespace n on n.nspname = ${this.schema}
        left join pg_class m on m.relnamespace = n.oid and m.relname = 'schema_migrations'
        left join pg_class h on h.relnamespace = n.oid and h.relname = 'migration_history'`;
    const list = (text: string | null) => (text ? text.split(',') : []);
    return {
      role: r.role,
      database: r.database,
      schemaExists: r.schema_exists,
      schemaUsage: !!r.schema_usage,
      schemaCreate: !!r.schema_create,
      databaseCreate: r.database_create,
      migrations: r.m_exists ? { select: !!r.m_select, insert: !!r.m_insert, update: !!r.m_update, delete: !!r.m_delete, columns: list(r.m_columns) } : null,
      history: r.h_exists ? { insert: !!r.h_insert, columns: list(r.h_columns) } : null,
    };
  }

  /** The refusal for a missing privilege: what the role may not do, and the GRANT that fixes it. */
  private denied(a: Access, doing: string, grant: string): ConfigError {
    return new ConfigError(`the role ${a.role} may not ${doing} (permission denied). As the owner of the tracking tables or a superuser, run: ${grant} TO ${sqlName(a.role)};`);
  }

  /** Refuses a role that could not even look into the tracking schema. */
  private checkUsage(a: Access): void {
    if (a.schemaExists && !a.schemaUsage) throw this.denied(a, `use schema ${sqlName(this.schema)}, where the tracking tables are`, `GRANT USAGE ON SCHEMA ${sqlName(this.schema)}`);
  }

  /**
   * Refuses, before anything is written, a role that could not record what it runs: otherwise a
   * migration could run and then fail on its own tracking row.
   */
  private checkWrite(a: Access): void {
    this.checkUsage(a);
    const m = a.migrations;
    if (m) {
      const missing = (['select', 'insert', 'update', 'delete'] as const).filter((p) => !m[p]).map((p) => p.toUpperCase());
      if (missing.length) throw this.denied(a, `${missing.join(', ')} on ${this.shown('schema_migrations')}`, `GRANT ${missing.join(', ')} ON ${this.shown('schema_migrations')}`);
    }
    if (a.history && !a.history.insert) throw this.denied(a, `INSERT into ${this.shown('migration_history')}`, `GRANT INSERT ON ${this.shown('migration_history')}`);
    if ((!m || !a.history) && a.schemaExists && !a.schemaCreate) {
      const missing = !m ? 'schema_migrations and migration_history' : 'migration_history';
      throw this.denied(a, `create ${missing} in schema ${sqlName(this.schema)}`, `GRANT CREATE ON SCHEMA ${sqlName(this.schema)}`);
    }
    if (!a.schemaExists && !a.databaseCreate) throw this.denied(a, `create schema ${sqlName(this.schema)} for the tracking tables`, `GRANT CREATE ON DATABASE ${sqlName(a.database)}`);
    if (a.history) this.checkColumns('migration_history', a.history.columns, HISTORY_COLUMNS);
  }

  /** Refuses a pgshift table that lost columns (altered by hand), naming them and the ALTER that puts them back. */
  private checkColumns(table: 'schema_migrations' | 'migration_history', columns: string[], fixes: Record<string, string>): void {
    const missing = Object.keys(fixes).filter((c) => !columns.includes(c));
    if (!missing.length) return;
    throw new ConfigError(
      `${this.shown(table)} has no ${missing.join(', ')} column${missing.length > 1 ? 's' : ''} (the table was altered by hand). Put ${missing.length > 1 ? 'them' : 'it'} back with: ALTER TABLE ${this.shown(table)} ${missing.map((c) => `ADD COLUMN ${fixes[c]}`).join(', ')};`,
    );
  }

  /**
   * A permission or missing-column error the checks above did not foresee, in words naming the tracking
   * table; anything else goes on as it is.
   */
  private explained(err: unknown): unknown {
    const state = sqlState(err);
    const detail = (err as Error).message;
    if (state === '42501' && /must be owner/.test(detail)) {
      return new ConfigError(
        `the tracking tables in schema ${sqlName(this.schema)} cannot be changed by this role: ${detail}. Adopting dbmate's schema_migrations alters the table, which only its owner may do: run this first pgshift up or down as the table's owner.`,
      );
    }
    if (state === '42501') {
      return new ConfigError(
        `the tracking tables in schema ${sqlName(this.schema)} cannot be used: ${detail}. Grant the role running pgshift USAGE on the schema, SELECT, INSERT, UPDATE and DELETE on ${this.shown('schema_migrations')} and INSERT on ${this.shown('migration_history')}.`,
      );
    }
    if (state === '42703' || state === '42P01') {
      return new ConfigError(`the tracking tables in schema ${sqlName(this.schema)} do not have the shape pgshift made them with: ${detail}. Put back what was dropped or renamed by hand.`);
    }
    return err;
  }

  /** Columns of schema_migrations, or null when it does not exist. Read-only. */
  async columns(sql: Sql | ReservedSql): Promise<string[] | null> {
    const a = await this.access(sql);
    this.checkUsage(a);
    return a.migrations ? a.migrations.columns : null;
  }

  /**
   * Refuses a schema_migrations that is neither pgshift's nor dbmate's (golang-migrate's version+dirty,
   * say). Checked on every read, before its rows are taken for applied migrations: read as ours, such a
   * table would be reported as out-of-order or missing migrations instead of as the wrong table.
   */
  private checkShape(columns: string[]): void {
    if (isGolangMigrateShape(columns)) {
      throw new ConfigError(
        `${this.schema}.schema_migrations has the columns version, dirty: this is golang-migrate's table: run pgshift adopt --from golang-migrate to take over its history (golang-migrate's row is kept, renamed to golang_migrate_schema_migrations), or use --schema to keep pgshift's tables in another schema.`,
      );
    }
    if (!columns.includes('version') || columns.some((c) => !OWN_COLUMNS.includes(c))) {
      throw new ConfigError(`${this.schema}.schema_migrations exists but is neither pgshift's nor dbmate's (columns: ${columns.join(', ')}). Use --schema to keep pgshift's tables in another schema.`);
    }
    // dbmate's table has `version` alone; with more, it is pgshift's and must have every column.
    if (columns.length > 1) this.checkColumns('schema_migrations', columns, COLUMN_FIX);
  }

  /** Rows of schema_migrations; [] when the table does not exist. Read-only. */
  /**
   * `adoptionPending`: a dry run reads the database as if an adoption were done, so golang-migrate's
   * table in pgshift's place (which the adoption renames) counts as no tracking table yet.
   */
  private selectRows(sql: Sql | ReservedSql) {
    return sql.unsafe<
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
  }

  /**
   * What schema_migrations holds. `pipelined`: the rows are asked for in the same round trip as the access
   * check, before knowing the table is there (a no-op deploy is then one round trip). Only outside a
   * transaction: there, a query on a missing table would abort it.
   */
  async read(sql: Sql | ReservedSql, o: { adoptionPending?: boolean; pipelined?: boolean } = {}): Promise<{ exists: boolean; rows: AppliedMigration[]; unadopted?: boolean }> {
    const early = o.pipelined ? this.selectRows(sql) : undefined;
    // Settled whatever happens, so that a failure of the early read is never unhandled.
    const earlyRows = early?.then(
      (rows) => ({ rows }),
      () => undefined,
    );
    const access = await this.access(sql);
    this.checkUsage(access);
    const columns = access.migrations?.columns ?? null;
    if (columns === null || (o.adoptionPending && isGolangMigrateShape(columns))) return { exists: false, rows: [] };
    if (!access.migrations!.select) throw this.denied(access, `read ${this.shown('schema_migrations')}`, `GRANT SELECT ON ${this.shown('schema_migrations')}`);
    this.checkShape(columns);
    if (!columns.includes('checksum')) {
      // A dbmate table not adopted yet: its versions are applied, their checksums unknown.
      const rows = await sql.unsafe<{ version: string }[]>(`select version::text as version from ${this.migrations}`);
      return {
        exists: true,
        unadopted: true,
        rows: rows.map((r) => ({ version: r.version, name: '', checksum: '', status: 'applied', appliedAt: null, executionTimeMs: null, errorMessage: null, appliedBy: null })),
      };
    }
    const rows = (await earlyRows)?.rows ?? (await this.selectRows(sql));
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
    try {
      return await this.ensureTables(sql, files, actor, environment);
    } catch (err) {
      throw this.explained(err);
    }
  }

  private async ensureTables(
    sql: ReservedSql,
    files: Map<string, { file: MigrationFile; checksum: () => string | undefined }>,
    actor: string,
    environment: string,
  ): Promise<'exists' | 'created' | { adopted: number }> {
    const access = await this.access(sql);
    this.checkWrite(access);
    const columns = access.migrations?.columns ?? null;
    const has_schema = access.schemaExists;
    const historyDdl = historyTableDdl(this.history);
    if (columns !== null && columns.includes('checksum')) {
      // CREATE TABLE IF NOT EXISTS needs CREATE on the schema even when the table is there: a role
      // that may only write the tracking rows must not need it.
      if (!access.history) await sql.unsafe(historyDdl);
      return 'exists';
    }
    if (columns === null) {
      await inTransaction(sql, async (tx) => {
        if (!has_schema) await tx.unsafe(`create schema if not exists ${quoteIdent(this.schema)}`);
        await tx.unsafe(migrationsTableDdl(this.migrations));
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

  /**
   * The first query of a migration's transaction when it is pipelined behind another: it fails (and so
   * aborts this transaction, and through the same guard each one after it) unless the migration before it
   * committed. Whatever the client library does after a failure (postgres.js ends each query with its own
   * Sync, so a later BEGIN starts afresh), nothing after a failed migration runs or commits.
   */
  guardAfter(previous: { version: string; direction: Direction }): { text: string; params: string[] } {
    // Up: its row must be there and applied; down: gone. The cast fails at run time because the CASE
    // reads the count: a prepared statement's custom plan would fold a cast of constants while planning.
    const [where, missing] = previous.direction === 'up' ? [`version = $1 and status = 'applied'`, 'count(*) = 0'] : ['version = $1', 'count(*) > 0'];
    return {
      text: `select (case when ${missing} then 'pgshift: migration ' || $1 || ' before this one did not commit, so this one does not run' else '0' end)::integer from ${this.migrations} where ${where}`,
      params: [previous.version],
    };
  }

  /** SQL and parameters that record a finished step; run inside the step's transaction. */
  recordSuccess(
    step: { version: string; name: string; checksum: string; direction: Direction; note?: string },
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
      // error_message carries a note for a successful rollback (the down section was empty), as for a repair.
      text: `with h as (insert into ${this.history} (version, name, action, status, environment, executed_by, execution_time_ms, checksum, error_message)
               values ($1, $2, 'rollback', 'success', $4, $3, ${duration}, $5, $7::text))
             delete from ${this.migrations} where version = $1`,
      params: [step.version, step.name, actor, environment, step.checksum, ms === null ? null : Math.round(ms), step.note ?? null],
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
    this.checkWrite(await this.access(sql));
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

  /**
   * `pgshift repair`: accepts the current checksum of applied migrations whose files changed, in one
   * transaction under the caller's lock. Each gets schema_migrations.checksum updated and a history row
   * with action `repair`: `checksum` holds the new checksum and `error_message` the note
   * `repair: checksum <old> -> <new>; reason: <reason>` (`<old>` is `none` for a row without one), so
   * existing history tables need no new column.
   */
  async repair(sql: ReservedSql, changes: RepairChange[], reason: string, actor: string, environment: string): Promise<void> {
    const access = await this.access(sql);
    this.checkWrite(access);
    try {
      await inTransaction(sql, async (tx) => {
        await this.allowRepairAction(tx, access.role);
        for (const c of changes) {
          const updated = await tx.unsafe(`update ${this.migrations} set checksum = $2 where version = $1 and status = 'applied' and checksum is not distinct from $3`, [
            c.version,
            c.currentChecksum,
            c.storedChecksum,
          ]);
          // Under the lock nothing else writes these rows; a miss means the table was edited by hand meanwhile.
          if (updated.count !== 1)
            throw new ConfigError(`the row of migration ${c.version} in ${this.shown('schema_migrations')} changed while it was being repaired: nothing was written. Run repair again.`);
          await tx.unsafe(`insert into ${this.history} (version, name, action, status, environment, executed_by, checksum, error_message) values ($1, $2, 'repair', 'success', $3, $4, $5, $6)`, [
            c.version,
            c.name,
            environment,
            actor,
            c.currentChecksum,
            repairNote(c, reason),
          ]);
        }
      });
    } catch (err) {
      throw this.explained(err);
    }
  }

  /**
   * `adopt` and `baseline`: records migrations as applied (or failed) without running them, in one
   * transaction under the caller's lock. `before` runs first in that transaction (golang-migrate's table
   * is renamed there); the tracking tables are created if missing, dbmate's schema_migrations is given
   * pgshift's columns, and each row gets a history row with `action` and its note.
   */
  async recordWithoutRunning(
    sql: ReservedSql,
    rows: RecordedMigration[],
    action: 'adopt' | 'baseline',
    actor: string,
    environment: string,
    before?: (tx: ReservedSql) => Promise<void>,
  ): Promise<void> {
    const first = await this.access(sql);
    this.checkUsage(first);
    try {
      await inTransaction(sql, async (tx) => {
        await before?.(tx);
        const a = await this.access(tx);
        this.checkWrite(a);
        if (!a.schemaExists) await tx.unsafe(`create schema if not exists ${quoteIdent(this.schema)}`);
        const dbmateTable = a.migrations && !a.migrations.columns.includes('checksum');
        if (!a.migrations) await tx.unsafe(migrationsTableDdl(this.migrations));
        else if (dbmateTable) {
          await tx.unsafe(`alter table ${this.migrations}
              add column if not exists name text, add column if not exists checksum text, add column if not exists status text,
              add column if not exists applied_at timestamptz, add column if not exists execution_time_ms integer,
              add column if not exists error_message text, add column if not exists applied_by text`);
        }
        if (!a.history) await tx.unsafe(historyTableDdl(this.history));
        else await this.allowAction(tx, a.role, action);
        for (const r of rows) {
          await tx.unsafe(
            `insert into ${this.migrations} (version, name, checksum, status, error_message, applied_by) values ($1, $2, $3, $4, $5, $6)
             on conflict (version) do update set name = excluded.name, checksum = excluded.checksum, status = excluded.status, error_message = excluded.error_message, applied_by = excluded.applied_by`,
            [r.version, r.name, r.checksum, r.status, r.errorMessage, actor],
          );
          await tx.unsafe(`insert into ${this.history} (version, name, action, status, environment, executed_by, checksum, error_message) values ($1, $2, $3, 'success', $4, $5, $6, $7)`, [
            r.version,
            r.name,
            action,
            environment,
            actor,
            r.checksum,
            r.note,
          ]);
        }
        if (dbmateTable) {
          await tx.unsafe(`update ${this.migrations} set name = coalesce(name, ''), checksum = coalesce(checksum, ''), status = coalesce(status, 'applied')`);
          await tx.unsafe(`alter table ${this.migrations}
              alter column name set not null, alter column checksum set not null, alter column status set not null,
              add constraint schema_migrations_status_check check (status in ('applied', 'running', 'failed'))`);
        }
      });
    } catch (err) {
      throw this.explained(err);
    }
  }

  /** Whether migration_history holds a row of `action` whose note starts with `note`. Read-only. */
  async hasHistory(sql: Sql | ReservedSql, action: string, note: string): Promise<boolean> {
    const a = await this.access(sql);
    if (!a.history) return false;
    const [{ found }] = await sql.unsafe<{ found: boolean }[]>(`select exists (select 1 from ${this.history} where action = $1 and starts_with(coalesce(error_message, ''), $2)) as found`, [
      action,
      note,
    ]);
    return found;
  }

  /**
   * A history table made before `action` existed checks action against fewer values: add it to that
   * check (in the caller's transaction), or say what the table's owner must run.
   */
  private async allowAction(tx: ReservedSql, role: string, action: string): Promise<void> {
    const checks = await tx.unsafe<{ name: string; def: string }[]>(
      `select conname::text as name, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = to_regclass($1) and contype = 'c'`,
      [this.history],
    );
    for (const c of checks.filter((x) => /\baction\b/.test(x.def) && x.def.includes("'apply'") && !x.def.includes(`'${action}'`))) {
      // Every action pgshift writes today, so that widening for one never has to be redone for another.
      const allowed = [...new Set([...[...c.def.matchAll(/'([a-z_-]+)'/g)].map((m) => m[1]), 'repair', 'adopt', 'baseline', action])];
      const alter = `ALTER TABLE ${this.shown('migration_history')} DROP CONSTRAINT ${sqlName(c.name)}, ADD CONSTRAINT ${sqlName(c.name)} CHECK (action IN (${allowed.map((x) => `'${x}'`).join(', ')}))`;
      try {
        await tx.unsafe(alter);
      } catch (err) {
        if (sqlState(err) !== '42501') throw err;
        throw new ConfigError(
          `${this.shown('migration_history')} was created before pgshift recorded ${action}: its check on action does not allow it, and the role ${role} may not change it (${(err as Error).message}). As the owner of the table, run: ${alter}; then run ${action} again.`,
        );
      }
    }
  }

  /**
   * A history table made before `repair` existed checks action against apply, rollback and resolve
   * only: widen that check (in the caller's transaction), or say what the table's owner must run.
   */
  private async allowRepairAction(tx: ReservedSql, role: string): Promise<void> {
    const checks = await tx.unsafe<{ name: string; def: string }[]>(
      `select conname::text as name, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = to_regclass($1) and contype = 'c'`,
      [this.history],
    );
    for (const c of checks.filter((x) => /\baction\b/.test(x.def) && x.def.includes("'resolve'") && !x.def.includes("'repair'"))) {
      const alter = `ALTER TABLE ${this.shown('migration_history')} DROP CONSTRAINT ${sqlName(c.name)}, ADD CONSTRAINT ${sqlName(c.name)} CHECK (action IN ('apply', 'rollback', 'resolve', 'repair'))`;
      try {
        await tx.unsafe(alter);
      } catch (err) {
        if (sqlState(err) !== '42501') throw err;
        throw new ConfigError(
          `${this.shown('migration_history')} was created before pgshift recorded repairs: its check on action allows apply, rollback and resolve only, and the role ${role} may not change it (${(err as Error).message}). As the owner of the table, run: ${alter}; then run repair again.`,
        );
      }
    }
  }
}

/** A migration `adopt` or `baseline` records without running it. */
export interface RecordedMigration {
  version: string;
  name: string;
  /** The file's current checksum; '' when the file is gone (adopt --allow-missing). */
  checksum: string;
  status: 'applied' | 'failed';
  /** For a failed row: what the other tool recorded. */
  errorMessage: string | null;
  /** The history row's error_message: where the row came from. */
  note: string;
}

/** An applied migration whose stored checksum `repair` replaces with its file's current one. */
export interface RepairChange {
  version: string;
  name: string;
  /** null (or '') when the row has none. */
  storedChecksum: string | null;
  currentChecksum: string;
}

/** The history row's note for a repair; the format is documented in the README (Tracking tables). */
export function repairNote(c: RepairChange, reason: string): string {
  return `repair: checksum ${c.storedChecksum || 'none'} -> ${c.currentChecksum}; reason: ${reason}`;
}
