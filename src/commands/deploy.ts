// A deploy and its dry run, with every decision made once for every shell: the protected-environment
// guard → the plan on record (protected environments) → the safety policy under the lock → migrate →
// an Outcome (status, incident, counts). Never throws a pgshift error: whatever happens is an Outcome
// handed to the sink, and returned.
import { ConfigError, ConnectionError, LockError, MigrationFailedError, PgshiftError, PolicyError, UnexpectedError, ValidationError } from '../errors';
import type { Selection } from '../plan/plan';
import type { Sink } from '../report/sink';
import { SETTINGS } from '../settings';
import type { Baseline, EngineEvent, Finding, LintConfig, MigrationError, Plan } from '../types';
import { migrate, type MigrateOptions } from './migrate';
import type { Outcome, Review } from './outcome';
import { plan, type AssumedMigration } from './plan';
import { checkGuard, isProtected, policyRefusal, refusedFindings, type SafetySettings } from './policy';
import { redactorFor } from './session';

export interface DeployRequest extends Omit<MigrateOptions, 'lint' | 'lintPolicy'> {
  selection: Selection;
  /** Rule settings for the linter (pgshift.json). */
  lint: LintConfig;
  safety: SafetySettings;
  /** MIGRATE-<ENV>: allows a down in a protected environment. */
  confirm?: string;
  /** A dry run only: what a base commit says is applied, instead of a database (see PlanOptions). */
  baseline?: Baseline;
  /** A dry run only: what a dry-run adoption would record (see PlanOptions). */
  assumeApplied?: AssumedMigration[];
}

const NO_REVIEW: Review = { findings: [], refused: [] };

interface Frame {
  command: Outcome['command'];
  environment: string;
  protected: boolean;
  refusals: (findings: Finding[]) => Finding[];
  onEvent: (e: EngineEvent) => void;
}

function frame(req: DeployRequest, command: Outcome['command'], sink: Sink): Frame {
  const environment = req.environment ?? SETTINGS.environment.default;
  const prot = isProtected(environment, req.safety);
  return {
    command,
    environment,
    protected: prot,
    refusals: (findings) => refusedFindings(findings, { ...req.safety, protected: prot }),
    onEvent: (e) => {
      req.onEvent?.(e);
      sink.event?.(e);
    },
  };
}

/** One line naming where a migration failed and what state it left. */
export function failureMessage(f: MigrationError): string {
  if (f.connectionLost) {
    const state: Record<MigrationError['outcome'], string> = {
      'rolled-back': 'the server rolled it back',
      committed: 'its COMMIT had reached the server: it took effect',
      unknown: 'whether it committed is not known: run "pgshift status"',
      'failed-needs-resolve': `it stays marked running: run "pgshift resolve ${f.version}" after checking the database`,
    };
    return `the connection to Postgres was lost while migration ${f.version} (${f.name}) ran (${f.path}:${f.line}:${f.column}): ${f.connectionLost}; ${state[f.outcome]}.`;
  }
  return `migration ${f.version} (${f.name}) failed at ${f.path}:${f.line}:${f.column}: ${f.message}. ${
    f.outcome === 'rolled-back' ? 'It was rolled back.' : `It is marked failed: run "pgshift resolve ${f.version}" after checking the database.`
  }`;
}

/**
 * Anything that stopped a command before a migration ran. A refusal (bad settings, the guard, the files,
 * the safety policy) is `refused`; a database that could not be reached, a lock that was not had, or a
 * bug is `failed`. Only a deploy is an incident: a dry run reports in its plan instead.
 */
function stopped(err: unknown, f: Frame, reviewed: Finding[] | undefined): Outcome {
  const error = err instanceof PgshiftError ? err : new UnexpectedError(err);
  const refused = error instanceof ConfigError || error instanceof ValidationError || error instanceof PolicyError;
  const review = error instanceof PolicyError && error.findings.length ? { findings: reviewed ?? error.findings, refused: error.findings } : NO_REVIEW;
  // The guard's refusal is a person's missing confirmation, not an incident; the files or the policy
  // refusing a deploy is (somebody merged what cannot ship).
  const guard = error instanceof PolicyError && error.findings.length === 0;
  const incident =
    f.command !== 'plan' &&
    !guard &&
    (error instanceof ValidationError || error instanceof PolicyError || error instanceof LockError || error instanceof ConnectionError || error instanceof UnexpectedError);
  return { command: f.command, status: refused ? 'refused' : 'failed', incident, environment: f.environment, protected: f.protected, review, error, applied: [] };
}

async function finish(sink: Sink, outcome: Outcome, req: DeployRequest): Promise<Outcome> {
  if (outcome.error) outcome.error.message = redactorFor(req).redact(outcome.error.message);
  await sink.finished(outcome);
  return outcome;
}

/** A deploy stopped by what had to come first (a repair the run asked for): its Outcome, classified as above. */
export function stoppedDeploy(req: DeployRequest, err: unknown, sink: Sink): Promise<Outcome> {
  return finish(sink, stopped(err, frame(req, req.selection.direction, sink), undefined), req);
}

/** up or down, as a deploy: guard, plan on record when protected, policy under the lock, migrate. */
export async function deploy(req: DeployRequest, sink: Sink): Promise<Outcome> {
  const f = frame(req, req.selection.direction, sink);
  let reviewed: Finding[] | undefined;
  try {
    checkGuard(f.environment, req.selection.direction, req.confirm, req.safety);
    if (!req.databaseUrl) throw new ConfigError('no database given: pass --database-url or set DATABASE_URL.');
    if (f.protected) {
      // In a protected environment the plan is on record before anything is applied.
      const onRecord = await plan({ ...req, baseline: undefined, onEvent: f.onEvent }, req.selection);
      await sink.planned?.(onRecord, { findings: onRecord.findings, refused: f.refusals(onRecord.findings) });
    }
    // The engine checks the findings again under the migration lock, before anything runs.
    const result = await migrate({ ...req, onEvent: f.onEvent, lintPolicy: (findings) => f.refusals((reviewed = findings)) }, req.selection);
    const applied = result.steps.filter((s) => s.status === 'applied' || s.status === 'rolled-back').map((s) => s.version);
    const pendingAfter = result.direction === 'up' ? Math.max(0, result.plan.pendingCount - applied.length) : result.plan.pendingCount + applied.length;
    const common = {
      command: f.command,
      environment: f.environment,
      protected: f.protected,
      plan: result.plan,
      result,
      review: { findings: result.plan.findings, refused: [] },
      applied,
      pendingAfter,
      currentVersion: result.currentVersion,
    };
    if (result.error) return await finish(sink, { ...common, status: 'failed', incident: true, error: new MigrationFailedError(failureMessage(result.error), result.error) }, req);
    return await finish(sink, { ...common, status: result.status === 'failed' ? 'failed' : result.status, incident: false }, req);
  } catch (err) {
    return finish(sink, stopped(err, f, reviewed), req);
  }
}

/** The dry run: the plan, its findings and what the policy would refuse here; read-only. */
export async function dryRun(req: DeployRequest, sink: Sink): Promise<Outcome> {
  const f = frame(req, 'plan', sink);
  try {
    const p: Plan = await plan({ ...req, onEvent: f.onEvent }, req.selection);
    const review = { findings: p.findings, refused: f.refusals(p.findings) };
    await sink.planned?.(p, review);
    const blocking = p.problems.filter((x) => x.blocking);
    const error = p.blocked
      ? new ValidationError(`the plan would be refused:\n${blocking.map((x) => `  - ${x.message}`).join('\n')}`, blocking)
      : review.refused.length
        ? policyRefusal(review.refused, `the run would be refused in ${f.environment}`)
        : undefined;
    return await finish(
      sink,
      {
        command: 'plan',
        status: error ? 'refused' : 'planned',
        incident: false,
        environment: f.environment,
        protected: f.protected,
        plan: p,
        review,
        error,
        applied: [],
        pendingAfter: p.pendingCount,
        currentVersion: p.currentVersion,
      },
      req,
    );
  } catch (err) {
    return finish(sink, stopped(err, f, undefined), req);
  }
}
