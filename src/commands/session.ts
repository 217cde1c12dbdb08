// The frame every database command runs in, written once: the directory is read before connecting,
// the connection is retried, the migration lock is taken on a reserved connection and released before
// it is returned, and every error leaves with credentials redacted.
import { userInfo } from 'node:os';
import { connect, guarded, REFUSED_RETRY_MS, whereOf, type Lifeline, type ReservedSql, type Sql } from '../db/connect';
import { acquireLock } from '../db/lock';
import { Tracking } from '../db/tracking';
import { ConfigError, ConnectionError, PgshiftError } from '../errors';
import { Catalog } from '../files/catalog';
import { Redactor } from '../report/redact';
import { SETTINGS } from '../settings';
import type { EngineEvent } from '../types';

/** What every command that reads the directory and the database needs. */
export interface SessionOptions {
  /** Migrations directory. */
  dir: string;
  /** Absent: commands that can work from the files alone do; the others refuse. */
  databaseUrl?: string;
  /** Schema of the tracking tables. */
  schema?: string;
  connectTimeoutMs?: number;
  /**
   * The user set --connect-timeout: a refused connection (nothing listening) is retried for all of it.
   * Otherwise only for REFUSED_RETRY_MS: a typo'd port should not cost the long wait meant for a
   * server that is starting (reset, closed or unanswered connections, "the database system is
   * starting up"), which always gets the whole --connect-timeout.
   */
  connectTimeoutGiven?: boolean;
  lockWaitMs?: number;
  onEvent?: (e: EngineEvent) => void;
  signal?: AbortSignal;
  /** Knows the secrets in use; every message leaving a command passes through it. */
  redactor?: Redactor;
}

export interface Session {
  sql: Sql;
  redactor: Redactor;
  tracking: Tracking;
  catalog: Catalog;
  /** Whether the connection has ended under the command, and why. */
  lifeline: Lifeline;
  /** A second, short-lived connection (a few seconds of tries), to look at the database after a loss. */
  reopen(): Promise<{ sql: Sql; close(): Promise<void> }>;
}

/** The redactor a command reports through: the caller's, taught the URL in use. */
export function redactorFor(o: SessionOptions): Redactor {
  return (o.redactor ?? new Redactor()).addUrl(o.databaseUrl);
}

/** Every failure leaves with credentials redacted. */
export function redacted(err: unknown, redactor: Redactor): unknown {
  if (err instanceof Error) err.message = redactor.redact(err.message);
  return err;
}

/** Opens a session, runs `fn`, closes the connection; the directory is checked before connecting. */
export async function withSession<T>(o: SessionOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  const catalog = new Catalog(o.dir);
  const redactor = redactorFor(o);
  if (!o.databaseUrl) throw new ConfigError('no database given: pass --database-url or set DATABASE_URL.');
  const connectTimeoutMs = o.connectTimeoutMs ?? SETTINGS.connectTimeout.default;
  const options = { databaseUrl: o.databaseUrl, connectTimeoutMs, refusedRetryMs: o.connectTimeoutGiven ? connectTimeoutMs : REFUSED_RETRY_MS, redactor, signal: o.signal };
  const { sql, lifeline } = await connect({ ...options, onEvent: o.onEvent });
  const reopen = async () => {
    // A server that is restarting refuses for a moment: a few seconds, refused or not, then give up.
    const again = await connect({ ...options, connectTimeoutMs: Math.min(connectTimeoutMs, REFUSED_RETRY_MS), refusedRetryMs: REFUSED_RETRY_MS });
    again.lifeline.arm();
    return {
      sql: again.sql,
      close: async () => {
        again.lifeline.disarm();
        await again.sql.end({ timeout: 1 }).catch(() => {});
      },
    };
  };
  try {
    return await fn({ sql, redactor, tracking: new Tracking(o.schema ?? SETTINGS.schema.default), catalog, lifeline, reopen });
  } catch (err) {
    // A query that failed because the connection went away (outside a migration: the engine names a
    // migration that was running itself) says so, instead of an "unexpected error".
    if (lifeline.lost && !(err instanceof PgshiftError)) {
      throw redacted(
        new ConnectionError(
          `the connection to Postgres at ${whereOf(lifeline.target)} was lost: ${lifeline.reason}. No migration was running at the time; run the command again once the server is reachable.`,
        ),
        redactor,
      );
    }
    throw redacted(err, redactor);
  } finally {
    lifeline.disarm();
    // A lost connection leaves postgres.js waiting for an answer that will never come: don't wait.
    await sql.end({ timeout: lifeline.lost ? 0 : 5 }).catch(() => {});
  }
}

/** Runs `fn` on a reserved connection holding the migration lock; unlocks before release, always. */
export async function withLock<T>(s: Session, o: SessionOptions, fn: (sql: ReservedSql) => Promise<T>): Promise<T> {
  const reserved = guarded(await s.sql.reserve(), s.lifeline);
  try {
    const lock = await acquireLock(reserved, s.tracking.schema, o.lockWaitMs ?? SETTINGS.lockWait.default, o.onEvent, o.signal);
    try {
      return await fn(reserved);
    } finally {
      await lock.release().catch(() => {});
    }
  } finally {
    reserved.release();
  }
}

/** Who runs a command when the shell does not say: the OS user. */
export function defaultActor(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
