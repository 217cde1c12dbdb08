// The GitHub Action shell: inputs → a request → deploy or dry run → the action's sinks. Every decision
// about migrations is the command's; this file only wires the runner's world to it.
import { resolve as resolvePath } from 'node:path';
import * as core from '@actions/core';
import * as github from '@actions/github';
import { ConfigError, deploy, dryRun, loadLintConfig, netSettings, type DeployRequest } from '../commands';
import { describeRepair, repairThenDeploy, type RepairReport } from '../commands';
import { adoptThen, describeAdopt, describeDifference, drift, EXPECTED_ACTUAL, type AdoptReport, type AssumedMigration, type DriftReport } from '../commands';
import { connectionUrl } from '../report/credentials';
import { Redactor } from '../report/redact';
import { redactedFor } from '../report/redacting';
import { fanOut, type Sink } from '../report/sink';
import { databaseNameOf, notifySink } from '../report/notify';
import { inWordsOf } from '../report/wording';
import { forShell, SETTINGS } from '../settings';
import { pullRequestBaseline } from './baseline';
import { commitLine, runUrl } from './context';
import { GitHubReporter } from './github';
import { readInputs, type ActionInputs } from './inputs';
import { annotationsSink, failureIssueSink, logSink, outputsSink, planFileSink, prCommentSink, stepStatusSink, summarySink, type ActionContext } from './sinks';

/** Refused before a request could be made (bad inputs): the status, zero counts, one sentence. */
function refusedEarly(message: string, redact: (t: string) => string): void {
  const environment = core.getInput('environment') || SETTINGS.environment.default;
  outputsSink().finished({ command: 'up', status: 'refused', incident: false, environment, protected: false, review: { findings: [], refused: [] }, applied: [] });
  core.setFailed(redact(forShell(message, 'action')));
}

function request(inputs: ActionInputs, redactor: Redactor, signal: AbortSignal, workspace: string): DeployRequest {
  const s = inputs.settings;
  return {
    dir: inputs.migrationsPath,
    databaseUrl: s.databaseUrl || undefined,
    schema: s.schema,
    environment: s.environment,
    actor: process.env.GITHUB_ACTOR || undefined,
    connectTimeoutMs: s.connectTimeout,
    // In CI a refused connection is often a service container still starting: it gets the whole wait.
    connectTimeoutGiven: true,
    lockWaitMs: s.lockWait,
    lockTimeoutMs: s.lockTimeout,
    statementTimeoutMs: s.statementTimeout,
    lockRetries: s.lockRetries,
    selection: { direction: s.direction, steps: s.steps, target: s.target, allowMissing: s.allowMissing, allowOutOfOrder: s.allowOutOfOrder },
    lint: loadLintConfig(undefined, workspace),
    safety: { protectedEnvironments: s.protectedEnvironments, allowDestructive: s.allowDestructive, failOnLint: s.failOnLint, policy: s.policy },
    confirm: s.confirm || undefined,
    // A shadow database proves a dry run's migrations; verify defaults to true when one is given.
    shadow: s.dryRun && s.shadowUrl ? { url: s.shadowUrl, verify: s.verify ?? true, allowNoDown: s.allowNoDown } : undefined,
    drift: !s.dryRun && s.shadowUrl && (s.checkDrift ?? true) ? { shadowUrl: s.shadowUrl, fail: s.failOnDrift } : undefined,
    schemaFile: s.schemaFile ? resolvePath(workspace, s.schemaFile) : undefined,
    net: netSettings(s, process.env),
    redactor,
    signal,
  };
}

async function runAction(redactor: Redactor): Promise<void> {
  const redact = (t: string) => redactor.redact(t);
  // Mask the URL and its password before anything can print them.
  for (const input of ['database-url', 'shadow-database-url', 'health-check-url']) {
    const rawUrl = core.getInput(input).trim();
    if (!rawUrl) continue;
    // A health-check URL is shown in reports; only its credentials are secret.
    if (input !== 'health-check-url') core.setSecret(rawUrl);
    redactor.addUrl(rawUrl);
    for (const s of redactor.values) core.setSecret(s);
  }
  // A webhook's whole URL is its secret (Slack, Discord and Teams put the key in the path).
  const hook = core.getInput('notify-url').trim();
  if (hook) {
    core.setSecret(hook);
    redactor.add(hook);
  }
  const abort = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => abort.abort());

  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  let inputs: ActionInputs;
  let req: DeployRequest;
  try {
    inputs = readInputs(workspace);
    inputs.settings.databaseUrl = connectionUrl(inputs.settings.databaseUrl, process.env, redactor, (m) => core.warning(redact(m)));
    for (const secret of redactor.values) core.setSecret(secret);
    req = request(inputs, redactor, abort.signal, workspace);
  } catch (err) {
    if (err instanceof ConfigError) return refusedEarly(err.message, redact);
    throw err;
  }
  const s = inputs.settings;
  const isPr = github.context.eventName === 'pull_request' || github.context.eventName === 'pull_request_target';
  if (!s.databaseUrl && !(s.dryRun && isPr)) {
    return refusedEarly('input database-url is required (pass it from a secret); only a dry run on a pull request may go without it.', redact);
  }
  if (s.repairVersions.length && s.dryRun) {
    return refusedEarly('input repair-versions writes to the database, and a dry run never writes: set it on the step that deploys.', redact);
  }
  const c: ActionContext = {
    settings: s,
    migrationsDir: inputs.migrationsDir,
    redact,
    reporter: s.githubToken ? new GitHubReporter(s.githubToken, redact) : undefined,
    prNumber: isPr ? github.context.payload.pull_request?.number : undefined,
  };
  if (s.driftOnly) return checkDriftOnly(req, c, s.shadowUrl, redact);
  // Without a database, the pull request's base commit says what is applied: only what it adds or changes is pending.
  const baseSha: unknown = github.context.payload.pull_request?.base?.sha;
  if (s.dryRun && !s.databaseUrl && c.prNumber && typeof baseSha === 'string' && baseSha) {
    req.baseline = await pullRequestBaseline({ number: c.prNumber, baseSha }, { reporter: c.reporter, migrationsPath: inputs.migrationsPath, workspace, warn: (m) => core.warning(redact(m)) });
  }
  // Redacted before rendering (so no cut can split a secret), then worded as the action's inputs.
  const sink = redactedFor(
    redactor,
    inWordsOf('action', fanOut(logSink(c), planFileSink(c), summarySink(c), annotationsSink(c), outputsSink(), prCommentSink(c), stepStatusSink(c), failureIssueSink(c), ...notifier(s, redactor))),
  );
  // A repair runs only when the workflow names it (repair-versions), before the deploy of the same run.
  // A dry run after adopt-from plans as if the adoption were recorded (assumed: what it would record).
  const run = (assumed?: AssumedMigration[]) =>
    s.repairVersions.length
      ? repairThenDeploy(req, s.repairVersions[0] === 'all' ? 'all' : s.repairVersions, s.repairReason, sink, (r) => reportRepair(r, s.repairReason, redact))
      : s.dryRun
        ? dryRun({ ...req, assumeApplied: assumed }, sink)
        : deploy(req, sink);
  // adopt-from: the adoption first (a dry run only says what it would record); once done, a no-op.
  if (s.adoptFrom) await adoptThen(req, s.adoptFrom, s.dryRun, sink, (r) => reportAdopt(r, redact), run);
  else await run();
}

/** The webhook told the deploy's outcome (notify-url), with the run's links; none without one. */
function notifier(s: ActionInputs['settings'], redactor: Redactor): Sink[] {
  if (!s.notifyUrl) return [];
  const sha = process.env.GITHUB_SHA;
  return [
    notifySink({
      url: s.notifyUrl,
      format: s.notifyFormat,
      on: s.notifyOn,
      context: {
        repository: process.env.GITHUB_REPOSITORY || undefined,
        runUrl: runUrl(),
        actor: process.env.GITHUB_ACTOR || undefined,
        commit: sha || undefined,
        database: s.databaseUrl ? databaseNameOf(s.databaseUrl) : undefined,
      },
      redactor,
      warn: (m) => core.warning(redactor.redact(m)),
      info: (m) => core.info(redactor.redact(m)),
    }),
  ];
}

/** What adopt-from recorded (or would), in the log, the step summary and the outputs, before the deploy reports. */
async function reportAdopt(r: AdoptReport, redact: (t: string) => string): Promise<void> {
  const lines = describeAdopt(r).map((l) => redact(forShell(l, 'action')));
  core.info(lines.join('\n'));
  // A dry run adopts nothing: the counts say what this run recorded.
  const recorded = r.dryRun || r.alreadyAdopted ? [] : r.adopted.map((a) => a.version);
  core.setOutput('adopted-count', String(recorded.length));
  core.setOutput('adopted-versions', JSON.stringify(recorded));
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(`## pgshift adopt --from ${r.tool}\n\n${lines.map((l) => `- ${l.trim()}`).join('\n')}\n`, true).write();
}

/** What repair-versions accepted, in the log and the step summary, before the deploy reports. */
async function reportRepair(r: RepairReport, reason: string, redact: (t: string) => string): Promise<void> {
  const lines = describeRepair(r, reason.trim()).map((l) => redact(forShell(l, 'action')));
  for (const l of lines) {
    if (l.startsWith('not repaired')) core.warning(l);
    else core.info(l);
  }
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(`## pgshift repair\n\n${lines.map((l) => `- ${l}`).join('\n')}\n`, true).write();
}

export async function run(): Promise<void> {
  const redactor = new Redactor();
  try {
    await runAction(redactor);
  } catch (err) {
    core.setOutput('status', 'failed');
    core.setFailed(`pgshift: unexpected error: ${redactor.redact((err as Error)?.stack ?? String(err))}`);
  }
}

/**
 * drift-only (a scheduled workflow): the live schema against what its applied migrations produce on the
 * shadow. Nothing is applied. Drift opens (or comments on) "Schema drift in <environment>"; none closes it.
 */
async function checkDriftOnly(req: DeployRequest, c: ActionContext, shadowUrl: string, redact: (t: string) => string): Promise<void> {
  const environment = c.settings.environment;
  if (!shadowUrl) return refusedEarly('input drift-only needs shadow-database-url: a scratch server where the migrations are replayed to compare.', redact);
  let report: DriftReport;
  try {
    report = await drift({ ...req, shadowUrl });
  } catch (err) {
    core.setOutput('status', 'failed');
    return core.setFailed(redact(forShell((err as Error).message, 'action')));
  }
  const lines = report.differences.map((d) => describeDifference(d, EXPECTED_ACTUAL));
  core.setOutput('drift', String(lines.length > 0));
  core.setOutput('status', lines.length ? 'refused' : 'up-to-date');
  const where = `the database in \`${environment}\` ${lines.length ? 'differs from' : 'matches'} what its applied migrations${report.at ? ` (up to \`${report.at}\`)` : ''} produce`;
  const body = `${lines.length ? '⚠️ **Schema drift**' : '✅ **No drift**'}: ${where}.${lines.length ? `\n\n${lines.map((l) => `- ${l}`).join('\n')}\n\nPut each hand-made change into a migration (or undo it); the next scheduled check closes this issue once the schema matches again.` : ''}`;
  for (const l of lines) core.warning(redact(`drift in ${environment}: ${l}`));
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(`## pgshift drift\n\n${redact(body)}\n`, true).write();
  if (c.reporter && c.settings.openIssueOnFailure) {
    const issue = lines.length
      ? await c.reporter.reportFailure(environment, c.settings.issueLabels, body, `Still drifted${commitLine()}:\n\n${body}`, 'drift')
      : await c.reporter.reportRecovery(environment, c.settings.issueLabels, `✅ No drift any more${commitLine()}: ${where}. Closing this issue.`, 'drift');
    if (issue) {
      core.setOutput('issue-number', String(issue.number));
      core.setOutput('issue-url', issue.url);
    }
  }
  if (lines.length) core.setFailed(redact(`schema drift in ${environment}: ${lines.length} difference${lines.length === 1 ? '' : 's'} (listed above).`));
}
