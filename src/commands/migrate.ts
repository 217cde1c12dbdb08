// up/down under the migration lock: validate, (optionally) enforce a policy on the findings, apply.
// The result says what ran and, on failure, where. Deploy decisions (guard, environment policy,
// classification) are deploy.ts's; this is the run itself, also the library's `migrate`.
import type { ReservedSql } from '../db/connect';
import { ConfigError, ValidationError } from '../errors';
import { executePlan } from '../execute/run';
import { currentAfter, lookAgain } from '../execute/lost';
import { versionId } from '../files/version';
import type { Catalog } from '../files/catalog';
import { buildPlan, type Selection, type TrackingState } from '../plan/plan';
import { SETTINGS } from '../settings';
import { loadParser } from '../sql/split';
import type { Finding, LintConfig, Plan, RunResult } from '../types';
import { adoptionHint } from './adopt';
import { checkInvalidIndexes } from './invalid-indexes';
import { planFacts, withFindings } from './lint';
import { policyRefusal } from './policy';
import { defaultActor, withLock, withSession, type Session, type SessionOptions } from './session';

export interface MigrateOptions extends SessionOptions {
  /** Recorded in migration_history. */
  environment?: string;
  /** Who runs it, recorded as applied_by / executed_by. */
  actor?: string;
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  lockRetries?: number;
  /** Base delay between lock-timeout retries (ms). */
  retryDelayMs?: number;
  singleTransaction?: boolean;
  /** Rule settings for the linter; used when a policy reads the findings. */
  lint?: LintConfig | false;
  /**
   * The findings that refuse a run (destructive statements in production, say). Checked under the
   * lock, before anything runs; when set, the plan is linted too.
   */
  lintPolicy?: (findings: Finding[]) => Finding[];
  /**
   * Called under the lock with the reviewed plan, before anything is written (a shell asks a person here,
   * so what was confirmed is what runs); throwing refuses the run.
   */
  beforeRun?: (plan: Plan, sql: ReservedSql) => Promise<void>;
}

function refuse(plan: Plan): never {
  const blocking = plan.problems.filter((p) => p.blocking);
  throw new ValidationError(`the run was refused before anything ran:\n${blocking.map((p) => `  - ${p.message}`).join('\n')}`, blocking);
}

/** Whether a plan could hold a step (which the parser must split): any pending file, or a down. */
function mayRun(catalog: Catalog, state: TrackingState, selection: Selection): boolean {
  if (selection.direction === 'down') return state.rows.length > 0;
  const known = new Set(state.rows.map((r) => versionId(r.version)));
  // A repeatable that is known may still be due (its file changed): only reading it would tell.
  return catalog.repeatables.length > 0 || catalog.files.some((f) => !known.has(versionId(f.version)));
}

export async function migrate(o: MigrateOptions, selection: Selection): Promise<RunResult> {
  return withSession(o, async (s) => (await nothingToDo(s, selection)) ?? withLock(s, o, (sql) => migrateLocked(s, sql, o, selection)));
}

/**
 * A run with nothing to do is answered from one read of the tracking state, without the lock: what is
 * committed is all applied, so no run could change the answer (one that applies more applies files this
 * directory does not have). Anything that may run (a pending file, a repeatable, a down) takes the lock
 * and reads again. Undefined when the run must go on under the lock.
 */
async function nothingToDo(s: Session, selection: Selection): Promise<RunResult | undefined> {
  const state: TrackingState = { ...(await s.tracking.read(s.sql, { pipelined: true })), databaseChecked: true };
  if (state.unadopted || state.rows.length === 0 || mayRun(s.catalog, state, selection)) return undefined;
  const p = buildPlan(s.catalog, state, selection);
  if (p.steps.length) return undefined;
  // A changed history refuses even a run with nothing to do, as under the lock.
  if (p.blocked) refuse(p);
  return { direction: p.direction, status: 'up-to-date', steps: [], plan: p, currentVersion: p.currentVersion };
}

/** The run itself, on a session that holds the migration lock (a deploy's safety net runs under the same lock). */
export async function migrateLocked(s: Session, sql: ReservedSql, o: MigrateOptions, selection: Selection): Promise<RunResult> {
  const actor = o.actor ?? defaultActor();
  const environment = o.environment ?? SETTINGS.environment.default;
  const readState = async (): Promise<TrackingState> => ({ ...(await s.tracking.read(sql)), databaseChecked: true });
  // Linting costs a parse of each pending section's findings: only when a policy will read them.
  const review = async (state: TrackingState): Promise<Plan> => {
    const p = buildPlan(s.catalog, state, selection);
    // Under the lock, so what the database holds is what the migrations will meet.
    const reviewed = o.lintPolicy ? withFindings(p, o.lint, false, await planFacts(sql, p, o.lint)) : p;
    if (reviewed.blocked) refuse(reviewed);
    const refused = o.lintPolicy?.(reviewed.findings) ?? [];
    if (refused.length) throw policyRefusal(refused);
    return reviewed;
  };
  let state = await readState();
  // Nothing recorded yet while another tool's history has rows: say that adopt exists.
  await adoptionHint(sql, s.tracking, state.rows.length, o.onEvent);
  // The parser's WebAssembly is only loaded when something may run: a no-op deploy never pays for it.
  if (mayRun(s.catalog, state, selection)) await loadParser();
  let p = await review(state);
  if (p.steps.length === 0) return { direction: p.direction, status: 'up-to-date', steps: [], plan: p, currentVersion: p.currentVersion };
  if (o.singleTransaction) {
    const nonTx = p.steps.filter((st) => !st.transactional);
    if (nonTx.length) {
      throw new ConfigError(
        `--single-transaction cannot include non-transactional migrations (${nonTx.map((st) => st.migration.version).join(', ')}). Run without --single-transaction, or stop before them with --target.`,
      );
    }
  }
  // A migration that would run into an index an interrupted run left INVALID is refused, with the DROP.
  if (p.steps.some((st) => !st.transactional) && (await checkInvalidIndexes(sql, s.catalog, p)).blocked) refuse(p);
  await o.beforeRun?.(p, sql);
  const files = new Map(s.catalog.files.map((f) => [versionId(f.version), { file: f, checksum: () => s.catalog.checksum(f) }]));
  const ensured = await s.tracking.ensure(sql, files, actor, environment);
  if (ensured === 'created') o.onEvent?.({ type: 'tracking-created', schema: s.tracking.schema });
  if (typeof ensured === 'object') {
    o.onEvent?.({ type: 'tracking-adopted', schema: s.tracking.schema, rows: ensured.adopted });
    state = await readState();
    p = await review(state);
  }
  const started = performance.now();
  const outcome = await executePlan(p.steps, {
    sql,
    tracking: s.tracking,
    lockTimeout: String(o.lockTimeoutMs ?? SETTINGS.lockTimeout.default),
    statementTimeout: o.statementTimeoutMs !== undefined ? String(o.statementTimeoutMs) : undefined,
    lockRetries: o.lockRetries ?? SETTINGS.lockRetries.default,
    retryDelayMs: o.retryDelayMs,
    singleTransaction: !!o.singleTransaction,
    actor,
    environment,
    redactor: s.redactor,
    onEvent: o.onEvent,
    signal: o.signal,
    lifeline: s.lifeline,
  });
  let current: string | null;
  const lost = outcome.error?.connectionLost ? outcome.error : undefined;
  if (lost) {
    // The connection ended under a migration: ask the server, on a new connection, what it holds.
    const step = p.steps.find((st) => versionId(st.migration.version) === versionId(lost.version))!;
    const rows = await lookAgain(lost, step, { reopen: s.reopen, tracking: s.tracking, lifeline: s.lifeline, actor, environment, durationMs: performance.now() - started });
    if (lost.outcome === 'committed') {
      for (const r of outcome.steps) if (versionId(r.version) === versionId(lost.version)) r.status = r.direction === 'up' ? 'applied' : 'rolled-back';
    }
    // Pipelined behind it, later migrations may have committed before their answers were lost: the
    // tracking table, read again, says which (each one's row is written in its own transaction).
    if (rows) {
      const ran = new Set(outcome.steps.map((r) => versionId(r.version)));
      for (const st of p.steps) {
        if (ran.has(versionId(st.migration.version))) continue;
        const row = rows.find((r) => versionId(r.version) === versionId(st.migration.version));
        if (st.direction === 'up' ? row?.status !== 'applied' : row) break;
        outcome.steps.push({
          version: st.migration.version,
          name: st.migration.name,
          path: st.section.path,
          direction: st.direction,
          status: st.direction === 'up' ? 'applied' : 'rolled-back',
          durationMs: 0,
          attempts: 1,
        });
      }
    }
    current = rows ? buildPlan(s.catalog, { exists: true, rows, databaseChecked: true }, { direction: 'up', steps: 0 }).currentVersion : currentAfter(state.rows, outcome.steps);
  } else {
    try {
      const after = await s.tracking.read(sql);
      current = buildPlan(s.catalog, { ...after, databaseChecked: true }, { direction: 'up', steps: 0 }).currentVersion;
    } catch (err) {
      // Every migration answered (and committed) before the connection went: the run is done.
      if (!s.lifeline.lost) throw err;
      o.onEvent?.({ type: 'warning', message: `the connection was lost after the last migration was done (${s.lifeline.reason}); the server released the migration lock.` });
      current = currentAfter(state.rows, outcome.steps);
    }
  }
  return {
    direction: p.direction,
    status: outcome.error ? 'failed' : p.direction === 'up' ? 'applied' : 'rolled-back',
    steps: outcome.steps,
    plan: p,
    error: outcome.error,
    currentVersion: current,
  };
}
