// Bad migration files are refused (exit 3) before anything touches the database, with a message that
// names the file, the line and the fix. Each case runs `up` and `plan` on a fresh database and then
// checks that neither tracking tables nor user tables exist.
import { migrate, plan } from '../src/commands';
import { exitCodeOf } from '../src/cli/exit-codes';
import { ValidationError } from '../src/errors';
import { createDatabase, type TestDatabase } from './helpers/db';
import { cli, columnOf, dirWith, trackingTables, userTables } from './helpers/files';

/** A database of its own for each test that writes (the refusal table shares one). */
let db: TestDatabase;
function ownDatabase(): void {
  beforeEach(async () => {
    db = await createDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });
}

/** A valid migration older than the bad one: if anything ran, its table would exist. */
const GOOD = { '0_good.sql': 'CREATE TABLE good (id int);\n' };

interface Case {
  name: string;
  files: Record<string, string | Buffer>;
  /** Text the error must contain: the file (and line) and what is wrong. */
  expect: (string | RegExp)[];
}

const cases: Case[] = [
  {
    name: 'two files claiming one version (001_ and 1_)',
    files: { ...GOOD, '001_a.sql': 'CREATE TABLE a (id int);\n', '1_b.sql': 'CREATE TABLE b (id int);\n' },
    expect: ['1_b.sql: version 1 is also claimed by ', '001_a.sql. Give one of them a new version.'],
  },
  {
    name: 'two files claiming one version across forms (V2 and 2_)',
    files: { ...GOOD, 'V2__a.sql': 'CREATE TABLE a (id int);\n', '2_b.up.sql': 'CREATE TABLE b (id int);\n' },
    expect: [/V2__a\.sql: version 2 is also claimed by .*2_b\.up\.sql/],
  },
  {
    name: 'a .down.sql with no up',
    files: { ...GOOD, '3_x.down.sql': 'DROP TABLE x;\n' },
    expect: ['3_x.down.sql: a down migration with no up migration of the same version and name. Rename it to match its up file'],
  },
  {
    name: 'a Flyway undo with no versioned file',
    files: { ...GOOD, 'U3__x.sql': 'DROP TABLE x;\n' },
    expect: ['U3__x.sql: a down migration with no up migration'],
  },
  {
    name: 'text before -- migrate:up',
    files: { ...GOOD, '4_a.sql': '-- a comment is fine\n\nCREATE TABLE early (id int);\n-- migrate:up\nCREATE TABLE a (id int);\n' },
    expect: ['4_a.sql:3: text before "-- migrate:up" (line 4) would belong to no section. Move it below the marker or delete it.'],
  },
  {
    name: 'an unknown marker (-- migrate:sideways)',
    files: { ...GOOD, '4_a.sql': '-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:sideways\nDROP TABLE a;\n' },
    expect: ['4_a.sql:4: unknown directive "-- migrate:sideways". Sections start with "-- migrate:up" and "-- migrate:down".'],
  },
  {
    name: 'an unknown header option (transaction:maybe)',
    files: { ...GOOD, '4_a.sql': '-- migrate:up transaction:maybe\nCREATE TABLE a (id int);\n' },
    expect: ['4_a.sql:1: unknown option "transaction:maybe" on the section header. The only option is transaction:false'],
  },
  {
    name: 'an unknown pgshift directive in a plain file',
    files: { ...GOOD, '4_a.sql': 'CREATE TABLE a (id int);\n-- pgshift:no-transactions\n' },
    expect: ['4_a.sql:2: unknown directive "-- pgshift:no-transactions"'],
  },
  {
    name: 'a dbmate marker in a one-direction (pair) file',
    files: { ...GOOD, '4_a.up.sql': '-- migrate:up\nCREATE TABLE a (id int);\n' },
    expect: ['4_a.up.sql:1: "-- migrate:up" is a dbmate marker, but 4_a.up.sql is named as a golang-migrate migration'],
  },
  {
    name: 'an empty up section (comments only)',
    files: { ...GOOD, '5_a.sql': '-- migrate:up\n-- TODO\n\n-- migrate:down\nDROP TABLE a;\n' },
    expect: ['5_a.sql:1: the up migration is empty. Write its SQL, or delete the file.'],
  },
  {
    name: 'an empty plain file',
    files: { ...GOOD, '5_a.sql': '/* nothing yet */\n' },
    expect: ['5_a.sql:1: the up migration is empty.'],
  },
  {
    name: 'a section with no statement but a semicolon',
    files: { ...GOOD, '5_a.sql': '-- migrate:up\n/* /* nested */ */ ;\n' },
    expect: ['5_a.sql:2: the up section has no SQL statement.'],
  },
  {
    name: 'a non-UTF-8 (Latin-1) file',
    files: { ...GOOD, '6_a.sql': Buffer.from("-- migrate:up\nCREATE TABLE a (id int);\nCOMMENT ON TABLE a IS 'café';\n", 'latin1') },
    expect: ['6_a.sql:3: the file is not valid UTF-8 (byte 66). Re-save it as UTF-8.'],
  },
  {
    name: 'a non-UTF-8 .down.sql',
    files: { ...GOOD, '6_a.up.sql': 'CREATE TABLE a (id int);\n', '6_a.down.sql': Buffer.from('-- supprimé\nDROP TABLE a;\n', 'latin1') },
    expect: ['6_a.down.sql:1: the file is not valid UTF-8'],
  },
  {
    name: 'ROLLBACK in a transactional migration',
    files: { ...GOOD, '7_a.sql': 'CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nROLLBACK;\n' },
    expect: ["7_a.sql:3: ROLLBACK inside a migration would end pgshift's transaction and lose the tracking row."],
  },
  {
    name: 'ABORT (ROLLBACK by another name) in a dbmate up section',
    files: { ...GOOD, '7_a.sql': '-- migrate:up\nBEGIN;\nCREATE TABLE a (id int);\nABORT;\n' },
    expect: ['7_a.sql:4: ROLLBACK inside a migration'],
  },
];

async function expectUntouched(target = db): Promise<void> {
  expect(await trackingTables(target.sql)).toEqual([]);
  expect(await userTables(target.sql)).toEqual([]);
}

describe('refused before anything runs', () => {
  // Nothing may be written, so the cases share one database and each checks it is still empty.
  let shared: TestDatabase;
  beforeAll(async () => {
    shared = await createDatabase();
  });
  afterAll(async () => {
    await shared.drop();
  });

  test.each(cases)('$name', async ({ files, expect: texts }) => {
    const dir = dirWith(files);
    const { ['0_good.sql']: _good, ...alone } = files;
    const aloneDir = dirWith(alone);

    // up (the built CLI): exit 3, every expected phrase (file, line, what and the fix), nothing on stdout.
    const up = await cli(['up'], dir, shared);
    expect(up.stdout).toBe('');
    for (const t of texts) expect(up.stderr).toMatch(typeof t === 'string' ? new RegExp(t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : t);
    expect(up.stderr).toMatch(/^pgshift: the run was refused before anything ran:/m);
    expect(up.code).toBe(3);

    // Alone in the directory (nothing else pending), it still refuses: not "nothing to apply".
    // In-process (the same engine, no process start) to keep the table of cases fast.
    const refusal = await migrate({ dir: aloneDir, databaseUrl: shared.url }, { direction: 'up' }).then(
      (r) => r,
      (e) => e,
    );
    expect(refusal).toBeInstanceOf(ValidationError);
    expect(exitCodeOf(refusal)).toBe(3);

    // plan reports it as a blocking problem with the file's path.
    const p = await plan({ dir, databaseUrl: shared.url }, { direction: 'up' });
    expect(p.blocked).toBe(true);
    const blocking = p.problems.filter((x) => x.blocking);
    expect(blocking.length).toBeGreaterThan(0);
    expect(blocking.every((x) => typeof x.path === 'string' && x.path.endsWith('.sql'))).toBe(true);

    await expectUntouched(shared);
  });
});

describe('SQL syntax errors', () => {
  ownDatabase();
  // The error is on line 6, after multibyte characters on that line and on earlier ones: a byte
  // offset (ß, ö, é are two bytes each) or a UTF-16 offset (the emoji is two units) would drift.
  const lines = [
    '-- migrate:up',
    'CREATE TABLE kunden (id int, größe text);',
    '',
    "-- Größe: 🎉 comments with multibyte text and a ';' do not move positions",
    "INSERT INTO kunden VALUES (1, 'groß');",
    "COMMENT ON TABLE kunden IS 'Größe 🎉 café'; SELEKT größe FROM kunden;",
    '-- migrate:down',
    'DROP TABLE kunden;',
  ];
  const text = lines.join('\n') + '\n';

  test('are reported as file:line:column of the bad token, before anything runs', async () => {
    const dir = dirWith({ ...GOOD, '8_kunden.sql': text });
    const column = columnOf(lines[5], 'SELEKT');
    // The test only means something if bytes, UTF-16 units and characters disagree before the error.
    const before = lines.slice(1, 6).join('\n') + '\n' + lines[5].slice(0, lines[5].indexOf('SELEKT'));
    expect(new Set([Buffer.byteLength(before), before.length, Array.from(before).length]).size).toBe(3);
    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(3);
    expect(up.stderr).toContain(`8_kunden.sql:6:${column}: syntax error at or near "SELEKT" — fix the SQL there.`);
    await expectUntouched();

    const plan = JSON.parse((await cli(['plan', '--json'], dir, db)).stdout);
    const problem = plan.problems.find((p: any) => p.kind === 'file');
    expect(problem).toMatchObject({ line: 6, version: '8', blocking: true });
    expect(problem.path).toMatch(/8_kunden\.sql$/);
    await expectUntouched();
  });

  test('at the end of input point at the end of the SQL, not past the file', async () => {
    const dir = dirWith({ '9_open.sql': 'CREATE TABLE t (\n  id int,\n  name text\n\n\n' });
    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(3);
    expect(up.stderr).toContain(`9_open.sql:3:12: syntax error at end of input`);
    await expectUntouched();
  });

  test('in a down section are reported when rolling back, and nothing is rolled back', async () => {
    const dir = dirWith({ '1_a.sql': '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\n\nDROP TABLEE a;\n' });
    expect((await cli(['up'], dir, db)).code).toBe(0);
    const down = await cli(['down'], dir, db);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('1_a.sql:5:6: syntax error at or near "TABLEE"');
    expect(await userTables(db.sql)).toEqual(['a']);
  });
});

describe('transaction:false', () => {
  ownDatabase();
  test("allows ROLLBACK, which ends the file's own transaction there", async () => {
    const dir = dirWith({
      '1_a.sql': '-- migrate:up transaction:false\nCREATE TABLE kept (id int);\nBEGIN;\nCREATE TABLE undone (id int);\nROLLBACK;\n',
    });
    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(0);
    expect(await userTables(db.sql)).toEqual(['kept']);
  });
});
