// up/down under the migration lock: validate, (optionally) enforce a policy on the findings, apply.
// The result says what ran and, on failure, where. Deploy decisions (guard, environment policy,
// classification) are deploy.ts's; this is the run itself, also the library's `migrate`.
import { ConfigError, ValidationError } from '../errors';
import { executePlan } from '../execute/run';
import { versionId } from '../files/version';
import type { Catalog } from '../files/catalog';
import { buildPlan, type Selection, type TrackingState } from '../plan/plan';
import { SETTINGS } from '../settings';
import { loadParser } from '../sql/split';
import type { Finding, LintConfig, Plan, RunResult } from '../types';
import { withFindings } from './lint';
import { policyRefusal } from './policy';
import { defaultActor, withLock, withSession, type SessionOptions } from './session';

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
}

function refuse(plan: Plan): never {
  const blocking = plan.problems.filter((p) => p.blocking);
  throw new ValidationError(`the run was refused before anything ran:\n${blocking.map((p) => `  - ${p.message}`).join('\n')}`, blocking);
}

/** Whether a plan could hold a step (which the parser must split): any pending file, or a down. */
function mayRun(catalog: Catalog, state: TrackingState, selection: Selection): boolean {
  if (selection.direction === 'down') return state.rows.length > 0;
  const known = new Set(state.rows.map((r) => versionId(r.version)));
  return catalog.files.some((f) => !known.has(versionId(f.version)));
}

export async function migrate(o: MigrateOptions, selection: Selection): Promise<RunResult> {
  const actor = o.actor ?? defaultActor();
  const environment = o.environment ?? SETTINGS.environment.default;
  return withSession(o, (s) =>
    withLock(s, o, async (sql) => {
      const readState = async (): Promise<TrackingState> => ({ ...(await s.tracking.read(sql)), databaseChecked: true });
      // Linting costs a parse of each pending section's findings: only when a policy will read them.
      const review = (state: TrackingState): Plan => {
        const p = buildPlan(s.catalog, state, selection);
        const reviewed = o.lintPolicy ? withFindings(p, o.lint) : p;
        if (reviewed.blocked) refuse(reviewed);
        const refused = o.lintPolicy?.(reviewed.findings) ?? [];
        if (refused.length) throw policyRefusal(refused);
        return reviewed;
      };
      let state = await readState();
      // The parser's WebAssembly is only loaded when something may run: a no-op deploy never pays for it.
      if (mayRun(s.catalog, state, selection)) await loadParser();
      let p = review(state);
      if (p.steps.length === 0) return { direction: p.direction, status: 'up-to-date', steps: [], plan: p, currentVersion: p.currentVersion };
      if (o.singleTransaction) {
        const nonTx = p.steps.filter((st) => !st.transactional);
        if (nonTx.length) {
          throw new ConfigError(
            `--single-transaction cannot include non-transactional migrations (${nonTx.map((st) => st.migration.version).join(', ')}). Run without --single-transaction, or stop before them with --target.`,
          );
        }
      }
      const files = new Map(s.catalog.files.map((f) => [versionId(f.version), { file: f, checksum: () => s.catalog.checksum(f) }]));
      const ensured = await s.tracking.ensure(sql, files, actor, environment);
      if (ensured === 'created') o.onEvent?.({ type: 'tracking-created', schema: s.tracking.schema });
      if (typeof ensured === 'object') {
        o.onEvent?.({ type: 'tracking-adopted', schema: s.tracking.schema, rows: ensured.adopted });
        state = await readState();
        p = review(state);
      }
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
      });
      const after = await s.tracking.read(sql);
      const current = buildPlan(s.catalog, { ...after, databaseChecked: true }, { direction: 'up', steps: 0 }).currentVersion;
      return {
        direction: p.direction,
        status: outcome.error ? 'failed' : p.direction === 'up' ? 'applied' : 'rolled-back',
        steps: outcome.steps,
        plan: p,
        error: outcome.error,
        currentVersion: current,
      };
    }),
  );
}
