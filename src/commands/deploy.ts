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
import { drift, migrationsModel, targetModel, verify } from './verify';
import { describeDifference, EXPECTED_ACTUAL, render, type Difference } from '../schema';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { nameOf } from '../settings';
import { ruleDocs } from '../lint/docs';
import { failedVerdicts } from '../schema/proof';
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
  /** A dry run only: prove the pending migrations on a shadow database (verify) and show what they change. */
  shadow?: { url: string; verify: boolean; allowNoDown: boolean };
  /** A deploy to a protected environment: compare the live schema with its migrations first (drift), and refuse on drift when `fail`. */
  drift?: { shadowUrl: string; fail: boolean };
  /**
   * A file holding the schema as `pgshift dump` writes it: rewritten after a successful deploy; on a dry
   * run with a shadow, a committed file that differs from what the migrations produce is a finding.
   */
  schemaFile?: string;
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
  let drifted: Difference[] | undefined;
  const done = (o: Outcome) => finish(sink, { ...o, drift: drifted }, req);
  try {
    checkGuard(f.environment, req.selection.direction, req.confirm, req.safety);
    if (!req.databaseUrl) throw new ConfigError('no database given: pass --database-url or set DATABASE_URL.');
    if (f.protected && req.drift) {
      // Before anything changes: does the live schema still match what its applied migrations make?
      drifted = (await drift({ ...req, shadowUrl: req.drift.shadowUrl, onEvent: f.onEvent })).differences;
      for (const d of drifted) f.onEvent({ type: 'warning', message: `drift in ${f.environment}: ${describeDifference(d, EXPECTED_ACTUAL)}` });
      if (drifted.length && req.drift.fail) {
        throw new ValidationError(
          `the database in ${f.environment} has drifted from its migrations (${drifted.length} difference${drifted.length === 1 ? '' : 's'}, listed above): refused because ${nameOf('failOnDrift', 'cli')} is set. Put each hand-made change into a migration (or undo it), then deploy again.`,
          [],
        );
      }
    }
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
    if (result.error) return await done({ ...common, status: 'failed', incident: true, error: new MigrationFailedError(failureMessage(result.error), result.error) });
    const schemaFile = req.schemaFile ? await writeSchemaFile(req, req.schemaFile) : undefined;
    return await done({ ...common, status: result.status === 'failed' ? 'failed' : result.status, incident: false, schemaFile });
  } catch (err) {
    return done(stopped(err, f, reviewed));
  }
}

/** The dry run: the plan, its findings and what the policy would refuse here; read-only. */
export async function dryRun(req: DeployRequest, sink: Sink): Promise<Outcome> {
  const f = frame(req, 'plan', sink);
  try {
    let p: Plan = await plan({ ...req, onEvent: f.onEvent }, req.selection);
    // Proven only when the plan is not refused already and up is what would run: a down is its own proof.
    if (req.shadow && !p.blocked && p.direction === 'up') p = { ...p, proof: await verify({ ...req, shadowUrl: req.shadow.url, onEvent: f.onEvent }) };
    // A committed schema file is checked against what the migrations produce (on the shadow).
    if (req.shadow && req.schemaFile && existsSync(req.schemaFile)) {
      const stale = await staleSchemaFile(req, req.schemaFile);
      if (stale) p = { ...p, findings: [...p.findings, stale] };
    }
    const unverified = p.proof && req.shadow?.verify ? failedVerdicts(p.proof, req.shadow.allowNoDown) : [];
    if (p.proof && req.shadow?.verify) p.proof.verified = unverified.length === 0;
    const review = { findings: p.findings, refused: f.refusals(p.findings) };
    await sink.planned?.(p, review);
    const blocking = p.problems.filter((x) => x.blocking);
    const error = p.blocked
      ? new ValidationError(`the plan would be refused:\n${blocking.map((x) => `  - ${x.message}`).join('\n')}`, blocking)
      : review.refused.length
        ? policyRefusal(review.refused, `the run would be refused in ${f.environment}`)
        : unverified.length
          ? new ValidationError(
              `the shadow database did not verify ${unverified.length === 1 ? 'a migration' : `${unverified.length} migrations`}:\n${unverified.map((v) => `  - ${v.version} ${v.name}: ${v.verdict}`).join('\n')}`,
              [],
            )
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

/** The target's schema, written as `pgshift dump` writes it, after a deploy that succeeded. */
async function writeSchemaFile(req: DeployRequest, path: string): Promise<string> {
  writeFileSync(path, render(await targetModel(req)));
  return path;
}

/** A finding when the committed schema file is not what the migrations produce; undefined when it is. */
async function staleSchemaFile(req: DeployRequest, path: string): Promise<Finding | undefined> {
  const expected = render((await migrationsModel({ ...req, shadowUrl: req.shadow!.url })).model);
  const committed = readFileSync(path, 'utf8').replace(/\r\n/g, '\n');
  if (committed === expected) return undefined;
  const a = committed.split('\n');
  const b = expected.split('\n');
  let line = 0;
  while (line < a.length && line < b.length && a[line] === b[line]) line++;
  return {
    rule: 'stale-schema-file',
    severity: 'warning',
    message: `${path} is stale: it is not the schema the migrations produce (first difference at line ${line + 1}: ${JSON.stringify(a[line] ?? '(end of file)')} where the migrations give ${JSON.stringify(b[line] ?? '(end of file)')}). Run pgshift dump --from-migrations --out ${path} and commit it.`,
    path,
    line: line + 1,
    column: 1,
    version: '',
    destructive: false,
    docs: ruleDocs('stale-schema-file'),
  };
}
