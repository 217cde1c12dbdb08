// What the action says on GitHub: one plan comment per PR, environment and directory (found by a
// hidden marker across every page of comments, edited in place), and one open failure issue per
// environment (found by marker and label), commented on by later failures and closed on recovery.
import * as core from '@actions/core';
import * as github from '@actions/github';

type Octokit = ReturnType<typeof github.getOctokit>;

export interface Posted {
  url: string;
  number?: number;
}

/** A token without the permission (fork PRs, read-only tokens) makes reporting a warning, not a failure. */
function isPermissionError(err: unknown): boolean {
  const status = (err as { status?: number })?.status;
  return status === 403 || status === 401 || status === 404;
}

/** What GitHub accepts, in one place: comment and issue bodies over 65,536 characters are refused
 * (HTTP 422), a step summary keeps at most 1 MiB, and a comment stays readable with 30 findings. */
export const GITHUB_LIMITS = { body: 65_536, summary: 1_000_000, findingsInComment: 30 } as const;
const BODY_LIMIT = GITHUB_LIMITS.body;

/** Last resort for a body the reports did not keep short enough: cut it, and say so. */
export function fitBody(body: string): string {
  if (body.length <= BODY_LIMIT) return body;
  const note = "\n\n_… cut here: GitHub accepts at most 65,536 characters; the full report is in the run's summary._";
  return body.slice(0, BODY_LIMIT - note.length - 10) + note;
}

/** A file of a pull request, as GitHub lists it: its path from the repository root and what the pull request did to it. */
export interface PullRequestFile {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
}

/** The most files GitHub lists for one pull request. */
const PR_FILES_LIMIT = 3000;

export function planMarker(environment: string, dir: string): string {
  return `<!-- pgshift:plan env=${environment} dir=${dir} -->`;
}

/** What an environment's tracking issue is about: a failed run, or schema drift found by a scheduled check. */
export type IssueKind = 'failure' | 'drift';
const ISSUE_TITLES: Record<IssueKind, (environment: string) => string> = {
  failure: (e) => `Migration failed in ${e}`,
  drift: (e) => `Schema drift in ${e}`,
};

export function failureMarker(environment: string, kind: IssueKind = 'failure'): string {
  return `<!-- pgshift:${kind} env=${environment} -->`;
}

export class GitHubReporter {
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly repo: string;

  constructor(
    token: string,
    private readonly redact: (s: string) => string,
  ) {
    this.octokit = github.getOctokit(token);
    const [owner, repo] = (process.env.GITHUB_REPOSITORY ?? '/').split('/');
    this.owner = owner;
    this.repo = repo;
  }

  /** Runs a GitHub call; a permission error becomes a warning and `undefined`. */
  private async guarded<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      const status = (err as { status?: number })?.status;
      const message = this.redact((err as Error)?.message ?? String(err));
      if (isPermissionError(err)) {
        core.warning(
          `pgshift could not ${what} (HTTP ${status}: ${message}). The token needs ${what.includes('comment on the pull request') ? '"pull-requests: write"' : '"issues: write"'} permission; pull requests from forks get a read-only token. The migration result is unaffected.`,
        );
        return undefined;
      }
      core.warning(`pgshift could not ${what}: ${message}. The migration result is unaffected.`);
      return undefined;
    }
  }

  /**
   * The files a pull request adds, changes or removes, every page of them; or why they could not be read.
   * GitHub lists at most 3,000 files, so a longer list cannot be trusted to be complete.
   */
  async pullRequestFiles(prNumber: number): Promise<{ files: PullRequestFile[] } | { error: string }> {
    try {
      const files = await this.octokit.paginate(this.octokit.rest.pulls.listFiles, { owner: this.owner, repo: this.repo, pull_number: prNumber, per_page: 100 });
      if (files.length >= PR_FILES_LIMIT) return { error: `GitHub lists at most ${PR_FILES_LIMIT.toLocaleString('en')} files of a pull request, and this one has that many or more` };
      return { files: files.map((f) => ({ filename: f.filename, status: f.status })) };
    } catch (err) {
      const status = (err as { status?: number })?.status;
      const message = this.redact((err as Error)?.message ?? String(err));
      return { error: `GitHub answered ${status ? `HTTP ${status}: ` : ''}${message}${isPermissionError(err) ? ' (the token needs "pull-requests: read")' : ''}` };
    }
  }

  /** Creates or edits the PR's plan comment; never a second one for the same marker. */
  async upsertPlanComment(prNumber: number, marker: string, body: string): Promise<Posted | undefined> {
    return this.guarded('comment on the pull request', async () => {
      const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, { owner: this.owner, repo: this.repo, issue_number: prNumber, per_page: 100 });
      const existing = comments.find((c) => c.body?.includes(marker));
      const full = fitBody(`${marker}\n${this.redact(body)}`);
      if (existing) {
        const { data } = await this.octokit.rest.issues.updateComment({ owner: this.owner, repo: this.repo, comment_id: existing.id, body: full });
        return { url: data.html_url };
      }
      const { data } = await this.octokit.rest.issues.createComment({ owner: this.owner, repo: this.repo, issue_number: prNumber, body: full });
      return { url: data.html_url };
    });
  }

  private async findOpenFailureIssue(environment: string, label: string | undefined, kind: IssueKind): Promise<{ number: number; html_url: string } | undefined> {
    const marker = failureMarker(environment, kind);
    const issues = await this.octokit.paginate(this.octokit.rest.issues.listForRepo, {
      owner: this.owner,
      repo: this.repo,
      state: 'open',
      ...(label ? { labels: label } : {}),
      per_page: 100,
    });
    return issues.find((i) => !i.pull_request && i.body?.includes(marker));
  }

  /** Labels must exist before an issue can carry them with a read/write token. */
  private async ensureLabels(labels: string[]): Promise<void> {
    for (const name of labels) {
      try {
        await this.octokit.rest.issues.getLabel({ owner: this.owner, repo: this.repo, name });
      } catch (err) {
        if ((err as { status?: number }).status !== 404) throw err;
        await this.octokit.rest.issues.createLabel({ owner: this.owner, repo: this.repo, name, color: 'b60205', description: 'pgshift: a database migration failed' });
      }
    }
  }

  /** Opens `Migration failed in <environment>`, or comments on the open one. */
  async reportFailure(environment: string, labels: string[], body: string, followUp: string, kind: IssueKind = 'failure'): Promise<Posted | undefined> {
    return this.guarded(`open or update the ${kind} issue`, async () => {
      const open = await this.findOpenFailureIssue(environment, labels[0], kind);
      if (open) {
        await this.octokit.rest.issues.createComment({ owner: this.owner, repo: this.repo, issue_number: open.number, body: fitBody(this.redact(followUp)) });
        return { url: open.html_url, number: open.number };
      }
      await this.ensureLabels(labels);
      const { data } = await this.octokit.rest.issues.create({
        owner: this.owner,
        repo: this.repo,
        title: ISSUE_TITLES[kind](environment),
        body: fitBody(`${failureMarker(environment, kind)}\n${this.redact(body)}`),
        labels,
      });
      return { url: data.html_url, number: data.number };
    });
  }

  /** After a successful run: comment that the environment recovered and close its open failure issue. */
  async reportRecovery(environment: string, labels: string[], body: string, kind: IssueKind = 'failure'): Promise<Posted | undefined> {
    return this.guarded(`close the ${kind} issue`, async () => {
      const open = await this.findOpenFailureIssue(environment, labels[0], kind);
      if (!open) return undefined;
      await this.octokit.rest.issues.createComment({ owner: this.owner, repo: this.repo, issue_number: open.number, body: fitBody(this.redact(body)) });
      await this.octokit.rest.issues.update({ owner: this.owner, repo: this.repo, issue_number: open.number, state: 'closed', state_reason: 'completed' });
      return { url: open.html_url, number: open.number };
    });
  }
}
