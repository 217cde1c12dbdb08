// The production safety net, decided once for every shell: a backup before anything is applied, health
// checks after, and an automatic rollback of what the run applied when a migration or a check fails.
// deploy.ts calls these in order under the migration lock; a dry run shows what they would do.
import { tmpdir } from 'node:os';
import type { ReservedSql, Sql } from '../db/connect';
import { ValidationError } from '../errors';
import { executePlan, type ExecuteOptions } from '../execute/run';
import { EMPTY_DOWN_NOTE, planStep } from '../plan/plan';
import type { Redactor } from '../report/redact';
import type { BackupSetting, SettingValues } from '../settings';
import type { MigrationError, Plan, PlannedStep, StepResult, Statement, ValidationProblem } from '../types';
import type { AutoRollback, HealthResult, SafetyNet } from './outcome';

/** The safety net's settings, as the shells read them from the settings table. */
export interface NetSettings {
  /** '' is auto in a protected environment, none elsewhere. */
  backup: BackupSetting;
  pgDump?: string;
  /** Where the archive goes: the shell decides (RUNNER_TEMP on a runner, the system's temporary folder). */
  backupDir: string;
  /** The environment pg_dump is looked for (PATH) and run in (HOME for ~/.pgpass, TLS files). */
  env: NodeJS.ProcessEnv;
  healthCheckSql?: string;
  healthCheckUrl?: string;
  healthCheckTimeoutMs: number;
  rollbackOnFailure: boolean;
  allowIrreversible: boolean;
}

/** The net's settings from a shell's settings (the same rows in the CLI and the action). */
export function netSettings(
  s: Pick<SettingValues, 'backup' | 'pgDump' | 'backupDir' | 'healthCheckSql' | 'healthCheckUrl' | 'healthCheckTimeout' | 'rollbackOnFailure' | 'allowIrreversible'>,
  env: NodeJS.ProcessEnv,
): NetSettings {
  return {
    backup: s.backup,
    pgDump: s.pgDump || undefined,
    backupDir: s.backupDir || env.RUNNER_TEMP || tmpdir(),
    env,
    healthCheckSql: s.healthCheckSql || undefined,
    healthCheckUrl: s.healthCheckUrl || undefined,
    healthCheckTimeoutMs: s.healthCheckTimeout,
    rollbackOnFailure: s.rollbackOnFailure,
    allowIrreversible: s.allowIrreversible,
  };
}

export function backupMode(net: NetSettings | undefined, isProtected: boolean): SafetyNet['backup'] {
  if (!net || net.backup === '') return isProtected ? 'auto' : 'none';
  return net.backup;
}

/** Whether a deploy has anything of the safety net to do or show. */
export function hasNet(net: NetSettings | undefined, isProtected: boolean): boolean {
  return !!net && (backupMode(net, isProtected) !== 'none' || !!net.healthCheckSql || !!net.healthCheckUrl || net.rollbackOnFailure);
}

/**
 * A statement that can run again, or run after a partial failure, without failing on what is or is not
 * there: DROP … IF EXISTS, ALTER TABLE IF EXISTS … DROP … IF EXISTS, CREATE … IF NOT EXISTS.
 */
function idempotent(st: Statement): boolean {
  const n = st.node as { missing_ok?: boolean; if_not_exists?: boolean; cmds?: { AlterTableCmd?: { missing_ok?: boolean; subtype?: string } }[] };
  if (st.kind === 'DropStmt') return !!n.missing_ok;
  if (st.kind === 'IndexStmt' || st.kind === 'CreateStmt') return !!n.if_not_exists;
  if (st.kind === 'AlterTableStmt') return !!n.cmds?.every((c) => /^AT_Drop/.test(c.AlterTableCmd?.subtype ?? '') && c.AlterTableCmd?.missing_ok);
  return false;
}

/** Why a pending step cannot be rolled back automatically; undefined when it can. */
function whyIrreversible(step: PlannedStep): string | undefined {
  const m = step.migration;
  if (m.repeatable) return 'a repeatable migration is never rolled back (the previous text of its file is not kept)';
  if (!m.down) return 'it has no down section';
  if (step.transactional || m.down.empty) return undefined;
  // Outside a transaction a failure can leave part of the migration behind: its down must cope with that.
  const problems: ValidationProblem[] = [];
  const down = planStep(m, 'down', problems);
  if (problems.some((p) => p.blocking)) return `it runs without a transaction and its down does not parse (${problems[0].message})`;
  const unsafe = down.statements.find((st) => !idempotent(st));
  if (!unsafe) return undefined;
  return `it runs without a transaction, so a failure can leave part of it behind, and its down is not safe to run then: line ${unsafe.line} (${unsafe.sql.split('\n')[0].slice(0, 80)}) fails on what is not there. Write the down with IF EXISTS`;
}

/** What the net does for `plan` in this environment: backup, checks, and which steps it could undo. */
export function safetyNet(plan: Plan, net: NetSettings, isProtected: boolean, backupTables: string[]): SafetyNet {
  const rollbackOnFailure = net.rollbackOnFailure && plan.direction === 'up';
  const irreversible: SafetyNet['irreversible'] = [];
  const reversible: string[] = [];
  if (rollbackOnFailure) {
    for (const step of plan.steps) {
      const why = whyIrreversible(step);
      if (why) irreversible.push({ version: step.migration.version, name: step.migration.name, why });
      else reversible.push(step.migration.version);
    }
  }
  const health: SafetyNet['health'] = [];
  if (net.healthCheckSql) health.push({ kind: 'sql', target: net.healthCheckSql });
  if (net.healthCheckUrl) health.push({ kind: 'url', target: net.healthCheckUrl });
  const mode = backupMode(net, isProtected);
  return { backup: mode, backupTables: mode === 'auto' ? backupTables : [], health, rollbackOnFailure, reversible: reversible.reverse(), irreversible };
}

/** With rollback-on-failure, a run that could not be undone is refused before anything runs. */
export function checkReversible(n: SafetyNet, net: NetSettings): void {
  if (!n.rollbackOnFailure || !n.irreversible.length || net.allowIrreversible) return;
  throw new ValidationError(
    `refused before anything ran: --rollback-on-failure is set, but ${n.irreversible.length === 1 ? 'a pending migration' : `${n.irreversible.length} pending migrations`} cannot be rolled back automatically:\n${n.irreversible
      .map((i) => `  - ${i.version} ${i.name}: ${i.why}`)
      .join('\n')}\nGive each a down that can undo it, or pass --allow-irreversible to run anyway (a failure after them leaves them applied).`,
    [],
  );
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** One try of a check: whether it passed, and what it returned, in words. */
type Probe = (budgetMs: number) => Promise<{ passed: boolean; returned: string }>;

/** Tries `probe` until it passes or `timeoutMs` is spent (at least once), with backoff between tries. */
async function retried(kind: HealthResult['kind'], target: string, probe: Probe, timeoutMs: number, signal?: AbortSignal): Promise<HealthResult> {
  const started = performance.now();
  const deadline = started + timeoutMs;
  let tries = 0;
  let last: { passed: boolean; returned: string };
  for (let delay = 1000; ; delay = Math.min(delay * 2, 10_000)) {
    tries++;
    // Each try gets what is left, but at least a few seconds: a 0s timeout still means one real try.
    last = await probe(Math.round(Math.max(5000, deadline - performance.now())));
    if (last.passed || signal?.aborted || performance.now() + delay > deadline) break;
    await sleep(delay, signal);
  }
  return { kind, target, ...last, tries, durationMs: Math.round(performance.now() - started) };
}

/** The value of a health query's first column, as its verdict. */
function verdictOf(rows: Record<string, unknown>[]): { passed: boolean; returned: string } {
  if (!rows.length) return { passed: false, returned: 'no rows' };
  const v = Object.values(rows[0])[0];
  if (v === true || v === 't' || v === 'true') return { passed: true, returned: 'true' };
  if (v === false || v === 'f' || v === 'false') return { passed: false, returned: 'false' };
  return { passed: false, returned: `${v === null ? 'null' : JSON.stringify(v)} (not true)` };
}

export interface HealthContext {
  /** The target database (health queries run read-only, on a connection of their own). */
  sql: Sql;
  redactor: Redactor;
  signal?: AbortSignal;
  afterRollback?: boolean;
}

/** The configured health checks, each retried until it passes or the timeout is spent; in parallel. */
export async function runHealthChecks(net: NetSettings, c: HealthContext): Promise<HealthResult[]> {
  const checks: Promise<HealthResult>[] = [];
  const query = net.healthCheckSql;
  if (query) {
    checks.push(
      retried(
        'sql',
        query,
        async (budget) => {
          try {
            // Read-only: a health check never changes the database it checks.
            const rows = await c.sql.begin('read only', async (tx) => {
              await tx.unsafe(`set local statement_timeout = ${Math.round(budget)}`);
              return (await tx.unsafe(query)) as unknown as Record<string, unknown>[];
            });
            return verdictOf(rows);
          } catch (err) {
            return { passed: false, returned: `error: ${c.redactor.redact((err as Error).message)}` };
          }
        },
        net.healthCheckTimeoutMs,
        c.signal,
      ),
    );
  }
  const url = net.healthCheckUrl;
  if (url) {
    checks.push(
      retried(
        'url',
        c.redactor.redact(url),
        async (budget) => {
          try {
            const res = await fetch(url, { signal: AbortSignal.any([AbortSignal.timeout(Math.round(Math.min(budget, 30_000))), ...(c.signal ? [c.signal] : [])]), redirect: 'follow' });
            await res.body?.cancel().catch(() => {});
            return { passed: res.ok, returned: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}` };
          } catch (err) {
            const e = err as Error & { cause?: { code?: string; message?: string } };
            const why = e.name === 'TimeoutError' ? 'no answer in time' : (e.cause?.code ?? e.cause?.message ?? e.message);
            return { passed: false, returned: `error: ${c.redactor.redact(why)}` };
          }
        },
        net.healthCheckTimeoutMs,
        c.signal,
      ),
    );
  }
  return (await Promise.all(checks)).map((r) => (c.afterRollback ? { ...r, afterRollback: true } : r));
}

/** "the health check failed (sql: false after 3 tries)". */
export function healthFailure(results: HealthResult[]): string {
  const failed = results.filter((r) => !r.passed);
  return `the health check failed (${failed.map((r) => `${r.kind}: ${r.returned}${r.tries > 1 ? ` after ${r.tries} tries` : ''}`).join('; ')})`;
}

/**
 * Rolls back, newest first with their downs, the steps this run applied (and a failed non-transactional
 * one, whose down is safe after a partial failure: checked before the run). Stops at the first down that
 * fails: what is still applied is then exactly said.
 */
export async function rollBack(
  applied: PlannedStep[],
  failed: { step: PlannedStep; error: MigrationError } | undefined,
  reason: string,
  o: Omit<ExecuteOptions, 'singleTransaction'> & { sql: ReservedSql },
): Promise<{ rollback: AutoRollback; steps: StepResult[] }> {
  const undo = [...applied].reverse();
  // A non-transactional migration that failed part-way is marked failed: its down clears what it left.
  if (failed && !failed.step.transactional && failed.error.outcome === 'failed-needs-resolve' && !whyIrreversible(failed.step)) undo.unshift(failed.step);
  // A repeatable is skipped (the next run makes it again); a migration with no down (allowed by
  // --allow-irreversible) stops the rollback there: undoing what came before it could break it.
  const reversible = undo.filter((s) => !s.migration.repeatable);
  const stop = reversible.findIndex((s) => !s.migration.down);
  const chosen = stop < 0 ? reversible : reversible.slice(0, stop);
  const versions = reversible.map((s) => s.migration.version);
  const problems: ValidationProblem[] = [];
  const downs = chosen.map((s) => {
    const d = planStep(s.migration, 'down', problems);
    const note = `automatic rollback: ${reason}`;
    return { ...d, historyNote: d.historyNote === EMPTY_DOWN_NOTE ? `${note}; ${EMPTY_DOWN_NOTE}` : note };
  });
  const outcome = await executePlan(downs, { ...o, singleTransaction: false });
  const rolledBack = outcome.steps.filter((s) => s.status === 'rolled-back').map((s) => s.version);
  const done = new Set(rolledBack);
  // What this run applied and could not undo (irreversible, allowed by --allow-irreversible, or the rollback stopped).
  const stillApplied = [...applied]
    .reverse()
    .map((s) => s.migration.version)
    .filter((v) => !done.has(v));
  const error = outcome.error
    ? `rolling back ${outcome.error.version} (${outcome.error.name}) failed at ${outcome.error.path}:${outcome.error.line}:${outcome.error.column}: ${outcome.error.message}`
    : stop >= 0
      ? `${reversible[stop].migration.version} (${reversible[stop].migration.name}) has no down: the rollback stopped there`
      : undefined;
  return { rollback: { reason, versions, rolledBack, stillApplied, error }, steps: outcome.steps };
}
