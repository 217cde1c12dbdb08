// The PR comment end to end, through the action bundle and the fake GitHub API, on what needs no shadow
// database: the headline's order, the commit (the PR's head, not the merge commit), the time and the run,
// every file:line linked to the head commit, every rule linked by an absolute URL (comment, summary and
// annotations alike), each row's risk and rollback.
import { join } from 'node:path';
import { runAction, type ActionRunResult } from './helpers/action';
import { createDatabase, runCli, tempDir, writeMigrations, type TestDatabase } from './helpers/db';
import { FakeGitHub } from './helpers/github-server';

let db: TestDatabase;
let gh: FakeGitHub;
let workspace: string;
let migrations: string;

const BASE = '-- migrate:up\nCREATE TABLE users (id int primary key, legacy text, email text);\n-- migrate:down\nDROP TABLE users;\n';
const DROP_LEGACY = '-- migrate:up\n-- unused since v2\nALTER TABLE users DROP COLUMN legacy;\n-- migrate:down\nALTER TABLE users ADD COLUMN legacy text;\n';
const EMAIL_INDEX = '-- migrate:up\nCREATE INDEX users_email_idx ON users (email);\n-- migrate:down\n';
const HEAD = 'feedfacefeedfacefeedfacefeedfacefeedface';
const MERGE = '0123456789abcdef0123456789abcdef01234567'; // GITHUB_SHA of the helper: the merge commit
const prEvent = { pull_request: { number: 7, head: { sha: HEAD } }, number: 7 };
const RULES = 'https://github.com/pgshift/pgshift/blob/main/docs/rules.md';
const BLOB = `https://github.test/acme/app/blob/${HEAD}/migrations`;

beforeEach(async () => {
  db = await createDatabase();
  gh = await new FakeGitHub().start();
  workspace = tempDir('pgshift-comment-links-');
  migrations = join(workspace, 'migrations');
  writeMigrations(migrations, { '1_base.sql': BASE });
  const up = await runCli(['up', '--dir', migrations], { env: { DATABASE_URL: db.url } });
  expect(up.code).toBe(0);
  writeMigrations(migrations, { '2_drop_legacy.sql': DROP_LEGACY, '3_email_index.sql': EMAIL_INDEX });
});
afterEach(async () => {
  await gh.stop();
  await db.drop();
});

function prDryRun(environment: string, env: Record<string, string> = {}): Promise<ActionRunResult> {
  return runAction({
    inputs: { 'database-url': db.url, 'dry-run': 'true', environment, 'github-token': 't0ken' },
    eventName: 'pull_request',
    event: prEvent,
    apiUrl: gh.url,
    workspace,
    env,
  });
}
const comment = (env: string) => gh.comments.find((c) => c.body.includes(`<!-- pgshift:plan env=${env} dir=migrations -->`))!.body;

test('staging: destructive first in the headline, then the count; commit, time and run under it; links to the head commit and the rules', async () => {
  const before = Date.now();
  const r = await prDryRun('staging');
  expect(r.code).toBe(0);
  const body = comment('staging');
  const lines = body.split('\n');
  expect(lines[3]).toBe('⚠️ **1 destructive change (drop-column)** in `staging` (`migrations`) — 2 migrations pending');
  // The PR's head commit, not GITHUB_SHA (the merge commit), when it ran (UTC, to the minute), and the run.
  const m =
    /^<sub>commit \[`feedfac`\]\(https:\/\/github\.test\/acme\/app\/commit\/feedface\w+\) · (\d{4}-\d\d-\d\d \d\d:\d\d) UTC · \[workflow run\]\(https:\/\/github\.test\/acme\/app\/actions\/runs\/4242\)<\/sub>$/.exec(
      lines[5],
    );
  expect(m).not.toBeNull();
  const ran = Date.parse(`${m![1].replace(' ', 'T')}:00Z`);
  expect(ran).toBeGreaterThanOrEqual(Math.floor(before / 60_000) * 60_000);
  expect(ran).toBeLessThanOrEqual(Date.now());
  expect(body).not.toContain(MERGE);

  // Rows: risk and rollback.
  const rows = lines.filter((l) => /^\| `\d` \|/.test(l));
  expect(rows[0]).toContain(`| 🛑 error: [drop-column](${RULES}#drop-column) · destructive | ↩️ down |`);
  expect(rows[1]).toMatch(/\| ⚠️ warning: \[[a-z-]+\]\(https:\/\/github\.com\/pgshift\/pgshift\/blob\/main\/docs\/rules\.md#[a-z-]+\) \| ↩️ no-op \(empty down\) \|$/);

  // Safety: the error before the warning, each file:line linked to its line in the head commit.
  const safety = body.slice(body.indexOf('### Safety'), body.indexOf('### Migrations'));
  const findings = safety.split('\n').filter((l) => /^\| (🛑|⚠️)/.test(l));
  expect(findings).toHaveLength(2);
  expect(findings[0]).toContain(`| [drop-column](${RULES}#drop-column) | [\`migrations/2_drop_legacy.sql:3\`](${BLOB}/2_drop_legacy.sql#L3) |`);
  expect(findings[1]).toContain(`](${BLOB}/3_email_index.sql#L2) |`);
  // No relative rule link anywhere, in the comment or the summary.
  for (const text of [body, r.summary]) expect(text).not.toMatch(/\]\(docs\/rules\.md/);
  expect(r.summary).toContain(`[\`migrations/2_drop_legacy.sql:3\`](${BLOB}/2_drop_legacy.sql#L3)`);
  // The annotations carry the absolute rule URL too.
  const annotations = r.annotations.filter((a) => a.includes('file=migrations/2_drop_legacy.sql'));
  expect(annotations).toHaveLength(1);
  expect(annotations[0]).toContain(`(${RULES}#drop-column)`);
});

test('production: "refused in a protected environment" comes before the destructive change', async () => {
  const r = await prDryRun('production');
  expect(r.code).not.toBe(0);
  expect(comment('production').split('\n')[3]).toBe(
    '❌ **Refused in a protected environment: 1 finding the safety policy refuses** in `production` (`migrations`) — also 1 destructive change (drop-column); 2 migrations pending',
  );
  const refusedLine = comment('production')
    .split('\n')
    .find((l) => l.startsWith('❌ **The safety policy refuses'));
  expect(refusedLine).toContain(`[docs/rules.md](https://github.com/pgshift/pgshift/blob/main/docs/rules.md)`);
});

test('without the event naming a head, GITHUB_SHA is the commit; an action run from a ref links the docs at that ref', async () => {
  const r = await runAction({
    inputs: { 'database-url': db.url, 'dry-run': 'true', environment: 'staging', 'github-token': 't0ken' },
    eventName: 'pull_request',
    event: { pull_request: { number: 7 }, number: 7 },
    apiUrl: gh.url,
    workspace,
    env: { GITHUB_ACTION_REPOSITORY: 'fork/pgshift', GITHUB_ACTION_REF: 'v1' },
  });
  expect(r.code).toBe(0);
  const body = comment('staging');
  expect(body).toContain(`commit [\`0123456\`](https://github.test/acme/app/commit/${MERGE})`);
  expect(body).toContain(`](https://github.test/acme/app/blob/${MERGE}/migrations/2_drop_legacy.sql#L3)`);
  expect(body).toContain('[drop-column](https://github.test/fork/pgshift/blob/v1/docs/rules.md#drop-column)');
});
