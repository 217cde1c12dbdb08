// The CLI shell: flags → a request → a command → an exit code. Every decision is the command's; this
// file only chooses what to print and the number the process leaves with.
import { askBeforeRun, ConfigError, deploy, dryRun, newMigration, plan, resolve, status, loadLintConfig, pendingPaths, type DeployRequest, type Outcome, type SessionOptions } from '../commands';
import { changedHistory, describeRepair, listCandidates, repair } from '../commands';
import { adopt, baselineAt, describeAdopt, describeBaseline } from '../commands';
import { defaultActor, historyReport } from '../commands';
import { netSettings, ValidationError } from '../commands';
import { databaseFacts, drift, failedVerdicts, migrationsModel, targetModel, verify, renderSchema, describeDifference, EXPECTED_ACTUAL } from '../commands';
import { majorNote, verdictLine } from '../report/proof';
import { writeFileSync } from 'node:fs';
import { toJson } from '../report/json';
import { connectionUrl } from '../report/credentials';
import { Redactor } from '../report/redact';
import { renderHistory } from '../report/history';
import { databaseNameOf, notifySink, type NotifyContext } from '../report/notify';
import { fanOut, type Sink } from '../report/sink';
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
  const shadowUrl = s.shadowUrl || io.env.PGSHIFT_SHADOW_URL || '';
  return {
    ...sessionOptions(s, io, redactor, args.given),
    // With a shadow database, a deploy to a protected environment checks drift first (as the action does).
    drift: shadowUrl && (s.checkDrift ?? true) ? { shadowUrl, fail: s.failOnDrift } : undefined,
    schemaFile: s.schemaFile,
    net: netSettings(s, io.env),
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

/** The deploy's notification (--notify-url, else $PGSHIFT_NOTIFY_URL), when there is a webhook. */
function notification(args: CliArgs, io: CliIo, redactor: Redactor): Sink | undefined {
  const s = args.settings;
  const fromEnv = !args.given.has('notifyUrl') && io.env.PGSHIFT_NOTIFY_URL;
  const url = fromEnv ? SETTINGS.notifyUrl.parse(fromEnv, 'PGSHIFT_NOTIFY_URL') : s.notifyUrl;
  if (!url) return undefined;
  // The whole URL is the webhook's secret (Slack and Discord put the key in the path): never printed.
  redactor.add(url);
  const env = io.env;
  // In a CI run (GitHub Actions' variables), the notification links to it.
  const runUrl = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
  const context: NotifyContext = {
    repository: env.GITHUB_REPOSITORY || undefined,
    runUrl,
    actor: env.GITHUB_ACTOR || defaultActor(),
    commit: env.GITHUB_SHA || undefined,
    database: s.databaseUrl ? databaseNameOf(s.databaseUrl) : undefined,
  };
  return notifySink({
    url,
    format: s.notifyFormat,
    on: s.notifyOn,
    context,
    redactor,
    version: VERSION,
    warn: (m) => io.err(`warning: ${m}`),
    info: (m) => io.err(m),
  });
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
      // The .sql files of the directory that are not migrations: said at the end, as by every command.
      const ignored = p.problems.filter((x) => x.kind === 'unmatched').map((x) => x.message);
      if (p.problems.some((x) => x.kind === 'unmatched' && x.blocking)) throw new ValidationError(`nothing to lint: ${ignored.join(' ')}`, p.problems);
      // The database is asked again for what the rules should know (a DROP ... IF EXISTS of nothing is no finding).
      const facts = databaseFacts(sessionOptions(s, io, redactor, args.given));
      return pending.length ? runLint(pending, lintIo, undefined, ignored, facts) : printFindings([], lintIo, [], ignored);
    }
    case 'status': {
      const report = await status({ ...sessionOptions(s, io, redactor, args.given), onEvent: progress.event });
      if (s.json) io.out(toJson(report));
      else {
        io.out(renderStatus(report.entries));
        if (report.problems.length) io.out('\n' + renderProblems(report.problems));
      }
      // A directory where nothing is a migration is refused (3), never a status of nothing.
      const unreadable = report.problems.find((p) => p.kind === 'unmatched' && p.blocking);
      if (unreadable) {
        if (!s.json) io.err(`pgshift: ${displayMessage(unreadable.message)}`);
        return ExitCode.validation;
      }
      // An applied history that changed turns the check red (3) before anything pending does (1).
      const changed = changedHistory(report.entries);
      if (s.exitCode && changed.length) {
        if (!s.json) io.err(`pgshift: the applied history changed: ${changed.map((e) => `${e.version} ${e.state}`).join(', ')}. Settle each as the problems above say.`);
        return ExitCode.validation;
      }
      // A repeatable migration whose file changed is due, as a pending one is.
      return s.exitCode && report.entries.some((e) => e.state === 'pending' || e.state === 'outdated') ? 1 : ExitCode.ok;
    }
    case 'up':
    case 'down': {
      const notify = notification(args, io, redactor);
      const outcome = await deploy(deployRequest(args, io, redactor, args.command), notify ? fanOut(progress, notify) : fanOut(progress));
      return exitCodeOfOutcome(outcome);
    }
    case 'history': {
      if (args.positionals.length) throw new ConfigError(`history takes no arguments (got "${args.positionals[0]}"): pgshift history --version <version> shows one version's rows.`);
      const report = await historyReport({
        ...sessionOptions(s, io, redactor, args.given),
        onEvent: progress.event,
        // The environment's default (development) is no filter: only a given --env is.
        environment: args.given.has('environment') ? s.environment : undefined,
        version: s.historyVersion,
        limit: s.historyLimit,
      });
      if (s.json) io.out(toJson(report.entries));
      else if (!report.exists) io.out(`no history yet: ${report.table} does not exist (the first pgshift up, down, resolve, repair, adopt or baseline creates it).`);
      else if (!report.entries.length) io.out(`no history rows${historyFilters(args)}.`);
      else {
        io.out(renderHistory(report.entries));
        const n = report.entries.length;
        io.out(report.more ? `\nthe newest ${n} rows${historyFilters(args)}; --limit <n> shows more.` : `\n${n} row${n === 1 ? '' : 's'}${historyFilters(args)}.`);
      }
      return ExitCode.ok;
    }
    case 'resolve': {
      const version = args.positionals[0];
      const as = s.resolveApplied ? 'applied' : s.resolveRolledBack ? 'rolled-back' : undefined;
      if (!version || !as) throw new ConfigError('usage: pgshift resolve <version> --applied|--rolled-back');
      const row = await resolve({ ...sessionOptions(s, io, redactor, args.given), onEvent: progress.event, environment: s.environment, actor: io.env.GITHUB_ACTOR || undefined }, version, as);
      io.out(s.json ? toJson({ version: row.version, resolvedAs: as }) : `resolved ${row.version} ${row.name} as ${as}.`);
      return ExitCode.ok;
    }
    case 'adopt':
    case 'baseline':
      return runRecording(args, io, redactor, progress.event);
    case 'verify':
    case 'dump':
    case 'drift':
      return runShadowed(args, io, redactor, progress.event);
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

/** " for --env staging and --version 3": the filters a history was read with. */
function historyFilters(args: CliArgs): string {
  const s = args.settings;
  const filters = [...(args.given.has('environment') ? [`--env ${s.environment}`] : []), ...(s.historyVersion ? [`--version ${s.historyVersion}`] : [])];
  return filters.length ? ` for ${filters.join(' and ')}` : '';
}

/** adopt and baseline: the request from the flags; what they did, as text or JSON. */
async function runRecording(args: CliArgs, io: CliIo, redactor: Redactor, onEvent: SessionOptions['onEvent']): Promise<number> {
  const s = args.settings;
  const common = { ...sessionOptions(s, io, redactor, args.given), onEvent, environment: s.environment, actor: io.env.GITHUB_ACTOR || undefined, dryRun: s.dryRun };
  if (args.command === 'adopt') {
    if (!s.adoptFrom)
      throw new ConfigError('adopt needs the tool to take over from: pgshift adopt --from <tool> (dbmate, golang-migrate, goose, sql-migrate, flyway, node-pg-migrate, prisma or supabase).');
    if (args.positionals.length) throw new ConfigError(`adopt takes no arguments (got "${args.positionals[0]}"): pgshift adopt --from <tool>.`);
    const report = await adopt({ ...common, from: s.adoptFrom, allowMissing: s.allowMissing });
    io.out(s.json ? toJson(report) : displayMessage(describeAdopt(report).join('\n')));
    return ExitCode.ok;
  }
  if (args.positionals.length > 1) throw new ConfigError('baseline takes one version: pgshift baseline <version>.');
  const report = await baselineAt({ ...common, shadowUrl: s.shadowUrl || io.env.PGSHIFT_SHADOW_URL || undefined }, args.positionals[0] ?? '');
  io.out(s.json ? toJson(report) : displayMessage(describeBaseline(report).join('\n')));
  return ExitCode.ok;
}

/** verify, dump and drift: the schema model, on the target or on a shadow database. */
async function runShadowed(args: CliArgs, io: CliIo, redactor: Redactor, onEvent: SessionOptions['onEvent']): Promise<number> {
  const s = args.settings;
  if (args.positionals.length) throw new ConfigError(`${args.command} takes no arguments (got "${args.positionals[0]}").`);
  const o = { ...sessionOptions(s, io, redactor, args.given), onEvent, shadowUrl: s.shadowUrl || io.env.PGSHIFT_SHADOW_URL || undefined, includeOwners: s.includeOwners };
  if (args.command === 'verify') {
    const proof = await verify({ ...o, onVerdict: s.json ? undefined : (v) => io.out(verdictLine(v)) });
    const bad = failedVerdicts(proof, s.allowNoDown);
    if (s.json) io.out(toJson(proof));
    else {
      if (proof.targetMajor !== undefined && proof.targetMajor !== proof.shadowMajor) io.err(`warning: ${majorNote(proof.shadowMajor, proof.targetMajor)}`);
      io.out(`${proof.verdicts.length - bad.length} of ${proof.verdicts.length} migration${proof.verdicts.length === 1 ? '' : 's'} verified${bad.length ? `; ${bad.length} not` : ''}.`);
    }
    return bad.length ? 1 : ExitCode.ok;
  }
  if (args.command === 'dump') {
    const model = s.fromMigrations ? (await migrationsModel(o)).model : await targetModel(o);
    const text = renderSchema(model);
    if (s.out) {
      writeFileSync(s.out, text);
      io.err(`wrote ${s.out} (${text.length} bytes${s.fromMigrations ? ', the schema the migrations produce' : ''})`);
    } else io.out(text.trimEnd());
    return ExitCode.ok;
  }
  const report = await drift(o);
  if (s.json) io.out(toJson(report));
  else {
    if (report.targetMajor !== report.shadowMajor) io.err(`warning: ${majorNote(report.shadowMajor, report.targetMajor)}`);
    io.out(
      report.differences.length
        ? `Drift: the database differs from what its applied migrations${report.at ? ` (up to ${report.at})` : ''} produce:\n${report.differences.map((d) => `  - ${describeDifference(d, EXPECTED_ACTUAL)}`).join('\n')}`
        : `No drift: the database matches what its applied migrations${report.at ? ` (up to ${report.at})` : ''} produce.`,
    );
  }
  return report.differences.length ? 1 : ExitCode.ok;
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
