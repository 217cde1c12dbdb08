// Facts about the workflow run, from the runner's environment: links, paths and who ran what.
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import type { MigrationError } from '../types';
import { failureDetails, recoverySteps, type MarkdownContext } from '../report/markdown';

export function runUrl(): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = process.env;
  return GITHUB_REPOSITORY && GITHUB_RUN_ID ? `${GITHUB_SERVER_URL || 'https://github.com'}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}` : undefined;
}

/** Where this action's docs/rules.md can be read: its own repository at the ref in use. */
export function docsBase(): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_ACTION_REPOSITORY, GITHUB_ACTION_REF } = process.env;
  return GITHUB_ACTION_REPOSITORY ? `${GITHUB_SERVER_URL || 'https://github.com'}/${GITHUB_ACTION_REPOSITORY}/blob/${GITHUB_ACTION_REF || 'main'}` : undefined;
}

/** The repository's page ("https://github.com/acme/app"); undefined when the runner does not say which. */
export function repositoryUrl(): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY } = process.env;
  return GITHUB_REPOSITORY ? `${GITHUB_SERVER_URL || 'https://github.com'}/${GITHUB_REPOSITORY}` : undefined;
}

/**
 * The commit a report describes: a pull request's head (on pull_request events GITHUB_SHA is a merge
 * commit nobody pushed, whose lines can move), else GITHUB_SHA.
 */
export function headSha(): string | undefined {
  try {
    const path = process.env.GITHUB_EVENT_PATH;
    const head: unknown = path ? (JSON.parse(readFileSync(path, 'utf8')) as { pull_request?: { head?: { sha?: unknown } } }).pull_request?.head?.sha : undefined;
    if (typeof head === 'string' && /^[0-9a-f]{7,64}$/i.test(head)) return head;
  } catch {
    // No readable event payload: the run's own commit.
  }
  return process.env.GITHUB_SHA || undefined;
}

/** The commit as a report names it, with its page when the repository is known. */
export function commitRef(): MarkdownContext['commit'] {
  const sha = headSha();
  if (!sha) return undefined;
  const repo = repositoryUrl();
  return { sha, url: repo && `${repo}/commit/${sha}` };
}

/** `path` at `line` in the head commit; undefined without a repository or commit, or for a file outside the workspace. */
export function fileUrl(path: string, line?: number): string | undefined {
  const repo = repositoryUrl();
  const sha = headSha();
  if (!repo || !sha) return undefined;
  const rel = relative(process.env.GITHUB_WORKSPACE || process.cwd(), path);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return `${repo}/blob/${sha}/${rel.split(sep).map(encodeURIComponent).join('/')}${line ? `#L${line}` : ''}`;
}

/** A path as annotations want it: relative to the checked-out workspace. */
export function workspacePath(path: string): string {
  return relative(process.env.GITHUB_WORKSPACE || process.cwd(), path) || path;
}

/** " at commit abc1234 by @actor ([run](…))", for one-line comments. */
export function commitLine(): string {
  const sha = process.env.GITHUB_SHA?.slice(0, 7);
  const actor = process.env.GITHUB_ACTOR;
  const url = runUrl();
  return `${sha ? ` at commit \`${sha}\`` : ''}${actor ? ` by @${actor}` : ''}${url ? ` ([run](${url}))` : ''}`;
}

/** The failure's details for the issue and the summary, its file linked to the failing line. */
export function linkedFailureDetails(f: MigrationError): string {
  return failureDetails(f, fileUrl);
}

/** The failure issue: what failed where, the run it failed in, and how to recover. */
export function issueBody(headline: string, details: string, f: MigrationError | undefined, environment: string, migrationsDir: string, recovery?: string): string {
  const url = runUrl();
  const commit = commitRef();
  return [
    `## ${headline}`,
    '',
    '| | |',
    '| --- | --- |',
    `| Environment | \`${environment}\` |`,
    `| Migrations directory | \`${migrationsDir}\` |`,
    `| Commit | ${commit ? (commit.url ? `[\`${commit.sha}\`](${commit.url})` : `\`${commit.sha}\``) : 'unknown'} |`,
    `| Actor | ${process.env.GITHUB_ACTOR ? `@${process.env.GITHUB_ACTOR}` : 'unknown'} |`,
    `| Run | ${url ? `[${url}](${url})` : 'unknown'} |`,
    '',
    details,
    '',
    recovery ?? recoverySteps(f, environment, docsBase()),
  ].join('\n');
}
