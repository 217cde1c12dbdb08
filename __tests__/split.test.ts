// Splitting with the real Postgres parser, a file's own BEGIN/COMMIT, and runtime errors mapped back
// to file:line:column. All through the built CLI on a real Postgres.
import { createDatabase, type TestDatabase } from './helpers/db';
import { appliedVersions, cli, columnOf, dirWith, history, userTables } from './helpers/files';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

describe('splitting with the real parser', () => {
  // Every `;` below that is not at the end of a statement would break a naive splitter.
  const lines = [
    '-- migrate:up',
    'CREATE TABLE t (id int PRIMARY KEY, s text);',
    'CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$',
    'BEGIN',
    "  RETURN 'from;plpgsql';",
    'END;',
    '$body$;',
    '/* outer /* inner; */ still a comment; */',
    "INSERT INTO t VALUES (1, E'it\\';s'), (2, 'a;b'), (3, $$x;y$$), (4, $q$;$q$);",
    'CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql',
    'BEGIN ATOMIC',
    '  SELECT a + 1;',
    '  SELECT a + 2;',
    'END;',
    '-- a comment; with a semicolon',
    'INSERT INTO t VALUES (5, f()), (6, g(4)::text); -- trailing; comment',
    '-- migrate:down',
    'DROP FUNCTION g(int); DROP FUNCTION f(); DROP TABLE t;',
  ];
  const text = lines.join('\n') + '\n';

  test('plan --json counts and places each statement', async () => {
    const dir = dirWith({ '1_split.sql': text });
    const run = await cli(['plan', '--json'], dir, db);
    expect(run.code).toBe(0);
    const [step] = JSON.parse(run.stdout).steps;
    expect(step.statements.map((s: any) => [s.kind, s.line, s.column])).toEqual([
      ['CreateStmt', 2, 1],
      ['CreateFunctionStmt', 3, 1],
      ['InsertStmt', 9, 1],
      ['CreateFunctionStmt', 10, 1],
      ['InsertStmt', 16, 1],
    ]);
    expect(step.statements[1].sql).toBe(lines.slice(2, 7).join('\n').replace(/;$/, ''));
    expect(step.statements[3].sql).toBe(lines.slice(9, 14).join('\n').replace(/;$/, ''));
    expect(step.rollback.sql.trim()).toBe(lines[17]);
    // The parse tree stays out of the JSON.
    expect(step.statements[0].node).toBeUndefined();
  });

  test('the statements apply with their quoted and commented semicolons intact', async () => {
    const dir = dirWith({ '1_split.sql': text });
    const up = await cli(['up'], dir, db);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(await db.sql`select id, s from t order by id`).toEqual([
      { id: 1, s: "it';s" },
      { id: 2, s: 'a;b' },
      { id: 3, s: 'x;y' },
      { id: 4, s: ';' },
      { id: 5, s: 'from;plpgsql' },
      { id: 6, s: '6' },
    ]);
    // BEGIN ATOMIC kept both of its statements: g returns the last one.
    expect(await db.sql`select g(10) as g`).toEqual([{ g: 12 }]);

    const down = await cli(['down'], dir, db);
    expect(down.code).toBe(0);
    expect(await userTables(db.sql)).toEqual([]);
  });
});

describe("a file's own BEGIN; … COMMIT;", () => {
  const failing =
    'BEGIN;\nCREATE TABLE first_part (id int);\nINSERT INTO first_part VALUES (1);\nCOMMIT;\n\nBEGIN;\nCREATE TABLE second_part (id int);\nINSERT INTO second_part VALUES (1 / 0);\nCOMMIT;\n';

  test('runs as one pgshift transaction: a later failure leaves nothing of the file and no applied row', async () => {
    const dir = dirWith({ '1_before.sql': 'CREATE TABLE before_it (id int);\n', '2_tx.sql': failing });
    const planned = JSON.parse((await cli(['plan', '--json'], dir, db)).stdout);
    const step = planned.steps.find((s: any) => s.migration.version === '2');
    expect(step.statements.map((s: any) => s.kind)).toEqual(['CreateStmt', 'InsertStmt', 'CreateStmt', 'InsertStmt']);
    expect(step.notes.join(' ')).toMatch(/BEGIN\/COMMIT \(4 statements\)/);

    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/2_tx\.sql:8:\d+/);
    expect(up.stderr).toMatch(/division by zero/);
    // The file's first COMMIT did not commit: nothing of 2 remains; 1, before it, stays applied.
    expect(await userTables(db.sql)).toEqual(['before_it']);
    expect((await appliedVersions(db.sql)).map((r) => [r.version, r.status])).toEqual([['1', 'applied']]);
    expect((await history(db.sql)).map((h) => [h.version, h.status])).toEqual([
      ['1', 'success'],
      ['2', 'failed'],
    ]);
  });

  test('when it succeeds, the file is applied with its tracking row in the same commit', async () => {
    const dir = dirWith({ '2_tx.sql': failing.replace('1 / 0', '2') });
    const up = await cli(['up'], dir, db);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(await userTables(db.sql)).toEqual(['first_part', 'second_part']);
    expect(await db.sql`select id from second_part`).toEqual([{ id: 2 }]);
    expect((await appliedVersions(db.sql)).map((r) => [r.version, r.status])).toEqual([['2', 'applied']]);
  });
});

describe('a runtime SQL error', () => {
  const lines = [
    '-- migrate:up',
    'CREATE TABLE some_table (id int, name text);',
    "INSERT INTO some_table VALUES (1, 'Jürgen');",
    '',
    '-- the next statement names a column that does not exist',
    'SELECT id,',
    "       'Grüße' AS greeting, nme",
    '  FROM some_table;',
    '-- migrate:down',
    'DROP TABLE some_table;',
  ];

  test('is reported as file:line:column with the statement, a caret, code, message and hint; exit 1; rolled back', async () => {
    const dir = dirWith({ '1_ok.sql': 'CREATE TABLE ok (id int);\n', '2_bad.sql': lines.join('\n') + '\n' });
    const column = columnOf(lines[6], 'nme');
    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(1);
    const err = up.stderr;
    expect(err).toContain(`2_bad.sql:7:${column} (statement 3, up)`);
    expect(err).toContain('ERROR 42703: column "nme" does not exist');
    expect(err).toContain('HINT: Perhaps you meant to reference the column "some_table.name".');
    expect(err).toContain('The migration was rolled back: nothing of it remains.');
    // The excerpt: numbered lines of the statement, and a caret under "nme".
    const out = err.split('\n');
    const at = out.findIndex((l) => /^\s*7 \| /.test(l));
    expect(out[at - 1]).toMatch(/^\s*6 \| SELECT id,$/);
    expect(out[at]).toMatch(/^\s*7 \|        'Grüße' AS greeting, nme$/);
    const caret = out[at + 1];
    const bar = out[at].indexOf('| ') + 2;
    expect(caret.trimEnd().endsWith('^')).toBe(true);
    expect(caret.indexOf('^') - bar).toBe(column - 1);

    // Nothing of 2 remains: no table, no applied row; a failed row in the history says where.
    expect(await userTables(db.sql)).toEqual(['ok']);
    expect((await appliedVersions(db.sql)).map((r) => r.version)).toEqual(['1']);
    const failed = (await history(db.sql)).filter((h) => h.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].version).toBe('2');
    expect(failed[0].error_message).toContain(`2_bad.sql:7:${column}: 42703 column "nme" does not exist`);
  });

  test('--json carries the same position, and an emoji earlier in the statement does not shift it', async () => {
    const emoji = ['-- migrate:up', 'CREATE TABLE some_table (id int, name text);', "SELECT '🎉🎉' AS party,", "       'ok' AS fine, nme", '  FROM some_table;'];
    const dir = dirWith({ '3_emoji.sql': emoji.join('\n') + '\n' });
    const up = await cli(['up', '--json'], dir, db);
    expect(up.code).toBe(1);
    const result = JSON.parse(up.stdout);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ version: '3', line: 4, column: columnOf(emoji[3], 'nme'), code: '42703', statementNumber: 2, outcome: 'rolled-back' });
    expect(result.error.path).toMatch(/3_emoji\.sql$/);
    expect(result.error.hint).toMatch(/some_table\.name/);
    expect(await userTables(db.sql)).toEqual([]);
  });
});
