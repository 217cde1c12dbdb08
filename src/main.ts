// The GitHub Action: read inputs, run the engine, report to GitHub (log, summary, outputs, PR comment,
// failure issue). Every decision about migrations is the engine's.
import * as core from '@actions/core';
import * as github from '@actions/github';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotateFailure, annotateFindings, annotateProblems } from './action/annotations';
import { confirmPhrase, readInputs, type ActionInputs } from './action/inputs';
import { GitHubReporter, planMarker } from './action/github';
import { refusedFindings } from './action/policy';
import { commitLine, docsBase, issueBody, runUrl, workspacePath } from './action/run-context';
import { failureForAction, forAction, planForAction } from './action/wording';
import { loadLintConfig } from './lint/config';
import type { Finding, LintConfig } from './lint/types';
import { Redactor } from './db/redact';
import { migrate, plan, type EngineOptions } from './engine';
import { ConfigError, ConnectionError, LockError, PgshiftError, PolicyError, ValidationError } from './errors';
import type { Selection } from './plan/plan';
import { toJson } from './report/json';
import { failureDetails, GITHUB_BODY_LIMIT, planMarkdown, runMarkdown, type MarkdownContext } from './report/markdown';
import { displayMessage, formatMs, renderFailure, renderPlan, stepLabel } from './report/text';
import type { EngineEvent, MigrationError, Plan, RunResult } from './types';

type Status = 'applied' | 'up-to-date' | 'planned' | 'rolled-back' | 'failed' | 'refused';

const SUMMARY_LIMIT = 1_000_000; // GitHub keeps at most 1 MiB of step summary

class ActionRun {
  private readonly redactor = new Redactor();
  private inputs!: ActionInputs;
  private reporter?: GitHubReporter;
  private readonly abort = new AbortController();
  private lintConfig!: LintConfig;
  private isProtected = false;
  /** The findings the engine last checked against the policy (all of them, not only the refused). */
  private reviewed?: Finding[];

  readonly redact = (text: string) => this.redactor.redact(text);
  private info = (text: string) => core.info(this.redact(text));

  private setOutputs(status: Status, o: { applied?: string[]; pending?: number; current?: string | null; planFile?: string } = {}): void {
    core.setOutput('status', status);
    core.setOutput('applied-count', String(o.applied?.length ?? 0));
    core.setOutput('applied-versions', JSON.stringify(o.applied ?? []));
    if (o.pending !== undefined) core.setOutput('pending-count', String(o.pending));
    if (o.current !== undefined) core.setOutput('current-version', o.current ?? '');
    if (o.planFile) core.setOutput('plan-file', o.planFile);
  }

  private async summary(markdown: string): Promise<void> {
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    await core.summary.addRaw(this.redact(markdown) + '\n', true).write();
  }

  private ctx(refused?: Finding[]): MarkdownContext {
    return { environment: this.inputs.environment, dir: this.inputs.migrationsDir, runUrl: runUrl(), refused, docsBase: docsBase() };
  }

  /** The findings this environment's safety settings refuse. */
  private refusals = (findings: Finding[]): Finding[] =>
    refusedFindings(findings, { protected: this.isProtected, allowDestructive: this.inputs.allowDestructive, failOnLint: this.inputs.failOnLint, policy: this.inputs.policy });
  private writePlanFile(p: Plan): string {
    const dir = process.env.RUNNER_TEMP || tmpdir();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `pgshift-plan-${this.inputs.environment.replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}.json`);
    writeFileSync(file, this.redact(toJson({ environment: this.inputs.environment, migrationsDir: this.inputs.migrationsDir, ...p })));
    return file;
  }
  private refuse(message: string): void {
    this.setOutputs('refused');
    core.setFailed(this.redact(message));
  }

  private engineOptions(): EngineOptions {
    const i = this.inputs;
    return {
      dir: i.migrationsPath,
      databaseUrl: i.databaseUrl || undefined,
      schema: i.trackingSchema,
      environment: i.environment,
      lockWaitMs: i.lockWaitMs,
      lockTimeout: String(i.lockTimeoutMs),
      statementTimeout: i.statementTimeoutMs !== undefined ? String(i.statementTimeoutMs) : undefined,
      redactor: this.redactor,
      signal: this.abort.signal,
      onEvent: (e) => this.onEvent(e),
      lint: this.lintConfig,
    };
  }

  private selection(): Selection {
    const i = this.inputs;
    return { direction: i.direction, steps: i.steps, target: i.targetVersion };
  }

  /** Each migration in its own log group, with its duration. */
  private onEvent(e: EngineEvent): void {
    switch (e.type) {
      case 'connect-retry':
      case 'warning':
        core.warning(this.redact(forAction(e.message)));
        break;
      case 'lock-wait':
        this.info(`waiting for the migration lock${e.holder ? ` held by pid ${e.holder.pid} (${e.holder.applicationName || 'unknown'})` : ''}…`);
        break;
      case 'tracking-adopted':
        this.info(`adopted dbmate's ${e.schema}.schema_migrations (${e.rows} rows kept)`);
        break;
      case 'step-start':
        core.startGroup(this.redact(`${e.step.direction === 'up' ? '↑' : '↓'} ${stepLabel(e.step)} (${e.index + 1}/${e.total})`));
        this.info(e.step.section.sql.trim());
        break;
      case 'step-retry':
        core.warning(this.redact(`${stepLabel(e.step)}: ${e.message}; retry ${e.attempt} in ${formatMs(e.delayMs)}`));
        break;
      case 'step-done':
        this.info(`✓ ${e.result.status} in ${formatMs(e.result.durationMs)}`);
        core.endGroup();
        break;
      case 'step-failed':
        this.info(renderFailure(failureForAction(e.error)!));
        core.endGroup();
        break;
    }
  }

  async run(): Promise<void> {
    // Mask the URL and its password before anything can print them.
    const rawUrl = core.getInput('database-url').trim();
    if (rawUrl) {
      core.setSecret(rawUrl);
      this.redactor.addUrl(rawUrl);
      for (const s of this.redactor.values) core.setSecret(s);
    }
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => this.abort.abort());

    try {
      this.inputs = readInputs();
      this.lintConfig = loadLintConfig(undefined, process.env.GITHUB_WORKSPACE || process.cwd());
    } catch (err) {
      if (err instanceof ConfigError) return this.refuse(err.message);
      throw err;
    }
    const i = this.inputs;
    const isPr = github.context.eventName === 'pull_request' || github.context.eventName === 'pull_request_target';
    if (!i.databaseUrl && !(i.dryRun && isPr)) {
      return this.refuse('input database-url is required (pass it from a secret); only a dry run on a pull request may go without it.');
    }
    if (i.githubToken) this.reporter = new GitHubReporter(i.githubToken, this.redact);

    const isProtected = (this.isProtected = i.protectedEnvironments.includes(i.environment.toLowerCase()));
    if (!i.dryRun && isProtected && i.direction === 'down' && i.confirm !== confirmPhrase(i.environment)) {
      return this.refuse(
        `refused: rolling back migrations in protected environment "${i.environment}" needs the input confirm set to ${confirmPhrase(i.environment)}${i.confirm ? ` (got "${i.confirm}")` : ''}. Nothing was run.`,
      );
    }

    try {
      if (i.dryRun) await this.dryRun(isPr);
      else await this.apply(isProtected);
    } catch (err) {
      await this.failedBeforeRunning(err);
    }
  }

  private async dryRun(isPr: boolean): Promise<void> {
    const p = planForAction(await plan(this.engineOptions(), this.selection()));
    const refused = this.refusals(p.findings);
    const planFile = this.writePlanFile(p);
    this.info(renderPlan(p));
    await this.summary(`## pgshift plan\n\n${planMarkdown(p, this.ctx(refused), SUMMARY_LIMIT)}`);
    annotateProblems(p.problems, p.blocked, this.redact);
    annotateFindings(p.findings, refused, this.redact);
    this.setOutputs(p.blocked || refused.length ? 'refused' : 'planned', { pending: p.pendingCount, current: p.currentVersion, planFile });
    const prNumber = github.context.payload.pull_request?.number;
    if (isPr && prNumber && this.inputs.commentOnPr && this.reporter) {
      const marker = planMarker(this.inputs.environment, this.inputs.migrationsDir);
      const body = planMarkdown(p, this.ctx(refused), GITHUB_BODY_LIMIT - marker.length - 100);
      const posted = await this.reporter.upsertPlanComment(prNumber, marker, `## pgshift plan\n\n${body}`);
      if (posted) core.setOutput('comment-url', posted.url);
    }
    if (p.blocked) core.setFailed(this.redact(`the plan would be refused:\n${p.problems.filter((x) => x.blocking).map((x) => `- ${displayMessage(x.message)}`).join('\n')}`));
    else if (refused.length) core.setFailed(this.redact(`the safety policy would refuse this run in ${this.inputs.environment}:\n${refused.map((f) => `- ${workspacePath(f.path)}:${f.line}: ${f.rule}: ${f.message}`).join('\n')}`));
  }

  private async apply(isProtected: boolean): Promise<void> {
    let planFile: string | undefined;
    if (isProtected) {
      // In a protected environment the plan is on record before anything is applied.
      const p = planForAction(await plan(this.engineOptions(), this.selection()));
      planFile = this.writePlanFile(p);
      this.info(`Plan for protected environment ${this.inputs.environment}:\n${renderPlan(p)}`);
      await this.summary(`## pgshift plan (${this.inputs.environment})\n\n${planMarkdown(p, this.ctx(this.refusals(p.findings)), SUMMARY_LIMIT / 2)}`);
    }
    // The engine checks the findings again under the migration lock, before anything runs.
    const ran = await migrate({ ...this.engineOptions(), lintPolicy: (findings) => this.refusals((this.reviewed = findings)) }, this.selection());
    const result: RunResult = { ...ran, plan: planForAction(ran.plan), error: failureForAction(ran.error) };
    const done = result.steps.filter((s) => s.status === 'applied' || s.status === 'rolled-back').map((s) => s.version);
    const pendingAfter = result.direction === 'up' ? Math.max(0, result.plan.pendingCount - done.length) : result.plan.pendingCount + done.length;
    planFile ??= this.writePlanFile(result.plan);
    // A protected run's summary already has the plan with its Safety section.
    await this.summary(`## pgshift ${result.direction}\n\n${runMarkdown(result, this.ctx(), !isProtected)}`);
    annotateProblems(result.plan.problems, false, this.redact);
    annotateFindings(result.plan.findings, [], this.redact);
    if (result.error) {
      this.setOutputs('failed', { applied: done, pending: pendingAfter, current: result.currentVersion, planFile });
      return this.migrationFailed(result.error, result);
    }
    this.setOutputs(result.status === 'up-to-date' ? 'up-to-date' : result.status, { applied: done, pending: pendingAfter, current: result.currentVersion, planFile });
    this.info(result.steps.length ? `${result.direction === 'up' ? 'Applied' : 'Rolled back'} ${result.steps.length} migration(s); current version ${result.currentVersion ?? 'none'}.` : `Up to date at ${result.currentVersion ?? 'none'}.`);
    if (this.inputs.openIssueOnFailure && this.reporter) {
      const posted = await this.reporter.reportRecovery(
        this.inputs.environment,
        this.inputs.issueLabels,
        `✅ Recovered: pgshift ${result.direction} succeeded in \`${this.inputs.environment}\` (current version \`${result.currentVersion ?? 'none'}\`)${commitLine()}. Closing this issue.`,
      );
      if (posted) {
        core.setOutput('issue-number', String(posted.number));
        core.setOutput('issue-url', posted.url);
      }
    }
  }

  private async openIssue(headline: string, details: string, f: MigrationError | undefined): Promise<void> {
    if (!this.inputs.openIssueOnFailure || !this.reporter) return;
    const body = issueBody(headline, details, f, this.inputs.environment, this.inputs.migrationsDir);
    const posted = await this.reporter.reportFailure(this.inputs.environment, this.inputs.issueLabels, body, `Failed again${commitLine()}.\n\n${body}`);
    if (posted) {
      core.setOutput('issue-number', String(posted.number));
      core.setOutput('issue-url', posted.url);
    }
  }

  private async migrationFailed(f: MigrationError, result: RunResult): Promise<void> {
    annotateFailure(f, this.redact);
    core.setFailed(this.redact(`migration ${f.version} (${f.name}) failed at ${workspacePath(f.path)}:${f.line}:${f.column}: ${f.message}. ${f.outcome === 'rolled-back' ? 'It was rolled back.' : `It is marked failed: run "pgshift resolve ${f.version}" after checking the database.`}`));
    const applied = result.steps.filter((s) => s.status === 'applied').length;
    await this.openIssue(`Migration \`${f.version}\` ${f.name} failed in \`${this.inputs.environment}\``, `${applied ? `${applied} migration(s) before it in the same run were applied and stay applied.\n\n` : ''}${failureDetails(f)}`, f);
  }

  /** Refusals (validation, lock, connection) and anything else raised before a migration ran. */
  private async failedBeforeRunning(err: unknown): Promise<void> {
    const message = this.redact(forAction(displayMessage((err as Error)?.message ?? String(err))));
    if (err instanceof ValidationError) err.problems.forEach((p) => (p.message = forAction(p.message)));
    if (err instanceof ValidationError) {
      annotateProblems(err.problems, true, this.redact);
      this.setOutputs('refused');
    } else if (err instanceof PolicyError) {
      // Every finding on its line: the refused ones as errors, the rest as warnings.
      annotateFindings(this.reviewed ?? err.findings, err.findings, this.redact);
      this.setOutputs('refused');
    } else {
      // Nothing ran: whatever the reason, a workflow reading the counts gets 0 and [].
      this.setOutputs(err instanceof ConfigError && !(err instanceof ConnectionError) ? 'refused' : 'failed');
    }
    core.setFailed(message);
    if (!(err instanceof PgshiftError)) core.debug((err as Error)?.stack ?? '');
    await this.summary(`## pgshift\n\n❌ **${err instanceof ValidationError || err instanceof PolicyError ? 'Refused' : 'Failed'}** in \`${this.inputs.environment}\`\n\n${message.split('\n').map((l) => (l.startsWith('  - ') ? `- ${l.slice(4)}` : l)).join('\n')}`);
    // Only a deploy that could not run is an incident; a PR dry run reports in its comment instead.
    if (!this.inputs.dryRun && (err instanceof ValidationError || err instanceof PolicyError || err instanceof LockError || err instanceof ConnectionError || !(err instanceof PgshiftError))) {
      await this.openIssue(`pgshift could not run in \`${this.inputs.environment}\``, `**Reason**\n\n${fenceless(message)}`, undefined);
    }
  }
}

function fenceless(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

export async function run(): Promise<void> {
  const action = new ActionRun();
  try {
    await action.run();
  } catch (err) {
    core.setOutput('status', 'failed');
    core.setFailed(`pgshift: unexpected error: ${action.redact((err as Error)?.stack ?? String(err))}`);
  }
}
