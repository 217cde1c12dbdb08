// action.yml is the action's public interface: its inputs, their defaults (which the bundle repeats
// for runs outside a runner), and the docs table that describes them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { INPUT_DEFAULTS } from '../src/action/inputs';
import { ROOT } from './helpers/db';

interface ActionYml {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as ActionYml;

const SPEC_INPUTS = [
  'database-url',
  'environment',
  'dry-run',
  'direction',
  'steps',
  'target-version',
  'migrations-dir',
  'tracking-schema',
  'lock-timeout',
  'statement-timeout',
  'lock-wait',
  'github-token',
  'comment-on-pr',
  'open-issue-on-failure',
  'issue-labels',
  'protected-environments',
  'confirm',
  // the safety analysis issue's inputs
  'allow-destructive',
  'fail-on-lint',
  'policy',
  // settings the CLI had and the action lacked (the settings table)
  'lock-retries',
  'connect-timeout',
  'allow-missing',
  'allow-out-of-order',
  // issue 9: a deliberate repair before the deploy
  'repair-versions',
  'repair-reason',
  // issue 10: take over another tool's history before the plan
  'adopt-from',
  // issue 11: the shadow database (verify on a dry run, drift before a protected deploy, the schema file)
  'shadow-database-url',
  'verify',
  'allow-no-down',
  'check-drift',
  'fail-on-drift',
  'drift-only',
  'schema-file',
  // issue 12: the production safety net
  'backup',
  'pg-dump-path',
  'backup-dir',
  'health-check-sql',
  'health-check-url',
  'health-check-timeout',
  'rollback-on-failure',
  'allow-irreversible',
  'notify-url',
  'notify-format',
  'notify-on',
];
const SPEC_OUTPUTS = [
  'status',
  'applied-count',
  'pending-count',
  'current-version',
  'applied-versions',
  'plan-file',
  'comment-url',
  'issue-number',
  'issue-url',
  'adopted-count',
  'adopted-versions',
  'verified',
  'schema-changes',
  'drift',
  'schema-file',
  'backup-file',
  'health-check',
  'rolled-back-versions',
];

test('runs the committed bundle on node24', () => {
  expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  expect(action.name).toBeTruthy();
  expect(action.description).toBeTruthy();
});

test('declares exactly the inputs and outputs of the spec, each described', () => {
  expect(Object.keys(action.inputs).sort()).toEqual([...SPEC_INPUTS].sort());
  expect(Object.keys(action.outputs).sort()).toEqual([...SPEC_OUTPUTS].sort());
  for (const [name, i] of Object.entries({ ...action.inputs, ...action.outputs })) expect([name, typeof i.description, i.description.length > 10]).toEqual([name, 'string', true]);
  // Only a dry run on a fork PR may go without database-url, so the runner must not demand it.
  for (const [name, i] of Object.entries(action.inputs)) expect([name, i.required ?? false]).toEqual([name, false]);
});

test('every input has a string default; booleans default to true or false', () => {
  for (const [name, i] of Object.entries(action.inputs)) expect([name, typeof i.default]).toEqual([name, 'string']);
  for (const name of ['dry-run', 'comment-on-pr', 'open-issue-on-failure']) expect(['true', 'false']).toContain(action.inputs[name].default);
  // Anything defaulting to true/false is a boolean input and must be read as one.
  const booleans = Object.entries(action.inputs)
    .filter(([, i]) => i.default === 'true' || i.default === 'false')
    .map(([n]) => n);
  expect(booleans.sort()).toEqual([
    'allow-destructive',
    'allow-irreversible',
    'allow-missing',
    'allow-no-down',
    'allow-out-of-order',
    'comment-on-pr',
    'drift-only',
    'dry-run',
    'fail-on-drift',
    'fail-on-lint',
    'open-issue-on-failure',
    'rollback-on-failure',
  ]);
});

test("the bundle's INPUT_DEFAULTS equal action.yml's defaults (github-token aside)", () => {
  expect(Object.keys(INPUT_DEFAULTS).sort()).toEqual(Object.keys(action.inputs).sort());
  for (const [name, i] of Object.entries(action.inputs)) {
    if (name === 'github-token') continue;
    expect([name, INPUT_DEFAULTS[name as keyof typeof INPUT_DEFAULTS]]).toEqual([name, i.default]);
  }
  expect(action.inputs['github-token'].default).toBe('${{ github.token }}');
  expect(INPUT_DEFAULTS['github-token']).toBe('');
});

describe('README.md (GitHub Action section)', () => {
  const doc = readFileSync(join(ROOT, 'README.md'), 'utf8');
  /** The first column of the markdown table under `heading`, backticks removed, with the row's cells. */
  function table(heading: string): Map<string, string[]> {
    const start = doc.indexOf(`\n${heading}\n`);
    expect(start).toBeGreaterThanOrEqual(0);
    const after = doc.slice(start + heading.length + 2);
    const end = after.search(/\n#{1,3} /);
    const rows = (end < 0 ? after : after.slice(0, end)).split('\n').filter((l) => l.startsWith('| `'));
    const cells = (l: string) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim());
    return new Map(rows.map((l) => [cells(l)[0].replace(/`/g, ''), cells(l)]));
  }

  test('the inputs table lists exactly the inputs of action.yml, with their defaults', () => {
    const inputs = table('### Inputs');
    expect([...inputs.keys()].sort()).toEqual(Object.keys(action.inputs).sort());
    for (const [name, [, def, description]] of inputs) {
      const expected = action.inputs[name].default ? `\`${action.inputs[name].default}\`` : /^_\((none|empty)\)_$/;
      if (typeof expected === 'string') expect([name, def]).toEqual([name, expected]);
      else expect([name, def]).toEqual([name, expect.stringMatching(expected)]);
      expect(description.length).toBeGreaterThan(20);
    }
  });

  test('the outputs table lists exactly the outputs of action.yml', () => {
    const outputs = table('### Outputs');
    expect([...outputs.keys()].sort()).toEqual(Object.keys(action.outputs).sort());
    for (const [, [, description]] of outputs) expect(description.length).toBeGreaterThan(20);
  });

  test('covers token permissions, fork PRs, the production guard and recovery', () => {
    for (const s of ['pull-requests: write', 'issues: write', 'forks', 'MIGRATE-PRODUCTION', 'pgshift resolve', '--rolled-back', '--applied']) expect(doc).toContain(s);
  });
});
