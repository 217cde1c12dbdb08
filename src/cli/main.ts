// The CLI shell: flags → a request → a command → an exit code. Every decision is the command's; this
// file only chooses what to print and the number the process leaves with.
import { askBeforeRun, ConfigError, deploy, dryRun, newMigration, plan, resolve, status, loadLintConfig, pendingPaths, type DeployRequest, type Outcome, type SessionOptions } from '../commands';
import { changedHistory, describeRepair, listCandidates, repair } from '../commands';
import { toJson } from '../report/json';
import { connectionUrl } from '../report/credentials';
import { Redactor } from '../report/redact';
import { fanOut } from '../report/sink';
import { displayMessage, displayPath, renderPlan, renderProblems, renderStatus } from '../report/text';
import { SETTINGS, type SettingKey, type SettingValues } from '../settings';
import { commandHelp, HELP, parseCli, type CliArgs } from './args';
import { withEnvFile } from './env-file';
import { ExitCode, exitCodeOf } from './exit-codes';
import { sinceBaseline } from './git';
import { printFindings, runLint } from './lint-command';
import { printError, renderConfirmation, terminalSink } from './progress';
import { VERSION } from './version';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** Where .env is looked for (default: the process's working directory). */
  cwd?: string;
  /**
   * Asks a person a yes/no question. Only an interactive terminal (stdin and stdout TTYs) has one;
   * without it nothing is ever asked.
   */
  ask?: (question: string) => Promise<boolean>;
}

function sessionOptions(s: SettingValues, io: CliIo, redactor: Redactor, given: ReadonlySet<SettingKey>): SessionOptions {
  // --connect-timeout given: a refused connection is retried for all of it, not only a few seconds.
  return {
    dir: s.dir,
    databaseUrl: s.databaseUrl || undefined,
    schema: s.schema,
    connectTimeoutMs: s.connectTimeout,
    connectTimeoutGiven: given.has('connectTimeout'),
    lockWaitMs: s.lockWait,
    signal: io.signal,
    redactor,
  };
}

function deployRequest(args: CliArgs, io: CliIo, redactor: Redactor, direction: 'up' | 'down'): DeployRequest {
  const s = args.settings;
  const selection = { direction, target: s.target, steps: s.steps, allowMissing: s.allowMissing, allowOutOfOrder: s.allowOutOfOrder };
  return {
    ...sessionOptions(s, io, redactor, args.given),
    environment: s.environment,
    actor: io.env.GITHUB_ACTOR || undefined,
    lockTimeoutMs: s.lockTimeout,
    statementTimeoutMs: s.statementTimeout,
    lockRetries: s.lockRetries,
    singleTransaction: s.singleTransaction,
    selection,
    lint: loadLintConfig(s.config),
    safety: { protectedEnvironments: s.protectedEnvironments, allowDestructive: s.allowDestructive, failOnLint: s.failOnLint, policy: s.policy },
    confirm: s.confirm || undefined,
    // A person at a terminal confirms what destroys, under the lock, after the plan is reviewed.
    beforeRun:
      io.ask && !s.yes
        ? askBeforeRun(
            selection,
            (c) => {
              io.err(renderConfirmation(c));
              return io.ask!('Proceed? [y/N] ');
            },
            io.signal,
          )
        : undefined,
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
      // A bare `pgshift` is a usage error: the help goes where errors go.
      if (args.bare) {
        io.err(HELP);
        return ExitCode.usage;
      }
      io.out(args.topic ? commandHelp(args.topic) : HELP);
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
      // --since: git says what is applied, not the database.
      const request = { ...deployRequest(args, io, redactor, direction), baseline: s.since ? sinceBaseline(s.since, s.dir) : undefined };
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
      const lintIo = { json: s.json, config: s.config, out: io.out, err: io.err };
      const paths = args.positionals.length ? args.positionals : [s.dir];
      if (s.since) return runLint(paths, lintIo, sinceBaseline(s.since, paths[0]));
      // With a database, what matters is what the next deploy would run: the pending migrations.
      if (args.positionals.length || !s.databaseUrl) return runLint(paths, lintIo);
      loadLintConfig(s.config); // a bad config fails before connecting
      const p = await plan(
        { ...sessionOptions(s, io, redactor, args.given), onEvent: progress.event, lint: false },
        { direction: 'up', target: s.target, steps: s.steps, allowMissing: s.allowMissing, allowOutOfOrder: s.allowOutOfOrder },
      );
      const pending = pendingPaths(p);
      return pending.length ? runLint(pending, lintIo) : printFindings([], lintIo);
    }
    case 'status': {
      const report = await status({ ...sessionOptions(s, io, redactor, args.given), onEvent: progress.event });
      if (s.json) io.out(toJson(report));
      else {
        io.out(renderStatus(report.entries));
        if (report.problems.length) io.out('\n' + renderProblems(report.problems));
      }
      // An applied history that changed turns the check red (3) before anything pending does (1).
      const changed = changedHistory(report.entries);
      if (s.exitCode && changed.length) {
        if (!s.json) io.err(`pgshift: the applied history changed: ${changed.map((e) => `${e.version} ${e.state}`).join(', ')}. Settle each as the problems above say.`);
        return ExitCode.validation;
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
      const row = await resolve({ ...sessionOptions(s, io, redactor, args.given), onEvent: progress.event, environment: s.environment, actor: io.env.GITHUB_ACTOR || undefined }, version, as);
      io.out(s.json ? toJson({ version: row.version, resolvedAs: as }) : `resolved ${row.version} ${row.name} as ${as}.`);
      return ExitCode.ok;
    }
    case 'repair': {
      if (s.repairAll && args.positionals.length) throw new ConfigError('pass either versions or --all to repair, not both.');
      const ask = io.ask;
      const report = await repair(
        {
          ...sessionOptions(s, io, redactor, args.given),
          onEvent: progress.event,
          environment: s.environment,
          actor: io.env.GITHUB_ACTOR || undefined,
          reason: s.repairReason,
          yes: s.yes,
          // Only a person at a terminal is asked, after the list.
          ask:
            ask &&
            ((c) => {
              io.err(`${c.length === 1 ? '1 applied migration changed after it ran' : `${c.length} applied migrations changed after they ran`}:\n${displayMessage(listCandidates(c))}`);
              return ask(`repair ${c.length === 1 ? 'it' : `these ${c.length}`}? [y/N] `);
            }),
        },
        s.repairAll ? 'all' : args.positionals,
      );
      io.out(s.json ? toJson(report) : displayMessage(describeRepair(report, s.repairReason.trim()).join('\n')));
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
    // .env (or --env-file) under the real environment, for the commands that connect.
    const env = (SETTINGS.envFile.commands as readonly string[]).includes(args.command) ? withEnvFile(io.env, args.settings.envFile, io.cwd ?? process.cwd()) : io.env;
    if (!args.given.has('databaseUrl')) args.settings.databaseUrl = env.DATABASE_URL || '';
    args.settings.databaseUrl = connectionUrl(args.settings.databaseUrl, env, redactor, (m) => sio.err(`warning: ${m}`));
    return await runCommand(args, { ...sio, env }, redactor);
  } catch (err) {
    printError(sio, err, !!args?.settings.json);
    return exitCodeOf(err);
  }
}
