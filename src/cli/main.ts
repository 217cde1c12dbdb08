// The CLI: a thin shell over the engine. Parses flags, calls the engine, prints, returns an exit code.
import { Redactor, redactUrl } from '../db/redact';
import { migrate, newMigration, plan, resolve, status, type EngineOptions } from '../engine';
import { ConfigError, ExitCode, PgshiftError, ValidationError } from '../errors';
import { toJson } from '../report/json';
import { displayMessage, displayPath, formatMs, renderFailure, renderPlan, renderProblems, renderStatus, stepLabel } from '../report/text';
import type { EngineEvent, PlannedStep } from '../types';
import { versionId } from '../files/version';
import { loadLintConfig } from '../lint/config';
import { HELP, parseCli, type CliArgs } from './args';
import { printFindings, runLint } from './lint-command';
import { VERSION } from './version';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

/** Shows each migration as it runs; a long one gets a "still running" line every 10 s. */
function progress(args: CliArgs, io: CliIo): (e: EngineEvent) => void {
  let timer: NodeJS.Timeout | undefined;
  let current: { step: PlannedStep; started: number; statement?: string } | undefined;
  const say = (line: string) => (args.json ? io.err(line) : io.out(line));
  return (e) => {
    switch (e.type) {
      case 'connect-retry':
        io.err(`… ${e.message}`);
        break;
      case 'lock-wait':
        io.err(`… waiting for the migration lock${e.holder ? ` held by pid ${e.holder.pid} (${e.holder.applicationName || 'unknown'})` : ''} (${Math.round(e.waitedMs / 1000)}s)`);
        break;
      case 'tracking-created':
        if (args.verbose) say(`created ${e.schema}.schema_migrations and ${e.schema}.migration_history`);
        break;
      case 'tracking-adopted':
        say(`adopted dbmate's ${e.schema}.schema_migrations (${e.rows} applied migrations kept; checksums taken from the current files)`);
        break;
      case 'step-start':
        current = { step: e.step, started: Date.now() };
        if (args.verbose) say(`${e.step.direction === 'up' ? '↑' : '↓'} ${stepLabel(e.step)} (${e.index + 1}/${e.total}, ${e.step.transactional ? 'transactional' : 'non-transactional'})…`);
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
    }
  };
}

function engineOptions(args: CliArgs, io: CliIo, redactor: Redactor): EngineOptions {
  return {
    dir: args.dir,
    databaseUrl: args.databaseUrl,
    schema: args.schema,
    environment: args.env,
    lockWaitMs: args.lockWaitMs,
    lockTimeout: args.lockTimeout,
    statementTimeout: args.statementTimeout,
    lockRetries: args.lockRetries,
    connectTimeoutMs: args.connectTimeoutMs,
    singleTransaction: args.singleTransaction,
    onEvent: progress(args, io),
    signal: io.signal,
    redactor,
  };
}

async function runCommand(args: CliArgs, io: CliIo, redactor: Redactor): Promise<number> {
  const o = engineOptions(args, io, redactor);
  const selection = { target: args.target, steps: args.steps, allowMissing: args.allowMissing, allowOutOfOrder: args.allowOutOfOrder };
  switch (args.command) {
    case 'help':
      io.out(HELP);
      return ExitCode.ok;
    case 'version':
      io.out(VERSION);
      return ExitCode.ok;
    case 'new': {
      const name = args.positionals.join('_');
      if (!name) throw new ConfigError('pgshift new needs a name: pgshift new add_users_email');
      const path = newMigration(args.dir, name);
      io.out(args.json ? toJson({ path }) : `created ${displayPath(path)}`);
      return ExitCode.ok;
    }
    case 'plan': {
      const direction = args.positionals[0] ?? 'up';
      if (direction !== 'up' && direction !== 'down') throw new ConfigError(`pgshift plan takes up or down, not "${direction}".`);
      const p = await plan({ ...o, lint: loadLintConfig(args.config) }, { ...selection, direction });
      io.out(args.json ? toJson(p) : renderPlan(p));
      return p.blocked ? ExitCode.validation : ExitCode.ok;
    }
    case 'lint': {
      const lintIo = { json: args.json, config: args.config, out: io.out };
      // With a database, what matters is what the next deploy would run: the pending migrations.
      if (args.positionals.length || !args.databaseUrl) return runLint(args.positionals.length ? args.positionals : [args.dir], lintIo);
      loadLintConfig(args.config); // a bad config fails before connecting
      const p = await plan({ ...o, lint: false }, { ...selection, direction: 'up' });
      // The pending files, linted as they are without a database: a pending file that does not parse
      // or cannot be read is an error finding here too (the plan keeps those as problems, not findings).
      const applied = new Set(p.applied.map((r) => versionId(r.version)));
      const unreadable = p.problems.filter((x) => x.blocking && x.kind === 'file' && x.path && !(x.version && applied.has(versionId(x.version)))).map((x) => x.path!);
      const pending = [...new Set([...p.steps.map((st) => st.migration.upPath), ...unreadable])];
      return pending.length ? runLint(pending, lintIo) : printFindings([], lintIo);
    }
    case 'status': {
      const s = await status(o);
      if (args.json) io.out(toJson(s));
      else {
        io.out(renderStatus(s.entries));
        if (s.problems.length) io.out('\n' + renderProblems(s.problems));
      }
      return args.exitCode && s.entries.some((e) => e.state === 'pending') ? 1 : ExitCode.ok;
    }
    case 'up':
    case 'down': {
      if (!args.databaseUrl) throw new ConfigError('no database given: pass --database-url or set DATABASE_URL.');
      const result = await migrate(o, { ...selection, direction: args.command });
      if (args.json) io.out(toJson(result));
      else {
        for (const problem of result.plan.problems) io.err(`warning: ${displayMessage(problem.message)}`);
        if (result.error) io.err(renderFailure(result.error));
        else if (result.steps.length === 0) io.out(result.direction === 'up' ? `Up to date${result.currentVersion ? ` at ${result.currentVersion}` : ''}: nothing to apply.` : 'Nothing to roll back.');
        else io.out(`${result.direction === 'up' ? 'Applied' : 'Rolled back'} ${result.steps.length} migration${result.steps.length > 1 ? 's' : ''} in ${formatMs(result.steps.reduce((t, s) => t + s.durationMs, 0))}; current version ${result.currentVersion ?? 'none'}.`);
      }
      return result.error ? ExitCode.migrationFailed : ExitCode.ok;
    }
    case 'resolve': {
      const version = args.positionals[0];
      if (!version || !args.resolveAs) throw new ConfigError('usage: pgshift resolve <version> --applied|--rolled-back');
      const row = await resolve(o, version, args.resolveAs);
      io.out(args.json ? toJson({ version: row.version, resolvedAs: args.resolveAs }) : `resolved ${row.version} ${row.name} as ${args.resolveAs}.`);
      return ExitCode.ok;
    }
  }
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const redactor = new Redactor();
  const safe = (f: (t: string) => void) => (t: string) => f(redactor.redact(t));
  const sio: CliIo = { ...io, out: safe(io.out), err: safe(io.err) };
  let args: CliArgs | undefined;
  try {
    args = parseCli(argv, io.env);
    redactor.addUrl(args.databaseUrl);
    return await runCommand(args, sio, redactor);
  } catch (err) {
    if (err instanceof PgshiftError) {
      if (args?.json) sio.out(toJson({ error: { type: err.name, message: displayMessage(err.message), exitCode: err.exitCode, problems: err instanceof ValidationError ? err.problems : undefined } }));
      sio.err(`pgshift: ${displayMessage(err.message)}`);
      return err.exitCode;
    }
    sio.err(`pgshift: unexpected error: ${redactUrl((err as Error)?.stack ?? String(err))}`);
    return ExitCode.migrationFailed;
  }
}
