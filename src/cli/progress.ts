// The terminal Sink: each migration as it runs (a long one gets a "still running" line every 10 s), the
// plan a protected environment puts on record, and the result of up/down.
import { HealthCheckError, MigrationFailedError, PgshiftError, RollbackError, UnexpectedError, type Confirmation, type Outcome, type Review } from '../commands';
import { toJson } from '../report/json';
import type { Sink } from '../report/sink';
import { backupLine, healthLine } from '../report/net';
import { displayMessage, displayPath, formatMs, renderFailure, renderFindings, renderPlan, renderTally, stepLabel } from '../report/text';
import type { EngineEvent, Plan, PlannedStep } from '../types';
import { exitCodeOf } from './exit-codes';

export interface Terminal {
  out: (text: string) => void;
  err: (text: string) => void;
}

export function terminalSink(io: Terminal, opts: { json: boolean; verbose: boolean }): Sink {
  let timer: NodeJS.Timeout | undefined;
  let current: { step: PlannedStep; started: number; statement?: string } | undefined;
  // The plan on record (a protected environment) already listed the findings.
  let findingsShown = false;
  // With --json, stdout carries the JSON alone: progress goes to stderr.
  const say = (line: string) => (opts.json ? io.err(line) : io.out(line));
  const event = (e: EngineEvent): void => {
    switch (e.type) {
      case 'connect-retry':
        io.err(`… ${e.message}`);
        break;
      case 'lock-wait':
        io.err(`… waiting for the migration lock${e.holder ? ` held by pid ${e.holder.pid} (${e.holder.applicationName || 'unknown'})` : ''} (${Math.round(e.waitedMs / 1000)}s)`);
        break;
      case 'tracking-created':
        if (opts.verbose) say(`created ${e.schema}.schema_migrations and ${e.schema}.migration_history`);
        break;
      case 'tracking-adopted':
        say(`adopted dbmate's ${e.schema}.schema_migrations (${e.rows} applied migrations kept; checksums taken from the current files)`);
        break;
      case 'step-start':
        current = { step: e.step, started: Date.now() };
        if (opts.verbose) say(`${e.step.direction === 'up' ? '↑' : '↓'} ${stepLabel(e.step)} (${e.index + 1}/${e.total}, ${e.step.transactional ? 'transactional' : 'non-transactional'})…`);
        clearInterval(timer);
        timer = setInterval(() => {
          if (current) say(`  … ${stepLabel(current.step)} still running (${Math.round((Date.now() - current.started) / 1000)} s${current.statement ? `, ${current.statement}` : ''})`);
        }, 10_000);
        timer.unref();
        break;
      case 'statement-start':
        if (current) current.statement = `statement ${e.statementNumber}/${e.statementCount}`;
        break;
      case 'step-retry':
        say(`  ↻ ${stepLabel(e.step)}: ${e.message}; retry ${e.attempt} in ${formatMs(e.delayMs)}`);
        break;
      case 'step-done':
        clearInterval(timer);
        say(`${e.result.direction === 'up' ? '✓ applied    ' : '✓ rolled back'} ${stepLabel(e.step)}  ${formatMs(e.result.durationMs)}`);
        break;
      case 'step-failed':
        clearInterval(timer);
        break;
      case 'warning':
        io.err(`warning: ${e.message}`);
        break;
      case 'backup':
        say(`✓ backed up  ${displayPath(e.report.file)}  ${backupLine(e.report)}`);
        break;
      case 'health':
        say(healthLine(e.result));
        break;
      case 'rollback-start':
        io.err(`↩ ${e.reason}: rolling back what this run applied (${e.versions.join(', ')}), newest first`);
        break;
    }
  };
  return {
    event,
    planned(plan: Plan, _review: Review) {
      // Only a protected deploy puts its plan on record before running: show what is about to happen.
      say(`Plan for protected environment:\n${renderPlan(plan)}\n`);
      findingsShown = true;
    },
    finished(o: Outcome) {
      clearInterval(timer);
      // A run the safety net judged (health check, rollback) has its result to show first.
      const judged = o.result && (o.error instanceof HealthCheckError || o.error instanceof RollbackError);
      if (o.error && !(o.error instanceof MigrationFailedError) && !judged) return printError(io, o.error, opts.json);
      const result = o.result!;
      if (opts.json) return io.out(toJson({ ...result, ...(o.backup && { backup: o.backup }), ...(o.health && { health: o.health }), ...(o.rollback && { rollback: o.rollback }) }));
      // The .sql files that are not migrations are said last, where they are not lost above the result.
      const ignored = result.plan.problems.filter((p) => p.kind === 'unmatched');
      for (const problem of result.plan.problems) if (problem.kind !== 'unmatched') io.err(`warning: ${displayMessage(problem.message)}`);
      // What was applied carried these findings: said as plan says them, before the result.
      const findings = result.plan.findings;
      if (result.steps.length && findings.length && !findingsShown) say([`Safety (${findings.length} finding${findings.length > 1 ? 's' : ''}):`, ...renderFindings(findings)].join('\n'));
      if (result.error) {
        io.err(renderFailure(result.error));
        io.err(renderTally(result));
      } else if (result.steps.length === 0) io.out(result.direction === 'up' ? `Up to date${result.currentVersion ? ` at ${result.currentVersion}` : ''}: nothing to apply.` : 'Nothing to roll back.');
      else
        io.out(
          `${result.direction === 'up' ? 'Applied' : 'Rolled back'} ${result.steps.length} migration${result.steps.length > 1 ? 's' : ''} in ${formatMs(result.steps.reduce((t, s) => t + s.durationMs, 0))}; current version ${result.currentVersion ?? 'none'}.`,
        );
      for (const problem of ignored) io.err(`warning: ${displayMessage(problem.message)}`);
      if (judged) io.err(`pgshift: ${displayMessage(o.error!.message)}`);
      if (o.backup && o.error) io.err(`The backup taken before the run: ${displayPath(o.backup.file)}. To restore it: ${o.backup.restoreCommand}`);
    },
  };
}

/** A command that stopped before running: its reason on stderr (and as JSON on stdout with --json). */
export function printError(io: Terminal, err: unknown, json: boolean): void {
  if (!(err instanceof PgshiftError) || err instanceof UnexpectedError)
    return io.err(`pgshift: unexpected error: ${(err as Error)?.stack ?? String(err)}\nthis is a bug in pgshift: please report it with the text above.`);
  if (json) io.out(toJson({ error: { type: err.name, message: displayMessage(err.message), exitCode: exitCodeOf(err), problems: 'problems' in err ? err.problems : undefined } }));
  io.err(`pgshift: ${displayMessage(err.message)}`);
}

/** What a person is asked to confirm: why, the migrations in order, the destructive findings, the rows at stake. */
export function renderConfirmation(c: Confirmation): string {
  const arrow = c.plan.direction === 'up' ? '↑' : '↓';
  const out = [c.why, ...c.plan.steps.map((st, i) => `  ${i + 1}. ${arrow} ${stepLabel(st)}  ${displayPath(st.section.path)}:${st.section.startLine}`)];
  if (c.findings.length) out.push(`Destructive finding${c.findings.length > 1 ? 's' : ''}:`, ...renderFindings(c.findings));
  if (c.impact) out.push(c.impact);
  return out.join('\n');
}
