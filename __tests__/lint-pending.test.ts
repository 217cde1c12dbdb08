// Lint what would really run (issue 9, item 4): without a database, a base commit says what is applied.
// The CLI's --since <git-ref> asks git; the action's pull request dry run reads the base from the event
// and the pull request's files from the GitHub API (every page), or from git without a token. Without
// either, the output says plainly what a one-batch lint of the whole directory hides.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../src/types';
import { runAction } from './helpers/action';
import { runCli, tempDir, writeMigrations } from './helpers/db';
import { FakeGitHub, type PullFile } from './helpers/github-server';

/** Applied on main: the table the new migration changes. */
const BASE = { '1_users.sql': '-- migrate:up\nCREATE TABLE users (id int PRIMARY KEY, email text, legacy text);\n-- migrate:down\nDROP TABLE users;\n' };
/** What the branch adds: alone, an error-level DROP COLUMN, a NOT NULL column with no default, a blocking index. */
const NEW = {
  '2_users_more.sql': [
    '-- migrate:up',
    'ALTER TABLE users DROP COLUMN legacy;',
    'ALTER TABLE users ADD COLUMN plan text NOT NULL;',
    'CREATE INDEX users_email_idx ON users (email);',
    '-- migrate:down',
    'DROP INDEX users_email_idx;',
    'ALTER TABLE users DROP COLUMN plan;',
    'ALTER TABLE users ADD COLUMN legacy text;',
    '',
  ].join('\n'),
};
const NEW_FINDINGS = ['2_users_more.sql:2 drop-column', '2_users_more.sql:3 add-column-not-null-without-default', '2_users_more.sql:4 index-without-concurrently'];
const HIDDEN = 'findings on objects created earlier in the directory are not reported';

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=pgshift test', '-c', 'user.email=test@pgshift.test', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8', stdio: 'pipe' });
}

/** A repository whose main holds BASE, on a branch `feature` that commits NEW; returns it and main's commit. */
function repository(): { repo: string; baseSha: string } {
  const repo = tempDir('pgshift-since-');
  temps.push(repo);
  git(repo, 'init', '-q', '-b', 'main');
  writeMigrations(join(repo, 'migrations'), BASE);
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'base');
  const baseSha = git(repo, 'rev-parse', 'HEAD').trim();
  git(repo, 'checkout', '-q', '-b', 'feature');
  writeMigrations(join(repo, 'migrations'), NEW);
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'feature');
  return { repo, baseSha };
}

const rulesAt = (json: string) => (JSON.parse(json) as Finding[]).map((f) => `${f.path.split('/').pop()}:${f.line} ${f.rule}`);

describe('pgshift lint and plan in the CLI', () => {
  test('a directory linted without a database or --since says what the one batch hides', async () => {
    const { repo } = repository();
    const r = await runCli(['lint', 'migrations'], { cwd: repo });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('no findings');
    // The old build printed "no findings" and nothing else, while the new file alone has two errors.
    expect(r.stderr).toContain(HIDDEN);
    expect(r.stderr).toContain('--since <git-ref>');
    // A single migration is its own batch: nothing is hidden, nothing to say.
    const one = await runCli(['lint', 'migrations/2_users_more.sql'], { cwd: repo });
    expect(one.stderr).toBe('');
  });

  test('lint --since main lints what the branch adds (committed, edited, untracked) with the older tables old', async () => {
    const { repo } = repository();
    // Not committed yet: a new file, and an edit of nothing else.
    writeMigrations(join(repo, 'migrations'), { '3_email_not_null.sql': '-- migrate:up\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n' });
    const json = await runCli(['lint', 'migrations', '--since', 'main', '--json'], { cwd: repo });
    expect(json.code).toBe(1);
    expect(rulesAt(json.stdout)).toEqual([...NEW_FINDINGS, '3_email_not_null.sql:2 set-not-null']);
    const text = await runCli(['lint', '--since', 'main', '--dir', 'migrations'], { cwd: repo });
    expect(text.code).toBe(1);
    expect(text.stdout.split('\n').filter(Boolean).at(-1)).toBe('2 errors, 2 warnings');
    expect(text.stderr).toMatch(/^note: migrations: linted the 2 migrations added or changed since main \([0-9a-f]{7}\); the 1 unchanged one counts as applied/);
    expect(text.stderr).not.toContain(HIDDEN);
  });

  test('plan --since main plans only what the branch adds, and says what counts as applied', async () => {
    const { repo, baseSha } = repository();
    const text = await runCli(['plan', '--since', 'main'], { cwd: repo });
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`No database asked: the 1 migration unchanged since main (${baseSha.slice(0, 7)}) counts as applied`);
    expect(text.stdout).toContain('1 migration to apply:');
    expect(text.stdout).not.toContain('1_users.sql');
    expect(text.stdout).toContain('Safety (3 findings):');
    const json = JSON.parse((await runCli(['plan', '--since', 'main', '--json'], { cwd: repo })).stdout);
    expect(json.steps.map((s: { migration: { version: string } }) => s.migration.version)).toEqual(['2']);
    expect(json.baseline).toEqual({ label: `main (${baseSha.slice(0, 7)})`, applied: 1 });
    expect(json.findings.map((f: Finding) => `${f.path.split('/').pop()}:${f.line} ${f.rule}`)).toEqual(NEW_FINDINGS);
    // Without --since the plan is blind to the same findings, and says so.
    const blind = await runCli(['plan'], { cwd: repo });
    expect(blind.stdout).toContain('Safety: no findings.');
    expect(blind.stdout).toContain(HIDDEN);
  });

  test('--since with a ref git does not know, or outside a repository, is a usage error that says so', async () => {
    const { repo } = repository();
    const unknown = await runCli(['lint', 'migrations', '--since', 'no-such-branch'], { cwd: repo });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--since no-such-branch: git knows no commit by that name');
    const outside = tempDir('pgshift-since-nogit-');
    temps.push(outside);
    writeMigrations(join(outside, 'migrations'), BASE);
    const nogit = await runCli(['plan', '--since', 'main'], { cwd: outside });
    expect(nogit.code).toBe(2);
    expect(nogit.stderr).toContain('is not inside a git repository');
  });
});

describe("the action's pull request dry run without a database", () => {
  let gh: FakeGitHub;
  beforeEach(async () => {
    gh = await new FakeGitHub().start();
  });
  afterEach(async () => {
    await gh.stop();
  });

  const event = (baseSha?: string) => ({ pull_request: { number: 7, ...(baseSha ? { base: { sha: baseSha, ref: 'main' } } : {}) }, number: 7 });
  const comment = () => gh.comments.find((c) => c.issue_number === 7)?.body ?? '';

  test("with a token: the pull request's files from the API, every page; the base's migrations count as applied", async () => {
    const workspace = tempDir('pgshift-pr-api-');
    temps.push(workspace);
    writeMigrations(join(workspace, 'migrations'), { ...BASE, ...NEW });
    // 150 files: the migration is on the second page of 100.
    const files: PullFile[] = Array.from({ length: 149 }, (_, i) => ({ filename: `src/file${i}.ts`, status: 'modified' }));
    files.push({ filename: 'migrations/2_users_more.sql', status: 'added' }, { filename: 'migrations/0_gone.sql', status: 'removed' });
    gh.pullFiles.set(7, files);
    const baseSha = 'b'.repeat(40);
    const r = await runAction({ inputs: { 'dry-run': 'true', 'github-token': 't0ken' }, eventName: 'pull_request', event: event(baseSha), apiUrl: gh.url, workspace });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('planned');
    expect(r.outputs['pending-count']).toBe('1');
    const pages = gh.requests.filter((q) => q.path === '/repos/acme/app/pulls/7/files');
    expect(pages.map((q) => q.query.page ?? '1')).toEqual(['1', '2']);
    const body = comment();
    // The destructive change comes first in the headline, then the count.
    expect(body).toContain('⚠️ **1 destructive change (drop-column)** in `development` (`migrations`) — 1 migration pending');
    expect(body).toContain("the 1 migration unchanged since the pull request's base bbbbbbb counts as applied");
    for (const rule of ['drop-column', 'add-column-not-null-without-default', 'index-without-concurrently']) expect(body).toContain(`[${rule}](`);
    expect(body).not.toContain(HIDDEN);
    // Each finding is annotated on its line of the new file; nothing warns that the files could not be read.
    expect(
      r.annotations
        .filter((a) => a.startsWith('::warning'))
        .map((a) =>
          a
            .match(/file=([^,]+),line=(\d+)/)
            ?.slice(1)
            .join(':'),
        ),
    ).toEqual(['migrations/2_users_more.sql:2', 'migrations/2_users_more.sql:3', 'migrations/2_users_more.sql:4']);
  });

  test('without a token: git says what the pull request changes since its base', async () => {
    const { repo, baseSha } = repository();
    const r = await runAction({ inputs: { 'dry-run': 'true' }, eventName: 'pull_request', event: event(baseSha), apiUrl: gh.url, workspace: repo });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.outputs['pending-count']).toBe('1');
    expect(r.stdout).toContain(`No database asked: the 1 migration unchanged since the pull request's base ${baseSha.slice(0, 7)} counts as applied`);
    expect(r.summary).toContain('drop-column');
    expect(r.summary).toContain('add-column-not-null-without-default');
    expect(gh.requests).toEqual([]);
  });

  test('when neither GitHub nor git can tell, or the event has no base: a warning, and the comment says what is not reported', async () => {
    const workspace = tempDir('pgshift-pr-blind-');
    temps.push(workspace);
    writeMigrations(join(workspace, 'migrations'), { ...BASE, ...NEW });
    // The API answers 404 for this pull request's files, and the workspace is no git repository.
    const r = await runAction({ inputs: { 'dry-run': 'true', 'github-token': 't0ken' }, eventName: 'pull_request', event: event('c'.repeat(40)), apiUrl: gh.url, workspace });
    expect(r.code).toBe(0);
    const warnings = r.annotations.filter((a) => a.startsWith('::warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('could not tell which migrations pull request #7 adds or changes');
    expect(warnings[0]).toContain('HTTP 404');
    expect(r.outputs['pending-count']).toBe('2');
    expect(comment()).toContain(HIDDEN);
    expect(comment()).toContain('✅ No findings');

    // No base in the event: nothing to ask, and the same plain words.
    gh.comments.length = 0;
    const noBase = await runAction({ inputs: { 'dry-run': 'true', 'github-token': 't0ken' }, eventName: 'pull_request', event: event(), apiUrl: gh.url, workspace });
    expect(noBase.code).toBe(0);
    expect(gh.requests.filter((q) => q.path.includes('/pulls/'))).toHaveLength(1); // the one above
    expect(comment()).toContain(HIDDEN);
    expect(noBase.stdout).toContain(HIDDEN);
  });
});
