// The CLI shell: flags → a request → a command → an exit code. Every decision is the command's; this
// file only chooses what to print and the number the process leaves with.
import { ConfigError, deploy, dryRun, newMigration, plan, resolve, status, loadLintConfig, pendingPaths, type DeployRequest, type Outcome, type SessionOptions } from '../commands';
import { toJson } from '../report/json';
import { Redactor } from '../report/redact';
import { fanOut } from '../report/sink';
import { displayMessage, displayPath, renderPlan, renderProblems, renderStatus } from '../report/text';
import type { SettingValues } from '../settings';
import { HELP, parseCli, type CliArgs } from './args';
import { ExitCode, exitCodeOf } from './exit-codes';
import { printFindings, runLint } from './lint-command';
import { printError, terminalSink } from './progress';
import { VERSION } from './version';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

function sessionOptions(s: SettingValues, io: CliIo, redactor: Redactor): SessionOptions {
  return { dir: s.dir, databaseUrl: s.databaseUrl || undefined, schema: s.schema, connectTimeoutMs: s.connectTimeout, lockWaitMs: s.lockWait, signal: io.signal, redactor };
}

function deployRequest(args: CliArgs, io: CliIo, redactor: Redactor, direction: 'up' | 'down'): DeployRequest {
  const s = args.settings;
  return {
    ...sessionOptions(s, io, redactor),
    environment: s.environment,
    actor: io.env.GITHUB_ACTOR || undefined,
    lockTimeoutMs: s.lockTimeout,
    statementTimeoutMs: s.statementTimeout,
    lockRetries: s.lockRetries,
    singleTransaction: s.singleTransaction,
    selection: { direction, target: s.target, steps: s.steps, allowMissing: s.allowMissing, allowOutOfOrder: s.allowOutOfOrder },
    lint: loadLintConfig(s.config),
    safety: { protectedEnvironments: s.protectedEnvironments, allowDestructive: s.allowDestructive, failOnLint: s.failOnLint, policy: s.policy },
    confirm: s.confirm || undefined,
  };
}

/** What an outcome leaves the process with. */
function exitCodeOfOutcome(o: Outcome): number {
  if (o.error) return exitCodeOf(o.error);
  return ExitCode.ok;
}

async function runCommand(args: CliArgs, io: CliIo, redactor: Redactor): Promise<number> {
  const s = args.settings;
  const progress = terminalSink(io, { json: s.json, verbose: s.verbose });
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
      const path = newMigration(s.dir, name);
      io.out(s.json ? toJson({ path }) : `created ${displayPath(path)}`);
      return ExitCode.ok;
    }
    case 'plan': {
      const direction = args.positionals[0] ?? 'up';
      if (direction !== 'up' && direction !== 'down') throw new ConfigError(`pgshift plan takes up or down, not "${direction}".`);
      const request = deployRequest(args, io, redactor, direction);
      const outcome = await dryRun(request, {
        event: progress.event,
        finished: (o) => {
          if (!o.plan) return;
          io.out(s.json ? toJson(o.plan) : renderPlan(o.plan));
          // Findings the policy refuses here (a protected environment, fail-on-lint, additive-only).
          if (!o.plan.blocked && o.review.refused.length) io.err(`pgshift: ${displayMessage(o.error!.message)}`);
        },
      });
      if (!outcome.plan) throw outcome.error;
      return outcome.status === 'refused' ? ExitCode.validation : ExitCode.ok;
    }
    case 'lint': {
      const lintIo = { json: s.json, config: s.config, out: io.out };
      // With a database, what matters is what the next deploy would run: the pending migrations.
      if (args.positionals.length || !s.databaseUrl) return runLint(args.positionals.length ? args.positionals : [s.dir], lintIo);
      loadLintConfig(s.config); // a bad config fails before connecting
      const p = await plan(
        { ...sessionOptions(s, io, redactor), onEvent: progress.event, lint: false },
        { direction: 'up', target: s.target, steps: s.steps, allowMissing: s.allowMissing, allowOutOfOrder: s.allowOutOfOrder },
      );
      const pending = pendingPaths(p);
      return pending.length ? runLint(pending, lintIo) : printFindings([], lintIo);
    }
    case 'status': {
      const report = await status({ ...sessionOptions(s, io, redactor), onEvent: progress.event });
      if (s.json) io.out(toJson(report));
      else {
        io.out(renderStatus(report.entries));
        if (report.problems.length) io.out('\n' + renderProblems(report.problems));
      }
      return s.exitCode && report.entries.some((e) => e.state === 'pending') ? 1 : ExitCode.ok;
    }
    case 'up':
    case 'down': {
      const outcome = await deploy(deployRequest(args, io, redactor, args.command), fanOut(progress));
      return exitCodeOfOutcome(outcome);
    }
    case 'resolve': {
      const version = args.positionals[0];
      const as = s.resolveApplied ? 'applied' : s.resolveRolledBack ? 'rolled-back' : undefined;
      if (!version || !as) throw new ConfigError('usage: pgshift resolve <version> --applied|--rolled-back');
      const row = await resolve({ ...sessionOptions(s, io, redactor), onEvent: progress.event, environment: s.environment, actor: io.env.GITHUB_ACTOR || undefined }, version, as);
      io.out(s.json ? toJson({ version: row.version, resolvedAs: as }) : `resolved ${row.version} ${row.name} as ${as}.`);
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
    redactor.addUrl(args.settings.databaseUrl);
    return await runCommand(args, sio, redactor);
  } catch (err) {
    printError(sio, err, !!args?.settings.json);
    return exitCodeOf(err);
  }
}
