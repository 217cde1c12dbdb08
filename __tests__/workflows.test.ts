// The example workflows and the repository's own CI: valid YAML, and every `with:` given to pgshift
// is an input action.yml declares.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './helpers/db';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  'runs-on': string;
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  services?: Record<string, { image: string; env?: Record<string, string>; ports?: string[]; options?: string }>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name?: string;
  on: Record<string, Record<string, unknown> | null>;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const EXAMPLES = join(ROOT, 'examples/workflows');
const load = (path: string) => parse(readFileSync(path, 'utf8')) as Workflow;
const actionInputs = Object.keys((parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs);
const isPgshift = (s: Step) => /(^|\/)pgshift@/.test(s.uses ?? '') || s.uses === './';
const pgshiftSteps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps.filter(isPgshift));
const example = (name: string) => load(join(EXAMPLES, name));

const files = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f));

test('the five examples are there', () => {
  expect(files.sort()).toEqual(['drift.yml', 'pr-plan.yml', 'production.yml', 'rollback.yml', 'staging.yml']);
});

test('drift: scheduled, drift-only against production with a shadow service, allowed to open issues', () => {
  const w = example('drift.yml');
  expect(Object.keys(w.on)).toEqual(['schedule', 'workflow_dispatch']);
  expect(w.permissions).toEqual({ contents: 'read', issues: 'write' });
  const [step] = pgshiftSteps(w);
  expect(step.with).toMatchObject({ 'drift-only': true, environment: 'production' });
  expect(String(step.with?.['shadow-database-url'])).toMatch(/^postgres:\/\/.*@localhost:5432\//);
});

describe.each(files)('examples/workflows/%s', (file) => {
  const w = example(file);
  test('parses, has on and jobs, and checks out before running pgshift', () => {
    expect(typeof w.on).toBe('object');
    expect(Object.keys(w.on).length).toBeGreaterThan(0);
    expect(Object.keys(w.jobs).length).toBeGreaterThan(0);
    for (const job of Object.values(w.jobs)) {
      expect(job['runs-on']).toBe('ubuntu-latest');
      const checkout = job.steps.findIndex((s) => s.uses?.startsWith('actions/checkout@'));
      const first = job.steps.findIndex(isPgshift);
      expect(checkout).toBeGreaterThanOrEqual(0);
      expect(first).toBeGreaterThan(checkout);
    }
    expect(pgshiftSteps(w).length).toBeGreaterThan(0);
  });

  test('passes pgshift only inputs declared in action.yml, and the database URL from a secret', () => {
    for (const step of pgshiftSteps(w)) {
      expect(step.uses).toMatch(/^[\w-]+\/pgshift@v1$/);
      for (const key of Object.keys(step.with ?? {})) expect(actionInputs).toContain(key);
      expect(String(step.with?.['database-url'])).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
    }
  });
});

test('pr-plan: a dry run on pull_request, allowed to comment', () => {
  const w = example('pr-plan.yml');
  expect(Object.keys(w.on)).toEqual(['pull_request']);
  expect(w.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
  const [step] = pgshiftSteps(w);
  expect(pgshiftSteps(w)).toHaveLength(1);
  expect(String(step.with?.['dry-run'])).toBe('true');
});

test('staging: applies on push to staging in the staging environment', () => {
  const w = example('staging.yml');
  expect(w.on.push).toEqual({ branches: ['staging'] });
  const job = Object.values(w.jobs)[0];
  expect(job.environment).toBe('staging');
  expect(w.permissions?.issues).toBe('write');
  const [step] = pgshiftSteps(w);
  expect(step.with?.environment).toBe('staging');
  expect(step.with?.['dry-run']).toBeUndefined();
});

test('production: on v*.*.* tags, environment production, a dry run before the apply', () => {
  const w = example('production.yml');
  expect(w.on.push).toEqual({ tags: ['v*.*.*'] });
  expect(w.permissions?.issues).toBe('write');
  const [job] = Object.values(w.jobs);
  expect(job.environment).toBe('production');
  const steps = pgshiftSteps(w);
  expect(steps).toHaveLength(2);
  expect(String(steps[0].with?.['dry-run'])).toBe('true');
  expect(steps[1].with?.['dry-run'] === undefined || String(steps[1].with?.['dry-run']) === 'false').toBe(true);
  for (const s of steps) expect(s.with?.environment).toBe('production');
  // The safety net: a backup uploaded as an artifact, rollback on failure, a health check, a notice.
  expect(steps[1].with).toMatchObject({ backup: 'auto', 'rollback-on-failure': true, 'notify-url': '${{ secrets.SLACK_WEBHOOK_URL }}' });
  expect(String(steps[1].with?.['health-check-url'])).toMatch(/^https:\/\//);
  const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
  expect(upload?.with).toMatchObject({ path: '${{ steps.migrate.outputs.backup-file }}', 'retention-days': 14 });
});

test('rollback: workflow_dispatch with an environment choice and a confirm input, passed through', () => {
  const w = example('rollback.yml');
  const dispatch = w.on.workflow_dispatch as { inputs: Record<string, { type: string; options?: string[] }> };
  expect(dispatch.inputs.confirm.type).toBe('string');
  expect(dispatch.inputs.environment.type).toBe('choice');
  expect(dispatch.inputs.environment.options).toEqual(expect.arrayContaining(['staging', 'production']));
  const [step] = pgshiftSteps(w);
  expect(step.with?.direction).toBe('down');
  expect(step.with?.confirm).toBe('${{ inputs.confirm }}');
  expect(step.with?.environment).toBe('${{ inputs.environment }}');
  expect(Object.values(w.jobs)[0].environment).toBe('${{ inputs.environment }}');
});

test('ci.yml: tests against a postgres:17 service and checks that dist/ is current', () => {
  const w = load(join(ROOT, '.github/workflows/ci.yml'));
  expect(Object.keys(w.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
  const [job] = Object.values(w.jobs);
  expect(job['runs-on']).toBe('ubuntu-latest');
  const services = Object.values(job.services ?? {});
  expect(services.map((s) => s.image)).toEqual(['postgres:17']);
  const pg = services[0];
  expect(pg.ports).toContain('5432:5432');
  expect(pg.options).toContain('pg_isready');
  // The suite uses DATABASE_URL instead of an embedded server (scripts/embedded-pg.mjs).
  const url = new URL(job.env?.DATABASE_URL ?? w.env?.DATABASE_URL ?? '');
  expect(url.protocol).toBe('postgres:');
  expect(url.hostname).toBe('localhost');
  expect(url.port).toBe('5432');
  expect(decodeURIComponent(url.password)).toBe(pg.env?.POSTGRES_PASSWORD);
  expect(readFileSync(join(ROOT, 'scripts/embedded-pg.mjs'), 'utf8')).toContain('process.env.DATABASE_URL');

  const runs = job.steps.map((s) => s.run ?? '');
  const at = (re: RegExp) => runs.findIndex((r) => re.test(r));
  expect(job.steps.some((s) => s.uses?.startsWith('actions/checkout@'))).toBe(true);
  expect(job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with?.['node-version']).toBe(24);
  expect(at(/^npm ci$/m)).toBeGreaterThanOrEqual(0);
  expect(at(/^npm test$/m)).toBeGreaterThan(at(/^npm ci$/m));
  const build = at(/npm run build/);
  expect(build).toBeGreaterThan(at(/^npm ci$/m));
  expect(runs[build]).toMatch(/npm run build[\s\S]*git diff --exit-code[\s\S]*dist/);
  expect(runs[build]).toMatch(/git status --porcelain -- dist/); // new, uncommitted files in dist/ too
});
