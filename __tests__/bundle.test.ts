// The bundles: the committed dist/ is what the sources build to, and the bundles run from a folder with
// no node_modules (a GitHub runner checks out the repository, dist/ included, and installs nothing).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VERSION } from '../src/cli/version';
import { runAction } from './helpers/action';
import { DIST, ROOT, tempDir } from './helpers/db';
import { FakeGitHub } from './helpers/github-server';
import { EXAMPLE_DIR, EXAMPLE_MIGRATIONS } from './helpers/example';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

function node(args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  const r = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the committed dist/ is current: a fresh build matches it byte for byte', () => {
  // Always the repository's dist/ (not PGSHIFT_DIST): this checks what is committed.
  const committed = join(ROOT, 'dist');
  const fresh = join(tempDir('pgshift-build-'), 'dist');
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), fresh], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
  if (build.status !== 0) throw new Error(`the build failed (${build.status}):\n${build.stdout}\n${build.stderr}`);

  const freshFiles = filesUnder(fresh);
  expect(freshFiles).toEqual(expect.arrayContaining(['index.js', 'libpg-query.wasm', 'cli/index.js', 'cli/libpg-query.wasm']));
  expect(filesUnder(committed)).toEqual(freshFiles);
  const stale = freshFiles.filter((f) => !readFileSync(join(fresh, f)).equals(readFileSync(join(committed, f))));
  // If this fails: run `npm run build` and commit dist/.
  expect(stale).toEqual([]);
}, 180_000);

// `npm test` builds before jest runs, so in CI the comparison above sees a fresh dist/ either way. What
// git knows closes that gap: with the build's inputs as committed, dist/ must be as committed too.
const BUILD_INPUTS = ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'scripts/build.mjs'];
function gitStatus(paths: string[]): string | undefined {
  const r = spawnSync('git', ['status', '--porcelain', '--', ...paths], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout : undefined;
}
const inputsAsCommitted = gitStatus(BUILD_INPUTS) === '';

(inputsAsCommitted ? test : test.skip)('with the sources as committed, dist/ is as committed (run after a build)', () => {
  // If this fails: the committed dist/ was built from other sources. Run `npm run build` and commit dist/.
  expect(gitStatus(['dist'])).toBe('');
});

describe('the bundles run from a folder with no node_modules', () => {
  let cliDir: string;
  let gh: FakeGitHub;
  beforeAll(async () => {
    gh = await new FakeGitHub().start();
  });
  afterAll(async () => {
    await gh.stop();
  });
  beforeAll(() => {
    const copy = join(tempDir('pgshift-bundle-'), 'dist');
    cpSync(DIST, copy, { recursive: true });
    cliDir = join(copy, 'cli');
    // Nothing up the tree may lend the bundle a module.
    for (let d = copy; ; d = dirname(d)) {
      expect(existsSync(join(d, 'node_modules'))).toBe(false);
      if (dirname(d) === d) break;
    }
  });

  test('both bundles sit beside the parser WebAssembly', () => {
    for (const dir of [dirname(cliDir), cliDir]) {
      expect(existsSync(join(dir, 'index.js'))).toBe(true);
      expect(existsSync(join(dir, 'libpg-query.wasm'))).toBe(true);
    }
  });

  test('pgshift --version prints the package version', () => {
    const r = node([join(cliDir, 'index.js'), '--version'], cliDir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  test('pgshift plan with no database plans every example migration, parsing its SQL', () => {
    const r = node([join(cliDir, 'index.js'), 'plan', '--dir', EXAMPLE_DIR], cliDir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No database given: every migration in the directory is treated as pending.');
    expect(r.stdout).toContain(`${EXAMPLE_MIGRATIONS.length} migrations to apply`);
    const listed = r.stdout.split('\n').filter((l) => /^\d+\. ↑ /.test(l));
    expect(listed.map((l) => l.replace(/^\d+\. ↑ (\S+ \S+).*$/, '$1'))).toEqual(EXAMPLE_MIGRATIONS.map((m) => `${m.version} ${m.name}`));
    // Statement counts come from the WebAssembly parser: $$ bodies are one statement each.
    expect(listed.find((l) => l.includes('004 set_updated_at_trigger'))).toContain('[transactional, 4 statements]');
    expect(listed.find((l) => l.includes('010 index_open_tasks_concurrently'))).toContain('[non-transactional, 2 statements]');
  });

  test('the action bundle plans a fork PR from files alone and comments, parsing and linting with the WebAssembly', async () => {
    const workspace = tempDir('pgshift-bundle-ws-');
    cpSync(EXAMPLE_DIR, join(workspace, 'migrations'), { recursive: true });
    const r = await runAction({
      entry: join(dirname(cliDir), 'index.js'),
      inputs: { 'dry-run': 'true', 'github-token': 't0ken' },
      eventName: 'pull_request',
      event: { pull_request: { number: 3 } },
      apiUrl: gh.url,
      workspace,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('planned');
    expect(r.outputs['pending-count']).toBe(String(EXAMPLE_MIGRATIONS.length));
    const comment = gh.comments.find((c) => c.issue_number === 3)?.body ?? '';
    expect(comment).toContain('No database was available');
    expect(comment).toContain('### Safety');
    for (const m of EXAMPLE_MIGRATIONS) expect(comment).toContain(`\`${m.version}\` | ${m.name}`);
  });
});

test('src/cli/version.ts VERSION equals package.json version', () => {
  expect(VERSION).toBe(pkg.version);
});
