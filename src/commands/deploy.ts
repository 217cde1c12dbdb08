// A deploy and its dry run, with every decision made once for every shell: the protected-environment
// guard → the plan on record (protected environments) → the safety policy under the lock → migrate →
// an Outcome (status, incident, counts). Never throws a pgshift error: whatever happens is an Outcome
// handed to the sink, and returned.
import { BackupError, ConfigError, ConnectionError, HealthCheckError, LockError, MigrationFailedError, PgshiftError, PolicyError, RollbackError, UnexpectedError, ValidationError } from '../errors';
import type { Selection } from '../plan/plan';
import type { Sink } from '../report/sink';
import { SETTINGS } from '../settings';
import type { Baseline, EngineEvent, Finding, LintConfig, MigrationError, Plan } from '../types';
import { migrate, migrateLocked, type MigrateOptions } from './migrate';
import { backupTables, dataAtRisk } from './backup';
import { findPgDump, serverMajor, takeBackup } from '../db/backup';
import { checkReversible, hasNet, healthFailure, rollBack, runHealthChecks, safetyNet, type NetSettings } from './safety-net';
import { withLock, withSession, defaultActor, type Session } from './session';
import type { ReservedSql } from '../db/connect';
import type { AutoRollback, BackupReport, HealthResult, SafetyNet } from './outcome';
import type { PlannedStep, RunResult } from '../types';
import { buildPlan } from '../plan/plan';
import { versionId } from '../files/version';
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
  /** The production safety net: backup before, health checks after, automatic rollback. */
  net?: NetSettings;
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
    (error instanceof ValidationError ||
      error instanceof PolicyError ||
      error instanceof LockError ||
      error instanceof ConnectionError ||
      error instanceof BackupError ||
      error instanceof UnexpectedError);
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
  const started = performance.now();
  const done = (o: Outcome) => finish(sink, { ...o, drift: drifted, durationMs: Math.round(performance.now() - started) }, req);
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
      let onRecord = await plan({ ...req, baseline: undefined, onEvent: f.onEvent }, req.selection);
      if (req.net && hasNet(req.net, f.protected)) onRecord = { ...onRecord, net: safetyNet(onRecord, req.net, f.protected, atRisk(onRecord)) };
      await sink.planned?.(onRecord, { findings: onRecord.findings, refused: f.refusals(onRecord.findings) });
    }
    // The engine checks the findings again under the migration lock, before anything runs.
    const o: MigrateOptions = { ...req, onEvent: f.onEvent, lintPolicy: (findings) => f.refusals((reviewed = findings)) };
    const { result, net }: { result: RunResult; net?: NetDone } = req.net && hasNet(req.net, f.protected) ? await underNet(req, req.net, f, o) : { result: await migrate(o, req.selection) };
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
    const netFields = { backup: net?.backup, health: net?.health.length ? net.health : undefined, rollback: net?.rollback, net: net?.shown };
    if (net?.rollback) return await done({ ...common, ...netFields, ...afterRollback(net.rollback, result, common.applied, net.currentVersion) });
    if (result.error) return await done({ ...common, ...netFields, status: 'failed', incident: true, error: new MigrationFailedError(failureMessage(result.error), result.error) });
    const unhealthy = net?.health.filter((h) => !h.passed) ?? [];
    if (unhealthy.length) {
      const error = new HealthCheckError(
        `${healthFailure(net!.health)} after the run${applied.length ? `; ${applied.length === 1 ? 'the migration it applied stays' : `the ${applied.length} migrations it applied stay`} applied (--rollback-on-failure was not set)` : ''}.`,
      );
      return await done({ ...common, ...netFields, status: 'failed', incident: true, error });
    }
    const schemaFile = req.schemaFile ? await writeSchemaFile(req, req.schemaFile) : undefined;
    return await done({ ...common, ...netFields, status: result.status === 'failed' ? 'failed' : result.status, incident: false, schemaFile });
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
    // What the safety net would do: the backup's tables, the checks, which migrations a failure would undo.
    const net = req.net && hasNet(req.net, f.protected) ? safetyNet(p, req.net, f.protected, atRisk(p)) : undefined;
    if (net) p = { ...p, net };
    const irreversible = net && req.net ? reversibility(net, req.net) : undefined;
    const unverified = p.proof && req.shadow?.verify ? failedVerdicts(p.proof, req.shadow.allowNoDown) : [];
    if (p.proof && req.shadow?.verify) p.proof.verified = unverified.length === 0;
    const review = { findings: p.findings, refused: f.refusals(p.findings) };
    await sink.planned?.(p, review);
    const blocking = p.problems.filter((x) => x.blocking);
    const error = p.blocked
      ? new ValidationError(`the plan would be refused:\n${blocking.map((x) => `  - ${x.message}`).join('\n')}`, blocking)
      : review.refused.length
        ? policyRefusal(review.refused, `the run would be refused in ${f.environment}`)
        : irreversible
          ? irreversible
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
        net,
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

/** The tables a dry run names for an auto backup: what the pending migrations change destructively (not checked against the database). */
function atRisk(p: Plan): string[] {
  const { tables, schemas } = dataAtRisk(p);
  return [...new Set([...tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)), ...schemas.map((n) => `${n}.*`)])].sort();
}

/** The refusal a deploy with rollback-on-failure would meet, as an error; undefined when it would run. */
function reversibility(net: SafetyNet, settings: NetSettings): ValidationError | undefined {
  try {
    checkReversible(net, settings);
    return undefined;
  } catch (err) {
    return err as ValidationError;
  }
}

/** What the safety net did around a run. */
interface NetDone {
  shown?: SafetyNet;
  backup?: BackupReport;
  health: HealthResult[];
  rollback?: AutoRollback;
  /** Highest applied version after the automatic rollback. */
  currentVersion?: string | null;
}

/**
 * The run with its safety net, all under one migration lock so that nothing else deploys in between:
 * refuse what could not be undone, back up, apply, check health, roll back what this run applied.
 */
async function underNet(req: DeployRequest, net: NetSettings, f: Frame, o: MigrateOptions): Promise<{ result: RunResult; net: NetDone }> {
  const done: NetDone = { health: [] };
  const result = await withSession(req, (s) =>
    withLock(s, req, async (sql) => {
      const r = await migrateLocked(
        s,
        sql,
        {
          ...o,
          beforeRun: async (p, locked) => {
            // Decided before anything is written: a run that could not be undone or backed up is refused here.
            const shown = (done.shown = safetyNet(p, net, f.protected, []));
            checkReversible(shown, net);
            const tool = shown.backup !== 'none' ? await findPgDump({ path: net.pgDump, serverMajor: await serverMajor(locked), env: net.env }) : undefined;
            await req.beforeRun?.(p, locked);
            if (!tool || shown.backup === 'none') return;
            shown.backupTables = shown.backup === 'auto' ? await backupTables(locked, p) : [];
            done.backup = await takeBackup({
              tool,
              databaseUrl: req.databaseUrl!,
              mode: shown.backup,
              dataTables: shown.backupTables,
              dir: net.backupDir,
              sql: locked,
              label: f.environment,
              redactor: s.redactor,
              signal: req.signal,
            });
            f.onEvent({ type: 'backup', report: done.backup! });
          },
        },
        req.selection,
      );
      // A run with nothing pending never reached beforeRun: its health is still checked.
      done.shown ??= safetyNet(r.plan, net, f.protected, []);
      await afterRun(r, s, sql, req, net, f, done);
      return r;
    }),
  );
  return { result, net: done };
}

/** Health checks after the run, and the automatic rollback when the run or the checks failed. */
async function afterRun(r: RunResult, s: Session, sql: ReservedSql, req: DeployRequest, net: NetSettings, f: Frame, done: NetDone): Promise<void> {
  const checks = async (afterRollback: boolean): Promise<HealthResult[]> => {
    if (!done.shown?.health.length) return [];
    // A connection of its own: the session's one holds the lock (and may be the one that was lost).
    const own = await s.reopen();
    try {
      const results = await runHealthChecks(net, { sql: own.sql, redactor: s.redactor, signal: req.signal, afterRollback });
      for (const result of results) f.onEvent({ type: 'health', result });
      return results;
    } finally {
      await own.close();
    }
  };
  const ran = r.plan.steps.filter((st) => r.steps.some((x) => versionId(x.version) === versionId(st.migration.version) && x.status === 'applied'));
  const upRun = net.rollbackOnFailure && r.direction === 'up' && !req.signal?.aborted;
  let reason: string | undefined;
  let failed: { step: PlannedStep; error: NonNullable<RunResult['error']> } | undefined;
  if (r.error) {
    const step = r.plan.steps.find((st) => versionId(st.migration.version) === versionId(r.error!.version));
    if (step) failed = { step, error: r.error };
    if (upRun) reason = `migration ${r.error.version} (${r.error.name}) failed`;
  } else {
    done.health = await checks(false);
    if (upRun && done.health.some((h) => !h.passed)) reason = healthFailure(done.health);
  }
  const failedPartly = failed && !failed.step.transactional && failed.error.outcome === 'failed-needs-resolve';
  if (!reason || (!ran.length && !failedPartly)) return;
  f.onEvent({ type: 'rollback-start', reason, versions: [...ran].reverse().map((st) => st.migration.version) });
  const undo = async (locked: ReservedSql, session: Session) => {
    const { rollback } = await rollBack(ran, failed, reason!, {
      sql: locked,
      tracking: session.tracking,
      lockTimeout: String(req.lockTimeoutMs ?? SETTINGS.lockTimeout.default),
      statementTimeout: req.statementTimeoutMs !== undefined ? String(req.statementTimeoutMs) : undefined,
      lockRetries: req.lockRetries ?? SETTINGS.lockRetries.default,
      retryDelayMs: req.retryDelayMs,
      actor: req.actor ?? defaultActor(),
      environment: f.environment,
      redactor: session.redactor,
      onEvent: f.onEvent,
      lifeline: session.lifeline,
    });
    done.rollback = rollback;
    done.currentVersion = buildPlan(session.catalog, { ...(await session.tracking.read(locked)), databaseChecked: true }, { direction: 'up', steps: 0 }).currentVersion;
  };
  try {
    // The connection the run used may be gone (the failure was its loss): then a new one, with the lock again.
    if (s.lifeline.lost) await withSession(req, (again) => withLock(again, req, (locked) => undo(locked, again)));
    else await undo(sql, s);
  } catch (err) {
    const versions = [...ran].reverse().map((st) => st.migration.version);
    done.rollback = { reason, versions, rolledBack: done.rollback?.rolledBack ?? [], stillApplied: done.rollback?.stillApplied ?? versions, error: s.redactor.redact((err as Error).message) };
  }
  done.health.push(...(await checks(true).catch(() => [])));
}

/** The outcome of a run the safety net rolled back: rolled-back when the rollback was whole, failed when it stopped. */
function afterRollback(rb: AutoRollback, result: RunResult, applied: string[], current: string | null | undefined): Pick<Outcome, 'status' | 'incident' | 'error' | 'currentVersion' | 'pendingAfter'> {
  const list = (vs: string[]) => vs.join(', ');
  const n = rb.rolledBack.length;
  const undone = n ? `rolled back ${n === 1 ? 'the migration' : `the ${n} migrations`} this run applied (${list(rb.rolledBack)}, newest first)` : 'rolled back nothing';
  const message = rb.error
    ? `the automatic rollback did not finish: ${list(rb.stillApplied)} ${rb.stillApplied.length === 1 ? 'is' : 'are'} still applied. ${rb.reason}; then ${rb.error}. ${undone}. Check the database, then roll back the rest by hand (pgshift down) or fix forward.`
    : `${rb.reason}: ${undone}.${rb.stillApplied.length ? ` Still applied: ${list(rb.stillApplied)} (they could not be rolled back automatically).` : ''}`;
  return {
    status: rb.error ? 'failed' : 'rolled-back',
    incident: true,
    error: new RollbackError(message, rb, result.error),
    currentVersion: current,
    pendingAfter: result.plan.pendingCount - applied.length + n,
  };
}
