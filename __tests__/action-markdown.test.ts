// The markdown the action posts, on its own: limits GitHub enforces, and excerpts kept readable.
import { forShell } from '../src/settings';
import { clipExcerpt, planMarkdown } from '../src/report/markdown';
import type { Plan, PlannedStep } from '../src/types';

describe('clipExcerpt', () => {
  test('a short excerpt is left alone', () => {
    const e = '3 | SELECT 1\n4 | SELECT nope\n  |        ^\n5 | SELECT 2';
    expect(clipExcerpt(e)).toBe(e);
  });

  test('a very long line is cut to a window around the caret, which still points at the same spot', () => {
    const text = 'a'.repeat(5000) + 'XYZ' + 'b'.repeat(5000);
    const e = ['1 | SELECT 1', `2 | ${text}`, `  | ${' '.repeat(5000)}^`, '3 | SELECT 2'].join('\n');
    const out = clipExcerpt(e).split('\n');
    expect(out).toHaveLength(4);
    expect(out[0]).toBe('1 | SELECT 1');
    expect(out[3]).toBe('3 | SELECT 2');
    expect(out.every((l) => l.length < 260)).toBe(true);
    expect(out[1]).toMatch(/^2 \| …a+XYZb+…$/);
    expect(out[2].indexOf('^')).toBe(out[1].indexOf('X'));
  });

  test('without a caret the start of the line is kept', () => {
    const out = clipExcerpt(`7 | INSERT ${'x'.repeat(3000)}`);
    expect(out).toMatch(/^7 \| INSERT x+…$/);
    expect(out.length).toBeLessThan(260);
  });
});

describe('planMarkdown under a limit', () => {
  const step = (i: number, sql: string): PlannedStep =>
    ({
      migration: {
        version: String(i),
        versionKey: [BigInt(i)],
        name: `m${i}`,
        form: 'dbmate',
        upPath: `/m/${i}_m${i}.sql`,
        up: { sql, path: `/m/${i}_m${i}.sql`, startLine: 2, transaction: true },
        checksum: 'sha256:0',
      },
      direction: 'up',
      section: { sql, path: `/m/${i}_m${i}.sql`, startLine: 2, transaction: true },
      statements: [{ sql, offset: 0, line: 2, column: 1, kind: 'SelectStmt', node: {} }],
      transactional: true,
      notes: [],
    }) as PlannedStep;
  const plan = (steps: PlannedStep[], problems = 0): Plan => ({
    direction: 'up',
    steps,
    problems: Array.from({ length: problems }, (_, i) => ({ kind: 'missing', message: `applied migration ${i} has no file any more: restore it ${'.'.repeat(200)}`, blocking: true })),
    applied: [],
    pendingCount: steps.length,
    currentVersion: null,
    trackingExists: true,
    databaseChecked: true,
    blocked: problems > 0,
    findings: [],
  });
  const ctx = { environment: 'staging', dir: 'migrations', runUrl: 'https://github.test/r/1' };

  test.each([
    ['a few huge migrations', plan(Array.from({ length: 3 }, (_, i) => step(i + 1, 'SELECT 1;\n'.repeat(20_000))))],
    ['many small ones', plan(Array.from({ length: 3000 }, (_, i) => step(i + 1, `SELECT ${i};`)))],
    ['many problems', plan([step(1, 'SELECT 1;')], 2000)],
  ])('%s: under the limit, with the note pointing at the summary', (_name, p) => {
    const full = planMarkdown(p, ctx);
    const text = planMarkdown(p, ctx, 60_000);
    expect(full.length).toBeGreaterThan(60_000);
    expect(text.length).toBeLessThanOrEqual(60_000);
    expect(text.length).toBeGreaterThan(30_000);
    expect(text).toContain("the full plan is in the run's summary (https://github.test/r/1)");
    expect(text.startsWith(full.slice(0, 50))).toBe(true);
    expect((text.match(/^```/gm) ?? []).length % 2).toBe(0);
  });

  test('without a limit nothing is cut', () => {
    const p = plan(Array.from({ length: 3000 }, (_, i) => step(i + 1, `SELECT ${i};`)));
    const text = planMarkdown(p, ctx);
    expect(text).not.toContain("the full plan is in the run's summary");
    expect(text).toContain('SELECT 2999;');
  });
});

const forAction = (text: string) => forShell(text, 'action');

test("forAction names the action's inputs where the engine names CLI flags", () => {
  expect(forAction('wait for it to finish, raise --lock-wait, or stop that session.')).toBe('wait for it to finish, raise the lock-wait input, or stop that session.');
  expect(forAction('Retry off-peak, or raise --lock-timeout / --lock-retries')).toBe('Retry off-peak, or raise the lock-timeout input / the lock-retries input');
  // Every flag the engine names that has an input is translated (the old map missed these).
  expect(forAction('pass --allow-missing to go on, or --allow-out-of-order; raise --connect-timeout')).toBe(
    'pass the allow-missing input to go on, or the allow-out-of-order input; raise the connect-timeout input',
  );
  expect(forAction('Use --schema to keep them elsewhere; --target 9 matches nothing; pass it with --dir.')).toBe(
    'Use the tracking-schema input to keep them elsewhere; the target-version input 9 matches nothing; pass it with the migrations-dir input.',
  );
  // Flags with no input, and the CLI commands in recovery advice, stay as they are.
  for (const text of ['run "pgshift resolve 3 --applied"', '--schema-x', 'a --directory']) expect(forAction(text)).toBe(text);
});
