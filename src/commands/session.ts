// The frame every database command runs in, written once: the directory is read before connecting,
// the connection is retried, the migration lock is taken on a reserved connection and released before
// it is returned, and every error leaves with credentials redacted.
import { userInfo } from 'node:os';
import { connect, type ReservedSql, type Sql } from '../db/connect';
import { acquireLock } from '../db/lock';
import { Tracking } from '../db/tracking';
import { ConfigError } from '../errors';
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
  const sql = await connect({
    databaseUrl: o.databaseUrl,
    connectTimeoutMs: o.connectTimeoutMs ?? SETTINGS.connectTimeout.default,
    redactor,
    onEvent: o.onEvent,
    signal: o.signal,
  });
  try {
    return await fn({ sql, redactor, tracking: new Tracking(o.schema ?? SETTINGS.schema.default), catalog });
  } catch (err) {
    throw redacted(err, redactor);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Runs `fn` on a reserved connection holding the migration lock; unlocks before release, always. */
export async function withLock<T>(s: Session, o: SessionOptions, fn: (sql: ReservedSql) => Promise<T>): Promise<T> {
  const reserved = await s.sql.reserve();
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
