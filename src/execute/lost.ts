// After the connection ended under a migration: look at the database again, on a new connection,
// and say what it holds. Whether a transaction committed cannot be known from the client's side (the
// COMMIT may have reached the server before the connection went), so pgshift asks the server.
import type { Lifeline, Sql } from '../db/connect';
import type { Tracking } from '../db/tracking';
import { invalidIndexesOf } from '../db/invalid-indexes';
import { compareKeys, isVersion, versionId, versionKey } from '../files/version';
import type { AppliedMigration, MigrationError, PlannedStep, StepResult } from '../types';
import { errorSummary } from './failure';

export interface LookAgain {
  reopen(): Promise<{ sql: Sql; close(): Promise<void> }>;
  tracking: Tracking;
  lifeline: Lifeline;
  actor: string;
  environment: string;
  durationMs: number;
}

/**
 * Settles `error.outcome` and `error.afterLoss` from what the server says now; records the failed
 * attempt in the history when the migration did not commit. Returns the tracking rows when they could
 * be read. Never throws: a server that cannot be reached is itself the answer.
 */
export async function lookAgain(error: MigrationError, step: PlannedStep, o: LookAgain): Promise<AppliedMigration[] | undefined> {
  let conn: Awaited<ReturnType<LookAgain['reopen']>>;
  try {
    conn = await o.reopen();
  } catch (err) {
    error.afterLoss = `pgshift could not connect again to check (${(err as Error).message.replace(/\.$/, '')}): run "pgshift status" once the server is back.`;
    return undefined;
  }
  try {
    const pid = o.lifeline.pid;
    const [alive] = pid ? await conn.sql<{ state: string | null }[]>`select state from pg_stat_activity where pid = ${pid}` : [];
    if (alive) {
      error.afterLoss = `the server still runs the session that lost its connection (backend pid ${pid}, ${alive.state ?? 'state unknown'}): it may yet finish this migration${
        step.transactional ? ' and commit it' : ''
      }. Wait for it to end, or stop it with SELECT pg_terminate_backend(${pid}); then run "pgshift status".`;
      return undefined;
    }
    const { rows } = await o.tracking.read(conn.sql);
    const row = rows.find((r) => versionId(r.version) === versionId(step.migration.version));
    const tracked = `${o.tracking.schema}.schema_migrations`;
    if (step.transactional) {
      const applied = row?.status === 'applied';
      const committed = step.direction === 'up' ? applied : !row;
      error.outcome = committed ? 'committed' : 'rolled-back';
      error.afterLoss = committed
        ? `its COMMIT reached the server before the connection went: ${tracked} has it ${step.direction === 'up' ? 'applied' : 'rolled back'}.`
        : `the server rolled its transaction back: ${tracked} has it ${step.direction === 'up' ? 'not applied' : 'still applied'}, as before this run.`;
    } else if (row?.status === 'applied' && step.direction === 'up') {
      error.outcome = 'committed';
      error.afterLoss = `its last statement and its tracking row reached the server: ${tracked} has it applied.`;
    } else {
      error.outcome = 'failed-needs-resolve';
      error.afterLoss = `${tracked} has it ${row ? row.status : 'without a row'}.`;
      const invalid = await invalidIndexesOf(conn.sql, [step]);
      if (invalid.length) error.invalidIndex = invalid.map((i) => i.qualified).join(', ');
    }
    if (error.outcome !== 'committed') {
      await o.tracking.recordFailure(
        conn.sql,
        { version: step.migration.version, name: step.migration.name, checksum: step.migration.checksum, direction: step.direction },
        o.durationMs,
        errorSummary(error),
        o.actor,
        o.environment,
      );
    }
    return rows;
  } catch (err) {
    error.afterLoss = `pgshift connected again but could not read the tracking table (${(err as Error).message}): run "pgshift status".`;
    return undefined;
  } finally {
    await conn.close();
  }
}

/** The highest applied version, from rows read before the run and what the run did. */
export function currentAfter(rows: AppliedMigration[], steps: StepResult[]): string | null {
  const applied = new Set(rows.filter((r) => r.status === 'applied').map((r) => versionId(r.version)));
  const names = new Map(rows.map((r) => [versionId(r.version), r.version]));
  for (const s of steps) {
    if (s.status === 'applied') applied.add(versionId(s.version));
    if (s.status === 'rolled-back') applied.delete(versionId(s.version));
    names.set(versionId(s.version), s.version);
  }
  let best: string | null = null;
  for (const id of applied) {
    const v = names.get(id)!;
    // A repeatable migration ("R__<name>") has no version to be current at.
    if (!isVersion(v)) continue;
    if (best === null || compareKeys(versionKey(v), versionKey(best)) > 0) best = v;
  }
  return best;
}
