// The linter on a plan: one parse per section (the plan's), and no file read (a dbmate file's preamble
// is kept on the Migration). In-process; the SQL splitter is wrapped to count its calls.
import { jest } from '@jest/globals';
import { rmSync } from 'node:fs';
import type { LintItem } from '../src/lint/lint';
import type { Plan, PlannedStep } from '../src/types';
import { dirWith } from './helpers/files';

const real = await import('../src/sql/split');
let splits = 0;
jest.unstable_mockModule('../src/sql/split', () => ({
  ...real,
  splitStatements: (...args: Parameters<typeof real.splitStatements>) => {
    splits++;
    return real.splitStatements(...args);
  },
}));
const { Catalog } = await import('../src/files/catalog');
const { buildPlan } = await import('../src/plan/plan');
const { lintSections, lintSteps } = await import('../src/lint/lint');

const FILES = {
  // The ignore above the header covers the whole file; the linter used to re-read the file for it.
  '1_preamble.sql': '-- pgshift:ignore drop-table\n-- migrate:up\nDROP TABLE legacy;\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\nSELECT 1;\n',
  // The plan drops these BEGIN/COMMIT from its statements; the linter still sees (and reports) them.
  '2_own_tx.sql': 'BEGIN;\nALTER TABLE t ADD COLUMN b int NOT NULL;\nCOMMIT;\n',
  '3_notx.up.sql': '-- pgshift:no-transaction\nBEGIN;\nCREATE INDEX CONCURRENTLY j ON t (b);\nCOMMIT;\nCREATE INDEX CONCURRENTLY k ON t (b);\n',
  '4_pair.up.sql': '-- pgshift:ignore rename-column\nALTER TABLE t RENAME COLUMN a TO c;\nALTER TABLE t RENAME COLUMN d TO e;\n',
  '5_broken.sql': 'SELECT 1;\nSELECT (;\n',
  'V6__fly.sql': 'ALTER TABLE t DROP COLUMN b;\n',
};

let dir: string;
let plan: Plan;
beforeAll(async () => {
  await real.loadParser();
  dir = dirWith(FILES);
  splits = 0;
  plan = buildPlan(new Catalog(dir), { exists: false, rows: [], databaseChecked: false }, { direction: 'up' });
});

/** The steps as lintSections took them before lintSteps: no statements, so it splits each section itself. */
const unplanned = (p: Plan): LintItem[] => p.steps.map(({ migration, section }) => ({ migration, section }));

test('the plan splits each section once; lintSteps splits none and finds exactly what lintSections finds', () => {
  expect(plan.steps).toHaveLength(6);
  expect(splits).toBe(6);

  const findings = lintSteps(plan.steps);
  expect(splits).toBe(6);

  // Control: the counter sees the linter's own splits when it is given no statements.
  const control = lintSections(unplanned(plan));
  expect(splits).toBe(12);
  expect(findings).toEqual(control);

  expect(findings.map((f) => `${f.path.split('/').pop()}:${f.line} ${f.rule}`)).toEqual([
    '1_preamble.sql:4 concurrently-in-transaction',
    '2_own_tx.sql:1 transaction-control',
    '2_own_tx.sql:2 add-column-not-null-without-default',
    '3_notx.up.sql:3 concurrently-in-transaction',
    '4_pair.up.sql:3 rename-column',
    '5_broken.sql:2 syntax-error',
    'V6__fly.sql:1 drop-column',
  ]);
});

test('only what differs from the statements is kept on a step', () => {
  const byFile: Record<string, PlannedStep> = Object.fromEntries(plan.steps.map((s) => [s.section.path.split('/').pop(), s]));
  expect(byFile['2_own_tx.sql'].statements.map((s) => s.kind)).toEqual(['AlterTableStmt']);
  expect(byFile['2_own_tx.sql'].parsed?.map((s) => s.kind)).toEqual(['TransactionStmt', 'AlterTableStmt', 'TransactionStmt']);
  expect(byFile['5_broken.sql'].syntaxError).toMatchObject({ line: 2 });
  for (const name of ['1_preamble.sql', '3_notx.up.sql', '4_pair.up.sql', 'V6__fly.sql']) {
    expect([name, byFile[name].parsed, byFile[name].syntaxError]).toEqual([name, undefined, undefined]);
  }
  expect(byFile['1_preamble.sql'].migration.preamble).toEqual(['-- pgshift:ignore drop-table']);
});

test('the linter reads no file: with the directory deleted after planning, the findings are the same', () => {
  const before = lintSteps(plan.steps);
  rmSync(dir, { recursive: true, force: true });
  expect(lintSteps(plan.steps)).toEqual(before);
  expect(lintSections(unplanned(plan))).toEqual(before);
  // The preamble's ignore still applies: the DROP TABLE under it is not reported.
  expect(before.some((f) => f.rule === 'drop-table')).toBe(false);
});
