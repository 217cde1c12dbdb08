// The action's destinations, one Sink each: the log, the step summary, the outputs, the annotations,
// the plan file, the PR comment, the failure issue, and the step's status (setFailed). Each decides
// nothing about the run: the Outcome says what happened; a sink only says it in its place.
import * as core from '@actions/core';
import { describeDifference, EXPECTED_ACTUAL, type Difference } from '../commands';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failureMessage, isProtected, PolicyError, ValidationError, type Outcome, type Review } from '../commands';
import { toJson } from '../report/json';
import { planMarkdown, runMarkdown, type MarkdownContext } from '../report/markdown';
import type { Sink } from '../report/sink';
import { displayMessage, formatMs, renderFailure, renderPlan, stepLabel } from '../report/text';
import { backupLine, healthLine, netRunLines } from '../report/net';
import type { SettingValues } from '../settings';
import type { EngineEvent, Finding, Plan } from '../types';
import { annotateFailure, annotateFindings, annotateProblems, annotateVerdicts } from './annotations';
import { commitLine, commitRef, docsBase, fileUrl, issueBody, linkedFailureDetails, runUrl, workspacePath } from './context';
import { GITHUB_LIMITS, planMarker, type GitHubReporter } from './github';

const SUMMARY_LIMIT = GITHUB_LIMITS.summary;

/** What every action sink knows of the run it reports. */
export interface ActionContext {
  settings: SettingValues;
  /** migrations-dir as given. */
  migrationsDir: string;
  redact: (text: string) => string;
  reporter?: GitHubReporter;
  /** The pull request of a pull_request event. */
  prNumber?: number;
}

function markdownContext(c: ActionContext, refused?: Finding[]): MarkdownContext {
  const environment = c.settings.environment;
  return {
    environment,
    dir: c.migrationsDir,
    runUrl: runUrl(),
    refused,
    docsBase: docsBase(),
    protected: isProtected(environment, c.settings),
    commit: commitRef(),
    ranAt: new Date(),
    fileUrl,
  };
}

/** Why a command stopped before running, as one message for the log, the summary and the issue. */
function stopMessage(c: ActionContext, o: Outcome): string {
  return c.redact(displayMessage(o.error?.message ?? ''));
}

/** Stopped before any migration ran: no plan of a dry run, no result of a deploy. */
const stoppedEarly = (o: Outcome) => !o.result && !(o.command === 'plan' && o.plan);

export function logSink(c: ActionContext): Sink {
  const info = (text: string) => core.info(c.redact(text));
  return {
    // Each migration in its own log group, with its duration.
    event(e: EngineEvent) {
      switch (e.type) {
        case 'connect-retry':
        case 'warning':
          core.warning(c.redact(e.message));
          break;
        case 'lock-wait':
          info(`waiting for the migration lock${e.holder ? ` held by pid ${e.holder.pid} (${e.holder.applicationName || 'unknown'})` : ''}…`);
          break;
        case 'tracking-adopted':
          info(`adopted dbmate's ${e.schema}.schema_migrations (${e.rows} rows kept)`);
          break;
        case 'step-start':
          core.startGroup(c.redact(`${e.step.direction === 'up' ? '↑' : '↓'} ${stepLabel(e.step)} (${e.index + 1}/${e.total})`));
          info(e.step.section.sql.trim());
          break;
        case 'step-retry':
          core.warning(c.redact(`${stepLabel(e.step)}: ${e.message}; retry ${e.attempt} in ${formatMs(e.delayMs)}`));
          break;
        case 'step-done':
          info(`✓ ${e.result.status} in ${formatMs(e.result.durationMs)}`);
          core.endGroup();
          break;
        case 'step-failed':
          info(renderFailure(e.error));
          core.endGroup();
          break;
        case 'backup':
          info(`✓ backed up ${e.report.file} (${backupLine(e.report)})`);
          break;
        case 'health':
          (e.result.passed ? info : (t: string) => core.warning(c.redact(t)))(healthLine(e.result));
          break;
        case 'rollback-start':
          core.warning(c.redact(`${e.reason}: rolling back what this run applied (${e.versions.join(', ')}), newest first`));
          break;
      }
    },
    planned(plan: Plan) {
      info(c.settings.dryRun ? renderPlan(plan) : `Plan for protected environment ${c.settings.environment}:\n${renderPlan(plan)}`);
    },
    finished(o: Outcome) {
      const r = o.result;
      if (!r || r.error) return;
      info(
        r.steps.length
          ? `${r.direction === 'up' ? 'Applied' : 'Rolled back'} ${r.steps.length} migration(s); current version ${r.currentVersion ?? 'none'}.`
          : `Up to date at ${r.currentVersion ?? 'none'}.`,
      );
      // The .sql files that are not migrations, after the result, as the CLI says them.
      for (const p of r.plan.problems) if (p.kind === 'unmatched') core.warning(c.redact(displayMessage(p.message)));
    },
  };
}

export function summarySink(c: ActionContext): Sink {
  const write = async (markdown: string) => {
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    await core.summary.addRaw(c.redact(markdown) + '\n', true).write();
  };
  return {
    async planned(plan: Plan, review: Review) {
      if (c.settings.dryRun) await write(`## pgshift plan\n\n${planMarkdown(plan, markdownContext(c, review.refused), SUMMARY_LIMIT)}`);
      else await write(`## pgshift plan (${c.settings.environment})\n\n${planMarkdown(plan, markdownContext(c, review.refused), SUMMARY_LIMIT / 2)}`);
    },
    async finished(o: Outcome) {
      if (o.drift) await write(driftMarkdown(o.drift, c.settings.environment));
      // A protected run's summary already has the plan with its Safety section.
      if (o.result) {
        const result = { ...o.result, currentVersion: o.currentVersion !== undefined ? o.currentVersion : o.result.currentVersion };
        return write(`## pgshift ${o.result.direction}\n\n${runMarkdown(result, markdownContext(c), !o.protected, o)}`);
      }
      if (!stoppedEarly(o)) return;
      const message = stopMessage(c, o);
      const lines = message.split('\n').map((l) => (l.startsWith('  - ') ? `- ${l.slice(4)}` : l));
      await write(`## pgshift\n\n❌ **${o.status === 'refused' ? 'Refused' : 'Failed'}** in \`${c.settings.environment}\`\n\n${lines.join('\n')}`);
    },
  };
}

/** The drift check before a protected deploy, for the summary: each difference, or that there was none. */
function driftMarkdown(drift: Difference[], environment: string): string {
  if (!drift.length) return `## pgshift drift\n\n✅ No drift: the database in \`${environment}\` matches what its applied migrations produce.`;
  return `## pgshift drift\n\n⚠️ **Schema drift in \`${environment}\`**: the database differs from what its applied migrations produce.\n\n${drift.map((d) => `- ${describeDifference(d, EXPECTED_ACTUAL)}`).join('\n')}`;
}

export function outputsSink(): Sink {
  return {
    finished(o: Outcome) {
      core.setOutput('status', o.status);
      // Whatever stopped a run, a workflow reading the counts gets numbers, not unset outputs.
      core.setOutput('applied-count', String(o.applied.length));
      core.setOutput('applied-versions', JSON.stringify(o.applied));
      if (o.pendingAfter !== undefined) core.setOutput('pending-count', String(o.pendingAfter));
      if (o.currentVersion !== undefined) core.setOutput('current-version', o.currentVersion ?? '');
      if (o.drift) core.setOutput('drift', String(o.drift.length > 0));
      if (o.schemaFile) core.setOutput('schema-file', o.schemaFile);
      if (o.backup) core.setOutput('backup-file', o.backup.file);
      if (o.health?.length) core.setOutput('health-check', o.health.filter((h) => !h.afterRollback).every((h) => h.passed) ? 'passed' : 'failed');
      core.setOutput('rolled-back-versions', JSON.stringify(o.rollback?.rolledBack ?? []));
      const proof = o.plan?.proof;
      if (proof) {
        core.setOutput(
          'schema-changes',
          JSON.stringify(
            proof.changes
              .filter((d) => !d.note)
              .map((d) => ({ kind: d.kind, object: d.object, change: d.change === 'only-in-a' ? 'removed' : d.change === 'only-in-b' ? 'added' : 'changed', details: d.details })),
          ),
        );
        if (proof.verified !== undefined) core.setOutput('verified', String(proof.verified));
      }
    },
  };
}

/** The plan as JSON under RUNNER_TEMP: the plan on record when there is one, else the run's. */
export function planFileSink(c: ActionContext): Sink {
  let written = false;
  const write = (p: Plan) => {
    const dir = process.env.RUNNER_TEMP || tmpdir();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `pgshift-plan-${c.settings.environment.replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}.json`);
    writeFileSync(file, c.redact(toJson({ environment: c.settings.environment, migrationsDir: c.migrationsDir, ...p })));
    core.setOutput('plan-file', file);
    written = true;
  };
  return {
    planned: (p) => write(p),
    finished(o: Outcome) {
      if (!written && o.plan) write(o.plan);
    },
  };
}

export function annotationsSink(c: ActionContext): Sink {
  return {
    finished(o: Outcome) {
      if (o.result) {
        annotateProblems(o.result.plan.problems, false, c.redact);
        annotateFindings(o.result.plan.findings, [], c.redact);
        if (o.result.error) annotateFailure(o.result.error, c.redact);
      } else if (o.plan) {
        annotateProblems(o.plan.problems, o.plan.blocked, c.redact);
        annotateFindings(o.review.findings, o.review.refused, c.redact);
        annotateVerdicts(o.plan, c.redact);
      } else if (o.error instanceof ValidationError) {
        annotateProblems(o.error.problems, true, c.redact);
      } else if (o.error instanceof PolicyError) {
        // Every finding on its line: the refused ones as errors, the rest as warnings.
        annotateFindings(o.review.findings, o.review.refused, c.redact);
      }
    },
  };
}

/** The step's result: failed, with one message, unless the run did what it was asked. */
export function stepStatusSink(c: ActionContext): Sink {
  return {
    finished(o: Outcome) {
      const f = o.result?.error;
      // A failure the net rolled back: where the migration failed, then what the rollback did.
      if (f) return core.setFailed(c.redact([failureMessage({ ...f, path: workspacePath(f.path) }), ...(o.rollback ? [o.error!.message] : [])].join('\n')));
      if (o.command === 'plan' && o.plan) {
        if (o.plan.blocked) {
          core.setFailed(
            c.redact(
              `the plan would be refused:\n${o.plan.problems
                .filter((x) => x.blocking)
                .map((x) => `- ${displayMessage(x.message)}`)
                .join('\n')}`,
            ),
          );
        } else if (o.review.refused.length) {
          core.setFailed(
            c.redact(
              `the safety policy would refuse this run in ${c.settings.environment}:\n${o.review.refused.map((x) => `- ${workspacePath(x.path)}:${x.line}: ${x.rule}: ${x.message}`).join('\n')}`,
            ),
          );
        } else if (o.error) {
          // A failed verification on the shadow database: the check fails, saying which migrations.
          core.setFailed(c.redact(o.error.message));
        }
        return;
      }
      if (o.error) {
        core.setFailed(stopMessage(c, o));
        if (o.error.name === 'UnexpectedError') core.error(c.redact(`${o.error.stack ?? ''}\nthis is a bug in pgshift: please report it with the text above.`));
      }
    },
  };
}

/** On a pull request's dry run: one plan comment per environment and directory, edited in place. */
export function prCommentSink(c: ActionContext): Sink {
  return {
    async finished(o: Outcome) {
      if (o.command !== 'plan' || !o.plan || !c.prNumber || !c.settings.commentOnPr || !c.reporter) return;
      const marker = planMarker(c.settings.environment, c.migrationsDir);
      const body = planMarkdown(o.plan, { ...markdownContext(c, o.review.refused), maxFindings: GITHUB_LIMITS.findingsInComment }, GITHUB_LIMITS.body - marker.length - 100);
      const posted = await c.reporter.upsertPlanComment(c.prNumber, marker, `## pgshift plan\n\n${body}`);
      if (posted) core.setOutput('comment-url', posted.url);
    },
  };
}

/** How to recover after an automatic rollback: what state it left, and what to do. */
function rollbackRecovery(rb: NonNullable<Outcome['rollback']>, environment: string): string {
  const lines = ['### How to recover', ''];
  if (rb.error) {
    lines.push(
      `1. **Still applied:** ${rb.stillApplied.map((v) => `\`${v}\``).join(', ') || 'nothing'}. The rollback stopped: ${rb.error}`,
      `2. Check \`${environment}\` by hand; then roll the rest back (\`pgshift down --steps ${rb.stillApplied.length || 1} --env ${environment} --confirm MIGRATE-${environment.toUpperCase()}\`) or fix forward.`,
      '3. Restore from the backup above only if data is gone. Re-run the workflow once fixed; the next successful run closes this issue.',
    );
  } else {
    lines.push(
      `1. \`${environment}\` is back where it was before this run${rb.stillApplied.length ? `, except ${rb.stillApplied.map((v) => `\`${v}\``).join(', ')} (no automatic rollback)` : ''}.`,
      '2. Find out why it failed (above), fix the migration or the app, and push the fix.',
      '3. The next successful run in this environment closes this issue.',
    );
  }
  return lines.join('\n');
}

function quoted(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

/** An incident opens the environment's failure issue (or comments on it); a later success closes it. */
export function failureIssueSink(c: ActionContext): Sink {
  const environment = c.settings.environment;
  const posted = (p: { number?: number; url: string } | undefined) => {
    if (!p) return;
    core.setOutput('issue-number', String(p.number));
    core.setOutput('issue-url', p.url);
  };
  return {
    async finished(o: Outcome) {
      if (!c.settings.openIssueOnFailure || !c.reporter) return;
      if (o.incident) {
        const f = o.result?.error;
        const applied = o.result?.steps.filter((s) => s.status === 'applied').length ?? 0;
        const net = netRunLines(o).join('\n');
        const [headline, details] = o.rollback
          ? [
              o.rollback.error ? `Automatic rollback did not finish in \`${environment}\`` : `Deploy to \`${environment}\` rolled back automatically`,
              // A rollback that stopped says first what is still applied (rollbackWords puts it first).
              `${net.trim()}${f ? `\n\n**The migration that failed**\n\n${linkedFailureDetails(f)}` : ''}`,
            ]
          : f
            ? [
                `Migration \`${f.version}\` ${f.name} failed in \`${environment}\``,
                `${applied ? `${applied} migration(s) before it in the same run were applied and stay applied.\n\n` : ''}${linkedFailureDetails(f)}${net}`,
              ]
            : o.result
              ? [`Health check failed after the deploy to \`${environment}\``, `**Reason**\n\n${quoted(stopMessage(c, o))}\n${net}`]
              : [`pgshift could not run in \`${environment}\``, `**Reason**\n\n${quoted(stopMessage(c, o))}`];
        const body = issueBody(headline, details, o.rollback ? undefined : f, environment, c.migrationsDir, o.rollback ? rollbackRecovery(o.rollback, environment) : undefined);
        const issue = await c.reporter.reportFailure(environment, c.settings.issueLabels, body, `Failed again${commitLine()}.\n\n${body}`);
        posted(issue);
        // The summary links the issue where the recovery is followed.
        if (issue && process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(`\n📌 Tracked in [issue #${issue.number}](${issue.url}).\n`, true).write();
        return;
      }
      if (o.command !== 'plan' && (o.status === 'applied' || o.status === 'up-to-date' || o.status === 'rolled-back')) {
        const verb = o.command;
        posted(
          await c.reporter.reportRecovery(
            environment,
            c.settings.issueLabels,
            `✅ Recovered: pgshift ${verb} succeeded in \`${environment}\` (current version \`${o.currentVersion ?? 'none'}\`)${commitLine()}. Closing this issue.`,
          ),
        );
      }
    },
  };
}
