import { readFileSync } from 'node:fs';
import { RULES } from '../src/lint/rules';
import { loadParser } from '../src/sql/split';
import { lint, rulesOf } from './lint-helpers';

beforeAll(() => loadParser());

interface Fixture {
  rule: string;
  /** SQL holding the risky statement, on line `line`. */
  flagged: string;
  line: number;
  /** Its safe twin (several strings: migrations of one batch), which yields no finding at all. */
  safe: string | string[];
  /** Column of the finding, when not 1. */
  column?: number;
  /** The sections are transaction:false. */
  noTransaction?: boolean;
  /** Only the safe twin is transaction:false. */
  safeNoTransaction?: boolean;
}

const fixtures: Fixture[] = [
  { rule: 'drop-table', flagged: '-- gone\nDROP TABLE legacy_orders;', line: 2, safe: 'CREATE TABLE scratch (id int);\nDROP TABLE scratch;' },
  { rule: 'drop-column', flagged: 'SELECT 1;\nALTER TABLE users DROP COLUMN bio;', line: 2, safe: 'CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;' },
  { rule: 'drop-schema', flagged: '-- gone\n\nDROP SCHEMA reporting CASCADE;', line: 3, safe: 'CREATE SCHEMA tmp;\nDROP SCHEMA tmp;' },
  { rule: 'drop-database', flagged: '-- gone\nDROP DATABASE scratch;', line: 2, safe: 'CREATE DATABASE scratch;\nDROP DATABASE scratch;', noTransaction: true },
  { rule: 'drop-type', flagged: '-- gone\nDROP TYPE mood;', line: 2, safe: "CREATE TYPE mood AS ENUM ('ok');\nDROP TYPE mood;" },
  { rule: 'truncate', flagged: '-- reset\nTRUNCATE sessions;', line: 2, safe: 'CREATE TABLE s (id int);\nTRUNCATE s;' },
  { rule: 'delete-without-where', flagged: '-- clean\nDELETE FROM sessions;', line: 2, safe: '-- clean\nDELETE FROM sessions WHERE expires_at < now();' },
  { rule: 'update-without-where', flagged: "-- fill\nUPDATE users SET locale = 'en';", line: 2, safe: "-- fill\nUPDATE users SET locale = 'en' WHERE locale IS NULL;" },
  {
    rule: 'index-without-concurrently',
    flagged: '-- idx\nCREATE INDEX users_email_idx ON users (email);',
    line: 2,
    safe: '-- idx\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
    safeNoTransaction: true,
  },
  {
    rule: 'add-column-volatile-default',
    flagged: '-- col\nALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid();',
    line: 2,
    safe: '-- col\nALTER TABLE orders ADD COLUMN public_id uuid;\nALTER TABLE orders ALTER COLUMN public_id SET DEFAULT gen_random_uuid();\nALTER TABLE orders ADD COLUMN created_at timestamptz DEFAULT now();',
  },
  { rule: 'alter-column-type', flagged: '-- widen\nALTER TABLE events ALTER COLUMN id TYPE bigint;', line: 2, safe: 'CREATE TABLE events (id int);\nALTER TABLE events ALTER COLUMN id TYPE bigint;' },
  {
    rule: 'set-not-null',
    flagged: '-- nn\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
    line: 2,
    safe: [
      'ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;',
      'ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
    ],
  },
  {
    rule: 'add-foreign-key',
    flagged: '-- fk\nALTER TABLE tasks ADD FOREIGN KEY (owner_id) REFERENCES users (id);',
    line: 2,
    safe: ['ALTER TABLE tasks ADD CONSTRAINT fk FOREIGN KEY (owner_id) REFERENCES users (id) NOT VALID;', 'ALTER TABLE tasks VALIDATE CONSTRAINT fk;'],
  },
  {
    rule: 'add-check',
    flagged: '-- ck\nALTER TABLE orders ADD CONSTRAINT pos CHECK (total >= 0);',
    line: 2,
    safe: ['ALTER TABLE orders ADD CONSTRAINT pos CHECK (total >= 0) NOT VALID;', 'ALTER TABLE orders VALIDATE CONSTRAINT pos;'],
  },
  {
    rule: 'add-unique-constraint',
    flagged: '-- uq\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
    line: 2,
    safe: '-- uq\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;',
  },
  { rule: 'add-primary-key', flagged: '-- pk\nALTER TABLE events ADD PRIMARY KEY (id);', line: 2, safe: '-- pk\nALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;' },
  { rule: 'vacuum-full', flagged: '-- space\nVACUUM FULL orders;', line: 2, safe: '-- space\nVACUUM (ANALYZE) orders;', noTransaction: true },
  { rule: 'cluster', flagged: '-- order\nCLUSTER orders USING orders_pkey;', line: 2, safe: 'CREATE TABLE o (id int PRIMARY KEY);\nCLUSTER o USING o_pkey;' },
  { rule: 'reindex-without-concurrently', flagged: '-- rebuild\nREINDEX INDEX tasks_owner_idx;', line: 2, safe: '-- rebuild\nREINDEX INDEX CONCURRENTLY tasks_owner_idx;', noTransaction: true },
  { rule: 'refresh-materialized-view-without-concurrently', flagged: '-- mv\nREFRESH MATERIALIZED VIEW daily_totals;', line: 2, safe: '-- mv\nREFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;' },
  {
    rule: 'validate-in-same-transaction',
    flagged: 'ALTER TABLE tasks ADD FOREIGN KEY (owner_id) REFERENCES users (id) NOT VALID;\nALTER TABLE tasks VALIDATE CONSTRAINT tasks_owner_id_fkey;',
    line: 2,
    safe: ['ALTER TABLE tasks ADD FOREIGN KEY (owner_id) REFERENCES users (id) NOT VALID;', 'ALTER TABLE tasks VALIDATE CONSTRAINT tasks_owner_id_fkey;'],
  },
  {
    rule: 'backfill-in-same-transaction',
    flagged: 'ALTER TABLE tasks ADD COLUMN org_id uuid;\nUPDATE tasks SET org_id = 1 WHERE org_id IS NULL;',
    line: 2,
    safe: ['ALTER TABLE tasks ADD COLUMN org_id uuid;', 'UPDATE tasks SET org_id = 1 WHERE org_id IS NULL;'],
  },
  { rule: 'rename-table', flagged: '-- rn\nALTER TABLE users RENAME TO accounts;', line: 2, safe: 'ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;' },
  { rule: 'rename-column', flagged: '-- rn\nALTER TABLE users RENAME COLUMN name TO display_name;', line: 2, safe: 'CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;' },
  {
    rule: 'add-column-not-null-without-default',
    flagged: '-- col\nALTER TABLE users ADD COLUMN plan text NOT NULL;',
    line: 2,
    safe: "-- col\nALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';",
  },
  {
    rule: 'concurrently-in-transaction',
    flagged: '-- idx\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
    line: 2,
    safe: '-- idx\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
    safeNoTransaction: true,
  },
  { rule: 'transaction-control', flagged: '-- habit\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;', line: 2, safe: '-- habit\nCREATE TABLE a (id int);' },
  {
    rule: 'mixed-no-transaction',
    flagged: 'CREATE INDEX CONCURRENTLY i ON users (email);\nALTER TABLE users ADD COLUMN nickname text;',
    line: 2,
    safe: "SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY i ON users (email);\nANALYZE users;",
    noTransaction: true,
  },
  { rule: 'ignore-without-rules', flagged: 'CREATE TABLE a (id int);\n-- pgshift:ignore\nDROP TABLE a;', line: 2, safe: 'CREATE TABLE a (id int);\n-- pgshift:ignore drop-table\nDROP TABLE legacy;' },
  { rule: 'unknown-rule', flagged: '-- old\n-- pgshift:ignore drop-tables\nDROP TABLE legacy;', line: 2, safe: '-- old\n-- pgshift:ignore drop-table\nDROP TABLE legacy;' },
  {
    rule: 'misplaced-ignore',
    flagged: 'CREATE TABLE a (id int);\n-- pgshift:ignore drop-table\n\nDROP TABLE legacy;',
    line: 2,
    safe: 'CREATE TABLE a (id int);\n\n-- pgshift:ignore drop-table\nDROP TABLE legacy;',
  },
  { rule: 'syntax-error', flagged: '-- typo\nSELECT (;', line: 2, column: 9, safe: '-- typo\nSELECT 1;' },
];

/** Rules whose fixture needs files on disk (lint-cli.test.ts) or a down section (lint-down.test.ts). */
const COVERED_ELSEWHERE = ['invalid-file', 'rollback-drop-table', 'rollback-drop-column', 'rollback-restore-column'];

test.each(fixtures)('$rule: flagged on its line, and its safe twin is clean', ({ rule, flagged, line, column = 1, safe, noTransaction, safeNoTransaction }) => {
  const found = lint(flagged, { transaction: !noTransaction }).filter((f) => f.rule === rule);
  expect(found).toHaveLength(1);
  expect(found[0]).toMatchObject({ rule, line, column, path: '/migrations/1_m1.sql', version: '1', docs: `https://github.com/pgshift/pgshift/blob/main/docs/rules.md#${rule}` });
  expect(found[0].message.length).toBeGreaterThan(40);
  expect(lint(safe, { transaction: !(noTransaction || safeNoTransaction) })).toEqual([]);
});

test('every rule has a fixture', () => {
  const tested = new Set([...fixtures.map((f) => f.rule), ...COVERED_ELSEWHERE]);
  expect(RULES.map((r) => r.id).filter((id) => !tested.has(id))).toEqual([]);
});

test('messages name the object, say why and what to do, and destructive rules say so', () => {
  const [f] = lint('-- gone\nDROP TABLE app.legacy_orders CASCADE;');
  expect(f).toMatchObject({ rule: 'drop-table', severity: 'error', destructive: true });
  expect(f.message).toMatch(/^DROP TABLE app\.legacy_orders CASCADE: deletes the table .* Ship code that no longer uses the table first/);
  const [idx] = lint('CREATE INDEX users_email_idx ON users (email);');
  expect(idx).toMatchObject({ severity: 'warning', destructive: false });
  expect(idx.message).toContain('CREATE INDEX users_email_idx ON users: CREATE INDEX holds a SHARE lock');
});

test('every rule id has a "## <id>" section in docs/rules.md, and every section a rule', () => {
  const docs = readFileSync(new URL('../docs/rules.md', import.meta.url), 'utf8');
  const sections = [...docs.matchAll(/^## (\S+)$/gm)].map((m) => m[1]).filter((h) => /^[a-z]+(-[a-z]+)*$/.test(h) && !['rules'].includes(h));
  const ids = RULES.map((r) => r.id);
  expect(sections.filter((s) => !ids.includes(s))).toEqual([]);
  expect(ids.filter((id) => !sections.includes(id))).toEqual([]);
  for (const r of RULES) expect(docs).toContain(`[${r.id}](#${r.id}) | ${r.severity}`);
});

describe('rule details', () => {
  test('DROP INDEX without CONCURRENTLY is index-without-concurrently; of an index on a new table it is not', () => {
    expect(lint('-- x\nDROP INDEX users_email_idx;')).toMatchObject([{ rule: 'index-without-concurrently', line: 2, message: expect.stringContaining('ACCESS EXCLUSIVE') }]);
    expect(lint('CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\nDROP INDEX t_a;')).toEqual([]);
    // An index the batch put on an old table still locks that table when dropped.
    expect(rulesOf(lint('CREATE INDEX CONCURRENTLY u_a ON users (a);\nDROP INDEX u_a;', { transaction: false }))).toContain('index-without-concurrently');
  });

  test.each([
    ['random()', 'ALTER TABLE t ADD COLUMN r int DEFAULT (random() * 10)::int', 'DEFAULT random()'],
    ['clock_timestamp()', 'ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp()', 'DEFAULT clock_timestamp()'],
    ['uuid_generate_v4()', 'ALTER TABLE t ADD COLUMN u uuid DEFAULT uuid_generate_v4()', 'DEFAULT uuid_generate_v4()'],
    ['nextval()', "ALTER TABLE t ADD COLUMN n bigint DEFAULT nextval('s')", 'DEFAULT nextval()'],
    ['bigserial', 'ALTER TABLE t ADD COLUMN n bigserial', 'type bigserial'],
    ['stored generated', 'ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a * 2) STORED', 'GENERATED ... STORED'],
    ['identity', 'ALTER TABLE t ADD COLUMN i bigint GENERATED ALWAYS AS IDENTITY', 'AS IDENTITY'],
  ])('add-column-volatile-default: %s', (_, sql, words) => {
    const found = lint(sql).filter((f) => f.rule === 'add-column-volatile-default');
    expect(found).toHaveLength(1);
    expect(found[0].message).toContain(words);
  });

  test('add-column-volatile-default: constant, now() and virtual generated columns are fine', () => {
    expect(lint("ALTER TABLE t ADD COLUMN a text DEFAULT 'x', ADD COLUMN b timestamptz DEFAULT now(), ADD COLUMN c int GENERATED ALWAYS AS (1) VIRTUAL;")).toEqual([]);
  });

  test('column-level REFERENCES, UNIQUE and PRIMARY KEY on ADD COLUMN of an old table are reported', () => {
    expect(rulesOf(lint('ALTER TABLE tasks ADD COLUMN owner_id bigint REFERENCES users (id);'))).toEqual(['add-foreign-key']);
    expect(rulesOf(lint('ALTER TABLE users ADD COLUMN handle text UNIQUE;'))).toEqual(['add-unique-constraint']);
    expect(rulesOf(lint('ALTER TABLE users ADD COLUMN id2 bigint PRIMARY KEY;'))).toEqual(['add-primary-key', 'add-column-not-null-without-default']);
  });

  test('set-not-null: a NOT VALID check that was never validated proves nothing', () => {
    expect(rulesOf(lint(['ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID;', 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;']))).toEqual(['set-not-null']);
    // Postgres names an unnamed check <table>_<column>_check: validating it by that name counts.
    expect(lint(['ALTER TABLE users ADD CHECK (email IS NOT NULL) NOT VALID;', 'ALTER TABLE users VALIDATE CONSTRAINT users_email_check;\nALTER TABLE users ALTER email SET NOT NULL;'])).toEqual([]);
    // Postgres 18: NOT NULL ... NOT VALID, validated later.
    expect(lint(['ALTER TABLE users ADD CONSTRAINT nn NOT NULL email NOT VALID;', 'ALTER TABLE users VALIDATE CONSTRAINT nn;\nALTER TABLE users ALTER email SET NOT NULL;'])).toEqual([]);
    expect(rulesOf(lint('ALTER TABLE users ADD CONSTRAINT nn NOT NULL email;'))).toEqual(['set-not-null']);
    // Proof for another column or table does not count.
    expect(
      rulesOf(
        lint([
          'ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID;',
          'ALTER TABLE users VALIDATE CONSTRAINT c;\nALTER TABLE users ALTER name SET NOT NULL;\nALTER TABLE people ALTER email SET NOT NULL;',
        ]),
      ),
    ).toEqual(['set-not-null', 'set-not-null']);
  });

  test('whole-database VACUUM FULL, CLUSTER and REINDEX are reported; VACUUM FULL false is not', () => {
    const opts = { transaction: false };
    expect(rulesOf(lint('VACUUM FULL;', opts))).toEqual(['vacuum-full']);
    expect(lint('VACUUM (FULL false) orders;', opts)).toEqual([]);
    expect(rulesOf(lint('CLUSTER;'))).toEqual(['cluster']);
    expect(rulesOf(lint('REINDEX DATABASE app;', opts))).toEqual(['reindex-without-concurrently']);
    expect(rulesOf(lint('REINDEX TABLE orders;'))).toEqual(['reindex-without-concurrently']);
  });

  test('renaming views and materialized views is rename-table; a view rename of a column is rename-column', () => {
    expect(rulesOf(lint('ALTER VIEW v RENAME TO w;\nALTER MATERIALIZED VIEW m RENAME COLUMN a TO b;'))).toEqual(['rename-table', 'rename-column']);
    expect(lint('ALTER INDEX i RENAME TO j;')).toEqual([]);
  });

  test('concurrently-in-transaction covers VACUUM, CREATE DATABASE, REINDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, and BEGIN blocks of transaction:false files', () => {
    const found = lint('VACUUM orders;\nCREATE DATABASE x;\nREINDEX TABLE CONCURRENTLY t;\nDROP INDEX CONCURRENTLY i;\nANALYZE orders;');
    expect(found.map((f) => [f.rule, f.line])).toEqual([
      ['concurrently-in-transaction', 1],
      ['concurrently-in-transaction', 2],
      ['concurrently-in-transaction', 3],
      ['concurrently-in-transaction', 4],
    ]);
    const block = lint('BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;\nCREATE INDEX CONCURRENTLY j ON t (b);', { transaction: false });
    expect(block.filter((f) => f.rule === 'concurrently-in-transaction').map((f) => f.line)).toEqual([2]);
    expect(block.find((f) => f.rule === 'concurrently-in-transaction')!.message).toContain('BEGIN block');
  });

  test('concurrently-in-transaction names the header for the file form', () => {
    const dbmate = lint('CREATE INDEX CONCURRENTLY i ON t (a);', { form: 'dbmate', startLine: 2 });
    expect(dbmate[0]).toMatchObject({ line: 2, message: expect.stringContaining('"-- migrate:up transaction:false"') });
    expect(lint('CREATE INDEX CONCURRENTLY i ON t (a);', { form: 'pair' })[0].message).toContain('"-- pgshift:no-transaction"');
  });

  test('transaction-control: BEGIN/COMMIT once per pair as warnings; ROLLBACK and PREPARE TRANSACTION as errors; nothing in transaction:false files', () => {
    expect(lint('BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;').map((f) => [f.rule, f.severity, f.line])).toEqual([['transaction-control', 'warning', 1]]);
    expect(lint('CREATE TABLE a (id int);\nCOMMIT;').map((f) => [f.severity, f.line])).toEqual([['warning', 2]]);
    const hard = lint("CREATE TABLE a (id int);\nROLLBACK;\nPREPARE TRANSACTION 'x';");
    expect(hard.map((f) => [f.rule, f.severity, f.line])).toEqual([
      ['transaction-control', 'error', 2],
      ['transaction-control', 'error', 3],
    ]);
    expect(hard[0].message).toContain('tracking row');
    expect(lint('BEGIN;\nCREATE TABLE a (id int);\nROLLBACK;', { transaction: false })).toEqual([]);
  });

  test('mixed-no-transaction: a lone statement, SET and ALTER TYPE ... ADD VALUE are fine', () => {
    const opts = { transaction: false };
    expect(lint('CREATE TABLE a (id int);', opts)).toEqual([]);
    expect(lint("SET statement_timeout = 0;\nALTER TYPE mood ADD VALUE 'meh';\nCREATE INDEX CONCURRENTLY i ON t (a);", opts)).toEqual([]);
    expect(lint("ALTER TYPE mood RENAME VALUE 'a' TO 'b';\nCREATE INDEX CONCURRENTLY i ON t (a);", opts).map((f) => [f.rule, f.line])).toEqual([['mixed-no-transaction', 1]]);
  });

  test('validate-in-same-transaction: not in separate statements of a transaction:false migration', () => {
    expect(lint('ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;', { transaction: false }).map((f) => f.rule)).toEqual([
      'mixed-no-transaction',
      'mixed-no-transaction',
    ]);
    expect(rulesOf(lint('ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID, VALIDATE CONSTRAINT c;', { transaction: false }))).toEqual(['validate-in-same-transaction']);
  });

  test('syntax-error points at the spot in the file and stops the section; the batch goes on', () => {
    const found = lint(['-- migrate\nSELECT 1;\nSELEC 2;\nDROP TABLE a;', 'DROP TABLE b;']);
    expect(found.map((f) => [f.rule, f.line, f.version])).toEqual([
      ['syntax-error', 3, '1'],
      ['drop-table', 1, '2'],
    ]);
    expect(found[0]).toMatchObject({ severity: 'error', column: 1 });
    expect(found[0].message).toMatch(/syntax error at or near "SELEC"/);
  });
});

describe('objects the batch creates are new', () => {
  test('locks, constraints, renames and destruction on a new table are not reported, across migrations', () => {
    const batch = [
      'CREATE TABLE app.orders (id int, total int, owner_id int);',
      [
        'CREATE INDEX orders_owner_idx ON orders (owner_id);',
        'ALTER TABLE app.orders ADD COLUMN ref uuid NOT NULL DEFAULT gen_random_uuid(), ALTER COLUMN total TYPE bigint, ALTER COLUMN total SET NOT NULL;',
        'ALTER TABLE orders ADD FOREIGN KEY (owner_id) REFERENCES users (id), ADD CHECK (total >= 0), ADD UNIQUE (ref), ADD PRIMARY KEY (id);',
        'ALTER TABLE orders ADD COLUMN code text NOT NULL;',
        'UPDATE orders SET total = 0;',
        'DELETE FROM app.orders;',
        'TRUNCATE orders;',
        'ALTER TABLE orders DROP COLUMN code, ADD CONSTRAINT c CHECK (id > 0) NOT VALID, VALIDATE CONSTRAINT c;',
        'ALTER TABLE orders RENAME COLUMN ref TO reference;',
        'ALTER TABLE orders RENAME TO purchases;',
        'CREATE INDEX ON purchases (total);',
        'DROP INDEX orders_owner_idx;',
        'DROP TABLE purchases;',
      ].join('\n'),
    ];
    expect(lint(batch)).toEqual([]);
  });

  test('CREATE TABLE AS, materialized views, schemas, types and databases count too', () => {
    expect(lint(['CREATE TABLE snap AS SELECT 1 AS a;\nCREATE MATERIALIZED VIEW mv AS SELECT 1 AS a;', 'CREATE INDEX ON snap (a);\nREFRESH MATERIALIZED VIEW mv;\nDROP TABLE snap;'])).toEqual([]);
    expect(lint('CREATE SCHEMA s;\nCREATE TABLE s.t (a int);\nCREATE INDEX ON s.t (a);\nDROP SCHEMA s CASCADE;')).toEqual([]);
    expect(lint('CREATE SCHEMA s CREATE TABLE t (a int);\nTRUNCATE s.t;')).toEqual([]);
    expect(lint("CREATE TYPE mood AS ENUM ('a');\nCREATE DOMAIN pos AS int CHECK (VALUE > 0);\nCREATE TYPE pair AS (a int, b int);\nDROP TYPE mood, pair;\nDROP DOMAIN pos;")).toEqual([]);
  });

  test('only what comes earlier is new, and a table of the same name in another schema is not', () => {
    expect(rulesOf(lint('DROP TABLE t;\nCREATE TABLE t (a int);'))).toEqual(['drop-table']);
    expect(rulesOf(lint('CREATE TABLE a.t (x int);\nCREATE INDEX ON b.t (x);'))).toEqual(['index-without-concurrently']);
    expect(rulesOf(lint('CREATE TABLE t (x int);\nDROP TABLE t, old;'))).toEqual(['drop-table']);
    expect(lint('CREATE TABLE t (x int);\nDROP TABLE t, old;')[0].message).toMatch(/^DROP TABLE old:/);
  });

  test('concurrently-in-transaction is reported even on a new table: it fails either way', () => {
    expect(rulesOf(lint('CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY ON t (a);'))).toEqual(['concurrently-in-transaction']);
  });
});

describe('-- pgshift:ignore', () => {
  test('right above a statement (through other comments) silences only that statement', () => {
    const sql = ['-- pgshift:ignore drop-table -- unused since v3', '-- and backed up', 'DROP TABLE a;', 'DROP TABLE b;'].join('\n');
    expect(lint(sql).map((f) => [f.rule, f.line])).toEqual([['drop-table', 4]]);
  });

  test('names several rules, with commas or spaces, and reaches every statement starting on the next line', () => {
    const sql = 'SELECT 1;\n-- pgshift:ignore drop-table, truncate  update-without-where\nDROP TABLE a; TRUNCATE b; UPDATE c SET x = 1; DELETE FROM d;';
    expect(lint(sql).map((f) => [f.rule, f.line, f.column])).toEqual([['delete-without-where', 3, 47]]);
  });

  test('inside a multi-line statement it applies to that statement', () => {
    expect(lint('SELECT 1;\nALTER TABLE users\n  -- pgshift:ignore drop-column\n  DROP COLUMN bio;')).toEqual([]);
  });

  test('at the top of the file, apart from the first statement, it silences the whole file', () => {
    const sql = '-- pgshift:ignore drop-table\n\nDROP TABLE a;\nCREATE INDEX ON b (x);\nDROP TABLE c;';
    expect(lint(sql).map((f) => [f.rule, f.line])).toEqual([['index-without-concurrently', 4]]);
  });

  test('a directive naming no rule silences nothing, and cannot be ignored itself', () => {
    const found = lint('-- pgshift:ignore\n\n-- pgshift:ignore ignore-without-rules\nDROP TABLE a;');
    expect(found.map((f) => [f.rule, f.severity, f.line])).toEqual([
      ['ignore-without-rules', 'warning', 1],
      ['drop-table', 'error', 4],
    ]);
  });

  test('an unknown rule is reported with the nearest id, and the known names still apply', () => {
    const found = lint('SELECT 1;\n-- pgshift:ignore drop-tabel, truncate\nDROP TABLE a;\nTRUNCATE b;');
    expect(found.map((f) => [f.rule, f.line])).toEqual([
      ['unknown-rule', 2],
      ['drop-table', 3],
      ['truncate', 4],
    ]);
    expect(found[0].message).toContain('did you mean "drop-table"');
    expect(lint('SELECT 1;\n-- pgshift:ignore drop-tabel, truncate\nTRUNCATE b;').map((f) => f.rule)).toEqual(['unknown-rule']);
  });

  test('a blank line after it, past the first statement, makes it misplaced', () => {
    expect(lint('SELECT 1;\n-- pgshift:ignore drop-table\n\nDROP TABLE a;').map((f) => [f.rule, f.line])).toEqual([
      ['misplaced-ignore', 2],
      ['drop-table', 4],
    ]);
  });
});

describe('config', () => {
  test('turns a rule off or changes its severity', () => {
    const sql = 'DROP TABLE a;\nALTER TABLE u RENAME COLUMN a TO b;\nCREATE INDEX ON u (b);';
    const found = lint(sql, {}, { rules: { 'drop-table': 'off', 'rename-column': 'error', 'index-without-concurrently': 'warning' } });
    expect(found.map((f) => [f.rule, f.severity])).toEqual([
      ['rename-column', 'error'],
      ['index-without-concurrently', 'warning'],
    ]);
  });

  test('a severity set in the config wins over a per-finding one (ROLLBACK)', () => {
    expect(lint('CREATE TABLE a (id int);\nROLLBACK;', {}, { rules: { 'transaction-control': 'warning' } })[0].severity).toBe('warning');
  });

  test('directive findings follow the config too; syntax-error cannot be turned off', () => {
    expect(lint('-- pgshift:ignore\nSELECT 1;', {}, { rules: { 'ignore-without-rules': 'off' } })).toEqual([]);
    expect(lint('SELEC 1;', {}, { rules: { 'syntax-error': 'off' } }).map((f) => f.rule)).toEqual(['syntax-error']);
  });
});
