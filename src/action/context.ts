// Facts about the workflow run, from the runner's environment: links, paths and who ran what.
import { relative } from 'node:path';
import type { MigrationError } from '../types';
import { recoverySteps } from '../report/markdown';

export function runUrl(): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = process.env;
  return GITHUB_REPOSITORY && GITHUB_RUN_ID ? `${GITHUB_SERVER_URL || 'https://github.com'}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}` : undefined;
}

/** Where this action's docs/rules.md can be read: its own repository at the ref in use. */
export function docsBase(): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_ACTION_REPOSITORY, GITHUB_ACTION_REF } = process.env;
  return GITHUB_ACTION_REPOSITORY ? `${GITHUB_SERVER_URL || 'https://github.com'}/${GITHUB_ACTION_REPOSITORY}/blob/${GITHUB_ACTION_REF || 'main'}` : undefined;
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

/** The failure issue: what failed where, the run it failed in, and how to recover. */
export function issueBody(headline: string, details: string, f: MigrationError | undefined, environment: string, migrationsDir: string): string {
  const url = runUrl();
  return [
    `## ${headline}`,
    '',
    '| | |',
    '| --- | --- |',
    `| Environment | \`${environment}\` |`,
    `| Migrations directory | \`${migrationsDir}\` |`,
    `| Commit | ${process.env.GITHUB_SHA ? `\`${process.env.GITHUB_SHA}\`` : 'unknown'} |`,
    `| Actor | ${process.env.GITHUB_ACTOR ? `@${process.env.GITHUB_ACTOR}` : 'unknown'} |`,
    `| Run | ${url ? `[${url}](${url})` : 'unknown'} |`,
    '',
    details,
    '',
    recoverySteps(f, environment),
  ].join('\n');
}
