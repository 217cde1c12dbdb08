// The registry of file forms (src/files/forms): each form's names, sections, no-transaction header and
// template, and discovery/reading driven by the registry alone (a form registered here, in the test, is
// found and read with no edit elsewhere). In-process; no database.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Catalog } from '../src/files/catalog';
import { discoverMigrations } from '../src/files/discover';
import { MigrationFileError } from '../src/files/errors';
import { claimName, FORMS, formById, type Form, type FormSections } from '../src/files/forms';
import { isBlankSql, readMigration } from '../src/files/read';
import { toMigrationError } from '../src/execute/failure';
import { lintSteps } from '../src/lint/lint';
import { buildPlan } from '../src/plan/plan';
import { Redactor } from '../src/report/redact';
import { loadParser } from '../src/sql/split';
import type { PlannedStep, Section } from '../src/types';
import { item, lint } from './lint-helpers';
import { dirWith } from './helpers/files';

beforeAll(async () => {
  await loadParser();
});

/** How discovery classified a file name before the registry (the regexes of the old discover.ts). */
function claimedBefore(fileName: string): { form: string; version: string; name: string; role: 'up' | 'down' | 'repeatable' } | undefined {
  let m: RegExpMatchArray | null;
  // Added since: Flyway repeatables, "R__<name>" their identity.
  if ((m = fileName.match(/^R__(.+)\.sql$/))) return { form: 'flyway', version: `R__${m[1]}`, name: m[1], role: 'repeatable' };
  if ((m = fileName.match(/^(\d+)_(.+)\.(up|down)\.sql$/i))) return { form: 'pair', version: m[1], name: m[2], role: m[3].toLowerCase() === 'up' ? 'up' : 'down' };
  if ((m = fileName.match(/^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/))) return { form: 'flyway', version: m[2], name: m[3], role: m[1] === 'V' ? 'up' : 'down' };
  if ((m = fileName.match(/^(\d+)_(.+)\.sql$/i))) return { form: 'dbmate', version: m[1], name: m[2], role: 'up' };
  return undefined;
}

const NAMES = [
  '1_a.sql',
  '001_add_users.SQL',
  '20240101120000_create_users.sql',
  '1__double.sql',
  '1_a.b.c.sql',
  '1_.sql',
  '1_a.up.sql',
  '1_a.down.sql',
  '02_a.UP.SQL',
  '2_a.Down.sql',
  '1_a.up.down.sql',
  '1_a.down.up.sql',
  'V1__a.sql',
  'U1__a.sql',
  'V1.2__a.sql',
  'V1_2__a.sql',
  'V1.2.3__a_b.sql',
  'U01.0__undo.sql',
  'V1__a.up.sql',
  'v1__lower.sql',
  'V__noversion.sql',
  'V1_missing_double.sql',
  'R__views.sql',
  'create_users.sql',
  'V1.sql',
  '1.sql',
  'a_1.sql',
];

const path = (name: string) => `/m/${name}`;
const sections = (form: string, text: string, down?: string): FormSections | undefined =>
  formById(form).sections(path('x.sql'), text, down === undefined ? undefined : { path: path('x.down.sql'), text: () => down });

describe('names', () => {
  test.each(NAMES)('%s is claimed as before', (name) => {
    const claim = claimName(name);
    const now = claim && { form: claim.form.id, version: claim.named.version, name: claim.named.name, role: claim.named.role };
    expect(now).toEqual(claimedBefore(name));
  });

  test('plain files carry dbmate names (dbmate claims them first; reading decides)', () => {
    for (const name of NAMES) expect(formById('plain').claims(name)).toEqual(formById('dbmate').claims(name));
    expect(FORMS.map((f) => f.id)).toEqual(['pair', 'flyway', 'prisma', 'dbmate', 'goose', 'sql-migrate', 'node-pg-migrate', 'plain']);
  });

  test('a down file shares its key with its up file: pair by version and name, Flyway by version', () => {
    const key = (name: string) => {
      const named = claimName(name)?.named;
      return named && named.role !== 'repeatable' ? named.pairKey : undefined;
    };
    expect(key('001_a.up.sql')).toBe(key('1_a.down.sql'));
    expect(key('1_a.up.sql')).not.toBe(key('1_b.down.sql'));
    expect(key('V1.0__a.sql')).toBe(key('U1__other_name.sql'));
    expect(key('V1.1__a.sql')).not.toBe(key('U1__a.sql'));
    expect(key('1_a.sql')).toBeUndefined();
  });

  test('discovery over every form: files, down files, orphans and unclaimed names, as before', () => {
    const dir = dirWith({
      '1_dbmate.sql': '-- migrate:up\nSELECT 1;\n',
      '2_pair.up.sql': 'SELECT 2;\n',
      '2_pair.down.sql': 'SELECT -2;\n',
      '3_lost.down.sql': 'SELECT -3;\n',
      'V4__fly.sql': 'SELECT 4;\n',
      'U4__undo_any_name.sql': 'SELECT -4;\n',
      'U5__orphan.sql': 'SELECT -5;\n',
      'V4.1__dotted.sql': 'SELECT 41;\n',
      '10_plain.sql': 'SELECT 10;\n',
      'create_users.sql': 'SELECT 0;\n',
      'R__views.sql': 'SELECT 0;\n',
      'notes.txt': 'not SQL',
    });
    const found = discoverMigrations(dir);
    expect(found.files.map((f) => [f.version, f.name, f.form, basename(f.upPath), f.downPath && basename(f.downPath)])).toEqual([
      ['1', 'dbmate', 'dbmate', '1_dbmate.sql', undefined],
      ['2', 'pair', 'pair', '2_pair.up.sql', '2_pair.down.sql'],
      ['4', 'fly', 'flyway', 'V4__fly.sql', 'U4__undo_any_name.sql'],
      ['4.1', 'dotted', 'flyway', 'V4.1__dotted.sql', undefined],
      ['10', 'plain', 'dbmate', '10_plain.sql', undefined],
    ]);
    expect(found.repeatables.map((f) => [f.version, f.name, f.form, basename(f.upPath)])).toEqual([['R__views', 'views', 'flyway', 'R__views.sql']]);
    // The .sql files no form claims: one problem for the directory, last, saying how many and which.
    expect(found.problems.map((p) => [p.kind, p.blocking, p.message])).toEqual([
      ['file', true, `${join(dir, '3_lost.down.sql')}: a down migration with no up migration of the same version and name. Rename it to match its up file, or delete it.`],
      ['file', true, `${join(dir, 'U5__orphan.sql')}: a down migration with no up migration of the same version and name. Rename it to match its up file, or delete it.`],
      ['unmatched', false, expect.stringContaining(`${dir}: 1 .sql file ignored, not named as migrations, so it does not run: create_users.sql. A migration is named <version>_<name>.sql`)],
    ]);
  });
});

describe('sections', () => {
  test('dbmate: both sections with their headers, the lines above the up header as the preamble', () => {
    const text = '-- pgshift:ignore drop-table\n\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\nDROP INDEX i;\n';
    expect(sections('dbmate', text)).toEqual({
      up: { sql: 'CREATE INDEX CONCURRENTLY i ON t (a);', path: path('x.sql'), startLine: 4, transaction: false },
      down: { sql: 'DROP INDEX i;\n', path: path('x.sql'), startLine: 6, transaction: true },
      preamble: ['-- pgshift:ignore drop-table', ''],
    });
    expect(sections('dbmate', '-- migrate:up\nSELECT 1;\n')).toEqual({ up: { sql: 'SELECT 1;\n', path: path('x.sql'), startLine: 2, transaction: true }, down: undefined, preamble: undefined });
  });

  test('dbmate declines a file with no markers (plain reads it); its errors name the line', () => {
    expect(sections('dbmate', 'SELECT 1;\n-- a comment\n')).toBeUndefined();
    expect(() => sections('dbmate', 'SELECT 1;\n-- migrate:up\n')).toThrow(
      new MigrationFileError(path('x.sql'), 1, 'text before "-- migrate:up" (line 2) would belong to no section. Move it below the marker or delete it.'),
    );
  });

  test.each(['pair', 'flyway', 'plain'])('%s: the whole file is the section; -- pgshift:no-transaction takes it out of a transaction', (form) => {
    expect(sections(form, 'SELECT 1;\n', 'SELECT -1;\n')).toEqual({
      up: { sql: 'SELECT 1;\n', path: path('x.sql'), startLine: 1, transaction: true },
      down: { sql: 'SELECT -1;\n', path: path('x.down.sql'), startLine: 1, transaction: true },
    });
    expect(sections(form, '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n')?.up.transaction).toBe(false);
    expect(sections(form, 'SELECT 1;\n')?.down).toBeUndefined();
  });

  test('a separate down file is read only once the up file is fine', () => {
    let reads = 0;
    const down = { path: path('x.down.sql'), text: () => (reads++, 'SELECT -1;\n') };
    expect(() => formById('pair').sections(path('x.up.sql'), '-- pgshift:nope\n', down)).toThrow(/unknown directive "-- pgshift:nope"/);
    expect(reads).toBe(0);
    formById('pair').sections(path('x.up.sql'), 'SELECT 1;\n', down);
    expect(reads).toBe(1);
  });

  test('reading: a dbmate-named file with markers is dbmate (preamble kept), without them plain', () => {
    const dir = dirWith({ '1_marked.sql': '-- about this file\n-- migrate:up\nSELECT 1;\n', '2_bare.sql': 'SELECT 2;\n' });
    const [marked, bare] = new Catalog(dir).files.map((f) => readMigration(f));
    expect([marked.form, marked.up.startLine, marked.preamble]).toEqual(['dbmate', 3, ['-- about this file']]);
    expect([bare.form, bare.up.startLine, bare.preamble]).toEqual(['plain', 1, undefined]);
  });

  test('a plain <version>_<name>.sql may say -- pgshift:no-transaction (as the README and the hints tell it to); a dbmate file may not', () => {
    const dir = dirWith({
      '1_idx.sql': '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n',
      '2_mixed.sql': '-- pgshift:no-transaction\n-- migrate:up\nSELECT 1;\n',
    });
    const [idx, mixed] = new Catalog(dir).files;
    const read = readMigration(idx);
    expect([read.form, read.up.transaction]).toEqual(['plain', false]);
    expect(() => readMigration(mixed)).toThrow(
      `${join(dir, '2_mixed.sql')}:1: unknown directive "-- pgshift:no-transaction". In a file with -- migrate:up, use "-- migrate:up transaction:false" instead.`,
    );
  });
});

describe('noTransactionHeader', () => {
  test('per form', () => {
    expect(formById('dbmate').noTransactionHeader('up')).toEqual({ line: '-- migrate:up transaction:false', isSectionHeader: true });
    expect(formById('dbmate').noTransactionHeader('down')).toEqual({ line: '-- migrate:down transaction:false', isSectionHeader: true });
    for (const form of ['pair', 'flyway', 'plain']) {
      for (const direction of ['up', 'down'] as const) expect(formById(form).noTransactionHeader(direction)).toEqual({ line: '-- pgshift:no-transaction', isSectionHeader: false });
    }
  });

  /** The 25001 hint pgshift adds when a statement cannot run in the step's transaction. */
  function hint25001(form: string): string | undefined {
    const { migration, section } = item('CREATE INDEX CONCURRENTLY i ON t (a);', 1, { form });
    const step: PlannedStep = { migration, direction: 'up', section, statements: [], transactional: true, notes: [] };
    return toMigrationError(step, -1, { code: '25001', message: 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block' }, 'rolled-back', new Redactor()).hint;
  }

  test('the hints built from it read exactly as before', () => {
    expect(hint25001('dbmate')).toBe('this statement cannot run inside a transaction: put it in its own migration whose header reads "-- migrate:up transaction:false"');
    for (const form of ['pair', 'flyway', 'plain']) {
      expect(hint25001(form)).toBe('this statement cannot run inside a transaction: put it in its own migration that starts with "-- pgshift:no-transaction"');
    }
    const advice = (form: string) => lint('CREATE INDEX CONCURRENTLY i ON t (a);', { form })[0].message;
    expect(advice('dbmate')).toMatch(/Move it to a migration of its own that starts with "-- migrate:up transaction:false"\.$/);
    for (const form of ['pair', 'flyway', 'plain']) expect(advice(form)).toMatch(/Move it to a migration of its own that starts with the line "-- pgshift:no-transaction"\.$/);
  });
});

describe('template', () => {
  const FILE_NAMES: Record<string, string> = {
    dbmate: '1_add_users.sql',
    pair: '1_add_users.up.sql',
    flyway: 'V1__add_users.sql',
    plain: '1_add_users.sql',
    prisma: '1_add_users/migration.sql',
    goose: '1_add_users.sql',
    'sql-migrate': '1_add_users.sql',
    'node-pg-migrate': '1_add_users.sql',
  };

  test('covers every registered form', () => {
    expect(Object.keys(FILE_NAMES).sort()).toEqual(FORMS.map((f) => f.id).sort());
  });

  test.each(Object.keys(FILE_NAMES))('%s: the template reads back in its own form, empty until written, then as written', (id) => {
    const text = formById(id).template('add_users');
    const read = formById(id).sections(path(FILE_NAMES[id]), text);
    expect(read).toBeDefined();
    expect(isBlankSql(read!.up.sql)).toBe(true);
    expect(read!.up.transaction).toBe(true);
    if (id === 'dbmate') expect(read!.down && isBlankSql(read!.down.sql)).toBe(true);

    // Filled in under its first line, as a user would, and read from disk through the registry.
    const lines = text.split('\n');
    // A Prisma migration is a folder: its parent is made first.
    const dir = dirWith({});
    mkdirSync(dirname(join(dir, FILE_NAMES[id])), { recursive: true });
    writeFileSync(join(dir, FILE_NAMES[id]), [lines[0], 'CREATE TABLE users (id int);', ...lines.slice(1)].join('\n'));
    const [file] = new Catalog(dir).files;
    const migration = readMigration(file);
    expect(migration.form).toBe(id);
    expect(migration.up.sql).toContain('CREATE TABLE users (id int);');
  });

  test('an untouched dbmate template is refused as an empty up migration, at its header', () => {
    const dir = dirWith({ '1_x.sql': formById('dbmate').template('x') });
    expect(() => readMigration(new Catalog(dir).files[0])).toThrow(`${join(dir, '1_x.sql')}:1: the up migration is empty. Write its SQL, or delete the file.`);
  });
});

describe('a form registered in the test is found, read, planned, linted and hinted with no edit elsewhere', () => {
  /** `T<version>-<name>.sql`: the up SQL, then an optional `-- toy:down` line and the down SQL. */
  const toy: Form = {
    id: 'toy',
    claims(fileName) {
      const m = fileName.match(/^T(\d+)-(.+)\.sql$/);
      return m ? { version: m[1], name: m[2], role: 'up' } : undefined;
    },
    sections(file, text) {
      const lines = text.split('\n');
      const at = lines.indexOf('-- toy:down');
      const section = (from: number, to: number): Section => ({ sql: lines.slice(from, to).join('\n'), path: file, startLine: from + 1, transaction: lines[0] !== '-- toy:no-tx' });
      return { up: section(0, at < 0 ? lines.length : at), down: at < 0 ? undefined : section(at + 1, lines.length) };
    },
    noTransactionHeader: () => ({ line: '-- toy:no-tx', isSectionHeader: false }),
    template: () => '\n-- toy:down\n',
    fileNames: 'T<version>-<name>.sql',
  };

  /** sql-migrate's markers in a dbmate-named file: dbmate declines it, and this form comes next. */
  const sqlMigrate: Form = {
    id: 'sql-migrate',
    claims: () => undefined,
    sections(file, text) {
      const lines = text.split('\n');
      const up = lines.findIndex((l) => /^-- \+migrate Up\b/.test(l));
      if (up < 0) return undefined;
      const down = lines.findIndex((l) => /^-- \+migrate Down\b/.test(l));
      const section = (header: number, to: number): Section => ({ sql: lines.slice(header + 1, to).join('\n'), path: file, startLine: header + 2, transaction: !/notransaction/.test(lines[header]) });
      return { up: section(up, down < 0 ? lines.length : down), down: down < 0 ? undefined : section(down, lines.length) };
    },
    noTransactionHeader: (direction) => ({ line: `-- +migrate ${direction === 'up' ? 'Up' : 'Down'} notransaction`, isSectionHeader: true }),
    template: () => '-- +migrate Up\n\n-- +migrate Down\n',
  };

  beforeEach(() => {
    FORMS.unshift(toy);
    FORMS.splice(FORMS.indexOf(formById('plain')), 0, sqlMigrate);
  });
  afterEach(() => {
    FORMS.splice(FORMS.indexOf(toy), 1);
    FORMS.splice(FORMS.indexOf(sqlMigrate), 1);
  });

  test('discovery, reading, the plan, the linter, the failure hint and the unmatched hint', () => {
    const dir = dirWith({
      'T1-toy_table.sql': 'CREATE TABLE toy (id int);\n-- toy:down\nDROP TABLE toy;\n',
      '2_sql_migrate.sql': '-- +migrate Up\nCREATE INDEX CONCURRENTLY toy_id ON toy (id);\n-- +migrate Down\nDROP INDEX toy_id;\n',
      '3_plain.sql': 'SELECT 3;\n',
      'junk.sql': 'SELECT 0;\n',
    });
    const catalog = new Catalog(dir);
    expect(catalog.files.map((f) => [f.version, f.form])).toEqual([
      ['1', 'toy'],
      ['2', 'dbmate'],
      ['3', 'dbmate'],
    ]);
    expect(catalog.nameProblems.map((p) => p.message)).toEqual([
      `${dir}: 1 .sql file ignored, not named as migrations, so it does not run: junk.sql. A migration is named <version>_<name>.sql (dbmate, goose, sql-migrate, node-pg-migrate, plain SQL), T<version>-<name>.sql (toy), <version>_<name>.up.sql/.down.sql (golang-migrate), V<version>__<name>.sql (Flyway) or <timestamp>_<name>/migration.sql (Prisma); a sql-migrate file may have any name that starts with a number when it holds "-- +migrate Up".`,
    ]);

    const plan = buildPlan(catalog, { exists: false, rows: [], databaseChecked: false }, { direction: 'up' });
    expect(plan.problems.filter((p) => p.blocking)).toEqual([]);
    expect(plan.steps.map((s) => [s.migration.form, s.statements.map((st) => st.kind), s.rollback?.sql.trim()])).toEqual([
      ['toy', ['CreateStmt'], 'DROP TABLE toy;'],
      ['sql-migrate', ['IndexStmt'], 'DROP INDEX toy_id;'],
      ['plain', ['SelectStmt'], undefined],
    ]);

    const [finding] = lintSteps(plan.steps).filter((f) => f.rule === 'concurrently-in-transaction');
    expect(finding.message).toMatch(/that starts with "-- \+migrate Up notransaction"\.$/);
    expect(lint('CREATE INDEX CONCURRENTLY i ON t (a);', { form: 'toy' })[0].message).toMatch(/that starts with the line "-- toy:no-tx"\.$/);
    const hint = toMigrationError(plan.steps[1], 0, { code: '25001', message: 'cannot run inside a transaction block' }, 'rolled-back', new Redactor()).hint;
    expect(hint).toBe('this statement cannot run inside a transaction: put it in its own migration whose header reads "-- +migrate Up notransaction"');
  });
});

test('control: without those forms registered, the same files read as before', () => {
  const dir = dirWith({ 'T1-toy_table.sql': 'SELECT 1;\n', '2_sql_migrate.sql': '-- +migrate Up\nSELECT 2;\n' });
  const catalog = new Catalog(dir);
  expect(catalog.files.map((f) => [f.version, f.form])).toEqual([['2', 'dbmate']]);
  // sql-migrate is a registered form now: its markers make the file one.
  expect(readMigration(catalog.files[0]).form).toBe('sql-migrate');
  expect(catalog.nameProblems.map((p) => p.message)).toEqual([expect.stringContaining('1 .sql file ignored, not named as migrations, so it does not run: T1-toy_table.sql.')]);
});
