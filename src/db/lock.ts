// One run at a time per tracking table. A session-level advisory lock, polled with pg_try_advisory_lock
// on the reserved connection that runs the migrations: the session holds no transaction while it
// waits or between migrations, so CREATE INDEX CONCURRENTLY never waits on the lock's own holder
// (the deadlock of transaction-scoped locks).
import { createHash } from 'node:crypto';
import { AbortedError, LockError } from '../errors';
import type { EngineEvent, LockHolder } from '../types';
import type { ReservedSql } from './connect';
import { pause } from '../pause';

/** A stable 64-bit key for a tracking schema, split as pg_locks shows it (classid, objid). */
export function lockKey(schema: string): { key: string; classid: number; objid: number } {
  const digest = createHash('sha256').update(`pgshift:${schema}.schema_migrations`).digest();
  const key = digest.readBigInt64BE(0);
  const unsigned = BigInt.asUintN(64, key);
  return { key: key.toString(), classid: Number(unsigned >> 32n), objid: Number(unsigned & 0xffffffffn) };
}

export async function lockHolder(sql: ReservedSql, schema: string): Promise<LockHolder | undefined> {
  const { classid, objid } = lockKey(schema);
  const rows = await sql<{ pid: number; application_name: string; since: Date | null; state: string | null }[]>`
    select a.pid, a.application_name, coalesce(a.xact_start, a.backend_start) as since, a.state
      from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and l.granted and l.classid::text = ${String(classid)} and l.objid::text = ${String(objid)} and l.objsubid = 1
       -- Advisory locks are per database, but pg_locks lists every database's: the same key held
       -- by a run against another database on this server is not our holder.
       and l.database = (select oid from pg_database where datname = current_database())
       and l.pid <> pg_backend_pid()
     limit 1`;
  const r = rows[0];
  return r ? { pid: r.pid, applicationName: r.application_name, since: r.since, state: r.state } : undefined;
}

/** The machine and process of a pgshift run, from its application_name (`pgshift@<host>:<pid>`). */
export function pgshiftProcess(applicationName: string): { host: string; pid: number } | undefined {
  const m = applicationName.match(/^pgshift@(.*):(\d+)$/);
  return m ? { host: m[1], pid: Number(m[2]) } : undefined;
}

export function describeHolder(h: LockHolder | undefined): string {
  if (!h) return 'another session (it let go before it could be named)';
  const run = pgshiftProcess(h.applicationName);
  const who = run ? `pgshift process ${run.pid} on ${run.host} (Postgres pid ${h.pid})` : `pid ${h.pid}${h.applicationName ? ` (${h.applicationName})` : ''}`;
  return `${who}${h.since ? `, connected since ${h.since.toISOString()}` : ''}${h.state ? `, ${h.state}` : ''}`;
}

export interface HeldLock {
  release(): Promise<void>;
}

export async function acquireLock(sql: ReservedSql, schema: string, waitMs: number, onEvent?: (e: EngineEvent) => void, signal?: AbortSignal): Promise<HeldLock> {
  const { key } = lockKey(schema);
  const started = Date.now();
  let delay = 50;
  let reported = 0;
  for (;;) {
    if (signal?.aborted) throw new AbortedError('interrupted while waiting for the migration lock; nothing ran');
    const [{ locked }] = await sql<{ locked: boolean }[]>`select pg_try_advisory_lock(${key}::bigint) as locked`;
    const waited = Date.now() - started;
    if (locked) {
      onEvent?.({ type: 'lock-acquired', waitedMs: waited });
      return {
        async release() {
          await sql`select pg_advisory_unlock(${key}::bigint)`;
        },
      };
    }
    if (waited >= waitMs) {
      const holder = await lockHolder(sql, schema);
      throw new LockError(
        `another migration run holds the lock on ${schema}.schema_migrations: ${describeHolder(holder)}. Waited ${waited < 10_000 ? `${(waited / 1000).toFixed(1)}s` : `${Math.round(waited / 1000)}s`}; wait for it to finish, raise --lock-wait, or stop that session.`,
        holder,
      );
    }
    if (waited - reported >= 5000 || reported === 0) {
      reported = waited || 1;
      onEvent?.({ type: 'lock-wait', waitedMs: waited, holder: await lockHolder(sql, schema) });
    }
    await pause(Math.min(delay, waitMs - waited), signal);
    delay = Math.min(1000, delay * 2);
  }
}
