// Opens the database with retries (a deploy often races a database that is still starting), and
// turns connection failures into one sentence naming host, port and database, never the password.
import postgres from 'postgres';
import { AbortedError, ConfigError, ConnectionError } from '../errors';
import type { EngineEvent } from '../types';
import { pause } from '../pause';
import { Redactor } from '../report/redact';

export type Sql = postgres.Sql<Record<string, never>>;
export type ReservedSql = postgres.ReservedSql<Record<string, never>>;

export interface ConnectOptions {
  databaseUrl: string;
  /** Give up connecting after this long (ms). */
  connectTimeoutMs: number;
  redactor: Redactor;
  onEvent?: (e: EngineEvent) => void;
  /** application_name shown in pg_stat_activity, so a lock holder can be named. */
  applicationName?: string;
  /** Interrupt (SIGINT/SIGTERM): stop retrying at once. */
  signal?: AbortSignal;
}

export interface Target {
  host: string;
  port: string;
  database: string;
  user: string;
}

export function describeTarget(url: string): Target {
  try {
    const u = new URL(url);
    return {
      host: decodeURIComponent(u.hostname || u.searchParams.get('host') || 'localhost'),
      port: u.port || '5432',
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
      user: decodeURIComponent(u.username),
    };
  } catch {
    throw new ConfigError('the database URL is not a valid URL: use postgres://user:password@host:5432/database.');
  }
}

/** Errors a retry can cure: the server is not up yet, or is full for a moment. */
function isTransient(err: unknown): boolean {
  const e = err as { code?: string; errno?: string };
  const code = e?.code ?? e?.errno ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', '57P03', '53300'].includes(code);
}

export async function connect(opts: ConnectOptions): Promise<Sql> {
  if (!/^postgres(ql)?:\/\//i.test(opts.databaseUrl)) {
    throw new ConfigError('the database URL must start with postgres:// or postgresql:// (set --database-url or DATABASE_URL).');
  }
  const target = describeTarget(opts.databaseUrl);
  const deadline = Date.now() + opts.connectTimeoutMs;
  const interrupted = () => new AbortedError('interrupted while connecting to the database; nothing ran');
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw interrupted();
    const sql = postgres(opts.databaseUrl, {
      max: 1,
      onnotice: () => {},
      connect_timeout: Math.max(1, Math.ceil(Math.min(10_000, opts.connectTimeoutMs) / 1000)),
      connection: { application_name: opts.applicationName ?? 'pgshift' },
      // Named prepared statements let the tracking queries, the same text for every migration, be
      // described once: otherwise each one stops the pipeline for a describe round trip. Migration SQL
      // itself goes as simple queries, which are never prepared.
      prepare: true,
      // pgshift sends no array parameters: skip the pg_type query postgres.js makes on every connect.
      fetch_types: false,
    }) as unknown as Sql;
    // An attempt on a host that drops packets lasts up to connect_timeout: an interrupt ends it too.
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        sql`select 1`,
        new Promise<never>((_, reject) => {
          onAbort = () => reject(interrupted());
          opts.signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      return sql;
    } catch (err) {
      await sql.end({ timeout: 0 }).catch(() => {});
      if (err instanceof AbortedError) throw err;
      const reason = opts.redactor.redact((err as Error)?.message ?? String(err));
      const where = `${target.host}:${target.port}/${target.database}${target.user ? ` as ${target.user}` : ''}`;
      const remaining = deadline - Date.now();
      if (!isTransient(err) || remaining <= 0) {
        throw new ConnectionError(`cannot connect to Postgres at ${where}: ${reason}${isTransient(err) ? ` (gave up after ${attempt} attempts; raise --connect-timeout to wait longer)` : ''}.`);
      }
      const delayMs = Math.min(remaining, Math.min(5000, 250 * 2 ** (attempt - 1)));
      opts.onEvent?.({ type: 'connect-retry', attempt, delayMs, message: `cannot connect to ${where} yet (${reason}); retrying in ${delayMs} ms` });
      await pause(delayMs, opts.signal);
    } finally {
      if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    }
  }
}
