// A pull request's dry run without a database: its base commit (pull_request.base.sha) says what is
// applied, and the files the pull request adds or changes are pending. The files come from the GitHub
// API when there is a token (actions/checkout fetches one commit by default, so git often cannot
// see the base), else from git. What that means for the migrations is the commands' decision.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseNameStatus } from '../commands';
import type { Baseline } from '../types';
import type { GitHubReporter } from './github';

export interface PullRequestBase {
  number: number;
  /** pull_request.base.sha of the event. */
  baseSha: string;
}

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 512 * 1024 * 1024 });
}

/** The folder the API's paths start from: the repository's root, which is the workspace unless checked out elsewhere. */
function repositoryRoot(migrationsPath: string, workspace: string): string {
  try {
    return git(['rev-parse', '--show-toplevel'], migrationsPath).trim() || workspace;
  } catch {
    return workspace;
  }
}

/** git's list of what changed between the base and HEAD: since the merge base when git has it, else the plain difference. */
function gitChanges(baseSha: string, root: string): string {
  try {
    return git(['diff', '--name-status', '-z', '--no-renames', `${baseSha}...HEAD`, '--'], root);
  } catch {
    // HEAD is usually GitHub's merge commit of the pull request onto its base: base..HEAD is what it changes.
    return git(['diff', '--name-status', '-z', '--no-renames', baseSha, 'HEAD', '--'], root);
  }
}

/** The baseline of a pull request, or undefined (with a warning saying what that hides) when neither GitHub nor git can tell. */
export async function pullRequestBaseline(
  pr: PullRequestBase,
  o: { reporter?: GitHubReporter; migrationsPath: string; workspace: string; warn: (message: string) => void },
): Promise<Baseline | undefined> {
  const label = `the pull request's base ${pr.baseSha.slice(0, 7)}`;
  const root = repositoryRoot(o.migrationsPath, o.workspace);
  let apiProblem: string | undefined;
  if (o.reporter) {
    const listed = await o.reporter.pullRequestFiles(pr.number);
    if ('files' in listed) return { label, changed: listed.files.filter((f) => f.status !== 'removed' && f.status !== 'unchanged').map((f) => resolve(root, f.filename)) };
    apiProblem = listed.error;
  }
  try {
    return { label, changed: parseNameStatus(gitChanges(pr.baseSha, root), root) };
  } catch (err) {
    const said = String((err as { stderr?: string }).stderr || (err as Error).message)
      .trim()
      .split('\n')[0];
    o.warn(
      `pgshift could not tell which migrations pull request #${pr.number} adds or changes: ${apiProblem ? `reading its files from GitHub failed (${apiProblem}), and` : 'there is no github-token to ask GitHub, and'} git cannot compare with its base ${pr.baseSha.slice(0, 7)} (${said}; actions/checkout fetches a single commit unless fetch-depth is 0). Every migration in the directory is planned as pending, in one batch: findings on objects created earlier in the directory are not reported.`,
    );
    return undefined;
  }
}
